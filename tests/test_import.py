"""`exoreason import mirtarbase`: a miRTarBase export read, filtered, mapped and written as a source.

The exports here are small files in miRTarBase's documented format (its nine columns, its four
support types), written by the tests. Their rows are made up for the tests (miRTarBase IDs from
MIRT999001, PMIDs from 10000001), except where a row must meet what the graph already holds: the
miRNAs and genes of Table 3, and PMID 29335551, the miR-1247-3p study of publications.tsv.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from .conftest import ONTOLOGY, assert_one_line_error, run_cli

HEADER = ["miRTarBase ID", "miRNA", "Species (miRNA)", "Target Gene", "Target Gene (Entrez Gene ID)",
          "Species (Target Gene)", "Experiments", "Support Type", "References (PMID)"]
HUMAN = "Homo sapiens"

#: Row 2 onwards of the export (row 1 is the header).
ROWS = [
    # miR-25-3p -> KLF2 (Table 3): two strong rows from two studies, one weak row, and the first
    # row repeated (the same study reported twice)
    ["MIRT999001", "hsa-miR-25-3p", HUMAN, "KLF2", "10365", HUMAN, "Luciferase reporter assay//Western blot", "Functional MTI", "10000001"],
    ["MIRT999001", "hsa-miR-25-3p", HUMAN, "KLF2", "10365", HUMAN, "qRT-PCR//Western blot", "Functional MTI", "10000002"],
    ["MIRT999001", "hsa-miR-25-3p", HUMAN, "KLF2", "10365", HUMAN, "Microarray", "Functional MTI (Weak)", "10000003"],
    ["MIRT999001", "hsa-miR-25-3p", HUMAN, "KLF2", "10365", HUMAN, "Luciferase reporter assay//Western blot", "Functional MTI", "10000001"],
    # miR-1247-3p -> B4GALT3 from the study the graph already has (PMID 29335551)
    ["MIRT999002", "hsa-miR-1247-3p", HUMAN, "B4GALT3", "8703", HUMAN, "Luciferase reporter assay", "Functional MTI", "29335551"],
    # a miRNA the graph does not know
    ["MIRT999003", "hsa-miR-20a-5p", HUMAN, "HIF1A", "3091", HUMAN, "Luciferase reporter assay", "Functional MTI", "10000004"],
    # a mouse interaction
    ["MIRT999004", "mmu-miR-25-3p", "Mus musculus", "Klf2", "16598", "Mus musculus", "Western blot", "Functional MTI", "10000005"],
    # a target the graph has no term for: a new NCBIGene term
    ["MIRT999005", "hsa-miR-21-5p", HUMAN, "HIF1A", "3091", HUMAN, "HITS-CLIP", "Functional MTI (Weak)", "10000006"],
    # no evidence of repression
    ["MIRT999006", "hsa-miR-21-5p", HUMAN, "PTEN", "5728", HUMAN, "qRT-PCR", "Non-Functional MTI", "10000007"],
]

STRONG, WEAK = "ECO:0007682", "ECO:0006056"


def write_tsv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    """As miRTarBase's .xlsx holds them: Entrez ids and PMIDs as numbers (3091.0, 29335551)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([*row[:4], float(row[4]), *row[5:8], int(row[8])])
    book.save(path)
    return path


def table(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def imported(tmp_path: Path, export: Path, *args: str, out: str = "out") -> tuple[Path, str]:
    """Import an export into a new directory; the directory and what the command printed."""
    out_dir = tmp_path / out
    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", "--out", str(out_dir), *args)
    assert done.returncode == 0, done.stderr
    return out_dir, done.stdout


def test_strong_and_weak_rows_map_to_their_kinds(tmp_path):
    out, _ = imported(tmp_path, write_tsv(tmp_path / "mti.tsv", ROWS))
    claims = {c["id"]: c for c in table(out / "claims.tsv")}
    strong, weak = claims["mirtarbase-9.0-MIRT999001"], claims["mirtarbase-9.0-MIRT999001-weak"]
    assert (strong["subject"], strong["relation"], strong["object"]) == \
        ("mirbase.mature:MIMAT0000081", "exo:targets", "HGNC:6347")
    assert strong["evidence"] == STRONG and weak["evidence"] == WEAK
    # the weak row's study is not counted as a reporter assay, nor the strong rows' as a screen
    assert weak["primary_study"] == "pmid-10000003"
    assert strong["primary_study"] == "pmid-10000001|pmid-10000002"
    assert claims["mirtarbase-9.0-MIRT999005-weak"]["evidence"] == WEAK
    assert {c["certainty"] for c in claims.values()} == {"asserted"}


def test_duplicate_rows_of_one_interaction_merge_into_one_finding(tmp_path):
    out, stdout = imported(tmp_path, write_tsv(tmp_path / "mti.tsv", ROWS))
    claims = [c for c in table(out / "claims.tsv") if c["object"] == "HGNC:6347" and c["evidence"] == STRONG]
    assert len(claims) == 1
    (claim,) = claims
    # every row's cells as exported, the repeated row once per row it was exported in
    assert claim["quote"] == ("Luciferase reporter assay//Western blot (Functional MTI; PMID 10000001) | "
                              "Luciferase reporter assay//Western blot (Functional MTI; PMID 10000001) | "
                              "qRT-PCR//Western blot (Functional MTI; PMID 10000002)")
    assert claim["source"] == "MIRT999001"
    assert "rows 2, 3, 5" in claim["curator_note"]
    assert "2 duplicate rows merged" in stdout


def test_non_human_unknown_mirna_and_non_functional_rows_are_dropped_and_counted(tmp_path):
    out, stdout = imported(tmp_path, write_tsv(tmp_path / "mti.tsv", ROWS))
    assert "read 9 rows of mti.tsv: kept 6, dropped 3" in stdout
    assert "dropped 1: miRNA or target not Homo sapiens" in stdout
    assert "dropped 1: miRNA not in the graph" in stdout
    assert "dropped 1: Non-Functional MTI (no evidence of repression)" in stdout
    text = "\n".join(p.read_text() for p in out.glob("*.tsv"))
    for absent in ("MIRT999003", "MIRT999004", "MIRT999006", "hsa-miR-20a-5p", "10000005", "10000007", "PTEN"):
        assert absent not in text, absent


def test_the_written_directory_holds_the_expected_rows(tmp_path):
    out, _ = imported(tmp_path, write_tsv(tmp_path / "mti.tsv", ROWS))
    assert sorted(p.name for p in out.iterdir()) == ["claims.tsv", "publications.tsv", "source.tsv", "terms.tsv"]
    (source,) = table(out / "source.tsv")
    assert (source["id"], source["kind"], source["release"], source["year"]) == ("mirtarbase-9.0", "database", "9.0", "2022")
    assert "miRTarBase" in source["licence"] and "LICENSE" in source["licence"]
    claims = table(out / "claims.tsv")
    assert [c["id"] for c in claims] == ["mirtarbase-9.0-MIRT999001", "mirtarbase-9.0-MIRT999001-weak",
                                         "mirtarbase-9.0-MIRT999002", "mirtarbase-9.0-MIRT999005-weak"]
    # the study the graph already has is named by its id, not declared again
    mir1247 = claims[2]
    assert (mir1247["subject"], mir1247["object"], mir1247["primary_study"]) == \
        ("mirbase.mature:MIMAT0022721", "HGNC:926", "mir1247-3p-2018")
    assert table(out / "publications.tsv") == [
        {"id": f"pmid-{n}", "title": "", "year": "", "pmid": str(n)} for n in (10000001, 10000002, 10000003, 10000006)]
    assert table(out / "terms.tsv") == [{
        "id": "NCBIGene:3091", "parent": "exo:Gene", "label": "HIF1A",
        "definition": "The human gene HIF1A (NCBI Gene 3091), a target of a miRNA of the graph in miRTarBase 9.0.",
        "source": "miRTarBase 9.0"}]
    assert claims[3]["object"] == "NCBIGene:3091"


def test_the_output_is_the_same_whatever_the_order_of_the_rows(tmp_path):
    first, _ = imported(tmp_path, write_tsv(tmp_path / "a.tsv", ROWS), out="a")
    second, _ = imported(tmp_path, write_tsv(tmp_path / "b.tsv", ROWS[::-1]), out="b")
    for name in ("source.tsv", "publications.tsv", "terms.tsv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    strip = [{k: v for k, v in c.items() if k not in ("quote", "curator_note")} for c in table(first / "claims.tsv")]
    assert strip == [{k: v for k, v in c.items() if k not in ("quote", "curator_note")} for c in table(second / "claims.tsv")]


def test_an_xlsx_export_reads_as_the_tab_separated_one(tmp_path):
    tab, _ = imported(tmp_path, write_tsv(tmp_path / "mti.tsv", ROWS), out="t")
    xlsx, _ = imported(tmp_path, write_xlsx(tmp_path / "mti.xlsx", ROWS), out="x")
    for name in ("source.tsv", "publications.tsv", "terms.tsv"):
        assert (tab / name).read_bytes() == (xlsx / name).read_bytes(), name
    assert (tab / "claims.tsv").read_text().replace("mti.tsv", "mti.xlsx") == (xlsx / "claims.tsv").read_text()


def test_the_later_spelling_of_the_entrez_column_is_read(tmp_path):
    header = [("Target Gene (Entrez ID)" if c == "Target Gene (Entrez Gene ID)" else c) for c in HEADER]
    out, _ = imported(tmp_path, write_tsv(tmp_path / "mti.tsv", ROWS, header))
    assert [t["id"] for t in table(out / "terms.tsv")] == ["NCBIGene:3091"]


@pytest.mark.parametrize(("cell", "value", "needle"), [
    (8, "", "References (PMID): no PMID"),
    (8, "PMC12345", "not a PMID: 'PMC12345'"),
    (4, "KLF-2", "not an Entrez Gene id: 'KLF-2'"),
    (7, "Functional", "unknown support type 'Functional'"),
])
def test_a_malformed_row_is_named_by_file_and_row_and_nothing_is_written(tmp_path, cell, value, needle):
    rows = [list(r) for r in ROWS]
    rows[3][cell] = value  # row 5 of the file
    export = write_tsv(tmp_path / "mti.tsv", rows)
    out = tmp_path / "out"
    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", "--out", str(out))
    assert_one_line_error(done, 2, "mti.tsv:5", needle)
    assert not out.exists()


def test_every_malformed_row_is_listed(tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][8] = ""
    rows[6][4] = "n/a"
    done = run_cli("import", "mirtarbase", str(write_tsv(tmp_path / "mti.tsv", rows)), "--release", "9.0",
                   "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "mti.tsv:2 column References (PMID): no PMID" in done.stderr
    assert "mti.tsv:8 column Target Gene (Entrez Gene ID): not an Entrez Gene id: 'n/a'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_missing_columns_are_named_at_once(tmp_path):
    header = [c for c in HEADER if c not in ("Support Type", "Species (miRNA)")]
    export = write_tsv(tmp_path / "mti.tsv", [[c for c, h in zip(r, HEADER, strict=True) if h in header] for r in ROWS], header)
    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", "--out", str(tmp_path / "out"))
    assert_one_line_error(done, 2, "mti.tsv", "missing columns 'Species (miRNA)', 'Support Type'")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("name", "content", "needle"), [
    ("missing.tsv", None, "missing.tsv: no such file"),
    ("export.xls", b"old Excel", "unknown export format '.xls'"),
    ("broken.xlsx", b"not a zip", "broken.xlsx: not a readable .xlsx file"),
    ("latin1.tsv", "\t".join(HEADER).encode() + b"\nMIRT1\tmiR\xe9\n", "latin1.tsv: row 2: not UTF-8"),
    ("empty.tsv", b"", "empty.tsv: empty file"),
])
def test_an_unreadable_export_is_a_one_line_error(tmp_path, name, content, needle):
    export = tmp_path / name
    if content is not None:
        export.write_bytes(content)
    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", "--out", str(tmp_path / "out"))
    assert_one_line_error(done, 2, needle)
    assert not (tmp_path / "out").exists()


def test_the_release_comes_from_the_option_or_the_file_name(tmp_path):
    named = write_tsv(tmp_path / "hsa_MTI_9.0.tsv", ROWS)
    done = run_cli("import", "mirtarbase", str(named), "--out", str(tmp_path / "a"))
    assert done.returncode == 0, done.stderr
    assert table(tmp_path / "a" / "source.tsv")[0]["release"] == "9.0"
    plain = write_tsv(tmp_path / "hsa_MTI.tsv", ROWS)
    assert_one_line_error(run_cli("import", "mirtarbase", str(plain), "--out", str(tmp_path / "b")), 2, "give --release")
    assert_one_line_error(run_cli("import", "mirtarbase", str(plain), "--release", "10.1", "--out", str(tmp_path / "b")),
                          2, "give --year")
    done = run_cli("import", "mirtarbase", str(plain), "--release", "10.1", "--year", "2025", "--out", str(tmp_path / "b"))
    assert done.returncode == 0, done.stderr
    assert table(tmp_path / "b" / "source.tsv")[0]["year"] == "2025"
    assert table(tmp_path / "b" / "claims.tsv")[0]["id"].startswith("mirtarbase-10.1-")
    assert_one_line_error(run_cli("import", "mirtarbase", str(plain), "--release", "9.0", "--id", "My_Source",
                                  "--out", str(tmp_path / "c")), 2, "bad source id 'My_Source'")


def test_an_existing_directory_is_not_replaced_without_force(tmp_path):
    export = write_tsv(tmp_path / "mti.tsv", ROWS)
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("the user's")
    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", "--out", str(out))
    assert_one_line_error(done, 2, str(out), "--force")
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "the user's"
    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", "--out", str(out), "--force")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["claims.tsv", "publications.tsv", "source.tsv", "terms.tsv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_the_default_directory_is_under_the_ontology_dir(tmp_path):
    onto = tmp_path / "ontology"
    onto.mkdir()
    shutil.copy(ONTOLOGY / "exoreason-kg.ttl", onto / "exoreason-kg.ttl")
    export = write_tsv(tmp_path / "mti.tsv", ROWS)
    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", env={"EXOREASON_ONTOLOGY_DIR": str(onto)})
    assert done.returncode == 0, done.stderr
    assert (onto / "sources" / "mirtarbase-9.0" / "claims.tsv").is_file()
    assert f"wrote {onto / 'sources' / 'mirtarbase-9.0'}" in done.stdout


def test_the_kinds_are_weighed_strong_like_in_vitro_and_weak_below_a_review_statement():
    from exoreason.model import edge_belief, load_parameters
    from exoreason.network import Edge, Finding

    params = load_parameters()

    def belief(kind: str) -> float:
        study = ({"iri": "https://w3id.org/exoreason/publication/pmid-1"},)
        return edge_belief(Edge("m", "g", "+", (Finding("f", "f", "MIRT1", "q", (kind,), (), study, ()),)), params)

    assert belief(STRONG) == pytest.approx(belief("ECO:0007122"))
    assert belief(WEAK) < belief("ECO:0000304") < belief(STRONG)


def test_help_example_runs(tmp_path):
    import re
    import shlex

    done = run_cli("import", "mirtarbase", "--help")
    assert done.returncode == 0, done.stderr
    (example,) = re.findall(r"Example: (exoreason .+)", done.stdout)
    args = shlex.split(example)[1:]
    write_xlsx(tmp_path / args[2], ROWS)  # the export it names, in the working directory
    onto = tmp_path / "ontology"
    onto.mkdir()
    shutil.copy(ONTOLOGY / "exoreason-kg.ttl", onto / "exoreason-kg.ttl")
    done = run_cli(*args, cwd=tmp_path, env={"EXOREASON_ONTOLOGY_DIR": str(onto)})
    assert done.returncode == 0, (example, done.stderr)
    assert len(table(onto / "sources" / "mirtarbase-9.0" / "claims.tsv")) == 4
    assert run_cli("import", "--help").returncode == 0


def test_an_imported_export_builds_and_raises_the_belief_in_table_3_targeting(tmp_path):
    """Imported into a copy of the ontology directory and built: every imported finding names its
    source, and a strong MTI on a Table 3 miRNA -> target pair (miR-25-3p -> KLF2) raises the belief
    in that targeting edge, by the studies it adds; re-importing over the built source gives the
    same files (its own terms and publications are declared again, not taken from the graph)."""
    from dataclasses import replace

    from exoreason.model import edge_belief, load_parameters
    from exoreason.network import load_network
    from exoreason.query import run_query

    onto = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, onto)
    env = {"EXOREASON_ONTOLOGY_DIR": str(onto)}
    export = write_tsv(tmp_path / "mti.tsv", ROWS)
    assert run_cli("import", "mirtarbase", str(export), "--release", "9.0", env=env).returncode == 0
    source = onto / "sources" / "mirtarbase-9.0"
    written = {p.name: p.read_bytes() for p in source.iterdir()}
    done = run_cli("build", env=env)
    assert done.returncode == 0, done.stderr

    found = run_query(onto / "exoreason-kg.ttl", """
        SELECT ?finding ?source WHERE {
          ?finding exo:fromSource ?source .
          FILTER(STRSTARTS(STR(?finding), "https://w3id.org/exoreason/finding/mirtarbase-9.0-"))
        }""")
    sources = {r["finding"].value.rsplit("/", 1)[-1]: r["source"].value for r in found.rows}
    assert sources == {f"mirtarbase-9.0-{i}": "https://w3id.org/exoreason/source/mirtarbase-9.0"
                       for i in ("MIRT999001", "MIRT999001-weak", "MIRT999002", "MIRT999005-weak")}

    params = load_parameters()

    def targeting(spec):
        (edge,) = [e for e in spec.edges if e.parent == "hsa_miR_25_3p" and "KLF2" in e.child]
        return edge

    before = targeting(load_network(ONTOLOGY / "exoreason-network.json"))
    after = targeting(load_network(onto / "exoreason-network.json"))
    imported_findings = {f.finding.rsplit("/", 1)[-1] for f in after.findings} - {f.finding.rsplit("/", 1)[-1] for f in before.findings}
    assert imported_findings == {"mirtarbase-9.0-MIRT999001", "mirtarbase-9.0-MIRT999001-weak"}
    assert edge_belief(after, params) > edge_belief(before, params)
    # the strong finding alone (two reporter-assay studies) already raises it
    strong_only = replace(after, findings=tuple(f for f in after.findings if not f.finding.endswith("-weak")))
    assert edge_belief(before, params) < edge_belief(strong_only, params) < edge_belief(after, params)

    done = run_cli("import", "mirtarbase", str(export), "--release", "9.0", "--force", env=env)
    assert done.returncode == 0, done.stderr
    assert {p.name: p.read_bytes() for p in source.iterdir()} == written
