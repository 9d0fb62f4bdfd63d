"""The one exact inference engine behind every command.

A posterior is a ratio of two sums over the network's joint distribution:

    P(T = t | e, do(D = d)) = sum_{x: T = t} prod_n f_n(x) prod_{v in E} lambda_v(x_v) / Z

where f_n is node n's table (replaced by the indicator of d_n for an intervened node: graph
surgery), lambda_v is the evidence factor of an observed node v ([0, 1] or [1, 0] for hard
evidence; [1 - q, q] for a reading q, a likelihood: q/(1 - q) is how much more likely the reading
is if v is true than if it is false; [1, 1] for "not observed") and Z is the same sum over every
t, the probability of the evidence. Only the ancestors of the targets and of the observed nodes
take part (every other node sums out to 1).

**One pass for every marginal.** Every asked node T gets an evidence factor too ([1, 1] when it is
not observed). Z is linear in each factor, so P(T = t, e) = lambda_T(t) dZ/dlambda_T(t): one
contraction of Z and one backward pass through the same pairwise steps (reverse-mode
differentiation of the contraction) give every marginal at once, as a junction tree's collect and
distribute do; likewise every table's derivative, P(x_F, e) = f_F(x_F) dZ/df_F(x_F) for the family
F of each node, which is what learning needs (:meth:`Engine.expected_counts`) and, chained with
each table's derivative in the parameters, the exact derivatives of a posterior
(:meth:`Engine.derivatives`). Seeding the backward pass with w_r / Z_r sums over rows with weights
w_r.

**Plans.** A contraction is planned once for one row (no batch axis) and run over any batch: an
elimination order by greedy minimum fill on the moral graph of the operands (ties broken by the
network's order, so a plan never depends on the interpreter's hash seed), each eliminated node's
factors multiplied pairwise, as batched matrix products, and summed out. A plan depends only on the
network's structure and on which nodes are asked, observed, sliced and intervened on; it is kept
in a cache shared by every engine on the same structure (a network with fitted tables reuses its
plans), and a plan holds operand positions, not nodes, so passes of the same shape share one
(:func:`_plan_for`). The batch axis (one row per profile, or per parameter vector: intervals,
learning) is carried by the evidence factors and, for parameter vectors, by the tables. A query of
many targets on a large network is answered by passes over parts where they keep less than one
pass over the whole (:meth:`Engine._passes`); a lower bound on the whole's treewidth
(:func:`_width_at_least`) skips planning a whole that cannot win, and an ordering is given up as
soon as it is known to lose.

**Fixed values are sliced out.** A node observed hard (0 or 1) in every row, or intervened on, is
no vertex of the plan: every table holding it is sliced at its value (row by row where the rows
differ), so its edges vanish from the moral graph (exact: the sum keeps only the configurations the
evidence allows). A cohort observing its cargo and outcomes leaves only the network between them
to eliminate: on bench/bench_growth.py's random networks an E-step row keeps 1.2 MiB at 1,200
nodes, where the pass over every node needed more memory than exists. Intervening by slicing is
graph surgery too: the intervened node's own table is dropped. Rows falling into a few groups by
which nodes they observe hard (cohorts measured on different panels), or into large groups
beside a scatter of others (complete rows beside rows missing values here and there), get a pass
each (:meth:`Engine._groups`).

**Memory.** Every intermediate of the forward pass is kept for the backward one. Rows are run in
chunks that keep those intermediates and their derivatives within a memory budget
(:data:`DEFAULT_MEMORY_BUDGET`, 256 MiB; ``Engine(memory_budget=...)`` or the environment variable
``EXOREASON_MEMORY_MB`` overrides it). A query whose single row needs more than the budget is
answered by importance sampling instead (:meth:`Engine.posteriors` says so through
:attr:`Engine.last_method`; see :func:`approximate_posteriors`), and so is an E-step
(:meth:`Engine.expected_counts`, whose :attr:`FamilyCounts.method` says so; see
:func:`approximate_counts`), unless its rows each miss only a few values: those are completed
with every assignment, exactly (:meth:`Engine._completed_counts`).

Evidence and interventions are checked here, once, for every command: an unknown node, a reading
outside [0, 1], a node both observed and intervened on, and evidence of probability zero under the
model are each one :class:`~exoreason.errors.InferenceError`. No answer is ever NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import prod
from typing import Any

import numpy as np

from .errors import InferenceError
from .model import CompiledNetwork
from .network import closure

__all__ = ["DEFAULT_MEMORY_BUDGET", "Engine", "EvidenceBatch", "FamilyCounts", "ImpossibleEvidence",
           "approximate_counts", "approximate_family_posteriors", "approximate_posteriors", "default_memory_budget",
           "engine_for", "one_blas_thread"]


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
    method: str = "exact"  # or the approximate method, when the exact pass is over the budget

    def __add__(self, other: FamilyCounts) -> FamilyCounts:
        """The counts of two sets of rows together (chunks of one cohort, or several cohorts): the
        E-step's summaries add, as sufficient statistics do."""
        counts = dict(self.counts)
        for node, table in other.counts.items():
            counts[node] = counts[node] + table if node in counts else table
        method = self.method if self.method != "exact" else other.method
        return FamilyCounts(counts, self.log_likelihood + other.log_likelihood, self.weight + other.weight, method)


#: Bytes the kept intermediates of one chunk of rows may take (overridable per engine and by the
#: environment variable ``EXOREASON_MEMORY_MB``).
DEFAULT_MEMORY_BUDGET = 256 << 20
#: Bytes of kept intermediates a chunk aims at, within the budget: chunks that stay near the
#: processor's caches run faster. On a random 75-node network (bench/bench_growth.py's shape) an
#: E-step over 1,000 rows took 3.0 s at 4 MiB, 1.9 s at 16 MiB and 2.9 s at 64 MiB; 2,000
#: profiles 0.32, 0.28 and 0.38 s.
_WORKING = 16 << 20
#: ... and at least this much a step of the plan: each step costs a fixed time (Python and numpy's
#: dispatch, some 10 us) whatever its rows, so a plan of many steps wants more rows a chunk. On
#: bench/bench_growth.py's 600-node network (886 steps, 207 KiB a row) 10,000 profiles observing
#: every cargo took 12.1 s at 4 MiB, 4.7 s at 16 MiB, 2.8 s at 64 MiB and 2.5 s at 128 MiB; the
#: 75-node network's (109 steps, 12 KiB a row) 0.19-0.23 s at any.
_STEP_WORKING = 64 << 10
#: Rows of one chunk at most, however small the rows.
_MAX_ROWS = 8192
#: Rows from which hard evidence is always sliced out of a pass (see Engine._worth_slicing).
_SLICE_ROWS = 64
#: Groups of rows by the nodes they observe hard, at most, that are answered by a pass each (each
#: is planned; beyond, one pass answers every row).
_GROUPS = 8
#: With more than _GROUPS sets of hard nodes, the share of the rows a set needs for a group of its own.
_GROUP_SHARE = 0.05
#: Samples per row of the approximate method, and its seed (the same answer on every run).
SAMPLES = 100_000
#: Samples per row of the approximate E-step.
COUNT_SAMPLES = 2_000
#: Completions of a row's missing values an E-step over the budget enumerates, at most (all of
#: them: exact; see Engine._completed_counts).
_COMPLETIONS = 64
_SEED = 20_260_101
#: Above this many neighbours a node's fill is not counted (bounded by a clique's edges instead):
#: counting costs the square of the degree, and such nodes are eliminated last anyway.
_FILL_DEGREE = 24
#: A query's one pass keeping fewer bytes than this (a row's intermediates and derivatives) is
#: not compared with passes over parts: planning those would cost more than it could save.
_SPLIT_FROM = 1 << 20
_BATCH = -1  # the label of the batch axis in a plan
#: A plan keeping more bytes a row than this is also ordered with the batch axis as a vertex.
_REORDER_FROM = 64 << 10


def default_memory_budget() -> int:
    """The default budget in bytes: ``EXOREASON_MEMORY_MB`` (mebibytes) if set, else 256 MiB."""
    import os

    text = os.environ.get("EXOREASON_MEMORY_MB", "").strip()
    if not text:
        return DEFAULT_MEMORY_BUDGET
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (value > 0 and np.isfinite(value)):
        raise InferenceError(f"EXOREASON_MEMORY_MB must be a positive number of mebibytes, got {text!r}")
    return int(value * (1 << 20))


_CONTROLLER: list[Any] = []


def one_blas_thread(rows: int) -> Any:
    """A context limiting BLAS to one thread for a pass over ``rows`` rows (none for fewer than
    :data:`_THREADED_ROWS`: making the controller costs a tenth of a second, more than a single
    query takes). The passes multiply many small matrices, where threads cost more than they give
    (bench/bench_threads.py, 2,000 distinct rows: an E-step 0.96x and a batch of 10,000 profiles
    0.87x the time taken with the default two threads)."""
    import contextlib

    if rows < _THREADED_ROWS:
        return contextlib.nullcontext()
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")


_THREADED_ROWS = 256


#: Plans by network structure, then by query layout: shared by every engine on the same structure,
#: for the last :data:`_STRUCTURES` structures.
_STRUCTURES = 16
_PLANS: dict[tuple[Any, ...], dict[tuple[Any, ...], _Plan]] = {}


class Engine:
    """Exact posteriors on one compiled network, by one forward-backward contraction per query."""

    def __init__(self, compiled: CompiledNetwork, memory_budget: int | None = None) -> None:
        self.compiled = compiled
        self.memory_budget = int(memory_budget) if memory_budget is not None else default_memory_budget()
        if self.memory_budget <= 0:
            raise InferenceError(f"the memory budget must be a positive number of bytes, got {memory_budget!r}")
        families = compiled.families
        self._index = {n: i for i, n in enumerate(families)}
        self._family = {n: (*f.parents, n) for n, f in families.items()}
        structure = tuple((n, f.parents) for n, f in families.items())
        if structure not in _PLANS and len(_PLANS) >= _STRUCTURES:
            del _PLANS[next(iter(_PLANS))]  # the structure cached first
        self._plans = _PLANS.setdefault(structure, {})
        self._relevant: dict[tuple[Any, ...], list[str]] = {}
        self._worth: dict[tuple[Any, ...], bool] = {}
        self._chosen: dict[tuple[Any, ...], list[tuple[list[str], tuple[str, ...], _Plan]]] = {}
        self._point = {n: _tensor(compiled.tables[n].p_true[None, :], len(f.parents))[0]
                       for n, f in families.items()}
        #: How the last call of :meth:`posteriors` answered: "exact", or the approximate method.
        self.last_method = "exact"

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

    def _theta_rows(self, theta: np.ndarray | None, batch: EvidenceBatch) -> tuple[EvidenceBatch, np.ndarray | None]:
        """The evidence repeated for every parameter vector when one row is given for many."""
        if theta is None:
            return batch, None
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        if theta.ndim != 2 or theta.shape[1] != len(self.compiled.space):
            raise InferenceError(f"a parameter vector has {len(self.compiled.space)} entries, "
                                 f"got {theta.shape[-1]}")
        rows = len(batch)
        if rows == 1 and theta.shape[0] > 1:
            batch = EvidenceBatch(batch.nodes, np.repeat(batch.readings, theta.shape[0], axis=0))
        elif theta.shape[0] not in (1, rows):
            raise InferenceError(f"{theta.shape[0]} parameter vectors for {rows} evidence rows")
        return batch, theta

    # -- posteriors: every marginal of a query in one pass ------------------------------------

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
        batch, theta = self._theta_rows(theta, batch)
        rows = len(batch)
        targets = list(targets)
        observed = self._observed(batch)
        cut = tuple(sorted(do))
        open_targets = tuple(dict.fromkeys(t for t in targets if t not in do))
        whole = self._relevant_nodes((*open_targets, *observed), cut)
        whole_factors = tuple(dict.fromkeys((*open_targets, *observed)))
        worth = self._worth_slicing(whole, cut, rows, whole_factors)
        groups = self._groups(batch) if theta is None and worth else None
        if groups:
            out = np.empty((rows, len(targets)))
            for found, part in zip(self._each_group(groups, batch, lambda b, _: self.posteriors(targets, b, do)),
                                   groups, strict=True):
                out[part] = found
            return out
        slices = self._slices_for(batch, do, whole, whole_factors)
        asked = tuple(dict.fromkeys(t for t in targets if t not in slices.nodes))
        out = np.empty((rows, len(targets)))
        for column, target in enumerate(targets):
            if target in slices.nodes:  # intervened on, or observed hard in every row
                out[:, column] = slices.value(target, 0, rows)
        self.last_method = "exact"
        if not asked and not observed:
            return out
        rowed = theta is not None and theta.shape[0] > 1
        passes = self._passes(asked, observed, cut, slices, rowed)
        largest = max(passes, key=lambda p: p[2].fixed_bytes + p[2].row_bytes)[2]
        if largest.fixed_bytes + largest.row_bytes > self.memory_budget:
            return self._approximate(targets, batch, do, theta, largest, out)
        columns: dict[str, list[int]] = {}
        for column, target in enumerate(targets):
            if target in asked:
                columns.setdefault(target, []).append(column)
        impossible: list[int] = []
        for relevant, factors, plan in passes:
            batched = frozenset(relevant) if rowed else frozenset()
            chunk = self._rows_per_chunk(plan)
            first = len(relevant)
            with one_blas_thread(rows):
                for start in range(0, rows, chunk):
                    stop = min(rows, start + chunk)
                    lam = self._factors(factors, batch, start, stop)
                    tables = self._chunk_tables(theta, start, stop)
                    operands = self._operands(relevant, cut, tables, batched, lam, slices, start, stop)
                    values, z = plan.forward(operands, stop - start)
                    impossible += _zero_rows(z, start)
                    if impossible or not any(t in columns for t in factors):
                        continue
                    grads = plan.backward(values, 1.0 / z)
                    for i, node in enumerate(factors):
                        if node in columns:
                            joint = lam[i] * grads[first + i]
                            out[start:stop, columns[node]] = (joint[:, 1] / joint.sum(axis=1))[:, None]
        self._check_possible(impossible, batch.nodes, batch.readings, do)
        return out

    def _passes(self, asked: tuple[str, ...], observed: tuple[str, ...], cut: tuple[str, ...], slices: _Slices,
                rowed: bool) -> list[tuple[list[str], tuple[str, ...], _Plan]]:
        """The passes answering a query: (relevant nodes, evidence factors, plan) for each.

        ``asked`` holds no sliced node (see :class:`_Slices`); the observed ones among ``observed``
        have no evidence factor. One pass over the ancestors of every target and observed node,
        unless it keeps more than :data:`_SPLIT_FROM` bytes and passes over parts cost less: then
        each target not already inside a chosen part gets its own, the part of its ancestors' and
        the evidence's moral graph connected to it (evidence in no such part is checked by one
        pass of its own). A target inside a part rides along at no extra width. The cost of a pass
        is the entries its plan keeps for one row.
        """
        key = (asked, observed, cut, slices.key, rowed)
        found = self._chosen.get(key)
        if found is not None:
            return found
        open_observed = tuple(n for n in observed if n not in slices.nodes)

        def make(relevant: list[str], factors: tuple[str, ...], bound: int | None = None
                 ) -> tuple[list[str], tuple[str, ...], _Plan | None]:
            batched = frozenset(relevant) if rowed else frozenset()
            return relevant, factors, self._bounded_plan(relevant, cut, factors, batched, slices, bound)

        def cost(plan: _Plan) -> int:
            return plan.row_bytes + plan.fixed_bytes

        def planned(found: tuple[list[str], tuple[str, ...], _Plan | None]) -> tuple[list[str], tuple[str, ...], _Plan]:
            assert found[2] is not None
            return found[0], found[1], found[2]

        whole_nodes = self._relevant_nodes((*asked, *observed), cut)
        whole_factors = tuple(dict.fromkeys((*asked, *open_observed)))
        if len(asked) < 2:
            self._chosen[key] = [planned(make(whole_nodes, whole_factors))]
            return self._chosen[key]
        # The whole pass, given up once it passes _SPLIT_FROM bytes: then the parts are planned,
        # and the whole again, given up once it costs more than they do. Neither is tried where
        # the whole's treewidth alone shows it would cost more.
        least = 16 << _width_at_least(self._scopes(whole_nodes, cut, slices))
        whole = make(whole_nodes, whole_factors, _SPLIT_FROM) if least <= _SPLIT_FROM else (whole_nodes, (), None)
        chosen = [planned(whole)] if whole[2] is not None else []
        if not chosen:
            parts: list[tuple[set[str], list[str]]] = []
            ranked = sorted(asked, key=lambda t: (-len(self._relevant_nodes((t,), cut)), self._index[t]))
            for target in ranked:
                home = next((members for part, members in parts if target in part), None)
                if home is not None:
                    home.append(target)
                else:
                    parts.append((self._component(target, observed, cut, slices), [target]))
            covered: set[str] = set().union(*(part for part, _ in parts))
            alone = tuple(n for n in observed if n not in covered)
            split = []
            for part, members in parts:
                relevant = [n for n in self._index if n in part]
                # an observed node asked too is one factor, not two (its reading counts once)
                split.append(planned(make(relevant, tuple(dict.fromkeys(
                    (*members, *(n for n in open_observed if n in part)))))))
            if alone:
                split.append(planned(make(self._relevant_nodes(alone, cut),
                                          tuple(n for n in alone if n not in slices.nodes))))
            total = sum(cost(p[2]) for p in split)
            if len(split) == 1:
                whole = make(whole_nodes, whole_factors)
            elif least <= total:
                whole = make(whole_nodes, whole_factors, total)
            chosen = [planned(whole)] if whole[2] is not None else split
        self._chosen[key] = chosen
        return chosen

    def _component(self, target: str, observed: tuple[str, ...], cut: tuple[str, ...], slices: _Slices) -> set[str]:
        """The nodes the moral graph of the ancestors of ``target`` and the observed nodes (cut at
        the intervened ones) connects to ``target``. A sliced node is no vertex of its children's
        families; its own table joins its other parents (and the node, to count its table in)."""
        families = self.compiled.families
        nodes = set(self._relevant_nodes((target, *observed), cut))
        near: dict[str, set[str]] = {n: set() for n in nodes}
        for node in nodes:
            if node in cut:
                continue
            family = (*(a for a in families[node].parents if a not in slices.nodes), node)
            for a in family:
                near[a].update(family)
        return closure([target], near.__getitem__)

    def posterior_dict(self, targets: Sequence[str], evidence: Mapping[str, float] | None = None,
                       do: Mapping[str, bool] | None = None) -> dict[str, float]:
        """One row's posteriors as {target: P(true)}."""
        values = self.posteriors(targets, evidence, do)[0]
        return {t: float(v) for t, v in zip(targets, values, strict=True)}

    def derivatives(self, targets: Sequence[str], evidence: Mapping[str, float] | None = None,
                    do: Mapping[str, bool] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """P(target = true | evidence, do) and its exact derivative in every parameter.

        Returns (posteriors (targets,), derivatives (targets, parameters)). One pass over 1 + T
        rows: the evidence, then the evidence with each target observed true. With Z_0 and Z_j
        their probabilities, P_j = Z_j / Z_0 and dP_j/df = P_j (dlog Z_j/df - dlog Z_0/df) for
        every table entry f, from the backward pass; each table entry's derivative in the
        parameters of its family is exact too (complex-step differentiation of the family's
        formula, which is a polynomial in them).
        """
        if self.compiled.fitted:
            self.compiled.p_true(self.compiled.space.means[None, :])  # raises: fitted tables
        batch = _as_batch(evidence)
        do = dict(do or {})
        self._check(targets, batch, do)
        targets = list(targets)
        asked = tuple(dict.fromkeys(t for t in targets if t not in do))
        size = 1 + len(asked)
        space = self.compiled.space
        posterior = np.array([float(do[t]) if t in do else 0.0 for t in targets])
        derivative = np.zeros((len(targets), len(space)))
        if not asked:
            return posterior, derivative
        observed = self._observed(batch)
        cut = tuple(sorted(do))
        relevant = self._relevant_nodes((*asked, *observed), cut)
        slices = self._slices_for(batch, do, relevant, tuple(dict.fromkeys((*asked, *observed))), keep=asked)
        factors = tuple(dict.fromkeys((*asked, *(n for n in observed if n not in slices.nodes))))
        batched = frozenset(n for n in relevant if n not in do)
        plan = self._plan(relevant, cut, factors, batched, slices)
        lam = self._factors(factors, batch, 0, 1)
        lam = [np.repeat(f, size, axis=0) for f in lam]
        for j in range(len(asked)):
            lam[j] = lam[j].copy()
            lam[j][1 + j, 0] = 0.0  # row 1 + j: the target observed true as well
        tables = {n: np.broadcast_to(t, (size, *t.shape)) for n, t in self._point.items() if n in batched}
        values, z = plan.forward(self._operands(relevant, cut, tables, batched, lam, slices, 0, size), size)
        self._check_possible(_zero_rows(z[:1], 0), batch.nodes, batch.readings, do)
        with np.errstate(divide="ignore"):
            grads = plan.backward(values, np.where(z > 0, 1.0 / z, 0.0))
        p = z[1:] / z[0]
        for j, target in enumerate(asked):
            posterior[targets.index(target)] = p[j]
        gradient = np.zeros((len(asked), len(space)))
        for position, node in enumerate(relevant):
            if node in do:
                continue
            family = self.compiled.families[node]
            indices = [i for i in (family.leak, *family.weights, family.gate) if i >= 0]
            if not indices:
                continue
            whole = np.zeros((size, *([2] * len(self._family[node]))))
            _unslice(grads[position], True, self._family[node], slices, 0, size, whole)
            g = whole.reshape(size, -1, 2)
            slope = g[:, :, 1] - g[:, :, 0]  # d log Z / d P(node = true | configuration)
            per_p = p[:, None] * (slope[1:] - slope[:1])  # dP_j / dP(true | configuration)
            gradient[:, indices] += per_p @ _family_jacobian(family, space.means, indices).T
        for j, target in enumerate(asked):
            for column, name in enumerate(targets):
                if name == target:
                    derivative[column] = gradient[j]
        return posterior, derivative

    # -- families: posteriors and expected counts, from the same pass --------------------------

    def log_likelihood(self, evidence: EvidenceBatch, theta: np.ndarray | None = None) -> np.ndarray:
        """log P(evidence of each row) under the parameter vector ``theta`` (the means if None)."""
        batch, vector = self._family_input(evidence, theta)
        observed = self._observed(batch)
        out = np.zeros(len(batch))
        if not observed:
            return out
        relevant = self._relevant_nodes(observed)
        groups = self._groups(batch) if self._worth_slicing(relevant, (), len(batch), observed) else None
        if groups:
            for found, part in zip(self._each_group(groups, batch, lambda b, _: self.log_likelihood(b, vector)),
                                   groups, strict=True):
                out[part] = found
            return out
        slices = self._slices_for(batch, {}, relevant, observed)
        factors = tuple(n for n in observed if n not in slices.nodes)
        plan = self._plan(relevant, (), factors, frozenset(), slices)
        self._within_budget(plan)
        _, z = self._count_pass(batch, None, self._tables_for(vector), relevant, factors, slices, plan)
        return np.log(z)

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
        observed = self._observed(batch)
        if not observed:
            return FamilyCounts({}, 0.0, float(w.sum()))
        groups = self._groups(batch) if self._worth_slicing(self._relevant_nodes(observed), (), rows, observed) \
            else None
        if groups:  # every group counts the families the whole batch counts
            parts = self._each_group(groups, batch, lambda b, rows: self._counts(b, w[rows], vector, observed))
            return sum(parts[1:], parts[0])
        return self._counts(batch, w, vector, observed)

    def _counts(self, batch: EvidenceBatch, w: np.ndarray, vector: np.ndarray | None, counted: tuple[str, ...]
                ) -> FamilyCounts:
        """:meth:`expected_counts` of one pass, counting the families of ``counted`` and of their
        ancestors (the nodes observed in some row of the whole batch). Beyond the memory budget,
        each row's few missing values are completed (:meth:`_completed_counts`), else every row
        is sampled (:func:`approximate_counts`)."""
        rows = len(batch)
        observed = self._observed(batch)
        relevant = self._relevant_nodes(counted)
        slices = self._slices_for(batch, {}, relevant, observed)
        factors = tuple(n for n in observed if n not in slices.nodes)
        plan = self._plan(relevant, (), factors, frozenset(), slices)
        tables = self._tables_for(vector)
        need = plan.fixed_bytes + plan.row_bytes
        if need > self.memory_budget:
            completed = self._completed_counts(batch, w, tables, counted)
            if completed is not None:
                return completed
            found = approximate_counts(self.compiled, {n: t[..., 1].reshape(-1) for n, t in tables.items()},
                                       batch, w, counted=counted)
            method = (f"importance sampling ({COUNT_SAMPLES:,} samples a row, {rows:,} rows): the exact pass needs "
                      f"{need / (1 << 20):,.0f} MiB a row, over the budget of "
                      f"{self.memory_budget / (1 << 20):,.0f} MiB")
            return FamilyCounts(found.counts, found.log_likelihood, found.weight, method)
        counts, z = self._count_pass(batch, w, tables, relevant, factors, slices, plan)
        return FamilyCounts(counts, float(np.dot(w, np.log(z))), float(w.sum()))

    def _count_pass(self, batch: EvidenceBatch, w: np.ndarray | None, tables: Mapping[str, np.ndarray],
                    relevant: list[str], factors: tuple[str, ...], slices: _Slices, plan: _Plan,
                    check: bool = True) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Each family's counts weighted by ``w`` (None: no counts, Z alone) and each row's Z, by one
        pass of ``plan``; with ``check``, evidence of probability zero is an error, else its row
        has Z = 0 and adds nothing."""
        rows = len(batch)
        counts = {n: np.zeros([2] * len(self._family[n])) for n in relevant}
        out = np.empty(rows)
        chunk = self._rows_per_chunk(plan)
        impossible: list[int] = []
        with one_blas_thread(rows):
            for start in range(0, rows, chunk):
                stop = min(rows, start + chunk)
                lam = self._factors(factors, batch, start, stop)
                operands = self._operands(relevant, (), tables, frozenset(), lam, slices, start, stop)
                values, z = plan.forward(operands, stop - start)
                out[start:stop] = z
                if check:
                    impossible += _zero_rows(z, start)
                if w is None or impossible:  # once a row is impossible, only the others' Z are wanted
                    continue
                with np.errstate(divide="ignore", invalid="ignore"):
                    seed = np.where(z > 0, w[start:stop] / z, 0.0)
                grads = plan.backward(values, seed)
                for position, node in enumerate(relevant):
                    _unslice(operands[position] * grads[position], plan.rowed[position], self._family[node], slices,
                             start, stop, counts[node], add=True)
        self._check_possible(impossible, batch.nodes, batch.readings, {})
        return counts, out

    def _completed_counts(self, batch: EvidenceBatch, w: np.ndarray, tables: Mapping[str, np.ndarray],
                          counted: tuple[str, ...]) -> FamilyCounts | None:
        """Exact counts over the budget where rows miss a few values each, different ones: each row
        is completed with every assignment of its missing values (P(family, e) is the sum over
        completions c of P(family, e, c)); the completed rows observe every column hard, so their
        pass slices them all out. None where a row misses more than log2 :data:`_COMPLETIONS`
        values, no value is missing, or the completed pass is still over the budget. (Drawing
        completions instead, 64 a row uniformly, erred 0.02 a family count a row on 40 rows
        missing 10 cargo each, twice the error of sampling the whole network.)"""
        columns = [j for j, n in enumerate(batch.nodes) if not np.isnan(batch.readings[:, j]).all()]
        values = batch.readings[:, columns]
        missing = np.isnan(values)
        if not missing.any():
            return None
        most = int(missing.sum(axis=1).max())
        if (1 << min(most, 62)) > _COMPLETIONS:
            return None
        blocks, owners = [], []
        for r in range(len(values)):
            gaps = np.flatnonzero(missing[r])
            fills = ((np.arange(1 << len(gaps))[:, None] >> np.arange(len(gaps))) & 1).astype(float)
            block = np.repeat(values[r][None, :], len(fills), axis=0)
            block[:, gaps] = fills
            blocks.append(block)
            owners.append(np.full(len(fills), r))
        owner = np.concatenate(owners)
        expanded = EvidenceBatch(tuple(batch.nodes[j] for j in columns), np.vstack(blocks))
        observed = self._observed(expanded)
        relevant = self._relevant_nodes(counted)
        slices = _slicing(expanded, {})
        factors = tuple(n for n in observed if n not in slices.nodes)
        plan = self._plan(relevant, (), factors, frozenset(), slices)
        if plan.fixed_bytes + plan.row_bytes > self.memory_budget:
            return None
        _, z = self._count_pass(expanded, None, tables, relevant, factors, slices, plan, check=False)
        total = np.bincount(owner, weights=z, minlength=len(values))
        self._check_possible(_zero_rows(total, 0), batch.nodes, batch.readings, {})
        share = w[owner] * z / total[owner]
        counts, _ = self._count_pass(expanded, share, tables, relevant, factors, slices, plan, check=False)
        return FamilyCounts(counts, float(np.dot(w, np.log(total))), float(w.sum()))

    def family_posteriors(self, nodes: Sequence[str], evidence: EvidenceBatch,
                          theta: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """P(node's parents, node | each row's evidence), one array (rows, 2, ..., 2) per node.

        Axes: the rows, then the node's parents in its family's order, then the node (false, true).
        Beyond the memory budget they are sampled (:func:`approximate_family_posteriors`) and
        :attr:`last_method` says so.
        """
        batch, vector = self._family_input(evidence, theta)
        for node in nodes:
            if node not in self.compiled.families:
                self.check_node(node)
        families = self.compiled.families
        rows = len(batch)
        out = {n: np.zeros((rows, *([2] * (len(families[n].parents) + 1)))) for n in nodes}
        observed = self._observed(batch)
        relevant = self._relevant_nodes((*observed, *nodes))
        groups = self._groups(batch) if self._worth_slicing(relevant, (), rows, observed) else None
        if groups:
            for found, part in zip(self._each_group(groups, batch, lambda b, _: self.family_posteriors(nodes, b, vector)),
                                   groups, strict=True):
                for node in nodes:
                    out[node][part] = found[node]
            return out
        wanted = frozenset(nodes)
        slices = self._slices_for(batch, {}, relevant, observed)
        factors = tuple(n for n in observed if n not in slices.nodes)
        plan = self._plan(relevant, (), factors, wanted, slices)
        tables = self._tables_for(vector)
        self.last_method = "exact"
        need = plan.fixed_bytes + plan.row_bytes
        if need > self.memory_budget:
            self.last_method = (f"importance sampling ({COUNT_SAMPLES:,} samples a row): the exact pass needs "
                                f"{need / (1 << 20):,.0f} MiB a row, over the budget of "
                                f"{self.memory_budget / (1 << 20):,.0f} MiB")
            return approximate_family_posteriors(self.compiled, {n: t[..., 1].reshape(-1) for n, t in tables.items()},
                                                 nodes, batch)
        chunk = self._rows_per_chunk(plan)
        impossible: list[int] = []
        with one_blas_thread(rows):
            for start in range(0, rows, chunk):
                stop = min(rows, start + chunk)
                size = stop - start
                lam = self._factors(factors, batch, start, stop)
                rowed = {n: np.broadcast_to(tables[n], (size, *tables[n].shape)) for n in wanted}
                operands = self._operands(relevant, (), {**tables, **rowed}, wanted, lam, slices, start, stop)
                values, z = plan.forward(operands, size)
                impossible += _zero_rows(z, start)
                if impossible:
                    continue
                grads = plan.backward(values, 1.0 / z)
                for position, node in enumerate(relevant):
                    if node in wanted:
                        _unslice(operands[position] * grads[position], True, self._family[node], slices, start, stop,
                                 out[node][start:stop])
        self._check_possible(impossible, batch.nodes, batch.readings, {})
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

    # -- the pieces of a pass -----------------------------------------------------------------

    def _worth_slicing(self, relevant: list[str], cut: tuple[str, ...], rows: int, factors: tuple[str, ...]) -> bool:
        """Whether to slice hard evidence out of a pass over ``relevant`` (see :class:`_Slices`):
        for :data:`_SLICE_ROWS` rows and more, and for fewer where the pass keeping the evidence
        as factors (``factors``) is wide: it keeps more than :data:`_SPLIT_FROM` bytes (the
        treewidth's lower bound shows it at once on a large network; else it is planned, given
        up at that size). A sliced plan is made for the evidence's nodes; the plan keeping them
        as factors serves every query asking the same nodes, which on a narrow network costs
        less than planning again (bench/bench_engine.py: 20 single queries on the shipped
        network). The decision is kept for the layout."""
        if rows >= _SLICE_ROWS:
            return True
        key = (tuple(relevant), cut, factors)
        found = self._worth.get(key)
        if found is None:
            none = _interventions(dict.fromkeys(cut, False))  # the values do not change the scopes
            least = 16 << _width_at_least(self._scopes(relevant, cut, none))
            found = least > _SPLIT_FROM or \
                self._bounded_plan(relevant, cut, factors, frozenset(), none, _SPLIT_FROM) is None
            self._worth[key] = found
        return found

    def _slices_for(self, batch: EvidenceBatch, do: Mapping[str, bool], relevant: list[str],
                    factors: tuple[str, ...], keep: Sequence[str] = ()) -> _Slices:
        """The nodes to slice out of a pass over ``relevant``: the intervened ones, and the hard
        evidence where :meth:`_worth_slicing`."""
        found = _slicing(batch, do, keep)
        if len(found.nodes) == len(do) or self._worth_slicing(relevant, tuple(sorted(do)), len(batch), factors):
            return found
        return _interventions(do)

    @staticmethod
    def _groups(batch: EvidenceBatch) -> list[np.ndarray] | None:
        """The rows grouped by which nodes they observe hard: each group's pass slices out its own
        hard nodes (see :class:`_Slices`), where one pass over every row slices only the nodes
        every row observes hard. With 2 to :data:`_GROUPS` such sets of nodes, a group each
        (cohorts measured on a few panels); with more, a group for each set held by at least
        :data:`_GROUP_SHARE` of the rows and :data:`_SLICE_ROWS` rows (up to :data:`_GROUPS` - 1
        of them, the largest) and one
        for the other rows (a cohort whose rows are mostly complete, a few missing values here and
        there: the complete rows are answered exactly even where the others must be sampled).
        None when no such grouping exists (rows missing values at random: one pass)."""
        if len(batch) < 2 or not batch.nodes:
            return None
        values = batch.readings
        hard = (values == 0.0) | (values == 1.0)
        patterns, inverse, sizes = np.unique(hard, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        if len(patterns) == 1:
            return None
        if len(patterns) <= _GROUPS:
            return [np.flatnonzero(inverse == g) for g in range(len(patterns))]
        large = [int(g) for g in np.argsort(-sizes, kind="stable")[:_GROUPS - 1]
                 if sizes[g] >= max(_GROUP_SHARE * len(batch), _SLICE_ROWS)]
        if not large:
            return None
        groups = [np.flatnonzero(inverse == g) for g in large]
        rest = np.flatnonzero(~np.isin(inverse, large))
        return [*groups, rest]

    def _each_group(self, groups: list[np.ndarray], batch: EvidenceBatch,
                    call: Callable[[EvidenceBatch, np.ndarray], Any]) -> list[Any]:
        """``call(part, rows)`` for each group's rows; evidence of probability zero in any group is
        one :class:`ImpossibleEvidence` naming every such row (counted in ``batch``) and describing
        the first. The last method is the approximate one if any group used it."""
        found, failed, methods = [], [], []
        for rows in groups:
            try:
                found.append(call(EvidenceBatch(batch.nodes, batch.readings[rows]), rows))
            except ImpossibleEvidence as exc:
                failed.append((rows[exc.rows], exc))
            methods.append(self.last_method)
        if failed:
            first = min(failed, key=lambda f: int(f[0][0]))[1]
            raise ImpossibleEvidence(str(first), sorted(int(r) for rows, _ in failed for r in rows))
        self.last_method = next((m for m in methods if m != "exact"), "exact")
        return found

    @staticmethod
    def _observed(batch: EvidenceBatch) -> tuple[str, ...]:
        """The nodes observed in at least one row, in the batch's order."""
        return tuple(n for j, n in enumerate(batch.nodes) if not np.isnan(batch.readings[:, j]).all())

    def _relevant_nodes(self, nodes: tuple[str, ...], cut: tuple[str, ...] = ()) -> list[str]:
        """The nodes and their ancestors in the network cut at ``cut`` (the incoming edges of the
        intervened nodes removed), in the network's order."""
        key = (tuple(sorted(set(nodes))), cut)
        found = self._relevant.get(key)
        if found is None:
            families = self.compiled.families
            seen = closure(nodes, lambda node: families[node].parents, cut)
            found = [n for n in families if n in seen]
            self._relevant[key] = found
        return found

    def _plan(self, relevant: list[str], cut: tuple[str, ...], factors: tuple[str, ...],
              batched: frozenset[str], slices: _Slices) -> _Plan:
        plan = self._bounded_plan(relevant, cut, factors, batched, slices, None)
        assert plan is not None  # without a bound there is always a plan
        return plan

    def _bounded_plan(self, relevant: list[str], cut: tuple[str, ...], factors: tuple[str, ...],
                      batched: frozenset[str], slices: _Slices, bound: int | None) -> _Plan | None:
        """The plan of a pass: the operands are the tables of ``relevant`` (an intervened node's
        none: a constant 1), sliced at the values of the nodes in ``slices``, batched for the nodes
        in ``batched`` and for those a sliced node's rows differ in, then one evidence factor
        (batched) for each node of ``factors``. With ``bound``, None if it keeps more bytes than
        that (see :func:`_plan_for`)."""
        rowed = [node not in cut and (node in batched or slices.rowed(self._family[node])) for node in relevant]
        key = (tuple(relevant), cut, factors, tuple(n for n, r in zip(relevant, rowed, strict=True) if r),
               slices.key[0])
        plan = self._plans.get(key)
        if plan is None:
            index = self._index
            scopes = self._scopes(relevant, cut, slices) + [(index[n],) for n in factors]
            rowed += [True] * len(factors)
            shape = (_canonical(*scopes), tuple(rowed))
            plan = _plan_for(*shape, bound)
            if plan is None:
                return None
            if _SHAPES.get(shape) is plan:  # planned in full (a plan found with an ordering given up is not kept)
                self._plans[key] = plan
        return None if bound is not None and plan.row_bytes + plan.fixed_bytes > bound else plan

    def _scopes(self, relevant: list[str], cut: tuple[str, ...], slices: _Slices) -> list[tuple[int, ...]]:
        """The scopes (node indices) of the tables of ``relevant`` in a pass: an intervened
        node's none, a sliced node in none."""
        index, sliced = self._index, slices.nodes
        return [() if node in cut else tuple(index[a] for a in self._family[node] if a not in sliced)
                for node in relevant]

    def _within_budget(self, plan: _Plan) -> None:
        """An :class:`InferenceError` when one row of a family pass needs more than the budget."""
        need = plan.fixed_bytes + plan.row_bytes
        if need > self.memory_budget:
            raise InferenceError(f"the exact family pass needs {need / (1 << 20):,.0f} MiB a row, over the memory "
                                 f"budget of {self.memory_budget / (1 << 20):,.0f} MiB (EXOREASON_MEMORY_MB)")

    def _rows_per_chunk(self, plan: _Plan) -> int:
        working = max(_WORKING, len(plan.layout) * _STEP_WORKING)
        spare = max(min(self.memory_budget - plan.fixed_bytes, working), plan.row_bytes)
        return int(max(1, min(_MAX_ROWS, spare // max(plan.row_bytes, 1))))

    @staticmethod
    def _factors(nodes: tuple[str, ...], batch: EvidenceBatch, start: int, stop: int) -> list[np.ndarray]:
        """Evidence factors (rows x 2) of ``nodes`` for rows start..stop: [1 - q, q], or [1, 1]."""
        column = {n: j for j, n in enumerate(batch.nodes)}
        size = stop - start
        out = []
        for node in nodes:
            if node not in column:
                out.append(np.ones((size, 2)))
                continue
            q = batch.readings[start:stop, column[node]]
            seen = ~np.isnan(q)
            out.append(np.stack([np.where(seen, 1.0 - q, 1.0), np.where(seen, q, 1.0)], axis=1))
        return out

    def _chunk_tables(self, theta: np.ndarray | None, start: int, stop: int) -> Mapping[str, np.ndarray]:
        if theta is None:
            return self._point
        block = theta if theta.shape[0] == 1 else theta[start:stop]
        families = self.compiled.families
        tables = {n: _tensor(p, len(families[n].parents)) for n, p in self.compiled.p_true(block).items()}
        return tables if theta.shape[0] > 1 else {n: t[0] for n, t in tables.items()}

    def _operands(self, relevant: list[str], cut: tuple[str, ...], tables: Mapping[str, np.ndarray],
                  batched: frozenset[str], factors: list[np.ndarray], slices: _Slices, start: int, stop: int
                  ) -> list[np.ndarray]:
        """The operands of a pass for rows start..stop (see :meth:`_plan`); ``tables[node]`` has
        the rows first for the nodes in ``batched``."""
        operands = []
        for node in relevant:
            if node in cut:
                operands.append(np.ones(()))
            else:
                operands.append(_slice_table(tables[node], node in batched, self._family[node], slices, start, stop))
        return operands + factors

    def _check_possible(self, impossible: Sequence[int], nodes: tuple[str, ...], values: np.ndarray,
                        do: Mapping[str, bool]) -> None:
        """:class:`ImpossibleEvidence` naming the rows ``impossible`` of the batch ``values`` (every
        such row, found by every pass and chunk of rows: a batch's passes over parts and its chunks
        each see some of them) and describing the first."""
        if impossible:
            rows = sorted(set(impossible))
            raise ImpossibleEvidence(
                "the evidence has probability zero under the model (for instance a node whose "
                f"probability is 0 observed present): {self._describe(nodes, values, do, rows[0])}", rows)

    def _describe(self, nodes: tuple[str, ...], values: np.ndarray, do: Mapping[str, bool], row: int) -> str:
        parts = [f"{n}={_reading_text(values[row, j])}" for j, n in enumerate(nodes)
                 if not np.isnan(values[row, j])]
        parts += [f"do({k}={'true' if v else 'false'})" for k, v in do.items()]
        return ", ".join(parts) or "no evidence"

    # -- beyond the budget --------------------------------------------------------------------

    def _approximate(self, targets: list[str], batch: EvidenceBatch, do: Mapping[str, bool],
                     theta: np.ndarray | None, plan: _Plan, out: np.ndarray) -> np.ndarray:
        self.last_method = (f"importance sampling ({SAMPLES:,} samples a row): the exact contraction "
                            f"needs {(plan.fixed_bytes + plan.row_bytes) / (1 << 20):,.3g} MiB, over the "
                            f"budget of {self.memory_budget / (1 << 20):,.3g} MiB")
        asked = [t for t in targets if t not in do]
        impossible: list[int] = []
        for row in range(len(batch)):
            readings = {n: float(q) for n, q in zip(batch.nodes, batch.readings[row], strict=True) if q == q}
            vector = None if theta is None else theta[0 if theta.shape[0] == 1 else row]
            tables = {n: t.p_true for n, t in self.compiled.tables.items()} if vector is None else \
                {n: p[0] for n, p in self.compiled.p_true(vector[None, :]).items()}
            answer, weight = approximate_posteriors(self.compiled, tables, asked, readings, do)
            if not weight > 0:
                impossible.append(row)
                continue
            for column, target in enumerate(targets):
                if target in answer:
                    out[row, column] = answer[target]
        self._check_possible(impossible, batch.nodes, batch.readings, do)
        return out


@dataclass(frozen=True)
class _Slices:
    """Nodes whose value every row fixes (hard evidence in every row, or an intervention), taken
    out of the contraction: each table holding such a node is sliced at its value (row by row where
    the rows differ), so the node is no vertex of the plan and its edges vanish. This is exact:
    P(x_S = v, e) sums the joint over x_S = v only. A cohort observing every cargo and outcome
    leaves only the network between them to eliminate (on bench/bench_growth.py's random
    1,200-node network an E-step row kept 1.2 MiB instead of more than the memory could hold)."""

    nodes: frozenset[str]
    constant: Mapping[str, int]  # node -> its value in every row
    varying: Mapping[str, np.ndarray]  # node -> its value in each row

    @property
    def key(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return tuple(sorted(self.nodes)), tuple(sorted(self.varying))

    def value(self, node: str, start: int, stop: int) -> int | np.ndarray:
        return self.constant[node] if node in self.constant else self.varying[node][start:stop]

    def rowed(self, family: tuple[str, ...]) -> bool:
        """Whether slicing a table over ``family`` gives each row its own table."""
        return any(n in self.varying for n in family)


def _zero_rows(z: np.ndarray, offset: int) -> list[int]:
    """The rows (counted from ``offset``) whose evidence has probability ``z`` zero (or NaN)."""
    return [int(i) + offset for i in np.flatnonzero(~(z > 0.0))]


def _interventions(do: Mapping[str, bool]) -> _Slices:
    """The intervened nodes alone, sliced at their values."""
    return _Slices(frozenset(do), {n: int(bool(v)) for n, v in do.items()}, {})


def _slicing(batch: EvidenceBatch, do: Mapping[str, bool], keep: Sequence[str] = ()) -> _Slices:
    """The nodes every row of ``batch`` observes hard (0 or 1), except ``keep``, and the
    intervened ones, with their values."""
    constant: dict[str, int] = {n: int(bool(v)) for n, v in do.items()}
    varying: dict[str, np.ndarray] = {}
    for j, node in enumerate(batch.nodes):
        if node in keep or node in constant:
            continue
        column = batch.readings[:, j]
        if column.size and bool(np.all((column == 0.0) | (column == 1.0))):
            if bool(np.all(column == column[0])):
                constant[node] = int(column[0])
            else:
                varying[node] = column.astype(np.intp)
    return _Slices(frozenset((*constant, *varying)), constant, varying)


def _slice_table(table: np.ndarray, rowed: bool, family: tuple[str, ...], slices: _Slices, start: int,
                 stop: int) -> np.ndarray:
    """``table`` (axes: the rows if ``rowed``, then ``family``) at the sliced nodes' values; the
    rows come first when they differ."""
    positions = [i for i, n in enumerate(family) if n in slices.nodes]
    if not positions:
        return table
    offset = 1 if rowed else 0
    if not any(family[i] in slices.varying for i in positions):
        index: list[Any] = [slice(None)] * table.ndim
        for i in positions:
            index[i + offset] = slices.constant[family[i]]
        return table[tuple(index)]
    size = stop - start
    moved = np.moveaxis(table, [i + offset for i in positions], list(range(offset, offset + len(positions))))
    values = [np.broadcast_to(slices.value(family[i], start, stop), (size,)) for i in positions]
    return moved[(np.arange(size), *values)] if rowed else moved[tuple(values)]


def _unslice(joint: np.ndarray, rowed: bool, family: tuple[str, ...], slices: _Slices, start: int, stop: int,
             out: np.ndarray, add: bool = False) -> None:
    """Put ``joint`` (a sliced table's shape: rows first if ``rowed``) into ``out`` (the whole
    family's shape, with the rows first if ``out`` has them) at the sliced nodes' values; the other
    entries are left as they are (zero: configurations the evidence excludes). With ``add``, rows
    of ``joint`` are added into ``out`` (summed over the rows when ``out`` has none)."""
    positions = [i for i, n in enumerate(family) if n in slices.nodes]
    offset = out.ndim - len(family)
    if not positions:
        if add:
            out += joint.sum(axis=0) if rowed and not offset else joint
        else:
            out[...] = joint
        return
    if not any(family[i] in slices.varying for i in positions):
        index: list[Any] = [slice(None)] * out.ndim
        for i in positions:
            index[i + offset] = slices.constant[family[i]]
        if add:
            out[tuple(index)] += joint.sum(axis=0) if rowed and not offset else joint
        else:
            out[tuple(index)] = joint
        return
    size = stop - start
    moved = np.moveaxis(out, [i + offset for i in positions], list(range(offset, offset + len(positions))))
    values = [np.broadcast_to(slices.value(family[i], start, stop), (size,)) for i in positions]
    index_rows = (np.arange(size), *values) if offset else tuple(values)
    if add:
        np.add.at(moved, index_rows, joint)
    else:
        moved[index_rows] = joint


def approximate_posteriors(compiled: CompiledNetwork, tables: Mapping[str, np.ndarray], targets: Sequence[str],
                           evidence: Mapping[str, float], do: Mapping[str, bool], samples: int = SAMPLES,
                           seed: int = _SEED) -> tuple[dict[str, float], float]:
    """P(target = true | evidence, do) by importance sampling, and the mean weight (an estimate of
    P(evidence)).

    Each sample draws the nodes in topological order; an observed node v is drawn from
    P(v | parents) lambda_v(v), normalised, and the sample's weight is multiplied by the
    normaliser sum_x P(x | parents) lambda_v(x) (likelihood weighting with the evidence pushed
    into the proposal); an intervened node takes its value. The standard error of a posterior p
    is about sqrt(p (1 - p) / n_eff), n_eff = (sum w)^2 / sum w^2.
    """
    families = compiled.families
    rng = np.random.default_rng(seed)
    needed: set[str] = set()
    for node in (*targets, *evidence):
        needed |= compiled.ancestors(node)
    totals = dict.fromkeys(targets, 0.0)
    weight_sum = 0.0
    step = 20_000
    for start in range(0, samples, step):
        n = min(step, samples - start)
        state: dict[str, np.ndarray] = {}
        log_w = np.zeros(n)
        for node, family in families.items():
            if node not in needed:
                continue
            if node in do:
                state[node] = np.full(n, bool(do[node]))
                continue
            index = np.zeros(n, dtype=np.int64)
            for parent in family.parents:
                index = index * 2 + state[parent]
            p = tables[node][index]
            if node in evidence:
                q = evidence[node]
                on, off = p * q, (1.0 - p) * (1.0 - q)
                norm = on + off
                with np.errstate(divide="ignore", invalid="ignore"):
                    log_w += np.log(norm)
                    p = np.where(norm > 0, on / norm, 0.0)
            state[node] = rng.random(n) < p
        w = np.exp(log_w)
        weight_sum += float(w.sum())
        for target in targets:
            totals[target] += float(np.dot(w, state[target]))
    mean = weight_sum / samples
    if not weight_sum > 0:
        return {}, 0.0
    return {t: v / weight_sum for t, v in totals.items()}, mean


#: How many times more samples a row with no weighted sample is drawn again with, at most twice,
#: before the sampler gives up on it.
_RETRY = 32


def _sampled_rows(compiled: CompiledNetwork, tables: Mapping[str, np.ndarray], evidence: EvidenceBatch,
                  nodes: set[str], samples: int, seed: int
                  ) -> Iterator[tuple[np.ndarray, int, dict[str, np.ndarray], np.ndarray, np.ndarray]]:
    """Importance samples of every row, a block of rows at a time: (the rows' indices, samples a
    row, each node's sampled states (rows x samples, flattened), each sample's weight normalised
    within its row, each row's mean weight: the estimate of P(row's evidence)). Each row's samples
    are drawn as in :func:`approximate_posteriors` over the ancestors of ``nodes`` and of the
    observed nodes. A row none of whose samples has weight (evidence the sampler rarely meets) is
    drawn again with :data:`_RETRY` times the samples, then that many times more; after that it is
    an :class:`ImpossibleEvidence` that says the sampler found no sample, not that none exists."""
    families = compiled.families
    rng = np.random.default_rng(seed)
    observed = [(j, n) for j, n in enumerate(evidence.nodes) if not np.isnan(evidence.readings[:, j]).all()]
    needed: set[str] = set()
    for node in (*nodes, *(n for _, n in observed)):
        needed |= compiled.ancestors(node)
    order = [n for n in families if n in needed]
    column = {n: j for j, n in observed}
    pending = np.arange(len(evidence))
    for attempt in range(3):
        count = samples * _RETRY ** attempt
        step = max(1, 200_000 // count)
        missed: list[int] = []
        for start in range(0, len(pending), step):
            rows_index = pending[start:start + step]
            block = evidence.readings[rows_index]
            rows = block.shape[0]
            size = rows * count
            state: dict[str, np.ndarray] = {}
            log_w = np.zeros(size)
            for node in order:
                index = np.zeros(size, dtype=np.int64)
                for parent in families[node].parents:
                    index = index * 2 + state[parent]
                p = tables[node][index]
                if node in column:
                    reading = np.repeat(block[:, column[node]], count)
                    q = np.where(np.isnan(reading), 0.5, reading)  # not observed in the row: [1, 1], up to a constant
                    on, off = p * q, (1.0 - p) * (1.0 - q)
                    norm = on + off
                    with np.errstate(divide="ignore", invalid="ignore"):
                        log_w += np.log(norm) - np.where(np.isnan(reading), np.log(0.5), 0.0)
                        p = np.where(norm > 0, on / norm, 0.0)
                state[node] = rng.random(size) < p
            w = np.exp(log_w).reshape(rows, count)
            z = w.mean(axis=1)
            found = z > 0
            missed.extend(int(r) for r in rows_index[~found])
            if not found.any():
                continue
            keep = np.repeat(found, count)
            yield (rows_index[found], count, {n: v[keep] for n, v in state.items()},
                   (w[found] / w[found].sum(axis=1, keepdims=True)).reshape(-1), z[found])
        if not missed:
            return
        pending = np.array(missed)
    raise ImpossibleEvidence(f"no sample of row {int(pending[0])} has weight in {count:,} samples: its evidence is "
                             "impossible or too rare for the approximate method", [int(r) for r in pending])


def _configuration(compiled: CompiledNetwork, node: str, state: Mapping[str, np.ndarray]) -> np.ndarray:
    """Each sample's configuration of the family of ``node`` (parents in order, then the node)."""
    index = np.zeros(state[node].shape, dtype=np.int64)
    for parent in (*compiled.families[node].parents, node):
        index = index * 2 + state[parent]
    return index


def approximate_counts(compiled: CompiledNetwork, tables: Mapping[str, np.ndarray], evidence: EvidenceBatch,
                       weights: np.ndarray, samples: int = 0, seed: int = _SEED, counted: Sequence[str] = ()
                       ) -> FamilyCounts:
    """Expected family counts and the log-likelihood by importance sampling, ``samples`` per row
    (:data:`COUNT_SAMPLES` by default): each row's samples are drawn as in
    :func:`approximate_posteriors`, P(evidence of the row) is estimated by their mean weight and
    each family's configuration counted with the row's weight times the sample's normalised weight.
    ``tables`` holds each node's P(true | configuration). Only families with an observed
    descendant (or observed themselves) are counted, as by the exact pass, and those of ``counted``
    and their ancestors."""
    samples = samples or COUNT_SAMPLES
    families = compiled.families
    observed = [n for j, n in enumerate(evidence.nodes) if not np.isnan(evidence.readings[:, j]).all()]
    needed: set[str] = set()
    for node in (*observed, *counted):
        needed |= compiled.ancestors(node)
    nodes = [n for n in families if n in needed]
    counts = {n: np.zeros(2 ** (len(families[n].parents) + 1)) for n in nodes}
    total = 0.0
    for rows, count, state, share, z in _sampled_rows(compiled, tables, evidence, set(counted), samples, seed):
        row_weights = weights[rows]
        total += float(np.dot(row_weights, np.log(z)))
        weighted = share * np.repeat(row_weights, count)
        for node in nodes:
            counts[node] += np.bincount(_configuration(compiled, node, state), weights=weighted,
                                        minlength=counts[node].size)
    shaped = {n: c.reshape([2] * (len(families[n].parents) + 1)) for n, c in counts.items()}
    return FamilyCounts(shaped, total, float(weights.sum()), f"importance sampling ({samples:,} samples a row)")


def approximate_family_posteriors(compiled: CompiledNetwork, tables: Mapping[str, np.ndarray],
                                  nodes: Sequence[str], evidence: EvidenceBatch, samples: int = 0,
                                  seed: int = _SEED) -> dict[str, np.ndarray]:
    """P(node's parents, node | each row's evidence) by importance sampling, ``samples`` per row
    (:data:`COUNT_SAMPLES` by default), laid out as :meth:`Engine.family_posteriors` lays them out."""
    samples = samples or COUNT_SAMPLES
    families = compiled.families
    out = {n: np.zeros((len(evidence), 2 ** (len(families[n].parents) + 1))) for n in nodes}
    for rows, count, state, share, _ in _sampled_rows(compiled, tables, evidence, set(nodes), samples, seed):
        offset = np.repeat(np.arange(len(rows)), count)
        for node in nodes:
            width = out[node].shape[1]
            found = np.bincount(offset * width + _configuration(compiled, node, state), weights=share,
                                minlength=len(rows) * width)
            out[node][rows] = found.reshape(len(rows), width)
    return {n: p.reshape(len(evidence), *([2] * (len(families[n].parents) + 1))) for n, p in out.items()}


def _family_jacobian(family: Any, means: np.ndarray, indices: list[int]) -> np.ndarray:
    """dP(node = true | configuration)/dtheta_i for the family's parameters ``indices``:
    (len(indices), configurations), by complex-step differentiation (exact for the family's
    polynomial formula, to rounding)."""
    h = 1e-30
    theta = np.repeat(means.astype(complex)[None, :], len(indices), axis=0)
    theta[np.arange(len(indices)), indices] += 1j * h
    return np.asarray(family.p_true(theta).imag / h, dtype=float)


class _Plan:
    """One contraction of every operand down to Z (one value per row), planned for one row.

    The operands' scopes are node indices; ``rowed`` says which operands carry the batch axis.
    Nodes are eliminated in greedy minimum-fill order on the moral graph (ties by index): each
    node's factors are multiplied pairwise, smallest first, and the node is summed out with the
    last product. The backward pass runs the steps in reverse: for a step C = sum A * B,
    dA = sum dC * B over the axes A does not have, broadcast along the axes A alone summed out.
    """

    def __init__(self, scopes: Sequence[tuple[int, ...]], rowed: Sequence[bool], order: Sequence[int]) -> None:
        self.count = len(scopes)
        #: Which operands carry the batch axis.
        self.rowed = list(rowed)
        axes: dict[int, tuple[int, ...]] = {}
        holders: dict[int, set[int]] = {}
        for i, (scope, batched) in enumerate(zip(scopes, rowed, strict=True)):
            axes[i] = ((_BATCH,) if batched else ()) + tuple(scope)
            for v in scope:
                holders.setdefault(v, set()).add(i)
        self._steps: list[tuple[tuple[int, ...], int, Callable[..., np.ndarray], list[Any]]] | None = None
        self._axes = axes
        #: Each step's inputs and output axes: what the plan is, to compare plans.
        self.layout: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        ident = len(scopes)
        row_entries = sum(2 ** len(scope) for scope, b in zip(scopes, rowed, strict=True) if b)
        fixed_entries = sum(2 ** len(scope) for scope, b in zip(scopes, rowed, strict=True) if not b)

        def emit(inputs: tuple[int, ...], out: tuple[int, ...]) -> int:
            nonlocal ident, row_entries, fixed_entries
            axes[ident] = out
            self.layout.append((inputs, out))
            entries = 2 ** sum(1 for v in out if v != _BATCH)
            if _BATCH in out:
                row_entries += entries
            else:
                fixed_entries += entries
            ident += 1
            return ident - 1

        def union(*items: int, drop: int | None = None) -> tuple[int, ...]:
            batched = any(_BATCH in axes[i] for i in items)
            found = sorted({v for i in items for v in axes[i] if v not in (_BATCH, drop)})
            return ((_BATCH,) if batched else ()) + tuple(found)

        live = set(range(len(scopes)))
        for v in order:
            group = sorted(holders.pop(v), key=lambda i: (len(axes[i]), i))
            for i in group:
                live.discard(i)
                for u in axes[i]:
                    if u != v and u != _BATCH:
                        holders[u].discard(i)
            made = group[0]
            if len(group) == 1:
                made = emit((made,), union(made, drop=v))
            for position, other in enumerate(group[1:], 2):
                made = emit((made, other), union(made, other, drop=v if position == len(group) else None))
            live.add(made)
            for u in axes[made]:
                if u != _BATCH:
                    holders[u].add(made)
        rest = sorted(live)
        made = rest[0] if rest else -1
        for other in rest[1:]:
            made = emit((made, other), union(made, other))
        self.last = made
        self.batched = made >= 0 and _BATCH in axes[made]
        #: Bytes kept per row (values and derivatives) and for the whole pass.
        self.row_bytes = 16 * row_entries
        self.fixed_bytes = 16 * fixed_entries

    @property
    def steps(self) -> list[tuple[tuple[int, ...], int, Callable[..., np.ndarray], list[Any]]]:
        """Each step's inputs, its id, its forward function and its backward ones, compiled when
        the plan first runs (a plan made only to be compared with others never is)."""
        if self._steps is None:
            axes = self._axes
            steps: list[tuple[tuple[int, ...], int, Callable[..., np.ndarray], list[Any]]] = []
            for ident, (inputs, out) in enumerate(self.layout, self.count):
                if len(inputs) == 1:
                    summed, spread = _summer(axes[inputs[0]], out)
                    steps.append((inputs, ident, summed, [spread]))
                else:
                    a, b = (axes[i] for i in inputs)
                    steps.append((inputs, ident, _contractor(a, b, out), [_gradient(out, b, a), _gradient(out, a, b)]))
            self._steps = steps
            return steps
        return self._steps

    def forward(self, operands: Sequence[np.ndarray], size: int) -> tuple[dict[int, np.ndarray], np.ndarray]:
        """Every intermediate (by its id) and Z for each of ``size`` rows."""
        values: dict[int, np.ndarray] = dict(enumerate(operands))
        for inputs, ident, forward, _ in self.steps:
            values[ident] = forward(*(values[i] for i in inputs))
        if self.last < 0:
            return values, np.ones(size)
        z = np.asarray(values[self.last], dtype=float)
        return values, (z.reshape(-1) if self.batched else np.full(size, float(z)))

    def backward(self, values: Mapping[int, np.ndarray], seed: np.ndarray) -> dict[int, np.ndarray]:
        """The derivative of sum_r seed_r Z_r in each operand (by position)."""
        if self.last < 0:
            return {}
        grads: dict[int, np.ndarray] = {self.last: seed if self.batched else np.asarray(seed.sum())}
        for inputs, ident, _, backward in reversed(self.steps):
            upstream = grads.pop(ident)
            if len(inputs) == 1:
                own = inputs[0]
                grad = backward[0](upstream, values[own].shape)
                grads[own] = grads[own] + grad if own in grads else grad
                continue
            a, b = inputs
            for own, other, step in ((a, b, backward[0]), (b, a, backward[1])):
                grad = step(upstream, values[other], values[own].shape)
                grads[own] = grads[own] + grad if own in grads else grad
        return grads


def _width_at_least(scopes: Sequence[tuple[int, ...]]) -> int:
    """A lower bound on the treewidth of the scopes' moral graph (minor-min-width: contract a
    vertex of least degree into its neighbour of least degree, keeping the largest least degree;
    Gogate and Dechter, UAI 2004): every elimination order eliminates some node with at least this
    many neighbours, so a pass keeps a product of at least 2^bound entries. Cheap beside planning
    (no fill counted), it tells when a pass need not be planned at all."""
    import heapq

    graph: dict[int, set[int]] = {}
    for scope in scopes:
        for a in scope:
            graph.setdefault(a, set()).update(x for x in scope if x != a)
    heap = [(len(near), v) for v, near in graph.items()]
    heapq.heapify(heap)
    bound = 0
    while heap:
        d, v = heapq.heappop(heap)
        if v not in graph or len(graph[v]) != d:
            continue
        bound = max(bound, d)
        near = graph.pop(v)
        if not near:
            continue
        u = min(near, key=lambda w: (len(graph[w]), w))
        for w in near:
            graph[w].discard(v)
            if w != u:
                graph[w].add(u)
                graph[u].add(w)
        for w in near:
            heapq.heappush(heap, (len(graph[w]), w))
    return bound


def _elimination_order(scopes: Sequence[tuple[int, ...]], rowed: Sequence[bool], batch_vertex: bool = True,
                       widest: int | None = None) -> list[int] | None:
    """Every node of the scopes, in greedy minimum-fill order on their moral graph (the fewest
    edges an elimination adds, then the fewest neighbours, then the smallest index).

    With ``batch_vertex``, the batch axis is a vertex of that graph too, joined to every node of a
    batched operand, and never eliminated: a fill edge to it is a node whose later products carry
    every row. Ordering as for one row made an E-step over 1,000 rows on a random 75-node network
    take twice as long, its widest kept product 2^14 entries a row instead of 2^13
    (bench/bench_revisions.py); on other networks it is the narrower plan (at 150 nodes, 2^28
    against 2^30), so a plan keeping more than :data:`_REORDER_FROM` bytes a row is made both
    ways and the narrower kept. With ``widest``, None as soon as an elimination would multiply
    more than ``widest`` nodes together (a plan known to cost more than another need not be
    finished)."""
    import heapq

    graph: dict[int, set[int]] = {}
    for scope, batched in zip(scopes, rowed, strict=True):
        full = (*scope, _BATCH) if batched and batch_vertex else scope
        for a in full:
            graph.setdefault(a, set()).update(x for x in full if x != a)

    def score(v: int) -> tuple[int, int, int]:
        around = graph[v]
        d = len(around)
        if d > _FILL_DEGREE:  # the fill bounded by a clique's edges: dense nodes go last
            return d * (d - 1) // 2, d, v
        # each missing edge between two neighbours is counted from both ends
        fill = sum(d - 1 - len(around & graph[a]) for a in around) // 2
        return fill, d, v

    heap = [score(v) for v in sorted(graph) if v != _BATCH]
    heapq.heapify(heap)
    current = {entry[-1]: entry for entry in heap}
    order = []
    while heap:
        entry = heapq.heappop(heap)
        v = entry[-1]
        if current.get(v) != entry:
            continue
        del current[v]
        around = graph.pop(v)
        if widest is not None and len(around) - (_BATCH in around) >= widest:
            return None  # a product of more than ``widest`` nodes
        for a in around:
            near = graph[a]
            near |= around
            near.discard(a)
            near.discard(v)
        order.append(v)
        touched = set(around)
        for a in around:
            if a != _BATCH:  # the batch vertex's neighbours are rescored when they are touched otherwise
                touched |= graph[a]
        touched.discard(_BATCH)
        for a in sorted(touched):
            entry = score(a)
            if current.get(a) != entry:
                current[a] = entry
                heapq.heappush(heap, entry)
    return order


#: Plans by the shape of their operands (scopes renamed by :func:`_canonical`): a query's passes
#: over parts of a large network share many shapes (at 1,200 nodes, 466 passes of 228 shapes).
_SHAPES: dict[tuple[Any, ...], _Plan] = {}
_SHAPES_KEPT = 4096


def _plan_for(scopes: tuple[tuple[int, ...], ...], rowed: tuple[bool, ...], bound: int | None = None
              ) -> _Plan | None:
    """The plan contracting operands of these scopes (a plan holds operand positions, not nodes:
    one plan serves every pass of the same shape). Ordered with the batch axis as a vertex, or
    as for one row: the plan keeping fewer entries a row (then fewer in all) is kept (see
    :func:`_elimination_order`); only a plan keeping more than :data:`_REORDER_FROM` bytes a row
    is worth planning twice. With ``bound``, None where the plan keeps more than ``bound`` bytes;
    an ordering is given up as soon as its widest product alone would (and nothing is cached)."""
    key = (scopes, rowed)
    plan = _SHAPES.get(key)
    if plan is None:
        # eliminating a node with k neighbours keeps a product of 2^k entries of 16 bytes (a value
        # and its derivative): more than the bound once 2^(k + 4) > bound, k >= bit length - 4
        widest = None if bound is None else max(0, int(bound).bit_length() - 4)
        orders = [_elimination_order(scopes, rowed, False, widest)]
        first = None if orders[0] is None else _Plan(scopes, rowed, orders[0])
        if any(rowed) and (first is None or first.row_bytes > _REORDER_FROM):
            orders.append(_elimination_order(scopes, rowed, True, widest))
        plans = [_Plan(scopes, rowed, o) if o is not orders[0] else first for o in orders if o is not None]
        plan = min((p for p in plans if p is not None), key=lambda p: (p.row_bytes, p.fixed_bytes), default=None)
        if plan is None or None in orders:  # a plan given up: not the one planning in full chooses
            return plan if plan is not None and bound is not None and plan.row_bytes + plan.fixed_bytes <= bound \
                else None
        if len(_SHAPES) >= _SHAPES_KEPT:
            del _SHAPES[next(iter(_SHAPES))]
        _SHAPES[key] = plan
    return None if bound is not None and plan.row_bytes + plan.fixed_bytes > bound else plan


def _canonical(*layouts: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The axes of ``layouts`` renamed 0, 1, ... in order of first appearance: steps of the same
    shape share one compiled step (a plan of 1,200 nodes has tens of thousands of steps and a few
    hundred shapes)."""
    names: dict[int, int] = {}
    return tuple(tuple(names.setdefault(c, len(names)) for c in layout) for layout in layouts)


def _contractor(a_axes: tuple[int, ...], b_axes: tuple[int, ...], out: tuple[int, ...]
                ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """C[out] = sum A[a_axes] B[b_axes] as one batched matrix product (axes both operands and the
    output share are the matrix batch; numpy's einsum does such products without BLAS, ten times
    slower and more). Axes in one operand alone and not in the output are summed out of it first."""
    return _compiled_contractor(*_canonical(a_axes, b_axes, out))


@lru_cache(maxsize=4096)
def _compiled_contractor(a_axes: tuple[int, ...], b_axes: tuple[int, ...], out: tuple[int, ...]
                         ) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    a_sum = tuple(i for i, c in enumerate(a_axes) if c not in out and c not in b_axes)
    b_sum = tuple(i for i, c in enumerate(b_axes) if c not in out and c not in a_axes)
    a_kept = [c for c in a_axes if c in out or c in b_axes]
    b_kept = [c for c in b_axes if c in out or c in a_axes]
    shared = [c for c in out if c in a_kept and c in b_kept]
    a_only = [c for c in out if c in a_kept and c not in b_kept]
    b_only = [c for c in out if c in b_kept and c not in a_kept]
    summed = [c for c in a_kept if c in b_kept and c not in out]
    a_order = tuple(a_kept.index(c) for c in (*shared, *a_only, *summed))
    b_order = tuple(b_kept.index(c) for c in (*shared, *summed, *b_only))
    made = [*shared, *a_only, *b_only]
    result_order = tuple(made.index(c) for c in out)
    ns, na, ns_summed = len(shared), len(a_only), len(summed)

    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a_sum:
            a = a.sum(axis=a_sum)
        if b_sum:
            b = b.sum(axis=b_sum)
        a = a.transpose(a_order)
        b = b.transpose(b_order)
        sa, sb = a.shape, b.shape
        lead = sa[:ns]
        product = np.matmul(a.reshape(prod(lead), prod(sa[ns:ns + na]), prod(sa[ns + na:])),
                            b.reshape(prod(lead), prod(sa[ns + na:]), prod(sb[ns + ns_summed:])))
        return product.reshape((*lead, *sa[ns:ns + na], *sb[ns + ns_summed:])).transpose(result_order)

    return run


def _gradient(out: tuple[int, ...], other: tuple[int, ...], own: tuple[int, ...]
              ) -> Callable[[np.ndarray, np.ndarray, tuple[int, ...]], np.ndarray]:
    """d(sum_r seed_r Z_r)/dA for a step C = sum A * B, given dC and B: sum dC * B over the axes A
    lacks, broadcast along the axes A alone summed out."""
    return _compiled_gradient(*_canonical(out, other, own))


@lru_cache(maxsize=4096)
def _compiled_gradient(out: tuple[int, ...], other: tuple[int, ...], own: tuple[int, ...]
                       ) -> Callable[[np.ndarray, np.ndarray, tuple[int, ...]], np.ndarray]:
    present = tuple(c for c in own if c in out or c in other)
    contract = _contractor(out, other, present)
    missing = present != own

    def run(upstream: np.ndarray, b: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        grad = contract(upstream, b)
        if missing:
            grad = np.broadcast_to(grad.reshape([n if c in present else 1 for c, n in zip(own, shape, strict=True)]),
                                   shape)
        return grad

    return run


def _summer(own: tuple[int, ...], out: tuple[int, ...]
            ) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, tuple[int, ...]], np.ndarray]]:
    """C[out] = sum A[own] over the axes ``out`` lacks, and its backward step (a broadcast)."""
    return _compiled_summer(*_canonical(own, out))


@lru_cache(maxsize=4096)
def _compiled_summer(own: tuple[int, ...], out: tuple[int, ...]
                     ) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray, tuple[int, ...]], np.ndarray]]:
    dropped = tuple(i for i, c in enumerate(own) if c not in out)
    kept_order = tuple(c for c in own if c in out)
    order = tuple(kept_order.index(c) for c in out)

    def forward(a: np.ndarray) -> np.ndarray:
        return a.sum(axis=dropped).transpose(order)

    back = tuple(out.index(c) for c in kept_order)

    def backward(upstream: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        grad = upstream.transpose(back)
        return np.broadcast_to(grad.reshape([n if c in out else 1 for c, n in zip(own, shape, strict=True)]), shape)

    return forward, backward


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


def engine_for(compiled: CompiledNetwork, engine: Engine | None = None) -> Engine:
    """``engine`` where it answers for ``compiled`` (its plans and caches reused), else a new
    engine for it: how a function that takes an optional engine gets the one to use."""
    return engine if engine is not None and engine.compiled is compiled else Engine(compiled)
