"""Observations: how a reading is written (a cell, a value, ``NAME:Q``) and what it means.

A reading of a node is one of:

* not observed: an empty cell, ``NA``, ``N/A``, ``NaN``, ``None``, ``null``, ``not measured``, ``?``;
* present (1): ``true``, ``yes``, ``present``, ``detected``, ``positive``, ``1`` (any case; also
  ``t``, ``y``, ``pos``, ``+``);
* absent (0): ``false``, ``no``, ``absent``, ``not detected``, ``negative``, ``0`` (any case; also
  ``f``, ``n``, ``undetected``, ``neg``, ``-``);
* a number q strictly between 0 and 1: a soft reading, used as a likelihood. The evidence factor
  is [1 - q, q]: the reading is q / (1 - q) times as likely if the node is true as if it is false.
  It is *not* the probability that the node is true: 0.5 carries no information, and how far a
  reading moves the node depends on the node's prior (P(true | reading) =
  prior * q / (prior * q + (1 - prior) * (1 - q))).

A measurement (a Ct value, TPM, a fold change) is not a reading: a :class:`Threshold` turns it into
one (present when the measurement passes the threshold, absent otherwise). In a measured column,
the words above keep their meaning, and ``undetermined`` (what qPCR software writes when nothing
amplified) reads as absent.

This module only parses; the engine checks every reading once (:mod:`exoreason.engine`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import InferenceError

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
    "reading",
    "reading_json",
]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "present", "detected", "positive", "pos", "+"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "absent", "not detected", "undetected", "negative",
                         "neg", "-"})
MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "none", "null", "not measured", "?"})
#: What qPCR software writes for a well where nothing amplified: absent, in a measured column.
NO_SIGNAL_WORDS = frozenset({"undetermined", "no ct", "no amplification"})

_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")


def _number_text(cell: str, decimal_comma: bool) -> str:
    return cell.replace(",", ".") if decimal_comma and _DECIMAL_COMMA.fullmatch(cell) else cell


def parse_cell(text: str, decimal_comma: bool = False) -> float | None:
    """A cell's reading: None (not observed), 1.0 / 0.0 (present / absent) or a number in (0, 1).
    With ``decimal_comma`` (semicolon-separated files), ``0,9`` is 0.9.

    >>> parse_cell("detected"), parse_cell("NA"), parse_cell("0.9"), parse_cell("No")
    (1.0, None, 0.9, 0.0)
    >>> parse_cell("0,9", decimal_comma=True)
    0.9
    """
    cell = " ".join(text.split()).lower()
    if cell in MISSING_WORDS:
        return None
    if cell in TRUE_WORDS:
        return 1.0
    if cell in FALSE_WORDS:
        return 0.0
    try:
        value = float(_number_text(cell, decimal_comma))
    except ValueError:
        raise ValueError(f"not a reading (true/false, yes/no, present/absent, detected/not detected, "
                         f"positive/negative, 1/0, a number in [0, 1], or empty/NA): {text!r}") from None
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
    None means every cargo column without a threshold of its own."""

    column: str | None
    operator: str
    value: float

    def present(self, measurement: float) -> bool:
        """Whether a measurement passes the threshold.

        >>> Threshold(None, "<=", 35.0).present(34.2), Threshold(None, "<=", 35.0).present(36.0)
        (True, False)
        """
        op, v = self.operator, self.value
        return (measurement <= v if op == "<=" else measurement >= v if op == ">=" else
                measurement < v if op == "<" else measurement > v)

    def describe(self) -> str:
        """``present when at most 35`` (for every cargo column or one)."""
        where = f"{self.column}: " if self.column is not None else "every cargo column: "
        return f"{where}present when {_OPERATORS[self.operator]} {self.value:g}"


def parse_threshold(text: str) -> Threshold:
    """``[COLUMN]OP VALUE`` with OP one of ``<=``, ``<``, ``>=``, ``>``: ``<=35`` (every cargo
    column), ``miR-21>=10`` (one column).

    >>> parse_threshold("<=35"), parse_threshold("miR-21 >= 10")
    (Threshold(column=None, operator='<=', value=35.0), Threshold(column='miR-21', operator='>=', value=10.0))
    """
    found = re.fullmatch(r"\s*(.*?)\s*(<=|>=|<|>)\s*([^<>=]*?)\s*", text)
    usage = ("use [COLUMN]OP VALUE with OP one of <=, <, >=, > (e.g. '<=35' for Ct values in every cargo "
             "column, 'miR-21>=10' for one column); quote it in a shell")
    if not found:
        raise InferenceError(f"bad --threshold {text!r}: {usage}")
    column, operator, number = found.groups()
    try:
        value = float(number.replace(",", ".") if _DECIMAL_COMMA.fullmatch(number) else number)
    except ValueError:
        raise InferenceError(f"bad --threshold {text!r}: {number!r} is not a number; {usage}") from None
    if math.isnan(value) or math.isinf(value):
        raise InferenceError(f"bad --threshold {text!r}: the value must be a finite number")
    return Threshold(column or None, operator, value)


def parse_measurement(text: str, threshold: Threshold, decimal_comma: bool = False) -> float | None:
    """A measured cell's reading: the words of :func:`parse_cell` keep their meaning, ``undetermined``
    (no amplification) is absent, and a number is present or absent by ``threshold``.

    >>> ct = Threshold(None, "<=", 35.0)
    >>> parse_measurement("28.4", ct), parse_measurement("38", ct), parse_measurement("Undetermined", ct)
    (1.0, 0.0, 0.0)
    >>> parse_measurement("NA", ct) is None, parse_measurement("34,9", ct, decimal_comma=True)
    (True, 1.0)
    """
    cell = " ".join(text.split()).lower()
    if cell in MISSING_WORDS:
        return None
    if cell in TRUE_WORDS:
        return 1.0
    if cell in FALSE_WORDS or cell in NO_SIGNAL_WORDS:
        return 0.0
    try:
        value = float(_number_text(cell, decimal_comma))
    except ValueError:
        raise ValueError(f"not a measurement (a number, Undetermined, or a reading such as detected, "
                         f"not detected, empty/NA): {text!r}") from None
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
