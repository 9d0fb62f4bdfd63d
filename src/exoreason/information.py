"""What to measure next: the expected information gain of each unobserved cargo about a target.

For a target T, current evidence e and an unobserved cargo C,

    IG(C) = H(T | e) - [ P(C = 1 | e) H(T | e, C = 1) + P(C = 0 | e) H(T | e, C = 0) ]

in bits: the mutual information between T and C given e. Cargo are roots, independent given
root evidence, so P(C = 1 | e) is C's base rate; the two posteriors of T come from the exact
batch engine in one call.
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
    from .batch import BatchEngine

    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    if kinds.get(target) not in ("process", "outcome"):
        raise InferenceError(f"unknown target {target!r}; choose a process or outcome such as "
                             "metastasis, chemoresistance, recurrence, EMT")
    if top is not None and top < 1:
        raise InferenceError(f"--top must be a positive integer, got {top}")
    engine = BatchEngine(reasoner.compiled, [target])
    index = {k: i for i, k in enumerate(engine.roots)}
    base = np.full(len(engine.roots), np.nan)
    for key, q in evidence.items():
        base[index[key]] = q
    candidates = [k for k in engine.roots if k not in evidence and kinds.get(k) == "cargo"]
    rows = [base]
    for key in candidates:
        for value in (1.0, 0.0):
            row = base.copy()
            row[index[key]] = value
            rows.append(row)
    answers = engine.posteriors(np.vstack(rows), unique=False)[:, 0]
    current = float(answers[0])
    labels = {n.key: n.label for n in reasoner.spec.nodes}
    found = []
    for i, key in enumerate(candidates):
        present, absent = float(answers[1 + 2 * i]), float(answers[2 + 2 * i])
        p = float(engine.priors[index[key]])
        gain = entropy(current) - (p * entropy(present) + (1.0 - p) * entropy(absent))
        found.append(Suggestion(key, labels[key], p, present, absent, max(gain, 0.0)))
    found.sort(key=lambda s: (-s.information_gain, s.key))
    return current, found[:top] if top else found
