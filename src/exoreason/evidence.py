"""Observations: how a reading is written (a cell, a value, ``NAME:Q``) and what it means.

A reading of a node is one of:

* not observed: an empty cell, ``NA``, ``N/A``, ``NaN``, ``None``;
* present (1): ``true``, ``yes``, ``present``, ``detected``, ``positive``, ``1`` (any case);
* absent (0): ``false``, ``no``, ``absent``, ``not detected``, ``negative``, ``0``;
* a number q strictly between 0 and 1: a soft reading, used as a likelihood. The evidence factor
  is [1 - q, q]: the reading is q / (1 - q) times as likely if the node is true as if it is false.
  It is *not* the probability that the node is true: 0.5 carries no information, and how far a
  reading moves the node depends on the node's prior (P(true | reading) =
  prior * q / (prior * q + (1 - prior) * (1 - q))).

This module only parses; the engine checks every reading once (:mod:`exoreason.engine`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import InferenceError

__all__ = [
    "FALSE_WORDS",
    "MISSING_WORDS",
    "Observations",
    "TRUE_WORDS",
    "describe_reading",
    "parse_assignment",
    "parse_cell",
    "parse_observation",
    "reading",
    "reading_json",
]

TRUE_WORDS = frozenset({"true", "t", "yes", "y", "present", "detected", "positive", "pos", "+"})
FALSE_WORDS = frozenset({"false", "f", "no", "n", "absent", "not detected", "undetected", "negative",
                         "neg", "-"})
MISSING_WORDS = frozenset({"", "na", "n/a", "nan", "none", "null", "not measured", "?"})


def parse_cell(text: str) -> float | None:
    """A cell's reading: None (not observed), 1.0 / 0.0 (present / absent) or a number in (0, 1).

    >>> parse_cell("detected"), parse_cell("NA"), parse_cell("0.9"), parse_cell("No")
    (1.0, None, 0.9, 0.0)
    """
    cell = " ".join(text.split()).lower()
    if cell in MISSING_WORDS:
        return None
    if cell in TRUE_WORDS:
        return 1.0
    if cell in FALSE_WORDS:
        return 0.0
    try:
        value = float(cell)
    except ValueError:
        raise ValueError(f"not a reading (true/false, yes/no, present/absent, detected/not detected, "
                         f"positive/negative, 1/0, a number in [0, 1], or empty/NA): {text!r}") from None
    if math.isnan(value):
        return None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"reading outside [0, 1]: {text!r}")
    return value


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
        if not 0.0 <= q <= 1.0 or q != q:
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
