"""BLAS threads in the engine's passes: an E-step and a batch of profiles on the shipped network,
with the BLAS library's default threads and limited to one (threadpoolctl), alternating, in one run.

    python bench/bench_threads.py [--rows 4000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from threadpoolctl import threadpool_info, threadpool_limits

    from exoreason.engine import EvidenceBatch
    from exoreason.inference import Reasoner

    reasoner = Reasoner.from_files()
    engine = reasoner.engine
    cargo = [n.key for n in reasoner.spec.nodes if n.kind == "cargo"]
    observed = (*cargo, *reasoner.outcome_keys)
    rng = np.random.default_rng(0)
    cohort = EvidenceBatch(observed, rng.choice([np.nan, 0.0, 1.0], size=(args.rows, len(observed))))
    profiles = EvidenceBatch(tuple(cargo), rng.choice([np.nan, 0.0, 1.0], size=(args.rows * 5, len(cargo))))
    work = {"E-step": lambda: engine.expected_counts(cohort),
            "profiles": lambda: engine.posteriors(reasoner.outcome_keys, profiles)}
    for call in work.values():
        call()  # plans made
    result = {"threads": [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]}
    for name, call in work.items():
        default, single = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            call()
            default.append(time.perf_counter() - start)
            with threadpool_limits(1, "blas"):
                start = time.perf_counter()
                call()
                single.append(time.perf_counter() - start)
        ratio = statistics.median(single) / statistics.median(default)
        result[name] = {"default_s": statistics.median(default), "one_thread_s": statistics.median(single),
                        "ratio_one_thread_over_default": ratio}
        print(f"{name}: default threads {statistics.median(default):.2f} s, one thread "
              f"{statistics.median(single):.2f} s, ratio {ratio:.2f}")
    folder = ROOT / "bench" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "threads.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
