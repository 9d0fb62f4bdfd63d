"""exoreason: a probabilistic knowledge-graph reasoning engine for cancer-stem-cell exosomes."""

from __future__ import annotations

__version__ = "0.1.0"
