"""The network's structure, derived from the graph by the SPARQL queries in ``queries/network-*.rq``.

Nodes are exosomal cargo (observed present or absent), target-gene effects in the recipient cell
(the gene repressed), processes and outcomes. Edges are the causal findings of the graph, each
with its provenance. Nothing about the biology is written here: change the graph and the network
changes. The result is kept beside the ontology as ``exoreason-network.json`` so that inference
need not parse the graph.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import BuildError, ExoreasonError, NetworkError

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = [
    "Edge",
    "Finding",
    "Node",
    "NetworkSpec",
    "derive_network",
    "digest",
    "load_network",
    "network_json",
    "read_json_file",
]

FORMAT_VERSION = 1
_NODE_KINDS = ("cargo", "gene_effect", "process", "outcome")


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

    def study_keys(self) -> tuple[str, ...]:
        """What counts as one study: the primary study, else the review reference, else the review.

        A primary study cited several times by the review counts once.
        """
        if self.studies:
            return tuple(s["iri"] for s in self.studies)
        if self.review_refs:
            return tuple(f"review-ref-{r}" for r in self.review_refs)
        # A statement the review makes without a citation rests on the review alone.
        return ("the-review",)


@dataclass(frozen=True)
class Node:
    """A binary node: ``false`` then ``true``; its key is the same in BIF, CSV and JSON."""

    key: str
    iri: str
    label: str
    kind: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edge:
    """A signed causal edge with the curated findings behind it."""

    parent: str
    child: str
    sign: str  # "+" promotes, "-" inhibits
    findings: tuple[Finding, ...]

    @property
    def key(self) -> str:
        """``parent->child``: how parameter files and reports name the edge."""
        return f"{self.parent}->{self.child}"


@dataclass
class NetworkSpec:
    """The derived structure: nodes, signed edges with their evidence, and the known cancers."""

    nodes: list[Node]
    edges: list[Edge]
    cancers: list[Node] = field(default_factory=list)
    graph_digest: str = ""

    def node(self, key: str) -> Node:
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)

    def parents(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.child == key]

    def resolve(self, name: str, kinds: Collection[str] | None = None, what: str = "node") -> str:
        """The key of the node a name denotes: its key, label or a synonym, case-insensitive.

        ``kinds`` limits the answer to nodes of those kinds (e.g. ``("cargo",)``); ``what`` names
        them in the error, which suggests the closest names.

        >>> spec = NetworkSpec([Node("EMT", "iri", "epithelial to mesenchymal transition", "process")], [])
        >>> spec.resolve("emt"), spec.resolve("Epithelial to mesenchymal transition")
        ('EMT', 'EMT')
        """
        from .errors import InferenceError

        candidates = [n for n in self.nodes if kinds is None or n.kind in kinds]
        wanted = " ".join(name.split()).casefold()
        found = {n.key for n in candidates
                 if wanted in {" ".join(x.split()).casefold() for x in (n.key, n.label, *n.names)}}
        if len(found) == 1:
            return found.pop()
        if found:
            raise InferenceError(f"ambiguous {what} {name!r}: it names {', '.join(sorted(found))}")
        import difflib

        # Each suggested node once, by its key or label where those are close, else by a synonym.
        close: dict[str, str] = {}
        for names in ({x: n.key for n in candidates for x in (n.key, n.label)},
                      {x: n.key for n in candidates for x in n.names}):
            for x in difflib.get_close_matches(name, sorted(names), n=12, cutoff=0.6):
                close.setdefault(names[x], x)
        hint = f"; closest: {', '.join(list(close.values())[:3])}" if close else ""
        raise InferenceError(f"unknown {what} {name!r}{hint}")

    def ancestors(self, key: str) -> set[str]:
        """The node and every node with a directed path to it."""
        parents: dict[str, list[str]] = defaultdict(list)
        for e in self.edges:
            parents[e.child].append(e.parent)
        seen = {key}
        stack = [key]
        while stack:
            for parent in parents[stack.pop()]:
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return seen

    @property
    def keys(self) -> list[str]:
        return [n.key for n in self.nodes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "notice": "Generated by `exoreason build` from the graph; do not edit.",
            "graph_digest": self.graph_digest,
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [{"parent": e.parent, "child": e.child, "sign": e.sign,
                       "evidence": [asdict(f) for f in e.findings]} for e in self.edges],
            "cancers": [asdict(c) for c in self.cancers],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NetworkSpec:
        def node(d: dict[str, Any]) -> Node:
            return Node(d["key"], d["iri"], d["label"], d["kind"], tuple(d.get("names", ())))

        def finding(d: dict[str, Any]) -> Finding:
            return Finding(
                finding=d["finding"], label=d["label"], source=d["source"], quote=d["quote"],
                kinds=tuple(d["kinds"]), review_refs=tuple(d["review_refs"]),
                studies=tuple(d["studies"]), diseases=tuple(d["diseases"]), note=d.get("note", ""),
            )

        return cls(
            nodes=[node(n) for n in data["nodes"]],
            edges=[Edge(e["parent"], e["child"], e["sign"], tuple(finding(x) for x in e["evidence"]))
                   for e in data["edges"]],
            cancers=[node(c) for c in data.get("cancers", [])],
            graph_digest=data.get("graph_digest", ""),
        )


def _sanitize(label: str) -> str:
    key = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")
    return key if key and not key[0].isdigit() else f"n_{key}"


def _query(graph: Graph, name: str) -> list[dict[str, Any]]:
    from .query import load_named_query, run_select

    return run_select(graph, load_named_query(name).text)


def derive_network(graph: Graph, graph_digest: str = "") -> NetworkSpec:
    """Derive the network's structure from a built graph.

    Keeps the nodes reachable from an exosomal cargo: causes that exosomes do not carry are
    absorbed into each node's leak. Raises :class:`BuildError` naming a cycle if there is one.
    """
    import networkx as nx

    entities: dict[str, dict[str, Any]] = {}
    for row in _query(graph, "network-nodes"):
        iri = row["entity"]
        info = entities.setdefault(iri, {"kinds": set(), "label": row["label"], "key": None,
                                         "names": set(), "cargo": False, "target": False})
        info["kinds"].add(row["kind"])
        if row.get("key"):
            info["key"] = row["key"]
        if row.get("synonym"):
            info["names"].add(row["synonym"])
        info["cargo"] |= row.get("isCargo") == "true"
        info["target"] |= row.get("isTarget") == "true"

    findings = _findings(graph)
    edge_rows: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for row in _query(graph, "network-edges"):
        edge_rows[(row["parent"], row["child"], row["sign"])].append(row["finding"])

    def role(iri: str) -> str | None:
        info = entities.get(iri)
        if info is None:
            return None
        if "outcome" in info["kinds"]:
            return "outcome"
        if "process" in info["kinds"]:
            return "process"
        if info["target"]:
            return "gene_effect"
        if info["cargo"]:
            return "cargo"
        return None

    dag = nx.DiGraph()
    for (parent, child, _sign), _ in edge_rows.items():
        if role(parent) and role(child) and role(child) != "cargo":
            dag.add_edge(parent, child)
    roots = [n for n in dag.nodes if role(n) == "cargo"]
    keep: set[str] = set(roots)
    for root in roots:
        keep |= nx.descendants(dag, root)
    sub = dag.subgraph(keep)
    try:
        cycle = nx.find_cycle(sub)
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        names = [entities[a]["label"] for a, _ in cycle] + [entities[cycle[0][0]]["label"]]
        raise BuildError("cycle in the derived network: " + " -> ".join(names))

    keys: dict[str, str] = {}
    nodes: list[Node] = []
    for iri in nx.lexicographical_topological_sort(sub):
        info, kind = entities[iri], role(iri)
        assert kind is not None
        base = info["key"] or _sanitize(info["label"])
        label = info["label"]
        if kind == "gene_effect":
            base, label = f"{_sanitize(info['label'])}_repressed", f"{info['label']} repressed in recipient cell"
        if base in keys.values():
            other = next(i for i, k in keys.items() if k == base)
            raise BuildError(f"two network nodes share the key {base!r}: {other} and {iri}")
        keys[iri] = base
        names = tuple(sorted({info["label"], *info["names"]}))
        nodes.append(Node(base, iri, label, kind, names))

    edges: list[Edge] = []
    for (parent, child, sign), finding_iris in sorted(edge_rows.items()):
        if parent in keys and child in keys:
            behind = tuple(findings[f] for f in sorted(set(finding_iris)) if f in findings)
            edges.append(Edge(keys[parent], keys[child], sign, behind))
    _check_signs(edges)
    return NetworkSpec(nodes=nodes, edges=edges, cancers=_cancers(graph), graph_digest=graph_digest)


def _check_signs(edges: list[Edge]) -> None:
    """A parent that both promotes and inhibits the same child is a contradiction to resolve in curation."""
    signs: dict[tuple[str, str], set[str]] = defaultdict(set)
    for e in edges:
        signs[(e.parent, e.child)].add(e.sign)
    for (parent, child), found in signs.items():
        if len(found) > 1:
            raise BuildError(f"the graph says {parent} both promotes and inhibits {child}")


def _findings(graph: Graph) -> dict[str, Finding]:
    collected: dict[str, dict[str, Any]] = {}
    for row in _query(graph, "network-findings"):
        f = collected.setdefault(row["finding"], {
            "label": row["label"], "source": row["source"], "quote": row["quote"],
            "note": row.get("note") or "", "kinds": set(), "refs": set(), "studies": {}, "diseases": set(),
        })
        if row.get("evidence"):
            f["kinds"].add(_obo_curie(row["evidence"]))
        if row.get("ref"):
            f["refs"].add(int(row["ref"]))
        if row.get("study"):
            f["studies"][row["study"]] = {
                "iri": row["study"], "title": row["studyTitle"], "year": row["studyYear"],
                "doi": row.get("studyDoi") or "", "pmid": row.get("studyPmid") or "",
            }
        if row.get("disease"):
            f["diseases"].add(row["disease"])
    return {
        iri: Finding(
            finding=iri, label=f["label"], source=f["source"], quote=f["quote"],
            kinds=tuple(sorted(f["kinds"])), review_refs=tuple(sorted(f["refs"])),
            studies=tuple(f["studies"][k] for k in sorted(f["studies"])),
            diseases=tuple(sorted(f["diseases"])), note=f["note"],
        )
        for iri, f in collected.items()
    }


def _obo_curie(iri: str) -> str:
    local = iri.rsplit("/", 1)[-1]
    return local.replace("_", ":", 1)


def _cancers(graph: Graph) -> list[Node]:
    found: dict[str, dict[str, Any]] = {}
    for row in _query(graph, "cancers"):
        info = found.setdefault(row["cancer"], {"label": row["label"], "names": set()})
        if row.get("synonym"):
            info["names"].add(row["synonym"])
    return [
        Node(_sanitize(info["label"]), iri, info["label"], "cancer",
             tuple(sorted({info["label"], *info["names"]})))
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
