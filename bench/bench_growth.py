"""The engine as the network grows: random networks of the shipped network's shape, 75 to 1,200 nodes.

Each network: depth 6 (a layer of cargo roots, 30 % of the nodes, then gene effects, processes and
outcomes), 1 + Poisson(0.8) parents per node drawn from earlier layers, 2.5 % hubs with 10-30
parents, leaky noisy-OR families with inhibitors and required parents (grouped beyond the
parameters' ``max_parents``, as the shipped network's are). For each size, in one process:

* a single query of every node's posterior given 3 cargo present, then given an outcome as well
  (``cold``: no plan cached; ``warm``: again), beside pyAgrum's variable elimination (every
  posterior) and, up to ``--lazy-up-to`` nodes, its lazy propagation (a junction tree, which
  runs out of memory on the larger networks);
* the approximate method (importance sampling, 100,000 samples) on the same queries: its largest
  error against the exact answer;
* a batch of 10,000 random cargo profiles (each cargo present, absent or unobserved), every
  process and outcome: time and peak memory (resident memory above the start, sampled); then
  10,000 profiles observing every cargo (present or absent), as a cohort's do;
* one E-step (expected counts of every family) over 5,000 distinct rows observing cargo and
  outcomes: exact, or sampled beyond the memory budget (the method is reported); where it is
  exact, the sampled E-step's largest error of a family count per row on its first 500 rows;
* a whole ``fit`` (MAP-EM to convergence, then the posterior concentrations, as ``exoreason fit``
  runs it) on ``--fit-rows`` rows (5,000) drawn from the network, observing cargo and outcomes:
  time, E-steps, whether it converged and its method.

A batch or an E-step whose first rows (20 profiles, 50 E-step rows; run twice, the second time
planned) show that all of them would take more than ``--time-limit`` seconds (240 by default) is
not run whole: the first rows' time and memory are reported with the projected total (the first
run plus the second's time a row for the other rows), marked as projected. ``--quick`` runs 75, 150
and 300 nodes with 2,000 profiles, 1,000 E-step and fit rows and 20,000 samples.

    python bench/bench_growth.py [--sizes 75 150 300 600 1200] [--rows 10000] [--estep-rows 5000]
    python bench/bench_growth.py --quick

Results go to bench/results/growth.json (growth-quick.json). The engine's budget (256 MiB by
default) bounds the kept intermediates of each chunk.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def shaped_network(size: int, seed: int) -> Any:
    """A random network of ``size`` nodes of the shipped network's shape (see the module)."""
    from exoreason.model import Parameters, compile_network, load_parameters
    from exoreason.network import Edge, Finding, NetworkSpec, Node

    rng = np.random.default_rng(seed)
    roots = round(0.3 * size)
    layers = [0] * roots + sorted(int(x) for x in rng.integers(1, 6, size - roots))
    kinds = {0: "cargo", 1: "gene_effect", 2: "gene_effect", 3: "process", 4: "process", 5: "outcome"}
    nodes = [Node(f"n{i}", f"https://example.org/n{i}", f"node {i}", kinds[layer]) for i, layer in enumerate(layers)]
    finding = Finding("f", "f", "s", "q", ("ECO:0000304",), (1,), (), ())
    edges = []
    for child in range(roots, size):
        earlier = [i for i in range(child) if layers[i] < layers[child]]
        count = int(rng.integers(10, 31)) if rng.random() < 0.025 else 1 + int(rng.poisson(0.8))
        for parent in rng.choice(earlier, size=min(count, len(earlier)), replace=False):
            sign = str(rng.choice(["+"] * 6 + ["-"] * 2 + ["!"]))
            edges.append(Edge(f"n{parent}", f"n{child}", sign, (finding,)))
    spec = NetworkSpec(nodes, sorted(edges, key=lambda e: (e.parent, e.child)))
    base = load_parameters()
    params = Parameters(
        kinds=base.kinds, other_cancer_weight=base.other_cancer_weight, certainty=base.certainty, leak=base.leak,
        leak_nodes={n.key: float(rng.uniform(0.02, 0.2)) for n in nodes if n.kind != "cargo"},
        base_rate=base.base_rate,
        base_rate_nodes={n.key: float(rng.uniform(0.1, 0.5)) for n in nodes if n.kind == "cargo"},
        strength_edges={e.key: float(rng.uniform(0.05, 0.8)) for e in edges},
        max_parents=base.max_parents, source="random",
    )
    return compile_network(spec, params)


def _resident() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def timed(call: Any) -> tuple[Any, float, float]:
    """(result, seconds, peak MiB of resident memory above the start, sampled every 5 ms)."""
    base = _resident()
    peak = [base]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.005):
            peak[0] = max(peak[0], _resident())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    try:
        result = call()
    finally:
        seconds = time.perf_counter() - start
        done.set()
        watcher.join()
    return result, seconds, (max(peak[0], _resident()) - base) / (1 << 20)


def pyagrum_network(compiled: Any) -> Any:
    import pyagrum as gum

    from exoreason.export import network_text

    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "net.bifxml"
        path.write_text(network_text(compiled.to_pgmpy(), "xmlbif"), encoding="utf-8")
        return gum.loadBN(str(path))


def pyagrum_all(bn: Any, method: str, keys: list[str], evidence: dict[str, float]) -> np.ndarray:
    import pyagrum as gum

    ie = gum.VariableElimination(bn) if method == "ve" else gum.LazyPropagation(bn)
    ie.setEvidence({k: "true" if v else "false" for k, v in evidence.items()})
    ie.makeInference()
    return np.array([ie.posterior(k)[1] for k in keys])


def measure(size: int, args: argparse.Namespace) -> dict[str, Any]:
    from exoreason import engine as engine_module
    from exoreason.engine import Engine, EvidenceBatch, approximate_posteriors

    compiled = shaped_network(size, args.seed)
    spec = compiled.spec
    keys = [n.key for n in spec.nodes]
    cargo = [n.key for n in spec.nodes if n.kind == "cargo"]
    outcomes = [n.key for n in spec.nodes if n.kind == "outcome"]
    asked = [n.key for n in spec.nodes if n.kind in ("process", "outcome")]
    rng = np.random.default_rng(args.seed + size)
    given = {str(k): 1.0 for k in rng.choice(cargo, 3, replace=False)}
    queries = {"3 cargo": given, "3 cargo and an outcome": {**given, outcomes[-1]: 1.0}}
    out: dict[str, Any] = {"nodes": size, "families": len(compiled.families), "edges": len(spec.edges)}
    bn = pyagrum_network(compiled)
    tables = {n: t.p_true for n, t in compiled.tables.items()}
    for name, evidence in queries.items():
        engine_module._PLANS.clear()
        engine_module._SHAPES.clear()
        engine = Engine(compiled)
        exact, cold, cold_mib = timed(lambda e=engine, ev=evidence: e.posteriors(keys, ev)[0])
        _, warm, _ = timed(lambda e=engine, ev=evidence: e.posteriors(keys, ev)[0])
        row: dict[str, Any] = {"cold_s": cold, "warm_s": warm, "peak_mib": cold_mib, "method": engine.last_method}
        ve, row["pyagrum_ve_s"], _ = timed(lambda ev=evidence: pyagrum_all(bn, "ve", keys, ev))
        row["max_abs_difference_ve"] = float(np.abs(ve - exact).max())
        if size <= args.lazy_up_to:
            try:
                _, row["pyagrum_lazy_s"], _ = timed(lambda ev=evidence: pyagrum_all(bn, "lazy", keys, ev))
            except Exception as error:  # noqa: BLE001 -- pyAgrum raises a bare Exception (std::bad_alloc)
                row["pyagrum_lazy"] = str(error)
        (approx, _), row["approximate_s"], _ = timed(
            lambda ev=evidence: approximate_posteriors(compiled, tables, keys, ev, {}, samples=args.samples))
        row["approximate_max_error"] = float(max(abs(approx[k] - exact[i]) for i, k in enumerate(keys)))
        out[name] = row
        print(f"{size:5d} nodes, given {name}: cold {cold:.2f} s, warm {warm:.3f} s, {cold_mib:.0f} MiB; "
              f"pyAgrum VE {row['pyagrum_ve_s']:.2f} s"
              + (f", lazy {row['pyagrum_lazy_s']:.2f} s" if "pyagrum_lazy_s" in row else
                 f", lazy: {row['pyagrum_lazy']}" if "pyagrum_lazy" in row else "")
              + f"; sampling {row['approximate_s']:.2f} s, largest error {row['approximate_max_error']:.4f}",
              flush=True)

    engine_module._PLANS.clear()
    engine_module._SHAPES.clear()
    engine = Engine(compiled)
    readings = rng.choice(np.array([np.nan, 0.0, 1.0]), size=(args.rows, len(cargo)), p=[0.5, 0.25, 0.25])
    batch = EvidenceBatch(tuple(cargo), readings)
    out["batch"] = bounded(lambda part: engine.posteriors(asked, EvidenceBatch(batch.nodes, batch.readings[part])),
                           args.rows, 20, args.time_limit)
    out["batch"].update(targets=len(asked), method=engine.last_method)
    print(f"{size:5d} nodes, {args.rows:,} profiles x {len(asked)} targets: {describe(out['batch'])}", flush=True)
    complete = EvidenceBatch(tuple(cargo), rng.choice(np.array([0.0, 1.0]), size=(args.rows, len(cargo))))
    out["complete_batch"] = bounded(lambda part: engine.posteriors(asked, EvidenceBatch(
        complete.nodes, complete.readings[part])), args.rows, 20, args.time_limit)
    out["complete_batch"].update(targets=len(asked), method=engine.last_method)
    print(f"{size:5d} nodes, {args.rows:,} profiles observing every cargo: {describe(out['complete_batch'])}",
          flush=True)

    observed = (*cargo, *outcomes)
    rows = rng.choice(np.array([0.0, 1.0]), size=(args.estep_rows, len(observed)))
    cohort = EvidenceBatch(observed, rows)
    found: dict[str, Any] = {}

    def e_step(part: slice) -> None:
        found["counts"] = engine.expected_counts(EvidenceBatch(observed, rows[part]))

    out["estep"] = bounded(e_step, args.estep_rows, 50, args.time_limit)
    out["estep"]["method"] = found["counts"].method
    print(f"{size:5d} nodes, E-step over {args.estep_rows:,} rows ({short(found['counts'].method)}): "
          f"{describe(out['estep'])}", flush=True)
    if found["counts"].method == "exact":
        # the approximate E-step's largest error, where the exact one runs (its first rows)
        part = EvidenceBatch(observed, rows[:args.compare_rows])
        exact = engine.expected_counts(part)
        tables = {n: t.p_true for n, t in compiled.tables.items()}
        (approx, seconds, _) = timed(lambda: engine_module.approximate_counts(compiled, tables, part,
                                                                             np.ones(len(part.readings))))
        worst = max(float(np.abs(approx.counts[n] - exact.counts[n]).max()) for n in exact.counts)
        out["estep"].update(approximate_rows=len(part.readings), approximate_s=seconds,
                            approximate_max_error_per_row=worst / len(part.readings))
        print(f"{size:5d} nodes, sampled E-step over {len(part.readings):,} rows: {seconds:.2f} s, largest "
              f"error of a family count {worst / len(part.readings):.4f} a row", flush=True)
    del cohort

    from exoreason.learning import fit, forward_sample

    names, sample = forward_sample(compiled, args.fit_rows, seed=args.seed + 1)
    drawn = EvidenceBatch(observed, sample[:, [names.index(k) for k in observed]].astype(float))
    fitted, seconds, mib = timed(lambda: fit(compiled, drawn, engine=engine))
    out["fit"] = {"rows": args.fit_rows, "distinct": fitted.distinct, "s": seconds, "peak_mib": mib,
                  "e_steps": fitted.evaluations, "converged": fitted.converged, "method": fitted.method}
    print(f"{size:5d} nodes, fit on {args.fit_rows:,} rows ({fitted.distinct:,} distinct): {seconds:.1f} s, "
          f"{mib:.0f} MiB, {fitted.evaluations} E-steps, {'converged' if fitted.converged else 'not converged'}, "
          f"{short(fitted.method)}", flush=True)
    return out


def bounded(call: Any, rows: int, probe: int, limit: float) -> dict[str, Any]:
    """Time and peak memory of ``call`` over ``rows`` rows (given a slice of them), unless its first
    ``probe`` rows show that all of them would take more than ``limit`` seconds: then the probe's
    figures and the projected time, marked as such."""
    first = min(rows, probe)
    _, seconds, mib = timed(lambda: call(slice(0, first)))
    if first == rows:
        return {"rows": rows, "s": seconds, "peak_mib": mib}
    # again, planned: the first run's time holds the planning, the second's the rows alone
    _, again, _ = timed(lambda: call(slice(0, first)))
    projected = seconds + again * (rows - first) / first
    if projected > limit:
        return {"rows": rows, "measured_rows": first, "measured_s": seconds, "peak_mib": mib,
                "projected_s": projected}
    _, seconds, mib = timed(lambda: call(slice(0, rows)))
    return {"rows": rows, "s": seconds, "peak_mib": mib}


def describe(row: dict[str, Any]) -> str:
    if "projected_s" in row:
        return (f"{row['measured_s']:.2f} s for the first {row['measured_rows']:,} rows, {row['peak_mib']:.0f} MiB; "
                f"all {row['rows']:,} projected at {row['projected_s']:.0f} s (over the time limit, not run)")
    return f"{row['s']:.2f} s, {row['peak_mib']:.0f} MiB"


def short(method: str) -> str:
    return method.split(":")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[75, 150, 300, 600, 1200])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--estep-rows", type=int, default=5_000)
    parser.add_argument("--fit-rows", type=int, default=5_000)
    parser.add_argument("--samples", type=int, default=100_000, help="of the approximate method")
    parser.add_argument("--lazy-up-to", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=240.0,
                        help="seconds a batch or an E-step may take; beyond, its first rows are measured and the "
                             "rest projected")
    parser.add_argument("--compare-rows", type=int, default=500,
                        help="rows on which the sampled E-step is compared with the exact one")
    parser.add_argument("--quick", action="store_true",
                        help="75, 150 and 300 nodes, 2,000 profiles, an E-step over 1,000 rows, 20,000 samples")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.rows, args.estep_rows, args.samples, args.fit_rows = [75, 150, 300], 2000, 1000, 20_000, 1000
    results = [measure(size, args) for size in args.sizes]
    folder = ROOT / "bench" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    name = "growth-quick.json" if args.quick else "growth.json"
    (folder / name).write_text(json.dumps({"arguments": vars(args), "sizes": results}, indent=2))


if __name__ == "__main__":
    main()
