"""How sure is the answer: posterior intervals from parameter uncertainty, and sensitivities.

Every number a table is made from (an edge's link strength, a node's leak, a cargo's base rate) is
a choice made from the literature, not a measurement. This module asks how much the answer depends
on those choices.

**Parameter uncertainty.** Each parameter theta gets a Beta distribution with mean theta (the
value the point answer uses) and concentration kappa, a pseudo-count total: Beta(kappa * theta,
kappa * (1 - theta)), whose variance theta (1 - theta) / (kappa + 1) shrinks as kappa grows.

* An edge's strength w: kappa = base_concentration + per_study_concentration * n, where n counts
  the distinct studies behind the edge as the strength formula does (``Evidence.study_keys()``,
  once per evidence kind; kinds the parameters do not know are ignored). An edge carried by five
  studies is therefore held more tightly than one carried by a single review statement. A strength
  set in the user's ``[strength.edges]`` is the mean, sampled with the edge's kappa all the same.
* A node's leak and a cargo's base rate: kappa = leak_concentration, base_rate_concentration.

A mean of exactly 0 or 1 is held fixed. The four concentrations are in ``[uncertainty]`` of
``parameters.toml``.

**Posterior intervals.** S parameter sets are drawn (numpy's Generator, seeded, so an answer is
reproducible); under each, the posterior of every process and outcome given the evidence is
computed exactly, and the 5th and 95th percentiles of the S posteriors form a 90 % interval. The
tables of all S parameter sets are built at once as arrays with a leading sample axis, and each
target's posterior is one tensor contraction (opt_einsum) over its ancestors with that sample axis
shared by every factor, as :mod:`exoreason.batch` does with its profile axis: evidence falls on
cargo (the roots), so each root's factor is replaced by its posterior [1 - m, m] (m = 1 or 0 for
hard evidence, the virtual-evidence posterior for a soft reading q).

**Sensitivity.** For one outcome Y and the evidence e, dP(Y | e)/d theta for every parameter, by
central finite differences on the tables (all 2 x (number of parameters) perturbed parameter sets
in one vectorised pass). Given root evidence, P(Y | e) is affine in each edge strength and each
leak (each appears in exactly one table, whose entries are affine in it), so for those the
difference quotient is exact up to rounding; for a base rate under a soft reading it is accurate to
about the square of the step.

Both are statements about the model: how far its answer moves when its literature-derived
parameters move. They are not clinical predictions, and they do not cover what the graph leaves
out (missing edges, causes exosomes do not carry, errors in the structure).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .batch import einsum_symbols
from .errors import InferenceError, InputError
from .model import CompiledNetwork, Parameters
from .network import Edge

if TYPE_CHECKING:
    from .inference import InferenceResult

__all__ = [
    "LEVEL",
    "IntervalResult",
    "ParameterSpace",
    "Sensitivity",
    "SensitivityResult",
    "TableModel",
    "check_samples",
    "posterior_intervals",
    "resolve_outcome",
    "sensitivity",
    "study_count",
    "with_intervals",
]

LEVEL = 0.9
_OUTCOME_KINDS = ("process", "outcome")
_STEP = 1e-5
_CHUNK = 2048


def study_count(edge: Edge, params: Parameters) -> int:
    """Distinct studies behind an edge, per evidence kind, as in :func:`~exoreason.model.edge_strength`.

    >>> from exoreason.network import Edge, Evidence
    >>> from exoreason.model import load_parameters
    >>> e = Evidence("f", "f", "Table 3", "q", ("ECO:0000304",), (27,), (), ())
    >>> study_count(Edge("a", "b", "+", (e, e)), load_parameters())  # one study cited twice
    1
    """
    per_kind: dict[str, set[str]] = {}
    for item in edge.evidence:
        for code in item.kinds:
            if code in params.kinds:
                per_kind.setdefault(code, set()).update(item.study_keys())
    return sum(len(studies) for studies in per_kind.values())


def check_samples(samples: Any) -> int:
    """A sample count: a positive integer, else :class:`InputError`."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise InputError(f"the number of samples must be a positive integer, got {samples!r}")
    return int(samples)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"the seed must be a non-negative integer, got {seed!r}")
    return int(seed)


@dataclass(frozen=True)
class ParameterSpace:
    """The parameters as one vector: edge strengths, then leaks, then cargo base rates."""

    kinds: tuple[str, ...]  # "edge", "leak" or "base_rate"
    keys: tuple[str, ...]  # "parent->child" for an edge, else the node key
    means: np.ndarray
    concentrations: np.ndarray
    studies: np.ndarray  # distinct studies behind each edge (0 for leaks and base rates)
    edges: dict[tuple[str, str], Edge] = field(default_factory=dict)

    @classmethod
    def from_compiled(cls, compiled: CompiledNetwork) -> ParameterSpace:
        params, spec = compiled.params, compiled.spec
        kinds: list[str] = []
        keys: list[str] = []
        means: list[float] = []
        kappa: list[float] = []
        studies: list[int] = []
        edges: dict[tuple[str, str], Edge] = {}
        for edge in spec.edges:
            n = study_count(edge, params)
            edges[(edge.parent, edge.child)] = edge
            kinds.append("edge")
            keys.append(f"{edge.parent}->{edge.child}")
            means.append(compiled.strengths[(edge.parent, edge.child)])
            kappa.append(params.base_concentration + params.per_study_concentration * n)
            studies.append(n)
        for node in spec.nodes:
            if node.kind != "cargo":
                kinds.append("leak")
                keys.append(node.key)
                means.append(params.leak_of(node.key, node.kind))
                kappa.append(params.leak_concentration)
                studies.append(0)
        for node in spec.nodes:
            if node.kind == "cargo":
                kinds.append("base_rate")
                keys.append(node.key)
                means.append(params.base_rate_of(node.key))
                kappa.append(params.base_rate_concentration)
                studies.append(0)
        return cls(tuple(kinds), tuple(keys), np.array(means, dtype=float), np.array(kappa, dtype=float),
                   np.array(studies, dtype=int), edges)

    def __len__(self) -> int:
        return len(self.keys)

    def index(self, kind: str, key: str) -> int:
        for i, (k, name) in enumerate(zip(self.kinds, self.keys, strict=True)):
            if k == kind and name == key:
                return i
        raise KeyError((kind, key))

    def sample(self, samples: int, seed: int) -> np.ndarray:
        """``samples`` parameter vectors (rows) drawn from the Beta distributions."""
        rng = np.random.default_rng(seed)
        fixed = (self.means <= 0.0) | (self.means >= 1.0)
        mean = np.where(fixed, 0.5, self.means)
        draws = rng.beta(self.concentrations * mean, self.concentrations * (1.0 - mean),
                         size=(samples, len(self)))
        return np.where(fixed, self.means, draws)


@dataclass
class _Recipe:
    node: str
    parents: tuple[str, ...]
    base: int = -1  # a root: index of its base rate
    leak: int = -1  # index of the leak; -1 for none (auxiliary OR nodes)
    weights: list[int] = field(default_factory=list)  # per parent: parameter index, -1 for weight 1
    inhibits: list[bool] = field(default_factory=list)
    states: np.ndarray = field(default_factory=lambda: np.zeros((1, 0), dtype=bool))


@dataclass
class _Target:
    key: str
    nodes: list[str]
    subscripts: str
    expressions: dict[int, Any] = field(default_factory=dict)


class TableModel:
    """The network's tables as functions of the parameter vector, evaluated for many vectors at once."""

    def __init__(self, compiled: CompiledNetwork, targets: Sequence[str] | None = None) -> None:
        self.compiled = compiled
        self.space = ParameterSpace.from_compiled(compiled)
        self.targets = list(targets if targets is not None else
                            [n.key for n in compiled.spec.nodes if n.kind in _OUTCOME_KINDS])
        tables = compiled.tables
        self.roots = [k for k in compiled.order if not tables[k].parents]
        self._recipes = {node: self._recipe(node) for node in compiled.order}
        point = self.tables(self.space.means[None, :])
        for node, table in tables.items():
            if not np.allclose(point[node][0], table.p_true, rtol=0.0, atol=1e-12):
                raise InferenceError(
                    f"the table of {node} is not the literature's noisy-OR (tables fitted with --model?); "
                    "intervals and sensitivities need the literature tables")
        batch, sym = einsum_symbols()
        self._targets: list[_Target] = []
        for target in self.targets:
            if target not in tables:
                raise InferenceError(f"not a network node: {target!r}")
            nodes = sorted(self.compiled.ancestors(target))
            terms = [batch + "".join(sym(a) for a in (*tables[n].parents, n)) for n in nodes]
            self._targets.append(_Target(target, nodes, ",".join(terms) + "->" + batch + sym(target)))

    def _recipe(self, node: str) -> _Recipe:
        """Which parameter each entry of ``node``'s table depends on (auxiliary OR nodes included)."""
        import itertools

        compiled, space = self.compiled, self.space
        table = compiled.tables[node]
        recipe = _Recipe(node, table.parents)
        if not table.parents:
            recipe.base = space.index("base_rate", node)
            return recipe
        auxiliary = node in compiled.auxiliary
        owner = node.rpartition("__")[0] if auxiliary else node
        if not auxiliary:
            recipe.leak = space.index("leak", node)
        for parent in table.parents:
            if parent in compiled.auxiliary:
                recipe.weights.append(-1)
                recipe.inhibits.append(not auxiliary and parent.startswith(f"{node}__any_inhibitor"))
                continue
            edge = space.edges[(parent, owner)]
            recipe.weights.append(space.index("edge", f"{parent}->{owner}"))
            recipe.inhibits.append(not auxiliary and edge.sign == "-")
        recipe.states = np.array(list(itertools.product((False, True), repeat=len(table.parents))), dtype=bool)
        return recipe

    def tables(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """P(node = true | each parent configuration) for each parameter vector: (vectors, 2^k)."""
        out: dict[str, np.ndarray] = {}
        for node, recipe in self._recipes.items():
            out[node] = self._p_true(recipe, theta)
        return out

    @staticmethod
    def _p_true(recipe: _Recipe, theta: np.ndarray) -> np.ndarray:
        size = theta.shape[0]
        if recipe.base >= 0:
            return theta[:, recipe.base][:, None]
        columns = recipe.states.shape[0]
        leak = theta[:, recipe.leak] if recipe.leak >= 0 else np.zeros(size)
        off = np.repeat((1.0 - leak)[:, None], columns, axis=1)
        kept = np.ones((size, columns))
        for i, (index, inhibits) in enumerate(zip(recipe.weights, recipe.inhibits, strict=True)):
            weight = theta[:, index] if index >= 0 else np.ones(size)
            factor = np.where(recipe.states[None, :, i], (1.0 - weight)[:, None], 1.0)
            if inhibits:
                kept *= factor
            else:
                off *= factor
        return (1.0 - off) * kept

    def _readings(self, evidence: Mapping[str, float]) -> dict[str, float]:
        readings: dict[str, float] = {}
        for key, value in evidence.items():
            if key not in self.roots:
                raise InferenceError(f"not a cargo node: {key!r}")
            q = float(value)
            if not 0.0 <= q <= 1.0:
                raise InferenceError(f"reading for {key} must be a probability in [0, 1], got {value!r}")
            readings[key] = q
        return readings

    def posteriors(self, theta: np.ndarray, evidence: Mapping[str, float]) -> np.ndarray:
        """P(target = true | evidence) for each parameter vector (rows) and target (columns)."""
        readings = self._readings(evidence)
        out = np.empty((theta.shape[0], len(self._targets)))
        for start in range(0, theta.shape[0], _CHUNK):
            block = theta[start:start + _CHUNK]
            out[start:start + block.shape[0]] = self._block(block, readings)
        return out

    def _block(self, theta: np.ndarray, readings: Mapping[str, float]) -> np.ndarray:
        import opt_einsum

        size = theta.shape[0]
        p_true = self.tables(theta)
        tensors: dict[str, np.ndarray] = {}
        for node, p in p_true.items():
            recipe = self._recipes[node]
            if recipe.base >= 0:
                prior = p[:, 0]
                q = readings.get(node)
                if q is None:
                    m = prior
                elif q in (0.0, 1.0):
                    m = np.full(size, q)
                else:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        m = prior * q / (prior * q + (1.0 - prior) * (1.0 - q))
                tensors[node] = np.stack([1.0 - m, m], axis=1)
            else:
                k = len(recipe.parents)
                tensors[node] = np.stack([1.0 - p, p], axis=2).reshape((size, *([2] * k), 2))
        out = np.empty((size, len(self._targets)))
        for column, target in enumerate(self._targets):
            operands = [tensors[n] for n in target.nodes]
            expression = target.expressions.get(size)
            if expression is None:
                expression = opt_einsum.contract_expression(
                    target.subscripts, *[op.shape for op in operands], optimize="greedy")
                target.expressions[size] = expression
            out[:, column] = expression(*operands)[:, 1]
        if not np.all(np.isfinite(out)):
            raise InferenceError("the evidence contradicts a base rate of 0 or 1")
        return out


# -- posterior intervals ---------------------------------------------------------------------------

@dataclass(frozen=True)
class IntervalResult:
    """The point posteriors and their intervals under parameter uncertainty."""

    samples: int
    seed: int
    level: float
    point: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]

    def interval(self, key: str) -> tuple[float, float]:
        return self.low[key], self.high[key]

    def meta(self) -> dict[str, Any]:
        return {"samples": self.samples, "seed": self.seed, "level": self.level}


def posterior_intervals(compiled: CompiledNetwork, evidence: Mapping[str, float],
                        targets: Sequence[str] | None = None, samples: int = 1000, seed: int = 0,
                        level: float = LEVEL, model: TableModel | None = None) -> IntervalResult:
    """The central ``level`` interval of each target's posterior over ``samples`` parameter draws."""
    samples = check_samples(samples)
    seed = _check_seed(seed)
    if not 0.0 < level < 1.0:
        raise InputError(f"the interval level must be in (0, 1), got {level!r}")
    model = model or TableModel(compiled, targets)
    draws = model.posteriors(model.space.sample(samples, seed), evidence)
    point = model.posteriors(model.space.means[None, :], evidence)[0]
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(draws, [tail, 100.0 - tail], axis=0)
    keys = model.targets
    return IntervalResult(samples, seed, level,
                          {k: float(v) for k, v in zip(keys, point, strict=True)},
                          {k: float(v) for k, v in zip(keys, low, strict=True)},
                          {k: float(v) for k, v in zip(keys, high, strict=True)})


def with_intervals(result: InferenceResult, compiled: CompiledNetwork, samples: int = 1000,
                   seed: int = 0) -> InferenceResult:
    """``result`` with an interval on each outcome (a new result; ``result`` is unchanged)."""
    keys = [o.key for o in result.outcomes]
    found = posterior_intervals(compiled, result.evidence, keys, samples, seed)
    outcomes = [dataclasses.replace(o, interval=found.interval(o.key)) for o in result.outcomes]
    return dataclasses.replace(result, outcomes=outcomes, intervals=found.meta())


# -- sensitivity -----------------------------------------------------------------------------------

def resolve_outcome(compiled: CompiledNetwork, name: str) -> str:
    """The process or outcome a name denotes (key, label or synonym, case-insensitive)."""
    wanted = name.strip().casefold()
    candidates = [n for n in compiled.spec.nodes if n.kind in _OUTCOME_KINDS]
    for node in candidates:
        if wanted in {x.casefold() for x in (node.key, node.label, *node.names)}:
            return node.key
    by_name = {x: n.key for n in candidates for x in (n.key, n.label)}
    close = list(dict.fromkeys(by_name[x] for x in difflib.get_close_matches(name, sorted(by_name), n=6, cutoff=0.5)))
    hint = (f"; closest: {', '.join(close[:3])}" if close
            else f"; known: {', '.join(sorted(n.key for n in candidates))}")
    raise InferenceError(f"unknown outcome {name!r}{hint}")


@dataclass(frozen=True)
class Sensitivity:
    """dP(outcome | evidence)/d(parameter) for one parameter, with the findings behind an edge."""

    kind: str  # "edge", "leak" or "base_rate"
    key: str  # "parent->child" or a node key
    value: float
    derivative: float
    studies: int = 0
    sign: str = ""
    findings: tuple[dict[str, Any], ...] = ()

    @property
    def description(self) -> str:
        if self.kind == "edge":
            parent, _, child = self.key.partition("->")
            return f"strength {parent} {'-|' if self.sign == '-' else '->'} {child}"
        return f"{'leak of' if self.kind == 'leak' else 'base rate of'} {self.key}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"parameter": self.kind, "key": self.key, "value": self.value,
                               "derivative": self.derivative}
        if self.kind == "edge":
            parent, _, child = self.key.partition("->")
            out.update({"parent": parent, "child": child,
                        "effect": "promotes" if self.sign == "+" else "inhibits",
                        "studies": self.studies, "findings": list(self.findings)})
        return out


@dataclass
class SensitivityResult:
    """Every parameter's derivative, largest in absolute value first."""

    outcome: str
    label: str
    evidence: dict[str, float]
    posterior: float
    rows: list[Sensitivity]
    parameters: str = "defaults"
    cancer: str | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        from .inference import DISCLAIMER, _state

        return {"outcome": self.outcome, "label": self.label,
                "evidence": {k: _state(v) for k, v in self.evidence.items()},
                "cancer": self.cancer, "parameters": self.parameters, "posterior": self.posterior,
                "method": "central finite differences on the tables (step 1e-5)",
                "note": DISCLAIMER,
                "sensitivities": [r.to_dict() for r in self.rows[:top]]}

    def to_json(self, top: int | None = None) -> str:
        return json.dumps(self.to_dict(top), indent=2, ensure_ascii=False)

    def render_table(self, top: int | None = None) -> str:
        from .inference import DISCLAIMER, _cite, _describe

        rows = self.rows[:top]
        observed = ", ".join(f"{self.labels.get(k, k)} {_describe(v)}" for k, v in self.evidence.items()) or "none"
        lines = [f"Evidence: {observed}" + (f"; cancer: {self.cancer}" if self.cancer else ""),
                 f"P({self.outcome} = true) = {self.posterior:.3f}; change per unit change of each parameter:"]
        width = max([len("parameter")] + [len(r.description) for r in rows])
        lines.append(f"{'rank':>4}  {'parameter'.ljust(width)}  {'value':>6} {'dP/dparam':>10}")
        for rank, r in enumerate(rows, 1):
            lines.append(f"{rank:4d}  {r.description.ljust(width)}  {r.value:6.3f} {r.derivative:+10.4f}")
            for f in r.findings:
                lines.append(f"        {f['label']}: {_cite(f)}")
        lines.append("")
        lines.append("A derivative of +0.3 means: were that parameter 0.1 higher, the posterior would be about "
                     "0.03 higher.")
        lines.append(f"Note: {DISCLAIMER} Parameters: {self.parameters}.")
        return "\n".join(lines)


def sensitivity(compiled: CompiledNetwork, evidence: Mapping[str, float], outcome: str,
                step: float = _STEP, cancer: str | None = None) -> SensitivityResult:
    """dP(outcome = true | evidence)/d theta for every parameter theta, ranked by absolute value."""
    from .inference import _finding_dict

    if outcome not in compiled.tables or compiled.spec.node(outcome).kind not in _OUTCOME_KINDS:
        raise InferenceError(f"unknown outcome {outcome!r}")
    model = TableModel(compiled, [outcome])
    space = model.space
    size = len(space)
    shift = np.eye(size) * step
    theta = np.vstack([space.means[None, :], space.means + shift, space.means - shift])
    values = model.posteriors(theta, evidence)[:, 0]
    derivative = (values[1:size + 1] - values[size + 1:]) / (2.0 * step)
    params = compiled.params
    by_key = {f"{parent}->{child}": e for (parent, child), e in space.edges.items()}
    rows = []
    for i, (kind, key) in enumerate(zip(space.kinds, space.keys, strict=True)):
        edge = by_key.get(key) if kind == "edge" else None
        rows.append(Sensitivity(
            kind, key, float(space.means[i]), float(derivative[i]), int(space.studies[i]),
            edge.sign if edge else "",
            tuple(_finding_dict(e, params) for e in edge.evidence) if edge else ()))
    order = {"edge": 0, "leak": 1, "base_rate": 2}
    rows.sort(key=lambda r: (-round(abs(r.derivative), 9), order[r.kind], r.key))
    node = compiled.spec.node(outcome)
    return SensitivityResult(outcome, node.label, {k: float(v) for k, v in evidence.items()},
                             float(values[0]), rows, params.source, cancer,
                             {n.key: n.label for n in compiled.spec.nodes})
