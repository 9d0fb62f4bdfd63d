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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Engine, EvidenceBatch
from .errors import InferenceError
from .evidence import Observations, describe_reading, parse_assignment, parse_observation
from .model import CompiledNetwork, Parameters, compile_network, load_parameters
from .network import Edge, Finding, NetworkSpec, load_network
from .resources import NETWORK_FILE, ontology_dir

__all__ = [
    "DISCLAIMER",
    "EdgeStep",
    "EvidenceEffect",
    "InferenceResult",
    "OutcomePosterior",
    "Reasoner",
    "cite",
    "finding_record",
    "state_json",
]

DISCLAIMER = ("Posteriors are estimates of a model whose structure and parameters come from the "
              "literature (one review and the studies it cites), not clinical predictions.")

_OUTCOME_KINDS = ("process", "outcome")


@dataclass(frozen=True)
class EdgeStep:
    """One edge of a path, with its strength and the findings behind it."""

    parent: str
    child: str
    sign: str
    strength: float
    findings: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"parent": self.parent, "child": self.child,
                "effect": "promotes" if self.sign == "+" else "inhibits",
                "strength": self.strength, "findings": list(self.findings)}


@dataclass(frozen=True)
class EvidenceEffect:
    """How one observation moved an outcome, and by which paths it reaches it."""

    cargo: str
    reading: float
    posterior_without: float
    shift: float
    paths: tuple[tuple[EdgeStep, ...], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"cargo": self.cargo, "observed": state_json(self.reading),
                "posterior_without": self.posterior_without, "shift": self.shift,
                "paths": [[step.to_dict() for step in path] for path in self.paths]}


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

    @property
    def change(self) -> float:
        return self.posterior - self.prior

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "iri": self.iri, "kind": self.kind,
                "prior": self.prior, "posterior": self.posterior, "change": self.change,
                **({"interval": list(self.interval)} if self.interval is not None else {}),
                "explanation": [e.to_dict() for e in self.explanation],
                **({"do_posterior": self.do_posterior} if self.do_posterior is not None else {})}


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
    context: str = ""  # what --cancer did to the link strengths (and so to the priors), in words

    def outcome(self, key: str) -> OutcomePosterior:
        for o in self.outcomes:
            if o.key == key:
                return o
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence": {k: state_json(v) for k, v in self.evidence.items()},
            **({"do": {k: "true" if v else "false" for k, v in self.do.items()}} if self.do else {}),
            "given_as": self.names,
            "cancer": self.cancer,
            **({"context": self.context} if self.context else {}),
            "parameters": self.parameters,
            "note": DISCLAIMER,
            **({"intervals": dict(self.intervals)} if self.intervals is not None else {}),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }

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
        """One row per process and outcome (index: key), sorted by the size of the change:
        label, kind, prior, posterior, change (and ``do_posterior`` under an intervention)."""
        import pandas as pd

        rows = sorted(self.outcomes, key=lambda o: (-abs(o.change), o.key))
        frame = pd.DataFrame(
            [{"key": o.key, "label": o.label, "kind": o.kind, "prior": o.prior,
              "posterior": o.posterior, "change": o.change if abs(o.change) > 1e-9 else 0.0,
              **({"do_posterior": o.do_posterior} if self.do else {})} for o in rows],
            columns=["key", "label", "kind", "prior", "posterior", "change",
                     *(["do_posterior"] if self.do else [])])
        frame.attrs["evidence"] = self.describe_evidence()
        frame.attrs["note"] = DISCLAIMER
        return frame.set_index("key")

    def _repr_html_(self) -> str:
        from html import escape

        rows = sorted(self.outcomes, key=lambda o: (-abs(o.change), o.key))
        head = "<tr><th>outcome</th><th>key</th><th>prior</th><th>posterior</th><th>change</th>" + (
            "<th>under do</th>" if self.do else "") + "</tr>"
        body = []
        for o in rows:
            change = o.change if abs(o.change) >= 5e-4 else 0.0
            style = ' style="font-weight:bold"' if change else ""
            do_cell = f"<td>{o.do_posterior:.3f}</td>" if o.do_posterior is not None else (
                "<td></td>" if self.do else "")
            body.append(f"<tr{style}><td>{escape(o.label)}</td><td><code>{escape(o.key)}</code></td>"
                        f"<td>{o.prior:.3f}</td><td>{o.posterior:.3f}</td><td>{change:+.3f}</td>"
                        f"{do_cell}</tr>")
        cancer = f"; cancer: {escape(self.cancer)}" if self.cancer else ""
        return (f"<table><caption>Evidence: {escape(self.describe_evidence())}{cancer}</caption>"
                f"<thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
                f"<p><small>{escape(DISCLAIMER)} Parameters: {escape(self.parameters)}.</small></p>")

    def render_table(self) -> str:
        rows = sorted(self.outcomes, key=lambda o: (-abs(o.change), o.key))
        observed = ", ".join(f"{self.labels.get(k, k)} {describe_reading(v)}" for k, v in self.evidence.items()) or "none"
        lines = [f"Evidence: {observed}" + (f"; cancer: {self.cancer}" if self.cancer else "")]
        if self.do:
            lines.append("Intervention: " + ", ".join(f"do({k}={'true' if v else 'false'})" for k, v in self.do.items()))
        width = max([len("outcome")] + [len(o.label) for o in rows])
        kw = max([len("key")] + [len(o.key) for o in rows])
        do_head = f" {'under do':>9}" if self.do else ""
        level = f"{self.intervals['level']:.0%} interval" if self.intervals else ""
        do_head += f"  {level:>14}" if self.intervals else ""
        lines.append(f"{'outcome'.ljust(width)}  {'key'.ljust(kw)}  {'prior':>7} {'posterior':>9} {'change':>8}{do_head}")
        for o in rows:
            change = o.change if abs(o.change) >= 5e-4 else 0.0
            do_cell = f" {o.do_posterior:9.3f}" if o.do_posterior is not None else ""
            do_cell += f"  [{o.interval[0]:.3f}, {o.interval[1]:.3f}]" if o.interval is not None else ""
            lines.append(f"{o.label.ljust(width)}  {o.key.ljust(kw)}  {o.prior:7.3f} {o.posterior:9.3f} {change:+8.3f}{do_cell}")
        why = [o for o in rows if o.explanation and abs(o.change) > 5e-4]
        if why:
            lines.append("")
            lines.append("Why (paths from the evidence, with the findings behind each edge):")
        for o in why:
            lines.append(f"  {o.label}:")
            for effect in o.explanation:
                lines.append(f"    {self.labels.get(effect.cargo, effect.cargo)} "
                             f"{describe_reading(effect.reading)}: "
                             f"{effect.posterior_without:.3f} without it -> {o.posterior:.3f} "
                             f"({effect.shift:+.3f})")
                for path in effect.paths:
                    chain = " -> ".join([self.labels.get(path[0].parent, path[0].parent)]
                                        + [("-| " if s.sign == "-" else "") + self.labels.get(s.child, s.child)
                                           for s in path])
                    lines.append(f"      {chain}")
                    for step in path:
                        for f in step.findings:
                            lines.append(f"        {step.parent} -> {step.child} "
                                         f"(strength {step.strength:.2f}): {cite(f)}")
        lines.append("")
        if self.intervals:
            lines.append(f"Intervals: the middle {self.intervals['level']:.0%} of the posteriors under "
                         f"{self.intervals['samples']} samples of the parameters (seed {self.intervals['seed']}).")
        if self.context:
            lines.append(f"Context: {self.context}")
        lines.append(f"Note: {DISCLAIMER} Parameters: {self.parameters}.")
        return "\n".join(lines)


def state_json(q: float) -> str | float:
    """A reading as the JSON contract writes it: ``"true"``, ``"false"`` or the number."""
    return "true" if q == 1.0 else "false" if q == 0.0 else q


def cite(finding: Mapping[str, Any]) -> str:
    """A finding record (:func:`finding_record`) as one line: source, references, studies, evidence."""
    parts = [finding["source"]]
    if finding.get("review_refs"):
        parts.append("review ref " + ", ".join(str(r) for r in finding["review_refs"]))
    for study in finding.get("primary_studies", []):
        ident = f"DOI {study['doi']}" if study.get("doi") else f"PMID {study['pmid']}"
        parts.append(f"{study['title']} ({study['year']}, {ident})")
    parts.append("evidence: " + ", ".join(finding.get("evidence_kinds", [])))
    return "; ".join(parts)


def finding_record(finding: Finding, params: Parameters) -> dict[str, Any]:
    """What a reader needs to check a finding, as a JSON-ready mapping."""
    return {
        "finding": finding.finding,
        "label": finding.label,
        "source": finding.source,
        "review_refs": list(finding.review_refs),
        "primary_studies": list(finding.studies),
        "evidence_kinds": [f"{k} ({params.kinds[k].name})" if k in params.kinds else k
                           for k in finding.kinds],
        "diseases": list(finding.diseases),
        "quote": finding.quote,
        **({"curator_note": finding.note} if finding.note else {}),
    }


class Reasoner:
    """Names, evidence and explanations around the exact engine, for one network and one set of
    parameters."""

    def __init__(self, spec: NetworkSpec, params: Parameters | None = None, cancer: str | None = None) -> None:
        self.spec = spec
        self.params = params or load_parameters(spec=spec)
        self.cancer_iri = self.resolve_cancer(cancer) if cancer else None
        self.cancer = cancer
        self.context = spec.cancer_context(self.cancer_iri) if self.cancer_iri else None
        self.compiled: CompiledNetwork = compile_network(spec, self.params, self.context)
        self.notes: list[str] = []  # how names were read (a related synonym), for the user
        self.engine = Engine(self.compiled)

    @classmethod
    def from_files(cls, network_file: Path | None = None, config: Path | None = None,
                   cancer: str | None = None) -> Reasoner:
        """The shipped network (or ``network_file``), the defaults with ``config`` laid over them,
        and the cancer type asked about."""
        spec = load_network(network_file or ontology_dir() / NETWORK_FILE)
        return cls(spec, load_parameters(config, spec), cancer)

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
            known = ", ".join(sorted(self.outcome_keys))
            raise InferenceError(f"{exc}; known: {known}") from None

    def resolve_cancer(self, name: str) -> str:
        """The cancer type a name denotes (key, label or synonym, case-insensitive): its IRI."""
        wanted = " ".join(name.split()).casefold()
        for cancer in self.spec.cancers:
            if wanted in {" ".join(n.split()).casefold() for n in (cancer.key, cancer.label, *cancer.names)}:
                return cancer.iri
        known = sorted({c.label for c in self.spec.cancers})
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
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
                paths.append(list(trail))
                return
            for e in children.get(node, []):
                walk(e.child, trail + [e])

        walk(source, [])
        return paths

    def _step(self, edge: Edge) -> EdgeStep:
        return EdgeStep(edge.parent, edge.child, edge.sign,
                        self.compiled.strengths.get((edge.parent, edge.child), 0.0),
                        tuple(finding_record(f, self.params) for f in edge.findings))

    def infer(self, evidence: Mapping[str, bool | float], names: Mapping[str, str] | None = None,
              explain: bool = True, do: Mapping[str, bool] | None = None) -> InferenceResult:
        """Prior and posterior of every process and outcome, with explanations.

        With ``do``, each outcome also gets its posterior under the intervention, beside the
        observational one.
        """
        readings = {k: float(v) for k, v in evidence.items()}
        targets = self.outcome_keys
        engine = self.engine
        posterior = engine.posterior_dict(targets, readings)  # checks the evidence
        intervened = engine.posterior_dict(targets, readings, do) if do else {}
        # The prior, and the posterior without each observation, in one batch.
        rows: list[dict[str, float]] = [{}]
        if explain:
            rows += [{k: v for k, v in readings.items() if k != key} for key in readings]
        answers = engine.posteriors(targets, EvidenceBatch.rows(rows)) if readings else \
            engine.posteriors(targets)
        prior = dict(zip(targets, answers[0], strict=True))
        without = {key: dict(zip(targets, answers[1 + i], strict=True)) for i, key in enumerate(readings)} \
            if explain and readings else {}
        outcomes = []
        for node in self.spec.nodes:
            if node.kind not in _OUTCOME_KINDS:
                continue
            effects = []
            for key, q in readings.items() if explain else ():
                paths = self._paths(key, node.key)
                shift = posterior[node.key] - without[key][node.key]
                if paths or abs(shift) > 1e-12:
                    effects.append(EvidenceEffect(
                        key, q, without[key][node.key], shift,
                        tuple(tuple(self._step(e) for e in path) for path in paths)))
            outcomes.append(OutcomePosterior(
                node.key, node.label, node.iri, node.kind, float(prior[node.key]), posterior[node.key],
                tuple(effects), intervened.get(node.key) if do else None))
        return InferenceResult(
            evidence=readings, names=dict(names or {}), outcomes=outcomes,
            cancer=self.cancer, parameters=self.params.source,
            labels={n.key: n.label for n in self.spec.nodes}, do=dict(do or {}),
            context=self.context_note(),
        )

    def context_note(self) -> str:
        """What the cancer asked about does to the answer, in words ("" without --cancer)."""
        if not self.cancer_iri:
            return ""
        label = next(c.label for c in self.spec.cancers if c.iri == self.cancer_iri)
        if len(self.spec.cancer_context(self.cancer_iri)) == len(self.spec.cancers):
            return (f"asked about {label}, the root of the cancer types: every study counts fully, as "
                    "without --cancer.")
        return (f"priors and posteriors are under the context {label}: a study of {label} or of a "
                f"narrower cancer type counts fully, one of another cancer type with weight "
                f"{self.params.other_cancer_weight:g} (evidence.other_cancer_weight), so priors differ "
                "from those without --cancer.")

    def infer_names(self, present: Iterable[str] = (), absent: Iterable[str] = ()) -> InferenceResult:
        evidence, names = self.evidence_from_names(present, absent)
        return self.infer(evidence, names)
