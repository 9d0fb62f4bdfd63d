"""`exoreason build`: the committed release is current, builds are deterministic, and bad input
fails with one clear message (exit code 2, file and line named) without touching the outputs.

Every build here runs the real command line in a subprocess on a copy of ontology/ (pointed to
by EXOREASON_ONTOLOGY_DIR), so the repository's files are never written.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from rdflib import OWL, RDFS, Graph, Literal, URIRef

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology"
EXE = Path(sys.executable).with_name("exoreason")
OUTPUTS = ("exoreason.owl", "exoreason-kg.ttl", "exoreason-network.json")
FINDING = "https://w3id.org/exoreason/finding/"
EXO = "https://w3id.org/exoreason/"
TIMEOUT = 180


# --------------------------------------------------------------------------- helpers


def _copy_ontology(tmp_path: Path, name: str = "ontology") -> Path:
    """A private copy of ontology/ (sources and the committed outputs)."""
    dest = tmp_path / name
    shutil.copytree(ONTOLOGY, dest, ignore=shutil.ignore_patterns(".*"))
    return dest


def _run(directory: Path, *args: str, seed: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["EXOREASON_ONTOLOGY_DIR"] = str(directory)
    if seed is not None:
        env["PYTHONHASHSEED"] = seed
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


def _outputs(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in OUTPUTS}


def _listing(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def _append_row(path: Path, **cells: str) -> int:
    """Append a row (cells by column name, in the file's header order); return its line number."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    header = next(ln for ln in lines if ln.strip() and not ln.startswith("#")).split("\t")
    unknown = set(cells) - set(header)
    assert not unknown, f"test bug: {unknown} not in the header of {path.name}"
    row = "\t".join(cells.get(column, "") for column in header)
    if not text.endswith("\n"):
        text += "\n"
    path.write_text(text + row + "\n", encoding="utf-8")
    return len(lines) + 1


def _claim(**overrides: str) -> dict[str, str]:
    """A valid claims row; overrides make it bad in one way."""
    row = {
        "id": "Z-test-claim",
        "subject": "GO:0070062",
        "relation": "exo:promotes",
        "object": "exo:Metastasis",
        "source": "Section: Test",
        "evidence": "ECO:0000304",
        "quote": "a quote added by the test",
    }
    row.update(overrides)
    return row


CLAIMS = "templates/claims-prospects.tsv"


# --------------------------------------------------------------------------- the committed release


def test_committed_release_files_are_current(monkeypatch):
    from exoreason.build import stale_files

    monkeypatch.delenv("EXOREASON_ONTOLOGY_DIR", raising=False)
    stale = stale_files(ONTOLOGY)
    assert stale == [], (
        "the committed release files differ from what the sources build to: "
        f"{[p.name for p in stale]}; run `exoreason build`"
    )


def test_build_check_command_agrees(tmp_path):
    """`exoreason build --check` on a freshly built copy says the files are current."""
    copy = _copy_ontology(tmp_path)
    built = _run(copy, "build")
    assert built.returncode == 0, built.stderr
    checked = _run(copy, "build", "--check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "release files are current" in checked.stdout
    (copy / "exoreason-kg.ttl").write_bytes(b"# stale\n")
    stale = _run(copy, "build", "--check")
    assert stale.returncode == 1
    assert "stale:" in stale.stdout and "exoreason-kg.ttl" in stale.stdout


# --------------------------------------------------------------------------- determinism


def test_build_is_byte_identical_across_hash_seeds(tmp_path):
    first, second = _copy_ontology(tmp_path, "a"), _copy_ontology(tmp_path, "b")
    for directory, seed in ((first, "1"), (second, "2")):
        done = _run(directory, "build", seed=seed)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
    a, b = _outputs(first), _outputs(second)
    differing = [name for name in OUTPUTS if a[name] != b[name]]
    assert not differing, (
        f"building with PYTHONHASHSEED=1 and =2 gives different {differing}: "
        "the release is not deterministic"
    )


# --------------------------------------------------------------------------- an edit changes the outputs


def test_editing_a_template_changes_the_outputs(tmp_path):
    copy = _copy_ontology(tmp_path)
    assert _run(copy, "build").returncode == 0
    before = _outputs(copy)
    quote = "a finding added by test_build to a copy of the templates"
    _append_row(copy / CLAIMS, **_claim(id="Z-new-finding", subject="exo:CancerStemCellExosome",
                                        object="exo:Recurrence", relation="exo:promotes",
                                        quote=quote, review_refs="141"))
    done = _run(copy, "build")
    assert done.returncode == 0, done.stderr
    after = _outputs(copy)
    for name in OUTPUTS:
        assert after[name] != before[name], f"{name} did not change after a template edit"
    graph = Graph().parse(copy / "exoreason-kg.ttl", format="turtle")
    finding = URIRef(FINDING + "Z-new-finding")
    assert (finding, URIRef(EXO + "quote"), Literal(quote, lang="en")) in graph
    assert (finding, URIRef(EXO + "source"), Literal("Section: Test", lang="en")) in graph
    assert (finding, URIRef(EXO + "reviewReference"), Literal(141)) in graph
    # the knowledge graph's direct edge ...
    assert (URIRef(EXO + "CancerStemCellExosome"), URIRef(EXO + "promotes"),
            URIRef(EXO + "Recurrence")) in graph
    # ... comes from the ontology's class axiom, annotated with the finding and its provenance
    owl = Graph().parse(copy / "exoreason.owl", format="xml")
    assert _annotated_axioms(owl, finding) == {(EXO + "CancerStemCellExosome", EXO + "promotes", EXO + "Recurrence")}
    axiom = next(owl.subjects(RDFS.seeAlso, finding))
    assert owl.value(axiom, URIRef(EXO + "quote")) == Literal(quote, lang="en")
    assert owl.value(axiom, URIRef(EXO + "reviewReference")) == Literal(141)
    # and the original build did not have it
    assert b"Z-new-finding" not in before["exoreason-kg.ttl"]


def _annotated_axioms(owl: Graph, finding: URIRef) -> set[tuple[str, str, str]]:
    """The (class, relation, class) of every SubClassOf(A, R some B) axiom annotated with a finding."""
    found = set()
    for axiom in owl.subjects(RDFS.seeAlso, finding):
        if owl.value(axiom, OWL.annotatedProperty) != RDFS.subClassOf:
            continue
        target = owl.value(axiom, OWL.annotatedTarget)
        found.add((str(owl.value(axiom, OWL.annotatedSource)), str(owl.value(target, OWL.onProperty)),
                   str(owl.value(target, OWL.someValuesFrom))))
    return found


def test_an_obsolete_term_in_a_template_is_read_as_its_replacement(tmp_path):
    """exo:precedes was replaced by BFO's own 'precedes' (BFO:0000063): a row still naming it is
    built with the replacement, and nothing in the release uses the obsolete term."""
    copy = _copy_ontology(tmp_path)
    _append_row(copy / CLAIMS, **_claim(id="Z-obsolete", subject="exo:Intravasation",
                                        relation="exo:precedes", object="exo:Colonization"))
    done = _run(copy, "build")
    assert done.returncode == 0, done.stderr
    owl = Graph().parse(copy / "exoreason.owl", format="xml")
    finding = URIRef(FINDING + "Z-obsolete")
    bfo_precedes = "http://purl.obolibrary.org/obo/BFO_0000063"
    assert _annotated_axioms(owl, finding) == {(EXO + "Intravasation", bfo_precedes, EXO + "Colonization")}
    assert owl.value(finding, URIRef(EXO + "assertedRelation")) == URIRef(bfo_precedes)
    assert not set(owl.subjects(OWL.onProperty, URIRef(EXO + "precedes")))


def test_a_class_level_claim_is_an_annotated_annotation_assertion(tmp_path):
    """'has use' says something about exosomes as a kind, not about each exosome: it is an
    annotation on the class (no restriction), with the provenance on that annotation."""
    copy = _copy_ontology(tmp_path)
    _append_row(copy / CLAIMS, **_claim(id="Z-use", subject="exo:CancerStemCell", relation="exo:hasUse",
                                        object="exo:ApplicationProspect", quote="a use added by the test"))
    done = _run(copy, "build")
    assert done.returncode == 0, done.stderr
    owl = Graph().parse(copy / "exoreason.owl", format="xml")
    csc, has_use, prospect = URIRef(EXO + "CancerStemCell"), URIRef(EXO + "hasUse"), URIRef(EXO + "ApplicationProspect")
    assert (csc, has_use, prospect) in owl
    assert not set(owl.subjects(OWL.onProperty, has_use))
    axiom = next(owl.subjects(RDFS.seeAlso, URIRef(FINDING + "Z-use")))
    assert (owl.value(axiom, OWL.annotatedSource), owl.value(axiom, OWL.annotatedProperty),
            owl.value(axiom, OWL.annotatedTarget)) == (csc, has_use, prospect)
    assert owl.value(axiom, URIRef(EXO + "quote")) == Literal("a use added by the test", lang="en")


# --------------------------------------------------------------------------- bad input


def _missing_edit_file(d: Path) -> dict:
    (d / "exoreason-edit.ttl").unlink()
    return {"file": "exoreason-edit.ttl", "line": None, "text": r"not found"}


def _corrupt_edit_file(d: Path) -> dict:
    path = d / "exoreason-edit.ttl"
    lines = path.read_text(encoding="utf-8").splitlines()
    k = next(i for i in range(50, len(lines)) if lines[i] == "")  # a blank line between statements
    lines.insert(k + 1, "exo:Broken a owl:Class ;; rdfs:label .")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"file": "exoreason-edit.ttl", "line": k + 2, "text": r"not valid Turtle"}


def _unknown_column(d: Path) -> dict:
    path = d / CLAIMS
    lines = path.read_text(encoding="utf-8").splitlines()
    header_index = next(i for i, ln in enumerate(lines) if ln.strip() and not ln.startswith("#"))
    out = [ln + "\tx" if i >= header_index and ln.strip() and not ln.startswith("#") else ln
           for i, ln in enumerate(lines)]
    out[header_index] = lines[header_index] + "\tbogus_column"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return {"file": CLAIMS.split("/")[1], "line": header_index + 1, "column": "bogus_column",
            "text": r"unknown column 'bogus_column'"}


def _empty_required_cell(d: Path) -> dict:
    line = _append_row(d / CLAIMS, **_claim(quote=""))
    return {"file": "claims-prospects.tsv", "line": line, "column": "quote",
            "text": r"required cell is empty"}


def _unknown_evidence(d: Path) -> dict:
    line = _append_row(d / CLAIMS, **_claim(evidence="ECO:9999999"))
    return {"file": "claims-prospects.tsv", "line": line, "column": "evidence",
            "text": r"unknown evidence kind 'ECO:9999999'"}


def _unknown_prefix(d: Path) -> dict:
    line = _append_row(d / CLAIMS, **_claim(object="FOO:123"))
    return {"file": "claims-prospects.tsv", "line": line, "column": "object",
            "text": r"unknown prefix 'FOO'"}


def _ragged_row(d: Path) -> dict:
    path = d / CLAIMS
    header = path.read_text(encoding="utf-8").splitlines()[0].split("\t")
    row = _claim()
    cells = [row.get(c, "") for c in header][:-1]  # one cell short
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "\t".join(cells) + "\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    return {"file": "claims-prospects.tsv", "line": line,
            "text": rf"row has {len(header) - 1} cells, header has {len(header)}"}


def _not_utf8(d: Path) -> dict:
    (d / "templates" / "publications-extra.tsv").write_bytes(
        b"id\ttitle\tyear\nlatin1-2020\tEtude caf\xe9 \xe0 Paris\t2020\n")
    return {"file": "publications-extra.tsv", "line": 2, "text": r"UTF-8"}


def _unknown_template_name(d: Path) -> dict:
    shutil.copy(d / "templates" / "publications.tsv", d / "templates" / "notes.tsv")
    return {"file": "notes.tsv", "line": None, "text": r"unknown template kind"}


def _relation_not_a_property(d: Path) -> dict:
    line = _append_row(d / CLAIMS, **_claim(relation="exo:Metastasis", object="GO:0001837"))
    return {"file": "claims-prospects.tsv", "line": line, "column": "relation",
            "text": r"exo:Metastasis is not an object property"}


def _object_property_with_a_value(d: Path) -> dict:
    line = _append_row(d / CLAIMS, **_claim(object="", value="30"))
    return {"file": "claims-prospects.tsv", "line": line, "column": "relation",
            "text": r"exo:promotes is not a class-level claim property with a literal value"}


def _undefined_class(d: Path) -> dict:
    line = _append_row(d / CLAIMS, **_claim(object="exo:NoSuchClassAnywhere"))
    return {"file": "claims-prospects.tsv", "line": line, "column": "object",
            "text": r"exo:NoSuchClassAnywhere is not a class"}


def _unknown_primary_study(d: Path) -> dict:
    line = _append_row(d / CLAIMS, **_claim(primary_study="no-such-study-1999"))
    return {"file": "claims-prospects.tsv", "line": line, "column": "primary_study",
            "text": r"unknown publication 'no-such-study-1999'"}


BAD_INPUTS: dict[str, Callable[[Path], dict]] = {
    "missing edit file": _missing_edit_file,
    "corrupt edit file": _corrupt_edit_file,
    "unknown column": _unknown_column,
    "empty required cell": _empty_required_cell,
    "unknown evidence kind": _unknown_evidence,
    "unknown prefix": _unknown_prefix,
    "ragged row": _ragged_row,
    "non-UTF-8 template": _not_utf8,
    "unknown template file name": _unknown_template_name,
    "relation not a property": _relation_not_a_property,
    "object property with a value": _object_property_with_a_value,
    "undefined class": _undefined_class,
    "unknown primary study": _unknown_primary_study,
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_cleanly(tmp_path, case):
    copy = _copy_ontology(tmp_path)
    before = _outputs(copy)
    expected = BAD_INPUTS[case](copy)
    files_before = _listing(copy)
    done = _run(copy, "build")
    assert done.returncode == 2, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    first = done.stderr.splitlines()[0] if done.stderr else ""
    assert first.startswith("exoreason: error: "), first
    where = re.escape(expected["file"])
    if expected.get("line") is not None:
        # "file:LINE" (templates) or "file: ... line LINE" (Turtle parser)
        where = rf"{where}(:{expected['line']}\b|:.*\bline {expected['line']}\b)"
    assert re.search(where, first), f"first stderr line does not name {where!r}: {first}"
    if expected.get("column"):
        assert f"column {expected['column']}" in first, first
    assert re.search(expected["text"], first), first
    assert _outputs(copy) == before, "a failed build changed the previously built outputs"
    assert _listing(copy) == files_before, "a failed build left files behind"


def test_several_bad_rows_are_all_reported(tmp_path):
    copy = _copy_ontology(tmp_path)
    before = _outputs(copy)
    bad = [
        _claim(id="Z-bad-1", quote=""),
        _claim(id="Z-bad-2", subject="FOO:1"),
        _claim(id="Z-bad-3", evidence="ECO:9999999"),
    ]
    lines = [_append_row(copy / CLAIMS, **row) for row in bad]
    done = _run(copy, "build")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    problems = [ln for ln in done.stderr.splitlines()
                if re.match(r"^\s+claims-prospects\.tsv:\d+ column ", ln)]
    reported = sorted(int(re.search(r":(\d+) ", p).group(1)) for p in problems)
    assert reported == lines, f"expected one problem on each of lines {lines}, stderr:\n{done.stderr}"
    assert "(and 2 more problems)" in done.stderr.splitlines()[0]
    assert _outputs(copy) == before


def test_several_bad_cross_references_are_all_reported(tmp_path):
    copy = _copy_ontology(tmp_path)
    lines = [
        _append_row(copy / CLAIMS, **_claim(id="Z-ref-1", object="exo:NoSuchClassAnywhere")),
        _append_row(copy / CLAIMS, **_claim(id="Z-ref-2", primary_study="no-such-study-1999")),
        _append_row(copy / CLAIMS, **_claim(id="Z-ref-3", relation="exo:Metastasis")),
    ]
    done = _run(copy, "build")
    assert done.returncode == 2, done.stderr
    problems = [ln for ln in done.stderr.splitlines()
                if re.match(r"^\s+claims-prospects\.tsv:\d+ column ", ln)]
    assert sorted(int(re.search(r":(\d+) ", p).group(1)) for p in problems) == lines, done.stderr


# --------------------------------------------------------------------------- cycles


def test_a_cycle_fails_the_build_naming_it(tmp_path):
    """EMT promotes invasion (the review says so); adding 'invasion promotes EMT' closes a cycle."""
    copy = _copy_ontology(tmp_path)
    before = _outputs(copy)
    _append_row(copy / CLAIMS, **_claim(id="Z-cycle", subject="exo:Invasion", object="GO:0001837"))
    done = _run(copy, "build")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert "cycle" in first, first
    assert "epithelial to mesenchymal transition" in first and "invasion" in first, first
    assert _outputs(copy) == before


def test_a_longer_cycle_through_a_new_entity_is_named(tmp_path):
    """EMT promotes X and X promotes EMT, with X a new process declared in a terms template."""
    copy = _copy_ontology(tmp_path)
    terms = copy / "templates" / "terms-test.tsv"
    terms.write_text(
        "id\tparent\tlabel\tdefinition\n"
        "exo:TestLoopProcess\texo:BiologicalProcess\ttest loop process\tA process made up by a test.\n",
        encoding="utf-8")
    _append_row(copy / CLAIMS, **_claim(id="Z-loop-1", subject="GO:0001837", object="exo:TestLoopProcess"))
    _append_row(copy / CLAIMS, **_claim(id="Z-loop-2", subject="exo:TestLoopProcess", object="GO:0001837"))
    done = _run(copy, "build")
    assert done.returncode == 2, done.stdout + done.stderr
    first = done.stderr.splitlines()[0]
    assert re.search(r"cycle.*epithelial to mesenchymal transition.*test loop process"
                     r"|cycle.*test loop process.*epithelial to mesenchymal transition", first), first


def test_a_bad_table3_cell_is_reported_once(tmp_path):
    """A Table 3 row's columns feed both its record and several axioms; a bad cell is still one
    problem, not one per use."""
    copy = _copy_ontology(tmp_path)
    line = _append_row(
        copy / "templates" / "mirna-transfer.tsv", id="Z-T3", mirna="miRBase:MIMAT0000646",
        mirna_as_stated="miR155", donor="exo:PDACCell", donor_as_stated="PDAC", recipient="exo:PDACCell",
        recipient_as_stated="PDAC", target="exo:NoSuchGeneAnywhere", target_as_stated="X",
        disease="DOID:3498", disease_as_stated="PDAC", function="exo:Chemoresistance",
        function_as_stated="chemoresistance", source="Table 3", evidence="ECO:0000304", quote="a test row")
    done = _run(copy, "build")
    assert done.returncode == 2, done.stderr
    problems = [ln for ln in done.stderr.splitlines() if "mirna-transfer.tsv" in ln]
    assert len(problems) == 1, done.stderr
    assert f"mirna-transfer.tsv:{line} column target" in problems[0]
    assert "exo:NoSuchGeneAnywhere is not a class" in problems[0]
