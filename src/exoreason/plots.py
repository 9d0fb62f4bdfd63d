"""Pictures: the prior and posterior of each outcome, and the evidence paths behind one outcome.

matplotlib is imported lazily and used without pyplot (a bare ``Figure`` on the Agg canvas), so
drawing never touches a global backend or a display. The format follows the file's extension,
``.png``, ``.svg`` (SVG text stays text: ``svg.fonttype = 'none'``) or ``.pdf``; files are written
whole or not at all, and never overwrite a file without ``force``. Each function also returns a
:class:`Picture`, which Jupyter shows inline (PNG and SVG).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .inference import DISCLAIMER, InferenceResult

if TYPE_CHECKING:
    from .evaluation import Evaluation
    from .inference import Reasoner

__all__ = ["PICTURE_FORMATS", "Picture", "check_picture_path", "picture_format", "plot_calibration",
           "plot_explanation", "plot_posteriors"]

PICTURE_FORMATS = ("png", "svg", "pdf")

_INCREASE = "#c0392b"
_DECREASE = "#2471a3"
_PRIOR = "#b3b3b3"
_DO = "#7d3c98"
_KIND_COLOURS = {"cargo": "#fde0c5", "gene_effect": "#eeeeee", "process": "#d6e6f5", "outcome": "#f7d4d4"}
_KIND_NAMES = {"cargo": "exosomal cargo", "gene_effect": "target gene repressed",
               "process": "process", "outcome": "outcome"}


@dataclass(frozen=True, repr=False)
class Picture:
    """A rendered picture: its bytes, format (``png`` or ``svg``) and where it was written."""

    data: bytes
    format: str
    path: Path | None = None

    def __repr__(self) -> str:
        where = f", written to {self.path}" if self.path is not None else ""
        return f"<{self.format.upper()} picture, {len(self.data):,} bytes{where}>"

    def _repr_png_(self) -> bytes | None:
        return self.data if self.format == "png" else None

    def _repr_svg_(self) -> str | None:
        return self.data.decode("utf-8") if self.format == "svg" else None

    def save(self, path: Path | str, force: bool = False) -> Path:
        """Write the picture (whole or not at all); the extension must match its format."""
        from .files import write_output

        target = Path(path)
        fmt = picture_format(target)
        if fmt != self.format:
            raise InputError(f"cannot write a {self.format.upper()} picture to {target} (a .{fmt} name)")
        write_output(target, self.data, force)
        return target


def picture_format(path: Path | str) -> str:
    """``png`` or ``svg`` from a file name; any other extension is an error naming it."""
    suffix = Path(path).suffix
    fmt = suffix.lower().lstrip(".")
    if fmt not in PICTURE_FORMATS:
        shown = f"extension {suffix!r}" if suffix else "no extension"
        raise InputError(f"cannot draw {path}: {shown} is not a picture format; use .png, .svg or .pdf")
    return fmt


def check_picture_path(path: Path | str, force: bool = False) -> str:
    """Refuse, before any drawing, a path the picture could not be written to; its format."""
    from .files import check_writable

    target = Path(path)
    fmt = picture_format(target)
    check_writable(target, force)
    return fmt


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=150)
    FigureCanvasAgg(figure)
    return figure


def _deliver(figure: Any, path: Path | str | None, force: bool, fmt: str | None = None) -> Picture:
    import io

    import matplotlib

    from .files import write_output

    target = Path(path) if path is not None else None
    fmt = picture_format(target) if target is not None else (fmt or "png")
    buffer = io.BytesIO()
    # No dates or versions in the files: the same picture gives the same bytes.
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None, "Producer": None}}.get(fmt, {"Software": None})
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "exoreason"}):
        # Inline pictures (no file) at a lower resolution keep notebooks small.
        figure.savefig(buffer, format=fmt, metadata=metadata, bbox_inches="tight", pad_inches=0.2,
                       dpi=150 if target is not None else 100)
    data = buffer.getvalue()
    if target is not None:
        write_output(target, data, force)
    return Picture(data, fmt, target)


def _footnote(result: InferenceResult, extra: str = "") -> str:
    text = f"{extra} {DISCLAIMER} Parameters: {result.parameters}.".strip()
    return "\n".join(textwrap.wrap(text, 120))


def plot_posteriors(result: InferenceResult, path: Path | str | None = None, *, force: bool = False,
                    top: int | None = None, fmt: str | None = None) -> Picture:
    """Prior beside posterior of each process and outcome, as paired horizontal bars.

    Rows the evidence moved come first and are highlighted, their change written beside them;
    under an intervention (``do``) a third bar shows the posterior under it. The title names the
    evidence, a footnote says these are model estimates. ``path`` ending in .png or .svg writes
    the picture there; ``top`` keeps the rows with the largest changes.
    """
    if path is not None:
        picture_format(path)  # refuse a bad extension before drawing
    rows = sorted(result.outcomes, key=lambda o: (-abs(o.change), o.kind != "outcome", o.label))
    if top is not None:
        rows = rows[:top]
    with_do = bool(result.do)
    n = len(rows)
    figure = _figure(8.5, 0.42 * n * (1.4 if with_do else 1.0) + 2.0)
    ax = figure.add_subplot()
    height = 0.26 if with_do else 0.36
    offsets = (-height, 0.0, height) if with_do else (-height / 2, height / 2)
    for i, o in enumerate(rows):
        y = n - 1 - i
        moved = abs(o.change) >= 5e-4
        if moved:
            ax.axhspan(y - 0.48, y + 0.48, color="#fff3c4", zorder=0, lw=0)
        colour = _INCREASE if o.change > 0 else _DECREASE
        ax.barh(y - offsets[0], o.prior, height=height, color=_PRIOR, zorder=2,
                label="prior (no evidence)" if i == 0 else None)
        ax.barh(y - offsets[1], o.posterior, height=height, color=colour if moved else "#8c8c8c", zorder=2,
                label="posterior given the evidence" if i == 0 else None)
        right = max(o.prior, o.posterior)
        if with_do and o.do_posterior is not None:
            ax.barh(y - offsets[2], o.do_posterior, height=height, color=_DO, zorder=2,
                    label="posterior under the intervention" if i == 0 else None)
            right = max(right, o.do_posterior)
        text = f"{o.prior:.3f} → {o.posterior:.3f}"
        if moved:
            text += f"  ({o.change:+.3f})"
        if with_do and o.do_posterior is not None:
            text += f"; do: {o.do_posterior:.3f}"
        ax.text(right + 0.01, y, text, va="center", fontsize=7.5, zorder=3,
                color=colour if moved else "#555555", fontweight="bold" if moved else "normal")
    ax.set_yticks(range(n))
    ax.set_yticklabels([o.label for o in reversed(rows)], fontsize=8.5)
    for tick, o in zip(ax.get_yticklabels(), reversed(rows), strict=True):
        if o.kind == "outcome":
            tick.set_fontweight("bold")
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("P(true): probability the process or outcome is present (model estimate)", fontsize=8.5)
    ax.grid(axis="x", color="#e0e0e0", zorder=1)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="lower right", fontsize=7.5, frameon=False)
    evidence = result.describe_evidence()
    cancer = f"; cancer: {result.cancer}" if result.cancer else ""
    ax.set_title("\n".join(textwrap.wrap(f"Evidence: {evidence}{cancer}", 90)), fontsize=10.5, loc="left")
    figure.text(0.01, 0.0, _footnote(result, "Bold labels are outcomes; highlighted rows moved."),
                fontsize=6.5, color="#555555", va="top", ha="left")
    return _deliver(figure, path, force, fmt)


def _layers(graph: Any) -> dict[str, int]:
    """Longest-path layering: each node one column right of its furthest predecessor."""
    import networkx as nx

    layer: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        layer[node] = max((layer[p] + 1 for p in graph.predecessors(node)), default=0)
    return layer


def plot_explanation(reasoner: Reasoner, result_or_evidence: Any, outcome: str,
                     path: Path | str | None = None, *, force: bool = False,
                     fmt: str | None = None) -> Picture:
    """The evidence paths from each observed cargo to ``outcome`` as a layered graph.

    Nodes carry their labels (the outcome its prior and posterior); edges carry the findings
    behind them (``Table 3, ref 27``) and their strength. Promoting edges are solid arrows,
    inhibiting edges dashed red bars. ``result_or_evidence`` is an :class:`InferenceResult`, a
    mapping {cargo name: reading} or cargo names.
    """
    import networkx as nx

    from .explanation import explain, short_citation
    from .evidence import describe_reading

    if path is not None:
        picture_format(path)
    found = explain(reasoner, result_or_evidence, outcome)
    result, target = found.result, found.outcome
    graph = nx.DiGraph()
    for effect in found.effects:
        for steps in effect.paths:
            for step in steps:
                citations: list[str] = []
                for finding in step.findings:
                    cite = short_citation(finding)
                    if cite not in citations:
                        citations.append(cite)
                graph.add_edge(step.parent, step.child, sign=step.sign, strength=step.strength,
                               findings="; ".join(citations))
    graph.add_node(target.key)
    for key in found.unconnected:
        graph.add_node(key)
    layer = _layers(graph)
    deepest = max(layer.values())
    layer[target.key] = max(deepest, 1)
    for key in found.unconnected:
        layer[key] = 0
    # Order each column by the mean height of its predecessors (fewer crossings), then lay out.
    columns: dict[int, list[str]] = {}
    for node in sorted(graph, key=lambda k: (layer[k], k)):
        columns.setdefault(layer[node], []).append(node)
    order: dict[str, float] = {}
    for depth in sorted(columns):
        nodes = columns[depth]
        if depth:
            nodes.sort(key=lambda k: (sum(order[p] for p in graph.predecessors(k)) / graph.in_degree(k)
                                      if graph.in_degree(k) else 0.0, k))
        for i, node in enumerate(nodes):
            order[node] = i - (len(nodes) - 1) / 2
    ordered = nx.DiGraph()
    for depth in sorted(columns):
        for node in columns[depth]:
            ordered.add_node(node, layer=depth)
    ordered.add_edges_from(graph.edges(data=True))
    positions = nx.multipartite_layout(ordered, subset_key="layer", align="vertical", scale=1.0)
    tallest = max(len(c) for c in columns.values())
    figure = _figure(max(7.0, 4.0 * (len(columns))), max(2.8, 1.1 * tallest + 1.2))
    ax = figure.add_subplot()
    ax.set_axis_off()
    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    artists = {}
    for node, (x, y) in positions.items():
        label = "\n".join(textwrap.wrap(result.labels.get(node, node), 24, break_long_words=False))
        if node in result.evidence:
            label += f"\n({describe_reading(result.evidence[node])})"
        if node == target.key:
            label += f"\n{target.prior:.3f} → {target.posterior:.3f}"
        kind = kinds.get(node, "process")
        edge = "#333333" if node in result.evidence or node == target.key else "#999999"
        artists[node] = ax.text(
            x, y, label, ha="center", va="center", fontsize=8.5, zorder=3,
            fontweight="bold" if node == target.key else "normal",
            bbox={"boxstyle": "round,pad=0.45", "facecolor": _KIND_COLOURS.get(kind, "#ffffff"),
                  "edgecolor": edge, "linewidth": 1.6 if edge == "#333333" else 0.8})
    for parent, child, data in ordered.edges(data=True):
        inhibits = data["sign"] == "-"
        # Drawn after the boxes (higher zorder), so the arrows are clipped to the boxes as drawn.
        ax.annotate(
            "", xy=positions[child], xytext=positions[parent], zorder=3.5,
            arrowprops={"arrowstyle": "-[, widthB=0.5, lengthB=0.0" if inhibits else "-|>, head_width=0.3",
                        "color": _INCREASE if inhibits else "#333333",
                        "linestyle": "--" if inhibits else "-", "linewidth": 1.2,
                        "patchA": artists[parent].get_bbox_patch(), "patchB": artists[child].get_bbox_patch(),
                        "shrinkA": 2, "shrinkB": 2, "mutation_scale": 14})
        (x0, y0), (x1, y1) = positions[parent], positions[child]
        text = "\n".join(textwrap.wrap(data["findings"], 30)) + f"\nstrength {data['strength']:.2f}"
        ax.text((x0 + x1) / 2, (y0 + y1) / 2, ("inhibits: " if inhibits else "") + text, ha="center",
                va="center", fontsize=6.5, zorder=4, color=_INCREASE if inhibits else "#333333",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    pad_x = 0.35 * (max(xs) - min(xs) or 1.0)
    pad_y = 0.15 * (max(ys) - min(ys) or 1.0)
    ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)
    ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
    title = (f"Why {target.label}: {target.prior:.3f} → {target.posterior:.3f} "
             f"({target.change:+.3f}) given {result.describe_evidence()}")
    ax.set_title("\n".join(textwrap.wrap(title, 100)), fontsize=10, loc="left")
    legend = ("Solid arrows promote, dashed red bars inhibit; each edge names where the review states "
              "the finding and its link strength. Boxes: "
              + ", ".join(f"{name}" for name in _KIND_NAMES.values()) + " (left to right).")
    if found.unconnected:
        legend += " No path leads from " + ", ".join(result.labels.get(k, k) for k in found.unconnected) \
                  + f" to {target.label}."
    figure.text(0.01, 0.0, _footnote(result, legend), fontsize=6.5, color="#555555", va="top", ha="left")
    return _deliver(figure, path, force, fmt)


_SETS = {"literature": ("#7f7f7f", "o", "literature parameters"),
         "fitted": ("#c0392b", "s", "fitted parameters"),
         "refitted": ("#2471a3", "D", "refitted parameters")}


def plot_calibration(evaluation: Evaluation, path: Path | str | None = None, *, force: bool = False,
                     fmt: str | None = None) -> Picture:
    """Calibration curves: for each scored outcome, the mean predicted P of each bin against the
    share of its rows recorded true (marker area: the bin's rows), one curve per parameter set,
    beside the diagonal a calibrated model would follow."""
    if path is not None:
        picture_format(path)
    outcomes = list(dict.fromkeys(s.outcome for s in evaluation.scores))
    columns = min(3, len(outcomes))
    rows = -(-len(outcomes) // columns)
    figure = _figure(3.6 * columns, 3.5 * rows + 0.9)
    for i, outcome in enumerate(outcomes):
        ax = figure.add_subplot(rows, columns, i + 1)
        ax.plot([0, 1], [0, 1], color="#bbbbbb", lw=1, ls="--", zorder=1, label="calibrated")
        for score in (s for s in evaluation.scores if s.outcome == outcome):
            colour, marker, name = _SETS.get(score.parameters, ("#2471a3", "o", score.parameters))
            shown = [b for b in score.calibration if b.rows]
            x = [b.mean_predicted for b in shown]
            y = [b.observed for b in shown]
            auc = "n/a" if score.auc is None else f"{score.auc:.2f}"
            ax.plot(x, y, color=colour, lw=1.2, zorder=2,
                    label=f"{name} (AUC {auc}, Brier {score.brier:.3f})")
            ax.scatter(x, y, s=[12 + 120 * b.rows / max(score.rows, 1) for b in shown], color=colour,
                       marker=marker, zorder=3)
        label = evaluation.scores[[s.outcome for s in evaluation.scores].index(outcome)].label
        title = label if label.casefold() == outcome.casefold() else f"{label} ({outcome})"
        ax.set_title("\n".join(textwrap.wrap(title, 40)), fontsize=9, loc="left")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        ax.set_xlabel("predicted P(true)", fontsize=8)
        ax.set_ylabel("share recorded true", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(color="#eeeeee", zorder=0)
        ax.legend(loc="upper left", fontsize=6, frameon=False)
    how = f", {evaluation.folds}-fold cross-validation (seed {evaluation.seed})" if evaluation.folds else ""
    figure.suptitle(f"Calibration on {Path(evaluation.source).name} ({evaluation.rows} rows){how}",
                    fontsize=10, x=0.01, ha="left")
    text = f"{DISCLAIMER} Parameters: {evaluation.parameters}."
    figure.text(0.01, 0.0, "\n".join(textwrap.wrap(text, 40 * columns)), fontsize=6.5, color="#555555",
                va="top", ha="left")
    figure.tight_layout()
    return _deliver(figure, path, force, fmt)
