"""Exact inference on the derived network, with explanations.

A :class:`Reasoner` answers "given the cargo observed in exosomes, how likely is each process and
outcome?" with pgmpy's variable elimination. Each answer gives the prior and the posterior, the
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

from .errors import InferenceError
from .model import CompiledNetwork, Parameters, compile_network, load_parameters
from .network import Edge, NetworkSpec, load_network
from .resources import NETWORK_FILE, ontology_dir

__all__ = [
    "DISCLAIMER",
    "EdgeStep",
    "EvidenceEffect",
    "InferenceResult",
    "OutcomePosterior",
    "Reasoner",
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
        return {"cargo": self.cargo, "observed": _state(self.reading),
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

    def outcome(self, key: str) -> OutcomePosterior:
        for o in self.outcomes:
            if o.key == key:
                return o
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "evidence": {k: _state(v) for k, v in self.evidence.items()},
            **({"do": {k: "true" if v else "false" for k, v in self.do.items()}} if self.do else {}),
            "given_as": self.names,
            "cancer": self.cancer,
            "parameters": self.parameters,
            "note": DISCLAIMER,
            **({"intervals": dict(self.intervals)} if self.intervals is not None else {}),
            "outcomes": [o.to_dict() for o in self.outcomes],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def describe_evidence(self) -> str:
        """The evidence in words, e.g. ``hsa-miR-155-5p present, miR-21 absent``."""
        observed = ", ".join(f"{self.labels.get(k, k)} {_describe(v)}" for k, v in self.evidence.items())
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
        observed = ", ".join(f"{self.labels.get(k, k)} {_describe(v)}" for k, v in self.evidence.items()) or "none"
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
                             f"{_describe(effect.reading)}: "
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
                                         f"(strength {step.strength:.2f}): {_cite(f)}")
        lines.append("")
        if self.intervals:
            lines.append(f"Intervals: the middle {self.intervals['level']:.0%} of the posteriors under "
                         f"{self.intervals['samples']} samples of the parameters (seed {self.intervals['seed']}).")
        lines.append(f"Note: {DISCLAIMER} Parameters: {self.parameters}.")
        return "\n".join(lines)


def _state(q: float) -> str | float:
    return "true" if q == 1.0 else "false" if q == 0.0 else q


def _describe(q: float) -> str:
    return "present" if q == 1.0 else "absent" if q == 0.0 else f"read at {q:g}"


def _cite(finding: Mapping[str, Any]) -> str:
    parts = [finding["source"]]
    if finding.get("review_refs"):
        parts.append("review ref " + ", ".join(str(r) for r in finding["review_refs"]))
    for study in finding.get("primary_studies", []):
        ident = f"DOI {study['doi']}" if study.get("doi") else f"PMID {study['pmid']}"
        parts.append(f"{study['title']} ({study['year']}, {ident})")
    parts.append("evidence: " + ", ".join(finding.get("evidence_kinds", [])))
    return "; ".join(parts)


def _finding_dict(evidence: Any, params: Parameters) -> dict[str, Any]:
    return {
        "finding": evidence.finding,
        "label": evidence.label,
        "source": evidence.source,
        "review_refs": list(evidence.review_refs),
        "primary_studies": list(evidence.studies),
        "evidence_kinds": [f"{k} ({params.kinds[k].name})" if k in params.kinds else k
                           for k in evidence.kinds],
        "diseases": list(evidence.diseases),
        "quote": evidence.quote,
        **({"curator_note": evidence.note} if evidence.note else {}),
    }


def split_evidence(evidence: Mapping[str, bool | float]) -> tuple[dict[str, bool], dict[str, float]]:
    """Hard evidence (True/False, or readings of exactly 1 and 0) apart from soft readings."""
    hard: dict[str, bool] = {}
    soft: dict[str, float] = {}
    for key, value in evidence.items():
        q = float(value)
        if not 0.0 <= q <= 1.0 or q != q:
            raise InferenceError(f"reading for {key} must be a probability in [0, 1], got {value!r}")
        if q in (0.0, 1.0):
            hard[key] = q == 1.0
        else:
            soft[key] = q
    return hard, soft


def parse_cargo_reading(text: str) -> tuple[str, float]:
    """``NAME`` (present) or ``NAME:Q`` with Q a probability (a soft reading).

    >>> parse_cargo_reading("miR-155:0.9")
    ('miR-155', 0.9)
    >>> parse_cargo_reading("miR-155")
    ('miR-155', 1.0)
    """
    name, sep, tail = text.rpartition(":")
    if sep and name:
        try:
            q = float(tail)
        except ValueError:
            return text, 1.0
        if not 0.0 <= q <= 1.0 or q != q:
            raise InferenceError(f"reading for {name!r} must be a probability in [0, 1], got {tail!r}")
        return name, q
    return text, 1.0


class Reasoner:
    """Exact inference over one network with one set of parameters."""

    def __init__(self, spec: NetworkSpec, params: Parameters | None = None, cancer: str | None = None) -> None:
        self.spec = spec
        self.params = params or load_parameters()
        self.cancer_iri = self.resolve_cancer(cancer) if cancer else None
        self.cancer = cancer
        self.compiled: CompiledNetwork = compile_network(spec, self.params, self.cancer_iri)
        self._engine: Any = None
        self._names = self._name_index()

    @classmethod
    def from_files(cls, network_file: Path | None = None, config: Path | None = None,
                   cancer: str | None = None) -> Reasoner:
        spec = load_network(network_file or ontology_dir() / NETWORK_FILE)
        return cls(spec, load_parameters(config), cancer)

    def use_tables(self, compiled: CompiledNetwork) -> None:
        """Answer with other tables for the same network (e.g. fitted to a cohort)."""
        self.compiled = compiled
        self._engine = None

    # -- names ---------------------------------------------------------------------------------

    def _name_index(self) -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for node in self.spec.nodes:
            if node.kind != "cargo":
                continue
            for name in (node.key, node.label, *node.names):
                index.setdefault(name.casefold(), set()).add(node.key)
        return index

    def resolve_cargo(self, name: str) -> str:
        """The cargo node a name denotes (label, exact synonym or key, case-insensitive)."""
        keys = self._names.get(name.strip().casefold())
        if not keys:
            known = sorted({n for node in self.spec.nodes if node.kind == "cargo"
                            for n in (node.label, *node.names)})
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            hint = f"; closest: {', '.join(close)}" if close else "; `exoreason query cargo-names` lists them"
            raise InferenceError(f"unknown cargo {name!r}{hint}")
        if len(keys) > 1:
            raise InferenceError(f"ambiguous cargo {name!r}: it names {', '.join(sorted(keys))}")
        return next(iter(keys))

    def resolve_cancer(self, name: str) -> str:
        wanted = name.strip().casefold()
        for cancer in self.spec.cancers:
            if wanted in {n.casefold() for n in (cancer.key, cancer.label, *cancer.names)}:
                return cancer.iri
        known = sorted({c.label for c in self.spec.cancers})
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; closest: {', '.join(close)}" if close else f"; known: {', '.join(known)}"
        raise InferenceError(f"unknown cancer type {name!r}{hint}")

    def evidence_from_names(self, present: Iterable[str] = (), absent: Iterable[str] = ()
                            ) -> tuple[dict[str, float], dict[str, str]]:
        """Evidence keyed by node: 1.0 present, 0.0 absent, or a soft reading ``NAME:Q``."""
        evidence: dict[str, float] = {}
        given: dict[str, str] = {}
        for state, names in ((1.0, present), (0.0, absent)):
            for text in names:
                name, q = parse_cargo_reading(text) if state == 1.0 else (text, 0.0)
                key = self.resolve_cargo(name)
                if key in evidence and evidence[key] != q:
                    raise InferenceError(f"contradictory evidence: {name!r} ({key}) given both "
                                         f"{_describe(evidence[key])} and {_describe(q)}")
                evidence[key] = q
                given[key] = text
        return evidence, given

    # -- inference -----------------------------------------------------------------------------

    @property
    def engine(self) -> Any:
        if self._engine is None:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                from pgmpy.inference import VariableElimination

            self._engine = VariableElimination(self.compiled.to_pgmpy())
        return self._engine

    @property
    def outcome_keys(self) -> list[str]:
        return [n.key for n in self.spec.nodes if n.kind in _OUTCOME_KINDS]

    def marginals(self, evidence: Mapping[str, bool | float], variables: Sequence[str] | None = None,
                  do: Mapping[str, bool] | None = None) -> dict[str, float]:
        """P(node = true | evidence) for each variable (every process and outcome by default).

        Evidence values are True/False (hard) or a reading q in (0, 1), used as virtual evidence
        with likelihood q for present and 1 - q for absent. ``do`` sets nodes by intervention
        (pgmpy's causal inference: the node's incoming edges are cut).
        """
        hard, soft = split_evidence(evidence)
        do = dict(do or {})
        variables = [v for v in (variables or self.outcome_keys) if v not in hard and v not in do]
        if not variables:
            return {}
        states = {k: "true" if v else "false" for k, v in hard.items()}
        if do:
            if soft:
                raise InferenceError("--do cannot be combined with soft readings; give cargo as present or absent")
            from pgmpy.inference import CausalInference

            causal = CausalInference(self.compiled.to_pgmpy())
            out = {}
            for var in variables:
                factor = causal.query([var], do={k: "true" if v else "false" for k, v in do.items()},
                                      evidence=states or None, show_progress=False)
                out[var] = float(factor.values[factor.state_names[var].index("true")])
            return out
        virtual = None
        if soft:
            from pgmpy.factors.discrete import TabularCPD

            virtual = [TabularCPD(k, 2, [[1.0 - q], [q]], state_names={k: ["false", "true"]})
                       for k, q in soft.items()]
        result = self.engine.query(variables=variables, evidence=states, virtual_evidence=virtual,
                                   joint=False, show_progress=False)
        out = {}
        for var, factor in result.items():
            out[var] = float(factor.values[factor.state_names[var].index("true")])
        return out

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
                        tuple(_finding_dict(e, self.params) for e in edge.evidence))

    def infer(self, evidence: Mapping[str, bool | float], names: Mapping[str, str] | None = None,
              explain: bool = True, do: Mapping[str, bool] | None = None) -> InferenceResult:
        """Prior and posterior of every process and outcome, with explanations.

        With ``do``, each outcome also gets its posterior under the intervention, beside the
        observational one.
        """
        for key in evidence:
            if key not in self.compiled.tables or self.spec.node(key).kind != "cargo":
                raise InferenceError(f"not a cargo node: {key!r}")
        readings = {k: float(v) for k, v in evidence.items()}
        prior = self.marginals({})
        posterior = self.marginals(readings)
        intervened = self.marginals(readings, do=do) if do else {}
        without: dict[str, dict[str, float]] = {}
        if explain:
            for key in readings:
                rest = {k: v for k, v in readings.items() if k != key}
                without[key] = self.marginals(rest) if rest else prior
        outcomes = []
        for node in self.spec.nodes:
            if node.kind not in _OUTCOME_KINDS:
                continue
            effects = []
            if explain:
                for key, q in readings.items():
                    paths = self._paths(key, node.key)
                    if paths:
                        effects.append(EvidenceEffect(
                            key, q, without[key][node.key], posterior[node.key] - without[key][node.key],
                            tuple(tuple(self._step(e) for e in path) for path in paths)))
            outcomes.append(OutcomePosterior(
                node.key, node.label, node.iri, node.kind, prior[node.key], posterior[node.key],
                tuple(effects),
                intervened.get(node.key, (1.0 if do[node.key] else 0.0) if do and node.key in do else None)
                if do else None))
        return InferenceResult(
            evidence=readings, names=dict(names or {}), outcomes=outcomes,
            cancer=self.cancer, parameters=self.params.source,
            labels={n.key: n.label for n in self.spec.nodes}, do=dict(do or {}),
        )

    def resolve_node(self, name: str) -> str:
        """Any node of the network by key or label (for interventions)."""
        wanted = name.strip().casefold()
        for node in self.spec.nodes:
            if wanted in {n.casefold() for n in (node.key, node.label, *node.names)}:
                return node.key
        close = difflib.get_close_matches(name, self.spec.keys, n=3, cutoff=0.5)
        hint = f"; closest: {', '.join(close)}" if close else ""
        raise InferenceError(f"unknown network node {name!r}{hint}")

    def parse_do(self, items: Iterable[str]) -> dict[str, bool]:
        """``NODE=true|false`` assignments for --do."""
        out: dict[str, bool] = {}
        for item in items:
            name, sep, value = item.rpartition("=")
            if not sep or value.strip().lower() not in ("true", "false"):
                raise InferenceError(f"bad --do {item!r}; use NODE=true or NODE=false")
            out[self.resolve_node(name)] = value.strip().lower() == "true"
        return out

    def infer_names(self, present: Iterable[str] = (), absent: Iterable[str] = ()) -> InferenceResult:
        evidence, names = self.evidence_from_names(present, absent)
        return self.infer(evidence, names)
