"""exoreason: a probabilistic knowledge-graph reasoning engine for cancer-stem-cell exosomes.

The public API, for notebooks and scripts::

    import exoreason

    graph = exoreason.load_graph()                       # the built ontology (rdflib Graph)
    exoreason.query_frame("targets-of-mirna", mirna="miR-155")   # a named query as a DataFrame
    reasoner = exoreason.Reasoner.from_files()
    result = reasoner.infer_names(["miR-155"])            # an InferenceResult
    result.to_dataframe()
    exoreason.plot_posteriors(result)                    # a picture, shown inline in Jupyter

Every name below is loaded on first use (module-level ``__getattr__``), so ``import exoreason``
and ``exoreason --help`` stay fast and import neither pgmpy nor rdflib.

The posteriors are estimates of a model whose structure and parameters come from the literature,
not clinical predictions.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# name -> module (relative to this package) that defines it
_EXPORTS: dict[str, str] = {
    # inference
    "Reasoner": "inference",
    "InferenceResult": "results",
    "OutcomePosterior": "results",
    "EdgeStep": "results",
    "EvidenceEffect": "results",
    "DISCLAIMER": "display",
    # the graph and SPARQL
    "load_graph": "api",
    "query_frame": "api",
    "run_query": "query",
    "list_queries": "query",
    "load_named_query": "query",
    "NamedQuery": "query",
    "QueryResult": "query",
    # many profiles, what to measure, learning and scoring
    "Engine": "engine",
    "EvidenceBatch": "engine",
    "infer_frame": "api",
    "run_profiles": "cohort",
    "suggest": "information",
    "Suggestion": "information",
    "Suggestions": "information",
    "fit": "learning",
    "FitResult": "learning",
    "Cohort": "cohort",
    "read_cohort": "cohort",
    "parameters_toml": "learning",
    "forward_sample": "learning",
    "evaluate": "evaluation",
    "Evaluation": "evaluation",
    "OutcomeScore": "evaluation",
    # the network, explanations, pictures and exports
    "load_network": "network",
    "NetworkSpec": "network",
    "Explanation": "explanation",
    "explain": "explanation",
    "network_graph": "export",
    "network_dot": "export",
    "plot_posteriors": "plots",
    "plot_explanation": "plots",
    "plot_calibration": "plots",
    "plot_learning_curve": "plots",
    "Picture": "plots",
    # errors
    "ExoreasonError": "errors",
    "InputError": "errors",
    "ConfigError": "errors",
    "CurationError": "errors",
    "BuildError": "errors",
    "ValidationFailure": "errors",
    "QueryError": "errors",
    "EndpointError": "errors",
    "NetworkError": "errors",
    "InferenceError": "errors",
}

__all__ = [
    "BuildError",
    "Cohort",
    "ConfigError",
    "CurationError",
    "DISCLAIMER",
    "EdgeStep",
    "EndpointError",
    "Engine",
    "Evaluation",
    "EvidenceBatch",
    "EvidenceEffect",
    "ExoreasonError",
    "Explanation",
    "FitResult",
    "InferenceError",
    "InferenceResult",
    "InputError",
    "NamedQuery",
    "NetworkError",
    "NetworkSpec",
    "OutcomePosterior",
    "OutcomeScore",
    "Picture",
    "QueryError",
    "QueryResult",
    "Reasoner",
    "Suggestion",
    "Suggestions",
    "ValidationFailure",
    "__version__",
    "evaluate",
    "explain",
    "fit",
    "forward_sample",
    "infer_frame",
    "list_queries",
    "load_graph",
    "load_named_query",
    "load_network",
    "network_dot",
    "network_graph",
    "parameters_toml",
    "plot_calibration",
    "plot_explanation",
    "plot_learning_curve",
    "plot_posteriors",
    "query_frame",
    "read_cohort",
    "run_profiles",
    "run_query",
    "suggest",
]

# The names __all__ lists are exactly those of _EXPORTS (a test checks it) and __version__.

if TYPE_CHECKING:  # for type checkers and IDEs only; at run time names load lazily
    from .api import infer_frame, load_graph, query_frame
    from .cohort import Cohort, read_cohort, run_profiles
    from .display import DISCLAIMER
    from .engine import Engine, EvidenceBatch
    from .errors import (
        BuildError,
        ConfigError,
        CurationError,
        EndpointError,
        ExoreasonError,
        InferenceError,
        InputError,
        NetworkError,
        QueryError,
        ValidationFailure,
    )
    from .evaluation import Evaluation, OutcomeScore, evaluate
    from .explanation import Explanation, explain
    from .export import network_dot, network_graph
    from .inference import Reasoner
    from .information import Suggestion, Suggestions, suggest
    from .learning import FitResult, fit, forward_sample, parameters_toml
    from .network import NetworkSpec, load_network
    from .plots import (
        Picture,
        plot_calibration,
        plot_explanation,
        plot_learning_curve,
        plot_posteriors,
    )
    from .query import NamedQuery, QueryResult, list_queries, load_named_query, run_query
    from .results import EdgeStep, EvidenceEffect, InferenceResult, OutcomePosterior


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'exoreason' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


# A name above must never be a submodule's name too: importing the submodule would rebind it.


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
