"""Conveniences of the public API for notebooks and scripts: the graph, queries and many profiles
as pandas DataFrames.

Everything heavy (rdflib, pandas, numpy) is imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ExoreasonError, InputError

if TYPE_CHECKING:
    import pandas as pd
    from rdflib import Graph

    from .inference import Reasoner

__all__ = ["infer_frame", "load_graph", "query_frame"]


def load_graph(path: Path | str | None = None) -> Graph:
    """The built knowledge graph as an rdflib Graph (the shipped ``exoreason-kg.ttl`` by default)."""
    from .ontology import load_graph as load
    from .resources import KG_FILE, ontology_dir

    return load(Path(path) if path is not None else ontology_dir() / KG_FILE)


def query_frame(query: str, graph: Any = None, *, reason: bool = False,
                endpoint: str | None = None, **bindings: Any) -> pd.DataFrame:
    """Run a named query (see :func:`list_queries`), a ``.rq`` file or SPARQL text into a DataFrame.

    Keyword arguments bind the query's variables, as ``exoreason query --bind NAME=VALUE`` does:
    ``query_frame("targets-of-mirna", mirna="miR-155")``. Strings are read like ``--bind`` values
    (``<IRI>``, a CURIE, an integer, else a string); RDF terms (pyoxigraph or rdflib) are used as
    they are. Oxigraph answers, on the built graph unless ``graph`` gives another (an rdflib Graph,
    a pyoxigraph Store, or the path of an RDF file). With ``reason=True`` the query runs over the
    graph plus its OWL 2 RL closure (the built graph's is precomputed by ``exoreason build``).
    """
    from .query import (
        oxigraph_term,
        parse_binding,
        release_store,
        resolve_query,
        run_query,
        store_from_graph,
    )

    named = resolve_query(query)
    terms = {name: parse_binding(f"{name}={value}")[1] if isinstance(value, (str, int)) and
             not isinstance(value, bool) else oxigraph_term(value) for name, value in bindings.items()}
    source = graph
    if endpoint is not None:
        if reason:
            raise InputError("reason=True works on the embedded graph, not on an endpoint")
    elif graph is None:
        source = release_store(reason=reason)
    elif hasattr(graph, "serialize") and hasattr(graph, "query"):  # an rdflib Graph
        if reason:
            from .reasoning import entailed_graph

            graph = entailed_graph(graph)
        source = store_from_graph(graph)
    elif reason:
        raise InputError("reason=True needs the built graph or an rdflib Graph")
    return run_query(source, named.text, bindings=terms, endpoint=endpoint).to_dataframe()


def infer_frame(reasoner: Reasoner, profiles: pd.DataFrame | Mapping[str, Any],
                targets: list[str] | None = None) -> pd.DataFrame:
    """P(true) of every process and outcome for each profile (row) of ``profiles``.

    Columns of ``profiles`` name nodes (any accepted name: ``miR-155``, ``MIR155``, a node key,
    ``EMT``); cells are True/False, NaN/None (not measured), a reading in (0, 1) (a likelihood:
    see :mod:`exoreason.evidence`) or a cell's text (``detected``, ``NA``). The answer has the same
    index and one column per target key (every process and outcome by default), computed by the
    exact engine in one batch.
    """
    import numpy as np
    import pandas as pd

    from .engine import EvidenceBatch
    from .evidence import reading

    frame = profiles if isinstance(profiles, pd.DataFrame) else pd.DataFrame(profiles)
    keys = [reasoner.resolve_node(t) for t in (targets if targets is not None else reasoner.outcome_keys)]
    nodes: list[str] = []
    seen: dict[str, str] = {}
    readings = np.full((len(frame), len(frame.columns)), np.nan)
    for j, column in enumerate(frame.columns):
        try:
            key = reasoner.resolve_node(str(column))
        except ExoreasonError as exc:
            raise InputError(f"column {column!r}: {exc.message()}") from None
        if key in seen:
            raise InputError(f"columns {seen[key]!r} and {column!r} name the same node ({key})")
        seen[key] = str(column)
        nodes.append(key)
        for i, (index, value) in enumerate(zip(frame.index, frame[column].tolist(), strict=True)):
            try:
                q = reading(value)
            except ValueError as exc:
                raise InputError(f"column {column!r}, row {index}: {exc}") from None
            readings[i, j] = np.nan if q is None else q
    if not len(frame):
        return pd.DataFrame(np.empty((0, len(keys))), index=frame.index, columns=keys)
    answers = reasoner.engine.posteriors(keys, EvidenceBatch(tuple(nodes), readings))
    return pd.DataFrame(answers, index=frame.index, columns=keys)
