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

**Families, for learning.** Expectation-maximisation needs, for every row r, the posterior joint of
each node's family (the node and its parents) given the row's evidence e_r. Every table f_n enters
the sum Z_r = P(e_r) once and linearly, so

    P(x_F, e_r) = f_F(x_F) * dZ_r / df_F(x_F)

and one contraction of Z followed by one backward pass through the same pairwise steps (reverse-mode
differentiation of the contraction, as automatic differentiation would do it) gives every family's
posterior at about three times the cost of Z alone, instead of one contraction per family.
Seeding the backward pass with w_r / Z_r sums the posteriors over rows with weights w_r: the
expected counts of every family configuration (:meth:`Engine.expected_counts`). Only the ancestors
of the observed nodes take part (a family with no observed descendant keeps its prior and is not
counted). These contractions are planned once per set of observed nodes and cached, like the
others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from .errors import InferenceError
from .model import CompiledNetwork

__all__ = ["Engine", "EvidenceBatch", "FamilyCounts", "ImpossibleEvidence"]

_CHUNK = 8192
# Rows per contraction of the family passes. Every intermediate of the forward pass is kept for the
# backward one; small chunks keep them in the processor's caches: on the review's network an E-step
# over 8,163 distinct rows took 0.52 s at 128 rows a chunk, 1.52 s at 1,024 and 2.37 s at 4,096.
_FAMILY_CHUNK = 128
#: Entries per evidence row of the largest intermediate above which a contraction's greedy order is
#: compared with randomised ones (2^12: twelve binary axes).
_GREEDY_WIDTH = 1 << 12


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


@dataclass(frozen=True)
class FamilyCounts:
    """Expected counts of every family configuration given weighted rows of evidence.

    ``counts[node]`` has one axis per parent (in the family's order) and a last one for the node,
    each indexed false, true: the weighted sum over rows of P(parents, node | row's evidence).
    Only families with an observed descendant (or observed themselves) are counted.
    """

    counts: dict[str, np.ndarray]
    log_likelihood: float  # sum over rows of weight * log P(row's evidence)
    weight: float  # sum of the weights


class Engine:
    """Exact posteriors on one compiled network, by tensor contraction (opt_einsum)."""

    def __init__(self, compiled: CompiledNetwork) -> None:
        self.compiled = compiled
        self._expressions: dict[tuple[Any, ...], Any] = {}
        self._relevant: dict[tuple[Any, ...], list[str]] = {}
        self._plans: dict[tuple[Any, ...], _Plan] = {}
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
                self._check_possible(total, nodes, values, do, offset)
                checked = True
            out[:, column] = joint[:, 1] / total
        return out

    def _check_possible(self, z: np.ndarray, nodes: tuple[str, ...], values: np.ndarray,
                        do: Mapping[str, bool], offset: int) -> None:
        """:class:`ImpossibleEvidence` naming the rows (counted from ``offset``) whose evidence has
        probability ``z`` zero (or NaN) under the model."""
        impossible = np.flatnonzero(~(z > 0.0))
        if impossible.size:
            raise ImpossibleEvidence(
                "the evidence has probability zero under the model (for instance a node whose "
                f"probability is 0 observed present): {self._describe(nodes, values, do, impossible[0])}",
                [int(i) + offset for i in impossible])

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
        relevant = self._relevant_nodes((target, *evidence_nodes), cut)
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
            shapes = [op.shape for op in operands]
            path, info = opt_einsum.contract_path(subscripts, *shapes, shapes=True, optimize="greedy")
            if info.largest_intermediate > _GREEDY_WIDTH * size:
                # The plain greedy order can build an intermediate over twenty and more nodes (many
                # observed outcomes do it on the review's network): the best of 16 randomised greedy
                # orders (seeded by their number, the same on every run) is used when it costs less.
                other, better = opt_einsum.contract_path(subscripts, *shapes, shapes=True,
                                                         optimize=opt_einsum.RandomGreedy(max_repeats=16))
                if better.opt_cost < info.opt_cost:
                    path = other
            expression = opt_einsum.contract_expression(subscripts, *shapes, optimize=path)
            self._expressions[key] = expression
        return np.asarray(expression(*operands))

    def _relevant_nodes(self, nodes: tuple[str, ...], cut: tuple[str, ...] = ()) -> list[str]:
        """The nodes and their ancestors in the network cut at ``cut`` (the incoming edges of the
        intervened nodes removed), in the network's order."""
        key = (tuple(sorted(set(nodes))), cut)
        found = self._relevant.get(key)
        if found is None:
            families = self.compiled.families
            seen = set(nodes)
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


    # -- families: posteriors and expected counts, by a backward pass --------------------------

    def log_likelihood(self, evidence: EvidenceBatch, theta: np.ndarray | None = None) -> np.ndarray:
        """log P(evidence of each row) under the parameter vector ``theta`` (the means if None)."""
        batch, vector = self._family_input(evidence, theta)
        out = np.empty(len(batch))
        tables = self._tables_for(vector)
        for start in range(0, len(batch), _FAMILY_CHUNK):
            block = batch.readings[start:start + _FAMILY_CHUNK]
            out[start:start + len(block)] = np.log(self._family_pass(batch.nodes, block, tables, (), None,
                                                                     False, start)[0])
        return out

    def expected_counts(self, evidence: EvidenceBatch, weights: np.ndarray | None = None,
                        theta: np.ndarray | None = None) -> FamilyCounts:
        """Every family's expected configuration counts: the sum over rows of weight * P(family | row).

        The E-step of expectation-maximisation; ``weights`` (one per row, default 1) let identical
        rows be given once with their multiplicity.
        """
        batch, vector = self._family_input(evidence, theta)
        rows = len(batch)
        w = np.ones(rows) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (rows,) or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise InferenceError(f"weights must be {rows} finite numbers >= 0")
        tables = self._tables_for(vector)
        counts: dict[str, np.ndarray] = {}
        total = 0.0
        for start in range(0, rows, _FAMILY_CHUNK):
            block = batch.readings[start:start + _FAMILY_CHUNK]
            z, joints = self._family_pass(batch.nodes, block, tables, (), w[start:start + len(block)],
                                          False, start)
            total += float(np.dot(w[start:start + len(block)], np.log(z)))
            for node, joint in joints.items():
                counts[node] = counts[node] + joint if node in counts else joint
        return FamilyCounts(counts, total, float(w.sum()))

    def family_posteriors(self, nodes: Sequence[str], evidence: EvidenceBatch,
                          theta: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """P(node's parents, node | each row's evidence), one array (rows, 2, ..., 2) per node.

        Axes: the rows, then the node's parents in its family's order, then the node (false, true).
        """
        batch, vector = self._family_input(evidence, theta)
        for node in nodes:
            if node not in self.compiled.families:
                self.check_node(node)
        tables = self._tables_for(vector)
        families = self.compiled.families
        out = {n: np.empty((len(batch), *([2] * (len(families[n].parents) + 1)))) for n in nodes}
        for start in range(0, len(batch), _FAMILY_CHUNK):
            block = batch.readings[start:start + _FAMILY_CHUNK]
            _, joints = self._family_pass(batch.nodes, block, tables, tuple(nodes), None, True, start)
            for node in nodes:
                out[node][start:start + len(block)] = joints[node]
        return out

    def _family_input(self, evidence: EvidenceBatch, theta: np.ndarray | None
                      ) -> tuple[EvidenceBatch, np.ndarray | None]:
        batch = _as_batch(evidence)
        self._check((), batch, {})
        if theta is None:
            return batch, None
        vector = np.asarray(theta, dtype=float)
        if vector.ndim == 2 and vector.shape[0] == 1:
            vector = vector[0]
        if vector.shape != (len(self.compiled.space),):
            raise InferenceError(f"one parameter vector of {len(self.compiled.space)} entries is needed, "
                                 f"got shape {vector.shape}")
        return batch, vector

    def _tables_for(self, theta: np.ndarray | None) -> dict[str, np.ndarray]:
        if theta is None:
            return self._point
        families = self.compiled.families
        return {n: _tensor(p, len(families[n].parents))[0]
                for n, p in self.compiled.p_true(theta[None, :]).items()}

    def _family_pass(self, nodes: tuple[str, ...], values: np.ndarray, tables: Mapping[str, np.ndarray],
                     wanted: tuple[str, ...], weights: np.ndarray | None, per_row: bool, offset: int
                     ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Z for each row and, unless ``weights`` and ``wanted`` are both empty, the families' joints.

        With ``per_row``, the posteriors of the ``wanted`` families for each row; otherwise, with
        ``weights``, every counted family's weighted sum over rows of its posterior.
        """
        size = values.shape[0]
        families = self.compiled.families
        observed = tuple(n for j, n in enumerate(nodes) if not np.isnan(values[:, j]).all())
        factors = {}
        for j, node in enumerate(nodes):
            if node in observed:
                q = values[:, j]
                seen = ~np.isnan(q)
                factors[node] = np.stack([np.where(seen, 1.0 - q, 1.0), np.where(seen, q, 1.0)], axis=1)
        relevant = self._relevant_nodes((*observed, *wanted))
        batch, sym = self._batch, self._symbol
        terms: list[str] = []
        operands: list[np.ndarray] = []
        for node in relevant:
            axes = "".join(sym[a] for a in (*families[node].parents, node))
            table = tables[node]
            k = len(families[node].parents)
            if node in factors:
                table = table[None, ...] * factors[node].reshape((size, *([1] * k), 2))
                terms.append(batch + axes)
            elif per_row:
                table = np.broadcast_to(table, (size, *table.shape))
                terms.append(batch + axes)
            else:
                terms.append(axes)
            operands.append(table)
        if not operands:  # no evidence and nothing wanted
            return np.ones(size), {}
        key = ("family", tuple(terms), size)
        plan = self._plans.get(key)
        if plan is None:
            plan = _Plan(terms, [op.shape for op in operands], batch)
            self._plans[key] = plan
        z, grads = plan.run(operands, size, lambda z: (1.0 / z) if weights is None else weights / z,
                            backward=weights is not None or bool(wanted))
        self._check_possible(z, nodes, values, {}, offset)
        if not grads:
            return z, {}
        joints: dict[str, np.ndarray] = {}
        for index, (node, sub) in enumerate(zip(relevant, terms, strict=True)):
            if per_row and node not in wanted:
                continue
            joint = operands[index] * grads[index]
            if sub.startswith(batch) and not per_row:
                joint = joint.sum(axis=0)
            joints[node] = joint
        return z, joints


class _Plan:
    """A contraction planned once: its pairwise steps, forward and backward, each a batched matrix
    product (:func:`_step`).

    The order is the best of 16 randomised greedy orders (opt_einsum's ``RandomGreedy``, each trial
    seeded by its number, so the plan is the same on every run): on the review's network, observing
    cargo and outcomes, a twentieth of the operations and a quarter of the largest intermediate of
    the plain greedy order the posteriors use, which matters once every intermediate is kept for the
    backward pass. The backward pass runs the
    steps in reverse: for a step C = sum A * B, dA = sum dC * B over the axes A shares with C or B,
    broadcast along the axes A alone sums out.
    """

    def __init__(self, terms: list[str], shapes: list[tuple[int, ...]], output: str) -> None:
        import opt_einsum

        _, info = opt_einsum.contract_path(",".join(terms) + "->" + output, *shapes, shapes=True,
                                           optimize=opt_einsum.RandomGreedy(max_repeats=16))
        self.output = output
        self.count = len(terms)
        live: list[tuple[str, tuple[int, ...], int]] = [(t, s, i) for i, (t, s) in enumerate(zip(terms, shapes, strict=True))]
        size = {c: n for t, s in zip(terms, shapes, strict=True) for c, n in zip(t, s, strict=True)}
        self.steps: list[tuple[tuple[int, ...], list[int], int, Any, list[tuple[Any, str, str]]]] = []
        ident = len(terms)
        for step in info.contraction_list:
            positions = tuple(step[0])
            inputs = [live.pop(p) for p in positions]
            out = step[2].split("->")[1]
            forward = _step(opt_einsum, [t for t, _, _ in inputs], [s for _, s, _ in inputs], out)
            backward = []
            out_shape = tuple(size[c] for c in out)
            for i, (sub, _, _) in enumerate(inputs):
                others = [(t, s) for j, (t, s, _) in enumerate(inputs) if j != i]
                present = "".join(c for c in sub if c in out or any(c in t for t, _ in others))
                expression = _step(opt_einsum, [out, *(t for t, _ in others)], [out_shape, *(s for _, s in others)],
                                   present)
                backward.append((expression, present, sub))
            self.steps.append((positions, [i for _, _, i in inputs], ident, forward, backward))
            live.append((out, out_shape, ident))
            ident += 1
        (self.last_terms, _, self.last), = live

    def run(self, operands: Sequence[np.ndarray], size: int, seed: Any, backward: bool
            ) -> tuple[np.ndarray, dict[int, np.ndarray]]:
        """Z (one value per row) and, with ``backward``, the gradient of sum_r seed(Z)_r Z_r with
        respect to each operand (by its position)."""
        values: dict[int, np.ndarray] = dict(enumerate(operands))
        live = list(range(self.count))
        for positions, _, ident, forward, _ in self.steps:
            inputs = [live.pop(p) for p in positions]
            values[ident] = np.asarray(forward(*(values[i] for i in inputs)))
            live.append(ident)
        z_array = values[self.last]
        batched = self.last_terms == self.output
        z = np.asarray(z_array, dtype=float).reshape(-1) if batched else np.full(size, float(z_array))
        if not backward or not np.all(z > 0.0):
            return z, {}
        weights = np.asarray(seed(z), dtype=float)
        grads: dict[int, np.ndarray] = {self.last: weights if batched else np.asarray(weights.sum())}
        for _, inputs, ident, _, steps in reversed(self.steps):
            upstream = grads.pop(ident)
            for i, (own, (expression, present, sub)) in enumerate(zip(inputs, steps, strict=True)):
                others = [values[j] for k, j in enumerate(inputs) if k != i]
                grad = np.asarray(expression(upstream, *others))
                if present != sub:  # axes summed within this input alone: flat along them
                    shape = values[own].shape
                    grad = np.broadcast_to(grad.reshape([n if c in present else 1 for c, n in zip(sub, shape, strict=True)]),
                                           shape)
                grads[own] = grads[own] + grad if own in grads else grad
        return z, grads


def _step(opt_einsum: Any, terms: list[str], shapes: list[tuple[int, ...]], out: str) -> Callable[..., np.ndarray]:
    """One step of a plan: a pairwise contraction as one batched matrix product (axes every operand
    and the output share are the batch; numpy's einsum does such products without BLAS, ten times
    slower and more), anything else by opt_einsum."""
    if len(terms) != 2:
        return cast(Callable[..., np.ndarray],
                    opt_einsum.contract_expression(",".join(terms) + "->" + out, *shapes))
    (a_sub, b_sub), (a_shape, b_shape) = terms, shapes
    size = {**dict(zip(a_sub, a_shape, strict=True)), **dict(zip(b_sub, b_shape, strict=True))}
    shared = [c for c in out if c in a_sub and c in b_sub]
    a_only = [c for c in out if c in a_sub and c not in b_sub]
    b_only = [c for c in out if c in b_sub and c not in a_sub]
    summed = [c for c in a_sub if c in b_sub and c not in out]
    # axes in one operand alone and not in the output are summed out of it first
    a_sum = tuple(i for i, c in enumerate(a_sub) if c not in out and c not in b_sub)
    b_sum = tuple(i for i, c in enumerate(b_sub) if c not in out and c not in a_sub)
    a_kept = [c for c in a_sub if c in out or c in b_sub]
    b_kept = [c for c in b_sub if c in out or c in a_sub]
    a_order = [a_kept.index(c) for c in (*shared, *a_only, *summed)]
    b_order = [b_kept.index(c) for c in (*shared, *summed, *b_only)]

    def count(axes: Sequence[str]) -> int:
        return int(np.prod([size[c] for c in axes], dtype=np.int64))

    matrix_a = (count(shared), count(a_only), count(summed))
    matrix_b = (count(shared), count(summed), count(b_only))
    made = [*shared, *a_only, *b_only]
    result_shape = [size[c] for c in made]
    result_order = [made.index(c) for c in out]

    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a_sum:
            a = a.sum(axis=a_sum)
        if b_sum:
            b = b.sum(axis=b_sum)
        product = np.matmul(a.transpose(a_order).reshape(matrix_a), b.transpose(b_order).reshape(matrix_b))
        return product.reshape(result_shape).transpose(result_order)

    return run


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
