"""Interrupted writes: a build or a batch run stopped by SIGINT or SIGTERM loses nothing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from .conftest import EXOREASON, ONTOLOGY

OUTPUTS = ("exoreason.owl", "exoreason-kg.ttl", "exoreason-network.json")


def _changed_copy(tmp_path):
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    claims = copy / "templates" / "claims-exosomes.tsv"
    header = claims.read_text().splitlines()[0]
    (copy / "templates" / "claims-extra.tsv").write_text(
        header + "\n" + "\t".join(["EXTRA-1", "miRBase:MIMAT0000646", "exo:promotes", "exo:Metastasis", "",
                                   "Section: test", "", "", "ECO:0000304", "q", ""]) + "\n")
    return copy


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_build_leaves_all_old_or_all_new_outputs(tmp_path, signum):
    copy = _changed_copy(tmp_path)
    old = {name: (copy / name).read_bytes() for name in OUTPUTS}
    env = {**os.environ, "EXOREASON_ONTOLOGY_DIR": str(copy)}
    # A full build takes about a second: stop it at several points along the way.
    outcomes = set()
    # From 0.8 s on, the command has loaded (Ctrl-C while Python itself starts is out of its hands).
    for delay in (0.8, 1.0, 1.2, 1.4, 1.7, 2.5):
        for name, data in old.items():
            (copy / name).write_bytes(data)
        process = subprocess.Popen([EXOREASON, "build"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
        assert b"Traceback" not in err
        now = {name: (copy / name).read_bytes() for name in OUTPUTS}
        same = [now[name] == old[name] for name in OUTPUTS]
        assert all(same) or not any(same), (delay, same)
        outcomes.add("old" if all(same) else "new")
        leftovers = [p.name for p in copy.iterdir() if p.name.endswith(".tmp")]
        assert leftovers == [], leftovers
    assert "old" in outcomes  # at least one run was really interrupted


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
