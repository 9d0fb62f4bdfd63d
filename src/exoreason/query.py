"""SPARQL over the graph: named competency questions, embedded (rdflib) or on an endpoint.

Queries are read-only: SPARQL Update is refused, and the embedded engine makes no network request
of its own (SERVICE, and FROM or FROM NAMED on a remote IRI) unless the caller opts in. Values
given with ``bindings`` are bound as RDF terms, never pasted into the query text.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import EndpointError, QueryError, QueryTimeout
from .resources import queries_dir

if TYPE_CHECKING:
    from rdflib import Graph
    from rdflib.term import Node

__all__ = [
    "NamedQuery",
    "QueryResult",
    "list_queries",
    "load_named_query",
    "parse_binding",
    "resolve_query",
    "run_query",
    "run_select",
    "is_update",
    "run_update",
]

_FORM = re.compile(r"^\s*(?:(?:PREFIX|BASE)\s[^\n]*\n\s*|#[^\n]*\n\s*)*(SELECT|ASK|CONSTRUCT|DESCRIBE)\b",
                   re.IGNORECASE)


@dataclass(frozen=True)
class NamedQuery:
    """A query of the library: its name, the question it answers, and its text."""

    name: str
    question: str
    text: str
    path: Path | None = None


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


def load_named_query(name: str) -> NamedQuery:
    path = queries_dir() / f"{name}.rq"
    if not path.is_file():
        names = sorted(p.stem for p in queries_dir().glob("*.rq"))
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `exoreason query --list` shows them"
        raise QueryError(f"unknown query name {name!r}{hint}")
    text = path.read_text(encoding="utf-8")
    return NamedQuery(name, _question(text), text, path)


def resolve_query(spec: str) -> NamedQuery:
    """A ``.rq`` file, the name of a library query, or SPARQL text."""
    if _FORM.match(spec) or "{" in spec:
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


@dataclass
class QueryResult:
    """A query's answer: variables and rows for SELECT, a boolean for ASK, triples otherwise."""

    kind: str  # "select", "ask" or "graph"
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Node]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None

    def render(self, fmt: str) -> str:
        if self.kind == "ask":
            if fmt == "json":
                return json.dumps({"head": {}, "boolean": bool(self.boolean)}, indent=2)
            return "true" if self.boolean else "false"
        if self.kind == "graph":
            assert self.graph is not None
            out: str = self.graph.serialize(format="turtle")
            return out
        return _render_select(self, fmt)

    def plain_rows(self) -> list[dict[str, str]]:
        """Rows with each value as its lexical form (IRI text, literal value)."""
        return [{k: _plain(v) for k, v in row.items()} for row in self.rows]

    def to_dataframe(self) -> Any:
        """A pandas DataFrame: one column per variable (IRIs as text, literals as Python values,
        unbound as None); an ASK answer is one ``boolean`` cell, a graph its s, p, o triples."""
        import pandas as pd

        if self.kind == "ask":
            return pd.DataFrame({"boolean": [bool(self.boolean)]})
        if self.kind == "graph":
            assert self.graph is not None
            return pd.DataFrame([(_python(s), _python(p), _python(o)) for s, p, o in self.graph],
                                columns=["subject", "predicate", "object"])
        return pd.DataFrame([[_python(row[v]) if v in row else None for v in self.variables]
                             for row in self.rows], columns=self.variables)

    def _repr_html_(self) -> str:
        from html import escape

        from .vocabulary import curie

        if self.kind != "select":
            return f"<pre>{escape(self.render('table'))}</pre>"
        limit = 50
        head = "".join(f"<th>{escape(v)}</th>" for v in self.variables)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(curie(_plain(row[v]))) if v in row else ''}</td>"
                             for v in self.variables) + "</tr>"
            for row in self.rows[:limit])
        more = len(self.rows) - limit
        tail = f"<p><small>... and {more} more rows</small></p>" if more > 0 else ""
        return (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}"
                f"<p><small>{len(self.rows)} row{'s' if len(self.rows) != 1 else ''}</small></p>")


def _python(term: Node) -> Any:
    """A term as a DataFrame cell: IRIs and blank nodes as text, literals as Python values."""
    from decimal import Decimal

    from rdflib import Literal

    if not isinstance(term, Literal):
        return str(term)
    value = term.toPython()
    if isinstance(value, Decimal):
        return float(value)
    return str(value) if isinstance(value, Literal) else value


def _plain(term: Node) -> str:
    """A term's lexical form: the IRI's text, or the literal's value as written."""
    return str(term)


def _json_term(term: Node) -> dict[str, str]:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype:
        out["datatype"] = str(term.datatype)
    return out


def _render_select(result: QueryResult, fmt: str) -> str:
    from .vocabulary import curie

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
            writer.writerow([_plain(row[v]) if v in row else "" for v in result.variables])
        return buffer.getvalue().rstrip("\r\n")
    if fmt == "tsv":
        lines = ["\t".join(f"?{v}" for v in result.variables)]
        for row in result.rows:
            lines.append("\t".join(row[v].n3() if v in row else "" for v in result.variables))
        return "\n".join(lines)
    if fmt == "table":
        cells = [[curie(_plain(row[v])) if v in row else "" for v in result.variables] for row in result.rows]
        cells = [[c if len(c) <= 80 else c[:77] + "..." for c in r] for r in cells]
        widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(result.variables)]
        out = ["  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True)),
               "  ".join("-" * w for w in widths)]
        out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
        out.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
        return "\n".join(out)
    raise QueryError(f"unknown format {fmt!r}; use table, csv, tsv or json")


def parse_binding(text: str) -> tuple[str, Node]:
    """``name=value``: an IRI in angle brackets, a CURIE of a known prefix, a number, or a string.

    >>> parse_binding("mirna=miRBase:MIMAT0000646")[1]
    rdflib.term.URIRef('https://identifiers.org/mirbase.mature:MIMAT0000646')
    >>> parse_binding("name=miR-155")
    ('name', rdflib.term.Literal('miR-155'))
    """
    from rdflib import Literal, URIRef

    from .vocabulary import CURIE_PREFIXES, expand

    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise QueryError(f"bad --bind {text!r}; use NAME=VALUE")
    if value.startswith("<") and value.endswith(">") and len(value) > 2:
        return name, URIRef(value[1:-1])
    prefix = value.partition(":")[0]
    if ":" in value and prefix in CURIE_PREFIXES and " " not in value:
        return name, expand(value)
    if re.fullmatch(r"-?\d+", value):
        return name, Literal(int(value))
    return name, Literal(value)


def is_update(text: str) -> bool:
    """Whether the text is a SPARQL Update request (and not a query)."""
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        prepareQuery(text)
        return False
    except Exception:
        try:
            parseUpdate(text)
        except Exception:
            return False
        return True


def run_update(endpoint: str, text: str, timeout: float = 30.0) -> None:
    """Send a SPARQL Update to an endpoint's update service (only with the user's --allow-update)."""
    from urllib.error import HTTPError, URLError

    from SPARQLWrapper import POST, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    if not re.match(r"^https?://", endpoint):
        raise QueryError(f"not an http(s) endpoint URL: {endpoint!r}")
    sparql = SPARQLWrapper(endpoint)
    sparql.setTimeout(int(max(1, timeout)))
    sparql.setMethod(POST)
    sparql.setQuery(text)
    try:
        sparql.query()
    except HTTPError as exc:
        raise EndpointError(f"endpoint {endpoint} answered HTTP {exc.code} {exc.reason}") from None
    except SPARQLWrapperException as exc:
        raise EndpointError(f"endpoint {endpoint} refused the update: {' '.join(str(exc).split())[:200]}") from None
    except (URLError, OSError) as exc:
        raise EndpointError(f"endpoint {endpoint} unreachable: {getattr(exc, 'reason', exc)}") from None


def _prepare(text: str, allow_remote: bool) -> Any:
    from pyparsing import ParseException
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        prepared = prepareQuery(text)
    except ParseException as exc:
        try:
            parseUpdate(text)
        except Exception:
            raise QueryError(f"malformed SPARQL at line {exc.lineno}, column {exc.col}: "
                             f"{' '.join(exc.msg.split())}") from None
        raise QueryError("SPARQL Update is refused: `exoreason query` is read-only "
                         "(--allow-update sends it to an --endpoint)") from None
    except Exception as exc:  # rdflib's algebra translation raises plain exceptions
        raise QueryError(f"malformed SPARQL: {' '.join(str(exc).split())}") from None
    if not allow_remote:
        remote = _remote_access(prepared.algebra)
        if remote:
            raise QueryError(f"{remote} is refused: the embedded engine makes no network request "
                             "(pass --allow-remote to permit it)")
    return prepared


def _remote_access(algebra: Any) -> str:
    from rdflib.plugins.sparql.parserutils import CompValue

    found = ""

    def walk(node: Any) -> None:
        nonlocal found
        if found:
            return
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                found = f"SERVICE <{node.get('term')}>"
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(algebra)
    for clause in algebra.get("datasetClause") or []:
        iri = clause.get("default") or clause.get("named")
        if iri is not None and str(iri).startswith(("http:", "https:", "ftp:")):
            return f"FROM <{iri}>"
    return found


def _variables(algebra: Any) -> set[str]:
    return {str(v) for v in (algebra.get("_vars") or [])}


def run_select(graph: Graph, text: str, bindings: Mapping[str, Node] | None = None) -> list[dict[str, str]]:
    """Run a SELECT on an in-memory graph; rows as plain strings (for the library's own queries)."""
    return run_query(graph, text, bindings=bindings).plain_rows()


def run_query(
    graph: Graph | None,
    text: str,
    *,
    bindings: Mapping[str, Node] | None = None,
    endpoint: str | None = None,
    allow_remote: bool = False,
    timeout: float = 30.0,
    embedded_timeout: float | None = None,
    retries: int = 2,
    backoff: float = 0.5,
) -> QueryResult:
    """Run one read-only query on the graph or, with ``endpoint``, on a SPARQL 1.1 server.

    ``timeout`` bounds each request to an endpoint; ``embedded_timeout`` (if given) stops an
    embedded evaluation that runs longer. A request that fails for a passing reason (the server
    unreachable, or an HTTP 5xx answer) is retried ``retries`` times, waiting ``backoff`` seconds
    and doubling the wait each time; queries are read-only, so a retry is always safe.
    """
    prepared = _prepare(text, allow_remote)
    bindings = dict(bindings or {})
    unknown = sorted(set(bindings) - _variables(prepared.algebra))
    if unknown:
        known = ", ".join(sorted(_variables(prepared.algebra))) or "none"
        raise QueryError(f"--bind of unknown variable ?{unknown[0]}; the query's variables: {known}")
    if endpoint:
        return _run_remote(endpoint, text, bindings, timeout, retries, backoff)
    assert graph is not None
    if embedded_timeout is None:
        return _from_rdflib(graph.query(prepared, initBindings=bindings))
    return _run_with_deadline(graph, prepared, bindings, embedded_timeout)


def _run_with_deadline(graph: Graph, prepared: Any, bindings: Mapping[str, Node], timeout: float) -> QueryResult:
    """Evaluate in a forked child that is killed at the deadline: rdflib cannot be interrupted
    from inside, and a runaway query (an unbounded property path on a large graph) must stop."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def work() -> None:
        try:
            sender.send(("ok", _from_rdflib(graph.query(prepared, initBindings=bindings))))
        except Exception as exc:  # reported to the parent as one line
            sender.send(("error", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"))

    child = context.Process(target=work, daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise QueryTimeout(f"query stopped after {timeout:g} s (--timeout); it did not finish")
        status, payload = receiver.recv()
    except EOFError:
        raise QueryError("the query's evaluation ended without an answer") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if status == "error":
        raise QueryError(f"query failed: {payload}")
    assert isinstance(payload, QueryResult)
    return payload


def _from_rdflib(result: Any) -> QueryResult:
    if result.type == "ASK":
        return QueryResult("ask", boolean=bool(result.askAnswer))
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return QueryResult("graph", graph=result.graph)
    variables = [str(v) for v in result.vars]
    rows = [{str(k): v for k, v in row.asdict().items() if v is not None} for row in result]
    return QueryResult("select", variables=variables, rows=rows)


def _with_values(text: str, bindings: Mapping[str, Node]) -> str:
    """Bind values on a remote endpoint with a VALUES block of escaped RDF terms."""
    if not bindings:
        return text
    names = " ".join(f"?{k}" for k in bindings)
    terms = " ".join(v.n3() for v in bindings.values())
    block = f"VALUES ({names}) {{ ({terms}) }}"
    where = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE)
    if where is None:
        where = re.search(r"\{", text)
    if where is None:
        raise QueryError("cannot bind values: the query has no group pattern")
    return text[: where.end()] + f"\n  {block}\n" + text[where.end():]


def _run_remote(endpoint: str, text: str, bindings: Mapping[str, Node], timeout: float,
                retries: int = 2, backoff: float = 0.5) -> QueryResult:
    import socket
    import time
    from urllib.error import HTTPError, URLError

    from rdflib import BNode, Graph, Literal, URIRef
    from SPARQLWrapper import JSON, TURTLE, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

    if not re.match(r"^https?://", endpoint):
        raise QueryError(f"not an http(s) endpoint URL: {endpoint!r}")
    sparql = SPARQLWrapper(endpoint)
    sparql.setTimeout(int(max(1, timeout)))
    query = _with_values(text, bindings)
    sparql.setQuery(query)
    form = _FORM.match(query)
    kind = form.group(1).upper() if form else "SELECT"
    sparql.setReturnFormat(TURTLE if kind in ("CONSTRUCT", "DESCRIBE") else JSON)
    wait = backoff
    for attempt in range(max(0, retries) + 1):
        try:
            payload = sparql.query().convert()
            break
        except (HTTPError, EndPointInternalError, URLError, ConnectionError) as exc:
            timed_out = isinstance(getattr(exc, "reason", None), (TimeoutError, socket.timeout))
            transient = not timed_out and (not isinstance(exc, HTTPError) or exc.code >= 500)
            if transient and attempt < retries:
                time.sleep(wait)
                wait *= 2
                continue
            tries = f" after {attempt + 1} attempts" if attempt else ""
            if timed_out:
                raise EndpointError(f"endpoint {endpoint} did not answer within {timeout:g} s") from None
            if isinstance(exc, HTTPError):
                raise EndpointError(f"endpoint {endpoint} answered HTTP {exc.code} {exc.reason}{tries}") from None
            if isinstance(exc, EndPointInternalError):
                raise EndpointError(f"endpoint {endpoint} answered HTTP 500 (internal error){tries}") from None
            raise EndpointError(f"endpoint {endpoint} unreachable{tries}: {getattr(exc, 'reason', exc)}") from None
        except SPARQLWrapperException as exc:
            raise EndpointError(f"endpoint {endpoint} refused the query: {' '.join(str(exc).split())[:200]}") from None
        except (TimeoutError, socket.timeout):
            raise EndpointError(f"endpoint {endpoint} did not answer within {timeout:g} s") from None
        except OSError as exc:
            raise EndpointError(f"endpoint {endpoint} unreachable: {exc}") from None
        except ValueError as exc:
            raise EndpointError(f"endpoint {endpoint} sent an unreadable answer: {exc}") from None
    if kind in ("CONSTRUCT", "DESCRIBE"):
        graph = Graph()
        graph.parse(data=payload if isinstance(payload, (str, bytes)) else str(payload), format="turtle")
        return QueryResult("graph", graph=graph)
    if "boolean" in payload:
        return QueryResult("ask", boolean=bool(payload["boolean"]))

    def term(d: dict[str, str]) -> Node:
        if d["type"] == "uri":
            return URIRef(d["value"])
        if d["type"] == "bnode":
            return BNode(d["value"])
        return Literal(d["value"], lang=d.get("xml:lang"), datatype=d.get("datatype"))

    variables = list(payload["head"].get("vars", []))
    rows = [{k: term(v) for k, v in b.items()} for b in payload["results"]["bindings"]]
    return QueryResult("select", variables=variables, rows=rows)
