"""Conveniences of the public API for notebooks and scripts: the graph, queries and many profiles
as pandas DataFrames.

Everything heavy (rdflib, pandas, numpy) is imported inside the functions.
"""

from __future__ import annotations

import math
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
    """The built ontology as an rdflib Graph (the shipped ``exoreason.ttl`` by default)."""
    from .ontology import load_graph as load
    from .resources import TTL_FILE, ontology_dir

    return load(Path(path) if path is not None else ontology_dir() / TTL_FILE)


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


def _reading(value: Any, where: str) -> float:
    """NaN (unobserved), 1/0 (present/absent) or a soft reading in (0, 1)."""
    if value is None:
        return math.nan
    if isinstance(value, str):
        from .cohort import parse_reading

        try:
            parsed = parse_reading(value)
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
        return math.nan if parsed is None else parsed
    try:
        q = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: not true, false, empty or a probability: {value!r}") from None
    if math.isnan(q):
        return q
    if not 0.0 <= q <= 1.0:
        raise InputError(f"{where}: probability outside [0, 1]: {value!r}")
    return q


def infer_frame(reasoner: Reasoner, profiles: pd.DataFrame | Mapping[str, Any],
                targets: list[str] | None = None) -> pd.DataFrame:
    """P(true) of every process and outcome for each profile (row) of ``profiles``.

    Columns of ``profiles`` name cargo (any accepted name: ``miR-155``, ``MIR155``, a node key);
    cells are True/False, NaN/None (not measured) or a probability (a soft reading). The answer
    has the same index and one column per target key (every process and outcome by default). The
    inference is exact and vectorised (:class:`BatchEngine`); identical profiles are answered once.
    """
    import numpy as np
    import pandas as pd

    from .batch import BatchEngine

    frame = profiles if isinstance(profiles, pd.DataFrame) else pd.DataFrame(profiles)
    keys = list(targets) if targets is not None else reasoner.outcome_keys
    resolved = [reasoner.resolve_node(t) for t in keys]
    engine = BatchEngine(reasoner.compiled, resolved)
    position = {k: i for i, k in enumerate(engine.roots)}
    readings = np.full((len(frame), len(engine.roots)), np.nan)
    seen: dict[str, str] = {}
    for column in frame.columns:
        try:
            key = reasoner.resolve_cargo(str(column))
        except ExoreasonError as exc:
            raise InputError(f"column {column!r}: {exc.message()}") from None
        if key in seen:
            raise InputError(f"columns {seen[key]!r} and {column!r} name the same cargo ({key})")
        seen[key] = str(column)
        values = frame[column].tolist()
        readings[:, position[key]] = [_reading(v, f"column {column!r}, row {i}")
                                      for i, v in zip(frame.index, values, strict=True)]
    answers = engine.posteriors(readings) if len(frame) else np.empty((0, len(resolved)))
    return pd.DataFrame(answers, index=frame.index, columns=resolved)
