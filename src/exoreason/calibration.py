"""Leaks calibrated to reference priors: with nothing observed, every node equals its prior.

A node's leak stands for every cause the graph does not hold. Rather than a number per node kind,
which let many promoting parents saturate an outcome (metastasis 0.95 with nothing observed), each
process, outcome, state and gene effect has a *reference prior* (``[prior]`` in parameters.toml, or
a population's prior for one run, ``--prior NODE=P``), and its leak is the one value that makes the
node's probability with nothing observed equal that prior.

The family (model.py) makes P(X = true) linear in X's own leak lambda:

    P(X = true | parents) = B - A B + lambda A B,   A = prod (1 - w_i) over present promoters,
                                                      B = the inhibitors' and requirements' product

and X's parents do not depend on lambda, so two evaluations (lambda = 0 and lambda = 1) give the
line, and lambda = (prior - P_0) / (P_1 - P_0). Nodes are calibrated a level at a time (a level:
nodes whose longest path from a root has the same length), all of a level in one batch, since no
node's prior depends on a leak of its own level or below.

A prior below P_0 (the node's modelled causes alone make it likelier: a population in which
metastasis is rarer than its causes' priors and effects imply) is reached by the node's *gate* g
(``Family.gate``): the whole table is multiplied by g = prior / P_0, with lambda = 0. The gate is
the probability that conditions the graph does not hold, which the node needs, are met (a hidden
required parent); it also caps what any evidence can make of the node at g. A prior above P_1
(its inhibitors and requirements keep it below) cannot be reached: that is an error naming the
node and the range.
"""

from __future__ import annotations

import numpy as np

from .engine import Engine
from .errors import ConfigError
from .model import CompiledNetwork, compile_network

__all__ = ["UnreachablePrior", "calibrate"]

_TOLERANCE = 1e-12


class UnreachablePrior(ConfigError):
    """A prior no leak can give a node, with the range its parents allow."""

    def __init__(self, message: str, nodes: dict[str, tuple[float, float, float]]) -> None:
        super().__init__(message)
        self.nodes = nodes  # node -> (prior, lowest reachable, highest reachable)


def calibrate(compiled: CompiledNetwork) -> CompiledNetwork:
    """The same network with every calibrated node's leak (and gate) set so that, with nothing
    observed, its probability is its prior (``CompiledNetwork.calibrated_nodes``); explicit leaks
    stay as given.

    Raises :class:`UnreachablePrior` naming every node whose prior is out of reach.
    """
    targets = compiled.calibrated_nodes()
    depth: dict[str, int] = {}
    for node, family in compiled.families.items():  # topological order
        depth[node] = 1 + max((depth[p] for p in family.parents), default=-1)
    levels: dict[int, list[str]] = {}
    for node in targets:
        if depth[node] > 0:  # a root's calibrated leak is its prior, as compiled
            levels.setdefault(depth[node], []).append(node)
    if not levels:
        return compiled
    spec, params, cancer = compiled.spec, compiled.params, compiled.cancer
    leaks = {key: float(value) for key, value in _leak_means(compiled).items() if key in targets}
    gates: dict[str, float] = {}
    unreachable: dict[str, tuple[float, float, float]] = {}
    current = compiled
    engine = Engine(current)
    for level in sorted(levels):
        nodes = sorted(levels[level])
        index = _leak_index(current)
        columns = [index[n] for n in nodes]
        batch = np.repeat(current.space.means[None, :], 2, axis=0)
        batch[0, columns] = 0.0
        batch[1, columns] = 1.0
        low, high = engine.posteriors(nodes, None, None, theta=batch)
        for j, node in enumerate(nodes):
            prior = targets[node]
            if prior < low[j]:  # gated: lambda = 0, the table scaled to the prior
                leaks[node], gates[node] = 0.0, float(prior / low[j])
                continue
            span = high[j] - low[j]
            leak = (prior - low[j]) / span if span > 0.0 else 0.0
            if leak > 1.0 + _TOLERANCE or (span <= 0.0 and abs(prior - low[j]) > _TOLERANCE):
                unreachable[node] = (prior, 0.0, float(high[j]))
            leaks[node] = float(min(1.0, max(0.0, leak)))
        # the next levels see this level's leaks (and gates, which add parameters)
        current = compile_network(spec, params, cancer, leaks=leaks, gates=gates)
        engine = Engine(current)
    if unreachable:
        parts = [f"{node} (prior {p:g}; its inhibitors and requirements allow at most {hi:.4g})"
                 for node, (p, _lo, hi) in sorted(unreachable.items())]
        raise UnreachablePrior("no leak reaches the prior of " + "; ".join(parts), unreachable)
    return current


def _leak_index(compiled: CompiledNetwork) -> dict[str, int]:
    space = compiled.space
    return {key: i for i, (kind, key) in enumerate(zip(space.kinds, space.keys, strict=True))
            if kind in ("leak", "base_rate")}


def _leak_means(compiled: CompiledNetwork) -> dict[str, float]:
    return {key: float(compiled.space.means[i]) for key, i in _leak_index(compiled).items()}
