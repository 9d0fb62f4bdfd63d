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

Identical evidence gives identical predictions: each distinct row of evidence is answered once,
so repeated profiles tie exactly, and ties count one half in the AUC (as scikit-learn counts them).

The parameters as given score every row: named ``literature`` (the defaults and ``--config``), or
``fitted`` when ``--config`` is a file written by ``exoreason fit``. With ``folds`` = K, the rows are
split into K folds by a seeded permutation (the same split for the same seed); parameters are
fitted (:func:`exoreason.learning.fit`, the given ones as the prior) on K - 1 folds and score the
held-out one, so each row is scored by parameters that never saw it: named ``fitted`` (``refitted``
when the given ones were fitted already).

Beside the per-outcome scores, and never mixed with them, the mean log-likelihood of the whole row
(every observed column, cargo included) under each set: it is dominated by the cargo columns'
base rates, so it is not an outcome's log loss.

* ``baseline``: a logistic regression (scikit-learn, L2, C = 1; a missing reading imputed by the
  training rows' mean, with a missing-indicator feature) on the same columns as the model's
  evidence and the same folds: what the data alone give.
* ``learning_curve``: for each size n, every fold's training rows cut to n (the first n of a
  seeded permutation, so the sets are nested), the fitted parameters (the literature as the prior)
  and the baseline trained on them, all scored on the held-out rows beside the literature alone:
  whether the knowledge buys data efficiency.

:meth:`Evaluation.predictions_csv` gives one row per sample: its id, its fold, each recorded
outcome and each set's probability (full precision, so that scikit-learn on the file reproduces
the reported scores), and the cut-off each measured column was read by.

These are statements about the model on this cohort; they are not clinical validation.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .cohort import Cohort, Cutoff, distinct_rows
from .display import round_probability
from .engine import Engine, EvidenceBatch, ImpossibleEvidence, engine_for
from .errors import ExoreasonError, InputError
from .learning import DEFAULT_ITERATIONS, cancer_label, fit
from .model import CompiledNetwork

__all__ = [
    "BASELINE",
    "CalibrationBin",
    "CurvePoint",
    "Evaluation",
    "OutcomeScore",
    "auc_interval",
    "baseline_predict",
    "brier_score",
    "calibration_table",
    "check_options",
    "evaluate",
    "label_columns",
    "log_loss",
    "parse_sizes",
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
#: The logistic regression on the same columns and folds.
BASELINE = "baseline"


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


def auc_interval(labels: np.ndarray, scores: np.ndarray, *, samples: int = 2000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float] | None:
    """A bootstrap percentile interval of the AUC: rows drawn with replacement ``samples`` times
    (resamples holding one class only are skipped); None when the labels hold one class.

    >>> y = np.array([0, 0, 1, 1, 0, 1]); p = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.9])
    >>> low, high = auc_interval(y, p, samples=500)
    >>> low < roc_auc(y, p) <= high
    True
    """
    y = np.asarray(labels, dtype=float)
    s = np.asarray(scores, dtype=float)
    if roc_auc(y, s) is None:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(samples):
        index = rng.integers(0, y.size, y.size)
        value = roc_auc(y[index], s[index])
        if value is not None:
            values.append(value)
    tail = (1.0 - level) / 2.0
    return float(np.quantile(values, tail)), float(np.quantile(values, 1.0 - tail))


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


@dataclass(frozen=True)
class CurvePoint:
    """One parameter set's score on one label, trained on ``size`` rows of each fold."""

    size: int
    outcome: str
    parameters: str
    auc: float | None
    brier: float
    log_loss: float

    def to_dict(self) -> dict[str, Any]:
        return {"training_rows": self.size, "outcome": self.outcome, "parameters": self.parameters,
                "auc": self.auc, "brier": self.brier, "log_loss": self.log_loss}


@dataclass
class Evaluation:
    """Every label column's scores, for the parameters as given and (with folds) fitted ones and
    the baseline; the whole row's log-likelihood apart; the learning curve; every row's predictions."""

    source: str
    rows: int
    parameters: str  # what the literature set was made of (Parameters.source)
    scores: list[OutcomeScore]
    bins: int
    folds: int | None = None
    seed: int = 0
    row_log_likelihood: dict[str, float] = field(default_factory=dict)  # mean per row, by set
    skipped: tuple[str, ...] = ()
    cancer: str | None = None
    cutoffs: tuple[Cutoff, ...] = ()
    curve: list[CurvePoint] = field(default_factory=list)
    ids: tuple[str, ...] = ()
    fold: np.ndarray | None = field(default=None, repr=False)  # each row's fold (0-based), with folds
    recorded: dict[str, np.ndarray] = field(default_factory=dict, repr=False)  # label by outcome, NaN: none
    predicted: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)  # (outcome, set)

    def score(self, outcome: str, parameters: str | None = None) -> OutcomeScore:
        """One label's score, for the parameters as given (or the set named)."""
        for s in self.scores:
            if s.outcome == outcome and (parameters is None or s.parameters == parameters):
                return s
        raise KeyError((outcome, parameters))

    @property
    def sets(self) -> list[str]:
        """The parameter sets scored, in order (as given, cross-validated, baseline)."""
        return list(dict.fromkeys(s.parameters for s in self.scores))

    def to_frame(self) -> Any:
        """The metrics as a DataFrame, one row per label and parameter set."""
        import pandas as pd

        return pd.DataFrame([{k: v for k, v in s.to_dict().items() if k != "calibration"} for s in self.scores])

    def to_dict(self) -> dict[str, Any]:
        from .display import DISCLAIMER

        out: dict[str, Any] = {
            "cohort": self.source, "rows": self.rows, "parameters": self.parameters, "cancer": self.cancer,
            "folds": self.folds, "seed": self.seed if self.folds else None, "bins": self.bins,
            "skipped_columns": list(self.skipped), "cutoffs": [c.to_dict() for c in self.cutoffs],
            "note": DISCLAIMER, "scores": [s.to_dict() for s in self.scores]}
        if self.row_log_likelihood:
            out["whole_row_log_likelihood"] = {
                "per_row": dict(self.row_log_likelihood),
                "note": ("mean log P(every observed column of a row), cargo included: dominated by the cargo "
                         "columns' base rates; not an outcome's log loss (see scores)")}
        if self.curve:
            out["learning_curve"] = [c.to_dict() for c in self.curve]
        return out

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

    def predictions_csv(self) -> str:
        """One row per sample: ``id``, ``fold`` (1-based, with folds), then for each label column
        ``OUTCOME`` (the recorded 1/0, empty when not recorded) and ``OUTCOME_SET`` for each set
        (its probability at full precision; empty when the label is not recorded), then
        ``threshold_KEY`` for each measured column (the cut-off it was read by)."""
        outcomes = list(self.recorded)
        sets = self.sets
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", *(["fold"] if self.fold is not None else []),
                         *(name for o in outcomes for name in (o, *(f"{o}_{s}" for s in sets))),
                         *(f"threshold_{c.key}" for c in self.cutoffs)])
        rules = [f"{c.threshold.operator}{c.threshold.value!r}"
                 + (f" ({c.threshold.level()})" if c.threshold.relative else "") for c in self.cutoffs]
        for i, ident in enumerate(self.ids):
            cells: list[str] = [ident]
            if self.fold is not None:
                cells.append(str(int(self.fold[i]) + 1))
            for o in outcomes:
                y = self.recorded[o][i]
                cells.append("" if np.isnan(y) else str(int(y)))
                for name in sets:
                    p = self.predicted[(o, name)][i]
                    cells.append("" if np.isnan(p) else repr(float(p)))
            writer.writerow([*cells, *rules])
        return buffer.getvalue()

    def render_table(self) -> str:
        from .display import DISCLAIMER

        how = (f"{self.folds}-fold cross-validation (seed {self.seed}): the parameters as given against "
               f"parameters fitted to the other folds" if self.folds else "the parameters as given")
        if BASELINE in self.sets:
            how += " and a logistic regression on the same columns and folds (baseline)"
        lines = [f"Cohort: {self.source} ({self.rows} rows); scored with {how}.",
                 "Each label is predicted from the row's other columns."]
        if self.skipped:
            lines.append("Skipped columns naming no node: " + ", ".join(self.skipped) + ".")
        if self.cutoffs:
            lines.append("Measured columns read as present when: "
                         + "; ".join(f"{c.column} {c.threshold.cutoff()}" for c in self.cutoffs) + ".")
        width = max(len("outcome"), *(len(s.outcome) for s in self.scores))
        lines += ["", (f"{'outcome'.ljust(width)}  {'parameters':<10} {'rows':>6} {'true':>6} {'AUC':>6} "
                       f"{'Brier':>7} {'log loss':>8}")]
        for s in self.scores:
            auc = "n/a" if s.auc is None else f"{s.auc:.3f}"
            lines.append(f"{s.outcome.ljust(width)}  {s.parameters:<10} {s.rows:6d} {s.positives:6d} {auc:>6} "
                         f"{s.brier:7.4f} {s.log_loss:8.4f}")
        if self.curve:
            lines += ["", "Learning curve (training rows per fold; scored on the held-out rows):",
                      f"{'outcome'.ljust(width)}  {'rows':>6} {'parameters':<10} {'AUC':>6} {'Brier':>7} "
                      f"{'log loss':>8}"]
            for c in self.curve:
                auc = "n/a" if c.auc is None else f"{c.auc:.3f}"
                lines.append(f"{c.outcome.ljust(width)}  {c.size:6d} {c.parameters:<10} {auc:>6} {c.brier:7.4f} "
                             f"{c.log_loss:8.4f}")
        if self.row_log_likelihood:
            lines += ["", "Log-likelihood of the whole row per row (every observed column, cargo included; not an "
                      "outcome's log loss): " + "; ".join(f"{k} {v:.4f}" for k, v in self.row_log_likelihood.items())
                      + "."]
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
    P(outcome = true | the row's other columns) under ``theta`` (the means if None). Each distinct
    row of evidence is answered once, so identical rows get identical predictions; and each answer
    is rounded to 12 significant digits as every other output is (:func:`~exoreason.display.round_probability`),
    so that rows whose evidence gives the same posterior (a column the label does not depend on)
    tie, as they do in ``infer --profiles``, instead of being ranked by float noise."""
    column = cohort.readings[:, cohort.nodes.index(outcome)]
    rows = np.flatnonzero((column == 0.0) | (column == 1.0))
    evidence = cohort.without(outcome)
    readings = evidence.readings[rows]
    if readings.shape[1] == 0 or rows.size == 0:
        p = np.full(rows.size, round_probability(engine.posteriors([outcome], None, theta=theta)[0, 0])
                    if rows.size else 0.0)
        return rows, column[rows], p
    distinct, _, inverse = distinct_rows(readings)
    try:
        answers = engine.posteriors([outcome], EvidenceBatch(evidence.nodes, distinct),
                                    theta=None if theta is None else theta[None, :])[:, 0]
    except ImpossibleEvidence as exc:
        first = int(rows[np.flatnonzero(inverse == exc.rows[0])[0]]) if exc.rows else 0
        raise ImpossibleEvidence(f"{cohort.source}: line {int(cohort.lines[first])}: {exc.message()}",
                                 [first]) from None
    answers = np.array([round_probability(float(v)) for v in answers])
    return rows, column[rows], answers[inverse]


def baseline_predict(train: np.ndarray, labels: np.ndarray, test: np.ndarray) -> np.ndarray:
    """P(true) for the ``test`` rows from a logistic regression fitted to ``train`` (rows x columns
    of readings, NaN: not observed) and its 0/1 ``labels``: scikit-learn's L2 logistic regression
    (C = 1) after imputing a missing reading by the training mean, with a missing-indicator feature
    per column that has missing readings. Training labels of one class give that class's share."""
    y = np.asarray(labels, dtype=float)
    if test.shape[0] == 0:
        return np.zeros(0)
    if y.size == 0 or np.all(y == y[0]):
        return np.full(test.shape[0], float(y.mean()) if y.size else 0.5)
    if train.shape[1] == 0:
        return np.full(test.shape[0], float(y.mean()))
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(SimpleImputer(strategy="mean", add_indicator=True, keep_empty_features=True),
                          LogisticRegression(C=1.0, max_iter=2000))
    model.fit(train, y.astype(int))
    return np.asarray(model.predict_proba(test)[:, 1], dtype=float)


def _check_folds(folds: Any, rows: int) -> int:
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise InputError(f"--folds must be an integer of at least 2, got {folds!r}")
    if folds > rows:
        raise InputError(f"--folds {folds} is more than the cohort's {rows} rows")
    return int(folds)


def check_options(cohort: Path, *, folds: int | None, fold_options: Collection[str] = (),
                  predictions: Path | None = None, plot: Path | None = None) -> None:
    """Refuse, before anything runs, what an ``evaluate`` run cannot do: options that set how each
    fold is fitted (``fold_options``, by name) without ``--folds``, and a ``--predictions`` file
    that is the cohort itself or the picture.

    >>> check_options(Path("c.csv"), folds=None, fold_options=["--prior-weight"])
    Traceback (most recent call last):
    exoreason.errors.InputError: --prior-weight goes with --folds (it sets how each fold is fitted)
    """
    if folds is None and fold_options:
        names = " and ".join(fold_options)
        verb = "goes" if len(fold_options) == 1 else "go"
        it = "it sets" if len(fold_options) == 1 else "they set"
        raise InputError(f"{names} {verb} with --folds ({it} how each fold is fitted)")
    if predictions is not None:
        if plot is not None and predictions.resolve() == plot.resolve():
            raise InputError(f"--predictions and --plot name the same file: {predictions}")
        if predictions.resolve() == cohort.resolve():
            raise InputError(f"--predictions names the cohort file itself: {predictions}")


def parse_sizes(text: str) -> tuple[int, ...]:
    """``50,100,200`` as training sizes (positive integers, increasing once sorted, no repeats).

    >>> parse_sizes("100, 50,200")
    (50, 100, 200)
    """
    sizes = []
    for part in text.split(","):
        item = part.strip()
        if not item.isdigit() or int(item) < 1:
            raise InputError(f"bad --learning-curve {text!r}: {item!r} is not a positive number of rows "
                             "(use e.g. 50,100,200,400)")
        sizes.append(int(item))
    if len(set(sizes)) != len(sizes):
        raise InputError(f"bad --learning-curve {text!r}: a size is repeated")
    return tuple(sorted(sizes))


def _fit_theta(compiled: CompiledNetwork, engine: Engine, train: Cohort, fold: int, what: str,
               max_iterations: int, prior_weight: float) -> np.ndarray:
    try:
        return fit(compiled, train, max_iterations=max_iterations, prior_weight=prior_weight, engine=engine).theta
    except ExoreasonError as exc:
        raise type(exc)(f"fitting to {what} of the folds other than {fold + 1}: {exc.message()}") from None


def evaluate(compiled: CompiledNetwork, cohort: Cohort, *, folds: int | None = None, seed: int = 0,
             bins: int = 10, max_iterations: int = DEFAULT_ITERATIONS, prior_weight: float = 1.0,
             engine: Engine | None = None, progress: Callable[[str], None] | None = None,
             baseline: bool = False, learning_curve: Sequence[int] = ()) -> Evaluation:
    """Score the model on every label column of ``cohort`` (and, with ``folds``, parameters fitted
    by cross-validation against the literature's; with ``baseline``, a logistic regression on the
    same columns and folds; with ``learning_curve``, each set trained on that many rows per fold).

    ``compiled`` is the model as given (its parameters: the literature's, a --config file's): the
    one place the parameters enter; the cross-validated fits take them as their prior."""
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or not 1 <= bins <= 100:
        raise InputError(f"the number of calibration bins must be an integer from 1 to 100, got {bins!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"the seed must be a non-negative integer, got {seed!r}")
    if folds is None and (baseline or learning_curve):
        raise InputError("--baseline and --learning-curve go with --folds (they are cross-validated)")
    engine = engine_for(compiled, engine)
    outcomes = label_columns(compiled, cohort)
    if not outcomes:
        names = ", ".join(cohort.given or cohort.nodes)
        raise InputError(f"{cohort.source}: no recorded outcome: no process or outcome column has a true or "
                         f"false cell (columns: {names})")
    n = len(cohort)
    k = _check_folds(folds, n) if folds is not None else None
    sizes = tuple(learning_curve)
    assignment = np.random.default_rng(seed).permutation(n) % k if k is not None else None
    if sizes and assignment is not None and k is not None:
        smallest = min(int(np.sum(assignment != f)) for f in range(k))
        if sizes[-1] > smallest:
            raise InputError(f"--learning-curve {sizes[-1]} is more than the {smallest} training rows of the "
                             f"smallest fold ({n} rows in {k} folds)")
    labels = {node.key: node.label for node in compiled.spec.nodes}
    given, crossed = (FITTED, REFITTED) if compiled.params.fit else (LITERATURE, FITTED)
    recorded = {}
    predicted: dict[tuple[str, str], np.ndarray] = {}
    labelled = {}
    for outcome in outcomes:
        rows, y, p = predict(engine, cohort, outcome)
        labelled[outcome] = (rows, y)
        recorded[outcome] = np.full(n, np.nan)
        recorded[outcome][rows] = y
        predicted[(outcome, given)] = np.full(n, np.nan)
        predicted[(outcome, given)][rows] = p
    row_ll = {given: float(engine.log_likelihood(cohort.batch).mean())}
    curve_predictions: dict[tuple[int, str, str], np.ndarray] = {}
    if assignment is not None and k is not None:
        sets = [crossed, *([BASELINE] if baseline else [])]
        for outcome in outcomes:
            for name in sets:
                predicted[(outcome, name)] = np.full(n, np.nan)
            for size in sizes:
                for name in (given, crossed, *([BASELINE] if baseline else [])):
                    curve_predictions[(size, outcome, name)] = np.full(n, np.nan)
        fitted_ll = 0.0
        for fold in range(k):
            if progress is not None:
                progress(f"fold {fold + 1} of {k}")
            held = np.flatnonzero(assignment == fold)
            trained = np.flatnonzero(assignment != fold)
            train, test = cohort.rows(trained), cohort.rows(held)
            theta = _fit_theta(compiled, engine, train, fold, "all", max_iterations, prior_weight)
            fitted_ll += float(engine.log_likelihood(test.batch, theta).sum())
            _fold_predictions(engine, train, test, held, outcomes, theta, crossed, baseline, predicted)
            order = np.random.default_rng([seed, fold]).permutation(trained.size)
            for size in sizes:
                if progress is not None:
                    progress(f"fold {fold + 1} of {k}, {size} training rows")
                subset = train.rows(np.sort(order[:size]))
                small = _fit_theta(compiled, engine, subset, fold, f"{size} rows", max_iterations, prior_weight)
                into = {(o, name): curve_predictions[(size, o, name)] for o in outcomes
                        for name in (crossed, *([BASELINE] if baseline else []))}
                _fold_predictions(engine, subset, test, held, outcomes, small, crossed, baseline, into)
                for o in outcomes:
                    curve_predictions[(size, o, given)] = predicted[(o, given)]
        row_ll[crossed] = fitted_ll / n
    scores: list[OutcomeScore] = []
    scored = [given, *([crossed] if k is not None else []), *([BASELINE] if baseline else [])]
    for outcome in outcomes:
        rows, y = labelled[outcome]
        for name in scored:
            scores.append(_score(outcome, labels[outcome], name, y, predicted[(outcome, name)][rows], bins))
    curve = []
    for outcome in outcomes:
        rows, y = labelled[outcome]
        for size in sizes:
            for name in scored:
                p = curve_predictions[(size, outcome, name)][rows]
                curve.append(CurvePoint(size, outcome, name, roc_auc(y, p), brier_score(y, p), log_loss(y, p)))
    ids = cohort.ids if cohort.ids is not None else tuple(str(int(line)) for line in cohort.lines)
    return Evaluation(cohort.source, n, compiled.params.source, scores, bins, k, seed, row_ll, cohort.skipped,
                      cancer_label(compiled), tuple(cohort.cutoffs), curve, ids, assignment, recorded, predicted)


def _fold_predictions(engine: Engine, train: Cohort, test: Cohort, held: np.ndarray, outcomes: Sequence[str],
                      theta: np.ndarray, crossed: str, baseline: bool,
                      into: dict[tuple[str, str], np.ndarray]) -> None:
    """The held-out rows' predictions of each label by the fitted parameters (and the baseline),
    written into the cohort-wide arrays at the rows ``held``."""
    for outcome in outcomes:
        index, _, p = predict(engine, test, outcome, theta)
        into[(outcome, crossed)][held[index]] = p
        if baseline:
            column = train.nodes.index(outcome)
            y = train.readings[:, column]
            known = (y == 0.0) | (y == 1.0)
            features = [j for j in range(len(train.nodes)) if j != column]
            into[(outcome, BASELINE)][held[index]] = baseline_predict(
                train.readings[known][:, features], y[known], test.readings[index][:, features])
