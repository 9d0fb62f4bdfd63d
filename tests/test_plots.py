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
    assert "hsa-miR-155-5p -> TP53INP1 repressed in recipient cell -> chemoresistance" in out
    assert "Table 3; review ref 27" in out
    assert "strength 0.60" in out  # one in vitro study (ref 27, which the review calls in vitro)
    assert "not clinical predictions" in out


def test_explain_json_and_absent_cargo():
    done = run_cli("explain", "--cargo", "miR-21", "--absent", "miR-210", "--outcome", "metastasis",
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["outcome"] == "metastasis"
    assert data["evidence"] == {"hsa_miR_21_5p": "true", "hsa_miR_210_3p": "false"}
    cargo = {e["cargo"] for e in data["effects"]}
    assert cargo == {"hsa_miR_21_5p", "hsa_miR_210_3p"}
    assert data["posterior"] > data["prior"]


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
    edge = graph.edges["hsa_miR_155_5p", "TP53INP1_repressed"]
    assert edge["sign"] == "+" and edge["strength"] == pytest.approx(0.6)  # one in vitro study
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
    assert 'label="TP53INP1 repressed in recipient cell"' in text


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
    assert list(frame.columns) == ["label", "kind", "prior", "posterior", "change", "do_posterior"]
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
