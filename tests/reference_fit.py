"""The fit as it was written before it was split into summaries and updates (commit 2565300 of
src/exoreason/learning.py, ``fit`` and its helpers, unchanged but for returning a plain tuple):
the oracle that the split fit must equal to rounding."""

# ruff: noqa

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from exoreason.cohort import distinct_rows
from exoreason.engine import Engine, EvidenceBatch
from exoreason.learning import parameter_owners

_EDGE = 1e-9
_SWEEPS = 2
_SCORE_CHUNK = 2048


def reference_fit(compiled: Any, batch: EvidenceBatch, *, max_iterations: int = 200, tolerance: float = 1e-6,
                  prior_weight: float = 1.0, accelerate: bool = True) -> dict[str, Any]:
    """theta, concentrations, log-likelihoods, log posteriors, converged and E-steps run."""
    engine = Engine(compiled)
    readings, weights, inverse = distinct_rows(np.asarray(batch.readings, dtype=float))
    rows = int(batch.readings.shape[0])
    distinct = EvidenceBatch(batch.nodes, readings)
    space = compiled.space
    owners = parameter_owners(compiled)
    means = space.means
    kappa = space.concentrations * float(prior_weight)
    a, b = kappa * means, kappa * (1.0 - means)
    observed = [n for j, n in enumerate(batch.nodes) if not np.isnan(readings[:, j]).all()]
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
        return len(posteriors) > 1 and posteriors[-1] - posteriors[-2] < tolerance * rows

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
    return {"theta": theta, "concentrations": concentrations, "log_likelihoods": likelihoods,
            "log_posteriors": posteriors, "converged": converged, "evaluations": evaluations}


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


