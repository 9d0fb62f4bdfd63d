"""SPARQL servers over HTTP: the SPARQL 1.1 Protocol (queries, updates) and the Graph Store HTTP
Protocol (loading a graph).

Every failure is one :class:`~exoreason.errors.EndpointError` (exit 1) naming the URL and what
went wrong (connection refused, unknown host, no answer in time, an HTTP error with the server's
own message, an HTML page or a body that is not SPARQL results), or an
:class:`~exoreason.errors.InputError` (exit 2) for a URL that is not one. Requests that failed for
a passing reason (connection refused or reset, an HTTP 5xx other than 501 Not Implemented and 505
HTTP Version Not Supported, which the server will answer however often it is asked) are retried with doubling waits; requests
are read-only or idempotent (PUT), so a retry is safe. Queries and updates go through SPARQLWrapper;
the Graph Store Protocol, which it does not speak, through the standard library.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import EndpointError, InputError

if TYPE_CHECKING:
    import pyoxigraph

__all__ = ["Answer", "check_url", "fetch", "query_endpoint", "send_graph", "send_update", "transient_status"]

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


#: Server errors that say the server will never do what was asked: not worth a retry.
_FINAL_SERVER_ERRORS = frozenset({501, 505})


def transient_status(code: int) -> bool:
    """Whether an HTTP status is a passing failure, worth a retry: a server error (5xx) other than
    one that says the server does not do what was asked.

    >>> transient_status(503), transient_status(501), transient_status(404)
    (True, False, False)
    """
    return code >= 500 and code not in _FINAL_SERVER_ERRORS


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
    if what == "update service" and re.search(r"/(query|sparql|store)$", path):
        return (" (that path is a query service or graph store; updates go to the SPARQL update "
                "service, e.g. Oxigraph's http://HOST:PORT/update)")
    if what == "graph store" and re.search(r"/(query|sparql|update)$", path):
        return (" (that path is a SPARQL service; graphs load through the Graph Store Protocol, "
                "e.g. Oxigraph's http://HOST:PORT/store)")
    if status in (404, 405):
        return {"endpoint": " (is it the SPARQL query service? Oxigraph's is http://HOST:PORT/query)",
                "update service": " (is it the SPARQL update service? Oxigraph's is http://HOST:PORT/update)",
                }.get(what, " (is it a Graph Store Protocol service? Oxigraph's is http://HOST:PORT/store)")
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
    import urllib.error
    import urllib.request

    request = urllib.request.Request(request_url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            media = response.headers.get_content_type()
            return Answer(int(response.status), media, response.read())
    except urllib.error.HTTPError as exc:
        media = exc.headers.get_content_type() if exc.headers else ""
        message = f"{what} {url} answered HTTP {exc.code} {exc.reason}{_server_says(_read(exc), media)}"
        raise _Failure(message + _hint(url, what, exc.code), transient_status(exc.code)) from None
    except (ValueError, http.client.InvalidURL) as exc:  # urllib's own checks of the URL
        raise InputError(f"not a valid {what} URL: {url!r} ({exc})") from None
    except Exception as exc:  # noqa: BLE001 - connection failures, named by _transport_failure
        raise _transport_failure(exc, url, what, timeout) from None


def _transport_failure(exc: BaseException, url: str, what: str, timeout: float) -> Exception:
    """A failure below HTTP (refused, unknown host, timeout, reset, not HTTP) as one message."""
    import http.client
    import socket
    import urllib.error

    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            return _Failure(f"{what} {url} did not answer within {timeout:g} s", False)
        if isinstance(reason, socket.gaierror):
            from urllib.parse import urlsplit

            return _Failure(f"{what} {url} unreachable: host {urlsplit(url).hostname!r} not found", False)
        if isinstance(reason, ConnectionRefusedError):
            return _Failure(f"{what} {url} unreachable: connection refused (is the server running?)", True)
        return _Failure(f"{what} {url} unreachable: {reason}", isinstance(reason, ConnectionError))
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return _Failure(f"{what} {url} did not answer within {timeout:g} s", False)
    if isinstance(exc, (http.client.RemoteDisconnected, ConnectionResetError)):
        return _Failure(f"{what} {url} closed the connection without an answer", True)
    if isinstance(exc, (ValueError, http.client.InvalidURL)):
        return InputError(f"not a valid {what} URL: {url!r} ({exc})")
    if isinstance(exc, http.client.HTTPException):  # a server that does not speak HTTP
        return _Failure(f"{what} {url} did not answer in HTTP ({type(exc).__name__})", False)
    if isinstance(exc, OSError):
        return _Failure(f"{what} {url} unreachable: {exc.strerror or exc}", True)
    raise exc


def _retrying(url: str, attempt: Callable[[], Answer], retries: int, backoff: float) -> Answer:
    """``attempt()`` retried ``retries`` times after a passing failure; failures become one
    EndpointError naming ``url``."""
    wait = backoff
    for number in range(max(0, retries) + 1):
        try:
            return attempt()
        except _Failure as failure:
            if failure.transient and number < retries:
                time.sleep(wait)
                wait *= 2
                continue
            tries = f" after {number + 1} attempts" if number else ""
            message = str(failure)
            if tries and " unreachable" in message:
                message = message.replace(" unreachable", f" unreachable{tries}", 1)
            elif tries:
                message += tries
            raise EndpointError(message) from None
    raise AssertionError("unreachable")  # the loop returns or raises


def fetch(url: str, *, method: str = "GET", query: str = "", data: bytes | None = None,
          headers: dict[str, str] | None = None, timeout: float = 30.0, retries: int = 2,
          backoff: float = 0.5, what: str = "endpoint") -> Answer:
    """One HTTP request to ``url`` (with ``query`` as its query string), retried ``retries``
    times after a passing failure; an answer of 2xx. Errors name ``url``."""
    check_url(url, what)
    request_url = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
    return _retrying(url, lambda: _attempt(request_url, url, method=method, data=data, headers=headers or {},
                                           timeout=timeout, what=what), retries, backoff)


def _sparql_request(url: str, text: str, *, update: bool, accept: str, timeout: float) -> Answer:
    """One SPARQL 1.1 Protocol request through SPARQLWrapper (GET for a short query, else POST);
    failures as :func:`_attempt` reports them."""
    import urllib.error
    from urllib.parse import urlencode

    from SPARQLWrapper import GET, POST, URLENCODED, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

    wrapper = SPARQLWrapper(url, updateEndpoint=url)
    wrapper.setTimeout(max(1, round(timeout)))
    wrapper.setOnlyConneg(True)  # no format= parameter in the URL: the Accept header says it
    wrapper.setQuery(text)  # an update's form (INSERT, DELETE, ...) makes SPARQLWrapper send an update
    short = not update and len(url) + len(urlencode({"query": text})) < _GET_LIMIT
    wrapper.setMethod(GET if short else POST)
    wrapper.setRequestMethod(URLENCODED)
    wrapper.addCustomHttpHeader("Accept", accept)
    try:
        response = wrapper.query().response
        media = response.headers.get_content_type() if response.headers else ""
        return Answer(int(response.status), media, response.read())
    except SPARQLWrapperException as exc:  # SPARQLWrapper's names for HTTP 400, 401, 404, 414 and 500
        code = {"QueryBadFormed": 400, "Unauthorized": 401, "EndPointNotFound": 404, "URITooLong": 414,
                "EndPointInternalError": 500}.get(type(exc).__name__, 0)
        said = _server_says(_wrapped_body(exc), "text/plain")
        reason = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 414: "URI Too Long",
                  500: "Internal Server Error"}.get(code, type(exc).__name__)
        hint = _hint(url, "update service" if update else "endpoint", code)
        raise _Failure(f"endpoint {url} answered HTTP {code} {reason}{said}{hint}", transient_status(code)) from None
    except urllib.error.HTTPError as exc:  # the other statuses SPARQLWrapper passes on
        media = exc.headers.get_content_type() if exc.headers else ""
        hint = _hint(url, "update service" if update else "endpoint", exc.code)
        raise _Failure(f"endpoint {url} answered HTTP {exc.code} {exc.reason}"
                       f"{_server_says(_read(exc), media)}{hint}", transient_status(exc.code)) from None
    except Exception as exc:  # noqa: BLE001 - urllib's connection failures, as _attempt names them
        raise _transport_failure(exc, url, "endpoint", timeout) from None


def _wrapped_body(exc: Exception) -> bytes:
    """The server's body that a SPARQLWrapper exception quotes in its message (as a bytes repr)."""
    import ast

    text = str(exc.args[0]) if exc.args else ""
    _, found, quoted = text.partition("Response:\n")
    if not found:
        return b""
    try:
        body = ast.literal_eval(quoted.strip())
    except (ValueError, SyntaxError):
        return b""
    return body if isinstance(body, bytes) else b""


def _read(error: Any) -> bytes:
    import http.client

    try:
        return bytes(error.read())
    except (OSError, http.client.HTTPException):
        return b""


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

    import pyoxigraph

    check_url(url, "endpoint")
    accept = _GRAPH_ACCEPT if graph else _SELECT_ACCEPT
    answer = _retrying(url, lambda: _sparql_request(url, text, update=False, accept=accept, timeout=timeout),
                       retries, backoff)
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
    check_url(url, "endpoint")
    _retrying(url, lambda: _sparql_request(url, text, update=True, accept="*/*", timeout=timeout), 0, 0.0)


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
