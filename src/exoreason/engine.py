"""The one exact inference engine behind every command.

A posterior is a ratio of two sums over the network's joint distribution:

    P(T = t | e, do(D = d)) = sum_{x: T = t} prod_n f_n(x) prod_{v in E} lambda_v(x_v) / Z

where f_n is node n's table (replaced by the indicator of d_n for an intervened node: graph
surgery), lambda_v is the evidence factor of an observed node v ([0, 1] or [1, 0] for hard
evidence; [1 - q, q] for a reading q, a likelihood: q/(1 - q) is how much more likely the reading
is if v is true than if it is false; [1, 1] for "not observed") and Z is the same sum over every
t, the probability of the evidence. Only the ancestors of T and of the observed nodes take part
(every other node sums out to 1). Each such sum is one tensor contraction, planned once by
opt_einsum and reused, with an optional leading batch axis shared by the evidence factors (one row
per profile) and by the tables (one row per parameter vector: intervals, sensitivities, learning).

Evidence and interventions are checked here, once, for every command: an unknown node, a reading
outside [0, 1], a node both observed and intervened on, and evidence of probability zero under the
model are each one :class:`~exoreason.errors.InferenceError`. No answer is ever NaN.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InferenceError
from .model import CompiledNetwork

__all__ = ["Engine", "EvidenceBatch", "ImpossibleEvidence"]

_CHUNK = 8192


class ImpossibleEvidence(InferenceError):
    """Evidence of probability zero under the model (``rows``: which rows of a batch)."""

    def __init__(self, message: str, rows: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.rows = list(rows)


@dataclass(frozen=True)
class EvidenceBatch:
    """Readings of some nodes in many rows: NaN not observed, 0 or 1 hard, else a likelihood."""

    nodes: tuple[str, ...]
    readings: np.ndarray  # rows x nodes

    @classmethod
    def single(cls, evidence: Mapping[str, float]) -> EvidenceBatch:
        nodes = tuple(evidence)
        return cls(nodes, np.array([[float(evidence[n]) for n in nodes]], dtype=float).reshape(1, len(nodes)))

    @classmethod
    def rows(cls, rows: Sequence[Mapping[str, float]]) -> EvidenceBatch:
        """One row per mapping; a node a row does not name is not observed in that row."""
        nodes = tuple(dict.fromkeys(n for row in rows for n in row))
        matrix = np.full((len(rows), len(nodes)), np.nan)
        for i, row in enumerate(rows):
            for j, node in enumerate(nodes):
                if node in row:
                    matrix[i, j] = float(row[node])
        return cls(nodes, matrix)

    def __len__(self) -> int:
        return int(self.readings.shape[0])


class Engine:
    """Exact posteriors on one compiled network, by tensor contraction (opt_einsum)."""

    def __init__(self, compiled: CompiledNetwork) -> None:
        self.compiled = compiled
        self._expressions: dict[tuple[Any, ...], Any] = {}
        self._relevant: dict[tuple[Any, ...], list[str]] = {}
        families = compiled.families
        self._point = {n: _tensor(compiled.tables[n].p_true[None, :], len(f.parents))[0]
                       for n, f in families.items()}
        import opt_einsum

        self._symbol = {n: opt_einsum.get_symbol(i + 1) for i, n in enumerate(families)}
        self._batch = opt_einsum.get_symbol(0)

    # -- the boundary: every check, once ------------------------------------------------------

    def check_node(self, key: str) -> str:
        """A node of the network (not an auxiliary one), else an error naming the closest."""
        if key not in self.compiled.families or key in self.compiled.auxiliary:
            self.compiled.spec.resolve(key)  # raises, with the closest names
        return key

    def _check(self, targets: Sequence[str], evidence: EvidenceBatch, do: Mapping[str, bool]) -> None:
        for key in targets:
            if key not in self.compiled.families:
                self.check_node(key)
        for key in (*evidence.nodes, *do):
            self.check_node(key)
        if len(set(evidence.nodes)) != len(evidence.nodes):
            dupe = next(n for n in evidence.nodes if evidence.nodes.count(n) > 1)
            raise InferenceError(f"contradictory evidence: {dupe} is given twice")
        values = evidence.readings
        bad = ~np.isnan(values) & ~((values >= 0.0) & (values <= 1.0))
        if bad.any():
            row, column = (int(i) for i in np.argwhere(bad)[0])
            raise InferenceError(f"reading for {evidence.nodes[column]} must be a probability in [0, 1], "
                                 f"got {values[row, column]!r}")
        for key, value in do.items():
            if not isinstance(value, (bool, np.bool_)):
                raise InferenceError(f"intervention on {key} must be true or false, got {value!r}")
        observed = [n for j, n in enumerate(evidence.nodes) if n in do and not np.isnan(values[:, j]).all()]
        if observed:
            raise InferenceError(f"{observed[0]} is both observed and intervened on; give one or the other")

    # -- contraction --------------------------------------------------------------------------

    def posteriors(self, targets: Sequence[str], evidence: Mapping[str, float] | EvidenceBatch | None = None,
                   do: Mapping[str, bool] | None = None, theta: np.ndarray | None = None) -> np.ndarray:
        """P(target = true | evidence, do) for every row and target: shape (rows, targets).

        ``evidence`` is one mapping {node: reading} (one row) or an :class:`EvidenceBatch`;
        ``theta`` holds parameter vectors (rows of the compiled network's parameter space): one
        row for all, or one per evidence row. Without evidence, theta's rows are the batch.
        """
        batch = _as_batch(evidence)
        do = dict(do or {})
        self._check(targets, batch, do)
        rows = len(batch)
        if theta is not None:
            theta = np.atleast_2d(np.asarray(theta, dtype=float))
            if theta.shape[1] != len(self.compiled.space):
                raise InferenceError(f"a parameter vector has {len(self.compiled.space)} entries, "
                                     f"got {theta.shape[1]}")
            if rows == 1 and theta.shape[0] > 1:  # one evidence row for every parameter vector
                rows = theta.shape[0]
                batch = EvidenceBatch(batch.nodes, np.repeat(batch.readings, rows, axis=0))
            elif theta.shape[0] not in (1, rows):
                raise InferenceError(f"{theta.shape[0]} parameter vectors for {rows} evidence rows")
        out = np.empty((rows, len(targets)))
        for start in range(0, rows, _CHUNK):
            stop = min(rows, start + _CHUNK)
            values = batch.readings[start:stop]
            block_theta = None
            if theta is not None:
                block_theta = theta if theta.shape[0] == 1 else theta[start:stop]
            out[start:stop] = self._block(targets, batch.nodes, values, do, block_theta, start)
        return out

    def posterior_dict(self, targets: Sequence[str], evidence: Mapping[str, float] | None = None,
                       do: Mapping[str, bool] | None = None) -> dict[str, float]:
        """One row's posteriors as {target: P(true)}."""
        values = self.posteriors(targets, evidence, do)[0]
        return {t: float(v) for t, v in zip(targets, values, strict=True)}

    def _block(self, targets: Sequence[str], nodes: tuple[str, ...], values: np.ndarray,
               do: Mapping[str, bool], theta: np.ndarray | None, offset: int) -> np.ndarray:
        size = values.shape[0]
        # Evidence factors: [1 - q, q]; a node not observed in a row gets [1, 1].
        observed = [j for j in range(len(nodes)) if not np.isnan(values[:, j]).all()]
        factors = {}
        for j in observed:
            q = values[:, j]
            seen = ~np.isnan(q)
            factors[nodes[j]] = np.stack([np.where(seen, 1.0 - q, 1.0), np.where(seen, q, 1.0)], axis=1)
        tables = self._point
        batched_tables = theta is not None and theta.shape[0] > 1
        if theta is not None:
            p_true = self.compiled.p_true(theta)
            tables = {n: _tensor(p, len(self.compiled.families[n].parents)) for n, p in p_true.items()}
            if not batched_tables:
                tables = {n: t[0] for n, t in tables.items()}
        evidence_nodes = tuple(sorted(factors))
        out = np.empty((size, len(targets)))
        checked = False
        for column, target in enumerate(targets):
            joint = self._contract(target, evidence_nodes, factors, do, tables, batched_tables, size)
            total = joint.sum(axis=1)
            if not checked:
                impossible = np.flatnonzero(~(total > 0.0))
                if impossible.size:
                    rows = [int(i) + offset for i in impossible]
                    raise ImpossibleEvidence(
                        "the evidence has probability zero under the model (for instance a node whose "
                        f"probability is 0 observed present): {self._describe(nodes, values, do, impossible[0])}",
                        rows)
                checked = True
            out[:, column] = joint[:, 1] / total
        return out

    def _describe(self, nodes: tuple[str, ...], values: np.ndarray, do: Mapping[str, bool], row: int) -> str:
        parts = [f"{n}={_reading_text(values[row, j])}" for j, n in enumerate(nodes)
                 if not np.isnan(values[row, j])]
        parts += [f"do({k}={'true' if v else 'false'})" for k, v in do.items()]
        return ", ".join(parts) or "no evidence"

    def _contract(self, target: str, evidence_nodes: tuple[str, ...], factors: Mapping[str, np.ndarray],
                  do: Mapping[str, bool], tables: Mapping[str, np.ndarray], batched_tables: bool,
                  size: int) -> np.ndarray:
        import opt_einsum

        families = self.compiled.families
        cut = tuple(sorted(do))
        relevant = self._relevant_nodes(target, evidence_nodes, cut)
        batch, sym = self._batch, self._symbol
        terms = [batch]
        operands: list[np.ndarray] = [np.ones(size)]
        for node in relevant:
            if node in do:
                terms.append(sym[node])
                operands.append(np.array([0.0, 1.0]) if do[node] else np.array([1.0, 0.0]))
                continue
            axes = "".join(sym[a] for a in (*families[node].parents, node))
            table = tables[node]
            if node in factors:
                # The evidence factor is folded into the node's own table: separate evidence
                # vectors sharing only the batch axis would tempt the planner into outer products.
                lam = factors[node]  # batch x 2
                if batched_tables:
                    table = table * lam.reshape((size, *([1] * len(families[node].parents)), 2))
                else:
                    table = table[None, ...] * lam.reshape((size, *([1] * len(families[node].parents)), 2))
                terms.append(batch + axes)
            else:
                terms.append((batch if batched_tables else "") + axes)
            operands.append(table)
        key = (target, evidence_nodes, cut, batched_tables, size)
        expression = self._expressions.get(key)
        if expression is None:
            subscripts = ",".join(terms) + "->" + batch + sym[target]
            expression = opt_einsum.contract_expression(subscripts, *[op.shape for op in operands],
                                                        optimize="greedy")
            self._expressions[key] = expression
        return np.asarray(expression(*operands))

    def _relevant_nodes(self, target: str, evidence_nodes: tuple[str, ...], cut: tuple[str, ...]) -> list[str]:
        """The ancestors of the target and the observed nodes, in the network cut at ``cut``."""
        key = (target, evidence_nodes, cut)
        found = self._relevant.get(key)
        if found is None:
            families = self.compiled.families
            seen = {target, *evidence_nodes}
            stack = list(seen)
            while stack:
                node = stack.pop()
                if node in cut:
                    continue
                for parent in families[node].parents:
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            found = [n for n in families if n in seen]
            self._relevant[key] = found
        return found


def _as_batch(evidence: Mapping[str, float] | EvidenceBatch | None) -> EvidenceBatch:
    if evidence is None:
        return EvidenceBatch((), np.empty((1, 0)))
    if isinstance(evidence, EvidenceBatch):
        readings = np.asarray(evidence.readings, dtype=float)
        if readings.ndim != 2 or readings.shape[1] != len(evidence.nodes):
            raise InferenceError(f"evidence readings must be rows x {len(evidence.nodes)} nodes")
        return EvidenceBatch(tuple(evidence.nodes), readings)
    values = {}
    for key, value in evidence.items():
        try:
            q = float(value)
        except (TypeError, ValueError):
            raise InferenceError(f"reading for {key} must be a probability in [0, 1], got {value!r}") from None
        if q != q:
            raise InferenceError(f"reading for {key} must be a probability in [0, 1], got {value!r}")
        values[key] = q
    return EvidenceBatch.single(values)


def _tensor(p_true: np.ndarray, parents: int) -> np.ndarray:
    """Rows of P(true | configuration) as tensors (rows, 2 per parent..., 2 for the node)."""
    rows = p_true.shape[0]
    stacked = np.stack([1.0 - p_true, p_true], axis=-1)  # rows x 2^k x 2
    return np.ascontiguousarray(stacked.reshape((rows, *([2] * parents), 2)))


def _reading_text(q: float) -> str:
    return "true" if q == 1.0 else "false" if q == 0.0 else f"{q:g}"
