"""``exoreason build``: sources to release files, and the check that the release is current.

The edit file and the templates become ``exoreason.owl`` (RDF/XML, for Protégé) and
``exoreason.ttl``; the network derived from that graph becomes ``exoreason-network.json``; the
graph SPARQL reads gives the entailed graph (``query --reason``) and ``docs/vocabulary.md``. The
outputs are deterministic, so a test can rebuild and compare them with the committed files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .network import derive_network, digest, network_json
from .ontology import build_graph, render_release, write_files_atomically
from .resources import NETWORK_FILE, OWL_FILE, TTL_FILE, ontology_dir

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
    graph = build_graph(directory)
    release = render_release(graph)
    spec = derive_network(graph, graph_digest=digest(release.ttl))
    outputs = {
        directory / OWL_FILE: release.owl,
        directory / TTL_FILE: release.ttl,
        directory / NETWORK_FILE: network_json(spec),
    }
    _add_query_outputs(directory, outputs)
    return outputs, len(graph), len(spec.nodes), len(spec.edges)


def _add_query_outputs(directory: Path, outputs: dict[Path, bytes]) -> None:
    """What SPARQL users get from the graph queries read: its OWL 2 RL closure (for --reason)
    and the vocabulary page (docs/vocabulary.md, in a source checkout)."""
    from .reasoning import entailed_ntriples
    from .resources import ENTAILED_FILE, QUERY_GRAPH_FILE
    from .vocabulary_page import page_path, vocabulary_markdown

    queried = outputs[directory / QUERY_GRAPH_FILE]
    outputs[directory / ENTAILED_FILE] = entailed_ntriples(queried)
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
