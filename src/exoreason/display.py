"""How answers are shown: the same rounding and the same row order in tables, files and pictures.

* Files (CSV, JSON) carry numbers rounded to 12 significant digits: an exact contraction leaves
  float noise below that (``-2.7755575615628914e-17`` is 0, ``0.30000000000000004`` is 0.3).
* Tables and pictures show three decimals; a change that rounds to zero is ``0.000``, never
  ``-0.000``.
* Rows: outcomes first, then processes (then any other kind of node), each group by how strongly
  the evidence speaks about it, the size of its log odds ratio (posterior odds / prior odds) as
  shown (three decimals, so that noise never reorders equal ones), largest first, then by label.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from typing import IO, Any

__all__ = [
    "DISCLAIMER",
    "KIND_ORDER",
    "StatusLine",
    "json_ready",
    "odds_ratio",
    "odds_ratio_text",
    "probability_text",
    "round_probability",
    "row_key",
    "shown",
    "signed",
]

KIND_ORDER = ("outcome", "process", "gene_effect", "cargo")

#: What every answer says of its numbers.
DISCLAIMER = ("Posteriors are estimates of a model whose structure and parameters come from the "
              "literature (a review, the studies it cites and the other sources it names), not clinical predictions.")

_DECIMALS = 3


def round_probability(value: float) -> float:
    """A number rounded to 12 significant digits: what a contraction leaves below that is noise.

    >>> round_probability(-2.7755575615628914e-17), round_probability(0.30000000000000004)
    (0.0, 0.3)
    """
    rounded = float(f"{value:.12g}")
    return 0.0 if abs(rounded) < 1e-12 else rounded


def probability_text(value: float) -> str:
    """A number as CSV text, without float noise.

    >>> probability_text(0.30000000000000004), probability_text(-1e-17), probability_text(1.0)
    ('0.3', '0', '1')
    """
    return f"{round_probability(value):.12g}"


def json_ready(value: Any) -> Any:
    """``value`` with every float in it rounded as :func:`round_probability` does (booleans,
    integers and strings unchanged): what the JSON answers carry.

    >>> json_ready({"change": -2.7755575615628914e-17, "observed": True, "refs": [27]})
    {'change': 0.0, 'observed': True, 'refs': [27]}
    """
    if isinstance(value, float):
        return round_probability(value)
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    return value


def shown(value: float) -> float:
    """A number as a table shows it (three decimals), with -0.0 made 0.0.

    >>> shown(-0.0002), shown(0.2114)
    (0.0, 0.211)
    """
    return round(value, _DECIMALS) + 0.0


def signed(value: float, width: int = 0) -> str:
    """A change for a table: ``+0.192``, ``-0.070`` and, when it rounds to zero, ``0.000``.

    >>> signed(0.19236), signed(-0.0701), signed(-2.7e-17)
    ('+0.192', '-0.070', '0.000')
    """
    value = shown(value)
    text = f"{value:+.{_DECIMALS}f}" if value else f"{0:.{_DECIMALS}f}"
    return text.rjust(width)


def odds_ratio(prior: float, posterior: float) -> float | None:
    """How strongly the evidence speaks about a node, whatever its prior: the posterior odds over
    the prior odds. None where either is 0 or 1 (a node observed, or made impossible or certain),
    for there the odds are not finite.

    >>> round(odds_ratio(0.5, 0.75), 12), round(odds_ratio(0.2, 0.2), 12), odds_ratio(0.3, 1.0)
    (3.0, 1.0, None)
    """
    if not (0.0 < prior < 1.0 and 0.0 < posterior < 1.0):
        return None
    return posterior * (1.0 - prior) / (prior * (1.0 - posterior))


def odds_ratio_text(value: float | None, width: int = 0) -> str:
    """An odds ratio for a table: three significant decimals, ``-`` where it is not finite.

    >>> odds_ratio_text(1.0716), odds_ratio_text(None), odds_ratio_text(0.2)
    ('1.072', '-', '0.200')
    """
    text = "-" if value is None else f"{value:.3f}"
    return text.rjust(width)


def row_key(kind: str, ratio: float | None, label: str) -> tuple[int, float, str]:
    """Sort key of a row: outcomes first, then processes; within each, the largest log odds ratio
    (as shown) first, a node whose odds are not finite (observed) before all, then by label.

    >>> rows = [("process", 3.0, "EMT"), ("outcome", 1.2, "recurrence"), ("outcome", 1 / 1.5, "metastasis")]
    >>> [label for _, _, label in sorted(rows, key=lambda r: row_key(*r))]
    ['metastasis', 'recurrence', 'EMT']
    """
    rank = KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
    weight = math.inf if ratio is None else round(abs(math.log(ratio)), _DECIMALS)
    return rank, -weight, label.casefold()


class StatusLine:
    """A line of progress on stderr, rewritten in place (``exoreason: fold 2 of 5``); shown on a
    terminal only, unless ``enabled`` says otherwise. :meth:`close` ends the line if one was shown."""

    def __init__(self, enabled: bool | None = None, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.shown = False

    def show(self, text: str) -> None:
        if self.enabled:
            print(f"\rexoreason: {text}   ", end="", file=self.stream, flush=True)
            self.shown = True

    def close(self) -> None:
        if self.shown:
            print(file=self.stream)
            self.shown = False
