"""What to measure next: the expected information gain of each unobserved cargo about a target.

For a target T, current evidence e and an unobserved cargo C,

    IG(C) = H(T | e) - [ P(C = 1 | e) H(T | e, C = 1) + P(C = 0 | e) H(T | e, C = 0) ]

in bits: the mutual information between T and C given e. P(C = 1 | e) and the two posteriors of
T for every candidate come from the exact engine, the candidates' readings as rows of one batch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InferenceError

if TYPE_CHECKING:
    from .inference import Reasoner

__all__ = ["Suggestion", "Suggestions", "entropy", "suggest"]


def entropy(p: float) -> float:
    """Binary entropy in bits.

    >>> entropy(0.5)
    1.0
    """
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1.0 - p) * math.log2(1.0 - p))


@dataclass(frozen=True)
class Suggestion:
    key: str
    label: str
    p_present: float
    posterior_if_present: float
    posterior_if_absent: float
    information_gain: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Suggestions:
    """What to measure next about a target: its posterior now and the candidates, the most
    informative first. Unpacks as ``posterior, ranked``."""

    target: str
    label: str
    posterior: float
    ranked: list[Suggestion]

    def __iter__(self) -> Iterator[Any]:
        return iter((self.posterior, self.ranked))

    def to_dict(self) -> dict[str, Any]:
        from .display import json_ready

        return json_ready({"target": self.target, "posterior": self.posterior,  # type: ignore[no-any-return]
                           "suggestions": [s.to_dict() for s in self.ranked]})

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def render_table(self) -> str:
        """The candidates as ``exoreason suggest`` prints them, by label."""
        lines = [f"P({self.label}) now: {self.posterior:.3f}"]
        if not self.ranked:
            lines.append("No unobserved exosomal cargo would tell anything more about it.")
            return "\n".join(lines)
        width = max([len("cargo")] + [len(s.label) for s in self.ranked])
        lines.append(f"{'cargo'.ljust(width)}  {'info gain (bits)':>16} {'if present':>10} {'if absent':>9} "
                     f"{'P(present)':>10}")
        for s in self.ranked:
            lines.append(f"{s.label.ljust(width)}  {s.information_gain:16.6f} {s.posterior_if_present:10.3f} "
                         f"{s.posterior_if_absent:9.3f} {s.p_present:10.3f}")
        return "\n".join(lines)


#: A gain below this many bits is float noise: such a candidate tells nothing.
_NO_GAIN = 1e-12


def suggest(reasoner: Reasoner, evidence: Mapping[str, float], target: str, top: int | None = None
            ) -> Suggestions:
    """The current P(target) and the unobserved cargo an assay of exosomes measures (not exosome
    populations) ranked by expected information gain, those that would tell something only."""
    from .engine import EvidenceBatch

    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    if kinds.get(target) not in ("process", "outcome"):
        raise InferenceError(f"unknown target {target!r}; choose a process or outcome such as "
                             "metastasis, chemoresistance, recurrence, EMT")
    if top is not None and top < 1:
        raise InferenceError(f"--top must be a positive integer, got {top}")
    engine = reasoner.engine
    readings = {k: float(v) for k, v in evidence.items()}
    candidates = [n.key for n in reasoner.spec.nodes if n.measurable and n.key not in readings]
    now = engine.posterior_dict([target, *candidates], readings)
    current = now[target]
    # A candidate certain to be present (or absent) tells nothing; its other state is impossible.
    uncertain = [key for key in candidates if 0.0 < now[key] < 1.0]
    rows = [{**readings, key: value} for key in uncertain for value in (1.0, 0.0)]
    answers = engine.posteriors([target], EvidenceBatch.rows(rows))[:, 0] if rows else np.empty(0)
    answer = {key: (float(answers[2 * i]), float(answers[2 * i + 1])) for i, key in enumerate(uncertain)}
    labels = {n.key: n.label for n in reasoner.spec.nodes}
    found = []
    for key in uncertain:
        present, absent = answer[key]
        p = now[key]
        gain = entropy(current) - (p * entropy(present) + (1.0 - p) * entropy(absent))
        if gain > _NO_GAIN:
            found.append(Suggestion(key, labels[key], p, present, absent, gain))
    found.sort(key=lambda s: (-round(s.information_gain, 12), s.key))
    return Suggestions(target, labels[target], current, found[:top] if top else found)
