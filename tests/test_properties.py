"""Property-based tests: whatever the input, an answer or an exoreason error; never anything else.

Each entry point that takes user input is fed generated text. The property is the contract of the
command line: the library either answers or raises an :class:`ExoreasonError` (which the CLI turns
into one line and an exit code); any other exception would be a traceback for the user.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exoreason.cohort import run_profiles
from exoreason.evidence import parse_cell
from exoreason.curation import read_templates
from exoreason.errors import ExoreasonError
from exoreason.ontology import build_graph
from exoreason.query import parse_binding, run_query

from .conftest import ONTOLOGY

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@pytest.fixture(scope="module")
def graph():
    from exoreason.ontology import load_graph

    return load_graph(ONTOLOGY / "exoreason-kg.ttl")


@SETTINGS
@given(name=text)
@example(name="miR-155")
@example(name="")
@example(name="hsa-miR-155-5p:0.9")
def test_any_cargo_name_resolves_or_is_refused(reasoner, name):
    try:
        evidence, _ = reasoner.evidence_from_names([name])
    except ExoreasonError as exc:
        assert "\n" not in exc.message()
        return
    assert set(evidence) <= {n.key for n in reasoner.spec.nodes if n.kind == "cargo"}
    assert all(0.0 <= q <= 1.0 for q in evidence.values())


@SETTINGS
@given(binding=text)
@example(binding="mirna=<http://x>")
@example(binding="=")
def test_any_binding_parses_or_is_refused(binding):
    try:
        name, value = parse_binding(binding)
    except ExoreasonError:
        return
    assert name and value is not None


@SETTINGS
@given(query=st.one_of(
    text,
    st.builds(lambda a, b: f"SELECT * WHERE {{ ?s {a} ?o }} LIMIT {b}", text, st.integers(-3, 5)),
    st.builds(lambda a: f"ASK {{ ?s ?p {a} }}", text),
))
@example(query="SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
@example(query="DELETE WHERE { ?s ?p ?o }")
@example(query="SELECT * FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o }")
def test_any_sparql_text_answers_or_is_refused(graph, query):
    before = len(graph)
    try:
        result = run_query(graph, query)
    except ExoreasonError as exc:
        assert "\n" not in exc.message()
    else:
        assert result.kind in ("select", "ask", "graph")
    assert len(graph) == before  # a query never changes the graph


@SETTINGS
@given(cell=text)
@example(cell="nan")
@example(cell="1e309")
@example(cell="-0.0")
def test_any_csv_cell_is_a_reading_or_a_value_error(cell):
    try:
        value = parse_cell(cell)
    except ValueError:
        return
    assert value is None or 0.0 <= value <= 1.0


_cells = st.one_of(st.sampled_from(["true", "false", "", "0.5", "TRUE", "x", "2", "nan", "miR-155"]), text)


@SETTINGS
@given(header=st.lists(st.one_of(st.sampled_from(["id", "miR-155", "miR-21", "MIR200C", "metastasis"]), text),
                       min_size=0, max_size=4),
       rows=st.lists(st.lists(_cells, min_size=0, max_size=5), max_size=6))
def test_any_profiles_file_answers_or_is_refused(reasoner, tmp_path, header, rows):
    path = tmp_path / "profiles.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    out = tmp_path / "out.csv"
    if out.exists():
        out.unlink()
    try:
        summary = run_profiles(reasoner, path, out, progress=False, force=True)
    except ExoreasonError as exc:
        assert "\n" not in exc.message()
        assert not out.exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        return
    answer = list(csv.reader(out.open()))
    assert len(answer) == summary.profiles + 1
    for row in answer[1:]:
        assert all(0.0 <= float(x) <= 1.0 for x in row[1:])


_header = "id\tsubject\trelation\tobject\tvalue\tsource\treview_refs\tprimary_study\tevidence\tquote\tcurator_note"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.one_of(text, st.sampled_from(["exo:promotes", "GO:0001837", "ECO:0000304", "FOO:1",
                                                        "exo:Metastasis", "12", "a|b", "|"])),
                      min_size=0, max_size=13),
       header_edit=st.sampled_from(["", "extra", "drop"]))
def test_any_template_row_is_read_or_reported_with_file_and_line(tmp_path, cells, header_edit):
    header = _header + ("\tsurprise" if header_edit == "extra" else "")
    if header_edit == "drop":
        header = header.replace("\tquote", "")
    directory = tmp_path / "templates"
    directory.mkdir(exist_ok=True)
    for old in directory.iterdir():
        old.unlink()
    (directory / "claims-x.tsv").write_text(header + "\n" + "\t".join(c.replace("\n", " ") for c in cells) + "\n",
                                           encoding="utf-8")
    try:
        templates = read_templates(directory)
    except ExoreasonError as exc:
        assert str(exc).startswith("claims-x.tsv")
        return
    assert len(templates["claims"]) <= 1


# Corpus cases that must be accepted (the rest must be refused with an exoreason error).
ACCEPTED = {"bom-header.tsv", "crlf.tsv", "bom.csv", "newline-in-id.csv", "semicolons.csv"}


def test_the_fuzz_corpus_of_templates_and_profiles(reasoner, tmp_path):
    """Inputs the fuzzers found interesting, kept as regression cases (tests/corpus/).

    A byte-order mark (as spreadsheet programs write) used to make the header unreadable; it is
    now skipped."""
    corpus = Path(__file__).with_name("corpus")
    cases = sorted(corpus.glob("*"))
    assert len(cases) >= 10, "the corpus is missing"
    for case in cases:
        accepted = True
        directory = tmp_path / case.name
        if case.suffix == ".tsv":
            (directory / "templates").mkdir(parents=True)
            (directory / "templates" / ("claims-" + case.name)).write_bytes(case.read_bytes())
            (directory / "exoreason-edit.ttl").write_bytes((ONTOLOGY / "exoreason-edit.ttl").read_bytes())
            try:
                build_graph(directory)
            except ExoreasonError:
                accepted = False
        elif case.suffix == ".csv":
            directory.mkdir()
            try:
                run_profiles(reasoner, case, directory / "out.csv", progress=False)
            except ExoreasonError:
                accepted = False
                assert not (directory / "out.csv").exists()
        assert accepted == (case.name in ACCEPTED), case.name


def test_profile_readings_of_many_shapes_round_trip(reasoner, tmp_path):
    """Readings written in many spellings give the same answers as their canonical values."""
    spellings = {"true": 1.0, "TRUE": 1.0, "present": 1.0, "yes": 1.0, "1": 1.0, "Detected": 1.0,
                 "positive": 1.0, "false": 0.0, "no": 0.0, "0": 0.0, "absent": 0.0, "not detected": 0.0,
                 "negative": 0.0, "0.25": 0.25, " 0.25 ": 0.25, "": None, "NA": None, "N/A": None, "nan": None}
    for text_value, canonical in spellings.items():
        assert parse_cell(text_value) == canonical, text_value
    rows = [["id", "miR-155"]] + [[f"s{i}", text_value] for i, text_value in enumerate(spellings)]
    profiles = tmp_path / "p.csv"
    profiles.write_text("\n".join(",".join(r) for r in rows) + "\n")
    out = tmp_path / "o.csv"
    run_profiles(reasoner, profiles, out, progress=False)
    answers = [line.split(",") for line in out.read_text().splitlines()[1:]]
    column = out.read_text().splitlines()[0].split(",").index("chemoresistance")
    for (ident, *_), (text_value, canonical), row in zip(rows[1:], spellings.items(), answers, strict=True):
        evidence = {} if canonical is None else {"hsa_miR_155_5p": canonical}
        expected = reasoner.marginals(evidence, ["chemoresistance"])["chemoresistance"]
        assert row[0] == ident and float(row[column]) == pytest.approx(expected, abs=1e-11), text_value
