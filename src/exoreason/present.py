"""How answers read: the tables ``infer`` and ``explain`` print (rows, paths, each edge once
with its findings, the curator notes each once and numbered), the citations, and the record of a
finding a reader checks. The answers themselves are :mod:`exoreason.results`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .display import DISCLAIMER, odds_ratio_text, shown, signed
from .evidence import describe_reading
from .results import EdgeStep, EvidenceEffect, InferenceResult, OutcomePosterior, path_sign

if TYPE_CHECKING:
    from .model import Parameters
    from .network import Finding

__all__ = [
    "ARROWS",
    "LABEL_WIDTH",
    "MEASURED_ARROW",
    "NOTE_MARK",
    "answer_end",
    "arrow",
    "cite",
    "closing_lines",
    "edge_lines",
    "effect_lines",
    "finding_record",
    "finding_summary",
    "note_numbers",
    "note_reference",
    "path_text",
    "result_html",
    "result_table",
    "short_citation",
]

#: How a picture marks an edge a curator note qualifies (tables number the notes: ``[note 1]``).
NOTE_MARK = "[note]"

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


def result_table(result: InferenceResult, verbose: bool = False, show_notes: bool = False,
                 every_row: bool = False) -> str:
    """The answer as ``exoreason infer`` prints it: a row per outcome and process the evidence
    moved (``every_row``: every one), then why: each observation's paths (with their sign),
    then each edge on those paths once, with its strength and its findings summarised
    (``verbose``: every finding in full; ``show_notes``: the curator notes that qualify them,
    each once)."""
    rows = result.rows
    listed = rows if every_row else result.moved()
    lines = [f"Evidence: {result.describe_evidence()}" + (f"; cancer: {result.cancer}" if result.cancer else "")]
    if listed:
        lines += _outcome_table(listed, bool(result.do), result.intervals)
    unmoved = len(rows) - len(listed)
    if unmoved:
        lines.append(f"({unmoved} {'other ' if listed else ''}processes and outcomes unchanged to three "
                     "decimals; --all lists them)")
    # Why each outcome moved; a process's paths are one `exoreason explain --outcome KEY` away.
    why = [o for o in rows if o.kind == "outcome" and o.explanation and shown(o.change)]
    if why:
        lines.append("")
        measured = any(step.measured for o in why for e in o.explanation for path in e.paths for step in path)
        lines.append("Why (the paths from each observation: -> promotes, -| inhibits, => is required for"
                     + (", ~> a detection in exosomes is evidence of" if measured else "") + "):")
    for o in why:
        lines.append(f"  {o.label}: {o.prior:.3f} -> {o.posterior:.3f} ({signed(o.change)})")
        lines += effect_lines(o.explanation, result.labels, "    ", outcome=o.key)
    lines += answer_end(result, [e for o in why for e in o.explanation], verbose=verbose, show_notes=show_notes)
    return "\n".join(lines)


def result_html(result: InferenceResult) -> str:
    """The answer as a notebook shows it: an HTML table of every row."""
    from html import escape

    head = ("<tr><th>kind</th><th>process or outcome</th><th>key</th><th>prior</th><th>posterior</th>"
            "<th>change</th><th>odds ratio</th>" + ("<th>under do</th>" if result.do else "") + "</tr>")
    body = []
    for o in result.rows:
        change = shown(o.change)
        style = ' style="font-weight:bold"' if change else ""
        do_cell = f"<td>{o.do_posterior:.3f}</td>" if o.do_posterior is not None else (
            "<td></td>" if result.do else "")
        body.append(f"<tr{style}><td>{o.kind}</td><td>{escape(o.label)}</td><td><code>{escape(o.key)}</code></td>"
                    f"<td>{o.prior:.3f}</td><td>{o.posterior:.3f}</td><td>{signed(o.change)}</td>"
                    f"<td>{odds_ratio_text(o.odds_ratio)}</td>{do_cell}</tr>")
    cancer = f"; cancer: {escape(result.cancer)}" if result.cancer else ""
    return (f"<table><caption>Evidence: {escape(result.describe_evidence())}{cancer}</caption>"
            f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
            f"<p><small>{escape(DISCLAIMER)} Parameters: {escape(result.parameters)}.</small></p>")


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


def answer_end(result: InferenceResult, effects: Iterable[EvidenceEffect], *, verbose: bool = False,
               show_notes: bool = False) -> list[str]:
    """How a table answer ends: each edge on the effects' paths once, with its strength and
    findings (:func:`edge_lines`), then the :func:`closing_lines`."""
    steps: dict[tuple[str, str], EdgeStep] = {}
    for effect in effects:
        for path in effect.paths:
            for step in path:
                steps.setdefault((step.parent, step.child), step)
    lines = []
    if steps:
        lines += ["", "Edges on these paths (strength; findings: where the review states them, evidence):"]
        lines += edge_lines(list(steps.values()), result.labels, "  ", verbose=verbose, show_notes=show_notes)
    lines.append("")
    return lines + closing_lines(result, any(step.notes for step in steps.values()) and not show_notes)


def closing_lines(result: InferenceResult, marked: bool) -> list[str]:
    """The lines after an answer: what the note marker means, how the intervals were made, and
    that the posteriors are a model's estimates."""
    lines = []
    if marked:
        lines.append("[note N]: curator note N qualifies a finding behind the edge (how the review's text "
                     "was read, an inconsistency in it); --show-notes prints each once.")
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

    A finding of another source is named with it: ``mir25-3p-2018: Abstract``.
    """
    refs = finding.get("review_refs") or []
    ref = (", ref " if len(refs) == 1 else ", refs ") + ", ".join(str(r) for r in refs) if refs else ""
    origin = finding.get("from_source") or "review"
    return f"{'' if origin == 'review' else origin + ': '}{finding.get('source', '')}{ref}"


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


def note_numbers(steps: Sequence[EdgeStep]) -> dict[str, int]:
    """Each curator note behind the edges, numbered once in the order the edges first cite it."""
    numbers: dict[str, int] = {}
    for step in steps:
        for note in step.notes:
            numbers.setdefault(note, len(numbers) + 1)
    return numbers


def note_reference(step: EdgeStep, numbers: Mapping[str, int]) -> str:
    """`` [note 1]`` or `` [notes 1, 3]``: the numbers of the curator notes behind an edge ("" for none).

    >>> step = EdgeStep("a", "b", "+", 0.3, ({"curator_note": "x"}, {"curator_note": "y"}))
    >>> note_reference(step, {"x": 1, "y": 3})
    ' [notes 1, 3]'
    """
    found = [numbers[note] for note in step.notes if note in numbers]
    if not found:
        return ""
    return f" [{'note' if len(found) == 1 else 'notes'} {', '.join(str(n) for n in found)}]"


def edge_lines(steps: Sequence[EdgeStep], labels: Mapping[str, str], indent: str = "  ", *,
               verbose: bool = False, show_notes: bool = False) -> list[str]:
    """One line per edge: ``parent -> child``, its strength, its findings summarised and the
    numbers of the curator notes that qualify them (``[note 1]``); ``verbose`` adds every finding
    in full; ``show_notes`` then prints each note once, under its number."""
    numbers = note_numbers(steps)
    lines = []
    for step in steps:
        if step.measured:
            lines.append(f"{indent}{labels.get(step.parent, step.parent)} {arrow(step)} "
                         f"{labels.get(step.child, step.child)}: measurement model, P(detected in exosomes | "
                         f"expressed in tumour cells) {step.strength:.2f} (effect.measurement in parameters.toml)")
            continue
        lines.append(f"{indent}{labels.get(step.parent, step.parent)} {arrow(step)} {labels.get(step.child, step.child)}"
                     f": strength {step.strength:.2f}; {finding_summary(step.findings)}{note_reference(step, numbers)}")
        if step.against:
            lines.append(f"{indent}    outweighed, the opposite sign: {finding_summary(step.against)}")
        if verbose:
            for finding in step.findings:
                lines.append(f"{indent}    {cite(finding)}")
    if show_notes and numbers:
        lines += ["", "Curator notes (how the review's text was read, an inconsistency in it):"]
        lines += [f"{indent}[{number}] {note}" for note, number in numbers.items()]
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
        "from_source": finding.origin,
    }
