"""Outside answers to compare the engine with: pgmpy (variable elimination, causal inference) and
pyAgrum (lazy propagation on the exported XMLBIF), and random networks to ask them about."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from exoreason.model import CompiledNetwork, Parameters, compile_network, load_parameters
from exoreason.network import Edge, Finding, NetworkSpec, Node

KINDS = ("gene_effect", "process", "outcome")


def random_network(rng: np.random.Generator, size: int, max_parents: int, with_zero: bool = False
                   ) -> tuple[NetworkSpec, Parameters]:
    """A random DAG of ``size`` nodes (the first ones cargo), signed edges (promotes, inhibits,
    requires), random strengths, leaks and base rates, grouped beyond ``max_parents``."""
    roots = max(1, min(size - 1, int(rng.integers(1, 6))))
    nodes = [Node(f"n{i}", f"https://example.org/n{i}", f"node {i}",
                  "cargo" if i < roots else str(rng.choice(KINDS))) for i in range(size)]
    finding = Finding("f", "f", "s", "q", ("ECO:0000304",), (1,), (), ())
    edges = []
    for child in range(1, size):
        count = int(rng.integers(0 if child >= roots else 0, min(child, 10) + 1))
        if nodes[child].kind == "cargo":
            count = int(rng.integers(0, 2)) if child else 0
        for parent in rng.choice(child, size=min(count, child), replace=False):
            sign = str(rng.choice(["+", "+", "-", "!"]))
            edges.append(Edge(f"n{parent}", f"n{child}", sign, (finding,)))
    spec = NetworkSpec(nodes, sorted(edges, key=lambda e: (e.parent, e.child)))
    low = 0.0 if with_zero else 0.02

    def value() -> float:
        return float(rng.choice([0.0, 1.0])) if with_zero and rng.random() < 0.1 else float(rng.uniform(low, 1 - low))

    params = _parameters({n.key: value() for n in nodes if n.kind != "cargo"},
                         {n.key: value() for n in nodes if n.kind == "cargo"},
                         {e.key: float(rng.uniform(0.02, 0.98)) for e in edges}, max_parents)
    return spec, params


def _parameters(leaks: dict[str, float], base_rates: dict[str, float], strengths: dict[str, float],
                max_parents: int) -> Parameters:
    """A random network's parameters: these leaks, base rates and strengths, the shipped defaults
    for everything else."""
    base = load_parameters()
    return Parameters(
        kinds=base.kinds, other_cancer_weight=base.other_cancer_weight, certainty=base.certainty, leak=base.leak,
        leak_nodes=leaks, base_rate=base.base_rate, base_rate_nodes=base_rates, strength_edges=strengths,
        max_parents=max_parents, source="random",
    )


def layered_network(rng: np.random.Generator, cargo: int, processes: int, outcomes: int) -> CompiledNetwork:
    """Cargo roots, each process with 3 cargo parents, each outcome with 6 process parents: the
    moral graph joins cargo that share a child, so a pass over the whole network is wide unless
    the cargo are observed (as a cohort observes them)."""
    nodes = [Node(f"c{i}", f"https://example.org/c{i}", f"cargo {i}", "cargo") for i in range(cargo)]
    nodes += [Node(f"p{i}", f"https://example.org/p{i}", f"process {i}", "process") for i in range(processes)]
    nodes += [Node(f"o{i}", f"https://example.org/o{i}", f"outcome {i}", "outcome") for i in range(outcomes)]
    finding = Finding("f", "f", "s", "q", ("ECO:0000304",), (1,), (), ())
    edges = [Edge(f"c{j}", f"p{i}", "+", (finding,)) for i in range(processes)
             for j in rng.choice(cargo, size=3, replace=False)]
    edges += [Edge(f"p{j}", f"o{i}", str(rng.choice(["+", "-"])), (finding,)) for i in range(outcomes)
              for j in rng.choice(processes, size=6, replace=False)]
    spec = NetworkSpec(nodes, sorted(edges, key=lambda e: (e.parent, e.child)))
    params = _parameters({n.key: float(rng.uniform(0.02, 0.3)) for n in nodes if n.kind != "cargo"},
                         {n.key: float(rng.uniform(0.1, 0.6)) for n in nodes if n.kind == "cargo"},
                         {e.key: float(rng.uniform(0.1, 0.9)) for e in edges}, 8)
    return compile_network(spec, params)


def random_compiled(seed: int, size: int, max_parents: int) -> CompiledNetwork:
    spec, params = random_network(np.random.default_rng(seed), size, max_parents)
    return compile_network(spec, params)


def _mutilated(compiled: CompiledNetwork, do: Mapping[str, bool]) -> object:
    """The pgmpy model with each intervened node's incoming edges cut and its value fixed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.factors.discrete import TabularCPD
    model = compiled.to_pgmpy()
    for node, value in do.items():
        for parent in list(model.get_parents(node)):
            model.remove_edge(parent, node)
        model.remove_cpds(model.get_cpds(node))
        model.add_cpds(TabularCPD(node, 2, [[0.0 if value else 1.0], [1.0 if value else 0.0]],
                                  state_names={node: ["false", "true"]}))
    return model


def pgmpy_marginals(compiled: CompiledNetwork, targets: Sequence[str], evidence: Mapping[str, float],
                    do: Mapping[str, bool] | None = None) -> dict[str, float]:
    """P(target = true | evidence, do) by pgmpy's variable elimination on the mutilated network
    (hard evidence as evidence, readings strictly between 0 and 1 as virtual evidence)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination
    do = dict(do or {})
    model = _mutilated(compiled, do)
    hard = {k: "true" if q == 1.0 else "false" for k, q in evidence.items() if q in (0.0, 1.0)}
    soft = [TabularCPD(k, 2, [[1.0 - q], [q]], state_names={k: ["false", "true"]})
            for k, q in evidence.items() if q not in (0.0, 1.0)]
    out = {}
    for target in targets:
        if target in do:
            out[target] = 1.0 if do[target] else 0.0
        elif target in hard:
            out[target] = 1.0 if hard[target] == "true" else 0.0
        else:
            # A fresh engine for each query: pgmpy's query with virtual evidence adds a child
            # "__<node>" to the engine's model and leaves it there ("Replacing existing CPD for
            # __n1" on the next query); with one engine reused, the differential test saw an
            # answer 4e-4 off in two processes out of ten (hard n0, soft n1), none since.
            engine = VariableElimination(model.copy())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                factor = engine.query([target], evidence=hard or None, virtual_evidence=soft or None,
                                      show_progress=False)
            out[target] = float(factor.values[factor.state_names[target].index("true")])
    return out


def pgmpy_causal(compiled: CompiledNetwork, target: str, evidence: Mapping[str, bool],
                 do: Mapping[str, bool]) -> float | None:
    """P(target | evidence, do) by pgmpy's CausalInference, or None where it does not answer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.inference import CausalInference

        try:
            factor = CausalInference(compiled.to_pgmpy()).query(
                [target], do={k: "true" if v else "false" for k, v in do.items()},
                evidence={k: "true" if v else "false" for k, v in evidence.items()} or None,
                show_progress=False)
        except (ValueError, NotImplementedError, KeyError):
            return None
    return float(factor.values[factor.state_names[target].index("true")])


def pyagrum_marginals(xmlbif: str, targets: Sequence[str], evidence: Mapping[str, float]) -> dict[str, float]:
    """P(target = true | evidence) by pyAgrum's lazy propagation on an XMLBIF network (readings
    strictly between 0 and 1 as likelihood vectors)."""
    import pyagrum as gum

    bn = gum.BayesNet()
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "net.bifxml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(xmlbif)
        bn = gum.loadBN(path)
    ie = gum.LazyPropagation(bn)
    for key, q in evidence.items():
        if q in (0.0, 1.0):
            ie.addEvidence(key, "true" if q == 1.0 else "false")
        else:
            labels = list(bn.variable(key).labels())
            ie.addEvidence(key, [1.0 - q if lab == "false" else q for lab in labels])
    ie.makeInference()
    out = {}
    for target in targets:
        posterior = ie.posterior(target)
        out[target] = float(posterior[{target: "true"}])
    return out
