"""Where exoreason finds its ontology, queries and default parameters.

In a source checkout (or an editable install) they are the repository's ``ontology/`` and
``queries/``; in a wheel they are packaged under ``exoreason/_data/``. The environment variable
``EXOREASON_ONTOLOGY_DIR`` points at another ontology directory (e.g. a user's extended copy).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "EDIT_FILE",
    "KG_FILE",
    "NETWORK_FILE",
    "OWL_FILE",
    "default_parameters_file",
    "ontology_dir",
    "queries_dir",
]

EDIT_FILE = "exoreason-edit.ttl"
#: The ontology (OWL 2 DL, RDF/XML): class axioms with provenance, findings as individuals.
OWL_FILE = "exoreason.owl"
#: The knowledge-graph release (Turtle): the ontology plus the direct edges its axioms imply.
KG_FILE = "exoreason-kg.ttl"
NETWORK_FILE = "exoreason-network.json"
#: The release file SPARQL reads (`exoreason query`, `push`, `coverage`), and the one `build`
#: derives the entailed graph and docs/vocabulary.md from.
QUERY_GRAPH_FILE = KG_FILE
#: That graph with its OWL 2 RL closure (`query --reason`, `push --reason`), written by `build`.
ENTAILED_FILE = "exoreason-entailed.nt"

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _CHECKOUT / name


def ontology_dir() -> Path:
    """The directory holding the edit file, the templates and the generated ontology."""
    override = os.environ.get("EXOREASON_ONTOLOGY_DIR")
    return Path(override) if override else _data_dir("ontology")


def queries_dir() -> Path:
    """The directory of named SPARQL queries."""
    return _data_dir("queries")


def default_parameters_file() -> Path:
    """The shipped parameter file (link strengths, leaks, base rates)."""
    return _PACKAGE / "parameters.toml"
