"""In-process posteriors for random evidence sets on the shipped network, beside pyAgrum.

For each of N evidence sets (``--observed`` nodes drawn among every node of the network, each
observed present or absent), every node's posterior: exoreason's engine (one forward-backward
pass per evidence set, plans cached in the process after the first) against pyAgrum's
LazyPropagation on the BIF that ``exoreason export --format bif`` writes (one ``makeInference``,
then ``posterior`` of each node), in the same run. The posteriors must agree to 1e-6 (pyAgrum reads
BIF probabilities in single precision). Also timed: ``Reasoner.infer`` (prior, posterior and the
posterior without each observation, with explanations) for the same evidence sets.

    python bench/bench_engine.py [--sets 20] [--observed 3] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=20)
    parser.add_argument("--observed", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import pyagrum as gum

    from exoreason.engine import Engine
    from exoreason.export import network_text
    from exoreason.inference import Reasoner

    reasoner = Reasoner.from_files()
    keys = [n.key for n in reasoner.spec.nodes]
    rng = np.random.default_rng(args.seed)
    sets = [{str(k): float(rng.integers(0, 2)) for k in rng.choice(keys, args.observed, replace=False)}
            for _ in range(args.sets)]
    with tempfile.TemporaryDirectory() as work:
        bif = Path(work) / "network.bif"
        bif.write_text(network_text(reasoner.compiled.to_pgmpy(), "bif"))
        bn = gum.loadBN(str(bif))

    def possible(evidence: dict[str, float]) -> bool:
        try:
            reasoner.engine.posteriors(keys[:1], evidence)
        except Exception:  # an impossible combination: draw again
            return False
        return True

    while not all(possible(e) for e in sets):
        sets = [e if possible(e) else {str(k): float(rng.integers(0, 2))
                                       for k in rng.choice(keys, args.observed, replace=False)} for e in sets]

    engine = Engine(reasoner.compiled)
    start = time.perf_counter()
    ours = np.vstack([engine.posteriors(keys, e) for e in sets])
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    for e in sets:
        engine.posteriors(keys, e)
    ours_warm_s = time.perf_counter() - start

    start = time.perf_counter()
    theirs = np.empty_like(ours)
    lazy = gum.LazyPropagation(bn)
    for i, e in enumerate(sets):
        lazy.setEvidence({k: "true" if v else "false" for k, v in e.items()})
        lazy.makeInference()
        theirs[i] = [lazy.posterior(k)[1] for k in keys]
    agrum_s = time.perf_counter() - start

    start = time.perf_counter()
    for e in sets:
        reasoner.infer(e)
    infer_s = time.perf_counter() - start

    diff = float(np.abs(ours - theirs).max())
    result = {"evidence_sets": args.sets, "observed": args.observed, "nodes": len(keys),
              "exoreason_first_s": ours_s, "exoreason_again_s": ours_warm_s, "pyagrum_lazy_s": agrum_s,
              "ratio_first_over_pyagrum": ours_s / agrum_s, "ratio_again_over_pyagrum": ours_warm_s / agrum_s,
              "reasoner_infer_s": infer_s, "max_abs_difference": diff}
    print(f"{args.sets} evidence sets, {args.observed} observed nodes each, every one of {len(keys)} posteriors")
    print(f"exoreason engine, plans made in the run: {ours_s:.3f} s; again: {ours_warm_s:.3f} s")
    print(f"pyAgrum LazyPropagation: {agrum_s:.3f} s")
    print(f"ratio exoreason / pyAgrum: {ours_s / agrum_s:.3f} (first), {ours_warm_s / agrum_s:.3f} (again)")
    print(f"Reasoner.infer with explanations, same sets: {infer_s:.3f} s")
    print(f"max |difference| of posteriors: {diff:.2e}")
    if diff > 1e-6:
        raise SystemExit("posteriors disagree by more than 1e-6")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "engine.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
