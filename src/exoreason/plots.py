"""Pictures: the prior and posterior of each outcome, and the evidence paths behind one outcome.

matplotlib is imported lazily and used without pyplot (a bare ``Figure`` on the Agg canvas), so
drawing never touches a global backend or a display. The format follows the file's extension,
``.png``, ``.svg`` or ``.pdf`` (text stays text: ``svg.fonttype = 'none'``, TrueType fonts in PDF);
files are written whole or not at all, and never overwrite a file without ``force``. Each
function also returns a :class:`Picture`, which Jupyter shows inline.

The explanation picture is a layered drawing (the Sugiyama scheme): each node in the column of
its longest path from an observation, each edge's label (where the review states it, its
strength) in a column of its own right after the edge's parent, and an edge that spans several
columns carried through each of them by a placeholder. Every column stacks its boxes,
labels and placeholders without overlap (sizes measured from the rendered text), edges run
horizontally inside a column (at the height of their own box, label or placeholder) and turn only
in the gaps between columns, where there are no boxes: so no label overlaps another and no edge
crosses a box it does not join, by construction. Within a column the order follows the mean
position of each item's neighbours (a few sweeps each way, fewer crossings), and the heights are
the closest to those neighbours that the stacking allows (an isotonic regression).
"""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .display import DISCLAIMER, shown, signed
from .errors import InputError
from .present import NOTE_MARK, short_citation
from .results import InferenceResult

if TYPE_CHECKING:
    from .evaluation import Evaluation
    from .inference import Reasoner

__all__ = [
    "PICTURE_FORMATS",
    "Picture",
    "check_picture_path",
    "explanation_figure",
    "picture_format",
    "plot_calibration",
    "plot_explanation",
    "plot_learning_curve",
    "plot_posteriors",
    "posteriors_figure",
]

PICTURE_FORMATS = ("png", "svg", "pdf")

_INCREASE = "#c0392b"
_DECREASE = "#2471a3"
_UNCHANGED = "#8c8c8c"
_PRIOR = "#b3b3b3"
_DO = "#7d3c98"
_MOVED = "#fff3c4"
_KIND_COLOURS = {"cargo": "#fde0c5", "gene_effect": "#eeeeee", "state": "#e2efd9", "process": "#d6e6f5",
                 "outcome": "#f7d4d4"}
#: What a box of each kind of node is, as the legend says it.
_KIND_NAMES = {"cargo": "exosomal cargo",
               "gene_effect": "target gene changed in the recipient cell (as its box says)",
               "state": "tumour state (a cell type, a molecule in tumour cells)",
               "process": "process", "outcome": "outcome"}
# Metadata that would make the same picture differ between runs.
_METADATA: dict[str, dict[str, Any]] = {"png": {"Software": None}, "svg": {"Date": None},
                                        "pdf": {"CreationDate": None, "Producer": None}}


@dataclass(frozen=True, repr=False)
class Picture:
    """A rendered picture: its bytes, format (``png``, ``svg`` or ``pdf``) and where it was written."""

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
    """``png``, ``svg`` or ``pdf`` from a file name (any case); any other extension is an error
    naming it."""
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
    fmt = picture_format(target) if target is not None else (fmt or "png").lower()
    if fmt not in PICTURE_FORMATS:
        raise InputError(f"unknown picture format {fmt!r}; use png, svg or pdf")
    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "exoreason", "pdf.fonttype": 42}):
        # Inline pictures (no file) at a lower resolution keep notebooks small.
        figure.savefig(buffer, format=fmt, metadata=_METADATA[fmt], bbox_inches="tight", pad_inches=0.2,
                       dpi=150 if target is not None else 100)
    data = buffer.getvalue()
    if target is not None:
        write_output(target, data, force)
    return Picture(data, fmt, target)


def _footnote(result: InferenceResult, extra: str = "") -> str:
    text = f"{extra} {DISCLAIMER} Parameters: {result.parameters}.".strip()
    return "\n".join(textwrap.wrap(text, 120, break_on_hyphens=False))


# -- prior and posterior ---------------------------------------------------------------------------

def posteriors_figure(result: InferenceResult, *, top: int | None = None) -> Any:
    """The figure :func:`plot_posteriors` draws (a matplotlib ``Figure``)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    rows = result.rows
    if top is not None:
        rows = rows[:top]
    with_do = bool(result.do)
    n = len(rows)
    figure = _figure(8.5, 0.42 * n * (1.4 if with_do else 1.0) + 2.0)
    ax = figure.add_subplot()
    height = 0.26 if with_do else 0.36
    offsets: tuple[float, ...] = (-height, 0.0, height) if with_do else (-height / 2, height / 2)
    used: dict[str, Any] = {}
    for i, o in enumerate(rows):
        y = n - 1 - i
        change = shown(o.change)
        moved = change != 0.0
        if moved:
            ax.axhspan(y - 0.48, y + 0.48, color=_MOVED, zorder=0, lw=0)
            used["moved"] = Patch(color=_MOVED, label="rows the evidence moved")
        colour = _INCREASE if change > 0 else _DECREASE if change < 0 else _UNCHANGED
        ax.barh(y - offsets[0], o.prior, height=height, color=_PRIOR, zorder=2)
        used.setdefault("prior", Patch(color=_PRIOR, label="prior (nothing observed)"))
        ax.barh(y - offsets[1], o.posterior, height=height, color=colour, zorder=2)
        name = {_INCREASE: "posterior, raised by the evidence", _DECREASE: "posterior, lowered by the evidence",
                _UNCHANGED: "posterior, unchanged"}[colour]
        used.setdefault(colour, Patch(color=colour, label=name))
        right = max(o.prior, o.posterior)
        if o.interval is not None:
            low, high = o.interval
            ax.errorbar([o.posterior], [y - offsets[1]], xerr=[[o.posterior - low], [high - o.posterior]],
                        fmt="none", ecolor="#222222", elinewidth=0.9, capsize=2.5, zorder=3)
            level = f"{result.intervals['level']:.0%}" if result.intervals else ""
            used.setdefault("interval", Line2D([], [], color="#222222", lw=0.9, marker="|", markersize=6,
                                               label=f"{level} interval of the posterior".strip()))
            right = max(right, high)
        if with_do and o.do_posterior is not None:
            ax.barh(y - offsets[2], o.do_posterior, height=height, color=_DO, zorder=2)
            used.setdefault("do", Patch(color=_DO, label="posterior under the intervention"))
            right = max(right, o.do_posterior)
        text = f"{o.prior:.3f} → {o.posterior:.3f}"
        if moved:
            text += f"  ({signed(o.change)})"
        if with_do and o.do_posterior is not None:
            text += f"; do: {o.do_posterior:.3f}"
        ax.text(right + 0.01, y, text, va="center", fontsize=7.5, zorder=3,
                color=colour if moved else "#555555", fontweight="bold" if moved else "normal")
    ax.set_yticks(range(n))
    ax.set_yticklabels([o.label for o in reversed(rows)], fontsize=8.5)
    for tick, o in zip(ax.get_yticklabels(), reversed(rows), strict=True):
        if o.kind == "outcome":
            tick.set_fontweight("bold")
    ax.set_xlim(0, 1.3)
    _fit_texts(figure, ax)  # the values beside the bars end inside the axes, clear of the legend
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlabel("P(true): probability the process or outcome is present (model estimate)", fontsize=8.5)
    ax.grid(axis="x", color="#e0e0e0", zorder=1)
    ax.spines[["top", "right"]].set_visible(False)
    order = ["prior", _INCREASE, _DECREASE, _UNCHANGED, "interval", "do", "moved"]
    handles = [used[k] for k in order if k in used]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7.5, frameon=False)
    evidence = result.describe_evidence()
    cancer = f"; cancer: {result.cancer}" if result.cancer else ""
    ax.set_title("\n".join(textwrap.wrap(f"Evidence: {evidence}{cancer}", 90, break_on_hyphens=False)),
                 fontsize=10.5, loc="left")
    ax.annotate(_footnote(result, "Outcomes (bold) first, then processes, each by the size of its odds ratio."),
                xy=(0, 0), xycoords="axes fraction", xytext=(0, -34), textcoords="offset points",
                fontsize=6.5, color="#555555", va="top", ha="left")
    return figure


def _fit_texts(figure: Any, ax: Any) -> None:
    """Widen the x-range of ``ax`` until every text drawn in it ends inside it (the legend sits
    right of the axes, so a value running past them would lie under it)."""
    renderer = figure.canvas.get_renderer()
    for _ in range(3):  # the texts' data width shrinks as the range grows; settles in a step or two
        right = max(ax.transData.inverted().transform((t.get_window_extent(renderer).x1, 0))[0] for t in ax.texts)
        low, high = ax.get_xlim()
        if right <= high:
            return
        ax.set_xlim(low, right + 0.02 * (high - low))


def plot_posteriors(result: InferenceResult, path: Path | str | None = None, *, force: bool = False,
                    top: int | None = None, fmt: str | None = None) -> Picture:
    """Prior beside posterior of each process and outcome, as paired horizontal bars.

    Outcomes come first, then processes, each by the size of its odds ratio; rows the evidence moved
    are highlighted, their change written beside them. The posterior's colour says whether the
    evidence raised it, lowered it or left it; with intervals a whisker shows the posterior's
    interval; under an intervention (``do``) a third bar shows the posterior under it. The legend
    names every colour drawn; a footnote says these are model estimates. ``path`` ending in .png,
    .svg or .pdf writes the picture there; ``top`` keeps the first rows.
    """
    if path is not None:
        picture_format(path)  # refuse a bad extension before drawing
    return _deliver(posteriors_figure(result, top=top), path, force, fmt)


# -- the layered explanation -----------------------------------------------------------------------

_GAP_X = 0.42  # inches between columns, where edges turn
_LEAD = 0.1  # inches of horizontal run at each end of a turn
_GAP_Y = 0.14  # inches between items stacked in a column
_THROUGH = 0.1  # inches a placeholder takes in its column
_NODE_FONT = 8.5
_LABEL_FONT = 6.5
_PAD = 0.45  # box padding, in units of the font size


@dataclass
class _Item:
    """A box (a node), an edge label or a placeholder carrying an edge through a column."""

    key: str
    kind: str  # "node", "label" or "through"
    column: int
    text: str = ""
    width: float = 0.0
    height: float = _THROUGH
    y: float = 0.0
    order: float = 0.0


@dataclass
class _Route:
    parent: str
    child: str
    sign: str
    items: list[_Item] = field(default_factory=list)  # parent, its label, placeholders, child


def _isotonic(values: Sequence[float]) -> list[float]:
    """The non-decreasing sequence closest to ``values`` in least squares (pool adjacent violators).

    >>> _isotonic([1.0, 3.0, 2.0, 4.0])
    [1.0, 2.5, 2.5, 4.0]
    """
    blocks: list[list[float]] = []  # [mean, count]
    for v in values:
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean, count = blocks.pop()
            blocks[-1] = [(blocks[-1][0] * blocks[-1][1] + mean * count) / (blocks[-1][1] + count),
                          blocks[-1][1] + count]
    return [mean for mean, count in blocks for _ in range(int(count))]


def _stack(items: Sequence[_Item], wanted: Sequence[float]) -> None:
    """Heights as close to ``wanted`` as the order and the stacking (no overlap) allow."""
    offsets = [0.0]
    for above, below in itertools.pairwise(items):
        offsets.append(offsets[-1] + (above.height + below.height) / 2 + _GAP_Y)
    # y_i = z_i + offset_i with z non-decreasing keeps every gap; z is the isotonic fit.
    z = _isotonic([w - o for w, o in zip(wanted, offsets, strict=True)])
    for item, base, offset in zip(items, z, offsets, strict=True):
        item.y = base + offset


def _edge_label(findings: Sequence[Mapping[str, Any]], sign: str, strength: float, noted: bool) -> str:
    citations: list[str] = []
    for finding in findings:
        cite = short_citation(finding)
        if cite not in citations:
            citations.append(cite)
    text = "\n".join(textwrap.wrap(("inhibits: " if sign == "-" else "") + "; ".join(citations), 30))
    return text + f"\nstrength {strength:.2f}" + (f" {NOTE_MARK}" if noted else "")


def explanation_figure(reasoner: Reasoner, result_or_evidence: Any, outcome: str) -> Any:
    """The figure :func:`plot_explanation` draws (a matplotlib ``Figure``). Its node boxes carry
    the gid ``node:KEY``, its edge labels ``label:PARENT->CHILD`` and its edges
    ``edge:PARENT->CHILD``, which the SVG keeps as element ids."""
    import networkx as nx
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from .evidence import describe_reading
    from .explanation import explain

    found = explain(reasoner, result_or_evidence, outcome)
    result, target = found.result, found.outcome
    labels = result.labels
    graph = nx.DiGraph()
    steps = {}
    for effect in found.effects:
        for path in effect.paths:
            for step in path:
                graph.add_edge(step.parent, step.child)
                steps[(step.parent, step.child)] = step
    graph.add_node(target.key)
    loose = [k for k in result.evidence if k not in graph]  # observations with no path drawn
    # Longest-path layers; the outcome last; observations with no path in the first column.
    layer: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        layer[node] = max((layer[p] + 1 for p in graph.predecessors(node)), default=0)
    layer[target.key] = max(max(layer.values()), 1)
    for key in loose:
        layer[key] = 0

    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    items: dict[str, _Item] = {}
    for node in [*graph.nodes, *loose]:
        text = "\n".join(textwrap.wrap(labels.get(node, node), 24, break_long_words=False))
        if node in result.evidence:
            text += f"\n({describe_reading(result.evidence[node])})"
        if node == target.key:
            text += f"\n{target.prior:.3f} → {target.posterior:.3f} ({signed(target.change)})"
        items[node] = _Item(node, "node", 2 * layer[node], text)
    routes: list[_Route] = []
    for (parent, child), step in sorted(steps.items(), key=lambda kv: (layer[kv[0][0]], kv[0])):
        route = _Route(parent, child, step.sign, [items[parent]])
        edge = f"{parent}->{child}"
        route.items.append(_Item(f"label:{edge}", "label", 2 * layer[parent] + 1,
                                 _edge_label(step.findings, step.sign, step.strength, bool(step.notes))))
        for position in range(2 * layer[parent] + 2, 2 * layer[child]):
            route.items.append(_Item(f"through:{edge}:{position}", "through", position))
        route.items.append(items[child])
        routes.append(route)

    # Measure every text as it will be drawn (inches), with its box's padding.
    scratch = _figure(4, 4)
    renderer = scratch.canvas.get_renderer()
    for item in [*items.values(), *(i for r in routes for i in r.items if i.kind == "label")]:
        size = _NODE_FONT if item.kind == "node" else _LABEL_FONT
        bold = "bold" if item.key == target.key else "normal"
        box = scratch.text(0, 0, item.text, fontsize=size, fontweight=bold, ha="center", va="center",
                           linespacing=1.25).get_window_extent(renderer)
        pad = 2 * _PAD * size / 72
        item.width = box.width / scratch.dpi + pad
        item.height = box.height / scratch.dpi + pad

    columns: dict[int, list[_Item]] = {}
    for item in [*items.values(), *(i for r in routes for i in r.items[1:-1])]:
        columns.setdefault(item.column, []).append(item)
    neighbours: dict[int, list[_Item]] = {id(i): [] for c in columns.values() for i in c}
    for route in routes:
        for a, b in itertools.pairwise(route.items):
            neighbours[id(a)].append(b)
            neighbours[id(b)].append(a)
    # Order each column by the mean order of its neighbours, sweeping right then left.
    for stacked in columns.values():
        for rank, item in enumerate(stacked):
            item.order = float(rank)
    for sweep in range(8):
        keys = sorted(columns) if sweep % 2 == 0 else sorted(columns, reverse=True)
        for c in keys:
            side = c - 1 if sweep % 2 == 0 else c + 1
            for item in columns[c]:
                near = [n.order for n in neighbours[id(item)] if n.column == side]
                if near:
                    item.order = sum(near) / len(near)
            columns[c].sort(key=lambda it: (it.order, it.key))
            for rank, item in enumerate(columns[c]):
                item.order = float(rank)
    # Heights: first stacked, then each column pulled towards its neighbours' heights.
    for stacked in columns.values():
        _stack(stacked, [0.0] * len(stacked))
    for sweep in range(6):
        keys = sorted(columns) if sweep % 2 == 0 else sorted(columns, reverse=True)
        for c in keys:
            wanted = []
            for item in columns[c]:
                near = [n.y for n in neighbours[id(item)]]
                wanted.append(sum(near) / len(near) if near else item.y)
            _stack(columns[c], wanted)
    top = min(i.y - i.height / 2 for c in columns.values() for i in c)
    bottom = max(i.y + i.height / 2 for c in columns.values() for i in c)
    # Columns left to right: x of each column's centre, and its half-width.
    half: dict[int, float] = {}
    centre: dict[int, float] = {}
    x = 0.0
    for c in sorted(columns):
        width = max([i.width for i in columns[c]] + [0.2])
        half[c] = width / 2
        centre[c] = x + width / 2
        x += width + _GAP_X
    width_in = x - _GAP_X
    height_in = bottom - top

    # The legend names the kinds of box the picture has, beside the edges and the marks.
    shown_kinds = [k for k in _KIND_NAMES if any(kinds.get(item.key, "process") == k for item in items.values())]
    legend_columns = 3 if width_in > 8.5 else 2
    legend_rows = -(-(len(shown_kinds) + 4) // legend_columns)
    legend_height = 0.17 * legend_rows
    margin = {"left": 0.15, "right": 0.15, "top": 0.2, "bottom": 0.2 + legend_height + 0.5}
    fig_w = width_in + margin["left"] + margin["right"]
    fig_h = height_in + margin["top"] + margin["bottom"]
    figure = _figure(fig_w, fig_h)
    ax = figure.add_axes((margin["left"] / fig_w, margin["bottom"] / fig_h, width_in / fig_w, height_in / fig_h))
    ax.set_axis_off()
    ax.set_xlim(0, width_in)
    ax.set_ylim(bottom, top)  # one data unit is one inch; y grows downwards

    for item in items.values():
        kind = kinds.get(item.key, "process")
        observed = item.key in result.evidence or item.key == target.key
        ax.text(centre[item.column], item.y, item.text, ha="center", va="center", fontsize=_NODE_FONT,
                linespacing=1.25, zorder=4, gid=f"node:{item.key}",
                fontweight="bold" if item.key == target.key else "normal",
                bbox={"boxstyle": f"round,pad={_PAD}", "facecolor": _KIND_COLOURS.get(kind, "#ffffff"),
                      "edgecolor": "#333333" if observed else "#999999", "linewidth": 1.6 if observed else 0.8})
    # Where edges leave and enter a box: spread over its side, in the order of the other end.
    ports: dict[tuple[int, str], float] = {}
    for item in items.values():
        for way, pick in (("out", 1), ("in", -2)):
            ends = [(r.items[pick].y, n) for n, r in enumerate(routes)
                    if r.items[0 if way == "out" else -1] is item]
            ends.sort()
            span = 0.6 * item.height
            for rank, (_, n) in enumerate(ends):
                ports[(n, way)] = item.y + (0.0 if len(ends) == 1 else -span / 2 + span * rank / (len(ends) - 1))
    for i, route in enumerate(routes):
        inhibits = route.sign == "-"
        colour = _INCREASE if inhibits else "#333333"
        first, last = route.items[0], route.items[-1]
        points = [(centre[first.column] + first.width / 2, ports[(i, "out")])]
        heights = [ports[(i, "out")], *(it.y for it in route.items[1:-1]), ports[(i, "in")]]
        for k, (a, b) in enumerate(itertools.pairwise(route.items)):
            ya, yb = heights[k], heights[k + 1]
            right, left = centre[a.column] + half[a.column], centre[b.column] - half[b.column]
            points += [(right, ya), (right + _LEAD, ya), (left - _LEAD, yb), (left, yb)]
        end = (centre[last.column] - last.width / 2, ports[(i, "in")])
        points.append(end)
        xs, ys = zip(*points, strict=True)
        ax.add_line(Line2D(xs, ys, color=colour, linewidth=1.1, linestyle="--" if inhibits else "-",
                           zorder=2, gid=f"edge:{route.parent}->{route.child}", solid_joinstyle="round"))
        if inhibits:
            ax.add_line(Line2D([end[0] - 0.02, end[0] - 0.02], [end[1] - 0.09, end[1] + 0.09], color=colour,
                               linewidth=2.0, zorder=2))
        else:
            ax.annotate("", xy=end, xytext=(end[0] - 0.12, end[1]), zorder=2,
                        arrowprops={"arrowstyle": "-|>, head_width=0.25, head_length=0.5", "color": colour,
                                    "linewidth": 1.1, "shrinkA": 0, "shrinkB": 0, "mutation_scale": 10})
        label = route.items[1]
        ax.text(centre[label.column], label.y, label.text, ha="center", va="center", fontsize=_LABEL_FONT,
                linespacing=1.25, zorder=3, color=colour, gid=f"label:{route.parent}->{route.child}",
                bbox={"boxstyle": f"round,pad={_PAD}", "facecolor": "white", "edgecolor": colour,
                      "linewidth": 0.5, "alpha": 0.95})

    title = (f"Why {target.label}: {target.prior:.3f} → {target.posterior:.3f} ({signed(target.change)}) "
             f"given {result.describe_evidence()}")
    figure.text(margin["left"] / fig_w, 1.0, "\n".join(textwrap.wrap(title, int(14 * fig_w), break_on_hyphens=False)), fontsize=10,
                ha="left", va="bottom")
    handles = [Line2D([], [], color="#333333", lw=1.1, marker=">", markevery=[-1], label="promotes"),
               Line2D([], [], color=_INCREASE, lw=1.1, ls="--", marker="|", markevery=[-1], label="inhibits"),
               *(Patch(facecolor=_KIND_COLOURS[k], edgecolor="#999999", label=_KIND_NAMES[k]) for k in shown_kinds),
               Patch(facecolor="white", edgecolor="#333333", linewidth=1.6,
                     label="observed, and the outcome explained (bold)"),
               Patch(facecolor="white", edgecolor="#333333", linewidth=0.5,
                     label=f"edge label: where the review states it; link strength; {NOTE_MARK}: a curator note")]
    legend_top = (margin["bottom"] - 0.15) / fig_h
    figure.legend(handles=handles, loc="upper left", bbox_to_anchor=(margin["left"] / fig_w, legend_top),
                  ncol=legend_columns, fontsize=7, frameon=False, borderaxespad=0.0)
    notes = []
    if found.unconnected:
        notes.append("No path leads from " + ", ".join(labels.get(k, k) for k in found.unconnected)
                     + f" to {target.label}.")
    notes.append("Columns left to right follow the paths; a path's sign is the product of its edges' signs.")
    figure.text(margin["left"] / fig_w, (margin["bottom"] - 0.3 - legend_height) / fig_h,
                _footnote(result, " ".join(notes)), fontsize=6.5, color="#555555", va="top", ha="left")
    return figure


def plot_explanation(reasoner: Reasoner, result_or_evidence: Any, outcome: str,
                     path: Path | str | None = None, *, force: bool = False,
                     fmt: str | None = None) -> Picture:
    """The evidence paths from each observation to ``outcome`` as a layered graph.

    Nodes carry their labels (observations their reading, the outcome its prior, posterior and
    change); each edge carries where the review states its findings (``Table 3, ref 27``) and its
    strength. Promoting edges are solid arrows, inhibiting edges dashed red bars; the legend names
    every mark and colour. ``result_or_evidence`` is an :class:`InferenceResult`, a mapping
    {cargo name: reading} or cargo names. ``path`` ending in .png, .svg or .pdf writes it there.
    """
    if path is not None:
        picture_format(path)
    return _deliver(explanation_figure(reasoner, result_or_evidence, outcome), path, force, fmt)


_SETS = {"literature": ("#7f7f7f", "o", "literature parameters"),
         "fitted": ("#c0392b", "s", "fitted parameters"),
         "refitted": ("#2471a3", "D", "refitted parameters"),
         "baseline": ("#1e8449", "^", "logistic regression (baseline)")}


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


def plot_learning_curve(evaluation: Evaluation, path: Path | str | None = None, *, force: bool = False,
                        fmt: str | None = None) -> Picture:
    """Learning curves: for each scored outcome, the held-out AUC and Brier score of each
    parameter set against the training rows per fold (the literature alone is flat: it is not
    trained)."""
    if path is not None:
        picture_format(path)
    if not evaluation.curve:
        from .errors import InputError

        raise InputError("no learning curve to draw: evaluate with --folds and --learning-curve")
    outcomes = list(dict.fromkeys(c.outcome for c in evaluation.curve))
    figure = _figure(7.4, 3.3 * len(outcomes) + 0.9)
    for i, outcome in enumerate(outcomes):
        for j, metric in enumerate(("auc", "brier")):
            ax = figure.add_subplot(len(outcomes), 2, 2 * i + j + 1)
            for name in dict.fromkeys(c.parameters for c in evaluation.curve if c.outcome == outcome):
                points = [c for c in evaluation.curve if c.outcome == outcome and c.parameters == name]
                colour, marker, label = _SETS.get(name, ("#2471a3", "o", name))
                x = [c.size for c in points]
                y = [getattr(c, metric) for c in points]
                ax.plot(x, [float("nan") if v is None else v for v in y], color=colour, marker=marker,
                        lw=1.3, ms=4, label=label)
            if metric == "auc":
                ax.axhline(0.5, color="#bbbbbb", lw=1, ls="--", zorder=0)
            else:  # always answering the label's share in the cohort scores its variance
                scored = evaluation.score(outcome)
                share = scored.positives / max(scored.rows, 1)
                ax.axhline(share * (1 - share), color="#bbbbbb", lw=1, ls="--", zorder=0,
                           label=f"always {share:.2f} (the cohort's share)")
                ax.legend(loc="best", fontsize=6, frameon=False)
            sizes = sorted({c.size for c in evaluation.curve})
            ax.set_xscale("log")
            ax.minorticks_off()
            ax.set_xticks(sizes, [str(v) for v in sizes])
            ax.set_xlabel("training rows per fold", fontsize=8)
            ax.set_ylabel("held-out AUC" if metric == "auc" else "held-out Brier score", fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(color="#eeeeee", zorder=0)
            ax.set_title(outcome, fontsize=9, loc="left")
            if j == 0:
                ax.legend(loc="best", fontsize=6, frameon=False)
    source = Path(evaluation.source)
    figure.suptitle(f"Learning curve on {source.parent.name + '/' if source.parent.name else ''}{source.name} "
                    f"({evaluation.rows} rows, "
                    f"{evaluation.folds}-fold cross-validation, seed {evaluation.seed})",
                    fontsize=10, x=0.01, ha="left")
    text = f"{DISCLAIMER} Parameters: {evaluation.parameters}."
    figure.text(0.01, 0.0, "\n".join(textwrap.wrap(text, 110)), fontsize=6.5, color="#555555",
                va="top", ha="left")
    figure.tight_layout()
    return _deliver(figure, path, force, fmt)
