"""Pictures, explanations and graph exports, through the command line and from Python.

Pictures must be real images (PNG signature and a plausible size; SVG that parses as XML) that
show what was asked for (the labels are SVG text), and bad input must be one line on stderr, a
non-zero exit, no traceback and no file left behind.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from .conftest import ROOT, assert_one_line_error, run_cli

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path, min_kb: int = 10) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), path
    assert len(data) > min_kb * 1024, (path, len(data))


def svg_text(path: Path) -> str:
    """All the text of an SVG file (it must parse as XML)."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return " ".join(t for t in root.itertext())


def no_leftovers(directory: Path) -> list[Path]:
    return sorted(directory.iterdir())


# -- the command line -------------------------------------------------------------------------


def test_infer_plot_png(tmp_path):
    out = tmp_path / "posteriors.png"
    done = run_cli("infer", "--cargo", "miR-155", "--plot", str(out))
    assert done.returncode == 0, done.stderr
    assert "chemoresistance" in done.stdout  # the table is still printed
    assert f"wrote {out}" in done.stderr
    assert_png(out)


def test_infer_plot_svg_names_outcomes_and_evidence(tmp_path):
    out = tmp_path / "posteriors.svg"
    done = run_cli("infer", "--cargo", "miR-155", "--format", "json", "--plot", str(out))
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)
    text = svg_text(out)
    for needle in ("chemoresistance", "metastasis", "hsa-miR-155-5p present", "model"):
        assert needle in text, needle


def test_infer_plot_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "p.png"
    out.write_bytes(b"mine")
    done = run_cli("infer", "--cargo", "miR-155", "--plot", str(out))
    assert_one_line_error(done, 2, str(out), "--force")
    assert out.read_bytes() == b"mine"
    done = run_cli("infer", "--cargo", "miR-155", "--plot", str(out), "--force")
    assert done.returncode == 0, done.stderr
    assert_png(out)


def test_explain_prints_paths_with_findings():
    done = run_cli("explain", "--cargo", "miR-155", "--outcome", "chemoresistance")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "path 1, promotes: hsa-miR-155-5p -> TP53INP1 changed in recipient cell (direction not stated) -> chemoresistance" in out
    # one in vitro study (ref 27, which the review calls in vitro): strength 0.60
    assert ("hsa-miR-155-5p -> TP53INP1 changed in recipient cell (direction not stated): strength 0.30; Table 3, ref 27, "
            "PMID 28198398 (in vitro) [note 1]") in out
    assert "not clinical predictions" in out
    verbose = run_cli("explain", "--cargo", "miR-155", "--outcome", "chemoresistance", "--verbose").stdout
    assert ("Table 3; review ref 27; MicroRNA-155 controls exosome synthesis and promotes gemcitabine resistance "
            "in pancreatic ductal adenocarcinoma (2017, PMID 28198398, DOI 10.1038/srep42339); evidence: "
            "ECO:0007122 (in vitro)") in verbose


def test_explain_json_and_absent_cargo():
    done = run_cli("explain", "--cargo", "miR-21", "--absent", "miR-210", "--outcome", "metastasis",
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["outcome"]["key"] == "metastasis"
    assert data["evidence"] == {"hsa_miR_21_5p": True, "hsa_miR_210_3p": False}
    nodes = {e["node"] for e in data["outcome"]["explanation"]}
    assert nodes == {"hsa_miR_21_5p", "hsa_miR_210_3p"}
    assert data["outcome"]["posterior"] > data["outcome"]["prior"]


def test_explain_plot_svg_shows_the_path(tmp_path):
    out = tmp_path / "why.svg"
    done = run_cli("explain", "--cargo", "miR-155", "--outcome", "chemoresistance", "--plot", str(out))
    assert done.returncode == 0, done.stderr
    text = svg_text(out)
    for needle in ("TP53INP1", "chemoresistance", "hsa-miR-155-5p", "Table 3, ref 27"):
        assert needle in text, needle


def test_explain_plot_png(tmp_path):
    out = tmp_path / "why.png"
    done = run_cli("explain", "--cargo", "miR-21", "--cargo", "miR-155", "--outcome", "metastasis",
                   "--plot", str(out))
    assert done.returncode == 0, done.stderr
    assert_png(out)


def test_explain_help_example_runs_from_an_empty_directory(tmp_path):
    import re

    done = run_cli("explain", "--help")
    example = re.findall(r"Example: (exoreason .+)", done.stdout)[0]
    assert example.strip() == "exoreason explain --cargo miR-155 --outcome chemoresistance"
    run = run_cli(*shlex.split(example)[1:], cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "TP53INP1" in run.stdout
    assert no_leftovers(tmp_path) == []


def test_unknown_outcome_names_it_and_the_closest(tmp_path):
    done = run_cli("explain", "--cargo", "miR-155", "--outcome", "chemoresistence")
    assert_one_line_error(done, 2, "chemoresistence", "closest", "chemoresistance")


@pytest.mark.parametrize("command", [["infer", "--cargo", "miR-155"],
                                     ["explain", "--cargo", "miR-155", "--outcome", "chemoresistance"]])
def test_unsupported_extension_is_one_line(tmp_path, command):
    out = tmp_path / "picture.pdfx"
    done = run_cli(*command, "--plot", str(out))
    assert_one_line_error(done, 2, ".pdfx", ".png", ".svg")
    assert no_leftovers(tmp_path) == []


@pytest.mark.parametrize("command", [["infer", "--cargo", "miR-155"],
                                     ["explain", "--cargo", "miR-155", "--outcome", "chemoresistance"]])
def test_unwritable_path_is_one_line(tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    for out in (tmp_path / "missing" / "p.png", blocker / "p.svg"):
        done = run_cli(*command, "--plot", str(out))
        assert_one_line_error(done, 2, str(out))
        assert not out.exists()
    assert no_leftovers(tmp_path) == [blocker]


# -- exports for Graphviz, Cytoscape and Gephi ------------------------------------------------


def test_export_graphml_reads_back_with_networkx(tmp_path, reasoner):
    import networkx as nx

    out = tmp_path / "network.graphml"
    done = run_cli("export", "--format", "graphml", "--output", str(out))
    assert done.returncode == 0, done.stderr
    graph = nx.read_graphml(out)
    assert graph.number_of_nodes() == len(reasoner.spec.nodes)
    assert graph.number_of_edges() == len(reasoner.spec.edges)
    node = graph.nodes["hsa_miR_155_5p"]
    assert node["label"] == "hsa-miR-155-5p" and node["kind"] == "cargo"
    assert node["key"] == "hsa_miR_155_5p" and node["iri"].startswith("https://identifiers.org/mirbase")
    edge = graph.edges["hsa_miR_155_5p", "TP53INP1_changed"]
    assert edge["sign"] == "+" and edge["strength"] == pytest.approx(0.3)  # one in vitro study (0.6) x effect 0.5
    assert "Table 3, ref 27" in edge["findings"]
    inhibiting = [d for _, _, d in graph.edges(data=True) if d["sign"] == "-"]
    assert inhibiting


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser uses old pyparsing names
def test_export_dot_parses_and_marks_signs(tmp_path, reasoner):
    out = tmp_path / "network.dot"
    done = run_cli("export", "--format", "dot", "--output", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    pydot = pytest.importorskip("pydot")
    (graph,) = pydot.graph_from_dot_data(text)
    names = {n.get_name().strip('"') for n in graph.get_nodes()} - {"node", "edge"}
    assert names == {n.key for n in reasoner.spec.nodes}
    edges = graph.get_edges()
    assert len(edges) == len(reasoner.spec.edges)
    heads = {e.get("arrowhead") for e in edges}
    assert heads == {"normal", "tee"}
    assert 'label="TP53INP1 changed in recipient cell (direction not stated)"' in text


def test_export_format_list_names_dot_and_graphml():
    done = run_cli("export", "--format", "png", "--output", "x.png")
    assert_one_line_error(done, 2, "png", "dot", "graphml")


# -- from Python ------------------------------------------------------------------------------


def test_python_pictures(tmp_path, reasoner):
    import exoreason

    result = reasoner.infer_names(["miR-155"])
    png = exoreason.plot_posteriors(result, tmp_path / "p.png")
    assert png.format == "png" and png._repr_png_() == (tmp_path / "p.png").read_bytes()
    assert_png(tmp_path / "p.png")
    svg = exoreason.plot_explanation(reasoner, {"miR-155": True}, "chemoresistance", tmp_path / "w.svg")
    assert svg._repr_svg_() is not None and "TP53INP1" in svg_text(tmp_path / "w.svg")
    inline = exoreason.plot_explanation(reasoner, ["miR-21", "miR-200c"], "EMT")
    assert inline.path is None and inline.data.startswith(PNG_SIGNATURE)
    with pytest.raises(exoreason.InputError, match="exists"):
        exoreason.plot_posteriors(result, tmp_path / "p.png")
    exoreason.plot_posteriors(result, tmp_path / "p.png", force=True)
    with pytest.raises(exoreason.InputError, match=r"\.pdfx"):
        exoreason.plot_posteriors(result, tmp_path / "p.pdfx")
    with pytest.raises(exoreason.InferenceError, match="closest: chemoresistance"):
        exoreason.plot_explanation(reasoner, result, "chemoresistence", tmp_path / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.png", "w.svg"]


def test_intervention_picture_and_frames(reasoner):
    import exoreason

    evidence, names = reasoner.evidence_from_names(["miR-21"])
    result = reasoner.infer(evidence, names, do={"EMT": False})
    frame = result.to_dataframe()
    assert list(frame.columns) == ["label", "kind", "prior", "posterior", "change", "odds_ratio", "do_posterior"]
    assert frame.loc["EMT", "do_posterior"] == 0.0
    assert frame.loc["metastasis", "do_posterior"] < frame.loc["metastasis", "posterior"]
    assert "<table>" in result._repr_html_() and "under do" in result._repr_html_()
    picture = exoreason.plot_posteriors(result, fmt="svg")
    assert "do(epithelial to mesenchymal transition=false)" in picture.data.decode()


def test_query_results_as_frames():
    import exoreason

    frame = exoreason.query_frame("targets-of-mirna", mirna="miR-155")
    assert list(frame["gene"]) == ["TP53INP1"]
    assert frame["reference"].tolist() == [27]
    graph = exoreason.load_graph()
    result = exoreason.run_query(graph, "ASK { ?s ?p ?o }")
    assert result.to_dataframe()["boolean"].tolist() == [True]
    select = exoreason.run_query(graph, exoreason.load_named_query("cancers").text)
    assert "<table>" in select._repr_html_() and len(select.to_dataframe()) == len(select.rows)


def test_infer_frame_matches_single_inference(reasoner):
    import pandas as pd

    import exoreason

    profiles = pd.DataFrame({"miR-155": [1, 0, None, 0.9], "MIR21": [True, False, None, None]},
                            index=["a", "b", "c", "d"])
    frame = exoreason.infer_frame(reasoner, profiles)
    assert list(frame.index) == ["a", "b", "c", "d"]
    single = reasoner.infer({"hsa_miR_155_5p": 1.0, "hsa_miR_21_5p": 1.0}, explain=False)
    for o in single.outcomes:
        assert frame.loc["a", o.key] == pytest.approx(o.posterior, abs=1e-9)
        assert frame.loc["c", o.key] == pytest.approx(o.prior, abs=1e-9)
    with pytest.raises(exoreason.InputError, match="miR-999"):
        exoreason.infer_frame(reasoner, pd.DataFrame({"miR-999": [1]}))


def test_import_is_light_and_all_names_resolve():
    code = ("import sys, exoreason\n"
            "heavy = [m for m in ('pgmpy', 'rdflib', 'matplotlib', 'pandas', 'networkx') if m in sys.modules]\n"
            "assert heavy == [], heavy\n"
            "missing = [n for n in exoreason.__all__ if getattr(exoreason, n, None) is None]\n"
            "assert missing == [], missing\n"
            "assert sorted(exoreason.__all__) == sorted([*exoreason._EXPORTS, '__version__'])\n"
            "print(len(exoreason.__all__))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 30


def test_readme_picture_is_committed_and_shown():
    picture = ROOT / "docs" / "posteriors-mir155.png"
    assert_png(picture)
    readme = (ROOT / "README.md").read_text()
    assert "docs/posteriors-mir155.png" in readme
    assert "notebooks/01-tour.ipynb" in readme and "notebooks/02-cohort-study.ipynb" in readme


# -- PDF, layout and legends ------------------------------------------------------------------


@pytest.mark.parametrize("command", [["infer", "--cargo", "miR-155"],
                                     ["explain", "--cargo", "miR-21", "--cargo", "miR-200c", "--outcome", "metastasis"]])
def test_pdf_pictures_regression(tmp_path, command):
    """PDF plots were refused; any case of the extension is accepted."""
    for name in ("picture.pdf", "PICTURE.PDF"):
        out = tmp_path / name
        done = run_cli(*command, "--plot", str(out))
        assert done.returncode == 0, done.stderr
        data = out.read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF") and len(data) > 5_000


def _boxes(figure):
    """The window extents of the node boxes and edge labels (by gid), the edges' vertices in
    display coordinates (by gid), and the legend's and figure texts' extents."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (ax,) = figure.axes
    boxes = {t.get_gid(): t.get_bbox_patch().get_window_extent(renderer) for t in ax.texts if t.get_gid()}
    edges = {line.get_gid(): line.get_transform().transform(line.get_xydata())
             for line in ax.lines if line.get_gid()}
    others = [figure.legends[0].get_window_extent(renderer),
              *(t.get_window_extent(renderer) for t in figure.texts)]
    return boxes, edges, others


def _overlap(a, b, tolerance=0.5):
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance) and (min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance)


def _crosses(points, box, inset=1.5):
    """Whether a polyline passes through the inside of a box (shrunk by ``inset`` pixels)."""
    import itertools

    import numpy as np

    x0, x1, y0, y1 = box.x0 + inset, box.x1 - inset, box.y0 + inset, box.y1 - inset
    for (ax_, ay), (bx, by) in itertools.pairwise(points):
        steps = max(2, int(np.hypot(bx - ax_, by - ay)))
        xs, ys = np.linspace(ax_, bx, steps), np.linspace(ay, by, steps)
        if np.any((xs > x0) & (xs < x1) & (ys > y0) & (ys < y1)):
            return True
    return False


LAYOUT_CASES = [(["miR-21", "miR-200c"], "metastasis"), (["miR-21", "miR-200c"], "EMT"),
                (["miR-21", "miR-200c"], "recurrence"),
                (["miR-155", "miR-21", "miR-200c", "miR-19b"], "chemoresistance"),
                (["miR-155", "miR-21", "miR-200c", "miR-19b"], "metastasis"),
                (["miR-19b", "miR-200c"], "EMT")]


@pytest.mark.parametrize(("cargo", "outcome"), LAYOUT_CASES, ids=lambda v: "+".join(v) if isinstance(v, list) else v)
def test_explanation_layout_has_no_overlap_and_no_edge_through_a_box_regression(reasoner, cargo, outcome):
    """Explanation plots with several paths overlapped their labels and drew edges through
    unrelated boxes (miR-21 + miR-200c: the MMP edges to metastasis ran through angiogenesis and
    colonization). Every box and label is now apart from every other, and an edge touches only
    its own two boxes and its own label."""
    from exoreason.plots import explanation_figure

    boxes, edges, others = _boxes(explanation_figure(reasoner, cargo, outcome))
    names = sorted(boxes)
    assert any(n.startswith("label:") for n in names) and len(edges) == sum(n.startswith("label:") for n in names)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert not _overlap(boxes[a], boxes[b]), (a, b)
        for other in others:
            assert not _overlap(boxes[a], other), (a, "legend, title or footnote")
    for gid, points in edges.items():
        edge = gid.removeprefix("edge:")
        parent, child = edge.split("->")
        own = {f"node:{parent}", f"node:{child}", f"label:{edge}"}
        for name in names:
            if name not in own:
                assert not _crosses(points, boxes[name]), (edge, name)


def test_explanation_is_laid_out_in_layers(reasoner):
    """Cargo left of the genes they act on, every edge drawn left to right (longest-path layers),
    the outcome rightmost."""
    from exoreason.plots import explanation_figure

    boxes, _, _ = _boxes(explanation_figure(reasoner, ["miR-21", "miR-200c"], "metastasis"))

    def x(key):
        return (boxes[f"node:{key}"].x0 + boxes[f"node:{key}"].x1) / 2

    assert x("hsa_miR_21_5p") == pytest.approx(x("hsa_miR_200c_3p"))
    assert x("hsa_miR_21_5p") < x("MMP13_MMP2_MMP9_TNFSF11_induced") < x("metastasis")
    assert x("EMT") < x("angiogenesis") < x("colonization") < x("metastasis")
    from exoreason.explanation import explain

    found = explain(reasoner, ["miR-21", "miR-200c"], "metastasis")
    steps = {(s.parent, s.child) for e in found.effects for path in e.paths for s in path}
    assert len(steps) > 10
    for parent, child in steps:
        assert x(parent) < x(child), (parent, child)
    assert max(b.x1 for b in boxes.values()) == boxes["node:metastasis"].x1


def test_every_colour_of_the_posterior_picture_is_in_its_legend_regression(reasoner):
    """The posterior plot's legend lacked two of its colours (a lowered posterior, the highlighted
    rows)."""
    from matplotlib.colors import to_hex

    from exoreason.plots import posteriors_figure
    from exoreason.uncertainty import with_intervals

    evidence, names = reasoner.evidence_from_names(["miR-21", "miR-200c"])
    result = reasoner.infer(evidence, names, do={"EMT": False})
    figure = posteriors_figure(result)
    (ax,) = figure.axes
    drawn = {to_hex(p.get_facecolor()) for p in ax.patches} - {"#ffffff"}
    legend = ax.get_legend()
    named = {to_hex(h.get_facecolor()) for h in legend.legend_handles if hasattr(h, "get_facecolor")}
    assert drawn <= named, drawn - named
    assert len(drawn) >= 5  # prior, raised, lowered, unchanged or under do, highlighted rows
    texts = " ".join(t.get_text() for t in legend.get_texts())
    for words in ("prior", "raised", "lowered", "intervention", "rows the evidence moved"):
        assert words in texts, words
    with_ci = with_intervals(reasoner.infer(evidence, names), reasoner.compiled, 100, engine=reasoner.engine)
    texts = " ".join(t.get_text() for t in posteriors_figure(with_ci).axes[0].get_legend().get_texts())
    assert "90% interval of the posterior" in texts


def test_posterior_picture_rows_follow_the_table(reasoner):
    from exoreason.plots import posteriors_figure

    result = reasoner.infer_names(["miR-155"])
    (ax,) = posteriors_figure(result).axes
    labels = [t.get_text() for t in reversed(ax.get_yticklabels())]
    assert labels == [o.label for o in result.rows]


def test_explanation_legend_says_what_each_kind_of_box_is_regression(reasoner):
    """The legend called every grey box "target gene repressed", also where the gene is induced
    (MMP13 ... TNFSF11 induced) or its direction not stated, and named no tumour state (green
    boxes such as "hsa-miR-200c-3p in tumour cells"). It now names each kind of box the picture
    draws, in words true of every box of that kind, and only those kinds."""
    from matplotlib.colors import to_hex

    from exoreason.plots import explanation_figure

    figure = explanation_figure(reasoner, ["miR-21", "miR-200c"], "metastasis")
    (ax,) = figure.axes
    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    drawn = {t.get_gid().removeprefix("node:"): to_hex(t.get_bbox_patch().get_facecolor())
             for t in ax.texts if (t.get_gid() or "").startswith("node:")}
    assert {kinds[k] for k in drawn} == {"cargo", "gene_effect", "state", "process", "outcome"}
    assert "MMP13_MMP2_MMP9_TNFSF11_induced" in drawn
    legend = figure.legends[0]
    named = {to_hex(h.get_facecolor()): t.get_text() for h, t in zip(legend.legend_handles, legend.get_texts(), strict=True)
             if hasattr(h, "get_facecolor") and to_hex(h.get_facecolor()) != "#ffffff"}
    assert set(drawn.values()) == set(named)
    texts = " ".join(named.values())
    assert "repressed" not in texts and "target gene changed in the recipient cell" in texts
    assert "tumour state" in texts
    only = explanation_figure(reasoner, ["miR-155"], "chemoresistance")
    assert "tumour state" not in " ".join(t.get_text() for t in only.legends[0].get_texts())


def test_no_value_of_the_intervention_plot_lies_under_its_legend_regression(reasoner):
    """In the `--do` posterior plot a value beside a long bar ("0.500 -> 1.000 (+0.500); do:
    1.000" for an observed outcome) ran past the axes under the legend. Every value now ends
    inside the axes, left of the legend."""
    from exoreason.plots import posteriors_figure

    evidence, names = reasoner.evidence_from_names(["miR-21"], (), ["metastasis=true"])
    figure = posteriors_figure(reasoner.infer(evidence, names, do={"EMT": False}))
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    (ax,) = figure.axes
    legend = ax.get_legend().get_window_extent(renderer)
    frame = ax.get_window_extent(renderer)
    values = [t.get_window_extent(renderer) for t in ax.texts]
    assert any("do: " in t.get_text() for t in ax.texts)
    assert all(box.x1 <= frame.x1 and not _overlap(box, legend) for box in values)
