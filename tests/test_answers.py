"""Answers people read: the infer and explain tables, one JSON schema shared by both, and the
options every command shares (--version, case-insensitive --format).

The schema is docs/answer.schema.json; every JSON answer of infer and explain, in every variant
(soft readings, interventions, intervals, several cargo), must validate against it.
"""

from __future__ import annotations

import json
import re

import pytest

from exoreason.display import row_key, shown, signed
from exoreason.inference import ARROWS

from .conftest import ROOT, assert_one_line_error, run_cli

SCHEMA = ROOT / "docs" / "answer.schema.json"
FOUR = ["--cargo", "miR-155", "--cargo", "miR-21", "--cargo", "miR-200c", "--cargo", "miR-19b"]


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _json(*args: str) -> dict:
    done = run_cli(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# -- one schema, one vocabulary -----------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["infer", "--cargo", "miR-155"],
    ["infer", *FOUR],
    ["infer", "--cargo", "miR-155:0.9", "--absent", "miR-21", "--observe", "EMT=0.7"],
    ["infer", "--cargo", "miR-19b", "--do", "EMT=false"],
    ["infer", "--cargo", "miR-155", "--intervals", "--samples", "200"],
    ["infer"],
    ["explain", "--cargo", "miR-21", "--absent", "miR-210", "--outcome", "metastasis"],
    ["explain", *FOUR, "--outcome", "chemoresistance"],
    ["explain", "--observe", "metastasis=true", "--outcome", "EMT"],
], ids=lambda a: " ".join(a))
def test_every_json_answer_validates_against_the_documented_schema(validator, args):
    data = _json(*args)
    errors = sorted(validator.iter_errors(data), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_schema_refuses_the_old_string_readings(validator):
    """The schema is not a formality: the pre-schema answer (readings as the strings "true" and
    "false", explain's "effects"/"shift") does not validate."""
    data = _json("infer", "--cargo", "miR-155")
    assert validator.is_valid(data)
    data["evidence"] = {"hsa_miR_155_5p": "true"}
    assert not validator.is_valid(data)
    answer = _json("explain", "--cargo", "miR-155", "--outcome", "chemoresistance")
    answer["effects"] = answer["outcome"].pop("explanation")
    assert not validator.is_valid(answer)


def test_infer_and_explain_share_one_vocabulary_regression():
    """infer said explanation/change where explain said effects/shift: one record now serves both."""
    infer = _json("infer", *FOUR)
    explain = _json("explain", *FOUR, "--outcome", "chemoresistance")
    from_infer = next(o for o in infer["outcomes"] if o["key"] == "chemoresistance")
    assert explain["outcome"] == from_infer
    for key in ("evidence", "given_as", "cancer", "parameters", "note"):
        assert explain[key] == infer[key]
    effect = from_infer["explanation"][0]
    assert set(effect) - {"dominant"} == {"node", "label", "observed", "posterior_without", "change",
                                          "paths_promoting", "paths_inhibiting", "paths"}
    assert "shift" not in json.dumps(explain) and "effects" not in explain


def test_readings_and_flags_are_typed():
    data = _json("infer", "--cargo", "miR-155", "--cargo", "miR-21:0.8", "--absent", "miR-200c",
                 "--do", "EMT=false")
    assert data["evidence"] == {"hsa_miR_155_5p": True, "hsa_miR_21_5p": 0.8, "hsa_miR_200c_3p": False}
    assert data["do"] == {"EMT": False}
    chemo = next(o for o in data["outcomes"] if o["key"] == "chemoresistance")
    effect = next(e for e in chemo["explanation"] if e["node"] == "hsa_miR_155_5p")
    assert effect["observed"] is True
    edge = effect["paths"][0]["edges"][0]
    assert isinstance(edge["has_curator_note"], bool) and isinstance(edge["strength"], float)
    study = edge["findings"][0]["primary_studies"][0]
    assert study["year"] == 2017 and study["pmid"] == "28198398"
    assert edge["findings"][0]["evidence_kinds"] == [{"id": "ECO:0007122", "label": "in vitro"}]


def test_path_signs_are_the_product_of_edge_signs():
    """Loss of p53 lowers miR-200c in the tumour cells (p53 raises it), and miR-200c there inhibits
    EMT: two inhibitions in a row, so that path promotes EMT (the review's own argument, which also
    carries its summary "loss of p53 promotes EMT")."""
    data = _json("explain", "--observe", "TP53_loss=true", "--outcome", "EMT")
    (effect,) = data["outcome"]["explanation"]
    paths = {tuple(e["child"] for e in p["edges"]): p for p in effect["paths"]}
    path = paths[("hsa_miR_200c_3p_cellular", "EMT")]
    assert [e["effect"] for e in path["edges"]] == ["inhibits", "inhibits"] and path["effect"] == "promotes"
    assert effect["paths_inhibiting"] == 0 and effect["paths_promoting"] == len(effect["paths"]) == 1
    table = run_cli("explain", "--observe", "TP53_loss=true", "--outcome", "EMT").stdout
    assert ("promotes: loss of TP53 function -| hsa-miR-200c-3p in tumour cells -| epithelial to mesenchymal "
            "transition") in table


def test_competing_observations_show_their_signs():
    """miR-19b-3p raises EMT (through PTEN), miR-200c lowers it: both are listed with their signs."""
    data = _json("explain", "--cargo", "miR-19b-3p", "--cargo", "miR-200c", "--outcome", "EMT")
    effects = {e["node"]: e for e in data["outcome"]["explanation"]}
    assert {p["effect"] for p in effects["hsa_miR_200c_3p"]["paths"]} == {"inhibits"}
    assert {p["effect"] for p in effects["hsa_miR_19b_3p"]["paths"]} == {"promotes"}
    assert effects["hsa_miR_200c_3p"]["change"] < 0 < effects["hsa_miR_19b_3p"]["change"]
    table = run_cli("explain", "--cargo", "miR-19b-3p", "--cargo", "miR-200c", "--outcome", "EMT").stdout
    assert ("path 1, inhibits: hsa-miR-200c-3p ~> hsa-miR-200c-3p in tumour cells -| epithelial to "
            "mesenchymal transition") in table
    assert ("path 1, promotes: hsa-miR-19b-3p -> PTEN repressed in recipient cell -> epithelial to mesenchymal "
            "transition") in table


def test_which_kind_of_path_dominates_is_said(reasoner):
    """Observing EMT itself: its paths to metastasis promote it; where an observation has paths of
    both signs, the table says which kind wins (the sign of the change)."""
    from exoreason.inference import EvidenceEffect

    effect = EvidenceEffect("x", 1.0, 0.5, -0.1, (), promoting=3, inhibiting=2)
    assert effect.dominant == "inhibiting"
    assert EvidenceEffect("x", 1.0, 0.5, 0.1, (), promoting=3, inhibiting=0).dominant == ""
    from exoreason.inference import effect_lines

    lines = effect_lines([effect], {"x": "X"}, "")
    assert "5 paths (3 promote, 2 inhibit; the inhibiting paths dominate)" in "\n".join(lines)


def test_with_intervals_the_change_has_an_interval_too():
    data = _json("infer", "--cargo", "miR-155", "--intervals", "--samples", "300")
    for o in data["outcomes"]:
        low, high = o["change_interval"]
        assert -1.0 <= low <= high <= 1.0
        assert o["interval"][0] <= o["posterior"] <= o["interval"][1]
    chemo = next(o for o in data["outcomes"] if o["key"] == "chemoresistance")
    assert chemo["change_interval"][0] > 0  # miR-155 raises chemoresistance under every plausible parameter set
    table = run_cli("infer", "--cargo", "miR-155", "--intervals", "--samples", "300").stdout.splitlines()
    assert table[1].count("90% interval") == 2
    row = next(line for line in table if line.split()[:2] == ["outcome", "chemoresistance"])
    low, high = chemo["change_interval"]
    assert f"[+{shown(low):.3f}, +{shown(high):.3f}]" in row


# -- the tables ---------------------------------------------------------------------------------

def _rows(stdout: str) -> list[tuple[str, str, str]]:
    """(kind, label, key) of each row of an infer table."""
    lines = stdout.splitlines()
    header = lines[1]
    label_at, key_at = header.index("process or outcome"), header.index("key")
    return [(line[:label_at].strip(), line[label_at:key_at].strip(), line[key_at:].split()[0])
            for line in lines[2:lines.index("")] if not line.startswith("(")]


def test_outcomes_first_then_processes_with_a_kind_column_regression():
    """"outcome" headed a table whose rows were mostly processes; each row now says its kind,
    outcomes first."""
    done = run_cli("infer", *FOUR, "--all")
    header = done.stdout.splitlines()[1].split()
    assert header[:4] == ["kind", "process", "or", "outcome"]
    kinds = [kind for kind, _, _ in _rows(done.stdout)]
    assert kinds == sorted(kinds, key=["outcome", "process"].index)
    assert kinds.count("outcome") == 5 and set(kinds) == {"outcome", "process"}


def test_rows_are_ordered_by_the_change_as_shown_regression():
    """Rows were sorted by |change| with its float noise, so equal changes (0.000) were shuffled
    and metastasis landed seventh under miR-155. The order is now the size of the log odds ratio
    as shown, then label."""
    data = _json("infer", "--cargo", "miR-155")
    keys = [o["key"] for o in data["outcomes"]]
    expected = sorted(data["outcomes"], key=lambda o: row_key(o["kind"], o["odds_ratio"], o["label"]))
    assert keys == [o["key"] for o in expected]
    assert keys[0] == "chemoresistance"  # the one miR-155's finding moves most
    assert [key for _, _, key in _rows(run_cli("infer", "--cargo", "miR-155", "--all").stdout)] == keys


def test_infer_lists_only_the_rows_the_evidence_moved_regression():
    """`infer --cargo miR-155` printed 37 rows, 35 of them unchanged; it now lists the rows the
    evidence moved (in the same order), says how many it leaves out, and --all lists them all;
    the JSON keeps every row."""
    data = _json("infer", "--cargo", "miR-155")
    moved = [o["key"] for o in data["outcomes"] if abs(o["change"]) >= 0.0005]
    assert len(data["outcomes"]) == 37 and moved == ["chemoresistance", "recurrence"]
    quiet = run_cli("infer", "--cargo", "miR-155").stdout
    assert [key for _, _, key in _rows(quiet)] == moved
    assert f"({37 - len(moved)} other processes and outcomes unchanged to three decimals; --all lists them)" in quiet
    every = run_cli("infer", "--cargo", "miR-155", "--all").stdout
    assert [key for _, _, key in _rows(every)] == [o["key"] for o in data["outcomes"]]
    assert "--all lists them" not in every


def test_an_intervention_shows_the_rows_it_moves():
    """A row the observation leaves alone but the intervention moves is listed."""
    data = _json("infer", "--cargo", "miR-155", "--do", "EMT=false")
    moved = {o["key"] for o in data["outcomes"]
             if abs(o["change"]) >= 0.0005 or abs(o["do_posterior"] - o["prior"]) >= 0.0005}
    assert "metastasis" in moved and "EMT" in moved
    listed = {key for _, _, key in _rows(run_cli("infer", "--cargo", "miR-155", "--do", "EMT=false").stdout)}
    assert listed == moved


def test_no_float_noise_and_no_negative_zero_regression():
    """explain printed (-0.000) and the JSON carried -2.7755575615628914e-17."""
    for args in (["infer", "--cargo", "miR-155"], ["infer", *FOUR],
                 ["explain", "--cargo", "miR-155", "--outcome", "metastasis"],
                 ["explain", "--cargo", "miR-155", "--cargo", "miR-200c", "--outcome", "metastasis"]):
        done = run_cli(*args)
        assert done.returncode == 0, done.stderr
        assert "-0.000" not in done.stdout, args
        text = run_cli(*args, "--format", "json").stdout
        numbers = re.findall(r"(?<![\w.])-?\d+\.\d+(?:e-?\d+)?", text)
        assert numbers
        for number in numbers:
            # a real change may be small (1e-5), but no noise below 1e-12 is printed
            assert "e" not in number or abs(float(number)) >= 1e-12, (args, number)
            digits = number.split("e")[0].lstrip("-0.").replace(".", "")
            assert len(digits) <= 12, (args, number)


def test_why_names_nodes_by_label_and_gives_one_line_per_edge_regression(reasoner):
    """"Why" showed keys (hsa_miR_155_5p -> TP53INP1_repressed) and one line per finding per edge
    (340 lines for four cargo)."""
    done = run_cli("infer", *FOUR)
    lines = done.stdout.splitlines()
    why = lines[next(i for i, line in enumerate(lines) if line.startswith("Why (the paths from each observation")):]
    keys = {n.key for n in reasoner.spec.nodes if "_" in n.key}  # the keys no label contains
    for line in why:
        assert not any(re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", line) for k in keys), line
    start = lines.index("Edges on these paths (strength; findings: where the review states them, evidence):")
    edge_lines = [line for line in lines[start + 1:] if line.startswith("  ")]
    data = _json("infer", *FOUR)
    # the table explains the outcomes; a process's paths are `explain --outcome KEY` away
    edges = {(e["parent"], e["child"]) for o in data["outcomes"] if o["kind"] == "outcome" and shown(o["change"])
             for x in o["explanation"] for p in x["paths"] for e in p["edges"]}
    assert len(edge_lines) == len(edges)
    assert len(lines) < 200
    emt_chemo = next(line for line in edge_lines
                     if line.startswith("  cancer stem cell -> chemoresistance:"))
    strength = reasoner.compiled.strengths[("cancer_stem_cell", "chemoresistance")]
    assert f"strength {strength:.2f}; 4 findings:" in emt_chemo and "(review statement)" in emt_chemo
    verbose = run_cli("infer", *FOUR, "--verbose").stdout
    assert verbose.count("\n") > done.stdout.count("\n")
    # (the closing "Sources:" line names each source by its title, the miR-155 study's too)
    brief = done.stdout.split("\nSources:")[0]
    assert "MicroRNA-155 controls exosome synthesis" in verbose and "MicroRNA-155 controls" not in brief


def test_curator_notes_are_marked_and_printed_on_request_regression():
    """Curator caveats reached only the JSON; the table now marks the edges they qualify with the
    notes' numbers and --show-notes prints them."""
    plain = run_cli("infer", "--cargo", "miR-155").stdout
    assert "Table 3, ref 27, PMID 28198398 (in vitro) [note 1]" in plain
    assert "--show-notes prints each once" in plain
    note = "The review writes miR155 without the arm"
    assert note not in plain
    shown_notes = run_cli("infer", "--cargo", "miR-155", "--show-notes").stdout
    assert f"[1] {note}" in shown_notes
    explained = run_cli("explain", "--cargo", "miR-155", "--outcome", "chemoresistance", "--show-notes").stdout
    assert f"[1] {note}" in explained
    # An edge without a curator note carries no marker (and one with a note does).
    from exoreason.inference import Reasoner

    spec = Reasoner.from_files().spec
    labels = {n.key: n.label for n in spec.nodes}
    text = run_cli("explain", "--cargo", "miR-200c", "--outcome", "metastasis").stdout
    for edge in spec.edges:
        start = f"  {labels[edge.parent]} {ARROWS[edge.sign]} {labels[edge.child]}: "
        line = next((x for x in text.splitlines() if x.startswith(start)), None)
        if line is not None:
            assert bool(re.search(r"\[notes? \d", line)) == any(f.note for f in edge.findings), line


@pytest.mark.parametrize("command", [["infer", "--cargo", "miR-155"],
                                     ["explain", "--cargo", "miR-155", "--outcome", "chemoresistance"],
                                     ["infer", *FOUR, "--verbose"]])
def test_each_curator_note_is_printed_once_and_referenced_by_number_regression(command):
    """--show-notes repeated one 700-character note under each of the six edges it qualifies
    (eight times in explain). Each note is now printed once, numbered, and every edge it
    qualifies cites that number."""
    text = run_cli(*command, "--show-notes").stdout
    notes = re.findall(r"^  \[(\d+)\] (.*)$", text, flags=re.M)
    assert notes, text
    assert [int(n) for n, _ in notes] == list(range(1, len(notes) + 1))
    bodies = [body for _, body in notes]
    assert len(set(bodies)) == len(bodies)
    before, _, notes_section = text.partition("Curator notes")
    assert not any(body in before for body in bodies)
    assert all(notes_section.count(f"] {body}\n") == 1 for body in bodies)
    cited = {int(n) for group in re.findall(r"\[notes? ([\d, ]+)\]", text) for n in group.split(", ")}
    assert cited == set(range(1, len(notes) + 1))


def test_explain_table_lists_paths_with_their_signs_and_edges_once(reasoner):
    done = run_cli("explain", "--cargo", "miR-21", "--cargo", "miR-200c", "--outcome", "metastasis")
    out = done.stdout
    o = reasoner.infer({"hsa_miR_21_5p": 1.0, "hsa_miR_200c_3p": 1.0}).outcome("metastasis")
    assert (f"metastasis (outcome): prior {o.prior:.3f}, posterior {o.posterior:.3f}, "
            f"change {signed(o.change)}") in out
    mir21 = next(e for e in o.explanation if e.node == "hsa_miR_21_5p")
    assert f"hsa-miR-21-5p present: {signed(mir21.change)} ({mir21.posterior_without:.3f} without it)" in out
    assert out.count(", inhibits: hsa-miR-200c-3p ~> hsa-miR-200c-3p in tumour cells -| ") >= 2
    assert ", promotes: hsa-miR-200c-3p" not in out
    assert "=> colonization" in out  # the route through MET, which colonization requires
    assert out.count("  epithelial to mesenchymal transition -> tumour cell invasion: strength") == 1


def test_verbose_and_notes_go_with_a_single_query(tmp_path):
    profiles = tmp_path / "p.csv"
    profiles.write_text("id,miR-155\na,true\n")
    assert_one_line_error(run_cli("infer", "--profiles", str(profiles), "--verbose"), 2, "--verbose")


# -- options every command shares ---------------------------------------------------------------

def test_version_regression():
    from importlib.metadata import version

    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"exoreason {version('exoreason')}"
    import exoreason

    assert exoreason.__version__ == version("exoreason")


@pytest.mark.parametrize("args", [
    ["infer", "--cargo", "miR-155", "--format", "JSON"],
    ["explain", "--cargo", "miR-155", "--outcome", "chemoresistance", "-f", "Json"],
    ["suggest", "--cargo", "miR-155", "--target", "metastasis", "--format", "JSON"],
    ["sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistance", "--format", "JSON"],
    ["query", "targets-of-mirna", "--bind", "mirna=miR-155", "--format", "JSON"],
    ["coverage", "--format", "JSON"],
], ids=lambda a: a[0])
def test_format_is_case_insensitive_everywhere(args):
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    json.loads(done.stdout)


def test_format_case_insensitive_for_tables_profiles_and_exports(tmp_path):
    assert run_cli("infer", "--cargo", "miR-155", "--format", "TABLE").stdout.startswith("Evidence:")
    profiles = tmp_path / "p.csv"
    profiles.write_text("id,miR-155\na,true\n")
    assert run_cli("infer", "--profiles", str(profiles), "--format", "CSV").stdout.startswith("id,")
    out = tmp_path / "net.bif"
    assert run_cli("export", "--format", "BIF", "--output", str(out)).returncode == 0
    assert out.read_text().startswith("network")


def test_reports_name_nodes_by_label_and_keys_stay_in_json_regression():
    """sensitivity printed internal keys (hsa_miR_155_5p, TP53INP1_changed -> chemoresistance) and
    called a gate a base rate in fit; the tables now name nodes by their labels, the JSON by key."""
    table = run_cli("sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistance", "--top", "5").stdout
    assert "strength hsa-miR-155-5p -> TP53INP1 changed in recipient cell (direction not stated)" in table
    assert "base rate of hsa-miR-155-5p" in table and "gate of chemoresistance" in table
    assert not re.search(r"hsa_miR|_changed|_induced|_repressed", table)
    data = _json("sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistance", "--top", "5")
    assert {"hsa_miR_155_5p->TP53INP1_changed", "hsa_miR_155_5p"} <= {s["key"] for s in data["sensitivities"]}
    explained = run_cli("explain", "--cargo", "miR-21", "--outcome", "metastasis").stdout
    assert not re.search(r"hsa_miR|_changed|_induced|_repressed", explained)
