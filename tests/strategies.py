"""Hypothesis strategies that build the network itself: structure, parameters, evidence and
interventions, so that a failing example shrinks to a small network with few edges."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from exoreason.model import Parameters, load_parameters
from exoreason.network import Edge, Finding, NetworkSpec, Node

KINDS = ("gene_effect", "process", "outcome")
_FINDING = Finding("f", "f", "s", "q", ("ECO:0000304",), (1,), (), ())
probabilities = st.floats(0.02, 0.98, allow_nan=False)


@st.composite
def networks(draw: Any, max_size: int = 30, max_parents: tuple[int, int] = (2, 6)) -> tuple[NetworkSpec, Parameters]:
    """A DAG of 2..``max_size`` nodes (the first ones cargo roots; a later cargo may have one
    parent), signed edges (promotes, inhibits, requires) from earlier to later nodes, strengths,
    leaks and base rates in [0.02, 0.98], parents grouped beyond a drawn ``max_parents``."""
    size = draw(st.integers(2, max_size))
    roots = draw(st.integers(1, min(size - 1, 5)))
    nodes = [Node(f"n{i}", f"https://example.org/n{i}", f"node {i}",
                  "cargo" if i < roots else draw(st.sampled_from(KINDS))) for i in range(size)]
    edges = []
    for child in range(1, size):
        limit = (1 if child >= roots and nodes[child].kind == "cargo" else min(child, 10)) if child >= roots else 0
        parents = draw(st.lists(st.integers(0, child - 1), unique=True, max_size=limit))
        for parent in parents:
            edges.append(Edge(f"n{parent}", f"n{child}", draw(st.sampled_from("++-!")), (_FINDING,)))
    base = load_parameters()
    params = Parameters(
        kinds=base.kinds, other_cancer_weight=base.other_cancer_weight, certainty=base.certainty, leak=base.leak,
        leak_nodes={n.key: draw(probabilities) for n in nodes if n.kind != "cargo"},
        base_rate=base.base_rate,
        base_rate_nodes={n.key: draw(probabilities) for n in nodes if n.kind == "cargo"},
        strength_edges={e.key: draw(probabilities) for e in edges},
        max_parents=draw(st.integers(*max_parents)), source="hypothesis",
    )
    return NetworkSpec(nodes, sorted(edges, key=lambda e: (e.parent, e.child))), params


readings = st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.05, 0.95, allow_nan=False))


@st.composite
def queries(draw: Any, keys: list[str], hard_only: bool = False, max_evidence: int = 5, max_do: int = 2
            ) -> tuple[dict[str, float], dict[str, bool]]:
    """Evidence (hard, or soft readings unless ``hard_only``) and interventions on distinct nodes."""
    chosen = draw(st.permutations(keys))
    n_evidence = draw(st.integers(0, min(max_evidence, len(keys))))
    n_do = draw(st.integers(0, min(max_do, len(keys) - n_evidence)))
    value = st.sampled_from([0.0, 1.0]) if hard_only else readings
    evidence = {key: draw(value) for key in chosen[:n_evidence]}
    do = {key: draw(st.booleans()) for key in chosen[n_evidence:n_evidence + n_do]}
    return evidence, do
