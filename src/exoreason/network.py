"""The network's structure, derived from the graph by the SPARQL queries in ``queries/network-*.rq``.

The queries say which relations of the ontology become edges (``network-edges.rq`` documents the
mapping) and where each entity sits in the ontology (``network-nodes.rq``). This module turns
entities into nodes by a small set of rules about the ontology's shape, never about the biology:

* an outcome or a process is a node of that kind;
* a gene acted on by a Table 3 miRNA is a *gene effect* node in the recipient cell, one per
  effect (``PTEN repressed``, ``MMP2 induced``, ``TP53INP1 changed``); a gene whose loss or effect
  the text states otherwise is a *state* node (``loss of TP53 function``);
* a molecule that extracellular vesicles carry, and an exosome population narrower than exosomes
  as such (tumour-derived, CSC-derived), is observable *cargo*; another specific molecule, a cell
  type or a cell state is a *state* of the tumour (``cancer stem cell``, ``dormant state``);
* left out, each with its reason: exosomes as such (every sample holds them), environments
  (every tumour has one), broad classes of molecules (nothing observes "a protein"), and every
  node from which no path reaches an outcome.

Nothing about the biology is written here: change the graph and the network changes. The result
is kept beside the ontology as ``exoreason-network.json`` so that inference need not parse the
graph; the same queries run on a SPARQL server give the same file (``build --endpoint``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import BuildError, ExoreasonError, NetworkError, closest

__all__ = [
    "EFFECTS",
    "Edge",
    "Finding",
    "Fixed",
    "LeftOut",
    "NODE_KINDS",
    "NetworkSpec",
    "Node",
    "OBSERVABLE_KINDS",
    "RELATION_KINDS",
    "Summary",
    "closure",
    "common_name",
    "derive_network",
    "digest",
    "fixed_nodes",
    "fold_name",
    "load_network",
    "network_json",
    "read_json_file",
]

FORMAT_VERSION = 3
#: The kinds of node, in the order reports list them.
NODE_KINDS = ("cargo", "gene_effect", "state", "process", "outcome")
#: Edge signs, and what each says: promotes, inhibits, or a parent the child requires (the child
#: is suppressed without it).
EFFECTS = {"+": "promotes", "-": "inhibits", "!": "is required for"}
SIGNS = tuple(EFFECTS)
#: The kinds of mechanism an edge stands for (queries/network-edges.rq names them, except
#: "measurement", which the derivation adds between a molecule in tumour cells and its detection
#: in exosomes).
RELATION_KINDS = ("regulation", "step", "necessity", "targeting", "gene effect", "measurement")


@dataclass(frozen=True)
class Finding:
    """One curated finding behind an edge, with what a reader needs to check it."""

    finding: str
    label: str
    source: str
    quote: str
    kinds: tuple[str, ...]
    review_refs: tuple[int, ...]
    studies: tuple[dict[str, str], ...]
    diseases: tuple[str, ...]
    note: str = ""
    certainty: str = "asserted"
    ref_studies: tuple[str, ...] = ()  # publications the review references name, where identified
    #: The id of the source whose templates record the finding (``review``, a primary study's, a
    #: database release's).
    origin: str = "review"
    #: For a finding of a primary study curated as a source of its own: that study's publication
    #: (the study reports the finding itself, so its evidence kinds are the study's own).
    direct_study: str = ""

    def study_keys(self) -> tuple[str, ...]:
        """What counts as one study: each primary study and each publication its review references
        name (the same publication however it is cited), else each review reference number, else
        the review itself. A source the review cites several times counts once."""
        keys = {s["iri"] for s in self.studies} | set(self.ref_studies)
        if keys:
            return tuple(sorted(keys))
        if self.review_refs:
            return tuple(f"review-ref-{r}" for r in self.review_refs)
        # A statement the review makes without a citation rests on the review alone.
        return ("the-review",)


@dataclass(frozen=True)
class Node:
    """A binary node: ``false`` then ``true``; its key is the same in BIF, CSV and JSON.

    ``names`` are its label and exact synonyms; ``related`` names that are accepted but do not
    denote it exactly (a precursor gene symbol, an arm-less miRNA name); ``broader`` (cancers only)
    the IRIs of the cancer types it is a kind of.
    """

    key: str
    iri: str
    label: str
    kind: str
    names: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    #: A gene-effect node stands for every gene one finding acts on in the same direction (their
    #: IRIs; ``iri`` is the first); empty for every other node.
    members: tuple[str, ...] = ()
    #: An exosome population (tumour-derived, CSC-derived exosomes): observed as cargo is, but
    #: not a molecule an assay measures in the exosomes of a sample.
    population: bool = False

    @property
    def measurable(self) -> bool:
        """Whether an assay of a sample's exosomes measures it: cargo that is not a population."""
        return self.kind == "cargo" and not self.population


@dataclass(frozen=True)
class Edge:
    """A signed causal edge with the curated findings behind it."""

    parent: str
    child: str
    sign: str  # "+" promotes, "-" inhibits, "!" required (the child is suppressed without it)
    findings: tuple[Finding, ...]
    #: The kind of mechanism (``RELATION_KINDS``): its default effect is set in parameters.toml.
    relation: str = "regulation"
    #: Findings of the opposite sign on the same pair, outweighed by ``findings`` (the network's
    #: rule for conflicting findings: :func:`exoreason.model.edge_belief`).
    against: tuple[Finding, ...] = ()

    @property
    def key(self) -> str:
        """``parent->child``: how parameter files and reports name the edge."""
        return f"{self.parent}->{self.child}"

    @property
    def effect(self) -> str:
        return EFFECTS[self.sign]


@dataclass(frozen=True)
class LeftOut:
    """An entity with causal statements that the network leaves out, and why."""

    iri: str
    label: str
    reason: str


@dataclass(frozen=True)
class Summary:
    """A statement that a cause raises or lowers an effect where the graph also holds how: a path
    of the same sign through the processes the cause acts in. The path carries the effect; the
    direct statement is its summary, kept with its findings, not counted a second time."""

    parent: str
    child: str
    sign: str
    findings: tuple[Finding, ...]
    path: tuple[str, ...]  # node keys from parent to child

    @property
    def key(self) -> str:
        return f"{self.parent}->{self.child}"


@dataclass(frozen=True)
class Fixed:
    """A node no observable node (exosomal cargo, a tumour state) reaches: it stays at its
    reference prior unless it, or a node it affects, is observed."""

    key: str
    reason: str


@dataclass(frozen=True)
class Resolution:
    """The node a name denotes, and how the name matched (``exact`` or ``related``)."""

    key: str
    match: str


@dataclass
class NetworkSpec:
    """The derived structure: nodes, signed edges with their findings, the known cancers, and
    what was left out."""

    nodes: list[Node]
    edges: list[Edge]
    cancers: list[Node] = field(default_factory=list)
    graph_digest: str = ""
    left_out: list[LeftOut] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    fixed: list[Fixed] = field(default_factory=list)
    #: The sources whose findings the edges carry (``queries/sources.rq``'s columns: id, kind,
    #: title, year, release), the review first.
    sources: list[dict[str, str]] = field(default_factory=list)
    #: Findings of the graph that disagree on a direction (``queries/sign-conflicts.rq``), as
    #: :func:`conflict_record` gives them.
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    def source_citations(self) -> list[str]:
        """Each source the network's findings come from, as an answer names it:
        ``review (The Role of ..., 2022)``."""
        return [f"{s['id']} ({s['title']}{' ' + s['release'] if s.get('release') else ''}, {s['year']})"
                for s in self.sources]

    def node(self, key: str) -> Node:
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)

    def parents(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.child == key]

    def lookup(self, name: str, kinds: Collection[str] | None = None, what: str = "node") -> Resolution:
        """The node a name denotes (key, label or exact synonym first, then a related synonym),
        case-insensitive; ``kinds`` limits the answer to nodes of those kinds; ``what`` names them
        in the error, which suggests the closest names or says why a known entity is not a node.
        """
        from .errors import InferenceError

        candidates = [n for n in self.nodes if kinds is None or n.kind in kinds]
        wanted = fold_name(name)
        for match, names_of in (("exact", lambda n: (n.key, n.label, *n.names)), ("related", lambda n: n.related)):
            found = {n.key for n in candidates if wanted in {fold_name(x) for x in names_of(n)}}
            if len(found) == 1:
                return Resolution(found.pop(), match)
            if found:
                raise InferenceError(f"ambiguous {what} {name!r}: it names {', '.join(sorted(found))}")
        out = next((x for x in self.left_out if fold_name(x.label) == wanted), None)
        if out is not None:
            raise InferenceError(f"{name!r} is in the graph but not in the network: {out.reason}")
        # Each suggested node once, by its key or label where those are close, else by a synonym.
        close: dict[str, str] = {}
        for names in ({x: n.key for n in candidates for x in (n.key, n.label)},
                      {x: n.key for n in candidates for x in (*n.names, *n.related)}):
            for x in closest(name, names, n=12):
                close.setdefault(names[x], x)
        hint = f"; closest: {', '.join(list(close.values())[:3])}" if close else ""
        raise InferenceError(f"unknown {what} {name!r}{hint}")

    def resolve(self, name: str, kinds: Collection[str] | None = None, what: str = "node") -> str:
        """The key of the node a name denotes (see :meth:`lookup`).

        >>> spec = NetworkSpec([Node("EMT", "iri", "epithelial to mesenchymal transition", "process")], [])
        >>> spec.resolve("emt"), spec.resolve("Epithelial to mesenchymal transition")
        ('EMT', 'EMT')
        """
        return self.lookup(name, kinds, what).key

    def ancestors(self, key: str) -> set[str]:
        """The node and every node with a directed path to it."""
        parents: dict[str, list[str]] = defaultdict(list)
        for e in self.edges:
            parents[e.child].append(e.parent)
        return closure([key], parents.__getitem__)

    def cancer_context(self, iri: str) -> frozenset[str]:
        """The cancer types a study counts fully for when ``iri`` is asked about: that cancer and
        every narrower one (a study of a narrower cancer is a study of the broader one too)."""
        narrower: dict[str, set[str]] = defaultdict(set)
        for cancer in self.cancers:
            for broader in cancer.broader:
                narrower[broader].add(cancer.iri)
        return frozenset(closure([iri], narrower.__getitem__))

    @property
    def keys(self) -> list[str]:
        return [n.key for n in self.nodes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "notice": "Generated by `exoreason build` from the graph; do not edit.",
            "graph_digest": self.graph_digest,
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [{"parent": e.parent, "child": e.child, "sign": e.sign, "relation": e.relation,
                       "findings": [asdict(f) for f in e.findings],
                       **({"against": [asdict(f) for f in e.against]} if e.against else {})}
                      for e in self.edges],
            "cancers": [asdict(c) for c in self.cancers],
            "left_out": [asdict(x) for x in self.left_out],
            "summaries": [{"parent": x.parent, "child": x.child, "sign": x.sign, "path": list(x.path),
                           "findings": [asdict(f) for f in x.findings]} for x in self.summaries],
            "fixed": [asdict(x) for x in self.fixed],
            "sources": [dict(x) for x in self.sources],
            **({"conflicts": [dict(x) for x in self.conflicts]} if self.conflicts else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSpec:
        def node(d: dict[str, Any]) -> Node:
            return Node(d["key"], d["iri"], d["label"], d["kind"], tuple(d.get("names", ())),
                        tuple(d.get("related", ())), tuple(d.get("broader", ())),
                        tuple(d.get("members", ())), bool(d.get("population", False)))

        def finding(d: dict[str, Any]) -> Finding:
            return Finding(
                finding=d["finding"], label=d["label"], source=d["source"], quote=d["quote"],
                kinds=tuple(d["kinds"]), review_refs=tuple(d["review_refs"]),
                studies=tuple(d["studies"]), diseases=tuple(d["diseases"]), note=d.get("note", ""),
                certainty=d.get("certainty", "asserted"), ref_studies=tuple(d.get("ref_studies", ())),
                origin=d.get("origin", "review"), direct_study=d.get("direct_study", ""),
            )

        edges = []
        for e in data["edges"]:
            if e["sign"] not in SIGNS:
                raise ValueError(f"sign {e['sign']!r}")
            relation = e.get("relation", "regulation")
            if relation not in RELATION_KINDS:
                raise ValueError(f"relation {relation!r}")
            edges.append(Edge(e["parent"], e["child"], e["sign"], tuple(finding(x) for x in e["findings"]),
                              relation, tuple(finding(x) for x in e.get("against", ()))))
        return cls(
            nodes=[node(n) for n in data["nodes"]],
            edges=edges,
            cancers=[node(c) for c in data.get("cancers", [])],
            graph_digest=data.get("graph_digest", ""),
            left_out=[LeftOut(x["iri"], x["label"], x["reason"]) for x in data.get("left_out", [])],
            summaries=[Summary(x["parent"], x["child"], x["sign"], tuple(finding(f) for f in x["findings"]),
                               tuple(x["path"])) for x in data.get("summaries", [])],
            fixed=[Fixed(x["key"], x["reason"]) for x in data.get("fixed", [])],
            sources=[dict(x) for x in data.get("sources", [])],
            conflicts=[dict(x) for x in data.get("conflicts", [])],
        )


def closure(starts: Iterable[str], step: Callable[[str], Iterable[str]], cut: Collection[str] = ()) -> set[str]:
    """The nodes ``starts`` and every node reached from them by ``step`` (a node's parents for its
    ancestors, its narrower terms for what falls under it), not stepping on from a node in ``cut``.

    >>> parents = {"c": ["b"], "b": ["a"], "a": []}
    >>> sorted(closure(["c"], parents.__getitem__)), sorted(closure(["c"], parents.__getitem__, cut={"b"}))
    (['a', 'b', 'c'], ['b', 'c'])
    """
    seen = set(starts)
    stack = list(seen)
    while stack:
        node = stack.pop()
        if node in cut:
            continue
        for other in step(node):
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def fold_name(text: str) -> str:
    """A name as names are compared: spaces collapsed, in any case.

    >>> fold_name("  Lung   Cancer ")
    'lung cancer'
    """
    return " ".join(text.split()).casefold()


_LONG_KEY = 32


def _key_of(iri: str, label: str) -> str:
    """A node's key: its label made an identifier, or, for a long label, the local name of its
    IRI in snake case where that is a name (``NichePhenotypicChangeInduction``)."""
    key = _sanitize(label)
    local = re.split(r"[/#]", iri)[-1]
    if len(key) > _LONG_KEY and re.fullmatch(r"[A-Z][A-Za-z0-9]+", local):
        return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", local).lower()
    return key


def _sanitize(label: str) -> str:
    key = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
    return key if key and not key[0].isdigit() else f"n_{key}"


# --------------------------------------------------------------------------- derivation

#: Why an entity with causal statements is not a node, by where it sits in the ontology.
_NOT_A_NODE = {
    "exosomes": "exosomes as such: every sample holds them, so observing them says nothing (the "
                "network has nodes for tumour-derived and CSC-derived exosomes)",
    "environment": "an environment every tumour has; its effects are part of each node's leak",
    "broad": "a broad class of molecules, which no measurement observes as such; its specific "
             "members are nodes where the review states their effects",
    "other": "not an entity the network can observe or infer (not a process, outcome, molecule, "
             "cell, cell state or exosome population)",
    "dead end": "none of its effects the review states leads to an outcome (metastasis, "
                "chemoresistance, recurrence, ...)",
    "no effect": "a molecule the review names (as cargo, a marker or a target), but none of its "
                 "statements says what it causes",
}
_FORM_WORDS = {"reduced": "repressed", "induced": "induced", "changed": "changed"}


def _rows(source: Any, name: str, endpoint: str | None) -> list[dict[str, str]]:
    from .query import load_named_query, run_query

    return run_query(source, load_named_query(name).text, endpoint=endpoint).plain_rows()


def derive_network(source: Any = None, graph_digest: str | None = None, *, endpoint: str | None = None
                   ) -> NetworkSpec:
    """Derive the network's structure from the graph: a pyoxigraph Store, an RDF file, an rdflib
    Graph, or (with ``endpoint``) a SPARQL server holding it.

    ``graph_digest`` names the graph version; by default it is a digest of the derived structure
    itself, so the same facts give the same file from any source. Raises :class:`BuildError`
    naming a cycle if there is one, or an edge the graph both asserts and contradicts.
    """
    import networkx as nx

    if source is not None and endpoint is None and not isinstance(source, (str, Path)):
        from .query import store_from_graph

        if not _is_store(source):
            source = store_from_graph(source)  # rdflib Graph: answered by Oxigraph, much faster
    entities = _entities(_rows(source, "network-nodes", endpoint))
    findings = _findings(_rows(source, "network-findings", endpoint))
    # (parent, child, sign) -> {finding: relation kind}
    edge_rows: dict[tuple[tuple[str, str], tuple[str, str], str], dict[str, str]] = defaultdict(dict)
    for row in _rows(source, "network-edges", endpoint):
        parent = (row["parent"], row.get("parentForm", ""))
        child = (row["child"], row.get("childForm", ""))
        kind = row.get("relationKind") or "regulation"
        # What acts is not always what is measured: a text claim about a molecule that exosomes
        # carry (p53 -> miR-200c -> EMT) concerns the molecule inside tumour cells unless its
        # context says exosomal; Table 3's transfer findings concern the exosomal cargo acting in
        # the recipient cell.
        if kind not in _TRANSFER_KINDS and row.get("context") != "exosomal":
            parent, child = _cellular(parent, entities), _cellular(child, entities)
        edge_rows[(parent, child, row["sign"])][row["finding"]] = kind

    # A gene acted on by a Table 3 miRNA is a gene effect in the recipient cell; the genes one
    # finding acts on in one direction are one mechanism, so they are one node.
    catalogued = {key: by_finding for key, by_finding in edge_rows.items()
                  if set(by_finding.values()) == {CATALOGUED}}
    for pair in catalogued:
        del edge_rows[pair]
    targeted = {child[0] for (parent, child, _s) in edge_rows if child[1] and parent[0] in entities
                and entities[parent[0]]["carried"]}
    edge_rows = _group_gene_effects(edge_rows, entities, targeted)
    # A catalogued interaction (a database's miRNA -> target record) supports a mechanism a
    # transfer finding states, on the edge from that miRNA to the gene effect holding the gene; it
    # adds no mechanism of its own.
    group_of = {(member, child[1]): child for (_p, child, _s) in edge_rows
                for member in entities.get(child[0], {}).get("members", (child[0],))}
    for (parent, child, sign), by_finding in catalogued.items():
        grouped = group_of.get(child)
        if grouped is not None and (parent, grouped, sign) in edge_rows:
            edge_rows[(parent, grouped, sign)].update(by_finding)
    targeted |= {iri for iri, info in entities.items() if info.get("members")}
    left_out: dict[str, LeftOut] = {}

    def role(entity: tuple[str, str]) -> str | None:
        iri, form = entity
        info = entities.get(iri)
        reason = "other"
        if info is not None:
            kinds = info["kinds"]
            if form == "cellular":
                return "state"
            if form:
                return "gene_effect" if iri in targeted else "state"
            if "outcome" in kinds:
                return "outcome"
            if "process" in kinds:
                return "process"
            if "vesicle" in kinds:
                if info["population"]:
                    return "cargo"
                reason = "exosomes"
            elif "molecule" in kinds:
                if info["carried"] and (info["specific"] or info["family"]):
                    return "cargo"
                if info["specific"]:
                    return "state"
                reason = "broad"
            elif "cell" in kinds or "state" in kinds:
                return "state"
            elif "environment" in kinds:
                reason = "environment"
        label = info["label"] if info else iri
        left_out.setdefault(iri, LeftOut(iri, label, _NOT_A_NODE[reason]))
        return None

    dag = nx.DiGraph()
    signs: dict[tuple[Any, Any], dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
    for (parent, child, sign), by_finding in edge_rows.items():
        parent_role, child_role = role(parent), role(child)
        if parent_role is None or child_role is None:
            continue
        dag.add_node(parent, role=parent_role)
        dag.add_node(child, role=child_role)
        dag.add_edge(parent, child)
        signs[(parent, child)][sign].update(by_finding)

    # No dead ends: keep only what reaches an outcome.
    outcomes = [n for n, data in dag.nodes(data=True) if data["role"] == "outcome"]
    keep = set(outcomes)
    for outcome in outcomes:
        keep |= nx.ancestors(dag, outcome)
    # A molecule in tumour cells is observed through its detection in exosomes: the measurement
    # links the two (exosomal cargo is what a sample shows).
    for entity in sorted(e for e in keep if e[1] == "cellular"):
        measured = (entity[0], "")
        dag.add_node(measured, role="cargo")
        dag.add_edge(entity, measured)
        signs[(entity, measured)]["+"]["measurement"] = "measurement"
        keep.add(measured)
    for entity in sorted(set(dag.nodes) - keep):
        iri = entity[0]
        label = _node_label(entities[iri]["label"], entity[1], dag.nodes[entity]["role"])
        left_out.setdefault(f"{iri}#{entity[1]}", LeftOut(iri, label, _NOT_A_NODE["dead end"]))
    sub = dag.subgraph(keep)
    try:
        cycle = nx.find_cycle(sub)
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        names = [_node_label(entities[a[0]]["label"], a[1], "") for a, _ in cycle]
        names.append(names[0])
        raise BuildError("cycle in the derived network: " + " -> ".join(names))

    # Cargo the graph knows but no causal statement involves: named, so that asking for it says why.
    in_network = {entity[0] for entity in sub.nodes}
    for iri, info in entities.items():
        if "molecule" in info["kinds"] and info["specific"] and iri not in in_network and iri not in left_out \
                and not any(x.iri == iri for x in left_out.values()):
            left_out[iri] = LeftOut(iri, info["label"], _NOT_A_NODE["no effect"])

    keys: dict[tuple[str, str], str] = {}
    nodes: list[Node] = []
    for entity in nx.lexicographical_topological_sort(sub, key=lambda e: f"{e[0]}#{e[1]}"):
        iri, form = entity
        info, kind = entities[iri], sub.nodes[entity]["role"]
        key = info["key"] if info["key"] and not form else _key_of(iri, info["label"])
        if info.get("members"):
            key = "_".join(_sanitize(entities[m]["label"]) for m in info["members"])
        if form:
            key = f"{key}_{_FORM_WORDS[form] if kind == 'gene_effect' else _STATE_WORDS.get(form, form)}"
        if key in keys.values():
            other = next(e for e, k in keys.items() if k == key)
            raise BuildError(f"two network nodes share the key {key!r}: {other[0]} and {iri}")
        keys[entity] = key
        if kind == "gene_effect":  # a gene by its symbol and, where the graph has one, its common name
            named = [common_name(entities[m]["label"], entities[m]["names"]) for m in info.get("members", ())]
            label = _node_label(", ".join(named[:-1]) + " and " + named[-1] if named
                                else common_name(info["label"], info["names"]), form, kind)
        else:
            label = _node_label(info["label"], form, kind)
        exact: tuple[str, ...] = () if form else tuple(sorted({info["label"], *info["names"]}))
        related: tuple[str, ...] = () if form else tuple(sorted(info["related"] - set(exact)))
        members = tuple(info.get("members", ()))
        nodes.append(Node(key, members[0] if members else iri, label, kind, exact, related,
                          members=members, population=kind == "cargo" and info["population"]))

    edges: list[Edge] = []
    for (parent, child), by_sign in sorted(signs.items(), key=lambda item: (keys.get(item[0][0], ""),
                                                                             keys.get(item[0][1], ""))):
        if parent not in keys or child not in keys:
            continue
        sign, against = _one_sign(by_sign, findings)
        by_finding = {f: kind for s, found in by_sign.items() if s not in against for f, kind in found.items()}
        relation = _one_relation(set(by_finding.values()), sign)
        behind = sorted(f for f in by_finding if f in findings)
        outweighed = sorted(f for s in against for f in by_sign[s] if f in findings)
        edges.append(Edge(keys[parent], keys[child], sign, tuple(findings[f] for f in behind), relation,
                          tuple(findings[f] for f in outweighed)))
    edges, summaries = _summaries(edges)
    spec = NetworkSpec(nodes=nodes, edges=edges, cancers=_cancers(_rows(source, "cancers", endpoint)),
                       left_out=sorted(left_out.values(), key=lambda x: (x.reason, x.label.lower(), x.iri)),
                       summaries=summaries)
    spec.fixed = fixed_nodes(spec)
    used = {f.origin for e in edges for f in (*e.findings, *e.against)} | {
        f.origin for x in summaries for f in x.findings}
    spec.sources = [{k: row.get(k) or "" for k in ("id", "kind", "title", "year", "release")}
                    for row in _rows(source, "sources", endpoint) if row["id"] in used]
    spec.conflicts = [conflict_record(row) for row in _rows(source, "sign-conflicts", endpoint)]
    spec.graph_digest = graph_digest if graph_digest is not None else digest(network_json(spec))
    return spec


#: The relation kind of a catalogued miRNA -> target interaction (a database record): evidence
#: for a targeting edge a transfer finding states, never an edge of its own.
CATALOGUED = "catalogued targeting"
#: Relation kinds of Table 3's transfer findings: they concern exosomal cargo.
_TRANSFER_KINDS = {"targeting", "gene effect", CATALOGUED}
_STATE_WORDS = {"reduced": "loss", "cellular": "cellular"}
#: Node kinds a sample can show: exosomal cargo, and the tumour's states (p53 loss, CSCs, ...).
OBSERVABLE_KINDS = ("cargo", "state")


def _cellular(entity: tuple[str, str], entities: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """A specific molecule that exosomes carry, named by a text claim: the molecule in tumour cells."""
    iri, form = entity
    info = entities.get(iri)
    if (not form and info is not None and "molecule" in info["kinds"] and info["carried"]
            and info["specific"]):
        return (iri, "cellular")
    return entity


def _group_gene_effects(edge_rows: dict[tuple[tuple[str, str], tuple[str, str], str], dict[str, str]],
                        entities: dict[str, dict[str, Any]], targeted: set[str]
                        ) -> dict[tuple[tuple[str, str], tuple[str, str], str], dict[str, str]]:
    """One gene-effect node per mechanism: the genes the same findings act on, in the same
    direction, become one node, so a finding that lists four targets gives its miRNA one effect on
    the row's function, as one that lists a single target does."""
    acted_on: dict[tuple[str, str], set[str]] = defaultdict(set)
    for (_parent, child, _sign), by_finding in edge_rows.items():
        if child[1] and child[1] != "cellular" and child[0] in targeted:
            acted_on[child] |= {f for f, kind in by_finding.items() if kind == "targeting"}
    groups: dict[tuple[frozenset[str], str], list[str]] = defaultdict(list)
    for (iri, form), found in acted_on.items():
        groups[(frozenset(found), form)].append(iri)
    rename: dict[tuple[str, str], tuple[str, str]] = {}
    for (_found, form), iris in groups.items():
        if len(iris) < 2:
            continue
        iris.sort(key=lambda i: (entities[i]["label"].casefold(), i))
        group = " ".join(iris)
        labels = [entities[i]["label"] for i in iris]
        entities[group] = {**entities[iris[0]], "label": ", ".join(labels[:-1]) + " and " + labels[-1],
                           "key": None, "names": set(), "related": set(), "members": tuple(iris)}
        for iri in iris:
            rename[(iri, form)] = (group, form)
    out: dict[tuple[tuple[str, str], tuple[str, str], str], dict[str, str]] = defaultdict(dict)
    for (parent, child, sign), by_finding in edge_rows.items():
        out[(rename.get(parent, parent), rename.get(child, child), sign)].update(by_finding)
    return out


def _one_relation(kinds: set[str], sign: str) -> str:
    """The mechanism an edge stands for, where its findings name several (a required parent is a
    necessity; otherwise the most specific: a transfer finding's, then a step, then regulation)."""
    if sign == "!":
        return "necessity"
    for kind in ("measurement", "targeting", "gene effect", "step", "regulation"):
        if kind in kinds:
            return kind
    return "regulation"


def _summaries(edges: list[Edge]) -> tuple[list[Edge], list[Summary]]:
    """Edges that summarise a two-step path of the same sign (A -> B -> C beside A -> C), taken
    out of the network and kept as summaries (see :class:`Summary`); a required parent and a
    measurement are never summaries.

    Edges are examined from the deepest parent up and, for one parent, nearest child first, each
    against the edges still kept, so every summary's path is in the network.
    """
    import networkx as nx

    graph = nx.DiGraph()
    for e in edges:
        graph.add_edge(e.parent, e.child, sign=-1 if e.sign == "-" else 1)
    depth = {n: i for i, n in enumerate(nx.lexicographical_topological_sort(graph))}
    removed: dict[str, tuple[str, ...]] = {}
    for e in sorted(edges, key=lambda e: (-depth[e.parent], depth[e.child], e.key)):
        if e.sign == "!" or e.relation == "measurement":
            continue
        sign = -1 if e.sign == "-" else 1
        # Through one node: the review states A -> B and B -> C, and A -> C is their summary.
        via = sorted(c for c in graph.successors(e.parent) if c != e.child and graph.has_edge(c, e.child)
                     and graph.edges[e.parent, c]["sign"] * graph.edges[c, e.child]["sign"] == sign)
        if via:
            graph.remove_edge(e.parent, e.child)
            removed[e.key] = (e.parent, via[0], e.child)
    kept = [e for e in edges if e.key not in removed]
    summaries = [Summary(e.parent, e.child, e.sign, e.findings, removed[e.key])
                 for e in edges if e.key in removed]
    return kept, summaries


def conflict_record(row: Mapping[str, str]) -> dict[str, Any]:
    """A row of ``queries/sign-conflicts.rq`` as the network file keeps it and answers show it:
    the object, and each side's subject, path in words, sources, context and finding.

    >>> r = conflict_record({"raisingSubject": "s", "raisingSubjectLabel": "miR-200 family",
    ...     "object": "o", "objectLabel": "metastasis", "raising": "f/a", "raisingFirst": "1",
    ...     "raisingSource": "le", "raisingContext": "exosomal", "loweringSubject": "t",
    ...     "loweringSubjectLabel": "miR-200c", "lowering": "f/b", "loweringFirst": "-1",
    ...     "loweringVia": "EMT", "loweringSource": "review", "loweringContext": "cellular"})
    >>> r["raising"]["path"], r["lowering"]["path"]
    ('miR-200 family -> metastasis', 'miR-200c -| EMT -> metastasis')
    """
    out: dict[str, Any] = {"object": row["object"]}
    target = row.get("objectLabel") or row["object"]
    for side, sign in (("raising", 1), ("lowering", -1)):
        first = int(row.get(f"{side}First") or sign)
        subject = row.get(f"{side}SubjectLabel") or row[f"{side}Subject"]
        via = row.get(f"{side}Via") or ""
        arrows = {1: "->", -1: "-|"}
        path = (f"{subject} {arrows[first]} {via} {arrows[sign * first]} {target}" if via
                else f"{subject} {arrows[first]} {target}")
        out[side] = {"subject": row[f"{side}Subject"], "path": path,
                     "sources": [row.get(f"{side}Source") or "review"],
                     "context": row.get(f"{side}Context") or "cellular", "finding": row[side]}
    return out


def describe_conflict(conflict: Mapping[str, Any]) -> str:
    """A conflict record in words, both sides with their sources and contexts."""
    def side(name: str) -> str:
        found = conflict[name]
        return f"{found['path']} ({found['context']} context; sources: {', '.join(found['sources'])})"

    return f"raising it, {side('raising')}; lowering it, {side('lowering')}"


def fixed_nodes(spec: NetworkSpec) -> list[Fixed]:
    """Nodes no observable node (``OBSERVABLE_KINDS``) can move: with nothing else observed, an
    observation of O moves X exactly when one causes the other or both share a cause (a trek
    between them), so X is fixed when no observable node is its ancestor, its descendant, or a
    descendant of one of its ancestors. Each such node stays at its reference prior unless it, or
    a node it leads to, is observed."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(spec.keys)
    graph.add_edges_from((e.parent, e.child) for e in spec.edges)
    observable = [n.key for n in spec.nodes if n.kind in OBSERVABLE_KINDS]
    causes = set(observable).union(*(nx.ancestors(graph, o) for o in observable))
    moved = causes.union(*(nx.descendants(graph, c) for c in causes))
    return [Fixed(n.key, "no exosomal cargo or tumour state causes it, is caused by it or shares a cause "
                         "with it: it stays at its reference prior unless it, or a node it leads to, is "
                         "observed")
            for n in spec.nodes if n.key not in moved]


def _is_store(source: Any) -> bool:
    try:
        import pyoxigraph
    except ImportError:  # pragma: no cover - a runtime dependency
        return False
    return isinstance(source, pyoxigraph.Store)


def common_name(symbol: str, names: Iterable[str]) -> str:
    """A gene symbol with the common name the graph gives it, ``TNFSF11 (RANKL)``: an exact synonym
    of one word that is not a spelling of the symbol (``MMP-13`` is MMP13) nor an abbreviation of
    another synonym (``VE-Cad`` of ``VE-cadherin``); where several remain, the one most often
    spelled, then the one with the fewest capitals. The symbol alone where there is none.

    >>> common_name("TNFSF11", ["RANKL"]), common_name("MMP13", ["MMP-13"])
    ('TNFSF11 (RANKL)', 'MMP13')
    >>> common_name("CDH5", ["VE-Cad", "VE-cadherin", "VE-Cadherin"])
    'CDH5 (VE-cadherin)'
    """
    def fold(name: str) -> str:
        return re.sub(r"[^a-z0-9]", "", name.casefold())

    words = [n for n in names if not re.search(r"\s", n) and fold(n) != fold(symbol)]
    folds = {fold(n) for n in words}
    words = [n for n in words if not any(f != fold(n) and f.startswith(fold(n)) for f in folds)]
    if not words:
        return symbol
    spellings = {f: sum(fold(n) == f for n in words) for f in folds}
    best = min(words, key=lambda n: (-spellings[fold(n)], sum(c.isupper() for c in n), n))
    return f"{symbol} ({best})"


def _node_label(label: str, form: str, kind: str) -> str:
    if not form:
        return label
    if form == "cellular":
        return f"{label} in tumour cells"
    if kind == "gene_effect":
        return {"reduced": f"{label} repressed in recipient cell",
                "induced": f"{label} induced in recipient cell",
                "changed": f"{label} changed in recipient cell (direction not stated)"}[form]
    return {"reduced": f"loss of {label} function", "induced": f"{label} raised",
            "changed": f"{label} changed"}[form]


def _one_sign(by_sign: dict[str, dict[str, str]], findings: dict[str, Finding]) -> tuple[str, set[str]]:
    """One sign for a pair, and the signs of the findings it outweighs (empty when none).

    Where the graph says both that a parent promotes a child and that the child needs it, the
    parent is a required one (its findings all weigh the edge). Where findings say it raises the
    child and others that it inhibits it (after context has put cellular and exosomal molecules on
    different nodes), the side with the greater belief (the shipped evidence parameters, INDRA's
    model) gives the edge its sign and the other side is kept as outweighed: the edge's belief is
    that of the stronger side given that not both are right (:func:`exoreason.model.edge_belief`).
    """
    raising = {s for s in by_sign if s in ("+", "!")}
    positive = "!" if "!" in raising else "+"
    if "-" not in by_sign:
        return positive, set()
    if not raising:
        return "-", set()
    from .model import edge_belief, load_parameters

    params = load_parameters()

    def belief(signs: set[str], sign: str) -> float:
        behind = tuple(findings[f] for s in sorted(signs) for f in sorted(by_sign[s]) if f in findings)
        return edge_belief(Edge("", "", sign, behind), params)

    if belief(raising, positive) >= belief({"-"}, "-"):
        return positive, {"-"}
    return "-", raising




def _entities(rows: Iterable[dict[str, str]]) -> dict[str, dict[str, Any]]:
    entities: dict[str, dict[str, Any]] = {}
    for row in rows:
        iri = row["entity"]
        info = entities.setdefault(iri, {"kinds": set(), "label": row["label"], "key": None,
                                         "names": set(), "related": set(), "carried": False,
                                         "specific": False, "family": False, "population": False})
        info["kinds"].add(row["kind"])
        if row.get("key"):
            info["key"] = row["key"]
        if row.get("name"):
            info["names" if row.get("nameType") == "exact" else "related"].add(row["name"])
        for flag in ("carried", "specific", "family", "population"):
            info[flag] |= row.get(f"is{flag.capitalize()}") == "true"
    return entities


def _findings(rows: Iterable[dict[str, str]]) -> dict[str, Finding]:
    collected: dict[str, dict[str, Any]] = {}
    for row in rows:
        f = collected.setdefault(row["finding"], {
            "label": row["label"], "source": row["source"], "quote": row["quote"],
            "note": row.get("note") or "", "certainty": row.get("certainty") or "asserted",
            "kinds": set(), "refs": set(), "ref_studies": set(), "studies": {}, "diseases": set(),
            "studied": set(), "origin": "", "direct": "",
        })
        if row.get("evidence"):
            f["kinds"].add(_obo_curie(row["evidence"]))
        if row.get("ref"):
            f["refs"].add(int(row["ref"]))
        if row.get("refStudy"):
            f["ref_studies"].add(row["refStudy"])
        if row.get("study"):
            f["studies"][row["study"]] = {
                "iri": row["study"], "title": row.get("studyTitle") or "", "year": row.get("studyYear") or "",
                "doi": row.get("studyDoi") or "", "pmid": row.get("studyPmid") or "",
            }
        if row.get("disease"):
            f["diseases"].add(row["disease"])
        if row.get("studiedDisease"):
            f["studied"].add(row["studiedDisease"])
        if row.get("fromSource"):
            f["origin"] = row["fromSource"].rsplit("/", 1)[-1]
            if row.get("sourceKind") == "primary study":
                f["direct"] = row.get("sourcePublication") or ""
    return {
        iri: Finding(
            finding=iri, label=f["label"], source=f["source"], quote=f["quote"],
            kinds=tuple(sorted(f["kinds"])), review_refs=tuple(sorted(f["refs"])),
            studies=tuple(f["studies"][k] for k in sorted(f["studies"])),
            # The disease a study is weighed by: the one it studied where known, else as printed.
            diseases=tuple(sorted(f["studied"] or f["diseases"])), note=f["note"],
            certainty=f["certainty"], ref_studies=tuple(sorted(f["ref_studies"])),
            origin=f["origin"] or "review", direct_study=f["direct"],
        )
        for iri, f in collected.items()
    }


def _obo_curie(iri: str) -> str:
    local = iri.rsplit("/", 1)[-1]
    return local.replace("_", ":", 1)


def _cancers(rows: Iterable[dict[str, str]]) -> list[Node]:
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        info = found.setdefault(row["cancer"], {"label": row["label"], "names": set(), "broader": set()})
        if row.get("synonym"):
            info["names"].add(row["synonym"])
        if row.get("broader"):
            info["broader"].add(row["broader"])
    return [
        Node(_sanitize(info["label"]), iri, info["label"], "cancer",
             tuple(sorted({info["label"], *info["names"]})), (), tuple(sorted(info["broader"])))
        for iri, info in sorted(found.items())
    ]


def network_json(spec: NetworkSpec) -> bytes:
    """The artefact's bytes: stable key order and indentation, so a rebuild is byte-identical."""
    return (json.dumps(spec.to_dict(), indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_json_file(path: Path, what: str, error: type[ExoreasonError], hint: str = "") -> Any:
    """A JSON file of exoreason's own (network, fitted model); missing or corrupt is one clear error."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: {what} not found{hint}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: not a valid {what} ({exc})") from None


def load_network(path: Path) -> NetworkSpec:
    """Read the network artefact; a missing or corrupt file is one clear error."""
    data = read_json_file(path, "network file", NetworkError, "; run `exoreason build`")
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise NetworkError(f"{path}: not a network file of format {FORMAT_VERSION}; run `exoreason build`")
    try:
        return NetworkSpec.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise NetworkError(f"{path}: malformed network file (missing {exc})") from None
