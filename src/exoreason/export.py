"""Exporting the ontology and the network for other tools.

``owl`` and ``ttl`` are the built ontology (RDF/XML as built, and the same as Turtle); ``bif`` and
``xmlbif`` the Bayesian network (pgmpy writers; variable names are the node keys, states ``false``
then ``true``), readable by pgmpy and pyAgrum; ``dot`` (Graphviz) and ``graphml`` (Cytoscape,
Gephi, yEd) the network's structure: nodes with their labels and kinds, signed edges with their
strengths and findings. Tools choose their reader by the file's extension (pyAgrum reads XMLBIF
only from ``.bifxml``): :data:`EXTENSIONS` lists what each format wants, and
:func:`extension_warning` says when a file name does not match.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import InputError
from .files import write_output
from .resources import OWL_FILE, ontology_dir

__all__ = [
    "EXPORT_FORMATS",
    "EXTENSIONS",
    "export",
    "extension_warning",
    "network_dot",
    "network_graph",
    "network_graphml",
    "network_text",
]

EXPORT_FORMATS = ("owl", "ttl", "bif", "xmlbif", "dot", "graphml", "kgx")
NETWORK_FORMATS = ("bif", "xmlbif", "dot", "graphml")

#: The file extensions other tools expect of each format (the first is the one to use), and why.
#: pyAgrum's ``loadBN`` picks its reader by the extension and knows ``.bif`` and ``.bifxml`` (not
#: ``.xml`` or ``.xmlbif``); pgmpy's readers take any name.
EXTENSIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "owl": ((".owl", ".rdf"), "Protégé and OWL tools take RDF/XML from .owl"),
    "ttl": ((".ttl",), "RDF tools take Turtle from .ttl"),
    "bif": ((".bif",), "pyAgrum reads BIF only from a .bif file"),
    "xmlbif": ((".bifxml",), ("pyAgrum reads XMLBIF only from a .bifxml file (it refuses .xml and .xmlbif); "
                              "pgmpy reads any name")),
    "dot": ((".dot", ".gv"), "Graphviz files are named .dot or .gv"),
    "graphml": ((".graphml",), "Gephi and Cytoscape import GraphML from .graphml"),
    "kgx": (("",), "KGX reads a directory holding nodes.tsv and edges.tsv"),
}


def network_text(model: object, fmt: str) -> str:
    """A pgmpy model as BIF or XMLBIF text."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.readwrite import BIFWriter, XMLBIFWriter

    if fmt == "bif":
        return str(BIFWriter(model))
    return str(XMLBIFWriter(model))


_KIND_COLOURS = {"cargo": "#fde0c5", "gene_effect": "#e5e5e5", "process": "#cfe2f3", "outcome": "#f4cccc"}


def extension_warning(fmt: str, output: Path) -> str | None:
    """A warning when ``output``'s extension is not the one tools expect of ``fmt`` (the file is
    written all the same), else None.

    >>> extension_warning("xmlbif", Path("net.xmlbif"))
    'net.xmlbif: XMLBIF is read from .bifxml: pyAgrum reads XMLBIF only from a .bifxml file (it refuses .xml and .xmlbif); pgmpy reads any name'
    >>> extension_warning("bif", Path("net.BIF")) is None
    True
    """
    expected, why = EXTENSIONS[fmt]
    if output.suffix.lower() in expected:
        return None
    return f"{output.name}: {fmt.upper()} is read from {' or '.join(expected)}: {why}"


def _findings_text(findings: Any) -> str:
    from .present import short_citation

    seen: list[str] = []
    for finding in findings:
        text = short_citation(finding)
        if text not in seen:
            seen.append(text)
    return "; ".join(seen)


def network_graph(reasoner: Any) -> Any:
    """The network as a networkx DiGraph: node attributes key, label, iri, kind; edge attributes
    sign (``+`` promotes, ``-`` inhibits), strength and findings (``Table 3, ref 27; ...``)."""
    import networkx as nx

    from .present import finding_record

    graph = nx.DiGraph()
    for node in reasoner.spec.nodes:
        graph.add_node(node.key, key=node.key, label=node.label, iri=node.iri, kind=node.kind)
    for edge in reasoner.spec.edges:
        findings = [finding_record(f, reasoner.params) for f in edge.findings]
        graph.add_edge(edge.parent, edge.child, sign=edge.sign,
                       strength=float(reasoner.compiled.strengths.get((edge.parent, edge.child), 0.0)),
                       findings=_findings_text(findings))
    return graph


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def network_dot(reasoner: Any) -> str:
    """Graphviz DOT text: labelled nodes coloured by kind; promoting edges black with a normal
    arrowhead, inhibiting edges red and dashed with a tee; each edge labelled with its strength."""
    graph = network_graph(reasoner)
    lines = ["digraph exoreason {", "  rankdir=LR;",
             '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    for key, data in graph.nodes(data=True):
        lines.append(f"  {_dot_string(key)} [label={_dot_string(data['label'])}, "
                     f"fillcolor={_dot_string(_KIND_COLOURS.get(data['kind'], '#ffffff'))}, "
                     f"kind={_dot_string(data['kind'])}, URL={_dot_string(data['iri'])}];")
    for parent, child, data in graph.edges(data=True):
        style = ('color="#c0392b", style=dashed, arrowhead=tee' if data["sign"] == "-"
                 else 'color="#333333", arrowhead=normal')
        strength = f"{data['strength']:.2f}"
        lines.append(f"  {_dot_string(parent)} -> {_dot_string(child)} [{style}, "
                     f"label={_dot_string(strength)}, "
                     f"tooltip={_dot_string(data['findings'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def network_graphml(reasoner: Any) -> bytes:
    """GraphML (networkx's writer) for Cytoscape, Gephi and yEd."""
    import io

    import networkx as nx

    buffer = io.BytesIO()
    nx.write_graphml(network_graph(reasoner), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def export(fmt: str, output: Path, *, reasoner: object | None = None, force: bool = False) -> None:
    """Write the ontology (``owl``, ``ttl``), the network (``bif``, ``xmlbif``, ``dot``,
    ``graphml``) to ``output``, or the knowledge graph as KGX TSV (``kgx``) into the directory
    ``output``."""
    fmt = fmt.lower()
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if fmt == "kgx":
        from .kgx import write_kgx

        write_kgx(output, force=force)
        return
    if fmt in ("owl", "ttl"):
        source = ontology_dir() / OWL_FILE
        try:
            data = source.read_bytes()
        except OSError:
            raise InputError(f"{source} not found; run `exoreason build`") from None
        if fmt == "ttl":
            from .ontology import ontology_turtle

            data = ontology_turtle(source)
    else:
        from .inference import Reasoner

        r = reasoner if isinstance(reasoner, Reasoner) else Reasoner.from_files()
        if fmt == "dot":
            data = network_dot(r).encode()
        elif fmt == "graphml":
            data = network_graphml(r)
        else:
            data = network_text(r.compiled.to_pgmpy(), fmt).encode()
    write_output(output, data, force)
