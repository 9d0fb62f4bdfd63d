"""How sure is the answer: posterior intervals under parameter uncertainty, and sensitivities.

Sensitivities on the tiny network (tests/conftest.py, TINY_CONFIG), target P, A observed present.
Write g = P(G=1 | A=1) = 1 - (1 - lG)(1 - wAG) = 0.55 and E_B = P(B absent) + P(B present)(1 - vBP)
= 1 - pB * vBP = 0.75. Summing over G and B:

    P(P=1 | A=1) = E_B * [lP + g (1 - lP) wGP] = 0.75 * [0.2 + 0.55 * 0.8 * 0.5] = 0.75 * 0.42 = 0.315

so, differentiating (each edge strength and each leak enters affinely):

    d/d lP  (leak of P)      = E_B (1 - g wGP)             = 0.75 * 0.725     = +0.54375
    d/d wGP (G -> P)         = E_B g (1 - lP)              = 0.75 * 0.55 * 0.8 = +0.33
    d/d wAG (A -> G)         = E_B (1 - lP) wGP (1 - lG)   = 0.3 * 0.9        = +0.27
    d/d vBP (B -| P)         = -pB * 0.42                  = -0.21
    d/d pB  (base rate of B) = -vBP * 0.42                 = -0.21
    d/d lG  (leak of G)      = E_B (1 - lP) wGP (1 - wAG)  = 0.3 * 0.5        = +0.15
    d/d pA  (base rate of A) = 0 (A is observed)

Ranked by absolute value: lP, wGP, wAG, {vBP, pB} (a tie; edges are listed first), lG, pA.
"""

from __future__ import annotations

import json
import shlex

import numpy as np
import pytest
from rdflib import Graph

from exoreason.errors import ConfigError, InferenceError, InputError
from exoreason.inference import Reasoner
from exoreason.model import load_parameters, study_count
from exoreason.network import derive_network
from exoreason.uncertainty import posterior_intervals, sensitivity, with_intervals

from .conftest import TINY_CONFIG, TINY_TTL, assert_one_line_error, run_cli

FIXED_STRENGTHS = """
[strength.edges]
"miR_A->GENEG_repressed" = 0.5
"GENEG_repressed->P" = 0.5
"""


@pytest.fixture()
def tiny(tiny_spec, tiny_config):
    return Reasoner(tiny_spec, load_parameters(tiny_config))


# --- the vectorised tables are the network's tables ---------------------------------------------------

def test_soft_reading_of_one_or_zero_is_hard_evidence(tiny):
    assert tiny.marginals({"miR_A": 1.0}) == tiny.marginals({"miR_A": True})
    assert tiny.marginals({"miR_A": 0.0}) == tiny.marginals({"miR_A": False})
    means = tiny.compiled.space.means[None, :]
    hard = tiny.engine.posteriors(["P"], {"miR_A": 1.0}, theta=means)[0]
    nearly = tiny.engine.posteriors(["P"], {"miR_A": 1.0 - 1e-12}, theta=means)[0]
    assert hard == pytest.approx(nearly, abs=1e-9)
    assert hard[0] == pytest.approx(0.315, abs=1e-12)


@pytest.mark.parametrize("max_parents", [6, 2])
def test_tables_of_the_parameter_means_equal_the_point_tables(reasoner, tmp_path, max_parents):
    cfg = tmp_path / "p.toml"
    cfg.write_text(f"[network]\nmax_parents = {max_parents}\n")
    r = Reasoner(reasoner.spec, load_parameters(cfg))
    assert r.compiled.auxiliary  # parents grouped under auxiliary OR nodes (more, and nested, with 2)
    keys = r.outcome_keys
    for evidence in ({}, {"hsa_miR_155_5p": 1.0}, {"hsa_miR_155_5p": 0.7, "hsa_miR_21_5p": 0.0}):
        got = r.engine.posteriors(keys, evidence, theta=r.compiled.space.means[None, :])[0]
        expected = r.marginals(evidence)
        for key, value in zip(keys, got, strict=True):
            assert value == pytest.approx(expected[key], abs=1e-10), (evidence, key)


def test_fitted_tables_are_refused(tiny):
    table = tiny.compiled.tables["P"]
    fitted = tiny.compiled.with_tables({"P": type(table)(table.node, table.parents, table.p_true * 0.9)})
    with pytest.raises(InferenceError, match="fitted to a cohort"):
        posterior_intervals(fitted, {}, samples=10)


# --- intervals ---------------------------------------------------------------------------------------

def _spec(ttl: str):
    graph = Graph()
    graph.parse(data=ttl, format="turtle")
    return derive_network(graph)


def test_interval_shrinks_as_the_studies_behind_an_edge_grow(tmp_path):
    five = TINY_TTL.replace("exo:reviewReference 1 .", "exo:reviewReference 1, 3, 4, 5, 6 .")
    assert five != TINY_TTL
    cfg = tmp_path / "fixed.toml"
    cfg.write_text(TINY_CONFIG + FIXED_STRENGTHS)  # same strengths, so only the evidence count differs
    params = load_parameters(cfg)
    widths = {}
    for n, ttl in ((1, TINY_TTL), (5, five)):
        r = Reasoner(_spec(ttl), params)
        edge = next(e for e in r.spec.edges if e.parent == "miR_A")
        assert study_count(edge, params) == n
        assert r.compiled.strengths[("miR_A", "GENEG_repressed")] == 0.5
        found = posterior_intervals(r.compiled, {"miR_A": 1.0}, ["P"], samples=4000, seed=3)
        assert found.point["P"] == pytest.approx(0.315, abs=1e-12)
        low, high = found.interval("P")
        widths[n] = high - low
        # the edge's own spread: Beta(3, 3) for one study (kappa 2 + 4), Beta(11, 11) for five
        space = r.compiled.space
        draws = space.sample(20000, 1)[:, space.index("edge", "miR_A->GENEG_repressed")]
        kappa = 2.0 + 4.0 * n
        assert draws.mean() == pytest.approx(0.5, abs=0.01)
        assert draws.var() == pytest.approx(0.25 / (kappa + 1.0), rel=0.05)
    assert widths[5] < 0.9 * widths[1], widths


def test_same_seed_same_interval_other_seed_other(tiny):
    result = tiny.infer({"miR_A": 1.0})
    one = with_intervals(result, tiny.compiled, samples=500, seed=11)
    again = with_intervals(result, tiny.compiled, samples=500, seed=11)
    other = with_intervals(result, tiny.compiled, samples=500, seed=12)
    assert one.outcome("P").interval == again.outcome("P").interval
    assert one.outcome("P").interval != other.outcome("P").interval
    assert result.outcome("P").interval is None  # the original is unchanged
    assert one.intervals == {"samples": 500, "seed": 11, "level": 0.9}
    low, high = one.outcome("P").interval
    assert low < 0.315 < high


def test_review_interval_contains_the_point_posterior(reasoner):
    key = reasoner.resolve_cargo("miR-155")
    found = posterior_intervals(reasoner.compiled, {key: 1.0}, samples=1000, seed=0)
    point = reasoner.marginals({key: True})
    assert found.point["chemoresistance"] == pytest.approx(point["chemoresistance"], abs=1e-10)
    low, high = found.interval("chemoresistance")
    assert 0.0 <= low < point["chemoresistance"] < high <= 1.0
    for target in found.point:
        assert found.low[target] <= found.high[target]


def test_interval_arguments_are_checked(tiny):
    for bad in (0, -1, 2.5, True):
        with pytest.raises(InputError, match="positive integer"):
            posterior_intervals(tiny.compiled, {}, samples=bad)
    with pytest.raises(InputError, match="seed"):
        posterior_intervals(tiny.compiled, {}, seed=-1)
    with pytest.raises(InferenceError, match="unknown node 'Q'"):
        posterior_intervals(tiny.compiled, {"Q": 1.0})


# --- sensitivity -------------------------------------------------------------------------------------

def test_tiny_sensitivity_by_hand(tiny):
    """By hand (tests/test_inference.py's network): P(B factor) = 1 - b v, P(G=1) = lg + (1 - lg) a w1;
    the change A's observation makes is C = (1 - b v)(1 - lp) w2 (1 - lg) w1 (1 - a) = 0.0675, so
    dC/dw1 = dC/dw2 = 0.135 = -dC/da, dC/dlp = -0.084375, dC/dlg = -0.075, dC/dv = dC/db = -0.045.
    Rows rank by |dC|, then by |dP|."""
    result = sensitivity(tiny.compiled, {"miR_A": 1.0}, "P")
    assert result.posterior == pytest.approx(0.315, abs=1e-12)
    got = {(r.kind, r.key): (r.change_derivative, r.derivative) for r in result.rows}
    expected = {
        ("edge", "GENEG_repressed->P"): (0.135, 0.33),
        ("edge", "miR_A->GENEG_repressed"): (0.135, 0.27),
        ("base_rate", "miR_A"): (-0.135, 0.0),
        ("leak", "P"): (-0.084375, 0.54375),
        ("leak", "GENEG_repressed"): (-0.075, 0.15),
        ("edge", "miR_B->P"): (-0.045, -0.21),
        ("base_rate", "miR_B"): (-0.045, -0.21),
    }
    assert set(got) == set(expected)
    for name, (change, value) in expected.items():
        assert got[name][0] == pytest.approx(change, abs=1e-8), name
        assert got[name][1] == pytest.approx(value, abs=1e-8), name
    assert [(r.kind, r.key) for r in result.rows] == list(expected)
    edge = result.rows[1]
    assert edge.findings[0]["label"] == "finding F1"
    assert edge.findings[0]["review_refs"] == [1]
    assert edge.to_dict()["effect"] == "promotes"
    assert result.rows[5].to_dict()["effect"] == "inhibits"


def test_sensitivity_to_a_base_rate_under_a_soft_reading(tiny):
    # A read at 0.9, base rate pA: m = P(A=1 | reading) = 0.9 pA / (0.1 + 0.8 pA), and
    # P = m * 0.315 + (1 - m) * 0.18, so dP/dpA = 0.135 * dm/dpA = 0.135 * 0.09 / (0.1 + 0.8 pA)^2,
    # which at pA = 0.5 is 0.135 * 0.36 = 0.0486.
    result = sensitivity(tiny.compiled, {"miR_A": 0.9}, "P")
    got = {(r.kind, r.key): r.derivative for r in result.rows}
    assert got[("base_rate", "miR_A")] == pytest.approx(0.0486, abs=1e-8)


def test_resolve_outcome(tiny, reasoner):
    assert tiny.resolve_outcome("process p") == "P"
    with pytest.raises(InferenceError, match="unknown outcome 'GENEG_repressed'"):
        tiny.resolve_outcome("GENEG_repressed")  # a gene effect is not an outcome
    with pytest.raises(InferenceError, match="unknown outcome 'metastatis'; closest: metastasis"):
        reasoner.resolve_outcome("metastatis")


# --- parameters -------------------------------------------------------------------------------------

def test_uncertainty_parameters_load_and_validate(tmp_path):
    p = load_parameters()
    assert (p.base_concentration, p.per_study_concentration, p.leak_concentration,
            p.base_rate_concentration) == (2.0, 4.0, 10.0, 10.0)
    cfg = tmp_path / "u.toml"
    cfg.write_text("[uncertainty]\nleak_concentration = 50\nper_study_concentration = 0\n")
    p = load_parameters(cfg)
    assert p.leak_concentration == 50.0 and p.per_study_concentration == 0.0
    for text, key in (("base_concentration = 0", "uncertainty.base_concentration"),
                      ("per_study_concentration = -1", "uncertainty.per_study_concentration"),
                      ("base_rate_concentration = \"x\"", "uncertainty.base_rate_concentration"),
                      ("leak_concentration = inf", "uncertainty.leak_concentration")):
        cfg.write_text(f"[uncertainty]\n{text}\n")
        with pytest.raises(ConfigError, match=key):
            load_parameters(cfg)
    cfg.write_text("[uncertainty]\nkappa = 3\n")
    with pytest.raises(ConfigError, match="unknown parameter: uncertainty.kappa"):
        load_parameters(cfg)


# --- the command line --------------------------------------------------------------------------------

def test_cli_infer_intervals_json_and_table():
    done = run_cli("infer", "--cargo", "miR-155", "--intervals", "--samples", "300", "--seed", "5",
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["intervals"] == {"samples": 300, "seed": 5, "level": 0.9}
    for o in data["outcomes"]:
        low, high = o["interval"]
        assert 0.0 <= low <= high <= 1.0
    chemo = next(o for o in data["outcomes"] if o["key"] == "chemoresistance")
    assert chemo["interval"][0] < chemo["posterior"] < chemo["interval"][1]
    # The change from the prior has its interval too (prior and posterior under the same draws).
    assert -1.0 <= chemo["change_interval"][0] < chemo["change"] < chemo["change_interval"][1] <= 1.0
    table = run_cli("infer", "--cargo", "miR-155", "--intervals")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "90% interval" in lines[1]
    assert lines[2].split()[:2] == ["outcome", "chemoresistance"] and lines[2].count("[") == 2
    assert "1000 samples of the parameters (seed 0)" in table.stdout
    plain = json.loads(run_cli("infer", "--cargo", "miR-155", "--format", "json").stdout)
    assert "intervals" not in plain and "interval" not in plain["outcomes"][0]


def test_cli_sensitivity_rests_on_the_mir155_finding():
    done = run_cli("sensitivity", "--help")
    example = next(line.split("Example: ", 1)[1] for line in done.stdout.splitlines() if "Example: " in line)
    assert example.strip() == "exoreason sensitivity --cargo miR-155 --outcome chemoresistance"
    table = run_cli(*shlex.split(example)[1:])
    assert table.returncode == 0, table.stderr
    assert "TP53INP1" in table.stdout and "not clinical predictions" in table.stdout
    done = run_cli(*shlex.split(example)[1:], "--format", "json", "--top", "3")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["outcome"] == "chemoresistance" and len(data["sensitivities"]) == 3
    derivatives = [abs(r["derivative"]) for r in data["sensitivities"]]
    assert derivatives == sorted(derivatives, reverse=True)

    def mir155_finding(row):
        return any(27 in f["review_refs"] and any(s["pmid"] == "28198398" for s in f["primary_studies"])
                   for f in row.get("findings", []))

    assert any(r["parameter"] == "edge" and mir155_finding(r) for r in data["sensitivities"]), data


@pytest.mark.parametrize(("args", "needles"), [
    (["infer", "--cargo", "miR-155:1.5", "--intervals"], ["miR-155", "[0, 1]", "1.5"]),
    (["infer", "--cargo", "miR-155", "--intervals", "--samples", "0"], ["--samples", "positive integer", "'0'"]),
    (["infer", "--cargo", "miR-155", "--intervals", "--samples", "abc"], ["--samples", "'abc'"]),
    (["infer", "--cargo", "miR-155", "--intervals", "--samples", "-5"], ["--samples", "'-5'"]),
    (["infer", "--cargo", "miR-155", "--samples", "100"], ["--samples and --seed go with --intervals"]),
    (["sensitivity", "--cargo", "miR-155:-0.2", "--outcome", "chemoresistance"], ["miR-155", "-0.2"]),
    (["sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistanse"], ["unknown outcome 'chemoresistanse'",
                                                                              "closest: chemoresistance"]),
    (["sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistance", "--top", "0"], ["--top", "0"]),
    (["sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistance", "--format", "xml"], ["'xml' is not one of 'table', 'json'"]),
])
def test_cli_bad_input(args, needles):
    assert_one_line_error(run_cli(*args), 2, *needles)


def test_cli_intervals_not_with_profiles(tmp_path):
    profiles = tmp_path / "p.csv"
    profiles.write_text("id,miR-155\na,true\n")
    assert_one_line_error(run_cli("infer", "--profiles", str(profiles), "--intervals"), 2, "--profiles")


def test_cli_bad_uncertainty_config(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[uncertainty]\nleak_concentration = -2\n")
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155", "--intervals", "--config", str(cfg)), 2,
                          "uncertainty.leak_concentration")


def test_draws_are_probabilities(reasoner):
    draws = reasoner.compiled.space.sample(200, 0)
    assert np.all((draws >= 0.0) & (draws <= 1.0))
