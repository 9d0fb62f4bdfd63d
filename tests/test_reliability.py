"""Interrupted writes: a build or a batch run stopped by SIGINT or SIGTERM loses nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from .conftest import EXOREASON, ONTOLOGY, claims_file

OUTPUTS = ("exoreason.owl", "exoreason-kg.ttl", "exoreason-network.json")


def _changed_copy(tmp_path):
    """A copy of the ontology directory with one claim more, so that a build changes every output."""
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    (copy / "templates" / "claims-extra.tsv").write_text(claims_file(
        id="EXTRA-1", subject="miRBase:MIMAT0000646", relation="exo:promotes", object="exo:Metastasis",
        source="Section: test", evidence="ECO:0000304", quote="q", context="exosomal"))
    return copy


#: Runs `exoreason build` in a process of its own that sends itself a signal at a chosen point of
#: writing its outputs: after the first temporary file is written ("staging"), or after the first
#: rename into place ("renaming"), where the writer holds signals back until every file is renamed.
INTERRUPTING_BUILD = """
import os, signal, sys
point, signum = sys.argv[1], int(sys.argv[2])
real = {"staging": os.fsync, "renaming": os.replace}[point]
def interrupted(*args):
    real(*args)
    if point == "staging" or os.path.basename(args[1]) == "exoreason.owl":
        os.kill(os.getpid(), signum)
setattr(os, {"staging": "fsync", "renaming": "replace"}[point], interrupted)
from exoreason.cli import main
main(["build"])
"""


@pytest.mark.parametrize(("point", "signum", "expected"), [("staging", signal.SIGINT, "old"),
                                                        ("renaming", signal.SIGTERM, "new")])
def test_interrupted_build_leaves_all_old_or_all_new_outputs(tmp_path, point, signum, expected):
    """A build stopped while it writes its outputs leaves every one old (stopped before the files
    are renamed into place) or every one new (stopped while they are renamed: the signal waits
    until all are), no temporary file, and exits 130 with one line. The signal arrives at a
    known point of the writing, not after a guessed delay."""
    import sys

    copy = _changed_copy(tmp_path)
    old = {name: (copy / name).read_bytes() for name in OUTPUTS}
    env = {**os.environ, "EXOREASON_ONTOLOGY_DIR": str(copy)}
    done = subprocess.run([sys.executable, "-c", INTERRUPTING_BUILD, point, str(int(signum))], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "exoreason: interrupted"
    now = {name: (copy / name).read_bytes() for name in OUTPUTS}
    if expected == "old":
        assert now == old
    else:
        assert all(now[name] != old[name] for name in OUTPUTS)
    assert [p.name for p in copy.iterdir() if p.name.endswith(".tmp")] == []


def test_interrupted_batch_run_leaves_no_output(tmp_path):
    profiles = tmp_path / "profiles.csv"
    with profiles.open("w") as handle:
        handle.write("id,miR-155,miR-21\n")
        handle.writelines(f"s{i},{'true' if i % 2 else 'false'},{'' if i % 3 else 'true'}\n" for i in range(400_000))
    out = tmp_path / "out.csv"
    process = subprocess.Popen([EXOREASON, "infer", "--profiles", str(profiles), "--output", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(3.0)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    if process.returncode == 0:
        pytest.skip("the run finished before it could be interrupted")
    assert process.returncode == 130
    assert b"Traceback" not in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["profiles.csv"]


# --- queries: runaway evaluation, flaky and failing endpoints -------------------------------------

import json  # noqa: E402
import threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

from .conftest import assert_one_line_error, run_cli  # noqa: E402
from .oxigraph_server import free_port, oxigraph_binary  # noqa: E402

RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def test_runaway_embedded_query_is_stopped_at_the_timeout():
    start = time.monotonic()
    done = run_cli("query", RUNAWAY, "--timeout", "2")
    assert_one_line_error(done, 1, "query stopped after 2 s")
    assert time.monotonic() - start < 60


def _serve(handler_class):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/query"


def test_a_flaky_endpoint_is_retried_with_backoff():
    calls = []

    class Flaky(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            calls.append(time.monotonic())
            if len(calls) <= 2:
                self.send_response(503)
                self.end_headers()
                return
            body = json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": [
                {"n": {"type": "literal", "value": "7"}}]}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server, url = _serve(Flaky)
    try:
        done = run_cli("query", "SELECT ?n WHERE { ?s ?p ?n }", "--endpoint", url, "--format", "csv")
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == ["n", "7"]
        assert len(calls) == 3
        assert calls[2] - calls[1] >= 0.9 * (calls[1] - calls[0])  # the wait doubles
        calls.clear()
        failed = run_cli("query", "SELECT ?n WHERE { ?s ?p ?n }", "--endpoint", url, "--retries", "0")
        assert_one_line_error(failed, 1, "HTTP 503")
        assert len(calls) == 1
    finally:
        server.shutdown()


def test_a_slow_endpoint_times_out_without_retry():
    calls = []

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            calls.append(1)
            time.sleep(5)

        do_POST = do_GET  # noqa: N815

        def log_message(self, *args):
            pass

    server, url = _serve(Slow)
    try:
        done = run_cli("query", "ASK { ?s ?p ?o }", "--endpoint", url, "--timeout", "1")
        assert_one_line_error(done, 1, "did not answer within 1 s")
        assert len(calls) == 1
    finally:
        server.shutdown()


def _private_server(tmp_path):
    """An Oxigraph server of the test's own (the shared one must keep the review's graph)."""
    binary = oxigraph_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("oxigraph is not installed; CI is set")
        pytest.skip("oxigraph is not installed")
    port = free_port()
    server = subprocess.Popen([binary, "serve", "--location", str(tmp_path / "db"), "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server, f"http://127.0.0.1:{port}"


def test_an_endpoint_stopped_mid_run(tmp_path):
    server, base = _private_server(tmp_path)
    try:
        for _ in range(100):
            if run_cli("push", "--endpoint", f"{base}/store").returncode == 0:
                break
            time.sleep(0.2)
        first = run_cli("query", "targets-of-mirna", "--bind", "mirna=miR-155", "--endpoint", f"{base}/query",
                        "--format", "csv")
        assert first.returncode == 0 and "TP53INP1" in first.stdout
    finally:
        server.terminate()
        server.wait(timeout=30)
    done = run_cli("query", "targets-of-mirna", "--endpoint", f"{base}/query", "--retries", "1")
    assert_one_line_error(done, 1, "unreachable after 2 attempts")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_fit_leaves_the_previous_parameters_file(tmp_path, signum):
    import tomllib

    data = tmp_path / "cohort.csv"
    with data.open("w") as handle:
        handle.write("id,miR-155,miR-21,chemoresistance,metastasis,EMT\n")
        handle.writelines(f"p{i},{'true' if i % 2 else 'false'},{'true' if i % 5 else 'false'},"
                          f"{'true' if i % 3 else ''},{'true' if i % 7 < 3 else 'false'},false\n" for i in range(20_000))
    fitted = tmp_path / "fitted.toml"
    fitted.write_text("the previous parameters")
    for delay in (0.8, 1.5, 2.5):
        process = subprocess.Popen([EXOREASON, "fit", str(data), "--output", str(fitted), "--force"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
        assert b"Traceback" not in err
        text = fitted.read_text()
        assert text == "the previous parameters" or tomllib.loads(text)["fit"]["rows"] == 20_000
        assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv", "fitted.toml"]


def test_updates_only_with_allow_update_and_only_on_an_endpoint(tmp_path):
    update = "INSERT DATA { <https://example.org/a> <https://example.org/b> <https://example.org/c> }"
    assert_one_line_error(run_cli("query", update), 2, "SPARQL Update is refused")
    assert_one_line_error(run_cli("query", update, "--allow-update"), 2, "needs --endpoint")
    server, base = _private_server(tmp_path)
    try:
        ask = "ASK { <https://example.org/a> ?p ?o }"
        for _ in range(100):
            answer = run_cli("query", ask, "--endpoint", f"{base}/query", "--retries", "0")
            if answer.returncode == 0:
                break
            time.sleep(0.2)
        assert answer.stdout.strip() == "false"
        refused = run_cli("query", update, "--endpoint", f"{base}/update")
        assert_one_line_error(refused, 2, "SPARQL Update is refused")
        assert run_cli("query", ask, "--endpoint", f"{base}/query").stdout.strip() == "false"
        done = run_cli("query", update, "--endpoint", f"{base}/update", "--allow-update")
        assert done.returncode == 0, done.stderr
        assert run_cli("query", ask, "--endpoint", f"{base}/query").stdout.strip() == "true"
    finally:
        server.terminate()
        server.wait(timeout=30)
