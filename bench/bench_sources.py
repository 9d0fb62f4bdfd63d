"""Growth with sources: build, network derivation and inference with the review alone and with
every source, as ratios in one run (these machines are noisy; ratios are what is compared).

Each figure is the median of --repeats runs in this process, after one warm-up:

- build: the templates of the named sources to the OWL ontology and the knowledge graph
  (``build_graph`` + ``knowledge_graph``);
- derive: the network from that knowledge graph (``derive_network``: the network queries);
- infer: a reasoner for that network (calibration included) and ``infer --cargo miR-25-3p``.

    python bench/bench_sources.py [--repeats 5] [--json bench/results/sources.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _median(run: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    result = run()  # warm-up (and the value)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(sources: list[str], repeats: int) -> dict[str, Any]:
    from exoreason.inference import Reasoner
    from exoreason.network import derive_network
    from exoreason.ontology import build_graph, knowledge_graph
    from exoreason.resources import ontology_dir

    directory = ontology_dir()
    build_s, kg = _median(lambda: knowledge_graph(build_graph(directory, sources)), repeats)
    derive_s, spec = _median(lambda: derive_network(kg), repeats)

    def answer() -> Any:
        reasoner = Reasoner(spec)
        return reasoner.infer_names(["miR-25-3p"])

    infer_s, result = _median(answer, repeats)
    return {"sources": sources, "triples": len(kg), "nodes": len(spec.nodes), "edges": len(spec.edges),
            "findings": len({f.finding for e in spec.edges for f in e.findings}),
            "build_s": build_s, "derive_s": derive_s, "infer_s": infer_s,
            "metastasis": result.outcome("metastasis").posterior}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    args = parser.parse_args()

    from exoreason.curation import read_sources
    from exoreason.resources import ontology_dir

    every = [s.id for s in read_sources(ontology_dir()).sources]
    review = measure(["review"], args.repeats)
    full = measure(every, args.repeats)
    ratios = {k: full[k] / review[k] for k in ("build_s", "derive_s", "infer_s")}
    print(f"{'':24}{'review alone':>14}{'every source':>14}{'ratio':>8}")
    for key in ("triples", "nodes", "edges", "findings"):
        print(f"{key:24}{review[key]:>14}{full[key]:>14}{full[key] / review[key]:>8.2f}")
    for key, name in (("build_s", "build (s)"), ("derive_s", "derive network (s)"), ("infer_s", "infer miR-25-3p (s)")):
        print(f"{name:24}{review[key]:>14.3f}{full[key]:>14.3f}{ratios[key]:>8.2f}")
    print(f"sources: {', '.join(every)}")
    if args.json is not None:
        args.json.write_text(json.dumps({"review": review, "every": full, "ratios": ratios}, indent=2) + "\n")


if __name__ == "__main__":
    main()
