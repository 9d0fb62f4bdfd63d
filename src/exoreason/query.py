"""SPARQL over the graph: named competency questions, answered by Oxigraph in the process, by a
SPARQL 1.1 endpoint, or by rdflib for an rdflib graph (the independent engine the tests compare
Oxigraph with).

Queries are read-only: SPARQL Update is refused, and the embedded engine makes no network request
of its own (SERVICE, and FROM or FROM NAMED on a remote IRI) unless the caller opts in. Every query
may use the prefixes of :data:`~exoreason.prefixes.SPARQL_PREFIXES` without declaring them.

Values given with ``bindings`` are RDF terms. rdflib binds them as ``initBindings``; Oxigraph and
endpoints receive them as a ``VALUES`` clause at the top of the query's pattern, each term written
by the RDF library in N-Triples syntax, so no value can change the query around it. (Oxigraph's
own ``substitutions`` accept only projected variables and leave ``BOUND`` false, which the named
queries' ``FILTER(!BOUND(?x) || ...)`` pattern needs true.)

Answers hold pyoxigraph terms (``NamedNode``, ``BlankNode``, ``Literal``; ``.value`` is the IRI or
the lexical form) whichever engine gave them. Nothing here imports rdflib unless an rdflib graph is
given or asked for, so ``exoreason query`` starts fast.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, cast

from .errors import ExoreasonError, InputError, QueryError, QueryTimeout, closest
from .prefixes import SPARQL_PREFIXES, XSD, curie
from .resources import queries_dir
from .sparql import QueryShape, analyse, with_values

if TYPE_CHECKING:
    import pyoxigraph
    from rdflib import Graph

    Term: TypeAlias = pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal
else:
    Term: TypeAlias = Any

__all__ = [
    "GRAPH_FORMATS",
    "GROUPS",
    "ROW_FORMATS",
    "STORE_SUFFIX",
    "NamedQuery",
    "QueryResult",
    "Term",
    "check_format",
    "check_options",
    "grouped_queries",
    "is_update",
    "list_queries",
    "build_store",
    "load_named_query",
    "load_store",
    "oxigraph_term",
    "oxigraph_triple",
    "parse_binding",
    "rdflib_term",
    "release_store",
    "resolve_query",
    "run_query",
    "run_select",
    "run_update",
    "store_from_graph",
    "store_locations",
]

#: Formats of rows (SELECT) and booleans (ASK), and of graphs (CONSTRUCT, DESCRIBE).
ROW_FORMATS = ("table", "csv", "tsv", "json")
GRAPH_FORMATS = ("ttl", "nt", "jsonld")

#: How ``--list`` groups the named queries (decided by the file name, see :attr:`NamedQuery.group`).
GROUPS: dict[str, str] = {
    "question": "Questions (exoreason query NAME [--bind VAR=VALUE])",
    "check": "Checks (must return no rows; `exoreason validate` runs them)",
    "network": "Network (the queries `exoreason build` derives the Bayesian network from)",
}


@dataclass(frozen=True)
class NamedQuery:
    """A query of the library: its name, the question it answers, and its text."""

    name: str
    question: str
    text: str
    path: Path | None = None

    @property
    def group(self) -> str:
        """``check`` for ``*-violation`` queries, ``network`` for ``network-*``, else ``question``."""
        if self.name.endswith("-violation"):
            return "check"
        if self.name.startswith("network-"):
            return "network"
        return "question"

    @property
    def summary(self) -> str:
        """The question alone: the header up to its first question mark (not a variable's) or,
        for a header that is a description, its first sentence."""
        end = re.search(r"\?(?=\s|$)", self.question) or re.search(r"(?<!e\.g)(?<!i\.e)\.(?=\s|$)",
                                                                    self.question)
        return self.question[: end.end()] if end else self.question


def _question(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines).strip()


def list_queries() -> list[NamedQuery]:
    """Every named query, sorted by name."""
    return [load_named_query(p.stem) for p in sorted(queries_dir().glob("*.rq"))]


def grouped_queries() -> dict[str, list[NamedQuery]]:
    """The named queries by group (see :data:`GROUPS`), each group sorted by name."""
    groups: dict[str, list[NamedQuery]] = {name: [] for name in GROUPS}
    for named in list_queries():
        groups[named.group].append(named)
    return groups


def load_named_query(name: str) -> NamedQuery:
    path = queries_dir() / f"{name}.rq"
    if not path.is_file():
        close = closest(name, (p.stem for p in queries_dir().glob("*.rq")), cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `exoreason query --list` shows them"
        raise QueryError(f"unknown query name {name!r}{hint}")
    text = path.read_text(encoding="utf-8")
    return NamedQuery(name, _question(text), text, path)


def resolve_query(spec: str) -> NamedQuery:
    """A ``.rq`` file, the name of a library query, or SPARQL text."""
    if analyse(spec).form or "{" in spec:
        return NamedQuery("<text>", "", spec)
    if spec.endswith(".rq") or "/" in spec:
        path = Path(spec)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise QueryError(f"query file not found: {spec}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise QueryError(f"cannot read query file {spec}: {exc}") from None
        return NamedQuery(path.stem, _question(text), text, path)
    return load_named_query(spec)


# ------------------------------------------------------------------------------------------
# terms
# ------------------------------------------------------------------------------------------


_NUMBERS: dict[str, Callable[[str], Any]] = {XSD + t: int for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger",
                                   "positiveInteger", "nonPositiveInteger", "negativeInteger",
                                   "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
_NUMBERS.update({XSD + t: float for t in ("decimal", "double", "float")})


def _python(term: Any) -> Any:
    """A term as a DataFrame cell: IRIs and blank nodes as text, numbers and booleans as Python
    values, other literals as their lexical form; unbound as None."""
    import pyoxigraph

    if term is None:
        return None
    if not isinstance(term, pyoxigraph.Literal):
        return term.value
    datatype = term.datatype.value
    if datatype == XSD + "boolean":
        return term.value in ("true", "1")
    convert = _NUMBERS.get(datatype)
    if convert is not None:
        try:
            return convert(term.value)
        except ValueError:
            return term.value
    return term.value


def _json_term(term: Term) -> dict[str, str]:
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, pyoxigraph.BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        out["datatype"] = term.datatype.value
    return out


def _cell(term: Term) -> str:
    """A term in a table: a CURIE where a predefined prefix fits, a literal's lexical form."""
    import pyoxigraph

    if isinstance(term, pyoxigraph.NamedNode):
        return curie(term.value, SPARQL_PREFIXES)
    if isinstance(term, pyoxigraph.BlankNode):
        return str(term)
    return str(term.value)


def oxigraph_term(term: Any, blank_nodes: dict[str, Any] | None = None) -> Term:
    """An rdflib term as a pyoxigraph term (pyoxigraph terms are returned as they are)."""
    import pyoxigraph

    if isinstance(term, (pyoxigraph.NamedNode, pyoxigraph.BlankNode, pyoxigraph.Literal)):
        return term
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return pyoxigraph.NamedNode(str(term))
    if isinstance(term, BNode):
        if blank_nodes is None:
            return pyoxigraph.BlankNode(str(term))
        return blank_nodes.setdefault(str(term), pyoxigraph.BlankNode())
    if isinstance(term, Literal):
        if term.language:
            return pyoxigraph.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return pyoxigraph.Literal(str(term), datatype=pyoxigraph.NamedNode(str(term.datatype)))
        return pyoxigraph.Literal(str(term))
    raise InputError(f"not an RDF term: {term!r}")


def oxigraph_triple(triple: Any, blank_nodes: dict[str, Any] | None = None) -> tuple[Any, Any, Any]:
    """An rdflib triple as the three pyoxigraph terms of a ``Triple`` or ``Quad``."""
    s, p, o = triple
    return oxigraph_term(s, blank_nodes), oxigraph_term(p, blank_nodes), oxigraph_term(o, blank_nodes)


def rdflib_term(term: Any) -> Any:
    """A pyoxigraph term as an rdflib term."""
    import pyoxigraph
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, pyoxigraph.NamedNode):
        return URIRef(term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD + "string":
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def parse_binding(text: str) -> tuple[str, Term]:
    """``name=value``: an IRI in angle brackets, a CURIE of a predefined prefix (``GO:0001837``,
    ``miRBase:MIMAT0000646``, ``exo:Metastasis``), an integer, or a string.

    >>> parse_binding("mirna=miRBase:MIMAT0000646")
    ('mirna', <NamedNode value=https://identifiers.org/mirbase.mature:MIMAT0000646>)
    >>> parse_binding("name=miR-155")[1].value
    'miR-155'
    """
    import pyoxigraph

    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise QueryError(f"bad --bind {text!r}; use NAME=VALUE")
    try:
        if value.startswith("<") and value.endswith(">") and len(value) > 2:
            from .prefixes import standardize_iri

            # another tool's IRI of the same namespace (http://identifiers.org/hgnc/18022)
            return name, pyoxigraph.NamedNode(standardize_iri(value[1:-1]))
        prefix = value.partition(":")[0]
        if ":" in value and prefix in SPARQL_PREFIXES and not any(c.isspace() for c in value):
            from .prefixes import expand_curie

            return name, pyoxigraph.NamedNode(expand_curie(value, SPARQL_PREFIXES))
    except ValueError as exc:
        raise QueryError(f"bad --bind {text!r}: not an IRI ({exc})") from None
    if re.fullmatch(r"-?\d+", value):
        return name, pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(XSD + "integer"))
    return name, pyoxigraph.Literal(value)


# ------------------------------------------------------------------------------------------
# answers
# ------------------------------------------------------------------------------------------


def check_options(*, endpoint: str | None, reason: bool, timeout: float, retries: int, sources: bool) -> None:
    """Which ``query`` options go together, decided before anything is read: a positive timeout,
    no negative retries, --reason and --sources on the embedded graph only."""
    if not timeout > 0:
        raise InputError(f"--timeout must be positive, got {timeout:g}")
    if retries < 0:
        raise InputError(f"--retries must be 0 or more, got {retries}")
    if endpoint and reason:
        raise InputError("--reason works on the embedded graph; `exoreason push --reason` loads the "
                         "entailed graph into a server")
    if sources and (endpoint or reason):
        raise InputError("--sources builds the graph of the named sources locally; it does not go with "
                         "--endpoint or --reason")


def check_format(fmt: str, form: str) -> str:
    """The format in lower case, if it suits the query form (rows for SELECT and ASK, a graph
    for CONSTRUCT and DESCRIBE); otherwise an error naming the formats that do."""
    wanted = fmt.strip().lower()
    graph = form in ("CONSTRUCT", "DESCRIBE")
    if wanted not in ROW_FORMATS + GRAPH_FORMATS:
        raise QueryError(f"unknown format {fmt!r}; use {', '.join(ROW_FORMATS)} (rows) or "
                         f"{', '.join(GRAPH_FORMATS)} (graphs)")
    if graph and wanted not in GRAPH_FORMATS:
        raise QueryError(f"a {form} query answers an RDF graph, not rows: use --format "
                         f"{', '.join(GRAPH_FORMATS)} instead of {fmt!r}")
    if not graph and wanted not in ROW_FORMATS:
        raise QueryError(f"a {form or 'SELECT'} query answers {'a boolean' if form == 'ASK' else 'rows'}, "
                         f"not an RDF graph: use --format {', '.join(ROW_FORMATS)} instead of {fmt!r}")
    return wanted


@dataclass
class QueryResult:
    """A query's answer: variables and rows for SELECT, a boolean for ASK, triples otherwise."""

    kind: str  # "select", "ask" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Term]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[pyoxigraph.Triple] = field(default_factory=list)

    @property
    def form(self) -> str:
        return {"select": "SELECT", "ask": "ASK", "graph": "CONSTRUCT"}[self.kind]

    @property
    def graph(self) -> Graph:
        """The triples of a CONSTRUCT or DESCRIBE answer as an rdflib Graph."""
        from rdflib import Graph

        graph = Graph()
        for triple in self.triples:
            graph.add((rdflib_term(triple.subject), rdflib_term(triple.predicate),
                       rdflib_term(triple.object)))
        return graph

    def render(self, fmt: str) -> str:
        """The answer in a format: table, csv, tsv or json for rows and booleans (json: the W3C
        SPARQL 1.1 Query Results JSON format); ttl, nt or jsonld for graphs."""
        fmt = check_format(fmt, self.form)
        if self.kind == "ask":
            if fmt == "json":
                return json.dumps({"head": {}, "boolean": bool(self.boolean)}, indent=2)
            return "true" if self.boolean else "false"
        if self.kind == "graph":
            return _render_graph(self.triples, fmt)
        return _render_select(self, fmt)

    def plain_tsv(self) -> str:
        """Rows as tab-separated lexical forms, as ``csv`` gives them (``render("tsv")`` is the
        W3C SPARQL TSV format, in RDF term syntax): for reports such as ``coverage``."""
        lines = ["\t".join(self.variables)]
        lines += ["\t".join(" ".join(row[v].value.split()) if v in row else "" for v in self.variables)
                  for row in self.rows]
        return "\n".join(lines)

    def plain_rows(self) -> list[dict[str, str]]:
        """Rows with each value as its lexical form (IRI text, literal value)."""
        return [{k: v.value for k, v in row.items()} for row in self.rows]

    def to_dataframe(self) -> Any:
        """A pandas DataFrame: one column per variable (IRIs as text, numbers and booleans as Python
        values, other literals as text, unbound as None); an ASK answer is one ``boolean`` cell, a
        graph its subject, predicate and object triples."""
        import pandas as pd

        if self.kind == "ask":
            return pd.DataFrame({"boolean": [bool(self.boolean)]})
        if self.kind == "graph":
            return pd.DataFrame([(_python(t.subject), _python(t.predicate), _python(t.object))
                                 for t in self.triples], columns=["subject", "predicate", "object"])
        return pd.DataFrame([[_python(row.get(v)) for v in self.variables] for row in self.rows],
                            columns=self.variables)

    def _repr_html_(self) -> str:
        from html import escape

        if self.kind != "select":
            return f"<pre>{escape(self.render('json' if self.kind == 'ask' else 'ttl'))}</pre>"
        limit = 50
        head = "".join(f"<th>{escape(v)}</th>" for v in self.variables)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(_cell(row[v])) if v in row else ''}</td>"
                             for v in self.variables) + "</tr>"
            for row in self.rows[:limit])
        more = len(self.rows) - limit
        tail = f"<p><small>... and {more} more rows</small></p>" if more > 0 else ""
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}"
                f"<p><small>{len(self.rows)} row{'s' if len(self.rows) != 1 else ''}</small></p>")


def _render_select(result: QueryResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps({
            "head": {"vars": result.variables},
            "results": {"bindings": [
                {k: _json_term(v) for k, v in row.items()} for row in result.rows
            ]},
        }, indent=2, ensure_ascii=False)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(result.variables)
        for row in result.rows:
            writer.writerow([row[v].value if v in row else "" for v in result.variables])
        return buffer.getvalue().rstrip("\r\n")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        for row in result.rows:
            lines.append("\t".join(str(row[v]) if v in row else "" for v in result.variables))
        return "\n".join(lines)
    cells = [[_cell(row[v]) if v in row else "" for v in result.variables] for row in result.rows]
    cells = [[c if len(c) <= 80 else c[:77] + "..." for c in r] for r in cells]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(result.variables)]
    out = ["  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True)).rstrip(),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(out)


def _render_graph(triples: list[pyoxigraph.Triple], fmt: str) -> str:
    """Turtle (with the predefined prefixes it uses), N-Triples or JSON-LD, triples sorted so
    that Turtle groups each subject's statements and the same graph prints the same."""
    import pyoxigraph

    ordered = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    if fmt == "nt":
        return (pyoxigraph.serialize(ordered, format=pyoxigraph.RdfFormat.N_TRIPLES) or b"").decode().rstrip("\n")
    if fmt == "jsonld":
        data = json.loads(pyoxigraph.serialize(ordered, format=pyoxigraph.RdfFormat.JSON_LD) or b"[]")
        return json.dumps(data, indent=2, ensure_ascii=False)
    iris = {t.value for triple in ordered for t in (triple.subject, triple.predicate, triple.object)
            if isinstance(t, pyoxigraph.NamedNode)}
    iris |= {triple.object.datatype.value for triple in ordered
             if isinstance(triple.object, pyoxigraph.Literal) and not triple.object.language}
    iris.discard(XSD + "string")
    used = {prefix: base for prefix, base in SPARQL_PREFIXES.items()
            if any(iri.startswith(base) for iri in iris)}
    return (pyoxigraph.serialize(ordered, format=pyoxigraph.RdfFormat.TURTLE, prefixes=used)
            or b"").decode().rstrip("\n")


# ------------------------------------------------------------------------------------------
# graphs to ask
# ------------------------------------------------------------------------------------------


_STORES: dict[tuple[str, int, int], Any] = {}

#: The suffix of a release file's on-disk Oxigraph store (``exoreason-kg.oxigraph/`` beside
#: ``exoreason-kg.ttl``), and the file inside it naming the release it holds.
STORE_SUFFIX = ".oxigraph"
_STAMP = "exoreason-source.sha256"


def _rdf_format(path: Path) -> Any:
    import pyoxigraph

    rdf_format = pyoxigraph.RdfFormat.from_extension(path.suffix.lstrip(".") or "ttl")
    if path.suffix == ".owl":
        rdf_format = pyoxigraph.RdfFormat.RDF_XML
    if rdf_format is None:
        raise InputError(f"cannot tell the RDF format of {path} from its extension")
    return rdf_format


def load_store(path: Path | str) -> pyoxigraph.Store:
    """An Oxigraph store holding an RDF file (Turtle, N-Triples, RDF/XML, ...: by its extension),
    loaded once per process while the file is unchanged. A release file (the knowledge graph or
    its entailed graph) is opened read-only from its on-disk store (:func:`build_store`) when that
    store holds this very file; otherwise the file is parsed into memory, and a release file's
    store is built again for the next query."""
    import pyoxigraph

    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise InputError(f"{path} not found; run `exoreason build`") from None
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key in _STORES:
        return _STORES[key]
    rdf_format = _rdf_format(path)
    release = _is_release(path)
    store = _open_store(path) if release else None
    if store is None:
        store = pyoxigraph.Store()
        try:
            store.load(path=str(path), format=rdf_format)
        except (SyntaxError, ValueError, OSError) as exc:
            raise InputError(f"{path} is not readable {rdf_format.name}: {' '.join(str(exc).split())[:200]}") from None
        if release:
            build_store(path, quiet=True)
    if len(_STORES) >= 4:  # the release and its entailed graph, and a file or two of the user's
        _STORES.clear()
    _STORES[key] = store
    return store


def _is_release(path: Path) -> bool:
    from .resources import ENTAILED_FILE, QUERY_GRAPH_FILE, ontology_dir

    return path.name in (QUERY_GRAPH_FILE, ENTAILED_FILE) and path.resolve().parent == ontology_dir().resolve()


def _source_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def store_locations(path: Path) -> list[Path]:
    """Where the on-disk store of a release file may be: beside it (``NAME.oxigraph``), else, when
    its directory cannot be written (an installed package), in the user's cache
    (``$XDG_CACHE_HOME/exoreason/``, ``~/.cache/exoreason/`` by default)."""
    import os

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "exoreason"
    return [path.with_name(path.stem + STORE_SUFFIX), cache / (path.stem + STORE_SUFFIX)]


def _current(folder: Path, digest: str) -> bool:
    try:
        return (folder / _STAMP).read_text(encoding="ascii").strip() == digest
    except OSError:
        return False


def _open_store(path: Path) -> pyoxigraph.Store | None:
    """The release file's on-disk store, opened read-only, if one holds this very file."""
    import pyoxigraph

    digest = _source_digest(path)
    for folder in store_locations(path):
        if _current(folder, digest):
            try:
                return pyoxigraph.Store.read_only(str(folder))
            except OSError:
                continue
    return None


def build_store(path: Path, *, quiet: bool = False) -> Path | None:
    """Load a release file once into an on-disk Oxigraph store that queries open read-only, beside
    the file or in the user's cache (:func:`store_locations`), unless one already holds this very
    file; a store holding another version is replaced. The store is built in a temporary directory
    and renamed into place, so a query never opens a half-built one. Returns the store's
    directory; None when no location can be written (``quiet``: no error either; queries then
    parse the file)."""
    import os
    import shutil
    import tempfile

    import pyoxigraph

    digest = _source_digest(path)
    problems = []
    for folder in store_locations(path):
        if _current(folder, digest):
            return folder
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        except OSError as exc:
            problems.append(f"{folder.parent}: {exc.strerror}")
            continue
        try:
            store = pyoxigraph.Store(str(work / "store"))
            store.bulk_load(path=str(path), format=_rdf_format(path))
            store.optimize()
            store.flush()
            del store
            (work / "store" / _STAMP).write_text(digest + "\n", encoding="ascii")
            old = work / "old"
            if folder.exists():
                os.replace(folder, old)
            os.replace(work / "store", folder)
            return folder
        except OSError as exc:
            problems.append(f"{folder}: {exc}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if quiet:
        return None
    raise InputError(f"cannot build the store of {path.name}: " + "; ".join(problems))


def release_store(reason: bool = False) -> pyoxigraph.Store:
    """The built graph (``reason=True``: with its OWL 2 RL closure, built by ``exoreason build``)."""
    from .resources import ENTAILED_FILE, QUERY_GRAPH_FILE, ontology_dir

    return load_store(ontology_dir() / (ENTAILED_FILE if reason else QUERY_GRAPH_FILE))


def store_from_graph(graph: Graph) -> pyoxigraph.Store:
    """An Oxigraph store holding an rdflib graph's triples (generalized triples, with a literal
    as subject, are left out: RDF cannot state them)."""
    import pyoxigraph
    from rdflib import Literal

    blank_nodes: dict[str, Any] = {}
    store = pyoxigraph.Store()
    store.extend(pyoxigraph.Quad(*oxigraph_triple((s, p, o), blank_nodes))
                 for s, p, o in graph if not isinstance(s, Literal) and not isinstance(p, Literal))
    return store


# ------------------------------------------------------------------------------------------
# running queries
# ------------------------------------------------------------------------------------------


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL Update request (and not a query)."""
    return analyse(text).is_update


def run_update(endpoint: str, text: str, timeout: float = 30.0) -> None:
    """Send a SPARQL Update to an endpoint's update service (only with the user's --allow-update)."""
    from .endpoint import send_update

    send_update(endpoint, text, timeout=timeout)


def _checked(text: str, allow_remote: bool) -> QueryShape:
    shape = analyse(text)
    if shape.is_update:
        raise QueryError("SPARQL Update is refused: `exoreason query` is read-only "
                         "(--allow-update sends it to an --endpoint)")
    if not allow_remote:
        if shape.service:
            raise QueryError(f"SERVICE {shape.service} is refused: the embedded engine makes no "
                             "network request (pass --allow-remote to permit it)")
        for dataset in shape.datasets:
            iri = dataset[1:-1] if dataset.startswith("<") else dataset
            if iri.startswith(("http:", "https:", "ftp:")):
                raise QueryError(f"FROM <{iri}> is refused: the embedded engine makes no network "
                                 "request (pass --allow-remote to permit it)")
    return shape


def _terms(bindings: Mapping[str, Any] | None, shape: QueryShape) -> dict[str, Term]:
    terms = {name: oxigraph_term(value) for name, value in (bindings or {}).items()}
    unknown = sorted(set(terms) - shape.variables)
    if unknown:
        known = ", ".join(sorted(shape.variables)) or "none"
        raise QueryError(f"--bind of unknown variable ?{unknown[0]}; the query's variables: {known}")
    computed = sorted(set(terms) & shape.computed)
    if computed:
        raise QueryError(f"--bind of ?{computed[0]}: the query computes ?{computed[0]} (AS ?{computed[0]}), "
                         f"so it cannot be given a value")
    if terms and shape.where is None:
        raise QueryError("cannot bind values: the query has no WHERE pattern")
    return terms


def run_select(graph: Any, text: str, bindings: Mapping[str, Any] | None = None) -> list[dict[str, str]]:
    """Run a SELECT; rows as plain strings (for the library's own queries)."""
    return run_query(graph, text, bindings=bindings).plain_rows()


def run_query(
    source: Any,
    text: str,
    *,
    bindings: Mapping[str, Any] | None = None,
    endpoint: str | None = None,
    allow_remote: bool = False,
    timeout: float = 30.0,
    embedded_timeout: float | None = None,
    retries: int = 2,
    backoff: float = 0.5,
) -> QueryResult:
    """Run one read-only query.

    ``source`` is what to ask: ``None`` for the built graph, a pyoxigraph ``Store``, the path of
    an RDF file (both answered by Oxigraph), or an rdflib ``Graph`` (answered by rdflib); with
    ``endpoint`` the query goes to that SPARQL 1.1 server instead. ``bindings`` maps variable
    names to RDF terms (pyoxigraph or rdflib). ``timeout`` bounds each request to an endpoint;
    ``embedded_timeout`` (if given) stops an embedded evaluation that runs longer. A request that
    fails for a passing reason (the server unreachable, or an HTTP 5xx answer) is retried
    ``retries`` times, waiting ``backoff`` seconds and doubling the wait each time.
    """
    shape = _checked(text, allow_remote)
    terms = _terms(bindings, shape)
    if endpoint:
        return _run_remote(endpoint, text, shape, terms, timeout, retries, backoff)
    import pyoxigraph

    if source is None or isinstance(source, (str, Path)):
        source = release_store() if source is None else load_store(source)
    if isinstance(source, pyoxigraph.Store):
        store = source
        return _evaluate(lambda: _run_oxigraph(store, text, shape, terms), embedded_timeout)
    if not (hasattr(source, "query") and hasattr(source, "serialize")):
        raise InputError(f"cannot query a {type(source).__name__}: give a pyoxigraph Store, an rdflib "
                         "Graph or the path of an RDF file")
    graph = source
    return _evaluate(lambda: _run_rdflib(graph, text, terms), embedded_timeout)


def _syntax_error(exc: Exception, text: str, shape: QueryShape, terms: Mapping[str, Term]) -> QueryError:
    """Oxigraph's syntax error, at its position in the user's text (not the bound text)."""
    from .sparql import line_and_column

    message = " ".join(str(exc).split())
    match = re.match(r"error at (\d+):(\d+): (.*)", message)
    if "Prefix not found" in message:
        unknown = sorted((offset, name) for name, offset in shape.used_prefixes.items()
                         if name not in shape.declared_prefixes and name not in SPARQL_PREFIXES)
        if unknown:
            line, column = line_and_column(text, unknown[0][0])
            return QueryError(f"unknown prefix {unknown[0][1]}: at line {line}, column {column}; "
                              f"declare it with PREFIX or use a predefined one "
                              f"({', '.join(SPARQL_PREFIXES)})")
    if not match:
        return QueryError(f"malformed SPARQL: {message[:300]}")
    line, column, what = int(match.group(1)), int(match.group(2)), match.group(3)
    if terms and shape.where is not None:
        bound_line, bound_column = line_and_column(text, shape.where[0])
        inserted = len(with_values(text, shape, {k: str(v) for k, v in terms.items()})) - len(text)
        if line == bound_line and column > bound_column:
            column = max(bound_column, column - inserted)
    return QueryError(f"malformed SPARQL at line {line}, column {column}: {what[:200]}")


def _run_oxigraph(store: pyoxigraph.Store, text: str, shape: QueryShape,
                  terms: Mapping[str, Term]) -> QueryResult:
    import pyoxigraph

    bound = with_values(text, shape, {k: str(v) for k, v in terms.items()})
    try:
        answer = store.query(bound, prefixes=SPARQL_PREFIXES)
        if isinstance(answer, pyoxigraph.QueryBoolean):
            return QueryResult("ask", boolean=bool(answer))
        if isinstance(answer, pyoxigraph.QueryTriples):
            return QueryResult("graph", triples=list(answer))
        variables = [v.value for v in answer.variables]
        rows = [{name: value for name, value in zip(variables, solution, strict=True) if value is not None}
                for solution in answer]
        return QueryResult("select", variables=variables, rows=rows)
    except SyntaxError as exc:
        raise _syntax_error(exc, text, shape, terms) from None
    except Exception as exc:  # noqa: BLE001 (the engine's evaluation errors, e.g. a failed SERVICE request)
        raise QueryError(f"query failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None


def _run_rdflib(graph: Graph, text: str, terms: Mapping[str, Term]) -> QueryResult:
    from pyparsing import ParseException
    from rdflib.plugins.sparql import prepareQuery

    try:
        prepared = prepareQuery(text, initNs=SPARQL_PREFIXES)
    except ParseException as exc:
        raise QueryError(f"malformed SPARQL at line {exc.lineno}, column {exc.col}: "
                         f"{' '.join(exc.msg.split())}") from None
    except Exception as exc:  # noqa: BLE001 (rdflib's algebra translation raises plain exceptions)
        raise QueryError(f"malformed SPARQL: {' '.join(str(exc).split())[:300]}") from None
    try:
        result = graph.query(prepared, initBindings={k: rdflib_term(v) for k, v in terms.items()})
        if result.type == "ASK":
            return QueryResult("ask", boolean=bool(result.askAnswer))
        blank_nodes: dict[str, Any] = {}
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            import pyoxigraph
            from rdflib import Literal

            assert result.graph is not None
            return QueryResult("graph", triples=[
                pyoxigraph.Triple(*oxigraph_triple(triple, blank_nodes))
                for triple in result.graph if not isinstance(triple[0], Literal)])
        variables = [str(v) for v in result.vars or []]
        rows = [{str(k): oxigraph_term(v, blank_nodes) for k, v in cast(Any, row).asdict().items()
                 if v is not None} for row in result]
        return QueryResult("select", variables=variables, rows=rows)
    except ExoreasonError:
        raise
    except Exception as exc:  # noqa: BLE001 (rdflib's evaluation raises plain exceptions too)
        raise QueryError(f"query failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from None


def _evaluate(work: Callable[[], QueryResult], timeout: float | None) -> QueryResult:
    """``work()``, or with a deadline: in a forked child that is killed when the deadline passes.

    Neither engine can be interrupted from inside (Oxigraph evaluates outside the interpreter),
    and a runaway query (a cross product, an unbounded path on a large graph) must stop, so the
    evaluation runs in a child process whose answer comes back through a pipe.
    """
    if timeout is None:
        return work()
    import marshal
    import os
    import select
    import time

    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: evaluate, send the answer, leave without any clean-up of the parent's
        code = 0
        try:
            os.close(reader)
            try:
                payload = marshal.dumps(_encode(work()))
            except ExoreasonError as exc:
                payload = marshal.dumps(("error", type(exc).__name__, exc.message()))
            except BaseException as exc:  # noqa: BLE001 (reported to the parent as one line)
                detail = " ".join(str(exc).split())[:300]
                payload = marshal.dumps(("error", "QueryError", f"query failed: {type(exc).__name__}: {detail}"))
            with os.fdopen(writer, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001 (the parent sees a missing answer)
            code = 1
        finally:
            os._exit(code)
    os.close(writer)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    finished = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([reader], [], [], left)[0]:
                break
            chunk = os.read(reader, 1 << 20)
            if not chunk:
                finished = True
                break
            chunks.append(chunk)
    finally:
        os.close(reader)
        if not finished:
            os.kill(pid, 9)
        os.waitpid(pid, 0)
    if not finished:
        raise QueryTimeout(f"query stopped after {timeout:g} s (--timeout); it did not finish")
    if not chunks:
        raise QueryError("the query's evaluation ended without an answer")
    answer = marshal.loads(b"".join(chunks))
    if answer[0] == "error":
        from . import errors

        raise getattr(errors, answer[1], QueryError)(answer[2])
    return _decode(answer)


# An answer crosses the pipe as plain values (marshal: no import, no code): each term as
# (0, IRI), (1, blank node id) or (2, lexical form, datatype IRI, language tag).


def _encode_term(term: Any) -> tuple[Any, ...] | None:
    import pyoxigraph

    if term is None:
        return None
    if isinstance(term, pyoxigraph.NamedNode):
        return (0, term.value)
    if isinstance(term, pyoxigraph.BlankNode):
        return (1, term.value)
    return (2, term.value, term.datatype.value, term.language or "")


def _decode_term(cell: tuple[Any, ...] | None) -> Any:
    import pyoxigraph

    if cell is None:
        return None
    if cell[0] == 0:
        return pyoxigraph.NamedNode(cell[1])
    if cell[0] == 1:
        return pyoxigraph.BlankNode(cell[1])
    if cell[3]:
        return pyoxigraph.Literal(cell[1], language=cell[3])
    return pyoxigraph.Literal(cell[1], datatype=pyoxigraph.NamedNode(cell[2]))


def _encode(result: QueryResult) -> tuple[Any, ...]:
    if result.kind == "ask":
        return ("ask", bool(result.boolean))
    if result.kind == "graph":
        return ("graph", [tuple(_encode_term(t) for t in (x.subject, x.predicate, x.object))
                          for x in result.triples])
    return ("select", result.variables,
            [[_encode_term(row.get(v)) for v in result.variables] for row in result.rows])


def _decode(answer: tuple[Any, ...]) -> QueryResult:
    import pyoxigraph

    if answer[0] == "ask":
        return QueryResult("ask", boolean=answer[1])
    if answer[0] == "graph":
        return QueryResult("graph", triples=[pyoxigraph.Triple(*map(_decode_term, cells)) for cells in answer[1]])
    variables = list(answer[1])
    rows = [{v: _decode_term(cell) for v, cell in zip(variables, cells, strict=True) if cell is not None}
            for cells in answer[2]]
    return QueryResult("select", variables=variables, rows=rows)


def _run_remote(endpoint: str, text: str, shape: QueryShape, terms: Mapping[str, Term], timeout: float,
                retries: int = 2, backoff: float = 0.5) -> QueryResult:
    import pyoxigraph

    from .endpoint import query_endpoint
    from .sparql import prefix_lines

    query = prefix_lines(shape, SPARQL_PREFIXES) + with_values(text, shape, {k: str(v) for k, v in terms.items()})
    answer = query_endpoint(endpoint, query, graph=shape.answers_graph, timeout=timeout, retries=retries,
                            backoff=backoff)
    if shape.answers_graph:
        return QueryResult("graph", triples=list(answer))
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    rows = [{name: value for name, value in zip(answer.variables, solution, strict=True) if value is not None}
            for solution in answer.rows]
    return QueryResult("select", variables=list(answer.variables), rows=rows)

