"""``exoreason build``: sources to release files, and the check that the release is current.

The edit file and the templates become ``exoreason.owl`` (the OWL 2 DL ontology, RDF/XML, for
Protégé and reasoners) and ``exoreason-kg.ttl`` (the knowledge-graph release: the ontology plus the
direct edges its existential axioms imply, for SPARQL); the network derived from the knowledge
graph becomes ``exoreason-network.json``; the knowledge graph gives the entailed graph (``query
--reason``) and ``docs/vocabulary.md``. The outputs are deterministic, so a test can rebuild and
compare them with the committed files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .network import derive_network, digest, network_json
from .ontology import build_graph, knowledge_graph, render_release, stable_copy, write_files_atomically
from .resources import KG_FILE, NETWORK_FILE, OWL_FILE, ontology_dir

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["BuildReport", "build", "stale_files"]


@dataclass(frozen=True)
class BuildReport:
    """What a build produced."""

    outputs: dict[Path, bytes]
    triples: int
    nodes: int
    edges: int
    written: bool


def _render(directory: Path) -> tuple[dict[Path, bytes], int, int, int]:
    ontology = build_graph(directory)
    kg = knowledge_graph(ontology)
    release = render_release(ontology, kg)
    spec = derive_network(kg, graph_digest=digest(release.kg))
    outputs = {
        directory / OWL_FILE: release.owl,
        directory / KG_FILE: release.kg,
        directory / NETWORK_FILE: network_json(spec),
    }
    _add_query_outputs(directory, outputs, kg)
    return outputs, len(kg), len(spec.nodes), len(spec.edges)


def _add_query_outputs(directory: Path, outputs: dict[Path, bytes], kg: Graph) -> None:
    """What SPARQL users get from the graph queries read: its OWL 2 RL closure (for --reason)
    and the vocabulary page (docs/vocabulary.md, in a source checkout)."""
    from .reasoning import entailed_ntriples
    from .resources import ENTAILED_FILE, QUERY_GRAPH_FILE
    from .vocabulary_page import page_path, vocabulary_markdown

    queried = outputs[directory / QUERY_GRAPH_FILE]
    outputs[directory / ENTAILED_FILE] = entailed_ntriples(stable_copy(kg))
    page = page_path(directory)
    if page is not None:
        outputs[page] = vocabulary_markdown(queried, f"ontology/{QUERY_GRAPH_FILE}")


def build(directory: Path | None = None, *, write: bool = True) -> BuildReport:
    """Build the release files of an ontology directory, written whole or not at all."""
    directory = directory or ontology_dir()
    outputs, triples, nodes, edges = _render(directory)
    if write:
        write_files_atomically(outputs)
    return BuildReport(outputs, triples, nodes, edges, write)


def stale_files(directory: Path | None = None) -> list[Path]:
    """The release files that differ from what the sources build to now."""
    report = build(directory, write=False)
    return [path for path, data in report.outputs.items()
            if not path.is_file() or path.read_bytes() != data]
