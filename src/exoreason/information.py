"""What to measure next: the expected information gain of each unobserved cargo about a target.

For a target T, current evidence e and an unobserved cargo C,

    IG(C) = H(T | e) - [ P(C = 1 | e) H(T | e, C = 1) + P(C = 0 | e) H(T | e, C = 0) ]

in bits: the mutual information between T and C given e. P(C = 1 | e) and the two posteriors of
T for every candidate come from the exact engine, the candidates' readings as rows of one batch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import InferenceError

if TYPE_CHECKING:
    from .inference import Reasoner

__all__ = ["Suggestion", "entropy", "suggest"]


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


def suggest(reasoner: Reasoner, evidence: Mapping[str, float], target: str, top: int | None = None
            ) -> tuple[float, list[Suggestion]]:
    """The current P(target) and the unobserved cargo ranked by expected information gain."""
    from .engine import EvidenceBatch

    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    if kinds.get(target) not in ("process", "outcome"):
        raise InferenceError(f"unknown target {target!r}; choose a process or outcome such as "
                             "metastasis, chemoresistance, recurrence, EMT")
    if top is not None and top < 1:
        raise InferenceError(f"--top must be a positive integer, got {top}")
    engine = reasoner.engine
    readings = {k: float(v) for k, v in evidence.items()}
    candidates = [n.key for n in reasoner.spec.nodes if n.kind == "cargo" and n.key not in readings]
    now = engine.posterior_dict([target, *candidates], readings)
    current = now[target]
    # A candidate certain to be present (or absent) tells nothing; its other state is impossible.
    uncertain = [key for key in candidates if 0.0 < now[key] < 1.0]
    rows = [{**readings, key: value} for key in uncertain for value in (1.0, 0.0)]
    answers = engine.posteriors([target], EvidenceBatch.rows(rows))[:, 0] if rows else np.empty(0)
    answer = {key: (float(answers[2 * i]), float(answers[2 * i + 1])) for i, key in enumerate(uncertain)}
    labels = {n.key: n.label for n in reasoner.spec.nodes}
    found = []
    for key in candidates:
        present, absent = answer.get(key, (current, current))
        p = now[key]
        gain = entropy(current) - (p * entropy(present) + (1.0 - p) * entropy(absent))
        found.append(Suggestion(key, labels[key], p, present, absent, max(gain, 0.0)))
    found.sort(key=lambda s: (-round(s.information_gain, 12), s.key))
    return current, found[:top] if top else found
