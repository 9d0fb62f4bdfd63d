"""Why an outcome moved: the paths from each observed cargo to one outcome, with the findings
behind every edge (what ``exoreason explain`` prints and :func:`plot_explanation` draws)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import InferenceError
from .evidence import Observations, describe_reading, reading
from .inference import DISCLAIMER, EvidenceEffect, InferenceResult, OutcomePosterior

if TYPE_CHECKING:
    from .inference import Reasoner

__all__ = ["Explanation", "coerce_result", "explain", "short_citation"]


def coerce_result(reasoner: Reasoner, given: Any) -> InferenceResult:
    """An :class:`InferenceResult` from a result, a mapping {cargo name: reading} or cargo names."""
    if isinstance(given, InferenceResult):
        return given
    if isinstance(given, str):
        given = [given]
    if isinstance(given, Mapping):
        found = Observations()
        for name, value in given.items():
            try:
                q = reading(value)
            except ValueError as exc:
                raise InferenceError(f"{name!r}: {exc}") from None
            if q is not None:
                found.add(reasoner.resolve_node(str(name)), q, str(name))
        return reasoner.infer(found.readings, found.given)
    if isinstance(given, Iterable):
        return reasoner.infer_names([str(g) for g in given])
    raise InferenceError(f"expected an InferenceResult, a mapping of cargo to readings or cargo names, "
                         f"got {type(given).__name__}")


def short_citation(finding: Mapping[str, Any]) -> str:
    """``Table 3, ref 27``: where in the review a finding is, and its reference numbers."""
    refs = finding.get("review_refs") or []
    ref = (", ref " if len(refs) == 1 else ", refs ") + ", ".join(str(r) for r in refs) if refs else ""
    return f"{finding.get('source', '')}{ref}"


@dataclass(frozen=True)
class Explanation:
    """One outcome's prior and posterior, and each observation's paths to it."""

    outcome: OutcomePosterior
    result: InferenceResult
    unconnected: tuple[str, ...]  # observed cargo with no path to the outcome

    @property
    def effects(self) -> tuple[EvidenceEffect, ...]:
        return self.outcome.explanation

    def label(self, key: str) -> str:
        return self.result.labels.get(key, key)

    def to_dict(self) -> dict[str, Any]:
        return {"outcome": self.outcome.key, "label": self.outcome.label,
                "evidence": self.result.to_dict()["evidence"],
                "prior": self.outcome.prior, "posterior": self.outcome.posterior,
                "change": self.outcome.change,
                "effects": [e.to_dict() for e in self.effects],
                "unconnected": list(self.unconnected), "note": DISCLAIMER}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def render_table(self) -> str:
        from .inference import cite

        o = self.outcome
        lines = [f"Evidence: {self.result.describe_evidence()}",
                 f"{o.label} ({o.key}): prior {o.prior:.3f}, posterior {o.posterior:.3f} ({o.change:+.3f})"]
        for effect in self.effects:
            lines.append("")
            lines.append(f"{self.label(effect.cargo)} {describe_reading(effect.reading)}: "
                         f"{effect.posterior_without:.3f} without it -> {o.posterior:.3f} ({effect.shift:+.3f})")
            for number, path in enumerate(effect.paths, 1):
                chain = " -> ".join([self.label(path[0].parent)]
                                    + [("-| " if s.sign == "-" else "") + self.label(s.child) for s in path])
                lines.append(f"  path {number}: {chain}")
                for step in path:
                    verb = "promotes" if step.sign == "+" else "inhibits"
                    lines.append(f"    {self.label(step.parent)} {verb} {self.label(step.child)} "
                                 f"(strength {step.strength:.2f})")
                    for finding in step.findings:
                        lines.append(f"      {cite(finding)}")
        for key in self.unconnected:
            lines.append("")
            lines.append(f"{self.label(key)}: no path in the network leads from it to {o.label}")
        lines.append("")
        lines.append(f"Note: {DISCLAIMER} Parameters: {self.result.parameters}.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(self.render_table())}</pre>"


def explain(reasoner: Reasoner, evidence: Any, outcome: str) -> Explanation:
    """The paths from each observed cargo to ``outcome``, with the findings behind each edge.

    ``evidence`` is an :class:`InferenceResult`, a mapping {cargo name: reading} or cargo names.
    """
    key = reasoner.resolve_outcome(outcome)
    result = coerce_result(reasoner, evidence)
    if not result.evidence:
        raise InferenceError("no evidence to explain: give at least one cargo")
    found = result.outcome(key)
    connected = {e.cargo for e in found.explanation}
    return Explanation(found, result, tuple(k for k in result.evidence if k not in connected))
