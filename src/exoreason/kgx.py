"""The knowledge graph as KGX TSV: ``nodes.tsv`` and ``edges.tsv`` with Biolink categories and
predicates, for merging into Biolink graphs (Monarch, RTX-KG2, ...).

Which entity gets which category, and which relation which predicate and qualifiers, is data in
the named queries ``kgx-nodes`` and ``kgx-edges``; this module reads them, writes the two files
in KGX's TSV layout (one header line, ``|`` between the values of a multivalued cell), and
identifies every node by its CURIE in the project's prefix map. An edge is one class axiom built
from one finding: the finding is its supporting document, the review and the primary study its
publications, the evidence kind its ``has_evidence``, the review's words its supporting text.
Every assertion was curated by hand from the literature: knowledge level ``knowledge_assertion``
(``prediction`` for a hypothesis), agent type ``manual_agent``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BuildError, InputError
from .prefixes import BINDINGS
from .prefixes import curie as _curie

__all__ = ["EDGE_COLUMNS", "NODE_COLUMNS", "KgxGraph", "kgx_graph", "kgx_tsv", "write_kgx"]

NODE_COLUMNS = ("id", "category", "name", "synonym", "iri")
EDGE_COLUMNS = ("id", "subject", "predicate", "object", "subject_direction_qualifier",
                "object_aspect_qualifier", "object_direction_qualifier", "original_predicate",
                "supporting_documents", "publications", "has_evidence", "supporting_text",
                "knowledge_level", "agent_type")

#: The certainties (``exo:certainty``) of a finding that state a prediction, not an assertion.
_PREDICTIONS = frozenset({"hypothesis"})


def compress(iri: str) -> str:
    """An IRI as a CURIE of the prefix map's canonical prefixes (the IRI itself where none fits)."""
    return _curie(iri, BINDINGS)


@dataclass
class KgxGraph:
    """Nodes and edges as KGX rows (column name to text; multivalued cells as lists)."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def kgx_graph(source: Any = None) -> KgxGraph:
    """The KGX nodes and edges of the knowledge graph (``source``: a store or graph file as
    :func:`exoreason.query.run_query` takes; the release by default)."""
    from .query import load_named_query, release_store, run_query

    store = source if source is not None else release_store()
    edge_rows = run_query(store, load_named_query("kgx-edges").text).plain_rows()
    node_rows = run_query(store, load_named_query("kgx-nodes").text).plain_rows()

    unmapped = sorted({compress(r["relation"]) for r in edge_rows if not r.get("predicate")})
    if unmapped:
        raise BuildError(f"no Biolink predicate for the relation(s) {', '.join(unmapped)}; "
                         "add them to queries/kgx-edges.rq")

    edges: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in edge_rows:
        key = (row["subject"], row["predicate"], row["object"], row["finding"])
        edge = edges.get(key)
        if edge is None:
            subject, obj, finding = compress(row["subject"]), compress(row["object"]), compress(row["finding"])
            edge = edges[key] = {
                "id": "",
                "subject": subject, "predicate": row["predicate"], "object": obj,
                "subject_direction_qualifier": _text(row.get("subjectDirection")),
                "object_aspect_qualifier": _text(row.get("objectAspect")),
                "object_direction_qualifier": _text(row.get("objectDirection")),
                "original_predicate": compress(row["relation"]),
                "supporting_documents": [finding], "publications": [], "has_evidence": [],
                "supporting_text": [], "knowledge_level": "knowledge_assertion",
                "agent_type": "manual_agent",
            }
        if row.get("certainty") in _PREDICTIONS:
            edge["knowledge_level"] = "prediction"
        for column, value in (("has_evidence", row.get("evidence") and compress(row["evidence"])),
                              ("supporting_text", row.get("quote")),
                              ("publications", row.get("pmid") and f"PMID:{row['pmid']}"),
                              ("publications", row.get("doi") and f"doi:{row['doi']}")):
            if value and value not in edge[column]:
                edge[column].append(value)

    ends = {e["subject"] for e in edges.values()} | {e["object"] for e in edges.values()}
    described: dict[str, dict[str, Any]] = {}
    ranks: dict[str, float] = defaultdict(lambda: float("inf"))
    for row in node_rows:
        node_id = compress(row["node"])
        if node_id not in ends:
            continue
        node = described.setdefault(node_id, {"id": node_id, "category": ["biolink:NamedThing"],
                                              "name": row["label"], "synonym": [], "iri": row["node"]})
        if row.get("synonym") and row["synonym"] not in node["synonym"]:
            node["synonym"].append(row["synonym"])
        if row.get("category") and float(row["rank"]) < ranks[node_id]:
            ranks[node_id] = float(row["rank"])
            node["category"] = [row["category"]]
    missing = sorted(ends - described.keys())
    if missing:
        raise BuildError(f"edge ends without a labelled class: {', '.join(missing[:5])}")
    ordered = sorted(edges.values(), key=lambda e: (e["supporting_documents"][0], e["subject"],
                                                    e["predicate"], e["object"]))
    counts: dict[str, int] = defaultdict(int)
    for edge in ordered:  # an edge's id: its finding's and its place among the finding's edges
        finding = edge["supporting_documents"][0]
        counts[finding] += 1
        edge["id"] = f"{finding}-e{counts[finding]}"
    return KgxGraph(nodes=[described[k] for k in sorted(described)], edges=ordered)


def _cell(value: Any) -> str:
    text = "|".join(str(v).replace("|", "/") for v in value) if isinstance(value, list) else str(value)
    # KGX TSV has no quoting: a tab or line break inside a value would break the row.
    return " ".join(text.split()) if "\t" in text or "\n" in text else text


def kgx_tsv(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> bytes:
    """Rows as KGX TSV: a header line, then one line per row; lists joined with ``|``."""
    lines = ["\t".join(columns)]
    lines += ["\t".join(_cell(row.get(c, "")) for c in columns) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_kgx(directory: Path, *, force: bool = False, source: Any = None) -> list[Path]:
    """Write ``nodes.tsv`` and ``edges.tsv`` into ``directory`` (created if missing), whole or
    not at all; existing files are kept unless ``force``."""
    from .files import write_files_atomically

    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory} is a file; --format kgx writes a directory (nodes.tsv, edges.tsv)")
    targets = [directory / "nodes.tsv", directory / "edges.tsv"]
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise InputError(f"{', '.join(existing)} exists; use --force to overwrite")
    graph = kgx_graph(source)
    directory.mkdir(parents=True, exist_ok=True)
    write_files_atomically({targets[0]: kgx_tsv(graph.nodes, NODE_COLUMNS),
                            targets[1]: kgx_tsv(graph.edges, EDGE_COLUMNS)})
    return targets
