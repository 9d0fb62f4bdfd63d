"""The engine of this tree against the engine of another revision, in one run: the same E-step (or
batch of profiles) on the same random network of bench_growth.py's shape, each side in its own
process, alternating, so that both see the same machine load.

    python bench/bench_revisions.py --revision 0841e42^1 [--size 75] [--rows 1000] [--rounds 5]

The other revision's ``src/`` is taken with ``git archive``; both sides build the network with this
tree's bench/bench_growth.py generator, so the revision's network model must accept it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_CHILD = """
import json, sys, time
sys.path.insert(0, {bench!r})
import numpy as np
from bench_growth import shaped_network
from exoreason.engine import Engine, EvidenceBatch
size, rows, work = {size}, {rows}, {work!r}
compiled = shaped_network(size, 0)
nodes = compiled.spec.nodes
cargo = [n.key for n in nodes if n.kind == "cargo"]
outcomes = [n.key for n in nodes if n.kind == "outcome"]
asked = [n.key for n in nodes if n.kind in ("process", "outcome")]
rng = np.random.default_rng(size)
engine = Engine(compiled)
if work == "estep":
    observed = (*cargo, *outcomes)
    batch = EvidenceBatch(observed, rng.choice(np.array([0.0, 1.0]), size=(rows, len(observed))))
    run = lambda: engine.expected_counts(batch).log_likelihood
else:
    batch = EvidenceBatch(tuple(cargo), rng.choice(np.array([np.nan, 0.0, 1.0]), size=(rows, len(cargo))))
    run = lambda: float(engine.posteriors(asked, batch).sum())
value = run()  # plans made
start = time.perf_counter()
value = run()
print(json.dumps({{"s": time.perf_counter() - start, "value": value}}))
"""


def _side(src: Path, args: argparse.Namespace) -> dict[str, float]:
    code = _CHILD.format(bench=str(ROOT / "bench"), size=args.size, rows=args.rows, work=args.work)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revision", required=True, help="a git revision whose engine is compared")
    parser.add_argument("--size", type=int, default=75)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--work", choices=["estep", "profiles"], default="estep")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "src.tar"
        subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), args.revision, "src"], check=True)
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
        sides = {args.revision: Path(folder) / "src", "this tree": ROOT / "src"}
        times: dict[str, list[float]] = {name: [] for name in sides}
        values: dict[str, float] = {}
        for _ in range(args.rounds):
            for name, src in sides.items():
                found = _side(src, args)
                times[name].append(found["s"])
                values[name] = found["value"]
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"{name:>12}: median {medians[name]:.3f} s (min {min(t):.3f}, max {max(t):.3f}) over {len(t)} rounds")
    print(f"this tree / {args.revision}: {medians['this tree'] / medians[args.revision]:.2f}; "
          f"the same answer: {abs(values['this tree'] - values[args.revision]):.2e} apart")
    folder_out = ROOT / "bench" / "results"
    folder_out.mkdir(parents=True, exist_ok=True)
    (folder_out / f"revisions-{args.work}-{args.size}.json").write_text(json.dumps(
        {"revision": args.revision, "size": args.size, "rows": args.rows, "work": args.work, "seconds": times,
         "values": values}, indent=2))


if __name__ == "__main__":
    main()
