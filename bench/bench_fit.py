"""Learning from a cohort: `exoreason fit` against pgmpy's ExpectationMaximization, in one run.

A cohort is drawn from the network with known parameters (each drawn from its Beta distribution:
the truth), observing cargo and outcomes only; gene effects and processes are latent. Both learners
get the same rows and the same structure (pgmpy's model is `CompiledNetwork.to_pgmpy()`, auxiliary
nodes included, its latents the nodes no column observes), and both start from the literature's
tables:

* exoreason fits the network's own parameters (link strengths, leaks, base rates) by MAP-EM
  through the exact engine (`exoreason.learning.fit`, as `exoreason fit` runs it);
* pgmpy's ExpectationMaximization fits every full conditional table by maximum likelihood,
  completing each distinct row with every one of the 2^L joint states of its L latent nodes.

Reported: the time of each (and their ratio), and the log-likelihood per row of held-out rows
(drawn apart, the same for all) under the literature's parameters, each fit and the truth.

pgmpy's completion of every latent state makes it exponential in the latent nodes: on the whole
network (over 50 latent nodes) a single distinct row would need 2^50 completions, so pgmpy is run
on a sub-network (the ancestors of immunotherapy resistance: EMT and its causes, the same family of
tables, about ten latents) and exoreason on both that sub-network and the whole network.

    python bench/bench_fit.py [--rows 100000] [--held-out 20000] [--pgmpy-iterations 100] [--seed 0]
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _sample(compiled, rows, seed, theta, observed):  # type: ignore[no-untyped-def]
    from exoreason.engine import EvidenceBatch
    from exoreason.learning import forward_sample

    order, values = forward_sample(compiled, rows, seed, theta)
    return EvidenceBatch(tuple(observed), values[:, [order.index(k) for k in observed]])


def _sub_network(spec, keep):  # type: ignore[no-untyped-def]
    from exoreason.network import NetworkSpec

    return NetworkSpec([n for n in spec.nodes if n.key in keep],
                       [e for e in spec.edges if e.parent in keep and e.child in keep], spec.cancers,
                       spec.graph_digest)


def _pgmpy_fit(compiled, batch, iterations):  # type: ignore[no-untyped-def]
    """pgmpy's ExpectationMaximization from the literature's tables; the fitted tables, seconds."""
    import pandas as pd

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.estimators import ExpectationMaximization
        from pgmpy.factors.discrete import TabularCPD

    model = compiled.to_pgmpy()
    latents = [n for n in compiled.order if n not in batch.nodes]
    model.latents = set(latents)
    frame = pd.DataFrame({k: np.where(batch.readings[:, j] == 1.0, "true", "false")
                          for j, k in enumerate(batch.nodes)})
    # pgmpy names latent states 0, 1: the literature's tables as the start, in those names.
    start_cpds = {}
    for node in compiled.order:
        table = compiled.tables[node]
        names = {v: ([0, 1] if v in latents else ["false", "true"]) for v in (node, *table.parents)}
        start_cpds[node] = TabularCPD(node, 2, table.values(), evidence=list(table.parents) or None,
                                      evidence_card=[2] * len(table.parents) or None, state_names=names)
    begin = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = ExpectationMaximization(model, frame)
        cpds = estimator.get_parameters(latent_card=dict.fromkeys(latents, 2), max_iter=iterations,
                                        init_cpds=start_cpds, show_progress=False)
    seconds = time.perf_counter() - begin
    model.cpds = []
    model.add_cpds(*cpds)
    tables = {}
    from exoreason.model import Table

    for cpd in cpds:
        node = cpd.variable
        parents = compiled.tables[node].parents
        true = 1 if node in latents else cpd.state_names[node].index("true")
        states = [[0, 1] if p in latents else ["false", "true"] for p in parents]
        p_true = []
        for config in np.ndindex(*([2] * len(parents))):
            p_true.append(cpd.get_value(**{node: cpd.state_names[node][true],
                                           **{p: states[i][c] for i, (p, c) in enumerate(zip(parents, config, strict=True))}}))
        tables[node] = Table(node, parents, np.array(p_true, dtype=float))
    return tables, seconds, model


def _pgmpy_log_likelihood(model, batch, rows):  # type: ignore[no-untyped-def]
    """log P(row) by pgmpy's variable elimination: the product of each observed node's probability
    given the ones before it (a check of the held-out scoring of pgmpy's tables)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.inference import VariableElimination

        engine = VariableElimination(model)
        out = []
        for row in batch.readings[:rows]:
            total, seen = 0.0, {}
            for node, value in zip(batch.nodes, row, strict=True):
                state = "true" if value == 1.0 else "false"
                factor = engine.query([node], evidence=seen or None, show_progress=False)
                total += float(np.log(factor.get_value(**{node: state})))
                seen[node] = state
            out.append(total)
    return np.array(out)


def _command(batch) -> float:  # type: ignore[no-untyped-def]
    """Seconds of the whole `exoreason fit` process on the rows written as a CSV file."""
    import subprocess
    import sys
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="exoreason-bench-"))
    cohort = work / "cohort.csv"
    cells = np.where(batch.readings == 1.0, "true", "false")
    with cohort.open("w") as handle:
        handle.write("id," + ",".join(batch.nodes) + "\n")
        handle.writelines(f"p{i}," + ",".join(row) + "\n" for i, row in enumerate(cells))
    begin = time.perf_counter()
    subprocess.run([str(Path(sys.executable).with_name("exoreason")), "fit", str(cohort), "--output",
                    str(work / "fitted.toml")], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--held-out", type=int, default=20_000)
    parser.add_argument("--pgmpy-iterations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from exoreason.engine import Engine
    from exoreason.inference import Reasoner
    from exoreason.learning import fit
    from exoreason.model import compile_network

    reasoner = Reasoner.from_files()
    whole = reasoner.compiled
    keep = reasoner.spec.ancestors("immunotherapy_resistance")
    sub = compile_network(_sub_network(reasoner.spec, keep), reasoner.params)
    print(f"cohort: {args.rows:,} rows for fitting, {args.held_out:,} held out; observing cargo and outcomes\n")
    for name, compiled, with_pgmpy in (("sub-network", sub, True), ("whole network", whole, False)):
        truth = compiled.space.sample(1, args.seed + 1)[0]
        observed = [n.key for n in compiled.spec.nodes if n.kind in ("cargo", "outcome")]
        data = _sample(compiled, args.rows, args.seed + 2, truth, observed)
        held = _sample(compiled, args.held_out, args.seed + 3, truth, observed)
        latents = [n for n in compiled.order if n not in observed]
        engine = Engine(compiled)
        begin = time.perf_counter()
        result = fit(compiled, data, engine=engine)
        ours_s = time.perf_counter() - begin
        scores = {"literature": engine.log_likelihood(held).mean(),
                  "exoreason fit": engine.log_likelihood(held, result.theta).mean()}
        print(f"{name}: {len(compiled.order)} nodes ({len(compiled.auxiliary)} auxiliary), {len(latents)} latent, "
              f"{len(compiled.space)} parameters; {result.distinct:,} distinct rows")
        print(f"  exoreason fit: {ours_s:8.2f} s  ({result.iterations} iterations, {result.evaluations} E-steps, "
              f"{'converged' if result.converged else 'not converged'}; {int(result.fitted.sum())} parameters fitted)")
        if with_pgmpy:
            tables, theirs_s, model = _pgmpy_fit(compiled, data, args.pgmpy_iterations)
            fitted_tables = Engine(compiled.with_tables(tables))
            scores["pgmpy EM (full tables)"] = fitted_tables.log_likelihood(held).mean()
            check = _pgmpy_log_likelihood(model, held, 3)
            assert np.allclose(check, fitted_tables.log_likelihood(held)[:3], atol=1e-9), check
            print(f"  pgmpy EM:      {theirs_s:8.2f} s  (at most {args.pgmpy_iterations} iterations; "
                  f"{result.distinct:,} distinct rows x 2^{len(latents)} completions each)")
            print(f"  time ratio exoreason / pgmpy: {ours_s / theirs_s:.4f}")
        else:
            print(f"  pgmpy EM:      not run: each of the {result.distinct:,} distinct rows would be completed "
                  f"with 2^{len(latents)} = {2 ** len(latents):,} latent states")
            seconds = _command(data)
            print(f"  the command `exoreason fit cohort.csv --output fitted.toml` on these rows: {seconds:.2f} s "
                  "(start-up, reading the file, fitting, writing)")
        scores["truth"] = engine.log_likelihood(held, truth).mean()
        print("  held-out log-likelihood per row: " + "; ".join(f"{k} {v:.4f}" for k, v in scores.items()))
        print()


if __name__ == "__main__":
    main()
