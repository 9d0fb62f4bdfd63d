"""How sure is the answer: posterior intervals from parameter uncertainty, and sensitivities.

Every number a table is made from (an edge's link strength, a node's leak, a cargo's base rate) is
a choice made from the literature, not a measurement. This module asks how much the answer depends
on those choices.

**Parameter uncertainty.** Each parameter theta gets a Beta distribution with mean theta (the
value the point answer uses) and concentration kappa, a pseudo-count total: Beta(kappa * theta,
kappa * (1 - theta)), whose variance theta (1 - theta) / (kappa + 1) shrinks as kappa grows.

* An edge's strength w: kappa = base_concentration + per_study_concentration * n, where n counts
  the distinct studies behind the edge as the strength formula does (``Finding.study_keys()``,
  once per evidence kind; kinds the parameters do not know are ignored). An edge carried by five
  studies is therefore held more tightly than one carried by a single review statement. A strength
  set in the user's ``[strength.edges]`` is the mean, sampled with the edge's kappa all the same.
* A node's leak and a cargo's base rate: kappa = leak_concentration, base_rate_concentration.

A mean of exactly 0 or 1 is held fixed. The four concentrations are in ``[uncertainty]`` of
``parameters.toml``.

**Posterior intervals.** S parameter sets are drawn (numpy's Generator, seeded, so an answer is
reproducible); under each, the posterior of every process and outcome given the evidence is
computed exactly, and the 5th and 95th percentiles of the S posteriors form a 90 % interval; the
change from the prior gets its interval the same way (prior and posterior under the same draw).
The tables of all S parameter sets are built at once (:meth:`CompiledNetwork.p_true`) and the
engine contracts them with a leading sample axis (:mod:`exoreason.engine`).

**Sensitivity.** For one outcome Y and the evidence e, dP(Y | e)/d theta for every parameter,
exactly: the engine's backward pass gives the derivative of P(Y, e) and P(e) in every table entry
in one pass (:meth:`~exoreason.engine.Engine.derivatives`), and each table entry's derivative in
the parameters of its family is exact as well.

Both are statements about the model: how far its answer moves when its literature-derived
parameters move. They are not clinical predictions, and they do not cover what the graph leaves
out (missing edges, causes exosomes do not carry, errors in the structure).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InferenceError, InputError
from .evidence import describe_reading
from .model import PARAMETER_KINDS, CompiledNetwork, parameter_name
from .network import EFFECTS

if TYPE_CHECKING:
    from .engine import Engine
    from .results import InferenceResult

__all__ = [
    "LEVEL",
    "IntervalResult",
    "Sensitivity",
    "SensitivityResult",
    "check_samples",
    "posterior_intervals",
    "sensitivity",
    "with_intervals",
]

LEVEL = 0.9
_OUTCOME_KINDS = ("process", "outcome")


def check_samples(samples: Any) -> int:
    """A sample count: a positive integer, else :class:`InputError`."""
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise InputError(f"the number of samples must be a positive integer, got {samples!r}")
    return int(samples)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"the seed must be a non-negative integer, got {seed!r}")
    return int(seed)


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
    change_low: dict[str, float] = field(default_factory=dict)
    change_high: dict[str, float] = field(default_factory=dict)

    def interval(self, key: str) -> tuple[float, float]:
        return self.low[key], self.high[key]

    def change_interval(self, key: str) -> tuple[float, float]:
        return self.change_low[key], self.change_high[key]

    def meta(self) -> dict[str, Any]:
        return {"samples": self.samples, "seed": self.seed, "level": self.level}


def posterior_intervals(compiled: CompiledNetwork, evidence: Mapping[str, float],
                        targets: Sequence[str] | None = None, samples: int = 1000, seed: int = 0,
                        level: float = LEVEL, do: Mapping[str, bool] | None = None,
                        engine: Engine | None = None) -> IntervalResult:
    """The central ``level`` interval of each target's posterior, and of its change from the prior,
    over ``samples`` parameter draws (the same draw for the prior and the posterior)."""
    samples = check_samples(samples)
    seed = _check_seed(seed)
    if not 0.0 < level < 1.0:
        raise InputError(f"the interval level must be in (0, 1), got {level!r}")
    from .engine import engine_for

    engine = engine_for(compiled, engine)
    keys = list(targets if targets is not None else
                [n.key for n in compiled.spec.nodes if n.kind in _OUTCOME_KINDS])
    space = compiled.space
    point = engine.posteriors(keys, evidence, do)[0]
    theta = space.sample(samples, seed)
    draws = engine.posteriors(keys, evidence, do, theta=theta)
    priors = engine.posteriors(keys, None, None, theta=theta)
    tail = 50.0 * (1.0 - level)
    low, high = np.percentile(draws, [tail, 100.0 - tail], axis=0)
    change_low, change_high = np.percentile(draws - priors, [tail, 100.0 - tail], axis=0)

    def by_key(values: np.ndarray) -> dict[str, float]:
        return {k: float(v) for k, v in zip(keys, values, strict=True)}

    return IntervalResult(samples, seed, level, by_key(point), by_key(low), by_key(high),
                          by_key(change_low), by_key(change_high))


def with_intervals(result: InferenceResult, compiled: CompiledNetwork, samples: int = 1000,
                   seed: int = 0, engine: Engine | None = None) -> InferenceResult:
    """``result`` with an interval on each outcome's posterior and on its change from the prior (a
    new result; ``result`` is unchanged)."""
    keys = [o.key for o in result.outcomes]
    found = posterior_intervals(compiled, result.evidence, keys, samples, seed, engine=engine)
    outcomes = [dataclasses.replace(o, interval=found.interval(o.key), change_interval=found.change_interval(o.key))
                for o in result.outcomes]
    return dataclasses.replace(result, outcomes=outcomes, intervals=found.meta())


# -- sensitivity -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sensitivity:
    """dP(outcome | evidence)/d(parameter) for one parameter, with the findings behind an edge."""

    kind: str  # model.PARAMETER_KINDS: "edge", "leak", "base_rate" or "gate"
    key: str  # "parent->child" or a node key
    value: float
    derivative: float
    studies: int = 0
    sign: str = ""
    findings: tuple[dict[str, Any], ...] = ()
    #: d(posterior - prior)/d(parameter): how the evidence's effect, not the baseline, depends on it
    change_derivative: float = 0.0

    @property
    def description(self) -> str:
        return self.describe()

    def describe(self, labels: Mapping[str, str] | None = None) -> str:
        """The parameter in words (``strength A -> B``, ``leak of X``), by the nodes' labels if given."""
        from .present import ARROWS

        return parameter_name(self.kind, self.key, ARROWS.get(self.sign, "->"), labels)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"parameter": self.kind, "key": self.key, "value": self.value,
                               "derivative": self.derivative, "change_derivative": self.change_derivative}
        if self.kind == "edge":
            parent, _, child = self.key.partition("->")
            out.update({"parent": parent, "child": child,
                        "effect": EFFECTS[self.sign],
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
        from .display import DISCLAIMER, json_ready
        from .evidence import reading_json

        return json_ready({"outcome": self.outcome, "label": self.label,  # type: ignore[no-any-return]
                           "evidence": {k: reading_json(v) for k, v in self.evidence.items()},
                           "cancer": self.cancer, "parameters": self.parameters, "posterior": self.posterior,
                           "method": "exact derivatives (the engine's backward pass)",
                           "note": DISCLAIMER,
                           "sensitivities": [r.to_dict() for r in self.rows[:top]]})

    def to_json(self, top: int | None = None) -> str:
        return json.dumps(self.to_dict(top), indent=2, ensure_ascii=False)

    def render_table(self, top: int | None = None) -> str:
        from .display import DISCLAIMER
        from .present import cite

        rows = self.rows[:top]
        observed = ", ".join(f"{self.labels.get(k, k)} {describe_reading(v)}" for k, v in self.evidence.items()) or "none"
        lines = [f"Evidence: {observed}" + (f"; cancer: {self.cancer}" if self.cancer else ""),
                 f"P({self.label} = true) = {self.posterior:.3f}; per unit change of each parameter, the change "
                 "of the evidence's effect (posterior - prior) and of the posterior, by the first:"]
        names = [r.describe(self.labels) for r in rows]
        width = max([len("parameter")] + [len(name) for name in names])
        lines.append(f"{'rank':>4}  {'parameter'.ljust(width)}  {'value':>6} {'d(change)':>10} {'dP/dparam':>10}")
        for rank, (r, name) in enumerate(zip(rows, names, strict=True), 1):
            lines.append(f"{rank:4d}  {name.ljust(width)}  {r.value:6.3f} {r.change_derivative:+10.4f} "
                         f"{r.derivative:+10.4f}")
            for f in r.findings:
                lines.append(f"        {f['label']}: {cite(f)}")
        lines.append("")
        lines.append("A derivative of +0.3 means: were that parameter 0.1 higher, the change (or the posterior) "
                     "would be about 0.03 higher. A parameter that sets the baseline (a leak, a gate) moves the "
                     "posterior and the prior alike; the change says what the evidence's effect rests on.")
        lines.append(f"Note: {DISCLAIMER} Parameters: {self.parameters}.")
        return "\n".join(lines)


def sensitivity(compiled: CompiledNetwork, evidence: Mapping[str, float], outcome: str,
                cancer: str | None = None, engine: Engine | None = None) -> SensitivityResult:
    """dP(outcome = true | evidence)/d theta and d(posterior - prior)/d theta for every parameter
    theta, exactly, ranked by the absolute value of the second: what the evidence's effect rests
    on (a leak or a gate moves the posterior and the prior alike)."""
    from .present import finding_record

    if outcome not in compiled.tables or compiled.spec.node(outcome).kind not in _OUTCOME_KINDS:
        raise InferenceError(f"unknown outcome {outcome!r}")
    space = compiled.space
    from .engine import engine_for

    answer = engine_for(compiled, engine)
    values, derivatives = answer.derivatives([outcome], evidence)
    _prior, prior_derivatives = answer.derivatives([outcome], None)
    derivative = derivatives[0]
    change_derivative = derivatives[0] - prior_derivatives[0]
    params = compiled.params
    by_key = {e.key: e for e in compiled.spec.edges}
    rows = []
    for i, (kind, key) in enumerate(zip(space.kinds, space.keys, strict=True)):
        edge = by_key.get(key) if kind == "edge" else None
        rows.append(Sensitivity(
            kind, key, float(space.means[i]), float(derivative[i]), int(space.studies[i]),
            edge.sign if edge else "",
            tuple(finding_record(f, params) for f in edge.findings) if edge else (),
            float(change_derivative[i])))
    rows.sort(key=lambda r: (-round(abs(r.change_derivative), 9), -round(abs(r.derivative), 9),
                             PARAMETER_KINDS.index(r.kind), r.key))
    node = compiled.spec.node(outcome)
    return SensitivityResult(outcome, node.label, {k: float(v) for k, v in evidence.items()},
                             float(values[0]), rows, params.source, cancer,
                             {n.key: n.label for n in compiled.spec.nodes})
