"""Why an outcome moved: the paths from each observed cargo to one outcome, with the findings
behind every edge (what ``exoreason explain`` prints and :func:`plot_explanation` draws)."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .display import signed
from .errors import InferenceError
from .evidence import Observations, reading
from .network import describe_conflict
from .present import answer_end, effect_lines, path_text
from .results import EdgeStep, EvidenceEffect, InferenceResult, OutcomePosterior, path_sign

if TYPE_CHECKING:
    from .inference import Reasoner

__all__ = ["CONFLICT_RULE", "Explanation", "coerce_result", "explain", "graph_conflicts", "path_conflict"]


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


@dataclass(frozen=True)
class Explanation:
    """One outcome's prior and posterior, and each observation's paths to it."""

    outcome: OutcomePosterior
    result: InferenceResult
    unconnected: tuple[str, ...]  # observed nodes with no path to the outcome
    #: Observations whose paths to the outcome disagree in sign: each side's strongest path, the
    #: sources of its findings and the context the molecule acts in (:func:`path_conflict`), and the
    #: graph's conflicting findings about an observed molecule and the outcome (:func:`graph_conflicts`).
    conflicts: tuple[dict[str, Any], ...] = ()

    @property
    def effects(self) -> tuple[EvidenceEffect, ...]:
        return self.outcome.explanation

    def label(self, key: str) -> str:
        return self.result.labels.get(key, key)

    def balance(self) -> str:
        """Where some observations push the outcome up and others down: which side dominates and
        by how much (each observation's change is the posterior minus the posterior without it);
        "" where they all push one way."""
        up = [e for e in self.effects if e.change > 0 and signed(e.change) != signed(0.0)]
        down = [e for e in self.effects if e.change < 0 and signed(e.change) != signed(0.0)]
        if not (up and down):
            return ""
        raised, lowered = sum(e.change for e in up), sum(e.change for e in down)
        side = "raising" if raised + lowered > 0 else "lowering"

        def names(group: list[EvidenceEffect]) -> str:
            return ", ".join(f"{self.label(e.node)} {signed(e.change)}" for e in group)

        return (f"Competing evidence: raising it {names(up)}; lowering it {names(down)}; the {side} evidence "
                f"dominates ({signed(raised)} against {signed(lowered)}; net change {signed(self.outcome.change)}).")

    def to_dict(self) -> dict[str, Any]:
        """The answer as documented in ``docs/answer.schema.json``: the same header and the same
        outcome record as ``infer``'s, for one outcome, and the observations with no path to it."""
        return {**self.result.header(), "outcome": self.outcome.to_dict(self.result.labels),
                "unconnected": list(self.unconnected),
                **({"competing": self.balance()} if self.balance() else {}),
                **({"conflicts": list(self.conflicts)} if self.conflicts else {})}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def render_table(self, verbose: bool = False, show_notes: bool = False) -> str:
        """The paths as ``exoreason explain`` prints them: each observation's change to the
        outcome and its numbered paths with their signs, then each edge on them once with its
        strength and findings (``verbose``: every finding in full; ``show_notes``: the curator
        notes)."""
        o = self.outcome
        labels = self.result.labels
        interval = ""
        if o.interval is not None and o.change_interval is not None and self.result.intervals:
            level = f"{self.result.intervals['level']:.0%}"
            interval = (f"; {level} intervals: posterior [{o.interval[0]:.3f}, {o.interval[1]:.3f}], change "
                        f"[{signed(o.change_interval[0])}, {signed(o.change_interval[1])}]")
        lines = [f"Evidence: {self.result.describe_evidence()}"
                 + (f"; cancer: {self.result.cancer}" if self.result.cancer else ""),
                 (f"{o.label} ({o.kind}): prior {o.prior:.3f}, posterior {o.posterior:.3f}, "
                  f"change {signed(o.change)}{interval}"),
                 "",
                 "Paths from each observation (-> promotes, -| inhibits, => is required for; a path's sign is the product of its edges'):"]
        lines += effect_lines(self.effects, labels, "  ", numbered=True, outcome=o.key)
        if self.balance():
            lines.append(f"  {self.balance()}")
        for conflict in self.conflicts:
            lines.append(f"  Conflicting findings: {describe_conflict(conflict)}.")
        if self.conflicts:
            lines.append(f"  {CONFLICT_RULE}")
        for key in self.unconnected:
            lines.append(f"  {self.label(key)}: no path in the network leads from it to {o.label}")
        lines += answer_end(self.result, self.effects, verbose=verbose, show_notes=show_notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(self.render_table())}</pre>"


def path_conflict(node: str, paths: Sequence[tuple[EdgeStep, ...]], labels: Mapping[str, str],
                  cellular: Collection[str] = ()) -> dict[str, Any] | None:
    """Where an observation's paths to an outcome disagree in sign, each side's strongest path
    (``paths`` come strongest first) with the sources of its findings and the context its first
    molecule acts in: ``exosomal`` for cargo acting in recipient cells, ``cellular`` where the
    detection is read as the molecule in tumour cells (``~>``) or the path starts at such a
    molecule (``cellular``: the keys of molecules in tumour cells). None where all paths agree."""
    sides = {}
    for sign in ("+", "-"):
        path = next((p for p in paths if path_sign(p) == sign), None)
        if path is None:
            return None
        sources = sorted({f.get("from_source") or "review" for step in path for f in step.findings})
        sides["raising" if sign == "+" else "lowering"] = {
            "path": path_text(path, labels), "sources": sources,
            "context": "cellular" if path[0].measured or path[0].parent in cellular else "exosomal"}
    return {"node": node, **sides}


def graph_conflicts(reasoner: Reasoner, observed: Iterable[str], outcome: str) -> list[dict[str, Any]]:
    """The graph's conflicting findings (``NetworkSpec.conflicts``) about an observed molecule
    (either side's subject is its class, or a member's) and the outcome asked about."""
    spec = reasoner.spec
    target = spec.node(outcome).iri
    found = []
    for key in observed:
        node = spec.node(key)
        iris = {node.iri, *node.members}
        for conflict in spec.conflicts:
            if conflict["object"] == target and iris & {conflict["raising"]["subject"], conflict["lowering"]["subject"]}:
                found.append({"node": key, "raising": dict(conflict["raising"]), "lowering": dict(conflict["lowering"])})
    return found


#: How an answer says what the network does with conflicting findings.
CONFLICT_RULE = ("Context first: cellular and exosomal molecules are separate nodes; what still disagrees on one "
                 "edge is weighed by the evidence (README, 'Conflicting findings').")


def explain(reasoner: Reasoner, evidence: Any, outcome: str, every_path: bool = False) -> Explanation:
    """The paths from each observed cargo to ``outcome``, with the findings behind each edge: the
    strongest path through each node on the way, so that every route shows (``every_path``: all).

    ``evidence`` is an :class:`InferenceResult`, a mapping {cargo name: reading} or cargo names.
    """
    import dataclasses

    from .results import strongest

    key = reasoner.resolve_outcome(outcome)
    result = coerce_result(reasoner, evidence)
    if not result.evidence:
        raise InferenceError("no evidence to explain: give at least one cargo")
    found = result.outcome(key)
    every = {e.node: reasoner.paths_between(e.node, key) for e in found.explanation}
    effects = tuple(dataclasses.replace(e, paths=strongest(every[e.node], None if every_path else 1, covering=True))
                    for e in found.explanation)
    found = dataclasses.replace(found, explanation=effects)
    connected = {e.node for e in found.explanation}
    # a molecule in tumour cells is what its detection in exosomes measures
    cellular = {e.parent for e in reasoner.spec.edges if e.relation == "measurement"}
    conflicts = tuple(c for node, paths in every.items()
                      if (c := path_conflict(node, paths, result.labels, cellular)) is not None)
    conflicts += tuple(c for c in graph_conflicts(reasoner, result.evidence, key)
                       if not any(c["raising"]["path"] == d["raising"]["path"] for d in conflicts))
    return Explanation(found, result, tuple(k for k in result.evidence if k not in connected), conflicts)
