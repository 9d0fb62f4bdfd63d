"""What an inference answers: each process's and outcome's prior and posterior, and how each
observation moved it by which paths (the edges with their strengths and findings).

These are the answer's data (with their JSON form); :mod:`exoreason.present` says how a table
shows them, :class:`exoreason.inference.Reasoner` computes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .display import DISCLAIMER, json_ready, odds_ratio, round_probability, row_key, shown
from .evidence import describe_reading, reading_json
from .network import EFFECTS

__all__ = [
    "PATHS_SHOWN",
    "EdgeStep",
    "EvidenceEffect",
    "InferenceResult",
    "OutcomePosterior",
    "path_sign",
    "path_weight",
    "sign_counts",
    "strongest",
]

#: How many paths of each sign an explanation shows (the strongest), unless asked for all.
PATHS_SHOWN = 3


@dataclass(frozen=True)
class EdgeStep:
    """One edge of a path, with its strength and the findings behind it."""

    parent: str
    child: str
    sign: str
    strength: float
    findings: tuple[dict[str, Any], ...]
    #: A step from a detection in exosomes to the molecule in tumour cells it is evidence of (the
    #: measurement edge read backwards: what the reading tells, not what causes what).
    measured: bool = False
    #: Findings of the opposite sign on the same pair, outweighed by ``findings``.
    against: tuple[dict[str, Any], ...] = ()

    @property
    def effect(self) -> str:
        return "is evidence of" if self.measured else EFFECTS[self.sign]

    @property
    def notes(self) -> tuple[str, ...]:
        """The curator notes of the findings behind the edge (how the review's text was read)."""
        return tuple(dict.fromkeys(f["curator_note"] for f in self.findings if f.get("curator_note")))

    def to_dict(self, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        labels = labels or {}
        return {"parent": self.parent, "parent_label": labels.get(self.parent, self.parent),
                "child": self.child, "child_label": labels.get(self.child, self.child),
                "effect": self.effect, "strength": self.strength,
                "has_curator_note": bool(self.notes), "findings": list(self.findings),
                **({"against": list(self.against)} if self.against else {})}


def path_sign(path: Sequence[EdgeStep]) -> str:
    """``+`` if the chain promotes its end, ``-`` if it inhibits it: the product of the edges'
    signs (two inhibitions in a row promote)."""
    return "-" if sum(step.sign == "-" for step in path) % 2 else "+"


def path_weight(path: Sequence[EdgeStep]) -> float:
    """How strongly a path links its ends: the product of its edges' strengths."""
    weight = 1.0
    for step in path:
        weight *= step.strength
    return weight


def sign_counts(paths: Sequence[Sequence[EdgeStep]]) -> tuple[int, int]:
    """How many paths promote and how many inhibit their end."""
    up = sum(path_sign(path) == "+" for path in paths)
    return up, len(paths) - up


def strongest(paths: Sequence[tuple[EdgeStep, ...]], per_sign: int | None = PATHS_SHOWN,
              covering: bool = False) -> tuple[tuple[EdgeStep, ...], ...]:
    """The paths to show, strongest first (``paths`` come strongest first): ``per_sign`` of each
    sign (None: all), or with ``covering`` each path that passes through a node no stronger path
    shown passes through, so that every route, however weak (through MET, say), stays in sight."""
    if per_sign is None:
        return tuple(paths)
    if covering:
        seen: set[str] = set()
        chosen = []
        for path in paths:
            nodes = {step.child for step in path}
            if nodes - seen:
                seen |= nodes
                chosen.append(path)
        return tuple(chosen)
    up = [path for path in paths if path_sign(path) == "+"][:per_sign]
    down = [path for path in paths if path_sign(path) == "-"][:per_sign]
    return tuple(path for path in paths if path in up or path in down)


@dataclass(frozen=True)
class EvidenceEffect:
    """How one observation moved an outcome, and by which paths it reaches it.

    ``change`` is the posterior minus ``posterior_without`` (the posterior with every other
    observation but not this one)."""

    node: str
    reading: float
    posterior_without: float
    change: float
    paths: tuple[tuple[EdgeStep, ...], ...]  # the strongest first (all of them, or the strongest few)
    promoting: int = 0  # how many paths in all promote the outcome
    inhibiting: int = 0  # and how many inhibit it

    @property
    def dominant(self) -> str:
        """Where paths of both signs lead here, which kind the change says wins ("" otherwise)."""
        if not (self.promoting and self.inhibiting) or not shown(self.change):
            return ""
        return "promoting" if self.change > 0 else "inhibiting"

    def to_dict(self, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        labels = labels or {}
        return {"node": self.node, "label": labels.get(self.node, self.node),
                "observed": reading_json(self.reading),
                "posterior_without": self.posterior_without, "change": self.change,
                "paths_promoting": self.promoting, "paths_inhibiting": self.inhibiting,
                **({"dominant": self.dominant} if self.dominant else {}),
                "paths": [{"effect": "promotes" if path_sign(path) == "+" else "inhibits",
                           "weight": round_probability(path_weight(path)),
                           "edges": [step.to_dict(labels) for step in path]} for path in self.paths]}


@dataclass(frozen=True)
class OutcomePosterior:
    key: str
    label: str
    iri: str
    kind: str
    prior: float
    posterior: float
    explanation: tuple[EvidenceEffect, ...] = ()
    do_posterior: float | None = None
    interval: tuple[float, float] | None = None  # posterior interval under parameter uncertainty
    change_interval: tuple[float, float] | None = None  # the same for the change from the prior

    @property
    def change(self) -> float:
        return self.posterior - self.prior

    @property
    def odds_ratio(self) -> float | None:
        """Posterior odds over prior odds: how strongly the evidence speaks, whatever the prior
        (None where the node is observed, or its odds are otherwise not finite)."""
        return odds_ratio(self.prior, self.posterior)

    def to_dict(self, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "label": self.label, "iri": self.iri, "kind": self.kind,
                               "prior": self.prior, "posterior": self.posterior, "change": self.change,
                               "odds_ratio": self.odds_ratio}
        if self.interval is not None:
            out["interval"] = list(self.interval)
        if self.change_interval is not None:
            out["change_interval"] = list(self.change_interval)
        if self.do_posterior is not None:
            out["do_posterior"] = self.do_posterior
        out["explanation"] = [e.to_dict(labels) for e in self.explanation]
        return json_ready(out)  # type: ignore[no-any-return]


@dataclass
class InferenceResult:
    """The answer to one query: the evidence used and each outcome's prior and posterior."""

    evidence: dict[str, float]
    names: dict[str, str]
    outcomes: list[OutcomePosterior]
    cancer: str | None = None
    parameters: str = "defaults"
    labels: dict[str, str] = field(default_factory=dict)
    do: dict[str, bool] = field(default_factory=dict)
    intervals: dict[str, Any] | None = None  # {"samples", "seed", "level"} when intervals were computed
    context: str = ""  # what --cancer did to the link strengths, in words
    priors: dict[str, float] = field(default_factory=dict)  # a population's priors (--prior)
    #: "exact", or how an answer beyond the engine's memory budget was approximated
    method: str = "exact"
    #: The sources whose findings the network holds (``review (title, year)``, ...).
    sources: list[str] = field(default_factory=list)

    def outcome(self, key: str) -> OutcomePosterior:
        for o in self.outcomes:
            if o.key == key:
                return o
        raise KeyError(key)

    @property
    def rows(self) -> list[OutcomePosterior]:
        """The outcomes as every rendering lists them: outcomes first, then processes, each by the
        size of the log odds ratio as shown, largest first (:func:`exoreason.display.row_key`)."""
        return sorted(self.outcomes, key=lambda o: row_key(o.kind, o.odds_ratio, o.label))

    def header(self) -> dict[str, Any]:
        """What every JSON answer starts with: the evidence (true, false or a reading), the
        interventions, the names they were given by, the cancer type, the parameters, the note."""
        out: dict[str, Any] = {"evidence": {k: reading_json(v) for k, v in self.evidence.items()}}
        if self.do:
            out["do"] = {k: bool(v) for k, v in self.do.items()}
        out.update({"given_as": dict(self.names), "cancer": self.cancer,
                    **({"context": self.context} if self.context else {}),
                    **({"priors": dict(self.priors)} if self.priors else {}),
                    **({"method": self.method} if self.method != "exact" else {}),
                    **({"sources": list(self.sources)} if self.sources else {}),
                    "parameters": self.parameters, "note": DISCLAIMER})
        if self.intervals is not None:
            out["intervals"] = dict(self.intervals)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The answer as documented in ``docs/answer.schema.json`` (what ``--format json`` prints)."""
        return {**self.header(), "outcomes": [o.to_dict(self.labels) for o in self.rows]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def describe_evidence(self) -> str:
        """The evidence in words, e.g. ``hsa-miR-155-5p present, miR-21 absent``."""
        observed = ", ".join(f"{self.labels.get(k, k)} {describe_reading(v)}" for k, v in self.evidence.items())
        if self.do:
            observed += ("; " if observed else "") + ", ".join(
                f"do({self.labels.get(k, k)}={'true' if v else 'false'})" for k, v in self.do.items())
        return observed or "no evidence"

    def to_dataframe(self) -> Any:
        """One row per process and outcome (index: key), outcomes first, each group by the size of
        the change: label, kind, prior, posterior, change (``do_posterior`` under an intervention;
        the interval bounds with intervals)."""
        import pandas as pd

        columns = ["key", "label", "kind", "prior", "posterior", "change", "odds_ratio"]
        if self.do:
            columns.append("do_posterior")
        if self.intervals is not None:
            columns += ["posterior_low", "posterior_high", "change_low", "change_high"]
        records = []
        for o in self.rows:
            record: dict[str, Any] = {"key": o.key, "label": o.label, "kind": o.kind, "prior": o.prior,
                                      "posterior": o.posterior, "change": o.change, "odds_ratio": o.odds_ratio}
            if self.do:
                record["do_posterior"] = o.do_posterior
            if self.intervals is not None:
                low, high = o.interval or (float("nan"), float("nan"))
                change_low, change_high = o.change_interval or (float("nan"), float("nan"))
                record.update({"posterior_low": low, "posterior_high": high,
                               "change_low": change_low, "change_high": change_high})
            records.append(json_ready(record))
        frame = pd.DataFrame(records, columns=columns)
        frame.attrs["evidence"] = self.describe_evidence()
        frame.attrs["note"] = DISCLAIMER
        return frame.set_index("key")

    def _repr_html_(self) -> str:
        from .present import result_html

        return result_html(self)

    def moved(self) -> list[OutcomePosterior]:
        """The rows (in :attr:`rows` order) the evidence or an intervention moved, as a table shows
        them (a change that rounds to 0.000 is no move)."""
        return [o for o in self.rows if shown(o.change)
                or (o.do_posterior is not None and shown(o.do_posterior - o.prior))]

    def render_table(self, verbose: bool = False, show_notes: bool = False, every_row: bool = False) -> str:
        """The answer as ``exoreason infer`` prints it (:func:`exoreason.present.result_table`)."""
        from .present import result_table

        return result_table(self, verbose, show_notes, every_row)
