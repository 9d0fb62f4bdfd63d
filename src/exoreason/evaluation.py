"""Scoring the model on a cohort with recorded outcomes: discrimination, accuracy, calibration.

Every process or outcome node present as a column of the cohort, with at least one row recording
it true or false, is a label. For each label column, each row recording it gets the model's
P(label = true | the row's other columns): the label is never evidence for itself, and every other
column (cargo, other outcomes, processes) is. Rows where the label is missing or a soft reading are
not scored for it.

* ROC AUC: the probability that a row recording the label true is given a higher P than one
  recording it false (ties count one half); undefined (None) when the rows record only one state.
* Brier score: the mean of (P - label)^2 (0 is perfect; always answering 0.5 scores 0.25).
* Log loss: the mean of -log P(recorded state), P clipped to [1e-15, 1 - 1e-15].
* Calibration: the rows binned by P (``bins`` equal-width bins on [0, 1]); in each bin, the mean
  P against the share of rows recording the label true. A calibrated model lies on the diagonal.

The parameters as given score every row: named ``literature`` (the defaults and ``--config``), or
``fitted`` when ``--config`` is a file written by ``exoreason fit``. With ``folds`` = K, the rows are
split into K folds by a seeded permutation (the same split for the same seed); parameters are
fitted (:func:`exoreason.learning.fit`, the given ones as the prior) on K - 1 folds and score the
held-out one, so each row is scored by parameters that never saw it: named ``fitted`` (``refitted``
when the given ones were fitted already). The held-out log-likelihood per row of each set (of all
the row's observed columns) is reported beside the metrics.

These are statements about the model on this cohort; they are not clinical validation.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .cohort import distinct_rows
from .engine import Engine, EvidenceBatch, ImpossibleEvidence
from .errors import ExoreasonError, InputError
from .learning import DEFAULT_ITERATIONS, Cohort, cancer_label, fit
from .model import CompiledNetwork

__all__ = [
    "CalibrationBin",
    "Evaluation",
    "OutcomeScore",
    "brier_score",
    "calibration_table",
    "evaluate",
    "label_columns",
    "log_loss",
    "predict",
    "roc_auc",
]

_LABEL_KINDS = ("process", "outcome")
_CLIP = 1e-15
#: The parameter sets scored: as given (the literature's, or a fitted file's), and with --folds
#: those fitted by cross-validation (refitted, when the given ones were fitted already).
LITERATURE = "literature"
FITTED = "fitted"
REFITTED = "refitted"


# -- metrics --------------------------------------------------------------------------------------

def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """The area under the ROC curve (the Mann-Whitney statistic, ties counted one half); None when
    the labels hold only one class.

    >>> roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    positives = int(np.sum(y == 1.0))
    negatives = int(np.sum(y == 0.0))
    if not positives or not negatives:
        return None
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    ranks = (ends - (counts - 1) / 2.0)[inverse]  # average rank of each tie group, from 1
    return float((ranks[y == 1.0].sum() - positives * (positives + 1) / 2.0) / (positives * negatives))


def brier_score(labels: np.ndarray, scores: np.ndarray) -> float:
    """The mean squared difference between P and the label.

    >>> brier_score(np.array([0, 1]), np.array([0.2, 0.6]))
    0.1
    """
    y = np.asarray(labels, dtype=float)
    return round(float(np.mean((np.asarray(scores, dtype=float) - y) ** 2)), 15)


def log_loss(labels: np.ndarray, scores: np.ndarray) -> float:
    """The mean negative log-probability of the recorded state (P clipped to [1e-15, 1 - 1e-15])."""
    y = np.asarray(labels, dtype=float)
    p = np.clip(np.asarray(scores, dtype=float), _CLIP, 1.0 - _CLIP)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


@dataclass(frozen=True)
class CalibrationBin:
    """Rows whose P fell in [low, high): their mean P and the share recording the label true."""

    low: float
    high: float
    rows: int
    mean_predicted: float | None
    observed: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "rows": self.rows,
                "mean_predicted": self.mean_predicted, "observed": self.observed}


def calibration_table(labels: np.ndarray, scores: np.ndarray, bins: int = 10) -> tuple[CalibrationBin, ...]:
    """``bins`` equal-width bins of P on [0, 1] (the last one closed): rows, mean P, share true."""
    y = np.asarray(labels, dtype=float)
    p = np.asarray(scores, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = index == b
        n = int(inside.sum())
        out.append(CalibrationBin(round(b / bins, 10), round((b + 1) / bins, 10), n,
                                  float(p[inside].mean()) if n else None,
                                  float(y[inside].mean()) if n else None))
    return tuple(out)


# -- scores ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OutcomeScore:
    """How one parameter set predicts one label column."""

    outcome: str
    label: str
    parameters: str  # LITERATURE, FITTED or REFITTED
    rows: int
    positives: int
    auc: float | None
    brier: float
    log_loss: float
    calibration: tuple[CalibrationBin, ...]
    labels: np.ndarray = field(repr=False, compare=False)
    predicted: np.ndarray = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "label": self.label, "parameters": self.parameters,
                "rows": self.rows, "positives": self.positives, "auc": self.auc, "brier": self.brier,
                "log_loss": self.log_loss, "calibration": [b.to_dict() for b in self.calibration]}


def _score(outcome: str, label: str, parameters: str, y: np.ndarray, p: np.ndarray, bins: int) -> OutcomeScore:
    return OutcomeScore(outcome, label, parameters, int(y.size), int(np.sum(y == 1.0)), roc_auc(y, p),
                        brier_score(y, p), log_loss(y, p), calibration_table(y, p, bins), y, p)


@dataclass
class Evaluation:
    """Every label column's scores, for the parameters as given and (with folds) fitted ones."""

    source: str
    rows: int
    parameters: str  # what the literature set was made of (Parameters.source)
    scores: list[OutcomeScore]
    bins: int
    folds: int | None = None
    seed: int = 0
    held_out: dict[str, float] = field(default_factory=dict)  # mean log-likelihood per row, by set
    skipped: tuple[str, ...] = ()
    cancer: str | None = None

    def score(self, outcome: str, parameters: str | None = None) -> OutcomeScore:
        """One label's score, for the parameters as given (or the set named)."""
        for s in self.scores:
            if s.outcome == outcome and (parameters is None or s.parameters == parameters):
                return s
        raise KeyError((outcome, parameters))

    def to_frame(self) -> Any:
        """The metrics as a DataFrame, one row per label and parameter set."""
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in s.to_dict().items() if k != "calibration"} for s in self.scores])

    def to_dict(self) -> dict[str, Any]:
        from .inference import DISCLAIMER

        return {"cohort": self.source, "rows": self.rows, "parameters": self.parameters,
                "cancer": self.cancer, "folds": self.folds, "seed": self.seed if self.folds else None,
                "bins": self.bins, "skipped_columns": list(self.skipped),
                **({"held_out_log_likelihood_per_row": dict(self.held_out)} if self.held_out else {}),
                "note": DISCLAIMER, "scores": [s.to_dict() for s in self.scores]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_csv(self) -> str:
        """One line per parameter set, label and calibration bin (the metrics repeated on each)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["parameters", "outcome", "rows", "positives", "auc", "brier", "log_loss",
                         "bin_low", "bin_high", "bin_rows", "mean_predicted", "observed"])
        for s in self.scores:
            for b in s.calibration:
                writer.writerow([s.parameters, s.outcome, s.rows, s.positives, _cell(s.auc), _cell(s.brier),
                                 _cell(s.log_loss), _cell(b.low), _cell(b.high), b.rows,
                                 _cell(b.mean_predicted), _cell(b.observed)])
        return buffer.getvalue()

    def render_table(self) -> str:
        from .inference import DISCLAIMER

        how = (f"{self.folds}-fold cross-validation (seed {self.seed}): the parameters as given against "
               f"parameters fitted to the other folds" if self.folds else "the parameters as given")
        lines = [f"Cohort: {self.source} ({self.rows} rows); scored with {how}.",
                 "Each label is predicted from the row's other columns."]
        if self.skipped:
            lines.append("Skipped columns naming no node: " + ", ".join(self.skipped) + ".")
        width = max(len("outcome"), *(len(s.outcome) for s in self.scores))
        lines += ["", (f"{'outcome'.ljust(width)}  {'parameters':<10} {'rows':>6} {'true':>6} {'AUC':>6} "
                       f"{'Brier':>7} {'log loss':>8}")]
        for s in self.scores:
            auc = "n/a" if s.auc is None else f"{s.auc:.3f}"
            lines.append(f"{s.outcome.ljust(width)}  {s.parameters:<10} {s.rows:6d} {s.positives:6d} {auc:>6} "
                         f"{s.brier:7.4f} {s.log_loss:8.4f}")
        if self.held_out:
            lines += ["", "Held-out log-likelihood per row (all observed columns): "
                      + "; ".join(f"{k} {v:.4f}" for k, v in self.held_out.items()) + "."]
        lines += ["", f"Calibration ({self.bins} bins of the predicted P: rows, mean P -> share recorded true):"]
        for s in self.scores:
            cells = [f"[{b.low:.1f}, {b.high:.1f}) {b.rows}: {b.mean_predicted:.2f} -> {b.observed:.2f}"
                     for b in s.calibration if b.rows]
            lines.append(f"  {s.outcome} ({s.parameters}): " + "; ".join(cells))
        lines += ["", f"Note: {DISCLAIMER} Parameters: {self.parameters}"
                  + (f"; cancer: {self.cancer}" if self.cancer else "") + "."]
        return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.12g}"


# -- evaluation -----------------------------------------------------------------------------------

def label_columns(compiled: CompiledNetwork, cohort: Cohort) -> list[str]:
    """The cohort's process and outcome columns recording at least one row true or false."""
    out = []
    for j, node in enumerate(cohort.nodes):
        if compiled.spec.node(node).kind in _LABEL_KINDS:
            column = cohort.readings[:, j]
            if np.any((column == 0.0) | (column == 1.0)):
                out.append(node)
    return out


def predict(engine: Engine, cohort: Cohort, outcome: str, theta: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For the rows recording ``outcome`` true or false: their index, the label, and
    P(outcome = true | the row's other columns) under ``theta`` (the means if None)."""
    column = cohort.readings[:, cohort.nodes.index(outcome)]
    rows = np.flatnonzero((column == 0.0) | (column == 1.0))
    evidence = cohort.without(outcome)
    readings = evidence.readings[rows]
    if readings.shape[1] == 0 or rows.size == 0:
        p = np.full(rows.size, engine.posteriors([outcome], None, theta=theta)[0, 0] if rows.size else 0.0)
        return rows, column[rows], p
    distinct, _, inverse = distinct_rows(readings)
    try:
        answers = engine.posteriors([outcome], EvidenceBatch(evidence.nodes, distinct),
                                    theta=None if theta is None else theta[None, :])[:, 0]
    except ImpossibleEvidence as exc:
        first = int(rows[np.flatnonzero(inverse == exc.rows[0])[0]]) if exc.rows else 0
        raise ImpossibleEvidence(f"{cohort.source}: line {int(cohort.lines[first])}: {exc.message()}",
                                 [first]) from None
    return rows, column[rows], answers[inverse]


def _check_folds(folds: Any, rows: int) -> int:
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise InputError(f"--folds must be an integer of at least 2, got {folds!r}")
    if folds > rows:
        raise InputError(f"--folds {folds} is more than the cohort's {rows} rows")
    return int(folds)


def evaluate(compiled: CompiledNetwork, cohort: Cohort, *, folds: int | None = None, seed: int = 0,
             bins: int = 10, max_iterations: int = DEFAULT_ITERATIONS, prior_weight: float = 1.0,
             engine: Engine | None = None, progress: Callable[[str], None] | None = None) -> Evaluation:
    """Score the model on every label column of ``cohort`` (and, with ``folds``, parameters fitted
    by cross-validation against the literature's)."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 100:
        raise InputError(f"the number of calibration bins must be an integer from 1 to 100, got {bins!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"the seed must be a non-negative integer, got {seed!r}")
    engine = engine if engine is not None and engine.compiled is compiled else Engine(compiled)
    outcomes = label_columns(compiled, cohort)
    if not outcomes:
        names = ", ".join(cohort.given or cohort.nodes)
        raise InputError(f"{cohort.source}: no recorded outcome: no process or outcome column has a true or "
                         f"false cell (columns: {names})")
    labels = {n.key: n.label for n in compiled.spec.nodes}
    given, crossed = (FITTED, REFITTED) if compiled.params.fit else (LITERATURE, FITTED)
    scores: list[OutcomeScore] = []
    held_out: dict[str, float] = {}
    predictions = {o: predict(engine, cohort, o) for o in outcomes}
    for outcome in outcomes:
        _, y, p = predictions[outcome]
        scores.append(_score(outcome, labels[outcome], given, y, p, bins))
    if folds is not None:
        k = _check_folds(folds, len(cohort))
        assignment = np.random.default_rng(seed).permutation(len(cohort)) % k
        pooled = {o: np.full(len(cohort), np.nan) for o in outcomes}
        fitted_ll = 0.0
        for fold in range(k):
            if progress is not None:
                progress(f"fold {fold + 1} of {k}")
            train = cohort.rows(np.flatnonzero(assignment != fold))
            test = cohort.rows(np.flatnonzero(assignment == fold))
            try:
                theta = fit(compiled, train, max_iterations=max_iterations, prior_weight=prior_weight,
                            engine=engine).theta
            except ExoreasonError as exc:
                raise type(exc)(f"fitting to the folds other than {fold + 1}: {exc.message()}") from None
            fitted_ll += float(engine.log_likelihood(test.batch, theta).sum())
            for outcome in outcomes:
                index, _, p = predict(engine, test, outcome, theta)
                pooled[outcome][np.flatnonzero(assignment == fold)[index]] = p
        for outcome in outcomes:
            rows, y, _ = predictions[outcome]
            scores.append(_score(outcome, labels[outcome], crossed, y, pooled[outcome][rows], bins))
        held_out = {given: float(engine.log_likelihood(cohort.batch).mean()), crossed: fitted_ll / len(cohort)}
    scores.sort(key=lambda s: (outcomes.index(s.outcome), s.parameters != given))
    return Evaluation(cohort.source, len(cohort), compiled.params.source, scores, bins, folds,
                      seed, held_out, cohort.skipped, cancer_label(compiled))
