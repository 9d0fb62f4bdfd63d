"""Observations: how a reading is written (a cell, a value, ``NAME:Q``) and what it means.

A reading of a node is one of:

* not observed: an empty cell, ``NA``, ``N/A``, ``NaN``, ``None``, ``null``, ``not measured``, ``?``;
* present (1): ``true``, ``yes``, ``present``, ``detected``, ``positive``, ``1`` (any case; also
  ``t``, ``y``, ``pos``, ``+``);
* absent (0): ``false``, ``no``, ``absent``, ``not detected``, ``negative``, ``0`` (any case; also
  ``f``, ``n``, ``undetected``, ``ND``, ``n.d.``, ``neg``, ``-``);
* a number q strictly between 0 and 1: a soft reading, used as a likelihood. The evidence factor
  is [1 - q, q]: the reading is q / (1 - q) times as likely if the node is true as if it is false.
  It is *not* the probability that the node is true: 0.5 carries no information, and how far a
  reading moves the node depends on the node's prior (P(true | reading) =
  prior * q / (prior * q + (1 - prior) * (1 - q))).

A measurement (a Ct value, TPM, a fold change) is not a reading: a :class:`Threshold` turns it into
one (present when the measurement passes the threshold, absent otherwise). A threshold is a number
(``>=10``, ``<=35``) or relative to the cohort, as labs often set them: ``>median``, ``>p75``,
``<p25`` (a percentile of the column's numbers in the file, resolved when the file is read). In a measured column,
the words above keep their meaning, and ``undetermined`` (what qPCR software writes when nothing
amplified) reads as absent.

This module only parses; the engine checks every reading once (:mod:`exoreason.engine`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import InferenceError, InputError

__all__ = [
    "FALSE_WORDS",
    "MISSING_WORDS",
    "NO_SIGNAL_WORDS",
    "TRUE_WORDS",
    "Observations",
    "Threshold",
    "describe_reading",
    "parse_assignment",
    "parse_cell",
    "parse_measurement",
    "parse_observation",
    "parse_threshold",
    "parse_threshold_all",
    "parse_thresholds",
    "reading",
    "reading_json",
]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "present", "detected", "positive", "pos", "+"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "absent", "not detected", "undetected", "nd", "n.d.",
                         "negative", "neg", "-"})
MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "none", "null", "not measured", "?"})
#: What qPCR software writes for a well where nothing amplified: absent, in a measured column.
NO_SIGNAL_WORDS = frozenset({"undetermined", "no ct", "no amplification"})

_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _number_text(cell: str, decimal_comma: bool) -> str:
    return cell.replace(",", ".") if decimal_comma and _DECIMAL_COMMA.fullmatch(cell) else cell


def _word_reading(text: str, false_words: Collection[str]) -> tuple[str | None, float | None]:
    """A cell written as a word: (None, its reading); else (the cell folded, None)."""
    cell = " ".join(text.split()).lower()
    if cell in MISSING_WORDS:
        return None, None
    if cell in TRUE_WORDS:
        return None, 1.0
    if cell in false_words:
        return None, 0.0
    return cell, None


def _number(cell: str, text: str, decimal_comma: bool, what: str) -> float:
    try:
        return float(_number_text(cell, decimal_comma))
    except ValueError:
        raise ValueError(f"{what}: {text!r}") from None


def parse_cell(text: str, decimal_comma: bool = False) -> float | None:
    """A cell's reading: None (not observed), 1.0 / 0.0 (present / absent) or a number in (0, 1).
    With ``decimal_comma`` (semicolon-separated files), ``0,9`` is 0.9.

    >>> parse_cell("detected"), parse_cell("NA"), parse_cell("0.9"), parse_cell("No")
    (1.0, None, 0.9, 0.0)
    >>> parse_cell("0,9", decimal_comma=True)
    0.9
    """
    cell, word = _word_reading(text, FALSE_WORDS)
    if cell is None:
        return word
    value = _number(cell, text, decimal_comma, "not a reading (true/false, yes/no, present/absent, detected/not "
                    "detected, positive/negative, 1/0, a number in [0, 1], or empty/NA)")
    if math.isnan(value):
        return None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"reading outside [0, 1]: {text!r} (a measurement such as a Ct value or TPM needs "
                         f"a threshold: --threshold '<=35' or --threshold 'NAME>=10')")
    return value


_OPERATORS = {"<=": "at most", ">=": "at least", "<": "below", ">": "above"}


@dataclass(frozen=True)
class Threshold:
    """Present when a measurement passes ``operator value`` (``<=35`` for a Ct value: fewer
    cycles, more RNA; ``>=10`` for TPM), absent otherwise. ``column`` names the column it is for;
    None means every cargo column without a threshold of its own.

    A threshold relative to the cohort has a ``quantile`` (0.5 for ``median``, 0.75 for ``p75``)
    and no value until :meth:`resolved` gives it the column's quantile."""

    column: str | None
    operator: str
    value: float | None
    quantile: float | None = None

    @property
    def relative(self) -> bool:
        """Whether the threshold is a quantile of the cohort's column."""
        return self.quantile is not None

    def resolved(self, value: float) -> Threshold:
        """This threshold with its value set (a relative one keeps its quantile, for describing)."""
        return Threshold(self.column, self.operator, float(value), self.quantile)

    def present(self, measurement: float) -> bool:
        """Whether a measurement passes the threshold.

        >>> Threshold(None, "<=", 35.0).present(34.2), Threshold(None, "<=", 35.0).present(36.0)
        (True, False)
        """
        op, v = self.operator, self.value
        if v is None:
            raise ValueError(f"the threshold {self.rule()} is relative to a cohort and not resolved")
        return (measurement <= v if op == "<=" else measurement >= v if op == ">=" else
                measurement < v if op == "<" else measurement > v)

    def rule(self) -> str:
        """The threshold as written: ``<=35``, ``>median``, ``miR-21>p75``."""
        return f"{self.column or ''}{self.operator}{self.level()}"

    def level(self) -> str:
        """``35``, ``median`` or ``p75``."""
        if self.quantile is None:
            return f"{self.value:g}"
        return "median" if self.quantile == 0.5 else f"p{self.quantile * 100:g}"

    def describe(self) -> str:
        """``present when at most 35`` (``above 12.5, the cohort's median``), for every cargo column
        or one."""
        where = f"{self.column}: " if self.column is not None else "every cargo column: "
        return f"{where}present when {self.cutoff()}"

    def cutoff(self) -> str:
        """``at most 35``; ``above 12.5 (the cohort's median)`` once resolved."""
        if self.quantile is None:
            return f"{_OPERATORS[self.operator]} {self.value:g}"
        where = f"the cohort's {self.level()}"
        if self.value is None:
            return f"{_OPERATORS[self.operator]} {where}"
        return f"{_OPERATORS[self.operator]} {self.value:.6g} ({where})"


_QUANTILE = re.compile(r"p(\d+(?:\.\d+)?)", re.IGNORECASE)


def _quantile(level: str) -> float | None:
    """0.5 for ``median``, 0.75 for ``p75``; None for anything else."""
    if level.lower() == "median":
        return 0.5
    found = _QUANTILE.fullmatch(level)
    return float(found.group(1)) / 100.0 if found else None


def parse_threshold(text: str, option: str = "--threshold") -> Threshold:
    """``[COLUMN]OP LEVEL`` with OP one of ``<=``, ``<``, ``>=``, ``>`` and LEVEL a number,
    ``median`` or a percentile ``pNN`` of the cohort's column: ``<=35`` (every cargo column),
    ``miR-21>=10`` (one column), ``miR-21>median``, ``<p25``.

    >>> parse_threshold("<=35"), parse_threshold("miR-21 >= 10")
    (Threshold(column=None, operator='<=', value=35.0, quantile=None), Threshold(column='miR-21', operator='>=', value=10.0, quantile=None))
    >>> parse_threshold("miR-21>median").quantile, parse_threshold("<p25").quantile
    (0.5, 0.25)
    """
    found = re.fullmatch(r"\s*(.*?)\s*(<=|>=|<|>)\s*([^<>=]*?)\s*", text)
    usage = ("use [COLUMN]OP LEVEL with OP one of <=, <, >=, > and LEVEL a number, median or a percentile "
             "such as p75 (e.g. '<=35' for Ct values in every cargo column, 'miR-21>=10' or 'miR-21>median' "
             "for one column); quote it in a shell")
    if not found:
        raise InferenceError(f"bad {option} {text!r}: {usage}")
    column, operator, number = found.groups()
    quantile = _quantile(number)
    if quantile is not None:
        if not 0.0 <= quantile <= 1.0:
            raise InferenceError(f"bad {option} {text!r}: a percentile goes from p0 to p100")
        return Threshold(column or None, operator, None, quantile)
    try:
        value = float(number.replace(",", ".") if _DECIMAL_COMMA.fullmatch(number) else number)
    except ValueError:
        raise InferenceError(f"bad {option} {text!r}: {number!r} is not a number, median or pNN; {usage}") from None
    if math.isnan(value) or math.isinf(value):
        raise InferenceError(f"bad {option} {text!r}: the value must be a finite number")
    return Threshold(column or None, operator, value)


def parse_threshold_all(text: str) -> Threshold:
    """One rule for every measured (cargo) column: ``median``, ``p75`` (present when above it),
    or with an operator, ``<p25``, ``<=35`` (Ct values: lower means more).

    >>> parse_threshold_all("median"), parse_threshold_all("<=35").operator
    (Threshold(column=None, operator='>', value=None, quantile=0.5), '<=')
    """
    rule = text.strip()
    if rule[:1] not in ("<", ">"):
        rule = ">" + rule
    found = parse_threshold(rule, "--threshold-all")
    if found.column is not None:
        raise InferenceError(f"bad --threshold-all {text!r}: it holds for every measured column, so it names "
                             "none (use --threshold 'COLUMN>LEVEL' for one column)")
    return found


def parse_measurement(text: str, threshold: Threshold, decimal_comma: bool = False) -> float | None:
    """A measured cell's reading: the words of :func:`parse_cell` keep their meaning, ``undetermined``
    (no amplification) is absent, and a number is present or absent by ``threshold``.

    >>> ct = Threshold(None, "<=", 35.0)
    >>> parse_measurement("28.4", ct), parse_measurement("38", ct), parse_measurement("Undetermined", ct)
    (1.0, 0.0, 0.0)
    >>> parse_measurement("NA", ct) is None, parse_measurement("34,9", ct, decimal_comma=True)
    (True, 1.0)
    """
    cell, word = _word_reading(text, FALSE_WORDS | NO_SIGNAL_WORDS)
    if cell is None:
        return word
    value = _number(cell, text, decimal_comma, "not a measurement (a number, Undetermined, or a reading such "
                    "as detected, not detected, empty/NA)")
    if math.isnan(value):
        return None
    return 1.0 if threshold.present(value) else 0.0


def reading(value: Any) -> float | None:
    """A Python value's reading: None/NaN not observed, True/False, a number in [0, 1], or a cell's text.

    >>> reading(True), reading(None), reading(0.25), reading("absent")
    (1.0, None, 0.25, 0.0)
    """
    if value is None:
        return None
    if isinstance(value, str):
        return parse_cell(value)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        q = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"not a reading: {value!r}") from None
    if math.isnan(q):
        return None
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"reading outside [0, 1]: {value!r}")
    return q


def parse_observation(text: str) -> tuple[str, float]:
    """``NAME`` (present) or ``NAME:Q`` with Q a reading (``--cargo miR-155:0.9``).

    >>> parse_observation("miR-155:0.9"), parse_observation("miR-155")
    (('miR-155', 0.9), ('miR-155', 1.0))
    """
    name, sep, tail = text.rpartition(":")
    if sep and name:
        try:
            q = float(tail)
        except ValueError:
            return text, 1.0  # a colon inside a name
        if math.isnan(q) or not 0.0 <= q <= 1.0:
            raise InferenceError(f"reading for {name!r} must be a probability in [0, 1], got {tail!r}")
        return name, q
    return text, 1.0


def parse_thresholds(rules: Iterable[str], every: str | None = None) -> list[Threshold]:
    """The ``--threshold`` rules, and the ``--threshold-all`` one (``every``) for each measured
    column without its own; both setting the rule for every column is refused.

    >>> [t.rule() for t in parse_thresholds(["miR-21>=10"], "median")]
    ['miR-21>=10', '>median']
    """
    found = [parse_threshold(text) for text in rules]
    if every is not None:
        general = [t for t in found if t.column is None]
        if general:
            raise InputError(f"--threshold {general[0].rule()} and --threshold-all {every} both set the rule "
                             "for every measured column; give one")
        found.append(parse_threshold_all(every))
    return found


def parse_assignment(text: str, option: str) -> tuple[str, float | None]:
    """``NAME=VALUE`` where VALUE is a reading (``--observe EMT=true``, ``--observe p53_loss=0.8``).

    >>> parse_assignment("EMT=true", "--observe")
    ('EMT', 1.0)
    """
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip():
        raise InferenceError(f"bad {option} {text!r}; use NODE=true, NODE=false or NODE=Q (Q in [0, 1])")
    try:
        return name.strip(), parse_cell(value)
    except ValueError as exc:
        raise InferenceError(f"bad {option} {text!r}: {exc}") from None


def describe_reading(q: float) -> str:
    """``present``, ``absent`` or ``read at Q``."""
    return "present" if q == 1.0 else "absent" if q == 0.0 else f"read at {q:g}"


def reading_json(q: float) -> bool | float:
    """A reading in JSON: true, false or the number."""
    return True if q == 1.0 else False if q == 0.0 else q


@dataclass
class Observations:
    """Readings by node key, and the name each was given by; the same node read twice differently
    is a contradiction."""

    readings: dict[str, float] = field(default_factory=dict)
    given: dict[str, str] = field(default_factory=dict)

    def add(self, key: str, q: float, given: str) -> None:
        if key in self.readings and self.readings[key] != q:
            raise InferenceError(
                f"contradictory evidence: {given!r} ({key}) given both "
                f"{describe_reading(self.readings[key])} and {describe_reading(q)}")
        self.readings[key] = q
        self.given.setdefault(key, given)

    def extend(self, items: Iterable[tuple[str, float, str]]) -> None:
        for key, q, given in items:
            self.add(key, q, given)
