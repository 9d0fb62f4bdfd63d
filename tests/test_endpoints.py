"""Mistyped and misbehaving endpoints: each gives one line naming the URL and what was wrong.

`exoreason query --endpoint` and `exoreason push --endpoint` are run as a user would, against a
real Oxigraph server (tests/oxigraph_server.py) given the wrong path, and against tiny local HTTP
servers (a thread each) answering an HTML page, a 404, JSON that is not SPARQL results, or not
HTTP at all. Exit code 1 for a failure of the server, 2 for a URL that is not one; never an
internal error (issue 12: `UnboundLocalError` for Oxigraph's /store, `TypeError` for an HTML page).
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from .conftest import assert_one_line_error, run_cli
from .oxigraph_server import free_port

HTML = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body>Hello</body></html>"


@contextmanager
def serving(status: int, media_type: str, body: bytes, hits: list[str] | None = None) -> Iterator[str]:
    """A local HTTP server answering every request with one fixed answer; yields its base URL.
    ``hits`` collects the method of every request it answered."""

    class Fixed(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            if hits is not None:
                hits.append(self.command)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = _answer

        def log_message(self, *args: object) -> None:
            pass

    yield from _run(ThreadingHTTPServer(("127.0.0.1", 0), Fixed))


@contextmanager
def not_http() -> Iterator[str]:
    """A local TCP server that answers every connection with a line that is not HTTP."""

    class Garbage(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            self.request.recv(65536)
            self.request.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    yield from _run(socketserver.ThreadingTCPServer(("127.0.0.1", 0), Garbage))


def _run(server: socketserver.ThreadingTCPServer) -> Iterator[str]:
    """Serve in a thread while the caller uses the base URL; shut the server down after."""
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def query(url: str, name: str = "targets-of-mirna", *extra: str):
    return run_cli("query", name, "--endpoint", url, "--retries", "0", *extra)


# --------------------------------------------------------------------------------------------
# exoreason query --endpoint
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["targets-of-mirna", "is-mirna-targeting", "mirna-target-graph"])
def test_oxigraph_store_url_given_as_query_endpoint_is_one_line(oxigraph_server, name):
    """Regression: `--endpoint http://HOST:PORT/store` was `internal error (UnboundLocalError ...)`."""
    url = f"{oxigraph_server}/store"
    done = query(url, name)
    assert_one_line_error(done, 1, f"endpoint {url} ", "HTTP 4", "query service", "/query")
    assert "?query=" not in done.stderr  # the URL the user gave, not the request's


def test_html_page_as_query_endpoint_is_one_line():
    """Regression: a URL serving an HTML page was `internal error (TypeError ...)`."""
    with serving(200, "text/html", HTML) as base:
        done = query(f"{base}/")
        assert_one_line_error(done, 1, f"endpoint {base}/ ", "HTML page", "not SPARQL results")


def test_html_page_as_construct_endpoint_is_one_line():
    with serving(200, "text/html", HTML) as base:
        assert_one_line_error(query(f"{base}/", "mirna-target-graph"), 1, "HTML page", "not an RDF graph")


def test_html_page_sent_as_plain_text_is_one_line():
    with serving(200, "text/plain", HTML) as base:
        assert_one_line_error(query(f"{base}/sparql"), 1, f"endpoint {base}/sparql ", "HTML page")


def test_not_found_endpoint_is_one_line(oxigraph_server):
    url = f"{oxigraph_server}/sparql-typo"
    assert_one_line_error(query(url), 1, f"endpoint {url} ", "HTTP 404", "query service")


def test_json_that_is_not_sparql_results_is_one_line():
    body = json.dumps({"status": "ok", "items": [1, 2, 3]}).encode()
    with serving(200, "application/json", body) as base:
        assert_one_line_error(query(f"{base}/api"), 1, f"endpoint {base}/api ", "not SPARQL results")


def test_sparql_json_of_the_wrong_shape_is_one_line():
    body = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "uri"}}]}}).encode()
    with serving(200, "application/sparql-results+json", body) as base:
        assert_one_line_error(query(f"{base}/query"), 1, f"endpoint {base}/query ", "not SPARQL results")


def test_unreadable_turtle_for_a_construct_is_one_line():
    with serving(200, "text/turtle", b"this is { not turtle") as base:
        assert_one_line_error(query(f"{base}/query", "mirna-target-graph"), 1, "unreadable Turtle")


def test_connection_refused_is_one_line():
    url = f"http://127.0.0.1:{free_port()}/query"
    assert_one_line_error(query(url), 1, f"endpoint {url} ", "unreachable", "connection refused")


def test_unknown_host_is_one_line():
    url = "http://no-such-host.invalid/query"  # .invalid never resolves (RFC 2606)
    assert_one_line_error(query(url), 1, f"endpoint {url} ", "unreachable", "not found")


def test_server_that_does_not_speak_http_is_one_line():
    with not_http() as base:
        assert_one_line_error(query(f"{base}/query"), 1, f"endpoint {base}/query ", "HTTP")


@pytest.mark.parametrize(("url", "needle"), [
    ("http://127.0.0.1:notaport/query", "not a valid endpoint URL"),
    ("ftp://127.0.0.1/query", "not an http(s) endpoint URL"),
    ("127.0.0.1:7878/query", "not an http(s) endpoint URL"),
    ("http:///query", "not an http(s) endpoint URL"),
    ("http://127.0.0.1:7878/que ry", "not a valid endpoint URL"),
])
def test_url_that_is_not_one_is_bad_input(url, needle):
    assert_one_line_error(query(url), 2, needle, repr(url))


def test_update_to_a_wrong_endpoint_is_one_line():
    with serving(404, "text/plain", b"no such service") as base:
        done = run_cli("query", "INSERT DATA { <urn:a> <urn:b> <urn:c> }", "--endpoint", f"{base}/update",
                       "--allow-update")
        assert_one_line_error(done, 1, f"endpoint {base}/update ", "HTTP 404", "no such service")


# --------------------------------------------------------------------------------------------
# exoreason push --endpoint
# --------------------------------------------------------------------------------------------


def test_push_to_the_query_service_is_one_line(oxigraph_server):
    url = f"{oxigraph_server}/query"
    done = run_cli("push", "--endpoint", url)
    assert_one_line_error(done, 1, f"graph store {url} ", "HTTP 4", "Graph Store Protocol", "/store")
    assert "?default" not in done.stderr


def test_push_to_an_html_page_is_one_line():
    with serving(200, "text/html", HTML) as base:
        assert_one_line_error(run_cli("push", "--endpoint", f"{base}/"), 1, f"graph store {base}/ ", "HTML page")


def test_push_to_a_missing_path_is_one_line():
    with serving(404, "text/html", HTML) as base:
        assert_one_line_error(run_cli("push", "--endpoint", f"{base}/nowhere"), 1, "HTTP 404",
                              "Graph Store Protocol")


def test_push_refused_and_unknown_host_are_one_line():
    url = f"http://127.0.0.1:{free_port()}/store"
    assert_one_line_error(run_cli("push", "--endpoint", url), 1, f"graph store {url} ", "connection refused")
    url = "http://no-such-host.invalid/store"
    assert_one_line_error(run_cli("push", "--endpoint", url), 1, f"graph store {url} ", "not found")


@pytest.mark.parametrize(("status", "attempts"), [(501, 1), (505, 1), (503, 3)])
def test_push_retries_a_passing_server_error_only_regression(status, attempts):
    """`push` retried an HTTP 501 Not Implemented three times: a server that does not implement
    the request answers it the same way however often asked. A 503 is still retried (twice)."""
    hits: list[str] = []
    with serving(status, "text/plain", b"no", hits) as base:
        assert_one_line_error(run_cli("push", "--endpoint", f"{base}/store"), 1, f"HTTP {status}")
    assert hits == ["PUT"] * attempts


def test_push_to_a_url_that_is_not_one_is_bad_input():
    assert_one_line_error(run_cli("push", "--endpoint", "localhost:7878/store"), 2, "not an http(s)")


def test_free_port_is_closed():
    """The refused-connection tests rely on nobody listening on a fresh free port."""
    port = free_port()
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))
