"""From the derived structure and the parameters to conditional probability tables.

The family is the leaky noisy-OR with noisy inhibitors. For a node X with promoting parents P
(link strengths w_i), inhibiting parents I (strengths v_j) and leak lambda:

    P(X = true | parents) = [1 - (1 - lambda) * prod_{i in P, present} (1 - w_i)]
                            * prod_{j in I, present} (1 - v_j)

A cargo node (a root) is true with its base rate. Where more than ``max_parents`` parents meet,
the promoters (and inhibitors) are grouped under auxiliary noisy-OR nodes with no leak; the node
then ORs the groups (weight 1), which leaves every marginal exactly as in the flat table.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError
from .network import Edge, NetworkSpec
from .resources import default_parameters_file

__all__ = [
    "CompiledNetwork",
    "EvidenceKind",
    "Parameters",
    "Table",
    "compile_network",
    "edge_strength",
    "load_parameters",
]

STATES = ("false", "true")


@dataclass(frozen=True)
class EvidenceKind:
    name: str
    random: float
    systematic: float


@dataclass(frozen=True)
class Parameters:
    """Every number the tables are made from (see ``parameters.toml``)."""

    kinds: Mapping[str, EvidenceKind]
    other_cancer_weight: float
    leak: Mapping[str, float]
    leak_nodes: Mapping[str, float]
    base_rate: float
    base_rate_nodes: Mapping[str, float]
    strength_edges: Mapping[str, float]
    max_parents: int
    source: str = "defaults"
    # Parameter uncertainty (see uncertainty.py): Beta concentrations (pseudo-count totals).
    base_concentration: float = 2.0
    per_study_concentration: float = 4.0
    leak_concentration: float = 10.0
    base_rate_concentration: float = 10.0

    def leak_of(self, key: str, kind: str) -> float:
        return self.leak_nodes.get(key, self.leak.get(kind, 0.0))

    def base_rate_of(self, key: str) -> float:
        return self.base_rate_nodes.get(key, self.base_rate)


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def _probability(value: Any, where: str, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        raise ConfigError(f"{path}: {where} must be a probability in [0, 1], got {value!r}")
    return float(value)


_KNOWN = {
    "evidence": {"other_cancer_weight", "kinds"},
    "leak": {"gene_effect", "process", "outcome", "nodes"},
    "base_rate": {"cargo", "nodes"},
    "strength": {"edges"},
    "network": {"max_parents"},
    "uncertainty": {"base_concentration", "per_study_concentration", "leak_concentration",
                    "base_rate_concentration"},
}


def _concentration(value: Any, where: str, path: str, *, zero: bool = False) -> float:
    """A finite positive number (or zero, if ``zero``) for an [uncertainty] key."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (value >= 0.0 if zero else value > 0.0))
    if not ok:
        need = "a finite number >= 0" if zero else "a finite number > 0"
        raise ConfigError(f"{path}: {where} must be {need}, got {value!r}")
    return float(value)


def load_parameters(path: Path | None = None) -> Parameters:
    """The shipped defaults, with the values of ``path`` (a TOML file) laid over them."""
    data = _read_toml(default_parameters_file())
    where = "defaults"
    if path is not None:
        override = _read_toml(path)
        where = str(path)
        for section, value in override.items():
            if section not in _KNOWN:
                raise ConfigError(f"{path}: unknown section [{section}]; known: {', '.join(sorted(_KNOWN))}")
            if not isinstance(value, Mapping):
                raise ConfigError(f"{path}: [{section}] must be a table")
            for key in value:
                if key not in _KNOWN[section]:
                    raise ConfigError(f"{path}: unknown key {section}.{key}")
        data = _merge(data, override)
    try:
        evidence = data["evidence"]
        kinds = {}
        for code, spec in evidence["kinds"].items():
            if not isinstance(spec, Mapping):
                raise ConfigError(f"{where}: evidence.kinds.{code} must be a table")
            r = _probability(spec.get("random"), f"evidence.kinds.{code}.random", where)
            s = _probability(spec.get("systematic"), f"evidence.kinds.{code}.systematic", where)
            if r + s > 1.0:
                raise ConfigError(f"{where}: evidence.kinds.{code}: random + systematic must not exceed 1")
            kinds[code] = EvidenceKind(str(spec.get("name", code)), r, s)
        leak = {k: _probability(data["leak"][k], f"leak.{k}", where)
                for k in ("gene_effect", "process", "outcome")}
        leak_nodes = {k: _probability(v, f"leak.nodes.{k}", where) for k, v in data["leak"].get("nodes", {}).items()}
        base_nodes = {k: _probability(v, f"base_rate.nodes.{k}", where)
                      for k, v in data["base_rate"].get("nodes", {}).items()}
        strengths = {k: _probability(v, f"strength.edges.{k}", where)
                     for k, v in data.get("strength", {}).get("edges", {}).items()}
        max_parents = data["network"]["max_parents"]
        if isinstance(max_parents, bool) or not isinstance(max_parents, int) or not 2 <= max_parents <= 16:
            raise ConfigError(f"{where}: network.max_parents must be an integer from 2 to 16, got {max_parents!r}")
        uncertainty = data.get("uncertainty", {})
        concentrations = {
            k: _concentration(uncertainty.get(k, getattr(Parameters, k)), f"uncertainty.{k}", where,
                              zero=k == "per_study_concentration")
            for k in _KNOWN["uncertainty"]
        }
        return Parameters(
            kinds=kinds,
            other_cancer_weight=_probability(evidence["other_cancer_weight"], "evidence.other_cancer_weight", where),
            leak=leak,
            leak_nodes=leak_nodes,
            base_rate=_probability(data["base_rate"]["cargo"], "base_rate.cargo", where),
            base_rate_nodes=base_nodes,
            strength_edges=strengths,
            max_parents=max_parents,
            source=where,
            **concentrations,
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing parameter {exc}") from None


def edge_strength(edge: Edge, params: Parameters, cancer: str | None = None) -> float:
    """The link strength of an edge from its evidence (the formula in ``parameters.toml``).

    >>> from exoreason.network import Edge, Evidence
    >>> e = Evidence("f", "f", "Table 3", "q", ("ECO:0000304",), (27,), (), ())
    >>> p = load_parameters()
    >>> round(edge_strength(Edge("a", "b", "+", (e, e)), p), 6)  # one study counted once
    0.5
    """
    override = params.strength_edges.get(f"{edge.parent}->{edge.child}")
    if override is not None:
        return override
    # For each kind, the best (lowest) random error of each distinct study.
    per_kind: dict[str, dict[str, float]] = {}
    for item in edge.evidence:
        off_cancer = bool(cancer and item.diseases and cancer not in item.diseases)
        for code in item.kinds:
            kind = params.kinds.get(code)
            if kind is None:
                continue
            reliability = (1.0 - kind.random) * (params.other_cancer_weight if off_cancer else 1.0)
            studies = per_kind.setdefault(code, {})
            for study in item.study_keys():
                studies[study] = min(studies.get(study, 1.0), 1.0 - reliability)
    if not per_kind:
        return 0.0
    wrong = 1.0
    for code, studies in per_kind.items():
        kind = params.kinds[code]
        wrong *= min(1.0, kind.systematic + math.prod(studies.values()))
    return 1.0 - wrong


@dataclass(frozen=True)
class Table:
    """P(node = true | each parent configuration), parents in order, the first varying slowest."""

    node: str
    parents: tuple[str, ...]
    p_true: np.ndarray

    def values(self) -> np.ndarray:
        """The 2 x 2^k table of states false, true (pgmpy's and BIF's layout)."""
        return np.vstack([1.0 - self.p_true, self.p_true])


@dataclass
class CompiledNetwork:
    """The network ready for inference: every node's table, auxiliary nodes included."""

    spec: NetworkSpec
    params: Parameters
    tables: dict[str, Table]
    strengths: dict[tuple[str, str], float]
    auxiliary: set[str] = field(default_factory=set)
    cancer: str | None = None

    @property
    def order(self) -> list[str]:
        """Nodes in a topological order."""
        done: list[str] = []
        seen: set[str] = set()

        def visit(node: str) -> None:
            if node in seen:
                return
            seen.add(node)
            for parent in self.tables[node].parents:
                visit(parent)
            done.append(node)

        for node in self.tables:
            visit(node)
        return done

    def ancestors(self, node: str) -> set[str]:
        """The node and every node with a directed path to it."""
        seen = {node}
        stack = [node]
        while stack:
            for parent in self.tables[stack.pop()].parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    def to_pgmpy(self) -> Any:
        """A pgmpy DiscreteBayesianNetwork with states named ``false`` and ``true``."""
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.models import DiscreteBayesianNetwork

        model = DiscreteBayesianNetwork()
        model.add_nodes_from(self.order)
        model.add_edges_from((p, n) for n, t in self.tables.items() for p in t.parents)
        for node in self.order:
            table = self.tables[node]
            names = {v: list(STATES) for v in (node, *table.parents)}
            model.add_cpds(TabularCPD(
                node, 2, table.values(),
                evidence=list(table.parents) or None,
                evidence_card=[2] * len(table.parents) or None,
                state_names=names,
            ))
        return model


def _noisy_or(weights: list[float], inhibitors: list[float], leak: float) -> np.ndarray:
    parents = len(weights) + len(inhibitors)
    out = np.empty(2 ** parents)
    for column, states in enumerate(itertools.product((0, 1), repeat=parents)):
        off = 1.0 - leak
        for w, s in zip(weights, states[: len(weights)], strict=True):
            if s:
                off *= 1.0 - w
        p = 1.0 - off
        for v, s in zip(inhibitors, states[len(weights):], strict=True):
            if s:
                p *= 1.0 - v
        out[column] = p
    return out


def _group(key: str, items: list[tuple[str, float]], budget: int, tag: str, limit: int,
           counter: Iterator[int], tables: dict[str, Table], auxiliary: set[str]) -> list[tuple[str, float]]:
    """Group parents under auxiliary noisy-OR nodes (no leak) until at most ``budget`` remain.

    Each group becomes one parent of weight 1: a node ORs its groups, which leaves the marginals
    exactly those of the flat table.
    """
    while len(items) > budget:
        grouped = []
        for start in range(0, len(items), limit):
            chunk = items[start:start + limit]
            if len(chunk) == 1:
                grouped.append(chunk[0])
                continue
            aux = f"{key}__{tag}{next(counter)}"
            tables[aux] = Table(aux, tuple(k for k, _ in chunk), _noisy_or([w for _, w in chunk], [], 0.0))
            auxiliary.add(aux)
            grouped.append((aux, 1.0))
        items = grouped
    return items


def compile_network(spec: NetworkSpec, params: Parameters, cancer: str | None = None) -> CompiledNetwork:
    """Make every node's table from the family's formula and the parameters."""
    tables: dict[str, Table] = {}
    strengths: dict[tuple[str, str], float] = {}
    auxiliary: set[str] = set()
    limit = params.max_parents
    for node in spec.nodes:
        if node.kind == "cargo":
            tables[node.key] = Table(node.key, (), np.array([params.base_rate_of(node.key)]))
            continue
        promoters: list[tuple[str, float]] = []
        inhibitors: list[tuple[str, float]] = []
        for edge in spec.parents(node.key):
            w = edge_strength(edge, params, cancer)
            strengths[(edge.parent, edge.child)] = w
            (promoters if edge.sign == "+" else inhibitors).append((edge.parent, w))
        leak = params.leak_of(node.key, node.kind)
        if len(promoters) + len(inhibitors) > limit:
            counter = itertools.count(1)
            if inhibitors:
                inhibitors = _group(node.key, inhibitors, max(1, limit // 3), "any_inhibitor", limit, counter,
                                    tables, auxiliary)
            promoters = _group(node.key, promoters, limit - len(inhibitors), "any_promoter", limit, counter,
                               tables, auxiliary)
        tables[node.key] = Table(
            node.key,
            tuple(k for k, _ in promoters) + tuple(k for k, _ in inhibitors),
            _noisy_or([w for _, w in promoters], [v for _, v in inhibitors], leak),
        )
    return CompiledNetwork(spec, params, tables, strengths, auxiliary, cancer)
