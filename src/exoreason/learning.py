"""Learning the network's own parameters from a cohort, with the literature as the prior.

A cohort observes some nodes in each row (typically exosomal cargo and recorded outcomes; the
target-gene effects and most processes are never observed), hard (true/false) or soft (a
likelihood reading in (0, 1), as :mod:`exoreason.evidence` defines it). What is learned are the
numbers every posterior, interval, sensitivity and citation rests on: the link strength of each
edge, the leak of each node and the base rate of each cargo (:class:`~exoreason.model.ParameterSpace`),
not free-form tables.

**The prior.** Each parameter theta_j has the Beta distribution of the uncertainty model (mean
m_j, the literature's value; concentration kappa_j, growing with the studies behind an edge: see
:mod:`exoreason.uncertainty`), scaled by ``prior_weight`` (1: as the uncertainty model says; 0:
maximum likelihood). It enters as kappa_j m_j pseudo-observations of "true" and kappa_j (1 - m_j)
of "false":

    log prior(theta) = sum_j kappa_j m_j log theta_j + kappa_j (1 - m_j) log(1 - theta_j),

the log-density of Beta(kappa m + 1, kappa (1 - m) + 1). Its maximum with no data is the
literature's value m_j itself, and for a cargo observed in every row the estimate is the posterior
mean of Beta(kappa m, kappa (1 - m)) after the counts, (N_true + kappa m) / (N + kappa).

**Expectation-maximisation** (MAP-EM) maximises log P(cohort | theta) + log prior(theta):

* E-step: for every row and every family (a node and its parents, auxiliary nodes included), the
  posterior joint of the family given the row, summed over rows (the expected counts N(c, x) of
  each parent configuration c and node state x), by the exact engine
  (:meth:`~exoreason.engine.Engine.expected_counts`); identical rows are answered once.
* M-step, node by node: each parameter enters exactly one table (checked), and affinely
  (P(x = true | c) = alpha_c + beta_c theta_j), so the expected complete log-likelihood of the
  table plus the log prior is concave in each parameter: coordinate ascent, each coordinate solved
  by a safeguarded Newton step to its maximum in (0, 1). The objective never decreases (a
  generalised EM); the log posterior of every iteration is kept (``FitResult.log_posteriors``).
* Parameters whose node has no observed descendant (nor is observed) cannot be informed by the
  data: they keep their literature value and are listed; parameters at exactly 0 or 1 are held.

**Speed.** Identical rows are answered once (weighted by their count). Every second EM step is
followed by a squared extrapolation along the last two (SQUAREM: Varadhan and Roland, Scandinavian
Journal of Statistics, 2008), in logit coordinates, kept only where the log posterior does not fall
below the plain EM step's; the recorded log posteriors therefore never decrease either way
(``accelerate=False`` runs plain EM).

**How sure.** The posterior concentration of a fitted parameter is theta (1 - theta) / Var(theta),
Var from the inverse of the precision matrix at the estimate: the prior's (kappa_j / (theta_j (1 -
theta_j)) on the diagonal: a Beta of concentration kappa_j around the estimate) plus the empirical
information of the data (the sum over rows of the outer product of the row's score, the gradient of
log P(row | theta): by Fisher's identity, the expected complete-data score under the row's family
posteriors). A parameter alone in the data (a cargo observed in every row, its score uncorrelated
with the others') gets close to kappa + N, the conjugate posterior's concentration; correlations
with other parameters' scores give less, and never less than the prior's kappa.
These concentrations are what ``infer --config FITTED --intervals`` samples from, so intervals
narrow where the data inform the parameters and stay as wide as the literature's where they do not.

The fitted parameters are written as a parameters file (``parameters.toml``'s layout, see
:func:`parameters_toml`), which every command reads with ``--config``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from .cohort import Cohort, distinct_rows, read_cohort  # the cohort's home; re-exported here
from .engine import Engine, EvidenceBatch, ImpossibleEvidence, engine_for
from .errors import ExoreasonError, InputError, NetworkError
from .model import PARAMETER_KINDS, CompiledNetwork, Parameters, compile_network, parameter_name

__all__ = [
    "DEFAULT_ITERATIONS",
    "DEFAULT_TOLERANCE",
    "Cohort",
    "FitResult",
    "ParameterChange",
    "cancer_label",
    "fit",
    "forward_sample",
    "parameter_owners",
    "parameters_toml",
    "read_cohort",
]

DEFAULT_ITERATIONS = 200
#: EM stops when an iteration raises the log posterior by less than this much per row.
DEFAULT_TOLERANCE = 1e-6
_EDGE = 1e-9  # fitted parameters stay in [_EDGE, 1 - _EDGE]
_SWEEPS = 2  # coordinate-ascent sweeps over a table's parameters in one M-step
_SCORE_CHUNK = 2048


# -- the parameters and their tables ------------------------------------------------------------------

def parameter_owners(compiled: CompiledNetwork) -> dict[int, str]:
    """The table each parameter enters (by index into the parameter vector).

    Each must enter exactly one table, once: the M-step maximises over each table apart, and the
    table is affine in each of its parameters only so. Anything else is a :class:`NetworkError`.
    """
    owners: dict[int, str] = {}
    space = compiled.space
    for node, family in compiled.families.items():
        indices = ([family.leak] if family.leak >= 0 else []) + [w for w in family.weights if w >= 0] \
            + ([family.gate] if family.gate >= 0 else [])
        for index in indices:
            if index in owners:
                where = "twice in the table of " + node if owners[index] == node else \
                    f"in the tables of {owners[index]} and {node}"
                raise NetworkError(f"parameter {space.kinds[index]} {space.keys[index]} appears {where}; "
                                   "each parameter must belong to one table for learning")
            owners[index] = node
    return owners


@dataclass(frozen=True)
class ParameterChange:
    """One fitted parameter: its literature value and concentration, and the fitted ones."""

    kind: str  # model.PARAMETER_KINDS: "edge", "leak", "base_rate" or "gate"
    key: str
    prior: float
    fitted: float
    prior_concentration: float
    concentration: float

    @property
    def change(self) -> float:
        return self.fitted - self.prior

    @property
    def description(self) -> str:
        return parameter_name(self.kind, self.key)

    def to_dict(self) -> dict[str, Any]:
        return {"parameter": self.kind, "key": self.key, "literature": self.prior, "fitted": self.fitted,
                "change": self.change, "literature_concentration": self.prior_concentration,
                "concentration": self.concentration}


@dataclass
class FitResult:
    """The fitted parameter vector, its posterior concentrations, and how EM got there."""

    compiled: CompiledNetwork  # the literature's network: the prior and the starting point
    theta: np.ndarray
    concentrations: np.ndarray
    informed: np.ndarray  # bool per parameter: the data reach it
    fixed: np.ndarray  # bool per parameter: literature value 0 or 1, held
    rows: int
    distinct: int
    nodes: tuple[str, ...]
    log_likelihoods: list[float]  # log P(cohort | theta) before each M-step and at the end
    log_posteriors: list[float]  # the same plus the log prior (up to a constant)
    converged: bool
    prior_weight: float = 1.0
    source: str = ""
    skipped: tuple[str, ...] = ()
    evaluations: int = 0  # E-steps run (passes of the engine over the distinct rows)

    @property
    def iterations(self) -> int:
        return len(self.log_likelihoods) - 1

    @property
    def fitted(self) -> np.ndarray:
        """Whether each parameter was fitted (informed by the data and not held)."""
        return self.informed & ~self.fixed

    def changes(self) -> list[ParameterChange]:
        """Every fitted parameter, largest change first."""
        space = self.compiled.space
        out = [ParameterChange(space.kinds[i], space.keys[i], float(space.means[i]), float(self.theta[i]),
                               float(space.concentrations[i]), float(self.concentrations[i]))
               for i in np.flatnonzero(self.fitted)]
        out.sort(key=lambda c: (-round(abs(c.change), 9), PARAMETER_KINDS.index(c.kind), c.key))
        return out

    def parameters(self) -> Parameters:
        """The parameters the network had, with the fitted means and concentrations laid over
        them: what :func:`parameters_toml` writes and ``--config`` reads back."""
        params = self.compiled.params
        values: dict[str, dict[str, float]] = {kind: {} for kind in PARAMETER_KINDS}
        spreads: dict[str, dict[str, float]] = {kind: {} for kind in PARAMETER_KINDS}
        values.update(self.pinned())
        for change in self.changes():
            values[change.kind][change.key] = round(change.fitted, 9)
            spreads[change.kind][change.key] = round(change.concentration, 6)
        return dataclasses.replace(
            params,
            strength_edges={**params.strength_edges, **values["edge"]},
            leak_nodes={**params.leak_nodes, **values["leak"]},
            base_rate_nodes={**params.base_rate_nodes, **values["base_rate"]},
            gate_nodes={**params.gate_nodes, **values["gate"]}, run_priors={},
            concentration_gate_nodes={**params.concentration_gate_nodes, **spreads["gate"]},
            concentration_edges={**params.concentration_edges, **spreads["edge"]},
            concentration_leak_nodes={**params.concentration_leak_nodes, **spreads["leak"]},
            concentration_base_rate_nodes={**params.concentration_base_rate_nodes, **spreads["base_rate"]},
            fit=self.metadata(), source=f"fitted to {self.source or 'a cohort'} ({self.rows} rows)")

    def pinned(self) -> dict[str, dict[str, float]]:
        """Every leak and cargo base rate the fit ran with (calibrated to the priors, or fitted),
        and every gate below 1, by kind: a fitted file holds them all as given, so that it
        answers as the fitted network does whatever the reference priors say later."""
        space = self.compiled.space
        out: dict[str, dict[str, float]] = {kind: {} for kind in PARAMETER_KINDS}
        for i, (kind, key) in enumerate(zip(space.kinds, space.keys, strict=True)):
            if kind != "edge":
                out[kind][key] = round(float(self.theta[i]), 9)
        return out

    def network(self) -> CompiledNetwork:
        """The network with the fitted parameters (and their concentrations), ready for the engine."""
        return compile_network(self.compiled.spec, self.parameters(), self.compiled.cancer)

    def metadata(self, when: datetime | None = None) -> dict[str, Any]:
        """The [fit] section: what was fitted from what."""
        compiled = self.compiled
        cancer = cancer_label(compiled)
        return {"cohort": Path(self.source).name if self.source else "", "rows": self.rows,
                "fitted": int(self.fitted.sum()),
                "date": (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "prior": compiled.params.source, "prior_weight": self.prior_weight,
                "iterations": self.iterations, "converged": self.converged,
                **({"cancer": cancer} if cancer else {})}

    def uninformed(self) -> list[tuple[str, str]]:
        """(kind, key) of the parameters the data cannot inform: no observed descendant."""
        space = self.compiled.space
        return [(space.kinds[i], space.keys[i]) for i in np.flatnonzero(~self.informed & ~self.fixed)]

    def held(self) -> list[tuple[str, str]]:
        """(kind, key) of the parameters held at a literature value of exactly 0 or 1."""
        space = self.compiled.space
        return [(space.kinds[i], space.keys[i]) for i in np.flatnonzero(self.fixed)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "cohort": self.source, "rows": self.rows, "distinct_rows": self.distinct,
            "observed": list(self.nodes), "skipped_columns": list(self.skipped),
            "prior": self.compiled.params.source, "cancer": self.compiled.cancer,
            "prior_weight": self.prior_weight, "iterations": self.iterations, "converged": self.converged,
            "log_likelihood": {"literature": self.log_likelihoods[0], "fitted": self.log_likelihoods[-1]},
            "fitted": [c.to_dict() for c in self.changes()],
            "not_informed": [{"parameter": k, "key": n} for k, n in self.uninformed()],
            "held": [{"parameter": k, "key": n} for k, n in self.held()],
        }

    def render(self, top: int | None = None) -> str:
        """The report: what moved and by how much (the ``top`` largest changes; None: every one),
        and what the data cannot inform, each parameter named by its nodes' labels."""
        changes = self.changes()
        labels = {node.key: node.label for node in self.compiled.spec.nodes}
        n = len(self.compiled.space)
        per_row = [v / self.rows for v in (self.log_likelihoods[0], self.log_likelihoods[-1])]
        status = "converged." if self.converged else "stopped at the iteration limit (not converged)."
        lines = [
            (f"Fitted {len(changes)} of {n} parameters to {self.source or 'the cohort'} ({self.rows} rows, "
             f"observing {len(self.nodes)} nodes) by expectation-maximisation: {self.iterations} iterations, "
             f"{status}"),
            (f"Prior: the literature's parameters ({self.compiled.params.source}"
             + (f"; --cancer {cancer_label(self.compiled)}" if self.compiled.cancer else "")
             + f"), each with its Beta distribution (weight {self.prior_weight:g})."),
            (f"Log-likelihood per row: {per_row[0]:.4f} with the literature's parameters, "
             f"{per_row[1]:.4f} fitted."),
        ]
        if self.skipped:
            lines.append("Skipped columns naming no node: " + ", ".join(self.skipped) + ".")
        if changes:
            shown = changes[:top] if top else changes
            names = [parameter_name(c.kind, c.key, labels=labels) for c in shown]
            width = max(len("parameter"), *(len(name) for name in names))
            lines += ["", (f"{'parameter'.ljust(width)}  {'literature':>10} {'fitted':>7} {'change':>7}  "
                           f"{'concentration':>17}")]
            for c, name in zip(shown, names, strict=True):
                lines.append(f"{name.ljust(width)}  {c.prior:10.3f} {c.fitted:7.3f} {c.change:+7.3f}  "
                             f"{c.prior_concentration:7.1f} -> {c.concentration:7.1f}")
            if len(shown) < len(changes):
                lines.append(f"... and {len(changes) - len(shown)} smaller changes (--all lists them; the "
                             "written file holds every parameter)")
        for what, found in (("Not informed by the data (no observed descendant), kept at their literature values",
                             self.uninformed()),
                            ("Held at a literature value of 0 or 1", self.held())):
            if not found:
                continue
            if top and len(found) > top:
                lines += ["", f"{what}: {len(found)} parameters (--all names them)."]
            else:
                lines += ["", f"{what} ({len(found)}): "
                              + ", ".join(parameter_name(k, key, labels=labels) for k, key in found) + "."]
        return "\n".join(lines)


def cancer_label(compiled: CompiledNetwork) -> str | None:
    """The cancer type a network was compiled for (``--cancer``), by its label: the one of its cancer
    context that every other in it is narrower than; None without one."""
    context = compiled.cancer
    if not context:
        return None
    spec = compiled.spec
    for cancer in spec.cancers:
        if cancer.iri in context and spec.cancer_context(cancer.iri) == frozenset(context):
            return cancer.label
    return ", ".join(sorted(c.label for c in spec.cancers if c.iri in context))


# -- expectation-maximisation -----------------------------------------------------------------------

def fit(compiled: CompiledNetwork, data: Cohort | EvidenceBatch, *, max_iterations: int = DEFAULT_ITERATIONS,
        tolerance: float = DEFAULT_TOLERANCE, prior_weight: float = 1.0, accelerate: bool = True,
        engine: Engine | None = None, progress: Callable[[int, float], None] | None = None) -> FitResult:
    """The MAP estimate of the network's parameters given a cohort, by expectation-maximisation."""
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, (int, np.integer)) or max_iterations < 0:
        raise InputError(f"the number of iterations must be an integer >= 0, got {max_iterations!r}")
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise InputError(f"the tolerance must be a finite number >= 0, got {tolerance!r}")
    if not (isinstance(prior_weight, (int, float)) and math.isfinite(prior_weight) and prior_weight >= 0):
        raise InputError(f"the prior weight must be a finite number >= 0, got {prior_weight!r}")
    engine = engine_for(compiled, engine)
    cohort = data if isinstance(data, Cohort) else None
    batch = data.batch if isinstance(data, Cohort) else data
    readings, weights, inverse = distinct_rows(np.asarray(batch.readings, dtype=float))
    rows = int(batch.readings.shape[0])
    if rows == 0:
        raise InputError("the cohort has no rows")
    distinct = EvidenceBatch(batch.nodes, readings)
    space = compiled.space
    owners = parameter_owners(compiled)
    means = space.means
    kappa = space.concentrations * float(prior_weight)
    a, b = kappa * means, kappa * (1.0 - means)
    observed = [n for j, n in enumerate(batch.nodes) if not np.isnan(readings[:, j]).all()]
    if not observed:
        raise InputError(f"{cohort.source if cohort else 'the cohort'}: no cell holds a reading; nothing to fit")
    reached: set[str] = set()
    for node in observed:
        reached |= compiled.ancestors(node)
    informed = np.array([owners.get(i) in reached for i in range(len(space))], dtype=bool)
    fixed = (means <= 0.0) | (means >= 1.0)
    free = informed & ~fixed
    by_table: dict[str, list[int]] = {}
    for index in np.flatnonzero(free):
        by_table.setdefault(owners[int(index)], []).append(int(index))

    def log_prior(theta: np.ndarray) -> float:
        t = theta[free]
        return float(np.sum(a[free] * np.log(t) + b[free] * np.log1p(-t)))

    theta = means.astype(float).copy()
    theta[free] = np.clip(theta[free], _EDGE, 1.0 - _EDGE)
    likelihoods: list[float] = []
    posteriors: list[float] = []
    evaluations = 0

    def expect(vector: np.ndarray) -> tuple[Any, float]:
        nonlocal evaluations
        counts = engine.expected_counts(distinct, weights, vector)
        evaluations += 1
        return counts, counts.log_likelihood + log_prior(vector)

    def accept(vector: np.ndarray, counts: Any, value: float) -> bool:
        """Record an iterate; True when the fit has converged (or cannot go on)."""
        likelihoods.append(counts.log_likelihood)
        posteriors.append(value)
        if progress is not None:
            progress(len(posteriors) - 1, counts.log_likelihood / rows)
        return len(posteriors) > 1 and posteriors[-1] - posteriors[-2] < tolerance * rows

    try:
        counts, value = expect(theta)
        converged = accept(theta, counts, value) or not by_table
        while not converged and len(posteriors) <= max_iterations:
            # Two EM steps, then (with ``accelerate``) one squared extrapolation along them
            # (SQUAREM), kept only if the log posterior does not fall below the second step's.
            start = theta
            path = []
            for _ in range(2 if accelerate else 1):
                theta = _maximise(compiled, theta, counts.counts, by_table, a, b)
                counts, value = expect(theta)
                path.append(theta)
                converged = accept(theta, counts, value)
                if converged or len(posteriors) > max_iterations:
                    break
            if converged or len(path) < 2 or len(posteriors) > max_iterations:
                continue
            jump = _extrapolate(start, path[0], path[1], free)
            if jump is not None:
                jump_counts, jump_value = expect(jump)
                if jump_value >= value:
                    theta, counts, value = jump, jump_counts, jump_value
                    converged = accept(theta, counts, value)
        concentrations = space.concentrations.copy()
        if by_table:
            concentrations[free] = _posterior_concentrations(compiled, engine, distinct, weights, theta,
                                                             by_table, a, b, free)
    except ImpossibleEvidence as exc:
        raise _impossible(exc, cohort, inverse) from None
    return FitResult(compiled, theta, concentrations, informed, fixed, rows, len(readings), tuple(observed),
                     likelihoods, posteriors, converged, float(prior_weight),
                     cohort.source if cohort is not None else "", cohort.skipped if cohort is not None else (),
                     evaluations)


def _extrapolate(start: np.ndarray, first: np.ndarray, second: np.ndarray, free: np.ndarray
                 ) -> np.ndarray | None:
    """SQUAREM's squared step (Varadhan and Roland 2008, scheme S3) in logit coordinates: from two
    EM steps r = u1 - u0 and v = (u2 - u1) - r, u0 - 2 s r + s^2 v with s = -|r| / |v| (at most -1;
    s = -1 is the second EM step itself). None where there is nothing to extrapolate."""
    def logit(x: np.ndarray) -> np.ndarray:
        return np.log(x[free]) - np.log1p(-x[free])

    u0, u1, u2 = logit(start), logit(first), logit(second)
    r = u1 - u0
    v = u2 - u1 - r
    norm_v = float(np.sqrt(v @ v))
    if norm_v == 0.0:
        return None
    step = min(-1.0, -float(np.sqrt(r @ r)) / norm_v)
    if step == -1.0:
        return None
    u = u0 - 2.0 * step * r + step * step * v
    out = second.copy()
    out[free] = np.clip(1.0 / (1.0 + np.exp(-u)), _EDGE, 1.0 - _EDGE)
    return out


def _impossible(exc: ImpossibleEvidence, cohort: Cohort | None, inverse: np.ndarray) -> ExoreasonError:
    if cohort is None or not exc.rows:
        return exc
    first = int(np.flatnonzero(inverse == exc.rows[0])[0])
    return ImpossibleEvidence(f"{cohort.source}: line {int(cohort.lines[first])}: {exc.message()}", [first])


def _maximise(compiled: CompiledNetwork, theta: np.ndarray, counts: Mapping[str, np.ndarray],
              by_table: Mapping[str, list[int]], a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The M-step: each table's parameters by coordinate ascent on its expected complete
    log-likelihood plus the log prior (each coordinate to its maximum; never a decrease)."""
    theta = theta.copy()
    for node, indices in by_table.items():
        family = compiled.families[node]
        table = counts[node].reshape(-1, 2)
        seen = table.sum(axis=1) > 0.0
        false, true = table[seen, 0], table[seen, 1]
        for _ in range(_SWEEPS):
            moved = 0.0
            for j in indices:
                alpha, beta = _affine(family, theta, j)
                t = _coordinate(alpha[seen], beta[seen], true, false, a[j], b[j], theta[j])
                moved = max(moved, abs(t - theta[j]))
                theta[j] = t
            if moved < 1e-10:
                break
    return theta


def _affine(family: Any, theta: np.ndarray, j: int) -> tuple[np.ndarray, np.ndarray]:
    """P(true | each configuration) = alpha + beta * theta_j, with the other parameters as in theta."""
    ends = np.repeat(theta[None, :], 2, axis=0)
    ends[0, j], ends[1, j] = 0.0, 1.0
    p = family.p_true(ends)
    return p[0], p[1] - p[0]


def _coordinate(alpha: np.ndarray, beta: np.ndarray, true: np.ndarray, false: np.ndarray, a: float,
                b: float, start: float) -> float:
    """The maximum over t in [edge, 1 - edge] of
    g(t) = sum_c true_c log p_c + false_c log(1 - p_c) + a log t + b log(1 - t), p_c = alpha_c + beta_c t,
    a concave function: safeguarded Newton on g'(t) = 0 within a shrinking bracket."""
    active = beta != 0.0
    alpha, beta, true, false = alpha[active], beta[active], true[active], false[active]

    def slope(t: float) -> tuple[float, float]:
        p = alpha + beta * t
        q = 1.0 - p
        with np.errstate(divide="ignore", invalid="ignore"):
            up = np.where(true > 0, true / p, 0.0)
            down = np.where(false > 0, false / q, 0.0)
            d1 = float(np.sum(beta * (up - down))) + (a / t if a else 0.0) - (b / (1.0 - t) if b else 0.0)
            d2 = -float(np.sum(beta * beta * (np.where(true > 0, up / p, 0.0) + np.where(false > 0, down / q, 0.0))))
        d2 -= (a / (t * t) if a else 0.0) + (b / ((1.0 - t) ** 2) if b else 0.0)
        return d1, d2

    def value(t: float) -> float:
        p = alpha + beta * t
        with np.errstate(divide="ignore", invalid="ignore"):
            g = float(np.sum(np.where(true > 0, true * np.log(p), 0.0))
                      + np.sum(np.where(false > 0, false * np.log1p(-p), 0.0)))
        return g + (a * math.log(t) if a else 0.0) + (b * math.log1p(-t) if b else 0.0)

    # Newton from the current value, bisecting where it would leave the bracket [lo, hi] known to
    # hold the maximum (an end of [edge, 1 - edge] when g is monotone there).
    lo, hi = _EDGE, 1.0 - _EDGE
    t = min(max(start, lo), hi)
    for _ in range(200):
        d1, d2 = slope(t)
        if not math.isfinite(d1):
            t = 0.5 * (lo + hi)
            continue
        if d1 > 0.0:
            lo = t
        else:
            hi = t
        step = -d1 / d2 if d2 < 0.0 and math.isfinite(d2) else math.inf
        candidate = t + step
        if not lo <= candidate <= hi:
            candidate = 0.5 * (lo + hi)
        if abs(candidate - t) <= 1e-13 * max(t, 1e-3) or hi - lo <= 1e-15:
            t = candidate
            break
        t = candidate
    best = t
    start = min(max(start, _EDGE), 1.0 - _EDGE)
    return best if value(best) >= value(start) else start


def _posterior_concentrations(compiled: CompiledNetwork, engine: Engine, distinct: EvidenceBatch,
                              weights: np.ndarray, theta: np.ndarray, by_table: Mapping[str, list[int]],
                              a: np.ndarray, b: np.ndarray, free: np.ndarray) -> np.ndarray:
    """theta (1 - theta) / Var(theta) for the fitted parameters, Var from the inverse observed
    information of the log posterior (the rows' scores' outer product plus the prior's curvature)."""
    columns = {int(j): c for c, j in enumerate(np.flatnonzero(free))}
    size = len(columns)
    information = np.zeros((size, size))
    slopes = {}
    for node, indices in by_table.items():
        family = compiled.families[node]
        p = family.p_true(theta[None, :])[0]
        for j in indices:
            _, beta = _affine(family, theta, j)
            with np.errstate(divide="ignore", invalid="ignore"):
                slopes[j] = (np.where(p > 0, beta / p, 0.0), np.where(p < 1, beta / (1.0 - p), 0.0))
    nodes = list(by_table)
    for start in range(0, len(distinct), _SCORE_CHUNK):
        block = EvidenceBatch(distinct.nodes, distinct.readings[start:start + _SCORE_CHUNK])
        w = weights[start:start + _SCORE_CHUNK]
        posterior = engine.family_posteriors(nodes, block, theta)
        scores = np.zeros((len(block), size))
        for node, indices in by_table.items():
            joint = posterior[node].reshape(len(block), -1, 2)
            for j in indices:
                up, down = slopes[j]
                scores[:, columns[j]] = joint[:, :, 1] @ up - joint[:, :, 0] @ down
        information += scores.T @ (w[:, None] * scores)
    t = theta[free]
    # The prior contributes its concentration around the estimate (precision kappa / (t (1 - t)));
    # the data add their information, so no concentration falls below the prior's.
    hessian = information + np.diag((a[free] + b[free]) / (t * (1.0 - t)))
    try:
        variance = np.diag(np.linalg.inv(hessian))
    except np.linalg.LinAlgError:
        variance = np.diag(np.linalg.pinv(hessian))
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = t * (1.0 - t) / variance
    # A direction the data and prior leave flat (possible only with prior weight 0) is as uncertain
    # as can be: the smallest concentration a parameters file accepts.
    return np.where(np.isfinite(kappa) & (kappa > 0), kappa, 1e-6)


# -- the parameters file ------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(text: str) -> str:
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Twelve significant digits, not decimals: a small positive number must not become 0.
        return repr(float(f"{value:.12g}")) if math.isfinite(value) else json.dumps(str(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _emit(table: Mapping[str, Any], prefix: tuple[str, ...], out: list[str]) -> None:
    plain = {k: v for k, v in table.items() if not isinstance(v, Mapping)}
    nested = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if prefix and (plain or not nested):
        out.append("")
        out.append("[" + ".".join(_key(p) for p in prefix) + "]")
    for key, value in plain.items():
        out.append(f"{_key(key)} = {_value(value)}")
    for key, value in nested.items():
        _emit(value, (*prefix, key), out)


def _concentration(value: float) -> float:
    """A posterior concentration as written: twelve significant digits, never rounded down to 0 (with
    prior weight 0 a concentration can be far below 1e-6, which a parameters file must still accept).

    >>> _concentration(123.4567891), _concentration(2.5e-9)
    (123.4567891, 2.5e-09)
    """
    return max(float(f"{value:.12g}"), 1e-300)


def parameters_toml(result: FitResult, *, config: Path | None = None, when: datetime | None = None) -> str:
    """The fitted parameters as a parameters file (``parameters.toml``'s layout).

    It holds what ``config`` (the parameters file the fit started from, if any) holds, with the
    fitted means laid over it ([strength.edges], [leak.nodes], [base_rate.nodes]), their posterior
    concentrations ([uncertainty.edges], [uncertainty.leak_nodes], [uncertainty.base_rate_nodes])
    and what was fitted from what ([fit]). Parameters the data cannot inform are not written:
    they keep the values the defaults and ``config`` give them.
    """
    import tomllib

    data: dict[str, Any] = {}
    if config is not None:
        with config.open("rb") as handle:
            data = tomllib.load(handle)
    data.pop("fit", None)
    sections = {"edge": ("strength", "edges", "edges"), "leak": ("leak", "nodes", "leak_nodes"),
                "base_rate": ("base_rate", "nodes", "base_rate_nodes"), "gate": ("gate", "nodes", "gate_nodes")}
    changes = result.changes()
    # Every leak, base rate and gate the fitted network has, fitted or not (see FitResult.pinned).
    pinned = result.pinned()
    for kind in ("leak", "base_rate", "gate"):
        section, table, _spread = sections[kind]
        if pinned[kind]:
            data.setdefault(section, {}).setdefault(table, {}).update(dict(sorted(pinned[kind].items())))
    for change in sorted(changes, key=lambda c: (list(sections).index(c.kind), c.key)):
        section, table, spread = sections[change.kind]
        data.setdefault(section, {}).setdefault(table, {})[change.key] = round(change.fitted, 9)
        data.setdefault("uncertainty", {}).setdefault(spread, {})[change.key] = _concentration(change.concentration)
    data["fit"] = result.metadata(when)
    stamp, prior = data["fit"]["date"], data["fit"]["prior"]
    cancer = f", --cancer {data['fit']['cancer']!r}" if "cancer" in data["fit"] else ""
    per_row = [v / result.rows for v in (result.log_likelihoods[0], result.log_likelihoods[-1])]
    others = f"the defaults and {config.name}" if config is not None else "the defaults"
    cohort = textwrap.wrap(f"Cohort: {result.source or 'given in memory'}, {result.rows} rows observing "
                           f"{', '.join(result.nodes)}; fitted {stamp}.", 98)
    header = [
        "# exoreason parameters fitted to a cohort by `exoreason fit` (generated: fit again rather than edit).",
        *(f"# {line}" for line in cohort),
        (f"# Prior: the literature's parameters ({prior}{cancer}), each with its Beta distribution "
         f"(weight {result.prior_weight:g})."),
        (f"# Method: MAP expectation-maximisation through the exact engine, {result.iterations} iterations"
         f"{'' if result.converged else ' (not converged)'}; log-likelihood per row "
         f"{per_row[0]:.4f} -> {per_row[1]:.4f}."),
        (f"# Written: the {len(changes)} parameters the data inform (fitted means; their posterior "
         "concentrations under [uncertainty]), and every leak, base rate and gate the fit ran with,"),
        "# so that this file answers as the fitted network does (leaks are not calibrated again).",
        f"# The other edges keep the strengths {others} give them.",
        "# Fitted strengths are used as given: with --cancer, only strengths from the formula are weighed.",
        "# Use: exoreason infer --config THIS_FILE --intervals",
    ]
    out: list[str] = []
    _emit(data, (), out)
    return "\n".join(header) + "\n" + "\n".join(out) + "\n"


# -- sampling -------------------------------------------------------------------------------------

def forward_sample(compiled: CompiledNetwork, n: int, seed: int = 0, theta: np.ndarray | None = None
                   ) -> tuple[list[str], np.ndarray]:
    """``n`` complete samples of every node (0/1), drawn in topological order from the tables at
    the parameter means (or at ``theta``)."""
    rng = np.random.default_rng(seed)
    order = compiled.order
    p_true = ({k: t.p_true for k, t in compiled.tables.items()} if theta is None else
              {k: v[0] for k, v in compiled.p_true(np.asarray(theta, dtype=float)[None, :]).items()})
    values: dict[str, np.ndarray] = {}
    for node in order:
        column = np.zeros(n, dtype=np.int64)
        for parent in compiled.families[node].parents:
            column = column * 2 + values[parent]
        values[node] = (rng.random(n) < p_true[node][column]).astype(np.int64)
    return order, np.column_stack([values[k] for k in order]).astype(float)
