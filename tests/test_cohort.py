"""Cohorts: batch inference, what to measure next and interventions (learning: test_learning.py)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest
from rdflib import Graph

from exoreason.engine import EvidenceBatch
from exoreason.inference import Reasoner
from exoreason.information import entropy, suggest
from exoreason.model import load_parameters
from exoreason.network import derive_network

from .conftest import EXOREASON, TINY_CONFIG, assert_one_line_error, run_cli
from .oracle import pgmpy_marginals

# --- the batch engine is exact ---------------------------------------------------------------------

def test_a_batch_of_cargo_profiles_equals_variable_elimination(reasoner):
    cargo = tuple(n.key for n in reasoner.spec.nodes if n.kind == "cargo")
    rng = np.random.default_rng(7)
    rows = rng.choice([np.nan, 0.0, 1.0, 0.9, 0.25], size=(15, len(cargo)), p=[0.5, 0.2, 0.2, 0.05, 0.05])
    answers = reasoner.engine.posteriors(reasoner.outcome_keys, EvidenceBatch(cargo, rows))
    for row, answer in zip(rows, answers, strict=True):
        evidence = {k: float(v) for k, v in zip(cargo, row, strict=True) if not np.isnan(v)}
        expected = pgmpy_marginals(reasoner.compiled, reasoner.outcome_keys, evidence)
        for key, value in zip(reasoner.outcome_keys, answer, strict=True):
            assert value == pytest.approx(expected[key], abs=1e-10), (evidence, key)


def test_soft_reading_of_one_or_zero_is_hard_evidence(reasoner):
    soft = reasoner.marginals({"hsa_miR_155_5p": 1.0})
    hard = reasoner.marginals({"hsa_miR_155_5p": True})
    assert soft == hard
    assert reasoner.marginals({"hsa_miR_155_5p": 0.0}) == reasoner.marginals({"hsa_miR_155_5p": False})


def test_virtual_evidence_by_hand(tiny_spec, tiny_config):
    # A read at 0.9: P(A=1 | reading) = 0.5*0.9 / (0.5*0.9 + 0.5*0.1) = 0.9; P is multilinear in A:
    # P(P=1) = 0.9 * 0.315 + 0.1 * 0.18 = 0.3015 (0.315 and 0.18 from tests/test_inference.py).
    tiny = Reasoner(tiny_spec, load_parameters(tiny_config))
    assert tiny.marginals({"miR_A": 0.9})["P"] == pytest.approx(0.3015, abs=1e-12)
    batch = EvidenceBatch(("miR_A",), np.array([[0.9], [np.nan], [1.0]]))
    assert tiny.engine.posteriors(["P"], batch)[:, 0] == pytest.approx([0.3015, 0.2475, 0.315], abs=1e-12)


# --- profiles from a CSV ----------------------------------------------------------------------------

def _write(path, rows):
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_profiles_csv_matches_single_queries(tmp_path, reasoner):
    profiles = _write(tmp_path / "p.csv", [
        ["id", "miR-155", "hsa-miR-200c-3p", "MIR21"],
        ["a", "true", "", ""],
        ["b", "false", "true", "0.8"],
        ["c", "", "", ""],
        ["d", "true", "", ""],
    ])
    done = run_cli("infer", "--profiles", str(profiles))
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no progress bar when not on a terminal
    rows = list(csv.DictReader(done.stdout.splitlines()))
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    columns = list(rows[0])[1:]
    assert sorted(columns) == sorted(reasoner.outcome_keys)
    assert [kinds[k] for k in columns] == sorted((kinds[k] for k in columns), key=["outcome", "process"].index)
    expected = reasoner.marginals({"hsa_miR_200c_3p": True, "hsa_miR_155_5p": False, "hsa_miR_21_5p": 0.8})
    for key, value in expected.items():
        assert float(rows[1][key]) == pytest.approx(value, abs=1e-9)
    assert rows[0] == {**rows[3], "id": "a"}
    prior = reasoner.marginals({})
    assert float(rows[2]["metastasis"]) == pytest.approx(prior["metastasis"], abs=1e-9)


def test_profiles_json_and_output_file(tmp_path):
    profiles = _write(tmp_path / "p.csv", [["id", "miR-155"], ["x", "true"]])
    out = tmp_path / "out.json"
    done = run_cli("infer", "--profiles", str(profiles), "--format", "json", "--output", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert data[0]["id"] == "x" and 0 < data[0]["chemoresistance"] < 1
    again = run_cli("infer", "--profiles", str(profiles), "--output", str(out))
    assert_one_line_error(again, 2, "exists", "--force")
    assert json.loads(out.read_text()) == data


@pytest.mark.parametrize(("rows", "needles"), [
    ([["id", "miR-155", "miR-999"], ["a", "true", "false"]], ["1 unknown column", "'miR-999'", "--ignore-unknown"]),
    ([["id", "miR-155"], ["a", "maybe"]], ["line 2", "'miR-155'", "maybe"]),
    ([["id", "miR-155"], ["a", "1.5"]], ["line 2", "outside [0, 1]"]),
    ([["id", "miR-155"], ["a", "true"], ["a", "false"]], ["line 3", "duplicate id 'a'"]),
    ([["id", "miR-155"], ["a", "true"], ["b", "true", "false"]], ["line 3", "3 cells"]),
    ([["name", "miR-155"], ["a", "true"]], ["no id column", "--id-column"]),
    ([["id", "miR-155", "miR155"], ["a", "true", "true"]], ["same node"]),
    ([["id", "miR-155"], ["", "true"]], ["line 2", "empty id"]),
])
def test_profiles_bad_input_leaves_no_output(tmp_path, rows, needles):
    profiles = _write(tmp_path / "p.csv", rows)
    out = tmp_path / "out.csv"
    done = run_cli("infer", "--profiles", str(profiles), "--output", str(out))
    assert_one_line_error(done, 2, *needles)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]


def test_profiles_stream_in_bounded_memory(tmp_path):
    """Peak memory grows far less than the file: 200,000 rows cost little more than 20,000."""
    peaks = {}
    for n in (20_000, 200_000):
        path = tmp_path / f"p{n}.csv"
        rng = np.random.default_rng(n)
        cells = rng.choice(["true", "false", ""], size=(n, 3))
        with path.open("w") as handle:
            handle.write("id,miR-155,miR-21,miR-200c\n")
            handle.writelines(f"s{i},{a},{b},{c}\n" for i, (a, b, c) in enumerate(cells))
        script = ("import resource, sys\nfrom exoreason.cli import main\n"
                  f"sys.argv = ['exoreason', 'infer', '--profiles', {str(path)!r}, '--output', {str(tmp_path / f'o{n}.csv')!r}]\n"
                  "try:\n    main()\nexcept SystemExit:\n    pass\n"
                  "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
        peaks[n] = int(done.stdout.strip().splitlines()[-1])  # KiB
        assert sum(1 for _ in (tmp_path / f"o{n}.csv").open()) == n + 1
    assert peaks[200_000] - peaks[20_000] < 60 * 1024, peaks


# --- what to measure next ---------------------------------------------------------------------------

def test_information_gain_by_hand(tiny_spec, tiny_config):
    """Target P with no evidence (numbers from tests/test_inference.py):
    P(P) = 0.2475; A: P(P|A=1) = 0.315, P(P|A=0) = 0.18; B: P(P|B=1) = 0.165, P(P|B=0) = 0.33,
    both with P(present) = 0.5. IG(C) = H(0.2475) - 0.5 H(P|C=1) - 0.5 H(P|C=0):
    IG(A) = 0.8073 - 0.5 (0.8989 + 0.6801) = 0.0178 bits; IG(B) = 0.8073 - 0.5 (0.6461 + 0.9149)
    = 0.0268 bits, so B (the inhibitor) ranks first."""
    tiny = Reasoner(tiny_spec, load_parameters(tiny_config))
    current, ranked = suggest(tiny, {}, "P")
    assert current == pytest.approx(0.2475, abs=1e-12)
    assert [s.key for s in ranked] == ["miR_B", "miR_A"]
    h = entropy
    assert ranked[0].information_gain == pytest.approx(h(0.2475) - 0.5 * h(0.165) - 0.5 * h(0.33), abs=1e-12)
    assert ranked[1].information_gain == pytest.approx(h(0.2475) - 0.5 * h(0.315) - 0.5 * h(0.18), abs=1e-12)
    assert round(ranked[0].information_gain, 4) == 0.0268 and round(ranked[1].information_gain, 4) == 0.0178
    assert (ranked[1].posterior_if_present, ranked[1].posterior_if_absent) == pytest.approx((0.315, 0.18))
    # Once A is observed, only B remains.
    _, ranked = suggest(tiny, {"miR_A": 1.0}, "P")
    assert [s.key for s in ranked] == ["miR_B"]


def test_suggest_offers_only_measurable_cargo_that_tells_something_regression(reasoner):
    """`suggest` ranked exosome populations ("tumour-derived exosome") first as cargo to measure
    and listed candidates with 0 bits. It now offers exosomal cargo an assay measures, each with a
    positive expected gain, and every such candidate."""
    from exoreason.engine import EvidenceBatch

    spec = reasoner.spec
    populations = [n.key for n in spec.nodes if n.kind == "cargo" and not n.measurable]
    assert sorted(populations) == ["cancer_stem_cell_exosome", "tumour_derived_exosome"]
    # The populations would tell about angiogenesis, more than any molecule: left out all the same.
    gains = {}
    for key in [n.key for n in spec.nodes if n.kind == "cargo"]:
        p = reasoner.engine.posterior_dict([key], {})[key]
        present, absent = reasoner.engine.posteriors(["angiogenesis"], EvidenceBatch.rows([{key: 1.0}, {key: 0.0}]))[:, 0]
        gains[key] = entropy(0.5) - p * entropy(float(present)) - (1 - p) * entropy(float(absent))
    assert max(gains, key=gains.__getitem__) in populations
    data = json.loads(run_cli("suggest", "--target", "angiogenesis", "--top", "50", "--format", "json").stdout)
    offered = {s["key"]: s["information_gain"] for s in data["suggestions"]}
    expected = {k: g for k, g in gains.items() if k not in populations and g > 1e-12}
    assert offered.keys() == expected.keys()
    assert all(offered[k] == pytest.approx(expected[k], abs=1e-9) and offered[k] > 0 for k in offered)
    table = run_cli("suggest", "--target", "angiogenesis", "--top", "50").stdout
    assert "exosome" not in table and len(table.splitlines()) == 2 + len(expected)


def test_suggest_cli(tmp_path):
    done = run_cli("suggest", "--cargo", "miR-155", "--target", "metastasis", "--format", "json", "--top", "3")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert len(data["suggestions"]) == 3
    gains = [s["information_gain"] for s in data["suggestions"]]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    assert "hsa_miR_155_5p" not in {s["key"] for s in data["suggestions"]}
    assert_one_line_error(run_cli("suggest", "--target", "metastasys"), 2, "unknown outcome 'metastasys'",
                          "metastasis")
    assert_one_line_error(run_cli("suggest", "--target", "metastasis", "--top", "0"), 2, "--top")


# --- interventions ----------------------------------------------------------------------------------

CONFOUNDED_TTL = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix exo: <https://w3id.org/exoreason/> .
@prefix t: <https://example.org/conf/> .
t:A rdfs:subClassOf exo:MolecularEntity ; rdfs:label "miR-A" .
t:X rdfs:subClassOf exo:PhenotypicOutcome ; rdfs:label "X" ; exo:key "X" .
t:Y rdfs:subClassOf exo:PhenotypicOutcome ; rdfs:label "Y" ; exo:key "Y" .
obo:GO_1903561 exo:carries t:A .
t:c1 a exo:TextClaim ; rdfs:label "c1" ; exo:source "s" ; exo:quote "q" ; exo:evidence obo:ECO_0000304 ; exo:context "exosomal" ;
  exo:reviewReference 1 ; exo:aboutSubject t:A ; exo:assertedRelation exo:promotes ; exo:aboutObject t:X .
t:c2 a exo:TextClaim ; rdfs:label "c2" ; exo:source "s" ; exo:quote "q" ; exo:evidence obo:ECO_0000304 ; exo:context "exosomal" ;
  exo:reviewReference 2 ; exo:aboutSubject t:A ; exo:assertedRelation exo:inhibits ; exo:aboutObject t:Y .
t:c3 a exo:TextClaim ; rdfs:label "c3" ; exo:source "s" ; exo:quote "q" ; exo:evidence obo:ECO_0000304 ;
  exo:reviewReference 3 ; exo:aboutSubject t:X ; exo:assertedRelation exo:promotes ; exo:aboutObject t:Y .
t:A rdfs:subClassOf _:AX , _:AY . t:X rdfs:subClassOf _:XY .
_:AX a owl:Restriction ; owl:onProperty exo:promotes ; owl:someValuesFrom t:X .
_:AY a owl:Restriction ; owl:onProperty exo:inhibits ; owl:someValuesFrom t:Y .
_:XY a owl:Restriction ; owl:onProperty exo:promotes ; owl:someValuesFrom t:Y .
[] a owl:Axiom ; owl:annotatedSource t:A ; owl:annotatedProperty rdfs:subClassOf ; owl:annotatedTarget _:AX ; rdfs:seeAlso t:c1 .
[] a owl:Axiom ; owl:annotatedSource t:A ; owl:annotatedProperty rdfs:subClassOf ; owl:annotatedTarget _:AY ; rdfs:seeAlso t:c2 .
[] a owl:Axiom ; owl:annotatedSource t:X ; owl:annotatedProperty rdfs:subClassOf ; owl:annotatedTarget _:XY ; rdfs:seeAlso t:c3 .
"""


def test_intervention_differs_from_observation_on_a_confounded_path(tmp_path):
    """A confounds X and Y (A -> X, A -| Y, X -> Y: the direct edge inhibits, so it is no summary of
    the path through X), strengths 0.5, leak 0.2, P(A) = 0.5.
    P(X=1|A) = 0.6 / 0.2; P(Y=1|A,X) = [1 - 0.8 * 0.5^X] * 0.5^A: A0X0 0.2, A0X1 0.6, A1X0 0.1, A1X1 0.3.
    do(X=1): 0.5 * 0.6 + 0.5 * 0.3 = 0.45;  observe X=1: P(A|X=1) = 0.75, so 0.25 * 0.6 + 0.75 * 0.3 = 0.375.
    do(X=0): 0.5 * 0.2 + 0.5 * 0.1 = 0.15;  observe X=0: P(A|X=0) = 1/3, so 2/3 * 0.2 + 1/3 * 0.1 = 1/6."""
    graph = Graph()
    graph.parse(data=CONFOUNDED_TTL, format="turtle")
    config = tmp_path / "c.toml"
    config.write_text(TINY_CONFIG)
    r = Reasoner(derive_network(graph), load_parameters(config))
    assert r.marginals({}, ["Y"], do={"X": True})["Y"] == pytest.approx(0.45, abs=1e-12)
    assert r.marginals({}, ["Y"], do={"X": False})["Y"] == pytest.approx(0.15, abs=1e-12)
    # Observation, through the same engine with X as hard evidence on a non-root node.
    assert r.marginals({"X": True}, ["Y"])["Y"] == pytest.approx(0.375, abs=1e-12)
    assert r.marginals({"X": False}, ["Y"])["Y"] == pytest.approx(1 / 6, abs=1e-12)
    # Blocking the cargo itself equals observing it absent (a root has no confounder).
    assert r.marginals({}, ["Y"], do={"miR_A": False})["Y"] == pytest.approx(r.marginals({"miR_A": False}, ["Y"])["Y"])


def test_do_on_the_cli_is_shown_beside_observation():
    done = run_cli("infer", "--cargo", "miR-19b-3p", "--do", "EMT=false", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["do"] == {"EMT": False}
    outcomes = {o["key"]: o for o in data["outcomes"]}
    assert outcomes["EMT"]["posterior"] > outcomes["EMT"]["prior"]
    assert outcomes["EMT"]["do_posterior"] == 0.0
    assert outcomes["invasion"]["do_posterior"] < outcomes["invasion"]["posterior"]
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155", "--do", "EMT=maybe"), 2, "EMT=maybe")
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155", "--do", "EMTT=false"), 2, "unknown network node 'EMTT'")


def test_duplicate_ids_are_found_across_chunks(tmp_path, reasoner):
    from exoreason.cohort import run_profiles
    from exoreason.errors import InputError

    rows = [["id", "miR-155"]] + [[f"s{i}", "true"] for i in range(7)] + [["s2", "false"]]
    profiles = _write(tmp_path / "p.csv", rows)
    out = tmp_path / "out.csv"
    with pytest.raises(InputError, match=r"line 9: duplicate id 's2' \(first on line 4\)"):
        run_profiles(reasoner, profiles, out, chunk=3, progress=False)
    assert not out.exists()
    unique = _write(tmp_path / "q.csv", rows[:-1])
    assert run_profiles(reasoner, unique, out, chunk=3, progress=False).profiles == 7


def test_progress_bar_on_a_terminal_only(tmp_path):
    import os
    import pty

    profiles = _write(tmp_path / "p.csv", [["id", "miR-155"]] + [[f"s{i}", "true"] for i in range(1000)])
    leader, follower = pty.openpty()
    process = subprocess.Popen([EXOREASON, "infer", "--profiles", str(profiles), "--output", str(tmp_path / "o.csv")],
                               stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(timeout=120)
    os.close(leader)
    assert process.returncode == 0
    assert b"100%" in seen and b"1,000 profiles" in seen


@pytest.mark.parametrize(("word", "state"), [("no", False), ("absent", False), ("0", False), ("No", False),
                                             ("yes", True), ("present", True), ("1", True)])
def test_do_takes_the_words_observe_takes_regression(reasoner, word, state):
    """`--observe EMT=no` worked but `--do EMT=no` was refused: --do now reads a state in the
    same words, and answers as NODE=true or NODE=false does."""
    assert reasoner.parse_do([f"EMT={word}"]) == {"EMT": state}
    done = run_cli("infer", "--cargo", "miR-155", "--do", f"EMT={word}", "--format", "json")
    assert done.returncode == 0, done.stderr
    same = run_cli("infer", "--cargo", "miR-155", "--do", f"EMT={'true' if state else 'false'}", "--format", "json")
    assert json.loads(done.stdout)["outcomes"] == json.loads(same.stdout)["outcomes"]


@pytest.mark.parametrize("value", ["0.5", "NA", ""])
def test_do_refuses_a_reading_or_none(value):
    """An intervention sets a state: a soft reading or an empty value is refused, in one line."""
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155", "--do", f"EMT={value}"), 2,
                          f"bad --do 'EMT={value}'", "not a reading")


def test_progress_of_a_batch_and_of_a_fit_share_one_status_line(tmp_path, reasoner, capsys):
    """The batch's progress bar and fit's iterations were written by two progress displays of
    their own; both are now the one status line, ended by a newline only if it was shown."""
    import io

    from exoreason.cohort import run_profiles
    from exoreason.display import StatusLine

    stream = io.StringIO()
    status = StatusLine(enabled=True, stream=stream)
    status.show("fold 1 of 5")
    status.show("fold 2 of 5")
    status.close()
    assert stream.getvalue() == "\rexoreason: fold 1 of 5   \rexoreason: fold 2 of 5   \n"
    quiet = io.StringIO()
    StatusLine(enabled=False, stream=quiet).show("x")
    StatusLine(enabled=True, stream=quiet).close()
    assert quiet.getvalue() == ""
    profiles = tmp_path / "p.csv"
    profiles.write_text("id,miR-155\na,true\nb,false\n")
    run_profiles(reasoner, profiles, tmp_path / "out.csv", progress=True)
    err = capsys.readouterr().err
    assert err == f"\rexoreason: [{'#' * 30}] 100%  2 profiles   \n"
