"""Knowledge from more than one source: each source a directory of templates with its record, the
build merging them, a study counted once across sources, --sources restricting the findings, and
conflicting findings listed and combined.

Builds here run in process on private copies of ontology/ (``EXOREASON_ONTOLOGY_DIR`` or a
directory argument), so the repository's files are never written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from exoreason.build import graph_for_sources, network_for_sources
from exoreason.curation import read_sources
from exoreason.errors import CurationError, InputError
from exoreason.model import edge_belief, load_parameters, study_count
from exoreason.network import derive_network, network_json
from exoreason.query import load_named_query, run_query, store_from_graph

from .conftest import run_cli

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology"
REVIEW_NETWORK = REPO / "tests" / "fixtures" / "review-network.json"
SOURCE_HEADER = "id\tkind\ttitle\tyear\tpublication\trelease\tlicence\turl\tdescription\n"
TRANSFER_HEADER = ("id\tmirna\tmirna_as_stated\tdonor\tdonor_as_stated\trecipient\trecipient_as_stated\ttarget\t"
                   "target_as_stated\ttarget_effect\ttarget_effect_source\tdisease\tdisease_as_stated\t"
                   "studied_disease\tstudied_disease_source\tfunction\tfunction_as_stated\tcertainty\tsource\t"
                   "review_refs\tprimary_study\tevidence\tquote\tcurator_note\n")
CLAIM_HEADER = ("id\tsubject\trelation\tobject\tvalue\tcertainty\tcontext\tsource\treview_refs\tprimary_study\t"
                "evidence\tquote\tcurator_note\n")


def _ontology(tmp_path: Path, sources: dict[str, dict[str, str]]) -> Path:
    """A private copy of ontology/'s edit file and review templates, with ``sources`` (id ->
    {file name: text}) as its only other sources."""
    dest = tmp_path / "ontology"
    dest.mkdir(parents=True)
    shutil.copy(ONTOLOGY / "exoreason-edit.ttl", dest)
    shutil.copytree(ONTOLOGY / "templates", dest / "templates")
    for source_id, files in sources.items():
        directory = dest / "sources" / source_id
        directory.mkdir(parents=True)
        for name, text in files.items():
            (directory / name).write_text(text, encoding="utf-8")
    return dest


def _record(source_id: str, kind: str = "primary study", publication: str = "", release: str = "") -> str:
    return SOURCE_HEADER + f"{source_id}\t{kind}\tA title\t2018\t{publication}\t{release}\t\t\t\n"


def _mir25_row(row_id: str, evidence: str) -> str:
    """Table 3's miR-25-3p mechanism (CRC cells to endothelial cells, KLF2 and KLF4 repressed,
    metastasis) as its study states it, with the evidence kinds it reports."""
    return (f"{row_id}\tmiRBase:MIMAT0000081\tmiR-25-3p\texo:ColorectalCancerCell\tCRC cells\tCL:0000115\t"
            "endothelial cells\tHGNC:6348|HGNC:6347\tKLF4 and KLF2\trepressed\tmir25-3p-2018\tDOID:9256\tCRC\t"
            "DOID:9256\tmir25-3p-2018\texo:Metastasis\tmetastasis\tasserted\tAbstract\t\t\t"
            f"{evidence}\tq\t\n")


def _mir25_source(evidence: str = "ECO:0007120") -> dict[str, dict[str, str]]:
    """miR-25-3p's study as a source of its own, stating Table 3's mechanism with ``evidence``."""
    return {"mir25-3p-2018": {"source.tsv": _record("mir25-3p-2018", publication="mir25-3p-2018"),
                              "mirna-transfer.tsv": TRANSFER_HEADER + _mir25_row("mir25-3p-2018-klf", evidence)}}


def _exosomal_claim_source(row_id: str, subject: str) -> dict[str, dict[str, str]]:
    """A source "s1" with one claim: ``subject``, carried by exosomes, promotes metastasis (in mice)."""
    return {"s1": {"source.tsv": _record("s1", publication="mir25-3p-2018"),
                   "claims.tsv": CLAIM_HEADER + f"{row_id}\t{subject}\texo:promotes\texo:Metastasis\t\tasserted\t"
                                                "exosomal\tAbstract\t\t\tECO:0007120\tq\t\n"}}


def _edge(spec, parent: str, child: str):
    return next(e for e in spec.edges if (e.parent, e.child) == (parent, child))


def test_a_study_reached_twice_counts_once(tmp_path):
    """miR-25-3p's study is reached through the review's Table 3 (in vitro, by the review's
    evidence rule) and curated directly: one study, whose kinds on the edge are those it reports."""
    review = network_for_sources(["review"], _ontology(tmp_path / "a", {}))
    alone = _edge(review, "hsa_miR_25_3p", "KLF2_KLF4_repressed")
    params = load_parameters()
    assert study_count(alone, params) == 1
    assert edge_belief(alone, params) == pytest.approx(1 - (0.1 + 0.3), abs=1e-12)  # one in vitro study

    directory = _ontology(tmp_path / "b", _mir25_source("ECO:0007120|ECO:0007121"))
    spec = derive_network(graph_for_sources(["review", "mir25-3p-2018"], directory))
    edge = _edge(spec, "hsa_miR_25_3p", "KLF2_KLF4_repressed")
    assert {f.origin for f in edge.findings} == {"review", "mir25-3p-2018"}
    # One study, two kinds (mice, patients): the review's "in vitro" for it is not a second kind.
    assert study_count(edge, params) == 2
    assert edge_belief(edge, params) == pytest.approx(1 - (0.05 + 0.25) ** 2, abs=1e-12)
    # The same edge: no second node for the genes, no second mechanism.
    assert {n.key for n in spec.nodes} == {n.key for n in review.nodes}


def test_sources_review_reproduces_the_review_network(tmp_path):
    """--sources review gives the network the review alone gives, byte for byte, with another
    source present (its findings out, its terms in)."""
    expected = REVIEW_NETWORK.read_bytes()
    assert network_json(network_for_sources(["review"])) == expected
    directory = _ontology(tmp_path, _mir25_source())
    assert network_json(network_for_sources(["review"], directory)) == expected
    result = run_cli("build", "--sources", "review", "--output", str(tmp_path / "n.json"),
                     env={"EXOREASON_ONTOLOGY_DIR": str(directory)})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "n.json").read_bytes() == expected
    assert network_json(network_for_sources(["review", "mir25-3p-2018"], directory)) != expected


def test_every_finding_names_its_source():
    rows = run_query(None, """PREFIX exo: <https://w3id.org/exoreason/>
        SELECT (COUNT(?f) AS ?n) WHERE { ?f a ?t . VALUES ?t { exo:TextClaim exo:MiRNATransferFinding }
        FILTER NOT EXISTS { ?f exo:fromSource ?s } }""").plain_rows()
    assert rows[0]["n"] == "0"


def test_answers_name_the_sources_they_use(tmp_path):
    directory = _ontology(tmp_path, _mir25_source())
    env = {"EXOREASON_ONTOLOGY_DIR": str(directory)}
    both = run_cli("infer", "--cargo", "miR-25-3p", "--sources", "review,mir25-3p-2018", "--format", "json", env=env)
    assert both.returncode == 0, both.stderr
    import json

    sources = json.loads(both.stdout)["sources"]
    assert [s.split(" ")[0] for s in sources] == ["review", "mir25-3p-2018"]
    review = run_cli("infer", "--cargo", "miR-25-3p", "--sources", "review", env=env)
    assert "Sources: review (The Role of Tumor Stem Cell Exosomes" in review.stdout
    assert "mir25-3p-2018 (" not in review.stdout
    explained = run_cli("explain", "--cargo", "miR-25-3p", "-y", "metastasis", "--sources", "review,mir25-3p-2018",
                        "--verbose", env=env)
    assert "mir25-3p-2018: Abstract" in explained.stdout


@pytest.mark.parametrize("command", [("infer", "--cargo", "miR-155"), ("explain", "--cargo", "miR-155", "-y", "metastasis"),
                                     ("query", "sources"), ("build",)])
def test_an_unknown_source_is_a_one_line_error(command):
    result = run_cli(*command, "--sources", "review,nosuchsource")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "exoreason: error: unknown source 'nosuchsource'; known: " + ", ".join(s.id for s in read_sources(ONTOLOGY).sources)]
    assert "Traceback" not in result.stderr


def test_query_sources_restricts_the_graph(tmp_path):
    directory = _ontology(tmp_path, _mir25_source())
    env = {"EXOREASON_ONTOLOGY_DIR": str(directory)}
    every = run_cli("query", "sources", "--sources", "review,mir25-3p-2018", "--format", "csv", env=env)
    review = run_cli("query", "sources", "--sources", "review", "--format", "csv", env=env)
    assert every.returncode == review.returncode == 0, every.stderr + review.stderr
    assert "mir25-3p-2018,primary study" in every.stdout
    counts = {line.split(",")[0]: line.rsplit(",", 1)[-1] for line in review.stdout.splitlines()[1:]}
    # The other source's record stays (vocabulary is shared); its finding does not.
    assert counts["mir25-3p-2018"] == "0" and int(counts["review"]) > 350


@pytest.mark.parametrize("files, problem", [
    ({"source.tsv": _record("s1", kind="journal", publication="mir25-3p-2018")}, "unknown source kind 'journal'"),
    ({"source.tsv": _record("other", publication="mir25-3p-2018")}, "differs from its directory name 's1'"),
    ({"source.tsv": _record("s1")}, "a primary study names the publication it is"),
    ({"source.tsv": _record("s1", kind="database")}, "a database source names its release"),
    ({"claims.tsv": CLAIM_HEADER}, "no source.tsv"),
    ({"source.tsv": _record("s1", publication="nosuchpaper")}, "unknown publication 'nosuchpaper'"),
    ({"source.tsv": _record("s1", publication="mir25-3p-2018"),
      "claims.tsv": CLAIM_HEADER + "s1-c\tmiRBase:MIMAT0000081\texo:promotes\texo:Metastasis\t\tasserted\t\tAbstract\t29\t\t"
                                   "ECO:0007120\tq\t\n"}, "review reference numbers belong to the review's rows"),
    ({"source.tsv": _record("s1", publication="mir25-3p-2018"),
      "claims.tsv": CLAIM_HEADER + "c\tmiRBase:MIMAT0000081\texo:promotes\texo:Metastasis\t\tasserted\t\tAbstract\t\t\t"
                                   "ECO:0007120\tq\t\n"}, "has an id starting 's1-'"),
    ({"source.tsv": _record("s1", publication="mir25-3p-2018"),
      "claims.tsv": CLAIM_HEADER + "E-mir200c-emt\tmiRBase:MIMAT0000081\texo:promotes\texo:Metastasis\t\tasserted\t\t"
                                   "Abstract\t\t\tECO:0007120\tq\t\n"}, "duplicate id 'E-mir200c-emt'"),
])
def test_a_bad_source_names_its_file_and_problem(tmp_path, files, problem):
    directory = _ontology(tmp_path, {"s1": files})
    with pytest.raises(CurationError) as caught:
        read_sources(directory)
    assert problem in str(caught.value)
    assert "sources/s1/" in str(caught.value)


def test_an_unknown_source_name_is_refused_by_the_reader():
    with pytest.raises(InputError, match="unknown source 'x'"):
        read_sources(ONTOLOGY, ["x"])


def test_conflicting_findings_are_listed_with_both_sides(tmp_path):
    """A source saying exosomal miR-200c raises metastasis conflicts with the review's
    miR-200c -| EMT -> metastasis: the conflict query names both sides, sources and contexts."""
    directory = _ontology(tmp_path, _exosomal_claim_source("s1-mir200c", "miRBase:MIMAT0000617"))
    graph = store_from_graph(graph_for_sources(["review", "s1"], directory))
    rows = run_query(graph, load_named_query("sign-conflicts").text).plain_rows()
    found = [r for r in rows if r["raising"].endswith("/s1-mir200c")]
    assert found, rows
    (row,) = [r for r in found if r["lowering"].endswith("/E-mir200c-emt")]
    assert (row["raisingSource"], row["raisingContext"]) == ("s1", "exosomal")
    assert (row["loweringSource"], row["loweringContext"], row["loweringVia"]) == (
        "review", "cellular", "epithelial to mesenchymal transition")
    assert row["objectLabel"] == "metastasis"
    review_only = store_from_graph(graph_for_sources(["review"], directory))
    assert run_query(review_only, load_named_query("sign-conflicts").text).plain_rows() == []


def test_explain_shows_a_conflict_with_both_sides_and_contexts(tmp_path):
    directory = _ontology(tmp_path, _exosomal_claim_source("s1-mir200c", "miRBase:MIMAT0000617"))
    env = {"EXOREASON_ONTOLOGY_DIR": str(directory)}
    result = run_cli("explain", "--cargo", "miR-200c", "-y", "metastasis", "--sources", "review,s1", env=env)
    assert result.returncode == 0, result.stderr
    assert ("Conflicting findings: raising it, hsa-miR-200c-3p -> metastasis (exosomal context; sources: s1); "
            "lowering it, hsa-miR-200c-3p ~> hsa-miR-200c-3p in tumour cells -| epithelial to mesenchymal "
            "transition") in result.stdout
    assert "(cellular context; sources: review)" in result.stdout
    import json

    as_json = json.loads(run_cli("explain", "--cargo", "miR-200c", "-y", "metastasis", "--sources", "review,s1",
                                 "--format", "json", env=env).stdout)
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(as_json, json.loads((REPO / "docs" / "answer.schema.json").read_text()))
    (conflict,) = as_json["conflicts"]
    assert (conflict["raising"]["context"], conflict["lowering"]["context"]) == ("exosomal", "cellular")
    # Without the second source there is nothing to conflict with.
    alone = run_cli("explain", "--cargo", "miR-200c", "-y", "metastasis", "--sources", "review", env=env)
    assert "Conflicting findings" not in alone.stdout


def test_explain_shows_a_conflict_the_graph_states_about_a_family(tmp_path):
    """Exosomal miR-200 (the family) raising metastasis, against the review's miR-200c -| EMT ->
    metastasis: different nodes in the network (context first), but one conflict in the graph,
    which explain shows for miR-200c with both sides, and validate lists."""
    directory = _ontology(tmp_path, _exosomal_claim_source("s1-mir200", "exo:MiR200Family"))
    spec = network_for_sources(["review", "s1"], directory)
    (conflict,) = [c for c in spec.conflicts if c["raising"]["finding"].endswith("/s1-mir200")
                   and c["lowering"]["finding"].endswith("/E-mir200c-emt")]
    assert conflict["raising"]["path"] == "miR-200 family -> metastasis"
    assert conflict["lowering"]["path"] == "hsa-miR-200c-3p -| epithelial to mesenchymal transition -> metastasis"
    env = {"EXOREASON_ONTOLOGY_DIR": str(directory)}
    result = run_cli("explain", "--cargo", "miR-200c", "-y", "metastasis", "--sources", "review,s1", env=env)
    assert result.returncode == 0, result.stderr
    assert ("Conflicting findings: raising it, miR-200 family -> metastasis (exosomal context; sources: s1); "
            "lowering it, hsa-miR-200c-3p -| epithelial to mesenchymal transition -> metastasis (cellular context; "
            "sources: review).") in result.stdout
    assert "Context first" in result.stdout


@pytest.mark.parametrize("options, message", [
    (("--sources", "review", "--reason"), "--sources builds the graph of the named sources locally"),
    (("--sources", "review", "--endpoint", "http://127.0.0.1:9/sparql"), "does not go with --endpoint or --reason"),
    (("--sources", " , "), "--sources needs source ids separated by commas"),
])
def test_query_sources_refuses_what_it_cannot_do(options, message):
    result = run_cli("query", "sources", *options)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_the_shipped_mir200_conflict_is_listed_by_validate_and_shown_by_explain():
    """The exosomal miR-200 study (mir200-ev-2014) against the review's cellular miR-200c -| EMT:
    validate lists it, explain shows both sides with their sources and contexts, and the network
    keeps them on different nodes (context first)."""
    validated = run_cli("validate", "--no-reasoner")
    assert validated.returncode == 0, validated.stderr
    line = ("metastasis: raising it, miR-200 family -> metastasis (exosomal context; sources: mir200-ev-2014); "
            "lowering it, hsa-miR-200c-3p -| epithelial to mesenchymal transition -> metastasis (cellular context; "
            "sources: review)")
    assert line in validated.stdout
    explained = run_cli("explain", "--cargo", "miR-200c", "-y", "metastasis")
    assert explained.returncode == 0, explained.stderr
    assert "Conflicting findings: " + line.removeprefix("metastasis: ") + "." in explained.stdout
    spec = network_for_sources(["review", "mir200-ev-2014"])
    parents = {(e.parent, e.child) for e in spec.edges}
    assert ("hsa_miR_200c_3p_cellular", "EMT") in parents
    assert not any(p == "hsa_miR_200c_3p_cellular" and c == "metastasis" for p, c in parents)
