"""Exact inference on the derived network, with explanations.

A :class:`Reasoner` answers "given the cargo observed in exosomes, how likely is each process and
outcome?" with the exact engine (:mod:`exoreason.engine`). Each answer gives the prior and the posterior, the
paths from each observed cargo to the outcome with the findings behind every edge, and how much
each observation moved the posterior (the posterior without it).

The posteriors are a model's estimates from literature-derived parameters, not clinical predictions.
The answer's classes are :mod:`exoreason.results`, how tables show them :mod:`exoreason.present`;
their names are re-exported here.
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .calibration import calibrate
from .display import DISCLAIMER
from .engine import Engine, EvidenceBatch
from .errors import InferenceError, InputError, closest
from .evidence import Observations, parse_assignment, parse_observation
from .model import CompiledNetwork, Parameters, compile_network, load_parameters, parse_priors
from .network import Edge, NetworkSpec, Node, fold_name, load_network
from .present import *  # noqa: F403 - the answer's rendering, re-exported: imports from here keep working
from .present import __all__ as _PRESENT
from .present import finding_record, path_text
from .resources import NETWORK_FILE, ontology_dir
from .results import *  # noqa: F403 - the answer's classes, re-exported likewise
from .results import (
    PATHS_SHOWN,
    EdgeStep,
    EvidenceEffect,
    InferenceResult,
    OutcomePosterior,
    path_weight,
    sign_counts,
    strongest,
)
from .results import __all__ as _RESULTS

if TYPE_CHECKING:
    from .cohort import Cohort
    from .engine import EvidenceBatch
    from .evaluation import Evaluation
    from .information import Suggestions
    from .learning import FitResult
    from .uncertainty import SensitivityResult

__all__ = ["DISCLAIMER", "Reasoner", "closest_cancers", *_PRESENT, *_RESULTS]

_OUTCOME_KINDS = ("process", "outcome")


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
    return closest(name, [label for label, _ in documents], n=n, cutoff=0.5)


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

    # -- the one handle: every question the library answers, asked of the reasoner ----------------
    # (the functions behind them take the compiled network and reuse this reasoner's engine)

    def with_intervals(self, result: InferenceResult, samples: int = 1000, seed: int = 0) -> InferenceResult:
        """``result`` with a 90 % interval on each posterior and change (uncertainty.with_intervals)."""
        from .uncertainty import with_intervals

        return with_intervals(result, self.compiled, samples, seed, engine=self.engine)

    def sensitivity(self, evidence: Mapping[str, float], outcome: str) -> SensitivityResult:
        """What the evidence's effect on ``outcome`` rests on: every parameter's exact derivative
        (uncertainty.sensitivity)."""
        from .uncertainty import sensitivity

        return sensitivity(self.compiled, evidence, outcome, cancer=self.cancer, engine=self.engine)

    def suggest(self, evidence: Mapping[str, float], target: str, top: int | None = None) -> Suggestions:
        """The unobserved cargo worth measuring next for ``target`` (information.suggest)."""
        from .information import suggest

        return suggest(self, evidence, target, top)

    def fit(self, data: Cohort | EvidenceBatch, **options: Any) -> FitResult:
        """The MAP parameters given a cohort, by EM (learning.fit; ``options`` as it takes them)."""
        from .learning import fit

        return fit(self.compiled, data, engine=self.engine, **options)

    def evaluate(self, cohort: Cohort, **options: Any) -> Evaluation:
        """Scores on a cohort's recorded outcomes (evaluation.evaluate; ``options`` as it takes them)."""
        from .evaluation import evaluate

        return evaluate(self.compiled, cohort, engine=self.engine, **options)

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
        wanted = fold_name(name)
        for cancer in self.spec.cancers:
            if cancer.iri == iri or wanted in {fold_name(n) for n in (cancer.key, cancer.label, *cancer.names)}:
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
        """``NODE=VALUE`` assignments for --do, VALUE in the words --observe takes for a state
        (true/false, yes/no, present/absent, 1/0, ...); an intervention sets a state, so a
        reading between 0 and 1, or none, is refused."""
        out: dict[str, bool] = {}
        for item in items:
            try:
                name, value = parse_assignment(item, "--do")
            except InferenceError:
                value = None
            if value not in (0.0, 1.0):
                raise InferenceError(f"bad --do {item!r}: an intervention sets a node true or false "
                                     "(NODE=true, NODE=false, or yes/no, present/absent, 1/0), not a reading")
            key = self.resolve_node(name)
            state = value == 1.0
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
                        tuple(finding_record(f, self.params) for f in edge.findings),
                        against=tuple(finding_record(f, self.params) for f in edge.against))

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
