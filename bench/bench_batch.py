"""Batch inference: `exoreason infer --profiles` against pyAgrum on the same profiles.

Generates N random cargo profiles (each cargo present, absent or unobserved), times the whole
`exoreason infer --profiles FILE --output OUT` process (start-up, parsing, inference, writing),
and times pyAgrum's LazyPropagation (C++) answering the same profiles in a Python loop on the BIF
that `exoreason export --format bif` writes: set the evidence, infer, read every outcome's
posterior. The posteriors must agree to 1e-6 (pyAgrum reads BIF probabilities in single precision).
Reported as the ratio exoreason / pyAgrum in one run.

    python bench/bench_batch.py [--profiles 100000] [--pyagrum-profiles N] [--seed 0]

With --pyagrum-profiles smaller than --profiles, pyAgrum answers the first N profiles and its time
is scaled up linearly (said in the output).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXOREASON = str(Path(sys.executable).with_name("exoreason"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--pyagrum-profiles", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import pyagrum as gum

    from exoreason.inference import Reasoner

    reasoner = Reasoner.from_files()
    cargo = [n.key for n in reasoner.spec.nodes if n.kind == "cargo"]
    outcomes = reasoner.outcome_keys
    work = Path(tempfile.mkdtemp(prefix="exoreason-bench-"))
    rng = np.random.default_rng(args.seed)
    cells = rng.choice(np.array(["true", "false", ""]), size=(args.profiles, len(cargo)), p=[0.25, 0.25, 0.5])
    profiles = work / "profiles.csv"
    with profiles.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *cargo])
        writer.writerows([f"s{i}", *row] for i, row in enumerate(cells))

    out = work / "posteriors.csv"
    start = time.perf_counter()
    subprocess.run([EXOREASON, "infer", "--profiles", str(profiles), "--output", str(out)], check=True)
    ours_s = time.perf_counter() - start

    bif = work / "exoreason.bif"
    subprocess.run([EXOREASON, "export", "--format", "bif", "--output", str(bif)], check=True,
                   stdout=subprocess.DEVNULL)
    n_agrum = min(args.pyagrum_profiles or args.profiles, args.profiles)
    bn = gum.loadBN(str(bif))
    engine = gum.LazyPropagation(bn)
    engine.setTargets(set(outcomes))
    theirs = np.empty((n_agrum, len(outcomes)))
    start = time.perf_counter()
    for i in range(n_agrum):
        engine.setEvidence({k: v for k, v in zip(cargo, cells[i], strict=True) if v})
        engine.makeInference()
        theirs[i] = [engine.posterior(k)[1] for k in outcomes]
    agrum_s = (time.perf_counter() - start) * args.profiles / n_agrum

    with out.open() as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header[1:] == outcomes
        ours = np.array([[float(x) for x in row[1:]] for _, row in zip(range(n_agrum), reader, strict=False)])
    max_diff = float(np.abs(ours - theirs).max())
    result = {
        "profiles": args.profiles,
        "outcomes": len(outcomes),
        "exoreason_whole_process_s": ours_s,
        "pyagrum_query_loop_s": agrum_s,
        "pyagrum_profiles_measured": n_agrum,
        "ratio_exoreason_over_pyagrum": ours_s / agrum_s,
        "max_abs_difference": max_diff,
    }
    print(f"{args.profiles:,} profiles, {len(outcomes)} outcomes each")
    print(f"exoreason infer --profiles (whole process): {ours_s:.2f} s")
    scaled = "" if n_agrum == args.profiles else f" (measured on {n_agrum:,}, scaled)"
    print(f"pyAgrum LazyPropagation loop: {agrum_s:.2f} s{scaled}")
    print(f"ratio exoreason / pyAgrum: {ours_s / agrum_s:.3f}")
    print(f"max |difference| of posteriors: {max_diff:.2e}")
    if max_diff > 1e-6:
        raise SystemExit("posteriors disagree by more than 1e-6")
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "batch.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
