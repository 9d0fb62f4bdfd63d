"""A real Oxigraph SPARQL server for the tests: ``oxigraph serve`` on a free local port.

The session fixture ``oxigraph_server`` starts ``oxigraph serve --location <tmpdir> --bind
127.0.0.1:<port>``, waits until it answers a query, yields its base URL (``http://127.0.0.1:PORT``;
SPARQL at ``/query``, Graph Store Protocol at ``/store``) and stops it at the end of the session.
Without the ``oxigraph`` binary the tests that use it skip, but fail when the CI environment
variable is set, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 30.0


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server CLI: on PATH, or next to the running Python (the venv's bin)."""
    found = shutil.which("oxigraph")
    if found:
        return found
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(base: str) -> bool:
    url = f"{base}/query?" + urllib.parse.urlencode({"query": "ASK {}"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 (local test server)
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running_server(location: Path, log_path: Path | None = None) -> Iterator[str]:
    """``oxigraph serve`` on a free local port over ``location``: its base URL, until the block ends."""
    binary = oxigraph_binary()
    if binary is None:
        reason = "the oxigraph server CLI is not installed (pip install oxigraph)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is an error, not a skip", pytrace=False)
        pytest.skip(reason)
    log_path = log_path or location.parent / f"{location.name}.log"
    log = log_path.open("wb")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: S603 (fixed argument list)
        [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers(base):
            if process.poll() is not None:
                log.flush()
                text = log_path.read_text(errors="replace")
                pytest.fail(f"oxigraph serve exited with {process.returncode}: {text[-500:]}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"oxigraph serve did not answer on {base} within {STARTUP_TIMEOUT} s", pytrace=False)
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def oxigraph_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the session, holding what the tests push (the review's graph)."""
    with running_server(tmp_path_factory.mktemp("oxigraph-data")) as base:
        yield base


@pytest.fixture()
def private_oxigraph_server(tmp_path: Path) -> Iterator[str]:
    """A server of the test's own, for a test that changes what the server holds."""
    with running_server(tmp_path / "oxigraph-db") as base:
        yield base
