"""Cold start: `exoreason infer --cargo miR-155` against the floor of importing its own stack.

The floor is `python -c "import pgmpy.inference, rdflib"`: no inference command can start faster
than its libraries import. Runs alternate between the two commands (these machines are noisy) and
the ratio of the medians is reported, with a breakdown of where the command's time goes.

    python bench/bench_startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXOREASON = str(Path(sys.executable).with_name("exoreason"))


# Commands run as on a user's machine: Python caches the bytecode of what it imports after the
# first run (an installed wheel has it from the start), whatever PYTHONDONTWRITEBYTECODE says here.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
TARGET = 0.35  # a cold infer at most this share of importing pgmpy and rdflib
HEAVY = ("pgmpy", "rdflib", "pandas", "sklearn", "matplotlib", "owlready2", "networkx", "scipy", "curies", "pydantic")


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    command = [EXOREASON, "infer", "--cargo", "miR-155"]
    floor = [sys.executable, "-c", "import pgmpy.inference, rdflib"]
    timed(command), timed(floor)  # warm the file cache
    ours, base = [], []
    for _ in range(args.runs):
        ours.append(timed(command))
        base.append(timed(floor))
    result = {
        "runs": args.runs,
        "infer_median_s": statistics.median(ours),
        "floor_median_s": statistics.median(base),
        "ratio": statistics.median(ours) / statistics.median(base),
    }
    # Where the time goes: the slowest top-level imports of the command.
    trace = subprocess.run([sys.executable, "-X", "importtime", "-c",
                            "import sys; sys.argv=['exoreason','infer','--cargo','miR-155']; "
                            "from exoreason.cli import main; main()"],
                           capture_output=True, text=True, check=False)
    rows = []
    for line in trace.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2]
            if len(name) - len(name.lstrip()) <= 2:  # top-level imports only
                rows.append((int(parts[1]), name.strip()))
    result["slowest_imports_s"] = {n: round(us / 1e6, 3) for us, n in sorted(rows, reverse=True)[:6]}
    loaded = subprocess.run([sys.executable, "-c",
                             "import sys; sys.argv=['exoreason','infer','--cargo','miR-155']\n"
                             "from exoreason.cli import main\n"
                             "try:\n    main()\nexcept SystemExit:\n    pass\n"
                             f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"],
                            capture_output=True, text=True, check=False, env=ENV)
    result["heavy_modules_imported"] = [m for m in loaded.stderr.strip().split(",") if m]
    result["target_ratio"] = TARGET
    print(f"cold infer --cargo miR-155: {result['infer_median_s']:.3f} s (median of {args.runs})")
    print(f"floor (import pgmpy.inference, rdflib): {result['floor_median_s']:.3f} s")
    print(f"ratio: {result['ratio']:.3f} (target at most {TARGET})")
    print("heavy libraries imported by infer:", result["heavy_modules_imported"] or "none")
    print("slowest imports (cumulative s):", result["slowest_imports_s"])
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
