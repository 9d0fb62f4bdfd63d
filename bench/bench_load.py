"""Load: peak memory and time of batch inference over 1,000,000 profiles, and of queries on a graph
scaled up a thousandfold.

Each measurement runs in its own process, so its peak resident memory (ru_maxrss) is its own. The
profile run is compared with one over 100,000 profiles: streaming means the peak hardly grows.

    python bench/bench_load.py [--profiles 1000000] [--scale 1000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

PROFILE_RUN = """
import resource, sys, time
from exoreason.cli import main
sys.argv = ["exoreason", "infer", "--profiles", {profiles!r}, "--output", {output!r}, "--force"]
start = time.perf_counter()
try:
    main()
except SystemExit as exc:
    assert not exc.code, exc.code
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

QUERY_RUN = """
import resource, sys, time
sys.path.insert(0, {bench!r})
from rdflib import Graph
from bench_sparql import scaled_graph
from exoreason.ontology import load_graph
from exoreason.query import load_named_query, run_query
from pathlib import Path
base = load_graph(Path({ttl!r}))
start = time.perf_counter()
graph = scaled_graph(base, {scale}, {claim_scale})
built = time.perf_counter() - start
start = time.perf_counter()
rows = len(run_query(graph, load_named_query({query!r}).text).rows)
print(len(graph), built, time.perf_counter() - start, rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def profiles_file(path: Path, n: int, cargo: list[str], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w") as handle:
        handle.write(",".join(["id", *cargo]) + "\n")
        for start in range(0, n, 100_000):
            size = min(100_000, n - start)
            cells = rng.choice(np.array(["true", "false", "", ""]), size=(size, len(cargo)))
            handle.writelines(f"s{start + i}," + ",".join(row) + "\n" for i, row in enumerate(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=1_000_000)
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--claim-scale", type=int, default=100)
    parser.add_argument("--query", default="targets-of-mirna")
    args = parser.parse_args()

    from exoreason.inference import Reasoner

    cargo = [n.key for n in Reasoner.from_files().spec.nodes if n.kind == "cargo"]
    work = Path(tempfile.mkdtemp(prefix="exoreason-load-"))
    result: dict[str, object] = {}
    for n in (args.profiles // 10, args.profiles):
        path = work / f"profiles-{n}.csv"
        profiles_file(path, n, cargo)
        done = subprocess.run([sys.executable, "-c", PROFILE_RUN.format(profiles=str(path), output=str(work / "out.csv"))],
                              capture_output=True, text=True, check=True)
        seconds, peak_kib = done.stdout.split()
        result[f"profiles_{n}"] = {"seconds": round(float(seconds), 2), "peak_mib": round(int(peak_kib) / 1024, 1),
                                   "file_mib": round(path.stat().st_size / 2**20, 1)}
        print(f"infer --profiles, {n:,} rows ({result[f'profiles_{n}']['file_mib']} MiB): "
              f"{float(seconds):.1f} s, peak {int(peak_kib) / 1024:.0f} MiB")
        path.unlink()
    done = subprocess.run([sys.executable, "-c", QUERY_RUN.format(
        bench=str(ROOT / "bench"), ttl=str(ROOT / "ontology" / "exoreason-kg.ttl"), scale=args.scale,
        claim_scale=args.claim_scale, query=args.query)], capture_output=True, text=True, check=True)
    triples, built, seconds, rows, peak_kib = done.stdout.split()
    result["scaled_graph"] = {"triples": int(triples), "build_seconds": round(float(built), 1), "query": args.query,
                              "query_seconds": round(float(seconds), 2), "rows": int(rows),
                              "peak_mib": round(int(peak_kib) / 1024, 1)}
    print(f"graph x{args.scale} ({int(triples):,} triples): query {args.query} {float(seconds):.1f} s, "
          f"{rows} rows, peak {int(peak_kib) / 1024:.0f} MiB")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"({time.perf_counter() - started:.0f} s in all)")
