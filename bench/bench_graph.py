"""The graph side as the graph grows: today's knowledge graph copied 1x, 10x and 100x (every copy's
entities and findings renamed, the vocabulary kept, so each copy is another graph of today's size
and shape that the same queries read), then for each size, in one run:

* loading it: parsed into memory (what every ``exoreason query`` did before the store), loaded into
  an on-disk store (what ``exoreason build`` now does once), and opened read-only from that store;
* the build's network queries (queries/network-*.rq) and a named query, on the store opened
  read-only and on the graph parsed into memory: time and rows (rows grow with the copies);
* a whole ``exoreason query NAME`` in a fresh process, with and without the store.

Each query is stopped after ``--limit`` seconds.

    python bench/bench_graph.py [--copies 1 10 100] [--named emt-regulators] [--limit 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NETWORK_QUERIES = ("network-nodes", "network-edges", "network-findings")


def copied_graph(source: Path, copies: int, target: Path) -> int:
    """``copies`` copies of the graph in ``source`` written to ``target`` (N-Triples, which Turtle
    readers read too): in copy k > 0 every IRI that is not vocabulary (a predicate, a class a
    query names, an OWL or RDF term) gets ``/copyK`` after its namespace, every blank node a new
    label. Returns the number of triples."""
    import pyoxigraph

    triples = list(pyoxigraph.parse(path=str(source), format=pyoxigraph.RdfFormat.TURTLE))
    predicates = {t.predicate.value for t in triples}
    named = set()
    for query in (ROOT / "queries").glob("*.rq"):
        text = query.read_text(encoding="utf-8")
        named |= {word.split(":", 1)[1] for word in text.split() if word.startswith("exo:")}
    kept = predicates | {"https://w3id.org/exoreason/" + local.strip(" ;.,(){}") for local in named}
    kept |= {t.object.value for t in triples if t.predicate.value == "http://www.w3.org/2002/07/owl#onProperty"}

    def renamed(term: Any, k: int) -> Any:
        if k == 0:
            return term
        if isinstance(term, pyoxigraph.BlankNode):
            return pyoxigraph.BlankNode(f"{term.value}c{k}")
        if isinstance(term, pyoxigraph.NamedNode) and term.value.startswith("https://w3id.org/exoreason/") \
                and term.value not in kept:
            return pyoxigraph.NamedNode(term.value.replace("https://w3id.org/exoreason/",
                                                           f"https://w3id.org/exoreason/copy{k}/", 1))
        return term

    with target.open("wb") as handle:
        for k in range(copies):
            copy = [pyoxigraph.Triple(renamed(t.subject, k), t.predicate, renamed(t.object, k)) for t in triples]
            pyoxigraph.serialize(copy, handle, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return len(triples) * copies


def timed(call: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def run_named(store: Any, name: str, limit: float) -> tuple[int | None, float, str]:
    from exoreason.errors import QueryTimeout
    from exoreason.query import load_named_query, run_query

    text = load_named_query(name).text
    start = time.perf_counter()
    try:
        rows = len(run_query(store, text, embedded_timeout=limit).rows)
        return rows, time.perf_counter() - start, ""
    except QueryTimeout:
        return None, time.perf_counter() - start, f"stopped after {limit:g} s"


def command_time(folder: Path, name: str, cache: Path, limit: float) -> float:
    env = {**os.environ, "EXOREASON_ONTOLOGY_DIR": str(folder), "XDG_CACHE_HOME": str(cache),
           "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exoreason", "query", name, "--format", "csv", "--timeout", str(limit)],
                   env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def measure(copies: int, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import pyoxigraph

    from exoreason import query as query_module
    from exoreason.query import build_store, load_store
    from exoreason.resources import KG_FILE

    folder = work / f"x{copies}"
    folder.mkdir()
    kg = folder / KG_FILE
    triples = copied_graph(ROOT / "ontology" / KG_FILE, copies, kg)
    out: dict[str, Any] = {"copies": copies, "triples": triples}
    memory = pyoxigraph.Store()
    _, out["parse_s"] = timed(lambda: memory.load(path=str(kg), format=pyoxigraph.RdfFormat.TURTLE))
    os.environ["EXOREASON_ONTOLOGY_DIR"] = str(folder)
    _, out["build_store_s"] = timed(lambda: build_store(kg))
    query_module._STORES.clear()
    on_disk, out["open_store_s"] = timed(lambda: load_store(kg))
    print(f"{copies:4d}x ({triples:,} triples): parse {out['parse_s']:.2f} s, store built once "
          f"{out['build_store_s']:.2f} s, opened read-only {out['open_store_s']:.3f} s", flush=True)
    for name in (*NETWORK_QUERIES, args.named):
        row: dict[str, Any] = {}
        for where, store in (("store", on_disk), ("memory", memory)):
            rows, seconds, note = run_named(store, name, args.limit)
            row[where] = {"rows": rows, "s": seconds, **({"note": note} if note else {})}
        out[name] = row
        print(f"{copies:4d}x {name:>18}: store {row['store']['s']:.3f} s, memory {row['memory']['s']:.3f} s, "
              f"{row['store']['rows'] if row['store']['rows'] is not None else row['store']['note']} rows", flush=True)
    empty_cache = work / "no-cache"
    store_folder = folder / (kg.stem + ".oxigraph")
    with_store = command_time(folder, args.named, empty_cache, args.limit)
    shutil.rmtree(store_folder)
    # without the store: the command parses the file (and builds the store again for the next
    # query; that build is timed apart above), so the store is removed before each run
    without = command_time(folder, args.named, empty_cache, args.limit)
    out["command"] = {"with_store_s": with_store, "parsing_s": without, "ratio": with_store / without}
    print(f"{copies:4d}x exoreason query {args.named}: {with_store:.2f} s with the store, {without:.2f} s "
          f"parsing the graph (ratio {with_store / without:.3f})", flush=True)
    shutil.rmtree(folder)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--named", default="emt-regulators", help="the named query timed beside the network's")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds a query may run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = [measure(copies, args, Path(folder)) for copies in args.copies]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "graph.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
