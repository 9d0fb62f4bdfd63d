"""Benchmark SPARQL: the cold `exoreason query` against a bare Oxigraph process, and the query
library on the embedded engine against bare Oxigraph and rdflib.

Startup (one run, ratios of medians; runs of the three commands alternate, these machines are noisy):

* ``bare``: ``python -c`` importing pyoxigraph, loading the release Turtle into an in-memory
  store, running the exact text exoreason runs (targets-of-mirna with ``?mirna`` bound to
  "miR-155" by a VALUES clause) and printing the rows: the floor of any Python command doing this;
* ``query``: ``exoreason query targets-of-mirna --bind mirna=miR-155`` (budget: at most 4x bare);
* ``reason``: the same with ``--reason``, on the entailed graph (budget: at most 2x query).

It also lists what the query command imports that it must not (rdflib, pandas, pgmpy, owlready2).
The commands run with Python's bytecode cache, as on a user's machine (see ``ENV``).

Engines (``--engines``): every query of queries/ without bindings on the review graph and on that
graph scaled up (``--scale`` copies of every Table 3 finding with freshly minted miRNA and gene
entities, ``--claim-scale`` copies of every text claim), answered by exoreason's embedded engine
(``run_query`` on an Oxigraph store: parsing, binding, reading every row into Python), by bare
pyoxigraph (``Store.query``, every row read) and by rdflib (the cross-check engine). Each
evaluation runs in a forked child stopped after ``--cap`` seconds.

    .venv/bin/python bench/bench_sparql.py                       # startup only
    .venv/bin/python bench/bench_sparql.py --engines --scale 100 --claim-scale 10
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pyoxigraph

from exoreason.query import load_named_query, run_query, store_from_graph
from exoreason.resources import ENTAILED_FILE, QUERY_GRAPH_FILE
from exoreason.sparql import analyse, with_values

EXOREASON = str(Path(sys.executable).with_name("exoreason"))
TTL = ROOT / "ontology" / QUERY_GRAPH_FILE
RESULTS = ROOT / "bench" / "results" / "sparql.json"
FORBIDDEN = ("rdflib", "pandas", "pgmpy", "owlready2", "owlrl", "pydantic")

BARE = """import sys, pyoxigraph
store = pyoxigraph.Store()
store.load(path=sys.argv[1], format=pyoxigraph.RdfFormat.TURTLE)
for row in store.query(sys.argv[2]):
    print(*(term.value for term in row if term is not None))
"""


# Commands run as on a user's machine: Python caches the bytecode of what it imports after the
# first run (an installed wheel has it from the start), whatever PYTHONDONTWRITEBYTECODE says here.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
    return time.perf_counter() - start


def startup(runs: int) -> dict[str, Any]:
    text = load_named_query("targets-of-mirna").text
    bound = with_values(text, analyse(text), {"mirna": str(pyoxigraph.Literal("miR-155"))})
    commands = {
        "bare": [sys.executable, "-c", BARE, str(TTL), bound],
        "query": [EXOREASON, "query", "targets-of-mirna", "--bind", "mirna=miR-155"],
        "reason": [EXOREASON, "query", "targets-of-mirna", "--bind", "mirna=miR-155", "--reason"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():
        _timed(command)  # warm the file cache, write the bytecode cache
    for i in range(runs):
        names = list(commands)
        for name in names[i % 3:] + names[:i % 3]:
            times[name].append(_timed(commands[name]))
    medians = {name: statistics.median(values) for name, values in times.items()}
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         ("import sys; sys.argv = ['exoreason', 'query', 'targets-of-mirna', '--bind', 'mirna=miR-155']\n"
         "from exoreason.__main__ import main\nmain()")],
        capture_output=True, text=True, check=False, cwd=ROOT, env=ENV)
    imported = {line.split("|")[2].strip() for line in trace.stderr.splitlines() if line.count("|") == 2}
    top = []
    for line in trace.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and len(parts[2]) - len(parts[2].lstrip()) <= 1:
            top.append((int(parts[1]), parts[2].strip()))
    return {
        "runs": runs,
        "median_seconds": medians,
        "query_over_bare": medians["query"] / medians["bare"],
        "reason_over_query": medians["reason"] / medians["query"],
        "forbidden_imports": sorted(m for m in FORBIDDEN if m in imported),
        "slowest_imports_seconds": {n: round(us / 1e6, 3) for us, n in sorted(top, reverse=True)[:8]},
    }


# --------------------------------------------------------------------------------------------
# engines, query by query
# --------------------------------------------------------------------------------------------


def scaled_graph(base: Any, scale: int, claim_scale: int) -> Any:
    """The base graph plus synthetic Table 3 findings and text claims (see the module doc)."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import OWL, RDF, RDFS

    from exoreason.vocabulary import EXO, HAS_EXACT_SYNONYM, IAO_DEFINITION

    g = Graph()
    for triple in base:
        g.add(triple)
    table3 = sorted(set(base.subjects(RDF.type, EXO.MiRNATransferFinding)))
    claims = sorted(set(base.subjects(RDF.type, EXO.TextClaim)))

    def mint(entity: Any, k: int) -> Any:
        new = URIRef(f"{entity}-syn{k}")
        if (new, RDFS.label, None) not in g:
            for parent in base.objects(entity, RDFS.subClassOf):
                g.add((new, RDFS.subClassOf, parent))
            g.add((new, RDF.type, OWL.Class))
            label = base.value(entity, RDFS.label)
            g.add((new, RDFS.label, Literal(f"{label}-syn{k}", lang="en")))
            g.add((new, HAS_EXACT_SYNONYM, Literal(f"{label}_syn{k}", lang="en")))
            g.add((new, IAO_DEFINITION, Literal(f"Synthetic copy {k} of {label}, for benchmarking.", lang="en")))
        return new

    for k in range(1, scale + 1):
        for finding in table3:
            new = URIRef(f"{finding}-syn{k}")
            roles: dict[Any, list[Any]] = {}
            for p, o in base.predicate_objects(finding):
                if p in (EXO.hasMiRNA, EXO.hasTargetGene):
                    o = mint(o, k)
                elif p == RDFS.label:
                    o = Literal(f"{o} (synthetic copy {k})", lang="en")
                roles.setdefault(p, []).append(o)
                g.add((new, p, o))
            for m in roles.get(EXO.hasMiRNA, []):
                for gene in roles.get(EXO.hasTargetGene, []):
                    g.add((m, EXO.targets, gene))
                for function in roles.get(EXO.hasFunction, []):
                    g.add((m, EXO.promotes, function))
                for recipient in roles.get(EXO.hasRecipientCell, []):
                    g.add((m, EXO.takenUpBy, recipient))
            for gene in roles.get(EXO.hasTargetGene, []):
                for function in roles.get(EXO.hasFunction, []):
                    g.add((gene, EXO.lossPromotes, function))
    for k in range(1, claim_scale + 1):
        for finding in claims:
            new = URIRef(f"{finding}-syn{k}")
            for p, o in base.predicate_objects(finding):
                if p == RDFS.label:
                    o = Literal(f"{o} (synthetic copy {k})", lang="en")
                g.add((new, p, o))
    return g


# The graphs live in module globals so that forked children inherit them.
_STATE: dict[str, Any] = {}


def _count(result: Any) -> int:
    if isinstance(result, pyoxigraph.QueryBoolean) or getattr(result, "kind", "") == "ask":
        return 1
    if hasattr(result, "kind"):
        return len(result.rows) if result.kind == "select" else len(result.triples)
    return sum(1 for _ in result)


def _child(engine: str, text: str, repeat: int, conn: Any) -> None:
    times, rows = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        if engine == "exoreason":
            rows = _count(run_query(_STATE["store"], text))
        elif engine == "oxigraph":
            rows = _count(_STATE["store"].query(text))
        else:
            rows = _count(run_query(_STATE["graph"], text))
        times.append(time.perf_counter() - start)
    conn.send((min(times), rows))
    conn.close()


def timed(engine: str, text: str, repeat: int, cap: float) -> dict[str, Any]:
    """Run one query in a forked child; None seconds when it is stopped after ``cap`` s."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(engine, text, repeat, child))
    process.start()
    child.close()
    deadline = cap * repeat
    if parent.poll(deadline):
        seconds, rows = parent.recv()
        process.join()
        return {"seconds": seconds, "rows": rows}
    process.kill()
    process.join()
    return {"seconds": None, "rows": None, "skipped": f"still running after {deadline:g} s"}


ENGINES = ("exoreason", "oxigraph", "rdflib")


def run_suite(label: str, graph: Any, queries: list[tuple[str, str]], repeat: int, cap: float) -> dict:
    _STATE["graph"] = graph
    start = time.perf_counter()
    _STATE["store"] = store_from_graph(graph)
    load = time.perf_counter() - start
    print(f"[{label}] {len(graph)} triples (into Oxigraph in {load:.1f} s)", flush=True)
    out: dict[str, Any] = {"triples": len(graph), "queries": {}}
    for name, text in queries:
        found = {engine: timed(engine, text, repeat, cap) for engine in ENGINES}
        out["queries"][name] = found
        cells = "  ".join(f"{e} {_fmt(found[e]):>10s}" for e in ENGINES)
        print(f"  {name:32s} {cells}", flush=True)
    return out


def _fmt(d: dict) -> str:
    return "skipped" if d["seconds"] is None else f"{d['seconds'] * 1000:.1f} ms"


def _ratios(suite: dict, a: str, b: str) -> list[float]:
    return [q[a]["seconds"] / q[b]["seconds"] for q in suite["queries"].values()
            if q[a]["seconds"] and q[b]["seconds"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs of each startup command")
    parser.add_argument("--engines", action="store_true", help="also time every query on each engine")
    parser.add_argument("--scale", type=int, default=1000, help="copies of each Table 3 finding")
    parser.add_argument("--claim-scale", type=int, default=100, help="copies of each text claim")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds before a query is skipped")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query on the review graph")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    results: dict[str, Any] = {
        "environment": {"python": platform.python_version(), "pyoxigraph": pyoxigraph.__version__,
                        "machine": platform.machine(), "cpus": mp.cpu_count()},
    }
    cold = startup(args.runs)
    results["startup"] = cold
    m = cold["median_seconds"]
    print(f"cold start, median of {args.runs} runs each:")
    print(f"  bare pyoxigraph process      {m['bare']:.3f} s")
    print(f"  exoreason query              {m['query']:.3f} s   {cold['query_over_bare']:.2f}x bare (budget 4x)")
    print(f"  exoreason query --reason     {m['reason']:.3f} s   {cold['reason_over_query']:.2f}x query (budget 2x)")
    print(f"  forbidden imports on the query path: {cold['forbidden_imports'] or 'none'}")
    print(f"  slowest top-level imports (s): {cold['slowest_imports_seconds']}")
    print(f"  (entailed graph: ontology/{ENTAILED_FILE})")

    if args.engines:
        from exoreason.ontology import load_graph

        queries = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "queries").glob("*.rq"))]
        base = load_graph(TTL)
        results["settings"] = {"scale": args.scale, "claim_scale": args.claim_scale, "cap_seconds": args.cap,
                               "repeat": args.repeat}
        results["review"] = run_suite("review", base, queries, args.repeat, args.cap)
        if args.scale or args.claim_scale:
            results["scaled"] = run_suite("scaled", scaled_graph(base, args.scale, args.claim_scale),
                                          queries, 1, args.cap)
        for suite in ("review", "scaled"):
            if suite in results:
                over = _ratios(results[suite], "exoreason", "oxigraph")
                faster = _ratios(results[suite], "rdflib", "exoreason")
                results[suite]["summary"] = {
                    "exoreason_over_oxigraph_median": statistics.median(over) if over else None,
                    "rdflib_over_exoreason_median": statistics.median(faster) if faster else None,
                }
                if over and faster:
                    print(f"{suite}: exoreason / bare Oxigraph median {statistics.median(over):.2f}x; "
                          f"rdflib / exoreason median {statistics.median(faster):.1f}x over {len(over)} queries")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
