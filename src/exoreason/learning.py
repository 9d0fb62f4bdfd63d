"""Learning the conditional tables from a user's cohort, with the literature as the prior.

Each node's table is re-estimated with pgmpy's Bayesian estimator: a Dirichlet prior whose
pseudo-counts are ``equivalent_sample_size * P_literature(state | parent configuration)``, so each
parent configuration's literature estimate weighs as much as that many observations, plus the
counts of the rows where the node and all its parents are observed (missing values allowed: a
table learns only from the rows that observe its whole family; a node no row observes, such as a
target-gene effect, keeps its literature table).

The result is a model file (JSON) that ``exoreason infer --model FILE`` uses in place of the
literature tables; it records the graph it was fitted for and refuses another.
"""

from __future__ import annotations

import csv
import itertools
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .cohort import open_csv
from .errors import ExoreasonError, InputError, NetworkError
from .evidence import parse_cell
from .model import CompiledNetwork, Table
from .network import read_json_file

if TYPE_CHECKING:
    from .inference import Reasoner

__all__ = ["FitReport", "fit", "forward_sample", "load_model", "model_json"]

MODEL_FORMAT = "exoreason-fitted-model/1"


@dataclass(frozen=True)
class FitReport:
    rows: int
    columns: list[str]
    updated: list[str]
    compiled: CompiledNetwork
    kept: dict[str, str]  # node -> why its literature table was kept


def read_cohort(reasoner: Reasoner, path: Path) -> tuple[list[str], np.ndarray]:
    """Node keys of the columns and a rows x columns matrix (NaN where missing; hard values only)."""
    with open_csv(path, "data file") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputError(f"{path}: empty file, no header") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: unreadable CSV ({exc})") from None
        keys: list[str | None] = []
        for index, name in enumerate(header):
            if name == "id":
                keys.append(None)
                continue
            try:
                keys.append(reasoner.resolve_node(name))
            except ExoreasonError as exc:
                raise InputError(f"{path}: column {index + 1} ({name!r}): {exc.message()}") from None
        used = [k for k in keys if k is not None]
        if len(set(used)) != len(used):
            dupe = next(k for k in used if used.count(k) > 1)
            raise InputError(f"{path}: two columns name the same node {dupe!r}")
        rows = []
        try:
            for row in reader:
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    raise InputError(f"{path}: line {reader.line_num}: {len(row)} cells, the header has {len(header)}")
                values = []
                for index, key in enumerate(keys):
                    if key is None:
                        continue
                    try:
                        value = parse_cell(row[index])
                    except ValueError as exc:
                        raise InputError(f"{path}: line {reader.line_num}, column {header[index]!r}: {exc}") from None
                    if value is not None and value not in (0.0, 1.0):
                        raise InputError(f"{path}: line {reader.line_num}, column {header[index]!r}: "
                                         f"learning needs true, false or empty, got {row[index]!r}")
                    values.append(np.nan if value is None else value)
                rows.append(values)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: unreadable CSV ({exc})") from None
    if not rows:
        raise InputError(f"{path}: no data rows")
    return used, np.array(rows, dtype=float)


def fit(reasoner: Reasoner, data: Path | tuple[list[str], np.ndarray], equivalent_sample_size: float = 10.0
        ) -> FitReport:
    """Update the literature tables from data (a CSV path or columns and a matrix)."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.estimators import BayesianEstimator

    if not equivalent_sample_size > 0:
        raise InputError(f"--equivalent-sample-size must be positive, got {equivalent_sample_size}")
    columns, matrix = read_cohort(reasoner, data) if isinstance(data, Path) else data
    compiled = reasoner.compiled
    model = compiled.to_pgmpy()
    frame = pd.DataFrame(
        {k: pd.Series([None if np.isnan(x) else "true" if x == 1.0 else "false" for x in matrix[:, i]],
                      dtype=object)
         for i, k in enumerate(columns)})
    tables = dict(compiled.tables)
    updated = []
    kept: dict[str, str] = {}
    for node, table in compiled.tables.items():
        if node in compiled.auxiliary:
            continue
        family = [node, *table.parents]
        grouped = [p for p in table.parents if p in compiled.auxiliary]
        if grouped:
            kept[node] = "its parents are grouped under auxiliary nodes a cohort cannot observe"
            continue
        if not all(v in frame.columns for v in family):
            if node in frame.columns:
                kept[node] = "no column for " + ", ".join(v for v in family if v not in frame.columns)
            continue
        rows = frame[family].dropna()
        if rows.empty:
            kept[node] = "no row observes it and all its parents"
            continue
        prior = equivalent_sample_size * _in_sorted_parent_order(table)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            # Name both states: a column holding only "true" must not shrink the node to one state.
            estimator = BayesianEstimator(model, rows.astype(str),
                                          state_names={v: ["false", "true"] for v in model.nodes()})
            cpd = estimator.estimate_cpd(node, prior_type="dirichlet", pseudo_counts=prior)
        # Read the estimate in our parent order (pgmpy's own order may differ).
        factor = cpd.to_factor()
        p_true = [factor.get_value(**{node: "true", **dict(zip(table.parents, states, strict=True))})
                  for states in itertools.product(("false", "true"), repeat=len(table.parents))]
        tables[node] = Table(node, table.parents, np.asarray(p_true, dtype=float))
        updated.append(node)
    fitted = compiled.with_tables(tables)
    return FitReport(len(matrix), columns, updated, fitted, kept)


def _in_sorted_parent_order(table: Table) -> np.ndarray:
    """The 2 x 2^k table with its parent configurations in pgmpy's order (parents sorted by name).

    pgmpy's BayesianEstimator lays out ``pseudo_counts`` over sorted parents; the project's tables
    follow the order of the network's edges.
    """
    k = len(table.parents)
    order = sorted(range(k), key=lambda i: table.parents[i])
    tensor = table.values().reshape((2, *([2] * k)))
    return tensor.transpose((0, *(1 + i for i in order))).reshape(2, 2 ** k)


def model_json(report: FitReport, equivalent_sample_size: float) -> bytes:
    compiled = report.compiled
    data: dict[str, Any] = {
        "format": MODEL_FORMAT,
        "notice": "Tables fitted by `exoreason fit` from a cohort, with the literature tables as the prior.",
        "graph_digest": compiled.spec.graph_digest,
        "rows": report.rows,
        "equivalent_sample_size": equivalent_sample_size,
        "updated": report.updated,
        "tables": {k: {"parents": list(t.parents), "p_true": [float(x) for x in t.p_true]}
                   for k, t in compiled.tables.items()},
    }
    return (json.dumps(data, indent=1) + "\n").encode()


def load_model(reasoner: Reasoner, path: Path) -> CompiledNetwork:
    """A fitted model for the reasoner's network; refuses a model fitted for another graph."""
    data = read_json_file(path, "model file", InputError)
    if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
        raise InputError(f"{path}: not an exoreason fitted model")
    compiled = reasoner.compiled
    if data.get("graph_digest") != compiled.spec.graph_digest:
        raise NetworkError(f"{path} was fitted for another version of the graph; fit it again")
    tables = {}
    try:
        for key, table in compiled.tables.items():
            entry = data["tables"][key]
            p_true = np.array(entry["p_true"], dtype=float)
            if tuple(entry["parents"]) != table.parents or p_true.shape != table.p_true.shape \
                    or not np.all((p_true >= 0) & (p_true <= 1)):
                raise InputError(f"{path}: table of {key} does not fit the network")
            tables[key] = Table(key, table.parents, p_true)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{path}: malformed model file ({exc})") from None
    return compiled.with_tables(tables)


def forward_sample(compiled: CompiledNetwork, n: int, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """``n`` complete samples of every node (0/1), drawn in topological order."""
    rng = np.random.default_rng(seed)
    order = compiled.order
    values: dict[str, np.ndarray] = {}
    for node in order:
        table = compiled.tables[node]
        column = np.zeros(n, dtype=np.int64)
        for parent in table.parents:
            column = column * 2 + values[parent]
        values[node] = (rng.random(n) < table.p_true[column]).astype(np.int64)
    return order, np.column_stack([values[k] for k in order]).astype(float)
