"""``docs/vocabulary.md``: every class and property a query may use, generated from the graph.

``exoreason build`` writes the page from the graph SPARQL reads
(:data:`~exoreason.resources.QUERY_GRAPH_FILE`): the predefined prefixes; every property used or
declared there with its label, IRI, definition or comment, kind, domain, range, parent and inverse,
how many statements use it, and an example query (run here on Oxigraph, so every example answers);
and the class hierarchy, each class with its label, CURIE and definition. Nothing on the page is
written by hand, so it follows the ontology as it changes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .prefixes import OBO, OWL, RDF, RDFS, SPARQL_PREFIXES, curie

if TYPE_CHECKING:
    import pyoxigraph

__all__ = ["PAGE", "page_path", "vocabulary_markdown"]

#: The page's file name, in the docs/ directory beside the ontology directory.
PAGE = "vocabulary.md"

_DEFINITION = OBO + "IAO_0000115"
_KINDS = {OWL + "ObjectProperty": "object property", OWL + "DatatypeProperty": "datatype property",
          OWL + "AnnotationProperty": "annotation property"}
_W3C = (RDF, RDFS, OWL)


def page_path(ontology_directory: Path) -> Path | None:
    """Where the page of an ontology directory goes: ``docs/vocabulary.md`` beside it, when
    there is such a docs/ directory (a source checkout); otherwise nowhere."""
    docs = ontology_directory.parent / "docs"
    return docs / PAGE if docs.is_dir() else None


@dataclass
class _Graph:
    """What the page says, read from the graph's triples."""

    labels: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)  # definition, else comment
    types: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    parents: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    links: defaultdict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    uses: Counter[str] = field(default_factory=Counter)
    literal_objects: Counter[str] = field(default_factory=Counter)
    unlabelled: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _read(store: pyoxigraph.Store) -> _Graph:
    import pyoxigraph

    g = _Graph()
    comments: dict[str, str] = {}
    statements: list[tuple[str, Any, str]] = []
    for quad in store.quads_for_pattern(None, None, None):
        s, p, o = quad.subject, quad.predicate.value, quad.object
        subject = s.value if isinstance(s, pyoxigraph.NamedNode) else str(s)  # "_:..." for blank nodes
        g.uses[p] += 1
        statements.append((subject, o, p))
        if isinstance(o, pyoxigraph.Literal):
            g.literal_objects[p] += 1
            if p == RDFS + "label" and (o.language in (None, "", "en")):
                g.labels.setdefault(subject, o.value)
            elif p == _DEFINITION:
                g.notes.setdefault(subject, o.value)
            elif p == RDFS + "comment":
                comments.setdefault(subject, o.value)
            continue
        if not isinstance(o, pyoxigraph.NamedNode):
            continue
        if p == RDF + "type":
            g.types[subject].add(o.value)
        elif p == RDFS + "subClassOf" or p == RDFS + "subPropertyOf":
            g.parents[subject].add(o.value)
        elif p in (RDFS + "domain", RDFS + "range", OWL + "inverseOf"):
            g.links[(subject, p)].add(o.value)
    for subject, note in comments.items():
        g.notes.setdefault(subject, note)
    for subject, o, p in statements:
        if subject not in g.labels:
            g.unlabelled["subject"].add(p)
        if isinstance(o, pyoxigraph.BlankNode) or (isinstance(o, pyoxigraph.NamedNode)
                                                    and o.value not in g.labels):
            g.unlabelled["object"].add(p)
    return g


def _name(g: _Graph, iri: str) -> str:
    """``label (`CURIE`)``, or the CURIE alone for an entity without a label."""
    short = f"`{curie(iri, SPARQL_PREFIXES)}`"
    label = g.labels.get(iri)
    return f"{_text(label)} ({short})" if label else short


def _text(text: str) -> str:
    """Text for a Markdown line: one line, no table or emphasis syntax taken literally."""
    return " ".join(text.split()).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def _example(g: _Graph, prop: str) -> str:
    """A query listing the property's statements, with labels where every one has them."""
    short = curie(prop, SPARQL_PREFIXES)
    literal = g.literal_objects[prop] == g.uses[prop]
    subject_label = prop not in g.unlabelled["subject"] and prop != RDFS + "label"
    object_label = not literal and prop not in g.unlabelled["object"]
    subject = "?subject" if subject_label else "?s"
    obj = "?value" if literal else "?object" if object_label else "?o"
    lines = [f"SELECT {subject} {obj} WHERE {{",
             f"  ?s {short} {'?value' if literal else '?o'} ."]
    if subject_label:
        lines.append("  ?s rdfs:label ?subject .")
    if object_label:
        lines.append("  ?o rdfs:label ?object .")
    lines += ["}", f"ORDER BY {subject} {obj}", "LIMIT 10"]
    return "\n".join(lines)


def _first_answer(store: pyoxigraph.Store, query: str) -> str:
    """The example's first row in a fixed order, or "" (a test requires every example to answer).

    SPARQL orders blank nodes as the engine likes, so every row is rendered (a blank node as
    ``[]``) and the smallest is shown: the page is the same at every build.
    """
    import pyoxigraph

    solutions: Any = store.query(query.replace("\nLIMIT 10", ""), prefixes=SPARQL_PREFIXES)
    rows = []
    for solution in solutions:
        cells = []
        for term in solution:
            if isinstance(term, pyoxigraph.NamedNode):
                cells.append(f"`{curie(term.value, SPARQL_PREFIXES)}`")
            elif isinstance(term, pyoxigraph.BlankNode):
                cells.append("[]")
            elif term is not None:
                value = " ".join(term.value.split())
                cells.append(_text(value if len(value) <= 70 else value[:67] + "..."))
        rows.append(" → ".join(cells))
    return min(rows, default="")


def _properties(g: _Graph, store: pyoxigraph.Store) -> list[str]:
    declared = {iri for iri, kinds in g.types.items() if kinds & set(_KINDS)}
    props = sorted(declared | set(g.uses), key=lambda p: (g.labels.get(p, curie(p, SPARQL_PREFIXES)).lower(), p))
    out = ["## Properties", "",
           ("Every property declared in the graph or used by one of its statements, by label. Each "
            "example runs as written (`exoreason query 'SELECT ...'`): the prefixes above need no "
            "declaration."), ""]
    for prop in props:
        kinds = sorted(_KINDS[k] for k in g.types.get(prop, set()) if k in _KINDS)
        kind = ", ".join(kinds) or ("RDF, RDFS or OWL built-in" if prop.startswith(_W3C) else "undeclared")
        out += [f"### {_name(g, prop)}", ""]
        if prop in g.notes:
            out += [_text(g.notes[prop]), ""]
        facts = [f"- IRI: <{prop}>", f"- Kind: {kind}"]
        for what, predicate in (("Domain", RDFS + "domain"), ("Range", RDFS + "range"),
                                ("Inverse", OWL + "inverseOf")):
            values = sorted(g.links.get((prop, predicate), set()))
            if values:
                facts.append(f"- {what}: " + ", ".join(_name(g, v) for v in values))
        parents = sorted(g.parents.get(prop, set()))
        if parents:
            facts.append("- Parent: " + ", ".join(_name(g, v) for v in parents))
        count = g.uses[prop]
        facts.append(f"- Statements: {count}" if count else "- Statements: none (declared only)")
        out += facts + [""]
        if count:
            example = _example(g, prop)
            out += ["```sparql", example, "```", ""]
            first = _first_answer(store, example)
            out += [f"First answer: {first}", ""] if first else []
    return out


def _classes(g: _Graph) -> list[str]:
    classes = {iri for iri, kinds in g.types.items() if OWL + "Class" in kinds}
    order = {c: (g.labels.get(c, c).lower(), c) for c in classes}
    children: defaultdict[str, list[str]] = defaultdict(list)
    roots = []
    for c in sorted(classes, key=order.__getitem__):
        parents = sorted((p for p in g.parents.get(c, set()) if p in classes and p != c), key=order.__getitem__)
        if parents:
            children[parents[0]].append(c)
        else:
            roots.append(c)
    out = ["## Classes", "",
           (f"{len(classes)} classes, as a hierarchy (a class with several parents is listed under "
            "the first, by label, and names the others). Everything below a class, with labels:"), "",
           "```sparql", "SELECT ?class ?label WHERE {", "  ?class rdfs:subClassOf* exo:MicroRNA ;",
           "         rdfs:label ?label .", "}", "ORDER BY ?label", "```", ""]
    seen: set[str] = set()

    def walk(c: str, depth: int) -> None:
        if c in seen:
            return
        seen.add(c)
        line = f"{'  ' * depth}- **{_text(g.labels.get(c, curie(c, SPARQL_PREFIXES)))}** " \
               f"`{curie(c, SPARQL_PREFIXES)}`"
        others = sorted((p for p in g.parents.get(c, set()) if p in classes), key=order.__getitem__)[1:]
        if others:
            line += "; also under " + ", ".join(_name(g, p) for p in others)
        if c in g.notes:
            line += f": {_text(g.notes[c])}"
        out.append(line)
        for child in children.get(c, []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    for c in sorted(classes - seen, key=order.__getitem__):  # parents in a cycle
        walk(c, 0)
    return out + [""]


def vocabulary_markdown(turtle: bytes, source_name: str) -> bytes:
    """The page for a graph in Turtle, naming it ``source_name``."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.load(turtle, format=pyoxigraph.RdfFormat.TURTLE)
    g = _read(store)
    lines = [
        "<!-- Generated by `exoreason build` from the graph; do not edit (a test fails when it is stale). -->",
        "",
        "# The query vocabulary",
        "",
        (f"Every class and property of `{source_name}`, the graph `exoreason query` reads, with an "
         "example query per property. `exoreason query --reason` also sees what OWL entails "
         "(inverse properties, the subclass closure, super-properties)."),
        "",
        "## Prefixes",
        "",
        "A query may use these without declaring them (its own PREFIX lines take precedence):",
        "",
        "| Prefix | Namespace |",
        "|---|---|",
    ]
    lines += [f"| `{prefix}:` | `{namespace}` |" for prefix, namespace in SPARQL_PREFIXES.items()]
    lines.append("")
    lines += _properties(g, store)
    lines += _classes(g)
    return ("\n".join(lines).rstrip("\n") + "\n").encode()
