"""SPARQL servers over HTTP: the SPARQL 1.1 Protocol (queries, updates) and the Graph Store HTTP
Protocol (loading a graph).

Every failure is one :class:`~exoreason.errors.EndpointError` (exit 1) naming the URL and what
went wrong (connection refused, unknown host, no answer in time, an HTTP error with the server's
own message, an HTML page or a body that is not SPARQL results), or an
:class:`~exoreason.errors.InputError` (exit 2) for a URL that is not one. Requests that failed for
a passing reason (connection refused or reset, HTTP 5xx) are retried with doubling waits; requests
are read-only or idempotent (PUT), so a retry is safe. Only the standard library is used.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import EndpointError, InputError

if TYPE_CHECKING:
    import pyoxigraph

__all__ = ["Answer", "check_url", "fetch", "query_endpoint", "send_graph", "send_update"]

_GET_LIMIT = 2000  # longer queries are POSTed (URLs that long are refused by some servers)
_SELECT_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.8"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, media type (without parameters) and body."""

    status: int
    media_type: str
    body: bytes


class _Failure(Exception):
    """One failed attempt; ``transient`` failures are worth a retry."""

    def __init__(self, message: str, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def check_url(url: str, what: str) -> None:
    """Refuse (InputError) what is not an http(s) URL with a host and a valid port."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise InputError(f"not a valid {what} URL: {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) {what} URL: {url!r}")
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InputError(f"not a valid {what} URL: {url!r} (spaces and control characters are not allowed)")
    del port


def _hint(url: str, what: str, status: int = 0) -> str:
    """Where the user probably meant to send the request, from the shape of the URL."""
    path = url.split("?", 1)[0].rstrip("/")
    if what == "endpoint" and re.search(r"/(store|update|data)$", path):
        return (" (that path is a graph store or update service; queries go to the SPARQL query "
                "service, e.g. Oxigraph's http://HOST:PORT/query)")
    if what == "graph store" and re.search(r"/(query|sparql|update)$", path):
        return (" (that path is a SPARQL service; graphs load through the Graph Store Protocol, "
                "e.g. Oxigraph's http://HOST:PORT/store)")
    if status in (404, 405):
        return (" (is it the SPARQL query service? Oxigraph's is http://HOST:PORT/query)" if what == "endpoint"
                else " (is it a Graph Store Protocol service? Oxigraph's is http://HOST:PORT/store)")
    return ""


def _server_says(body: bytes, media_type: str) -> str:
    """The first line of a short plain-text error body, else nothing."""
    if media_type == "text/html" or not body:
        return ""
    text = body[:400].decode("utf-8", "replace").strip()
    line = text.splitlines()[0].strip() if text else ""
    return f": {line[:160]}" if line and not line.startswith(("<", "{")) else ""


def _attempt(request_url: str, url: str, *, method: str, data: bytes | None, headers: dict[str, str],
             timeout: float, what: str) -> Answer:
    """One request to ``request_url``; failures name ``url``, the URL the user gave."""
    import http.client
    import socket
    import urllib.error
    import urllib.request

    request = urllib.request.Request(request_url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            media = response.headers.get_content_type()
            return Answer(int(response.status), media, response.read())
    except urllib.error.HTTPError as exc:
        media = exc.headers.get_content_type() if exc.headers else ""
        try:
            body = exc.read()
        except (OSError, http.client.HTTPException):
            body = b""
        message = f"{what} {url} answered HTTP {exc.code} {exc.reason}{_server_says(body, media)}"
        raise _Failure(message + _hint(url, what, exc.code), exc.code >= 500) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise _Failure(f"{what} {url} did not answer within {timeout:g} s", False) from None
        if isinstance(reason, socket.gaierror):
            host = request.host.rsplit(":", 1)[0] if request.host else url
            raise _Failure(f"{what} {url} unreachable: host {host!r} not found", False) from None
        if isinstance(reason, ConnectionRefusedError):
            raise _Failure(f"{what} {url} unreachable: connection refused (is the server running?)",
                           True) from None
        raise _Failure(f"{what} {url} unreachable: {reason}", isinstance(reason, ConnectionError)) from None
    except TimeoutError:
        raise _Failure(f"{what} {url} did not answer within {timeout:g} s", False) from None
    except (http.client.RemoteDisconnected, ConnectionResetError):
        raise _Failure(f"{what} {url} closed the connection without an answer", True) from None
    except (ValueError, http.client.InvalidURL) as exc:  # urllib's own checks of the URL
        raise InputError(f"not a valid {what} URL: {url!r} ({exc})") from None
    except http.client.HTTPException as exc:  # a server that does not speak HTTP
        raise _Failure(f"{what} {url} did not answer in HTTP ({type(exc).__name__})", False) from None
    except OSError as exc:
        raise _Failure(f"{what} {url} unreachable: {exc.strerror or exc}", True) from None


def fetch(url: str, *, method: str = "GET", query: str = "", data: bytes | None = None,
          headers: dict[str, str] | None = None, timeout: float = 30.0, retries: int = 2,
          backoff: float = 0.5, what: str = "endpoint") -> Answer:
    """One HTTP request to ``url`` (with ``query`` as its query string), retried ``retries``
    times after a passing failure; an answer of 2xx. Errors name ``url``."""
    check_url(url, what)
    request_url = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
    wait = backoff
    for attempt in range(max(0, retries) + 1):
        try:
            return _attempt(request_url, url, method=method, data=data, headers=headers or {},
                            timeout=timeout, what=what)
        except _Failure as failure:
            if failure.transient and attempt < retries:
                time.sleep(wait)
                wait *= 2
                continue
            tries = f" after {attempt + 1} attempts" if attempt else ""
            message = str(failure)
            if tries and " unreachable" in message:
                message = message.replace(" unreachable", f" unreachable{tries}", 1)
            elif tries:
                message += tries
            raise EndpointError(message) from None
    raise AssertionError("unreachable")  # the loop returns or raises


def _is_html(answer: Answer) -> bool:
    return answer.media_type in ("text/html", "application/xhtml+xml") or \
        answer.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def _not_results(url: str, answer: Answer, expected: str) -> EndpointError:
    if _is_html(answer):
        return EndpointError(f"endpoint {url} answered with an HTML page, not {expected}"
                             f"{_hint(url, 'endpoint') or ' (is it the SPARQL query service?)'}")
    return EndpointError(f"endpoint {url} answered {answer.media_type or 'an untyped body'}, "
                         f"not {expected}{_hint(url, 'endpoint')}")


def query_endpoint(url: str, text: str, *, graph: bool, timeout: float = 30.0, retries: int = 2,
                   backoff: float = 0.5) -> Any:
    """Send a query (SPARQL 1.1 Protocol); the answer parsed by pyoxigraph: a ``QueryBoolean``,
    solutions (``variables`` and ``rows`` of ``QuerySolution``), or a list of ``Triple``."""
    from urllib.parse import urlencode

    import pyoxigraph

    form = urlencode({"query": text})
    accept = _GRAPH_ACCEPT if graph else _SELECT_ACCEPT
    if len(url) + len(form) < _GET_LIMIT:
        answer = fetch(url, query=form, headers={"Accept": accept}, timeout=timeout, retries=retries,
                       backoff=backoff)
    else:
        answer = fetch(url, method="POST", data=form.encode(), timeout=timeout, retries=retries,
                       backoff=backoff, headers={"Accept": accept,
                                                 "Content-Type": "application/x-www-form-urlencoded"})
    expected = "an RDF graph" if graph else "SPARQL results"
    if _is_html(answer):
        raise _not_results(url, answer, expected)
    if graph:
        rdf_format = pyoxigraph.RdfFormat.from_media_type(answer.media_type)
        if rdf_format is None:
            raise _not_results(url, answer, expected)
        try:
            return list(pyoxigraph.parse(answer.body, format=rdf_format))
        except (SyntaxError, ValueError) as exc:
            raise EndpointError(f"endpoint {url} sent unreadable {rdf_format.name}: "
                                f"{' '.join(str(exc).split())[:200]}") from None
    results_format = pyoxigraph.QueryResultsFormat.from_media_type(answer.media_type)
    if answer.media_type in ("application/json", "text/plain", "application/octet-stream", ""):
        # a server that says only "JSON" (or nothing): SPARQL JSON results if it is any
        results_format = pyoxigraph.QueryResultsFormat.JSON if answer.body.lstrip()[:1] == b"{" else None
    if results_format is None:
        raise _not_results(url, answer, expected)
    try:
        parsed = pyoxigraph.parse_query_results(answer.body, format=results_format)
        if isinstance(parsed, pyoxigraph.QueryBoolean):
            return parsed
        return _Solutions([v.value for v in parsed.variables], list(parsed))
    except (SyntaxError, ValueError) as exc:
        raise EndpointError(f"endpoint {url} sent an answer that is not SPARQL results: "
                            f"{' '.join(str(exc).split())[:200]}") from None


@dataclass(frozen=True)
class _Solutions:
    variables: list[str]
    rows: list[pyoxigraph.QuerySolution]


def send_update(url: str, text: str, *, timeout: float = 30.0) -> None:
    """Send a SPARQL Update to an update service (never retried: an update may not be idempotent)."""
    from urllib.parse import urlencode

    fetch(url, method="POST", data=urlencode({"update": text}).encode(), timeout=timeout, retries=0,
          headers={"Content-Type": "application/x-www-form-urlencoded"})


def send_graph(store_url: str, data: bytes, media_type: str, graph_iri: str | None = None, *,
               replace: bool = True, timeout: float = 60.0, retries: int = 2) -> int:
    """Load RDF into a Graph Store Protocol service: PUT replaces the graph, POST adds to it.
    Returns the HTTP status."""
    from urllib.parse import urlencode

    query = urlencode({"graph": graph_iri}) if graph_iri else "default"
    answer = fetch(store_url, query=query, method="PUT" if replace else "POST", data=data, timeout=timeout,
                   retries=retries, headers={"Content-Type": media_type}, what="graph store")
    if answer.media_type in ("text/html", "application/xhtml+xml"):
        raise EndpointError(f"graph store {store_url} answered with an HTML page: it is not a "
                            f"Graph Store Protocol service{_hint(store_url, 'graph store')}")
    return answer.status
