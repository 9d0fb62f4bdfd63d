"""Exact inference for many cargo profiles at once.

Evidence in a profile falls only on cargo nodes, which are the network's roots and independent a
priori. Given root-local evidence (hard or soft), the roots stay independent, each with its own
posterior P(root = true | its reading); and every node's probability is a multilinear function of
the root indicators, so

    P(X = true | profile) = sum over all nodes other than the roots of prod(CPDs),
                            with each root's factor replaced by [1 - m_r, m_r],

where m_r is that root's posterior. This is one tensor contraction per target over the target's
ancestors only (the other nodes sum out to 1), with a batch index on the root factors. The
contraction path is found once (opt_einsum) and reused for every chunk of profiles; identical
profiles are answered once. The answers are exact: the tests compare them with pgmpy and pyAgrum.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .model import CompiledNetwork

__all__ = ["BatchEngine", "einsum_symbols"]


def einsum_symbols() -> tuple[str, Callable[[str], str]]:
    """The batch axis's einsum symbol, and a function giving each node its own symbol."""
    import opt_einsum

    symbols: dict[str, str] = {}

    def sym(node: str) -> str:
        if node not in symbols:
            symbols[node] = opt_einsum.get_symbol(len(symbols) + 1)
        return symbols[node]

    return opt_einsum.get_symbol(0), sym


@dataclass
class _Target:
    key: str
    roots: list[int]  # positions in BatchEngine.roots
    subscripts: str
    operands: list[np.ndarray]
    expression: Any = None
    chunk: int = 0


@dataclass
class BatchEngine:
    """P(target = true | profile) for every target and every profile, vectorised."""

    compiled: CompiledNetwork
    targets: Sequence[str]
    chunk_size: int = 8192
    roots: list[str] = field(init=False)
    priors: np.ndarray = field(init=False)
    _targets: list[_Target] = field(init=False)

    def __post_init__(self) -> None:

        tables = self.compiled.tables
        self.roots = [k for k in self.compiled.order if not tables[k].parents]
        self.priors = np.array([float(tables[k].p_true[0]) for k in self.roots])
        root_index = {k: i for i, k in enumerate(self.roots)}
        batch, sym = einsum_symbols()
        self._targets = []
        for target in self.targets:
            ancestors = self.compiled.ancestors(target)
            terms: list[str] = []
            operands: list[np.ndarray] = []
            roots: list[int] = []
            for node in sorted(ancestors):
                table = tables[node]
                if not table.parents:
                    roots.append(root_index[node])
                    terms.append(batch + sym(node))
                    operands.append(np.empty((0, 2)))  # the batch factor, filled per chunk
                    continue
                axes = [*table.parents, node]
                values = table.values()  # (2, 2^k): states of node x parent configurations
                tensor = values.T.reshape([2] * len(table.parents) + [2])
                terms.append("".join(sym(a) for a in axes))
                operands.append(np.ascontiguousarray(tensor))
            subscripts = ",".join(terms) + "->" + batch + sym(target)
            self._targets.append(_Target(target, roots, subscripts, operands))

    def _expression(self, target: _Target, size: int) -> Any:
        import opt_einsum

        if target.expression is None or target.chunk != size:
            shapes = [(size, 2) if op.shape == (0, 2) else op.shape for op in target.operands]
            target.expression = opt_einsum.contract_expression(target.subscripts, *shapes, optimize="greedy")
            target.chunk = size
        return target.expression

    def posteriors_from_means(self, means: np.ndarray) -> np.ndarray:
        """Targets' P(true) for rows of root posteriors ``means`` (shape: profiles x roots)."""
        out = np.empty((means.shape[0], len(self._targets)))
        for start in range(0, means.shape[0], self.chunk_size):
            block = means[start:start + self.chunk_size]
            size = block.shape[0]
            factors = np.stack([1.0 - block, block], axis=2)  # profiles x roots x 2
            for column, target in enumerate(self._targets):
                operands = []
                position = 0
                for op in target.operands:
                    if op.shape == (0, 2):
                        operands.append(factors[:, target.roots[position], :])
                        position += 1
                    else:
                        operands.append(op)
                result = self._expression(target, size)(*operands)
                out[start:start + size, column] = result[:, 1]
        return out

    def means(self, readings: np.ndarray) -> np.ndarray:
        """Root posteriors from readings: NaN unobserved, 0/1 hard, a value in (0, 1) soft."""
        prior = np.broadcast_to(self.priors, readings.shape)
        observed = ~np.isnan(readings)
        q = np.where(observed, readings, 0.5)
        num = prior * q
        den = num + (1.0 - prior) * (1.0 - q)
        with np.errstate(invalid="ignore", divide="ignore"):
            post = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
        return np.where(observed, post, prior)

    def posteriors(self, readings: np.ndarray, *, unique: bool = True) -> np.ndarray:
        """Targets' P(true) for each row of cargo readings (columns in the order of ``roots``)."""
        if not unique or readings.shape[0] < 2:
            return self.posteriors_from_means(self.means(readings))
        # Identical profiles are answered once (NaN compares unequal, so encode it first).
        encoded = np.where(np.isnan(readings), -1.0, readings)
        patterns, inverse = np.unique(encoded, axis=0, return_inverse=True)
        answers = self.posteriors_from_means(self.means(np.where(patterns < 0, np.nan, patterns)))
        return answers[inverse.reshape(-1)]

    def posterior_dict(self, evidence: Mapping[str, float]) -> dict[str, float]:
        """One profile given as {cargo key: reading}."""
        row = np.full((1, len(self.roots)), np.nan)
        for key, value in evidence.items():
            row[0, self.roots.index(key)] = value
        values = self.posteriors(row, unique=False)[0]
        return {t.key: float(v) for t, v in zip(self._targets, values, strict=True)}
