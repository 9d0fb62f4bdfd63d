"""Benchmark the query library: rdflib (the embedded engine) against Oxigraph (pyoxigraph).

Every query in queries/ runs without bindings on two graphs:

* ``review``: the built graph of the review, ontology/exoreason-kg.ttl;
* ``scaled``: that graph plus synthetic findings of the same shape: ``--scale`` copies (default
  1000) of every Table 3 finding, each with fresh finding IRIs and freshly minted miRNA and gene
  entities (labels, parents, synonyms, and the binary shortcuts targets / promotes / takenUpBy /
  lossPromotes the build adds), and ``--claim-scale`` copies (default 100) of every text claim
  with fresh finding IRIs. Table 3 queries then match ~1000x more rows; claim queries ~100x.

Each query runs in a forked child process so that a slow one can be stopped: a query still
running after ``--cap`` seconds (default 60) is reported as skipped for that engine. On the review
graph each timing is the best of ``--repeat`` runs; on the scaled graph one run. Ratios are
rdflib time / Oxigraph time. The table is printed and the figures written as JSON to
bench/results/sparql.json.

    .venv/bin/python bench/bench_sparql.py                # full run
    .venv/bin/python bench/bench_sparql.py --scale 10 --claim-scale 10 --cap 10   # quick
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pyoxigraph  # noqa: E402
from rdflib import Graph, Literal, URIRef  # noqa: E402
from rdflib.namespace import RDF, RDFS  # noqa: E402

from exoreason.ontology import load_graph  # noqa: E402
from exoreason.query import _prepare  # noqa: E402

EXO = "https://w3id.org/exoreason/"
SYNONYM = URIRef("http://www.geneontology.org/formats/oboInOwl#hasExactSynonym")
DEFINITION = URIRef("http://purl.obolibrary.org/obo/IAO_0000115")
TTL = ROOT / "ontology" / "exoreason-kg.ttl"
RESULTS = ROOT / "bench" / "results" / "sparql.json"


def e(name: str) -> URIRef:
    return URIRef(EXO + name)


def scaled_graph(base: Graph, scale: int, claim_scale: int) -> Graph:
    """The base graph plus synthetic Table 3 findings and text claims (see the module doc)."""
    g = Graph()
    for triple in base:
        g.add(triple)
    table3 = sorted(set(base.subjects(RDF.type, e("MiRNATransferFinding"))))
    claims = sorted(set(base.subjects(RDF.type, e("TextClaim"))))

    def mint(entity: URIRef, k: int) -> URIRef:
        new = URIRef(f"{entity}-syn{k}")
        if (new, RDFS.label, None) not in g:
            for parent in base.objects(entity, RDFS.subClassOf):
                g.add((new, RDFS.subClassOf, parent))
            g.add((new, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")))
            label = base.value(entity, RDFS.label)
            g.add((new, RDFS.label, Literal(f"{label}-syn{k}", lang="en")))
            g.add((new, SYNONYM, Literal(f"{label}_syn{k}", lang="en")))
            g.add((new, DEFINITION, Literal(f"Synthetic copy {k} of {label}, for benchmarking.", lang="en")))
        return new

    for k in range(1, scale + 1):
        for finding in table3:
            new = URIRef(f"{finding}-syn{k}")
            roles: dict[URIRef, list[URIRef]] = {}
            for p, o in base.predicate_objects(finding):
                if p in (e("hasMiRNA"), e("hasTargetGene")):
                    o = mint(o, k)
                elif p == RDFS.label:
                    o = Literal(f"{o} (synthetic copy {k})", lang="en")
                roles.setdefault(p, []).append(o)
                g.add((new, p, o))
            for m in roles.get(e("hasMiRNA"), []):
                for gene in roles.get(e("hasTargetGene"), []):
                    g.add((m, e("targets"), gene))
                for function in roles.get(e("hasFunction"), []):
                    g.add((m, e("promotes"), function))
                for recipient in roles.get(e("hasRecipientCell"), []):
                    g.add((m, e("takenUpBy"), recipient))
            for gene in roles.get(e("hasTargetGene"), []):
                for function in roles.get(e("hasFunction"), []):
                    g.add((gene, e("lossPromotes"), function))
    for k in range(1, claim_scale + 1):
        for finding in claims:
            new = URIRef(f"{finding}-syn{k}")
            for p, o in base.predicate_objects(finding):
                if p == RDFS.label:
                    o = Literal(f"{o} (synthetic copy {k})", lang="en")
                g.add((new, p, o))
    return g


def oxigraph_store(graph: Graph) -> Any:
    store = pyoxigraph.Store()
    data = graph.serialize(format="nt", encoding="utf-8")
    store.bulk_load(data, format=pyoxigraph.RdfFormat.N_TRIPLES)
    return store


# The engines and the graph live in module globals so that forked children inherit them.
_STATE: dict[str, Any] = {}


def _count_rdflib(result: Any) -> int:
    if result.type == "ASK":
        return 1
    if result.type in ("CONSTRUCT", "DESCRIBE"):
        return len(result.graph)
    return sum(1 for _ in result)


def _count_oxigraph(answer: Any) -> int:
    if isinstance(answer, pyoxigraph.QueryBoolean):
        return 1
    return sum(1 for _ in answer)


def _child(engine: str, text: str, repeat: int, conn: Any) -> None:
    """Time parse + evaluation + reading every row; for rdflib also the parse alone."""
    times, parses, rows = [], [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        if engine == "rdflib":
            prepared = _prepare(text, allow_remote=False)
            parses.append(time.perf_counter() - start)
            rows = _count_rdflib(_STATE["graph"].query(prepared))
        else:
            rows = _count_oxigraph(_STATE["store"].query(text))
        times.append(time.perf_counter() - start)
    conn.send((min(times), rows, min(parses) if parses else None))
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
        seconds, rows, parse = parent.recv()
        process.join()
        out = {"seconds": seconds, "rows": rows}
        if parse is not None:
            out["parse_seconds"] = parse
        return out
    process.kill()
    process.join()
    return {"seconds": None, "rows": None, "skipped": f"still running after {deadline:g} s"}


def run_suite(label: str, graph: Graph, queries: list[tuple[str, str]], repeat: int, cap: float) -> dict:
    _STATE["graph"] = graph
    start = time.perf_counter()
    _STATE["store"] = oxigraph_store(graph)
    load_ox = time.perf_counter() - start
    print(f"[{label}] {len(graph)} triples (pyoxigraph load {load_ox:.1f} s)", flush=True)
    out = {"triples": len(graph), "oxigraph_load_seconds": load_ox, "queries": {}}
    for name, text in queries:
        r = timed("rdflib", text, repeat, cap)
        o = timed("oxigraph", text, repeat, cap)
        ratio = r["seconds"] / o["seconds"] if r["seconds"] and o["seconds"] else None
        out["queries"][name] = {"rdflib": r, "oxigraph": o, "ratio": ratio}
        print(f"  {name:32s} rdflib {_fmt(r):>12s}  oxigraph {_fmt(o):>12s}  ratio {_ratio(ratio):>8s}",
              flush=True)
    return out


def _fmt(d: dict) -> str:
    return "skipped" if d["seconds"] is None else f"{d['seconds'] * 1000:.1f} ms"


def _ratio(r: float | None) -> str:
    return "-" if r is None else f"{r:.0f}x" if r >= 10 else f"{r:.1f}x"


def table(results: dict) -> str:
    names = list(results["review"]["queries"])
    head = (f"{'query':32s} {'rows':>6s} {'rdflib':>10s} {'oxigraph':>10s} {'ratio':>7s} | "
            f"{'rows':>8s} {'rdflib':>10s} {'oxigraph':>10s} {'ratio':>7s}")
    lines = [f"{'':32s} {'review graph':^37s} | {'scaled graph':^39s}", head, "-" * len(head)]
    for name in names:
        cells = []
        for suite in ("review", "scaled"):
            q = results[suite]["queries"][name]
            rows = q["oxigraph"]["rows"] if q["oxigraph"]["rows"] is not None else q["rdflib"]["rows"]
            width = 6 if suite == "review" else 8
            cells.append(f"{'?' if rows is None else rows:>{width}} {_fmt(q['rdflib']):>10s} "
                         f"{_fmt(q['oxigraph']):>10s} {_ratio(q['ratio']):>7s}")
        lines.append(f"{name:32s} " + " | ".join(cells))
    for suite in ("review", "scaled"):
        ratios = [q["ratio"] for q in results[suite]["queries"].values() if q["ratio"]]
        if ratios:
            lines.append(f"{suite}: median ratio {statistics.median(ratios):.1f}x, "
                         f"geometric mean {statistics.geometric_mean(ratios):.1f}x over {len(ratios)} queries")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1000, help="copies of each Table 3 finding")
    parser.add_argument("--claim-scale", type=int, default=100, help="copies of each text claim")
    parser.add_argument("--cap", type=float, default=60.0, help="seconds before a query is skipped")
    parser.add_argument("--repeat", type=int, default=3, help="runs per query on the review graph")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    queries = [(p.stem, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "queries").glob("*.rq"))]
    base = load_graph(TTL)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "settings": {"scale": args.scale, "claim_scale": args.claim_scale, "cap_seconds": args.cap,
                     "repeat": args.repeat},
        "environment": {"python": platform.python_version(), "pyoxigraph": pyoxigraph.__version__,
                        "rdflib": __import__("rdflib").__version__, "machine": platform.machine(),
                        "cpus": mp.cpu_count()},
    }
    results["review"] = run_suite("review", base, queries, args.repeat, args.cap)
    start = time.perf_counter()
    big = scaled_graph(base, args.scale, args.claim_scale)
    results["scaled_build_seconds"] = time.perf_counter() - start
    results["scaled"] = run_suite("scaled", big, queries, 1, args.cap)
    results["total_seconds"] = time.perf_counter() - started
    print()
    print(table(results))
    print(f"total {results['total_seconds']:.0f} s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
