"""From the derived structure and the parameters to conditional probability tables.

Every table is a function of one parameter vector (:class:`ParameterSpace`): the link strength of
each edge, the leak of each process, outcome and gene effect, and the base rate of each cargo. The
family is the leaky noisy-OR with noisy inhibitors and required parents. For a node X with promoting
parents P (strengths w_i), inhibiting parents I (strengths v_j), required parents R (strengths r_k)
and leak lambda (a cargo's base rate plays the leak's part):

    P(X = true | parents) = [1 - (1 - lambda) * prod_{i in P, present} (1 - w_i)]
                            * prod_{j in I, present} (1 - v_j)
                            * prod_{k in R, absent} (1 - r_k)

A node with no parent is true with its leak (a cargo: its base rate). A required parent suppresses
X when it is absent, as an inhibitor does when it is present: with r_k = 1 the parent is strictly
necessary (a noisy-AND on that parent). Where more than ``max_parents`` parents meet, promoters are
grouped under auxiliary noisy-OR nodes with no leak, and inhibitors and missing requirements under
auxiliary "some suppressor active" nodes; the node ORs (or is suppressed by) the groups with weight 1,
which leaves every marginal exactly as in the flat table.

:class:`CompiledNetwork` evaluates the tables for the point parameters and, through
:meth:`CompiledNetwork.tables`, for many parameter vectors at once (intervals, sensitivities,
learning): one formula, one place.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError, ExoreasonError, closest
from .network import Edge, NetworkSpec, closure
from .resources import default_parameters_file

__all__ = [
    "CompiledNetwork",
    "EvidenceKind",
    "Family",
    "INHIBITS",
    "PARAMETER_KINDS",
    "PROMOTES",
    "ParameterSpace",
    "Parameters",
    "REQUIRES",
    "STATES",
    "Table",
    "compile_network",
    "edge_strength",
    "edge_belief",
    "load_parameters",
    "parameter_name",
    "parse_priors",
    "study_count",
]

STATES = ("false", "true")

#: The roles a parent plays in its child's table.
PROMOTES = "promotes"
INHIBITS = "inhibits"
REQUIRES = "requires"
LACKS = "lacks"  # inside an auxiliary suppressor group: the missing requirement counts as active
#: An edge's sign in the network file, and the role its parent plays.
ROLE_OF_SIGN = {"+": PROMOTES, "-": INHIBITS, "!": REQUIRES}
# For each role: the parent state that makes it act, and whether it joins the OR (else it suppresses).
_ACTIVE_STATE = {PROMOTES: 1, INHIBITS: 1, REQUIRES: 0, LACKS: 0}
_JOINS_OR = {PROMOTES: True, INHIBITS: False, REQUIRES: False, LACKS: True}


@dataclass(frozen=True)
class EvidenceKind:
    """An evidence kind (an ECO class) and its error rates in the strength formula."""

    name: str
    random: float
    systematic: float


@dataclass(frozen=True)
class Parameters:
    """Every number the tables are made from (see ``parameters.toml``)."""

    kinds: Mapping[str, EvidenceKind]
    other_cancer_weight: float
    certainty: Mapping[str, float]
    leak: Mapping[str, float]  # explicit leaks by node kind, used as given (none by default)
    leak_nodes: Mapping[str, float]  # explicit leaks by node key, used as given (a fitted file's)
    base_rate: float | None  # an explicit base rate for every root cargo (none by default)
    base_rate_nodes: Mapping[str, float]
    strength_edges: Mapping[str, float]
    max_parents: int
    # Reference priors: P(node = true) with nothing observed, by node kind and by node key; every
    # node without an explicit leak has its leak calibrated to its prior (calibration.py).
    prior: Mapping[str, float] = field(default_factory=dict)
    prior_nodes: Mapping[str, float] = field(default_factory=dict)
    # A mechanism's effect: P(a present cause produces its effect | the finding is right), by
    # relation kind (network.RELATION_KINDS) and by edge; an edge's strength is belief x effect.
    effect: Mapping[str, float] = field(default_factory=dict)
    effect_edges: Mapping[str, float] = field(default_factory=dict)
    # A population's priors for one run (--prior NODE=P): calibrated over any explicit leak.
    run_priors: Mapping[str, float] = field(default_factory=dict)
    # Explicit gates (see Family.gate), used as given with an explicit leak (a fitted file's).
    gate_nodes: Mapping[str, float] = field(default_factory=dict)
    source: str = "defaults"
    # Parameter uncertainty (see uncertainty.py): Beta concentrations (pseudo-count totals).
    base_concentration: float = 2.0
    per_study_concentration: float = 4.0
    leak_concentration: float = 10.0
    base_rate_concentration: float = 10.0
    # Per-parameter concentrations (a fitted parameters file: the posterior's), by edge or node key.
    concentration_edges: Mapping[str, float] = field(default_factory=dict)
    concentration_leak_nodes: Mapping[str, float] = field(default_factory=dict)
    concentration_base_rate_nodes: Mapping[str, float] = field(default_factory=dict)
    concentration_gate_nodes: Mapping[str, float] = field(default_factory=dict)
    fit: Mapping[str, Any] = field(default_factory=dict)  # [fit]: what a fitted file was fitted from

    def explicit_leak(self, key: str, kind: str) -> float | None:
        """The leak (a root cargo's base rate) a node is given as is, or None if it is calibrated
        to its prior: a population prior for this run calibrates, then an explicit value per node,
        then a reference prior per node, then an explicit value per kind, then the kind's prior."""
        if key in self.run_priors:
            return None
        if kind == "cargo" and key in self.base_rate_nodes:
            return self.base_rate_nodes[key]
        if key in self.leak_nodes:
            return self.leak_nodes[key]
        if key in self.prior_nodes:
            return None
        if kind == "cargo":
            return self.base_rate
        return self.leak.get(kind)

    def prior_of(self, key: str, kind: str) -> float:
        """The prior a node's leak is calibrated to (a run's population prior, else the reference)."""
        if key in self.run_priors:
            return self.run_priors[key]
        return self.prior_nodes.get(key, self.prior.get(kind, 0.5))

    def effect_of(self, edge: Edge) -> float:
        """The effect of an edge's mechanism: its own, else its relation kind's (1 if unset)."""
        return self.effect_edges.get(edge.key, self.effect.get(edge.relation.replace(" ", "_"), 1.0))

    def with_priors(self, priors: Mapping[str, float]) -> Parameters:
        """These parameters with a population's priors for one run (``--prior NODE=P``)."""
        import dataclasses

        given = {**self.run_priors, **priors}
        base = self.source.split("; population prior", 1)[0]
        named = ", ".join(f"{k}={v:g}" for k, v in given.items())
        return dataclasses.replace(self, run_priors=given,
                                   source=f"{base}; population prior{'s' if len(given) > 1 else ''} {named}")


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a directory") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


# Sections, their plain keys, and their tables of named entries (checked against the network).
_NODE_KINDS = {"cargo", "gene_effect", "state", "process", "outcome"}
_EFFECT_KINDS = {"regulation", "step", "necessity", "targeting", "gene_effect", "measurement"}
_SECTIONS: dict[str, tuple[set[str], set[str]]] = {
    "evidence": ({"other_cancer_weight"}, {"kinds", "certainty"}),
    "prior": (set(_NODE_KINDS), {"nodes"}),
    "effect": (set(_EFFECT_KINDS), {"edges"}),
    "leak": ({"gene_effect", "state", "process", "outcome"}, {"nodes"}),
    "base_rate": ({"cargo"}, {"nodes"}),
    "gate": (set(), {"nodes"}),
    "strength": (set(), {"edges"}),
    "network": ({"max_parents"}, set()),
    "uncertainty": ({"base_concentration", "per_study_concentration", "leak_concentration",
                     "base_rate_concentration"}, {"edges", "leak_nodes", "base_rate_nodes", "gate_nodes"}),
    # What `exoreason fit` fitted from what (informational; named in the answers' notes).
    "fit": ({"cohort", "rows", "fitted", "date", "prior", "prior_weight", "iterations", "converged",
             "cancer"}, set()),
}
#: Per-parameter concentrations: the [uncertainty] table, and the section whose keys it shares.
_SPREAD_TABLES = {"edges": "strength", "leak_nodes": "leak", "base_rate_nodes": "base_rate", "gate_nodes": "gate"}
_KIND_KEYS = {"name", "random", "systematic"}


def _unknown_keys(override: Mapping[str, Any], defaults: Mapping[str, Any],
                  spec: NetworkSpec | None) -> list[str]:
    """Every key of a user's parameter file that names nothing the model knows."""
    def nearest(word: str, known: Iterable[str]) -> str:
        found = closest(word, known, n=1)
        return f" (closest: {found[0]})" if found else ""

    unknown: list[str] = []
    for section, value in override.items():
        if section not in _SECTIONS:
            unknown.append(f"[{section}]{nearest(section, _SECTIONS)}")
            continue
        if not isinstance(value, Mapping):
            unknown.append(f"{section} (must be a table)")
            continue
        plain, named = _SECTIONS[section]
        for key, entry in value.items():
            if key in plain:
                continue
            if key not in named:
                unknown.append(f"{section}.{key}{nearest(key, plain | named)}")
            elif not isinstance(entry, Mapping):
                unknown.append(f"{section}.{key} (must be a table)")
            elif section == "evidence" and key == "certainty":
                unknown += [f"evidence.certainty.{k} (no such certainty)" for k in entry
                            if k not in defaults["evidence"]["certainty"]]
            elif section == "evidence":
                for code, spec_ in entry.items():
                    if code not in defaults["evidence"]["kinds"]:
                        unknown.append(f"evidence.kinds.{code} (no such evidence kind)")
                    elif isinstance(spec_, Mapping):
                        unknown += [f"evidence.kinds.{code}.{k}" for k in spec_ if k not in _KIND_KEYS]
            elif spec is not None:
                unknown += _unknown_entries(_SPREAD_TABLES.get(key, section) if section == "uncertainty"
                                            else section, entry, spec, f"{section}.{key}")
    return unknown


def _unknown_entries(section: str, entries: Mapping[str, Any], spec: NetworkSpec, where: str) -> list[str]:
    kinds = {n.key: n.kind for n in spec.nodes}
    if section in ("strength", "effect"):
        known = {e.key for e in spec.edges}
        what = "edge"
    elif section in ("prior", "gate"):
        known = set(kinds)
        what = "node"
    elif section == "base_rate":
        known = {k for k, kind in kinds.items() if kind == "cargo"}
        what = "cargo node"
    else:
        known = {k for k, kind in kinds.items() if kind != "cargo"}
        what = "node with a leak"
    out = []
    for key in entries:
        if key not in known:
            close = closest(key, known, n=1)
            hint = f"; closest: {close[0]}" if close else ""
            out.append(f"{where}.{key} (no such {what}{hint})")
    return out


def _probability(value: Any, where: str, problems: list[str]) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
        problems.append(f"{where} must be a probability in [0, 1], got {value!r}")
        return 0.0
    return float(value)


def _open_probability(value: Any, where: str, problems: list[str]) -> float:
    """A prior strictly between 0 and 1 (a prior of 0 or 1 leaves the evidence nothing to say)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < float(value) < 1.0:
        problems.append(f"{where} must be a probability strictly between 0 and 1, got {value!r}")
        return 0.5
    return float(value)


def parse_priors(texts: Iterable[str], spec: NetworkSpec) -> dict[str, float]:
    """``--prior NODE=P`` options as {node key: P}; every bad one named in one error.

    >>> from exoreason.network import Node
    >>> spec = NetworkSpec([Node("metastasis", "iri", "metastasis", "outcome")], [])
    >>> parse_priors(["Metastasis=0.36"], spec)
    {'metastasis': 0.36}
    """
    out: dict[str, float] = {}
    problems: list[str] = []
    for text in texts:
        name, sep, value = text.rpartition("=")
        if not sep or not name.strip():
            problems.append(f"--prior {text!r} must be NODE=P")
            continue
        try:
            key = spec.resolve(name.strip())
        except ExoreasonError as exc:
            problems.append(f"--prior {text!r}: {exc}")
            continue
        try:
            p = float(value)
        except ValueError:
            p = math.nan
        if not 0.0 < p < 1.0:
            problems.append(f"--prior {text!r}: P must be a probability strictly between 0 and 1")
            continue
        if key in out and out[key] != p:
            problems.append(f"--prior gives {key} twice ({out[key]} and {p})")
        out[key] = p
    if problems:
        raise ConfigError("; ".join(problems))
    return out


def _concentration(value: Any, where: str, problems: list[str], *, zero: bool = False) -> float:
    """A finite positive number (or zero, if ``zero``) for an [uncertainty] key."""
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (value >= 0.0 if zero else value > 0.0))
    if not ok:
        need = "a finite number >= 0" if zero else "a finite number > 0"
        problems.append(f"{where} must be {need}, got {value!r}")
        return 1.0
    return float(value)


def load_parameters(path: Path | None = None, spec: NetworkSpec | None = None) -> Parameters:
    """The shipped defaults, with the values of ``path`` (a TOML file) laid over them.

    Every key of ``path`` must name a known section, evidence kind, node or edge (nodes and edges
    are checked when ``spec``, the network, is given); all unknown keys and bad values are listed in
    one :class:`ConfigError`.
    """
    data = _read_toml(default_parameters_file())
    where = "defaults"
    if path is not None:
        override = _read_toml(path)
        where = str(path)
        unknown = _unknown_keys(override, data, spec)
        if unknown:
            raise ConfigError(f"{path}: unknown parameter{'s' if len(unknown) > 1 else ''}: "
                              + "; ".join(unknown))
        data = _merge(data, override)
    problems: list[str] = []
    try:
        evidence = data["evidence"]
        kinds = {}
        for code, spec_ in evidence["kinds"].items():
            if not isinstance(spec_, Mapping):
                problems.append(f"evidence.kinds.{code} must be a table")
                continue
            r = _probability(spec_.get("random"), f"evidence.kinds.{code}.random", problems)
            s = _probability(spec_.get("systematic"), f"evidence.kinds.{code}.systematic", problems)
            if r + s > 1.0:
                problems.append(f"evidence.kinds.{code}: random + systematic must not exceed 1")
            kinds[code] = EvidenceKind(str(spec_.get("name", code)), r, s)
        leak = {k: _probability(v, f"leak.{k}", problems)
                for k, v in data.get("leak", {}).items() if k != "nodes"}
        prior_data = data.get("prior", {})
        prior = {k: _open_probability(prior_data[k], f"prior.{k}", problems)
                 for k in sorted(_NODE_KINDS) if k in prior_data}
        missing = sorted(_NODE_KINDS - set(prior))
        if missing:
            problems.append(f"prior: no reference prior for {', '.join(missing)}")
        prior_nodes = {k: _open_probability(v, f"prior.nodes.{k}", problems)
                       for k, v in prior_data.get("nodes", {}).items()}
        effect_data = data.get("effect", {})
        effect = {k: _probability(v, f"effect.{k}", problems) for k, v in effect_data.items() if k != "edges"}
        effect_edges = {k: _probability(v, f"effect.edges.{k}", problems)
                        for k, v in effect_data.get("edges", {}).items()}
        certainty = {k: _probability(v, f"evidence.certainty.{k}", problems)
                     for k, v in evidence["certainty"].items()}
        leak_nodes = {k: _probability(v, f"leak.nodes.{k}", problems)
                      for k, v in data.get("leak", {}).get("nodes", {}).items()}
        base_nodes = {k: _probability(v, f"base_rate.nodes.{k}", problems)
                      for k, v in data.get("base_rate", {}).get("nodes", {}).items()}
        gate_nodes = {k: _open_probability(v, f"gate.nodes.{k}", problems) if v != 1 else 1.0
                      for k, v in data.get("gate", {}).get("nodes", {}).items()}
        strengths = {k: _probability(v, f"strength.edges.{k}", problems)
                     for k, v in data.get("strength", {}).get("edges", {}).items()}
        max_parents = data["network"]["max_parents"]
        if isinstance(max_parents, bool) or not isinstance(max_parents, int) or not 2 <= max_parents <= 16:
            problems.append(f"network.max_parents must be an integer from 2 to 16, got {max_parents!r}")
        uncertainty = data.get("uncertainty", {})
        concentrations: dict[str, Any] = {
            k: _concentration(uncertainty.get(k, getattr(Parameters, k)), f"uncertainty.{k}", problems,
                              zero=k == "per_study_concentration")
            for k in sorted(_SECTIONS["uncertainty"][0])
        }
        for table in _SPREAD_TABLES:
            concentrations[f"concentration_{table}"] = {
                k: _concentration(v, f"uncertainty.{table}.{k}", problems)
                for k, v in uncertainty.get(table, {}).items()}
        fit = dict(data.get("fit", {}))
        other = _probability(evidence["other_cancer_weight"], "evidence.other_cancer_weight", problems)
        cargo_rate = data.get("base_rate", {}).get("cargo")
        base_rate = None if cargo_rate is None else _probability(cargo_rate, "base_rate.cargo", problems)
    except KeyError as exc:
        raise ConfigError(f"{where}: missing parameter {exc}") from None
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return Parameters(
        kinds=kinds, other_cancer_weight=other, certainty=certainty, leak=leak, leak_nodes=leak_nodes, base_rate=base_rate,
        base_rate_nodes=base_nodes, strength_edges=strengths, max_parents=max_parents,
        prior=prior, prior_nodes=prior_nodes, effect=effect, effect_edges=effect_edges, gate_nodes=gate_nodes,
        source=_source(path, fit), fit=fit, **concentrations,
    )


def _source(path: Path | None, fit: Mapping[str, Any]) -> str:
    """What the answers' notes name as the parameters used."""
    if path is None:
        return "defaults"
    if fit:
        return (f"{path} over the defaults ({fit.get('fitted', '?')} parameters fitted to "
                f"{fit.get('cohort') or 'a cohort'}, {fit.get('rows', '?')} rows, used as given)")
    return f"{path} over the defaults"


def _studies_by_kind(edge: Edge, params: Parameters, cancer: Collection[str] | None = None
                     ) -> dict[str, dict[str, float]]:
    """For each known evidence kind behind an edge: each distinct study and its chance of being wrong.

    A study counts once per kind however often the review cites it (``Finding.study_keys``), and
    once across sources: where it is curated as a source of its own, its kinds on the edge are
    those its own findings report (``Finding.direct_study``). Its
    reliability is scaled by the weight of the finding's certainty and, under a cancer context
    (``cancer``: the cancer asked about and every narrower one), by other_cancer_weight when the
    finding's disease is none of those.
    """
    per_kind: dict[str, dict[str, float]] = {}
    # A study curated as a source of its own reports the finding itself: the kinds it gives the
    # edge are those it reports, not those another source (the review's evidence rule) gave it.
    direct = {f.direct_study for f in edge.findings if f.direct_study}
    for finding in edge.findings:
        keys = finding.study_keys()
        if not finding.direct_study:
            keys = tuple(k for k in keys if k not in direct)
            if not keys:
                continue
        off_cancer = bool(cancer is not None and finding.diseases and not set(finding.diseases) & set(cancer))
        weight = params.certainty.get(finding.certainty, 0.0)
        for code in finding.kinds:
            kind = params.kinds.get(code)
            if kind is None:
                continue
            reliability = (1.0 - kind.random) * weight * (params.other_cancer_weight if off_cancer else 1.0)
            studies = per_kind.setdefault(code, {})
            for study in keys:
                studies[study] = min(studies.get(study, 1.0), 1.0 - reliability)
    return per_kind


def study_count(edge: Edge, params: Parameters) -> int:
    """Distinct studies behind an edge, per evidence kind, as the strength formula counts them.

    >>> from exoreason.network import Edge, Finding
    >>> f = Finding("f", "f", "Table 3", "q", ("ECO:0000304",), (27,), (), ())
    >>> study_count(Edge("a", "b", "+", (f, f)), load_parameters())  # one study cited twice
    1
    """
    return sum(len(studies) for studies in _studies_by_kind(edge, params).values())


def edge_belief(edge: Edge, params: Parameters, cancer: Collection[str] | None = None) -> float:
    """A finding's belief: the probability that the findings behind an edge are right, by INDRA's
    model over their distinct studies (the formula in ``parameters.toml``). A measurement edge is
    the project's model of detection, not a finding: its belief is 1.

    >>> from exoreason.network import Edge, Finding
    >>> f = Finding("f", "f", "Table 3", "q", ("ECO:0000304",), (27,), (), ())
    >>> p = load_parameters()
    >>> round(edge_belief(Edge("a", "b", "+", (f, f)), p), 6)  # one study counted once
    0.5

    Findings of the opposite sign on the same pair (``Edge.against``) lower it: with beliefs b for
    the edge's side and c against it, b(1 - c) / (1 - bc), the probability that its side is right
    given that not both are.

    >>> g = Finding("g", "g", "Table 3", "q", ("ECO:0000304",), (28,), (), ())
    >>> round(edge_belief(Edge("a", "b", "+", (f,), against=(g,)), p), 6)  # 0.5 * 0.5 / 0.75
    0.333333
    """
    if edge.relation == "measurement":
        return 1.0
    belief = _belief(edge, params, cancer)
    if edge.against:
        # Conflicting findings: both sides cannot be right; the edge's sign is the stronger
        # side's, and its belief is that side's being right given that not both are.
        other = _belief(replace(edge, findings=edge.against, against=()), params, cancer)
        return belief * (1.0 - other) / (1.0 - belief * other) if belief * other < 1.0 else 0.0
    return belief


def _belief(edge: Edge, params: Parameters, cancer: Collection[str] | None) -> float:
    per_kind = _studies_by_kind(edge, params, cancer)
    if not per_kind:
        return 0.0
    wrong = 1.0
    for code, studies in per_kind.items():
        wrong *= min(1.0, params.kinds[code].systematic + math.prod(studies.values()))
    return 1.0 - wrong


def edge_strength(edge: Edge, params: Parameters, cancer: Collection[str] | None = None) -> float:
    """An edge's link strength: its findings' belief times its mechanism's effect, unless
    ``[strength.edges]`` gives it (a fitted file's strengths are used as given).

    >>> from exoreason.network import Edge, Finding
    >>> f = Finding("f", "f", "Table 3", "q", ("ECO:0000304",), (27,), (), ())
    >>> p = load_parameters()
    >>> e = Edge("a", "b", "+", (f,), "regulation")
    >>> round(edge_strength(e, p), 6) == round(edge_belief(e, p) * p.effect["regulation"], 6)
    True
    """
    override = params.strength_edges.get(edge.key)
    if override is not None:
        return override
    return edge_belief(edge, params, cancer) * params.effect_of(edge)


#: The kinds of parameter, in the order the vector holds them and reports list them.
PARAMETER_KINDS = ("edge", "leak", "base_rate", "gate")


def parameter_name(kind: str, key: str, arrow: str = "->", labels: Mapping[str, str] | None = None) -> str:
    """How a report names a parameter: ``strength A -> B``, ``leak of X``, ``base rate of X``,
    ``gate of X``; with ``labels`` (node key -> label), by the nodes' labels.

    >>> parameter_name("edge", "EMT->metastasis"), parameter_name("gate", "metastasis")
    ('strength EMT -> metastasis', 'gate of metastasis')
    >>> parameter_name("base_rate", "hsa_miR_21_5p", labels={"hsa_miR_21_5p": "hsa-miR-21-5p"})
    'base rate of hsa-miR-21-5p'
    """
    name = (labels or {}).get
    if kind == "edge":
        parent, _, child = key.partition("->")
        return f"strength {name(parent, parent)} {arrow} {name(child, child)}"
    return f"{kind.replace('_', ' ')} of {name(key, key)}"


@dataclass(frozen=True)
class ParameterSpace:
    """The parameters as one vector: edge strengths, then leaks, then cargo base rates.

    Each has a mean (the value the point answer uses) and a Beta concentration (how sure the
    literature makes us of it: see uncertainty.py).
    """

    kinds: tuple[str, ...]  # PARAMETER_KINDS: "edge", "leak", "base_rate" or "gate"
    keys: tuple[str, ...]  # "parent->child" for an edge, else the node key
    means: np.ndarray
    concentrations: np.ndarray
    studies: np.ndarray  # distinct studies behind each edge (0 for leaks and base rates)

    def __len__(self) -> int:
        return len(self.keys)

    def index(self, kind: str, key: str) -> int:
        for i, (k, name) in enumerate(zip(self.kinds, self.keys, strict=True)):
            if k == kind and name == key:
                return i
        raise KeyError((kind, key))

    def sample(self, samples: int, seed: int) -> np.ndarray:
        """``samples`` parameter vectors (rows) drawn from the Beta distributions."""
        rng = np.random.default_rng(seed)
        fixed = (self.means <= 0.0) | (self.means >= 1.0)
        mean = np.where(fixed, 0.5, self.means)
        draws = rng.beta(self.concentrations * mean, self.concentrations * (1.0 - mean),
                         size=(samples, len(self)))
        return np.where(fixed, self.means, draws)


@dataclass(frozen=True)
class Family:
    """How one node's table depends on the parameter vector (auxiliary nodes included)."""

    node: str
    parents: tuple[str, ...]
    leak: int  # index of the leak (or base rate) in the parameter vector; -1 for none
    weights: tuple[int, ...]  # per parent: index of its strength; -1 for weight 1
    roles: tuple[str, ...]  # per parent: PROMOTES, INHIBITS, REQUIRES or LACKS
    #: Index of the node's gate in the parameter vector (-1: none, a gate of 1): P(the node's
    #: unmodelled enabling conditions hold), there where its prior is below what its modelled
    #: causes alone give (calibration.py); it multiplies the whole table.
    gate: int = -1

    def p_true(self, theta: np.ndarray) -> np.ndarray:
        """P(node = true | each parent configuration) for each parameter vector: (vectors, 2^k).

        Parent configurations run with the first parent slowest (pgmpy's and BIF's layout).
        """
        size = theta.shape[0]
        states = _configurations(len(self.parents))
        leak = theta[:, self.leak] if self.leak >= 0 else np.zeros(size)
        off = np.repeat((1.0 - leak)[:, None], states.shape[0], axis=1)
        kept = np.ones((size, states.shape[0]))
        for i, (index, role) in enumerate(zip(self.weights, self.roles, strict=True)):
            weight = theta[:, index] if index >= 0 else np.ones(size)
            active = states[:, i] == _ACTIVE_STATE[role]
            factor = np.where(active[None, :], (1.0 - weight)[:, None], 1.0)
            if _JOINS_OR[role]:
                off = off * factor
            else:
                kept = kept * factor
        gate = theta[:, self.gate][:, None] if self.gate >= 0 else 1.0
        return (1.0 - off) * kept * gate


def _configurations(k: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=k)), dtype=np.int8).reshape(2 ** k, k)


@dataclass(frozen=True)
class Table:
    """P(node = true | each parent configuration), parents in order, the first varying slowest."""

    node: str
    parents: tuple[str, ...]
    p_true: np.ndarray

    def values(self) -> np.ndarray:
        """The 2 x 2^k table of states false, true (pgmpy's and BIF's layout)."""
        return np.vstack([1.0 - self.p_true, self.p_true])


@dataclass
class CompiledNetwork:
    """The network ready for inference: every node's family (auxiliary nodes included), the
    parameter vector, and the tables at its means."""

    spec: NetworkSpec
    params: Parameters
    space: ParameterSpace
    families: dict[str, Family]  # in a topological order
    cancer: Collection[str] | None = None  # the cancer context: disease IRIs that count fully
    auxiliary: set[str] = field(default_factory=set)
    tables: dict[str, Table] = field(init=False)
    strengths: dict[tuple[str, str], float] = field(init=False)
    fitted: bool = field(default=False, init=False)  # tables replaced by with_tables

    def __post_init__(self) -> None:
        point = self.p_true(self.space.means[None, :])
        self.tables = {n: Table(n, f.parents, point[n][0]) for n, f in self.families.items()}
        self.strengths = {}
        for kind, key, mean in zip(self.space.kinds, self.space.keys, self.space.means, strict=True):
            if kind == "edge":
                parent, _, child = key.partition("->")
                self.strengths[(parent, child)] = float(mean)

    @property
    def order(self) -> list[str]:
        """Nodes in a topological order (auxiliary nodes before the node they feed)."""
        return list(self.families)

    def calibrated_nodes(self) -> dict[str, float]:
        """{node: its prior} for every node whose leak is calibrated to a prior (not explicit)."""
        return {n.key: self.params.prior_of(n.key, n.kind) for n in self.spec.nodes
                if self.params.explicit_leak(n.key, n.kind) is None}

    def p_true(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Every node's P(true | parent configuration) for each parameter vector (rows of ``theta``)."""
        if self.fitted:
            from .errors import InferenceError

            raise InferenceError("these tables were fitted to a cohort and are not functions of the "
                                 "literature's parameters; intervals and sensitivities need those")
        return {node: family.p_true(theta) for node, family in self.families.items()}

    def with_tables(self, tables: Mapping[str, Table]) -> CompiledNetwork:
        """The same network with other tables (fitted to a cohort); the structure must match."""
        out = CompiledNetwork(self.spec, self.params, self.space, self.families, self.cancer, self.auxiliary)
        for node, table in tables.items():
            if node not in self.families or table.parents != self.families[node].parents:
                raise ConfigError(f"table of {node} does not fit the network")
        out.tables = {**self.tables, **tables}
        out.fitted = True
        return out

    def ancestors(self, node: str) -> set[str]:
        """The node and every node with a directed path to it (auxiliary nodes included)."""
        return closure([node], lambda key: self.families[key].parents)

    def to_pgmpy(self) -> Any:
        """A pgmpy DiscreteBayesianNetwork with states named ``false`` and ``true``."""
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            from pgmpy.factors.discrete import TabularCPD
            from pgmpy.models import DiscreteBayesianNetwork

        model = DiscreteBayesianNetwork()
        model.add_nodes_from(self.order)
        model.add_edges_from((p, n) for n, t in self.tables.items() for p in t.parents)
        for node in self.order:
            table = self.tables[node]
            names = {v: list(STATES) for v in (node, *table.parents)}
            model.add_cpds(TabularCPD(
                node, 2, table.values(),
                evidence=list(table.parents) or None,
                evidence_card=[2] * len(table.parents) or None,
                state_names=names,
            ))
        return model


def _space(spec: NetworkSpec, params: Parameters, cancer: Collection[str] | None,
           leaks: Mapping[str, float] | None = None, gates: Mapping[str, float] | None = None
           ) -> ParameterSpace:
    kinds: list[str] = []
    keys: list[str] = []
    means: list[float] = []
    kappa: list[float] = []
    studies: list[int] = []
    for edge in spec.edges:
        n = study_count(edge, params)
        kinds.append("edge")
        keys.append(edge.key)
        means.append(edge_strength(edge, params, cancer))
        kappa.append(params.concentration_edges.get(
            edge.key, params.base_concentration + params.per_study_concentration * n))
        studies.append(n)
    leaks = leaks or {}

    def leak_of(node: Any) -> float:
        # Explicit, else calibrated (``leaks``), else the prior itself: a root's calibrated leak.
        explicit = params.explicit_leak(node.key, node.kind)
        if explicit is not None:
            return explicit
        return leaks.get(node.key, params.prior_of(node.key, node.kind))

    for node in spec.nodes:
        if node.kind != "cargo":
            kinds.append("leak")
            keys.append(node.key)
            means.append(leak_of(node))
            kappa.append(params.concentration_leak_nodes.get(node.key, params.leak_concentration))
            studies.append(0)
    for node in spec.nodes:
        if node.kind == "cargo":
            kinds.append("base_rate")
            keys.append(node.key)
            means.append(leak_of(node))
            kappa.append(params.concentration_base_rate_nodes.get(node.key, params.base_rate_concentration))
            studies.append(0)
    for node in spec.nodes:  # a gate only where one is below 1 (calibrated, or given with its leak)
        explicit = params.explicit_leak(node.key, node.kind) is not None
        gate = (gates or {}).get(node.key, params.gate_nodes.get(node.key, 1.0) if explicit else 1.0)
        if gate < 1.0:
            kinds.append("gate")
            keys.append(node.key)
            means.append(gate)
            kappa.append(params.concentration_gate_nodes.get(node.key, params.leak_concentration))
            studies.append(0)
    return ParameterSpace(tuple(kinds), tuple(keys), np.array(means, dtype=float),
                          np.array(kappa, dtype=float), np.array(studies, dtype=int))


_Parent = tuple[str, int, str]  # (parent, weight index or -1, role)


def _group(key: str, items: list[_Parent], budget: int, tag: str, limit: int,
           counter: Iterator[int], families: dict[str, Family]) -> list[_Parent]:
    """Group parents under auxiliary noisy-OR nodes (no leak) until at most ``budget`` remain.

    The items are members of an OR (roles PROMOTES or LACKS); each group becomes one OR member of
    weight 1, so a group of groups is an OR too, and the marginals stay those of the flat table.
    """
    while len(items) > budget:
        grouped: list[_Parent] = []
        for start in range(0, len(items), limit):
            chunk = items[start:start + limit]
            if len(chunk) == 1:
                grouped.append(chunk[0])
                continue
            aux = f"{key}__{tag}{next(counter)}"
            families[aux] = Family(aux, tuple(p for p, _, _ in chunk), -1,
                                   tuple(w for _, w, _ in chunk), tuple(r for _, _, r in chunk))
            grouped.append((aux, -1, PROMOTES))
        items = grouped
    return items


def compile_network(spec: NetworkSpec, params: Parameters, cancer: Collection[str] | None = None,
                    leaks: Mapping[str, float] | None = None, gates: Mapping[str, float] | None = None
                    ) -> CompiledNetwork:
    """Every node's family and the parameter vector, from the structure and the parameters.

    ``cancer`` is the cancer context (:meth:`NetworkSpec.cancer_context`): the disease IRIs whose
    studies count fully; None counts every study fully. ``leaks`` and ``gates`` hold the calibrated
    values of the nodes :meth:`CompiledNetwork.calibrated_nodes` names (calibration.py computes
    them); without them a node's leak is its prior, which is its calibrated leak only for a root.
    """
    space = _space(spec, params, cancer, leaks, gates)
    index = {(kind, key): i for i, (kind, key) in enumerate(zip(space.kinds, space.keys, strict=True))}
    families: dict[str, Family] = {}
    auxiliary: set[str] = set()
    limit = params.max_parents
    for node in _topological(spec):
        leak = index[("base_rate" if node.kind == "cargo" else "leak", node.key)]
        promoters: list[_Parent] = []
        suppressors: list[_Parent] = []
        for edge in spec.parents(node.key):
            role = ROLE_OF_SIGN[edge.sign]
            weight = index[("edge", edge.key)]
            if role == PROMOTES:
                promoters.append((edge.parent, weight, role))
            else:
                suppressors.append((edge.parent, weight, role))
        if len(promoters) + len(suppressors) > limit:
            counter = itertools.count(1)
            before = set(families)
            if suppressors:
                # Inside a group a suppressor joins an OR: an inhibitor when present, a required
                # parent when absent; the group then suppresses the node with weight 1.
                as_or = [(p, w, PROMOTES if r == INHIBITS else LACKS) for p, w, r in suppressors]
                grouped = _group(node.key, as_or, max(1, limit // 3), "any_suppressor", limit,
                                 counter, families)
                suppressors = [(p, w, INHIBITS if r == PROMOTES else REQUIRES) for p, w, r in grouped]
            promoters = _group(node.key, promoters, limit - len(suppressors), "any_promoter", limit,
                               counter, families)
            auxiliary |= set(families) - before
        parents = promoters + suppressors
        families[node.key] = Family(node.key, tuple(p for p, _, _ in parents), leak,
                                    tuple(w for _, w, _ in parents), tuple(r for _, _, r in parents),
                                    index.get(("gate", node.key), -1))
    return CompiledNetwork(spec, params, space, families, cancer, auxiliary)


def _topological(spec: NetworkSpec) -> list[Any]:
    """The spec's nodes with every parent before its children (the spec's own order where it is one)."""
    done: list[Any] = []
    seen: set[str] = set()
    parents: dict[str, list[str]] = {}
    for e in spec.edges:
        parents.setdefault(e.child, []).append(e.parent)
    by_key = {n.key: n for n in spec.nodes}

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        for parent in parents.get(key, []):
            visit(parent)
        done.append(by_key[key])

    for node in spec.nodes:
        visit(node.key)
    return done
