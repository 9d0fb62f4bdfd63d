"""Exact inference on the derived network, with explanations.

A :class:`Reasoner` answers "given the cargo observed in exosomes, how likely is each process and
outcome?" with the exact engine (:mod:`exoreason.engine`). Each answer gives the prior and the posterior, the
paths from each observed cargo to the outcome with the findings behind every edge, and how much
each observation moved the posterior (the posterior without it).

The posteriors are a model's estimates from literature-derived parameters, not clinical predictions.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .calibration import calibrate
from .display import (
    json_ready,
    odds_ratio,
    odds_ratio_text,
    round_probability,
    row_key,
    shown,
    signed,
)
from .engine import Engine, EvidenceBatch
from .errors import InferenceError, InputError
from .evidence import (
    Observations,
    describe_reading,
    parse_assignment,
    parse_observation,
    reading_json,
)
from .model import CompiledNetwork, Parameters, compile_network, load_parameters, parse_priors
from .network import EFFECTS, Edge, Finding, NetworkSpec, Node, load_network
from .resources import NETWORK_FILE, ontology_dir

__all__ = [
    "DISCLAIMER",
    "EdgeStep",
    "EvidenceEffect",
    "InferenceResult",
    "OutcomePosterior",
    "Reasoner",
    "cite",
    "closest_cancers",
    "closing_lines",
    "edge_lines",
    "effect_lines",
    "finding_record",
    "finding_summary",
    "path_sign",
    "path_text",
    "short_citation",
]

#: How many paths of each sign an explanation shows (the strongest), unless asked for all.
PATHS_SHOWN = 3

DISCLAIMER = ("Posteriors are estimates of a model whose structure and parameters come from the "
              "literature (one review and the studies it cites), not clinical predictions.")

_OUTCOME_KINDS = ("process", "outcome")

#: The marker of an edge a curator note qualifies (``--show-notes`` prints the notes).
NOTE_MARK = "[note]"


@dataclass(frozen=True)
class EdgeStep:
    """One edge of a path, with its strength and the findings behind it."""

    parent: str
    child: str
    sign: str
    strength: float
    findings: tuple[dict[str, Any], ...]
    #: A step from a detection in exosomes to the molecule in tumour cells it is evidence of (the
    #: measurement edge read backwards: what the reading tells, not what causes what).
    measured: bool = False

    @property
    def effect(self) -> str:
        return "is evidence of" if self.measured else EFFECTS[self.sign]

    @property
    def notes(self) -> tuple[str, ...]:
        """The curator notes of the findings behind the edge (how the review's text was read)."""
        return tuple(dict.fromkeys(f["curator_note"] for f in self.findings if f.get("curator_note")))

    def to_dict(self, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        labels = labels or {}
        return {"parent": self.parent, "parent_label": labels.get(self.parent, self.parent),
                "child": self.child, "child_label": labels.get(self.child, self.child),
                "effect": self.effect, "strength": self.strength,
                "has_curator_note": bool(self.notes), "findings": list(self.findings)}


def path_sign(path: Sequence[EdgeStep]) -> str:
    """``+`` if the chain promotes its end, ``-`` if it inhibits it: the product of the edges'
    signs (two inhibitions in a row promote)."""
    return "-" if sum(step.sign == "-" for step in path) % 2 else "+"


#: How a path shows each edge's sign.
ARROWS = {"+": "->", "-": "-|", "!": "=>"}
#: How a path shows a detection in exosomes read as evidence of the molecule in tumour cells.
MEASURED_ARROW = "~>"


def arrow(step: EdgeStep) -> str:
    return MEASURED_ARROW if step.measured else ARROWS[step.sign]


def path_text(path: Sequence[EdgeStep], labels: Mapping[str, str]) -> str:
    """A path by labels: ``->`` for an edge that promotes, ``-|`` for one that inhibits, ``=>``
    for a parent its child requires, ``~>`` from a detection in exosomes to what it is evidence of."""
    parts = [labels.get(path[0].parent, path[0].parent)]
    for step in path:
        parts.append(f"{arrow(step)} {labels.get(step.child, step.child)}")
    return " ".join(parts)


def path_weight(path: Sequence[EdgeStep]) -> float:
    """How strongly a path links its ends: the product of its edges' strengths."""
    weight = 1.0
    for step in path:
        weight *= step.strength
    return weight


def sign_counts(paths: Sequence[Sequence[EdgeStep]]) -> tuple[int, int]:
    """How many paths promote and how many inhibit their end."""
    up = sum(path_sign(path) == "+" for path in paths)
    return up, len(paths) - up


def strongest(paths: Sequence[tuple[EdgeStep, ...]], per_sign: int | None = PATHS_SHOWN,
              covering: bool = False) -> tuple[tuple[EdgeStep, ...], ...]:
    """The paths to show, strongest first (``paths`` come strongest first): ``per_sign`` of each
    sign (None: all), or with ``covering`` each path that passes through a node no stronger path
    shown passes through, so that every route, however weak (through MET, say), stays in sight."""
    if per_sign is None:
        return tuple(paths)
    if covering:
        seen: set[str] = set()
        chosen = []
        for path in paths:
            nodes = {step.child for step in path}
            if nodes - seen:
                seen |= nodes
                chosen.append(path)
        return tuple(chosen)
    up = [path for path in paths if path_sign(path) == "+"][:per_sign]
    down = [path for path in paths if path_sign(path) == "-"][:per_sign]
    return tuple(path for path in paths if path in up or path in down)


@dataclass(frozen=True)
class EvidenceEffect:
    """How one observation moved an outcome, and by which paths it reaches it.

    ``change`` is the posterior minus ``posterior_without`` (the posterior with every other
    observation but not this one)."""

    node: str
    reading: float
    posterior_without: float
    change: float
    paths: tuple[tuple[EdgeStep, ...], ...]  # the strongest first (all of them, or the strongest few)
    promoting: int = 0  # how many paths in all promote the outcome
    inhibiting: int = 0  # and how many inhibit it

    @property
    def dominant(self) -> str:
        """Where paths of both signs lead here, which kind the change says wins ("" otherwise)."""
        if not (self.promoting and self.inhibiting) or not shown(self.change):
            return ""
        return "promoting" if self.change > 0 else "inhibiting"

    def to_dict(self, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        labels = labels or {}
        return {"node": self.node, "label": labels.get(self.node, self.node),
                "observed": reading_json(self.reading),
                "posterior_without": self.posterior_without, "change": self.change,
                "paths_promoting": self.promoting, "paths_inhibiting": self.inhibiting,
                **({"dominant": self.dominant} if self.dominant else {}),
                "paths": [{"effect": "promotes" if path_sign(path) == "+" else "inhibits",
                           "weight": round_probability(path_weight(path)),
                           "edges": [step.to_dict(labels) for step in path]} for path in self.paths]}


@dataclass(frozen=True)
class OutcomePosterior:
    key: str
    label: str
    iri: str
    kind: str
    prior: float
    posterior: float
    explanation: tuple[EvidenceEffect, ...] = ()
    do_posterior: float | None = None
    interval: tuple[float, float] | None = None  # posterior interval under parameter uncertainty
    change_interval: tuple[float, float] | None = None  # the same for the change from the prior

    @property
    def change(self) -> float:
        return self.posterior - self.prior

    @property
    def odds_ratio(self) -> float | None:
        """Posterior odds over prior odds: how strongly the evidence speaks, whatever the prior
        (None where the node is observed, or its odds are otherwise not finite)."""
        return odds_ratio(self.prior, self.posterior)

    def to_dict(self, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label, "iri": self.iri, "kind": self.kind,
                               "prior": self.prior, "posterior": self.posterior, "change": self.change,
                               "odds_ratio": self.odds_ratio}
        if self.interval is not None:
            out["interval"] = list(self.interval)
        if self.change_interval is not None:
            out["change_interval"] = list(self.change_interval)
        if self.do_posterior is not None:
            out["do_posterior"] = self.do_posterior
        out["explanation"] = [e.to_dict(labels) for e in self.explanation]
        return json_ready(out)  # type: ignore[no-any-return]


@dataclass
class InferenceResult:
    """The answer to one query: the evidence used and each outcome's prior and posterior."""

    evidence: dict[str, float]
    names: dict[str, str]
    outcomes: list[OutcomePosterior]
    cancer: str | None = None
    parameters: str = "defaults"
    labels: dict[str, str] = field(default_factory=dict)
    do: dict[str, bool] = field(default_factory=dict)
    intervals: dict[str, Any] | None = None  # {"samples", "seed", "level"} when intervals were computed
    context: str = ""  # what --cancer did to the link strengths, in words
    priors: dict[str, float] = field(default_factory=dict)  # a population's priors (--prior)
    #: "exact", or how an answer beyond the engine's memory budget was approximated
    method: str = "exact"
    #: The sources whose findings the network holds (``review (title, year)``, ...).
    sources: list[str] = field(default_factory=list)

    def outcome(self, key: str) -> OutcomePosterior:
        for o in self.outcomes:
            if o.key == key:
                return o
        raise KeyError(key)

    @property
    def rows(self) -> list[OutcomePosterior]:
        """The outcomes as every rendering lists them: outcomes first, then processes, each by the
        size of the log odds ratio as shown, largest first (:func:`exoreason.display.row_key`)."""
        return sorted(self.outcomes, key=lambda o: row_key(o.kind, o.odds_ratio, o.label))

    def header(self) -> dict[str, Any]:
        """What every JSON answer starts with: the evidence (true, false or a reading), the
        interventions, the names they were given by, the cancer type, the parameters, the note."""
        out: dict[str, Any] = {"evidence": {k: reading_json(v) for k, v in self.evidence.items()}}
        if self.do:
            out["do"] = {k: bool(v) for k, v in self.do.items()}
        out.update({"given_as": dict(self.names), "cancer": self.cancer,
                    **({"context": self.context} if self.context else {}),
                    **({"priors": dict(self.priors)} if self.priors else {}),
                    **({"method": self.method} if self.method != "exact" else {}),
                    **({"sources": list(self.sources)} if self.sources else {}),
                    "parameters": self.parameters, "note": DISCLAIMER})
        if self.intervals is not None:
            out["intervals"] = dict(self.intervals)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The answer as documented in ``docs/answer.schema.json`` (what ``--format json`` prints)."""
        return {**self.header(), "outcomes": [o.to_dict(self.labels) for o in self.rows]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def describe_evidence(self) -> str:
        """The evidence in words, e.g. ``hsa-miR-155-5p present, miR-21 absent``."""
        observed = ", ".join(f"{self.labels.get(k, k)} {describe_reading(v)}" for k, v in self.evidence.items())
        if self.do:
            observed += ("; " if observed else "") + ", ".join(
                f"do({self.labels.get(k, k)}={'true' if v else 'false'})" for k, v in self.do.items())
        return observed or "no evidence"

    def to_dataframe(self) -> Any:
        """One row per process and outcome (index: key), outcomes first, each group by the size of
        the change: label, kind, prior, posterior, change (``do_posterior`` under an intervention;
        the interval bounds with intervals)."""
        import pandas as pd

        columns = ["key", "label", "kind", "prior", "posterior", "change", "odds_ratio"]
        if self.do:
            columns.append("do_posterior")
        if self.intervals is not None:
            columns += ["posterior_low", "posterior_high", "change_low", "change_high"]
        records = []
        for o in self.rows:
            record: dict[str, Any] = {"key": o.key, "label": o.label, "kind": o.kind, "prior": o.prior,
                                      "posterior": o.posterior, "change": o.change, "odds_ratio": o.odds_ratio}
            if self.do:
                record["do_posterior"] = o.do_posterior
            if self.intervals is not None:
                low, high = o.interval or (float("nan"), float("nan"))
                change_low, change_high = o.change_interval or (float("nan"), float("nan"))
                record.update({"posterior_low": low, "posterior_high": high,
                               "change_low": change_low, "change_high": change_high})
            records.append(json_ready(record))
        frame = pd.DataFrame(records, columns=columns)
        frame.attrs["evidence"] = self.describe_evidence()
        frame.attrs["note"] = DISCLAIMER
        return frame.set_index("key")

    def _repr_html_(self) -> str:
        from html import escape

        head = ("<tr><th>kind</th><th>process or outcome</th><th>key</th><th>prior</th><th>posterior</th>"
                "<th>change</th><th>odds ratio</th>" + ("<th>under do</th>" if self.do else "") + "</tr>")
        body = []
        for o in self.rows:
            change = shown(o.change)
            style = ' style="font-weight:bold"' if change else ""
            do_cell = f"<td>{o.do_posterior:.3f}</td>" if o.do_posterior is not None else (
                "<td></td>" if self.do else "")
            body.append(f"<tr{style}><td>{o.kind}</td><td>{escape(o.label)}</td><td><code>{escape(o.key)}</code></td>"
                        f"<td>{o.prior:.3f}</td><td>{o.posterior:.3f}</td><td>{signed(o.change)}</td>"
                        f"<td>{odds_ratio_text(o.odds_ratio)}</td>{do_cell}</tr>")
        cancer = f"; cancer: {escape(self.cancer)}" if self.cancer else ""
        return (f"<table><caption>Evidence: {escape(self.describe_evidence())}{cancer}</caption>"
                f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
                f"<p><small>{escape(DISCLAIMER)} Parameters: {escape(self.parameters)}.</small></p>")

    def render_table(self, verbose: bool = False, show_notes: bool = False) -> str:
        """The answer as ``exoreason infer`` prints it: a row per outcome and process, then why
        the evidence moved them: each observation's paths (with their sign), then each edge on
        those paths once, with its strength and its findings summarised (``verbose``: every
        finding in full; ``show_notes``: the curator notes that qualify them)."""
        rows = self.rows
        lines = [f"Evidence: {self.describe_evidence()}" + (f"; cancer: {self.cancer}" if self.cancer else "")]
        lines += _outcome_table(rows, bool(self.do), self.intervals)
        # Why each outcome moved; a process's paths are one `exoreason explain --outcome KEY` away.
        why = [o for o in rows if o.kind == "outcome" and o.explanation and shown(o.change)]
        if why:
            lines.append("")
            measured = any(step.measured for o in why for e in o.explanation for path in e.paths for step in path)
            lines.append("Why (the paths from each observation: -> promotes, -| inhibits, => is required for"
                         + (", ~> a detection in exosomes is evidence of" if measured else "") + "):")
        steps: dict[tuple[str, str], EdgeStep] = {}
        for o in why:
            lines.append(f"  {o.label}: {o.prior:.3f} -> {o.posterior:.3f} ({signed(o.change)})")
            lines += effect_lines(o.explanation, self.labels, "    ", outcome=o.key)
            for effect in o.explanation:
                for path in effect.paths:
                    for step in path:
                        steps.setdefault((step.parent, step.child), step)
        if steps:
            lines.append("")
            lines.append("Edges on these paths (strength; findings: where the review states them, evidence):")
            lines += edge_lines(list(steps.values()), self.labels, "  ", verbose=verbose, show_notes=show_notes)
        lines.append("")
        lines += closing_lines(self, any(step.notes for step in steps.values()) and not show_notes)
        return "\n".join(lines)


#: The widest a label is shown in a table; a longer one is cut with an ellipsis (the key names it).
LABEL_WIDTH = 44


def _short(label: str) -> str:
    return label if len(label) <= LABEL_WIDTH else label[:LABEL_WIDTH - 1].rstrip() + "…"


def _outcome_table(rows: Sequence[OutcomePosterior], with_do: bool, intervals: Mapping[str, Any] | None) -> list[str]:
    width = max([len("process or outcome")] + [len(_short(o.label)) for o in rows])
    kw = max([len("key")] + [len(o.key) for o in rows])
    level = f"{intervals['level']:.0%} interval" if intervals else ""
    iw = max(len(level), len("[0.000, 0.000]"), len("[-0.000, -0.000]"))

    def span(bounds: tuple[float, float] | None, change: bool) -> str:
        if bounds is None:
            return " " * iw
        text = f"[{signed(bounds[0])}, {signed(bounds[1])}]" if change else f"[{bounds[0]:.3f}, {bounds[1]:.3f}]"
        return text.ljust(iw)

    head = f"{'kind':<7}  {'process or outcome'.ljust(width)}  {'key'.ljust(kw)}  {'prior':>6} {'posterior':>9}"
    head += f"  {level.ljust(iw)}" if intervals else ""
    head += f" {'change':>7}"
    head += f"  {level.ljust(iw)}" if intervals else ""
    head += f" {'odds ratio':>10}"
    head += f" {'under do':>9}" if with_do else ""
    lines = [head.rstrip()]
    for o in rows:
        line = f"{o.kind:<7}  {_short(o.label).ljust(width)}  {o.key.ljust(kw)}  {o.prior:6.3f} {o.posterior:9.3f}"
        line += f"  {span(o.interval, False)}" if intervals else ""
        line += f" {signed(o.change, 7)}"
        line += f"  {span(o.change_interval, True)}" if intervals else ""
        line += f" {odds_ratio_text(o.odds_ratio, 10)}"
        if with_do:
            line += f" {o.do_posterior:9.3f}" if o.do_posterior is not None else ""
        lines.append(line.rstrip())
    return lines


def effect_lines(effects: Sequence[EvidenceEffect], labels: Mapping[str, str], indent: str,
                 numbered: bool = False, outcome: str | None = None) -> list[str]:
    """Each observation's change to ``outcome``, and its paths with their signs."""
    lines = []
    for effect in effects:
        lines.append(f"{indent}{labels.get(effect.node, effect.node)} {describe_reading(effect.reading)}: "
                     f"{signed(effect.change)} ({effect.posterior_without:.3f} without it)")
        if effect.node == outcome:
            lines.append(f"{indent}  the observation of this node itself")
            continue
        total = effect.promoting + effect.inhibiting
        if total > len(effect.paths) or effect.dominant:
            both = f"{effect.promoting} promote, {effect.inhibiting} inhibit" if effect.promoting and effect.inhibiting \
                else ("all promote" if effect.promoting else "all inhibit")
            won = f"; the {effect.dominant} paths dominate" if effect.dominant else ""
            shown_note = f", the strongest {len(effect.paths)} shown (--verbose: all)" if total > len(effect.paths) else ""
            lines.append(f"{indent}  {total} paths ({both}{won}){shown_note}:")
        for number, path in enumerate(effect.paths, 1):
            sign = "promotes" if path_sign(path) == "+" else "inhibits"
            name = f"path {number}, {sign}" if numbered else sign
            lines.append(f"{indent}  {name}: {path_text(path, labels)}")
        if not effect.paths:
            lines.append(f"{indent}  no path leads from it here: as evidence it also tells about its causes, "
                         "which act here")
    return lines


def closing_lines(result: InferenceResult, marked: bool) -> list[str]:
    """The lines after an answer: what the note marker means, how the intervals were made, and
    that the posteriors are a model's estimates."""
    lines = []
    if marked:
        lines.append(f"{NOTE_MARK}: a curator note qualifies a finding behind the edge (how the review's text "
                     "was read, an inconsistency in it); --show-notes prints them.")
    if result.intervals:
        lines.append(f"Intervals: the middle {result.intervals['level']:.0%} of the posteriors and of the changes "
                     f"under {result.intervals['samples']} samples of the parameters "
                     f"(seed {result.intervals['seed']}).")
    if result.context:
        lines.append(f"Context: {result.context}")
    if result.priors:
        given = ", ".join(f"{result.labels.get(k, k)} {v:g}" for k, v in result.priors.items())
        lines.append(f"Priors: the population's, for this run (--prior): {given}; every other node at its "
                     "reference prior (parameters.toml).")
    if result.method != "exact":
        lines.append(f"Approximate: {result.method} (EXOREASON_MEMORY_MB raises the budget); its error "
                     "against exact inference, where both run, is measured in the tests.")
    lines.append("Odds ratio: posterior odds / prior odds, how strongly the evidence speaks whatever the prior.")
    if result.sources:
        lines.append(f"Sources: {'; '.join(result.sources)}.")
    lines.append(f"Note: {DISCLAIMER} Parameters: {result.parameters}.")
    return lines


def short_citation(finding: Mapping[str, Any]) -> str:
    """``Table 3, ref 27``: where in the review a finding is, and its reference numbers.

    >>> short_citation({"source": "Section: EMT", "review_refs": [102, 103]})
    'Section: EMT, refs 102, 103'
    """
    refs = finding.get("review_refs") or []
    ref = (", ref " if len(refs) == 1 else ", refs ") + ", ".join(str(r) for r in refs) if refs else ""
    return f"{finding.get('source', '')}{ref}"


def _identifier(study: Mapping[str, Any]) -> str:
    if study.get("pmid"):
        return f"PMID {study['pmid']}"
    return f"DOI {study['doi']}" if study.get("doi") else ""


def finding_summary(findings: Sequence[Mapping[str, Any]]) -> str:
    """The findings behind an edge in one line: where the review states them (with the primary
    studies' PMID or DOI) and the kinds of evidence.

    >>> finding_summary([{"source": "Table 3", "review_refs": [27], "evidence_kinds":
    ...     [{"id": "ECO:0007122", "label": "in vitro"}], "primary_studies": [{"pmid": "28198398"}]}])
    'Table 3, ref 27, PMID 28198398 (in vitro)'
    """
    places: list[str] = []
    kinds: list[str] = []
    for finding in findings:
        place = short_citation(finding)
        ids = [i for i in (_identifier(s) for s in finding.get("primary_studies", [])) if i]
        if ids:
            place += ", " + ", ".join(ids)
        if place not in places:
            places.append(place)
        for kind in finding.get("evidence_kinds", []):
            if kind["label"] not in kinds:
                kinds.append(kind["label"])
    count = f"{len(findings)} findings: " if len(findings) > 1 else ""
    return f"{count}{'; '.join(places)}" + (f" ({', '.join(kinds)})" if kinds else "")


def edge_lines(steps: Sequence[EdgeStep], labels: Mapping[str, str], indent: str = "  ", *,
               verbose: bool = False, show_notes: bool = False) -> list[str]:
    """One line per edge: ``parent -> child``, its strength, its findings summarised and a
    :data:`NOTE_MARK` where a curator note qualifies them; ``verbose`` adds every finding in full,
    ``show_notes`` the notes."""
    lines = []
    for step in steps:
        mark = f" {NOTE_MARK}" if step.notes and not show_notes else ""
        if step.measured:
            lines.append(f"{indent}{labels.get(step.parent, step.parent)} {arrow(step)} "
                         f"{labels.get(step.child, step.child)}: measurement model, P(detected in exosomes | "
                         f"expressed in tumour cells) {step.strength:.2f} (effect.measurement in parameters.toml)")
            continue
        lines.append(f"{indent}{labels.get(step.parent, step.parent)} {arrow(step)} {labels.get(step.child, step.child)}"
                     f": strength {step.strength:.2f}; {finding_summary(step.findings)}{mark}")
        if verbose:
            for finding in step.findings:
                lines.append(f"{indent}    {cite(finding)}")
        if show_notes:
            for note in step.notes:
                lines.append(f"{indent}    note: {note}")
    return lines


def cite(finding: Mapping[str, Any]) -> str:
    """A finding record (:func:`finding_record`) as one line: source, references, studies, evidence."""
    parts = [finding["source"]]
    if finding.get("review_refs"):
        parts.append("review ref " + ", ".join(str(r) for r in finding["review_refs"]))
    for study in finding.get("primary_studies", []):
        ids = ([f"PMID {study['pmid']}"] if study.get("pmid") else []) + (
            [f"DOI {study['doi']}"] if study.get("doi") else [])
        parts.append(f"{study.get('title', '')} ({', '.join([str(study.get('year', '')), *ids])})")
    parts.append("evidence: " + ", ".join(f"{k['id']} ({k['label']})" for k in finding.get("evidence_kinds", [])))
    return "; ".join(parts)


def _study(study: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = dict(study)
    year = str(study.get("year", ""))
    if year.isdigit():
        out["year"] = int(year)
    return out


def finding_record(finding: Finding, params: Parameters) -> dict[str, Any]:
    """What a reader needs to check a finding, as a JSON-ready mapping (its fields are documented
    in ``docs/answer.schema.json``)."""
    return {
        "finding": finding.finding,
        "label": finding.label,
        "source": finding.source,
        "review_refs": list(finding.review_refs),
        "primary_studies": [_study(s) for s in finding.studies],
        "evidence_kinds": [{"id": k, "label": params.kinds[k].name if k in params.kinds else k}
                           for k in finding.kinds],
        "diseases": list(finding.diseases),
        "quote": finding.quote,
        **({"curator_note": finding.note} if finding.note else {}),
    }


def _stems(text: str) -> set[str]:
    """The words of a name, cut to six letters so that *pancreas* and *pancreatic* meet."""
    return {w[:6] for w in re.findall(r"[a-z0-9]+", text.casefold()) if len(w) > 1}


def closest_cancers(name: str, cancers: Iterable[Node], n: int = 3) -> list[str]:
    """The labels of the cancer types nearest in meaning to a name, best first.

    Where the name shares words with a cancer's names, the shared words count by how rare they
    are among all the names (*pancreatic* says more than *cancer*, which every name has), so
    *pancreatic cancer* finds *pancreatic ductal adenocarcinoma* before *breast cancer*; spelling
    similarity breaks ties, and alone ranks names that share no word.
    """
    cancers = list(cancers)
    documents = [(c.label, set().union(*(_stems(x) for x in (c.label, *c.names)))) for c in cancers]
    frequency = Counter(stem for _, stems in documents for stem in stems)
    total = max(len(documents), 1)
    asked = _stems(name)

    def weight(stem: str) -> float:
        return math.log((1 + total) / (1 + frequency[stem]))

    scored = []
    for label, stems in documents:
        shared = sum(weight(s) for s in asked & stems)
        spelling = difflib.SequenceMatcher(None, name.casefold(), label.casefold()).ratio()
        scored.append((shared, spelling, label))
    by_meaning = [x for x in sorted(scored, key=lambda x: (-x[0], -x[1], x[2])) if x[0] > 0]
    if by_meaning:
        return list(dict.fromkeys(label for _, _, label in by_meaning))[:n]
    return difflib.get_close_matches(name, [label for label, _ in documents], n=n, cutoff=0.5)


class Reasoner:
    """Names, evidence and explanations around the exact engine, for one network and one set of
    parameters."""

    def __init__(self, spec: NetworkSpec, params: Parameters | None = None, cancer: str | None = None,
                 priors: Mapping[str, float] | None = None) -> None:
        self.spec = spec
        self.params = params or load_parameters(spec=spec)
        if priors:
            self.params = self.params.with_priors(priors)
        self.cancer_iri = self.resolve_cancer(cancer) if cancer else None
        self.cancer = cancer
        self.context = spec.cancer_context(self.cancer_iri) if self.cancer_iri else None
        # Leaks calibrated so that, with nothing observed, every node equals its (reference or
        # population) prior: calibration.py.
        self.compiled: CompiledNetwork = calibrate(compile_network(spec, self.params, self.context))
        self.notes: list[str] = []  # how names were read (a related synonym), for the user
        self.engine = Engine(self.compiled)

    @classmethod
    def from_files(cls, network_file: Path | None = None, config: Path | None = None,
                   cancer: str | None = None, priors: Sequence[str] = (),
                   sources: Sequence[str] | None = None) -> Reasoner:
        """The shipped network (or ``network_file``), the defaults with ``config`` laid over them,
        the cancer type asked about, and a population's priors (``NODE=P`` texts, ``--prior``).
        With ``sources`` (source ids, ``--sources``), the network of those sources' findings alone,
        derived from their templates."""
        if sources is not None:
            if network_file is not None:
                raise InputError("--sources derives the network from the named sources; it does not take a network file")
            from .build import network_for_sources

            spec = network_for_sources(list(sources))
        else:
            spec = load_network(network_file or ontology_dir() / NETWORK_FILE)
        return cls(spec, load_parameters(config, spec), cancer, parse_priors(priors, spec) if priors else None)

    def use_tables(self, compiled: CompiledNetwork) -> None:
        """Answer with other tables for the same network (e.g. fitted to a cohort)."""
        self.compiled = compiled
        self.engine = Engine(compiled)

    # -- names ---------------------------------------------------------------------------------

    def _noted(self, name: str, kinds: tuple[str, ...] | None, what: str) -> str:
        found = self.spec.lookup(name, kinds, what)
        if found.match == "related":
            node = self.spec.node(found.key)
            self.notes.append(f"{name!r} read as {node.label} ({node.key}): a related name, which may "
                              "also denote another molecule")
        return found.key

    def resolve_cargo(self, name: str) -> str:
        """The cargo node a name denotes (label, exact synonym or key, case-insensitive; a related
        synonym too, noted in :attr:`notes`)."""
        try:
            return self._noted(name, ("cargo",), "cargo")
        except InferenceError as exc:
            if "closest" in str(exc) or "ambiguous" in str(exc) or "not in the network" in str(exc):
                raise
            try:
                other = self.spec.resolve(name)
            except InferenceError:
                raise InferenceError(f"{exc}; `exoreason query cargo-names` lists them") from None
            node = self.spec.node(other)
            raise InferenceError(f"{name!r} is not exosomal cargo but a {node.kind.replace('_', ' ')} of the "
                                 f"network ({node.label}); observe it with --observe '{node.key}=true'") from None

    def resolve_node(self, name: str) -> str:
        """Any node of the network by key, label or synonym."""
        return self._noted(name, None, "network node")

    def resolve_outcome(self, name: str) -> str:
        """A process or outcome node by key, label or synonym."""
        try:
            return self.spec.resolve(name, _OUTCOME_KINDS, "outcome")
        except InferenceError as exc:
            if "closest" in str(exc) or "ambiguous" in str(exc):
                raise
            outcomes = ", ".join(n.key for n in self.spec.nodes if n.kind == "outcome")
            raise InferenceError(f"{exc}; the outcomes are {outcomes}, and every process "
                                 "`exoreason infer` lists") from None

    def resolve_cancer(self, name: str) -> str:
        """The cancer type a name denotes: its CURIE (``DOID:3498``) or IRI, or any label or
        synonym of a disease term the graph holds (case-insensitive). Its IRI."""
        from .prefixes import SPARQL_PREFIXES, expand_curie, standardize_iri

        text = name.strip().removeprefix("<").removesuffix(">")
        try:
            iri = expand_curie(text, SPARQL_PREFIXES)
        except (KeyError, ValueError):
            iri = standardize_iri(text)
        wanted = " ".join(name.split()).casefold()
        for cancer in self.spec.cancers:
            if cancer.iri == iri or wanted in {" ".join(n.split()).casefold()
                                              for n in (cancer.key, cancer.label, *cancer.names)}:
                return cancer.iri
        known = sorted({c.label for c in self.spec.cancers})
        close = closest_cancers(name, self.spec.cancers)
        hint = f"; closest: {', '.join(close)}" if close else f"; known: {', '.join(known)}"
        raise InferenceError(f"unknown cancer type {name!r}{hint}")

    def evidence_from_names(self, present: Iterable[str] = (), absent: Iterable[str] = (),
                            observe: Iterable[str] = ()) -> tuple[dict[str, float], dict[str, str]]:
        """Readings keyed by node, and the name each was given by.

        ``present`` and ``absent`` name cargo (``NAME`` or ``NAME:Q`` for a soft reading);
        ``observe`` holds ``NODE=VALUE`` for any node (a tumour state, a process).
        """
        found = Observations()
        for text in present:
            name, q = parse_observation(text)
            found.add(self.resolve_cargo(name), q, text)
        for text in absent:
            found.add(self.resolve_cargo(text), 0.0, text)
        for text in observe:
            name, value = parse_assignment(text, "--observe")
            if value is not None:
                found.add(self.resolve_node(name), value, text)
        return found.readings, found.given

    def parse_do(self, items: Iterable[str]) -> dict[str, bool]:
        """``NODE=true|false`` assignments for --do."""
        out: dict[str, bool] = {}
        for item in items:
            name, sep, value = item.rpartition("=")
            if not sep or value.strip().lower() not in ("true", "false"):
                raise InferenceError(f"bad --do {item!r}; use NODE=true or NODE=false")
            key = self.resolve_node(name)
            state = value.strip().lower() == "true"
            if out.get(key, state) != state:
                raise InferenceError(f"contradictory interventions on {key}: --do {item!r}")
            out[key] = state
        return out

    # -- inference -----------------------------------------------------------------------------

    @property
    def outcome_keys(self) -> list[str]:
        return [n.key for n in self.spec.nodes if n.kind in _OUTCOME_KINDS]

    def marginals(self, evidence: Mapping[str, bool | float], variables: Sequence[str] | None = None,
                  do: Mapping[str, bool] | None = None) -> dict[str, float]:
        """P(node = true | evidence, do) for each variable (every process and outcome by default).

        Evidence values are True/False (hard) or a reading q in (0, 1) (a likelihood: see
        :mod:`exoreason.evidence`); ``do`` sets nodes by intervention (their incoming edges cut).
        """
        keys = list(variables or self.outcome_keys)
        return self.engine.posterior_dict(keys, {k: float(v) for k, v in evidence.items()}, do)

    def _paths(self, source: str, target: str) -> list[list[Edge]]:
        children: dict[str, list[Edge]] = {}
        for e in self.spec.edges:
            children.setdefault(e.parent, []).append(e)
        paths: list[list[Edge]] = []

        def walk(node: str, trail: list[Edge]) -> None:
            if node == target:
                if trail:  # an observation of the target itself is no path
                    paths.append(list(trail))
                return
            for e in children.get(node, []):
                walk(e.child, trail + [e])

        walk(source, [])
        return paths

    def paths_between(self, source: str, target: str) -> list[tuple[EdgeStep, ...]]:
        """Every directed path from ``source`` to ``target``, each edge with its strength and
        findings, the strongest first (:func:`path_weight`). From a cargo that measures a molecule
        in tumour cells, the paths start with that measurement read backwards (``~>``) and go on
        from the molecule in the cells."""
        found = [tuple(self._step(e) for e in path) for path in self._paths(source, target)]
        for edge in self.spec.parents(source):
            if edge.relation == "measurement" and edge.parent != target:
                back = EdgeStep(source, edge.parent, "+", self.compiled.strengths.get((edge.parent, source), 0.0),
                                (), measured=True)
                found += [(back, *(self._step(e) for e in path)) for path in self._paths(edge.parent, target)]
        found.sort(key=lambda path: (-path_weight(path), path_text(path, {})))
        return found

    def _step(self, edge: Edge) -> EdgeStep:
        return EdgeStep(edge.parent, edge.child, edge.sign,
                        self.compiled.strengths.get((edge.parent, edge.child), 0.0),
                        tuple(finding_record(f, self.params) for f in edge.findings))

    def infer(self, evidence: Mapping[str, bool | float], names: Mapping[str, str] | None = None,
              explain: bool = True, do: Mapping[str, bool] | None = None,
              paths: int | None = PATHS_SHOWN) -> InferenceResult:
        """Prior and posterior of every process and outcome, with explanations.

        With ``do``, each outcome also gets its posterior under the intervention, beside the
        observational one. Each explanation keeps the ``paths`` strongest paths of each sign
        (the product of their edges' strengths; None keeps them all) and counts them all.
        """
        readings = {k: float(v) for k, v in evidence.items()}
        targets = self.outcome_keys
        engine = self.engine
        methods: list[str] = []
        posterior = engine.posterior_dict(targets, readings)  # checks the evidence
        methods.append(engine.last_method)
        intervened = engine.posterior_dict(targets, readings, do) if do else {}
        methods.append(engine.last_method)
        # The prior, and the posterior without each observation, in one batch.
        rows: list[dict[str, float]] = [{}]
        if explain:
            rows += [{k: v for k, v in readings.items() if k != key} for key in readings]
        answers = engine.posteriors(targets, EvidenceBatch.rows(rows)) if readings else \
            engine.posteriors(targets)
        methods.append(engine.last_method)
        prior = dict(zip(targets, answers[0], strict=True))
        without = {key: dict(zip(targets, answers[1 + i], strict=True)) for i, key in enumerate(readings)} \
            if explain and readings else {}
        outcomes = []
        for node in self.spec.nodes:
            if node.kind not in _OUTCOME_KINDS:
                continue
            effects = []
            for key, q in readings.items() if explain else ():
                found = self.paths_between(key, node.key)
                change = posterior[node.key] - without[key][node.key]
                if found or abs(change) > 1e-12:
                    effects.append(EvidenceEffect(key, q, without[key][node.key], change,
                                                  strongest(found, paths), *sign_counts(found)))
            outcomes.append(OutcomePosterior(
                node.key, node.label, node.iri, node.kind, float(prior[node.key]), posterior[node.key],
                tuple(effects), intervened.get(node.key) if do else None))
        return InferenceResult(
            evidence=readings, names=dict(names or {}), outcomes=outcomes,
            cancer=self.cancer, parameters=self.params.source,
            labels={n.key: n.label for n in self.spec.nodes}, do=dict(do or {}),
            context=self.context_note(), priors=dict(self.params.run_priors),
            method=next((m for m in methods if m != "exact"), "exact"),
            sources=self.spec.source_citations(),
        )

    def context_note(self) -> str:
        """What the cancer asked about does to the answer, in words ("" without --cancer)."""
        if not self.cancer_iri:
            return ""
        label = next(c.label for c in self.spec.cancers if c.iri == self.cancer_iri)
        if len(self.spec.cancer_context(self.cancer_iri)) == len(self.spec.cancers):
            return (f"asked about {label}, the root of the cancer types: every study counts fully, as "
                    "without --cancer.")
        return (f"posteriors are under the context {label}: a study of {label} or of a "
                f"narrower cancer type counts fully, one of another cancer type with weight "
                f"{self.params.other_cancer_weight:g} (evidence.other_cancer_weight), so evidence from "
                "other cancers moves the answer less; the priors stay as calibrated.")

    def infer_names(self, present: Iterable[str] = (), absent: Iterable[str] = ()) -> InferenceResult:
        evidence, names = self.evidence_from_names(present, absent)
        return self.infer(evidence, names)
