"""The exact engine against outside answers, its batch axes, and the checks at its boundary.

Differential tests draw random networks (DAGs of up to 30 nodes, leaky noisy-OR with inhibitors
and required parents, parents grouped beyond a random ``max_parents``), random evidence (hard and
soft, on any node) and random interventions, and compare the engine with pgmpy's variable
elimination on the mutilated network (to 1e-9), with pgmpy's CausalInference where it answers,
and with pyAgrum's lazy propagation on the network exported as XMLBIF.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exoreason.engine import Engine, EvidenceBatch, ImpossibleEvidence
from exoreason.errors import InferenceError
from exoreason.export import network_text
from exoreason.model import compile_network

from .conftest import assert_one_line_error, run_cli
from .oracle import pgmpy_causal, pgmpy_marginals, pyagrum_marginals, random_network

TOLERANCE = 1e-9


def _query(rng: np.random.Generator, keys: list[str], hard_only: bool = False
           ) -> tuple[dict[str, float], dict[str, bool]]:
    """Random evidence (hard or soft) and random interventions on distinct nodes."""
    chosen = rng.permutation(keys)
    n_evidence = int(rng.integers(0, min(5, len(keys)) + 1))
    n_do = int(rng.integers(0, min(2, len(keys) - n_evidence) + 1))
    evidence = {}
    for key in chosen[:n_evidence]:
        evidence[str(key)] = float(rng.choice([0.0, 1.0])) if hard_only or rng.random() < 0.6 \
            else float(rng.uniform(0.05, 0.95))
    do = {str(key): bool(rng.random() < 0.5) for key in chosen[n_evidence:n_evidence + n_do]}
    return evidence, do


@settings(max_examples=500, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 30), max_parents=st.integers(2, 6))
def test_engine_equals_pgmpy_variable_elimination(seed, size, max_parents):
    rng = np.random.default_rng(seed)
    spec, params = random_network(rng, size, max_parents)
    compiled = compile_network(spec, params)
    keys = spec.keys
    evidence, do = _query(rng, keys)
    targets = sorted({*map(str, rng.choice(keys, size=min(4, len(keys)), replace=False)), *evidence, *do})
    mine = Engine(compiled).posterior_dict(targets, evidence, do)
    expected = pgmpy_marginals(compiled, targets, evidence, do)
    for target in targets:
        assert mine[target] == pytest.approx(expected[target], abs=TOLERANCE), (target, evidence, do)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 14), max_parents=st.integers(2, 5))
def test_engine_equals_pgmpy_causal_inference_where_it_answers(seed, size, max_parents):
    """Where pgmpy 1.1's CausalInference answers the question asked: one intervention, evidence
    only on the intervened node's parents (its adjustment set). Outside that, its query conditions
    on the intervention and the adjustment set but drops the rest of the evidence (CausalInference.py,
    "Step 4.2"), so it answers P(y | do(x), z) instead of P(y | do(x), e); the mutilated network,
    Pearl's definition, is what the variable-elimination test compares against."""
    rng = np.random.default_rng(seed)
    spec, params = random_network(rng, size, max_parents)
    compiled = compile_network(spec, params)
    evidence, do = _query(rng, spec.keys, hard_only=True)
    if not do:
        do = {spec.keys[-1]: True}
        evidence.pop(spec.keys[-1], None)
    do = dict([next(iter(do.items()))])
    parents = {p for d in do for p in compiled.families[d].parents}  # auxiliary nodes included
    evidence = {k: v for k, v in evidence.items() if k in parents}
    target = next((k for k in reversed(spec.keys) if k not in do and k not in evidence), None)
    if target is None:
        return
    expected = pgmpy_causal(compiled, target, {k: v == 1.0 for k, v in evidence.items()}, do)
    if expected is None:
        return
    assert Engine(compiled).posterior_dict([target], evidence, do)[target] == pytest.approx(expected, abs=TOLERANCE)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 30), max_parents=st.integers(2, 6))
def test_engine_equals_pyagrum_through_xmlbif(seed, size, max_parents):
    rng = np.random.default_rng(seed)
    spec, params = random_network(rng, size, max_parents)
    compiled = compile_network(spec, params)
    evidence, _ = _query(rng, spec.keys)
    targets = [k for k in spec.keys if k not in evidence]
    if not targets:
        return
    mine = Engine(compiled).posterior_dict(targets, evidence)
    expected = pyagrum_marginals(network_text(compiled.to_pgmpy(), "xmlbif"), targets, evidence)
    for target in targets:
        assert mine[target] == pytest.approx(expected[target], abs=TOLERANCE), (target, evidence)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 20))
def test_a_batch_of_profiles_equals_one_query_per_profile(seed, size):
    rng = np.random.default_rng(seed)
    spec, params = random_network(rng, size, 4)
    engine = Engine(compile_network(spec, params))
    nodes = tuple(map(str, rng.choice(spec.keys, size=min(4, size), replace=False)))
    readings = rng.choice([np.nan, 0.0, 1.0, 0.3, 0.8], size=(12, len(nodes)))
    targets = spec.keys
    batch = engine.posteriors(targets, EvidenceBatch(nodes, readings))
    for row, answer in zip(readings, batch, strict=True):
        one = {n: float(q) for n, q in zip(nodes, row, strict=True) if not math.isnan(q)}
        assert answer == pytest.approx(engine.posteriors(targets, one)[0], abs=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 20), max_parents=st.integers(2, 5))
def test_a_batch_of_parameter_vectors_equals_the_networks_they_compile_to(seed, size, max_parents):
    """The tables as functions of the parameter vector equal the tables compiled from those values."""
    import dataclasses

    rng = np.random.default_rng(seed)
    spec, params = random_network(rng, size, max_parents)
    compiled = compile_network(spec, params)
    theta = compiled.space.sample(5, seed % 1000)
    evidence, do = _query(rng, spec.keys)
    batch = Engine(compiled).posteriors(spec.keys, evidence, do, theta=theta)
    for row, vector in zip(batch, theta, strict=True):
        values = dict(zip(zip(compiled.space.kinds, compiled.space.keys, strict=True), vector, strict=True))
        other = dataclasses.replace(
            params,
            strength_edges={k: values[("edge", k)] for k in params.strength_edges},
            leak_nodes={k: values[("leak", k)] for k in params.leak_nodes},
            base_rate_nodes={k: values[("base_rate", k)] for k in params.base_rate_nodes})
        expected = Engine(compile_network(spec, other)).posteriors(spec.keys, evidence, do)[0]
        assert row == pytest.approx(expected, abs=1e-12)


def test_grouped_parents_leave_every_marginal_unchanged():
    """The same random network with max_parents 2 (many auxiliary nodes) and 16 (none)."""
    import dataclasses

    rng = np.random.default_rng(11)
    spec, params = random_network(rng, 24, 16)
    flat = compile_network(spec, params)
    grouped = compile_network(spec, dataclasses.replace(params, max_parents=2))
    assert grouped.auxiliary and not flat.auxiliary
    evidence = {spec.keys[-1]: 1.0, spec.keys[3]: 0.3}
    assert Engine(grouped).posteriors(spec.keys, evidence) == pytest.approx(
        Engine(flat).posteriors(spec.keys, evidence), abs=1e-12)


# --- the required-parent pattern, by hand -----------------------------------------------------------

def test_a_required_parent_by_hand():
    """X has promoter A (strength 0.5) and required parent R (strength 0.8), leak 0.2; P(A) = P(R) = 0.5.
    P(X=1 | A, R) = [1 - 0.8 * 0.5^A] * (R ? 1 : 0.2):  A0R0 0.04, A1R0 0.12, A0R1 0.2, A1R1 0.6.
    Prior: 0.25 * (0.04 + 0.12 + 0.2 + 0.6) = 0.24; R observed absent: 0.5 * (0.04 + 0.12) = 0.08;
    X observed present: P(R=1 | X=1) = (0.2 + 0.6) / (0.04 + 0.12 + 0.2 + 0.6) = 0.8 / 0.96."""
    from exoreason.model import Parameters, load_parameters
    from exoreason.network import Edge, Finding, NetworkSpec, Node

    f = Finding("f", "f", "s", "q", ("ECO:0000304",), (1,), (), ())
    spec = NetworkSpec([Node("A", "a", "A", "cargo"), Node("R", "r", "R", "cargo"), Node("X", "x", "X", "process")],
                       [Edge("A", "X", "+", (f,)), Edge("R", "X", "!", (f,))])
    base = load_parameters()
    params = Parameters(base.kinds, 0.5, base.certainty, {"gene_effect": 0.2, "process": 0.2, "outcome": 0.2},
                        {}, 0.5, {}, {"A->X": 0.5, "R->X": 0.8}, 6)
    engine = Engine(compile_network(spec, params))
    assert engine.posterior_dict(["X"])["X"] == pytest.approx(0.24, abs=1e-12)
    assert engine.posterior_dict(["X"], {"R": 0.0})["X"] == pytest.approx(0.08, abs=1e-12)
    assert engine.posterior_dict(["R"], {"X": 1.0})["R"] == pytest.approx(0.8 / 0.96, abs=1e-12)


# --- the boundary: one error for each kind of bad evidence, in every command ----------------------

def test_unknown_node_reading_out_of_range_and_nan_are_errors(reasoner):
    engine = reasoner.engine
    with pytest.raises(InferenceError, match="unknown node 'metastasys'; closest: metastasis"):
        engine.posteriors(["EMT"], {"metastasys": 1.0})
    for bad in (1.5, -3.0, float("nan")):
        with pytest.raises(InferenceError, match="must be a probability in"):
            engine.posteriors(["EMT"], {"hsa_miR_155_5p": bad})
    with pytest.raises(InferenceError, match="both observed and intervened"):
        engine.posteriors(["EMT"], {"EMT": 1.0}, {"EMT": False})


def test_evidence_of_probability_zero_names_the_evidence(tmp_path):
    config = tmp_path / "zero.toml"
    config.write_text("[base_rate.nodes]\nhsa_miR_155_5p = 0.0\n")
    from exoreason.inference import Reasoner

    reasoner = Reasoner.from_files(config=config)
    with pytest.raises(ImpossibleEvidence, match="probability zero.*hsa_miR_155_5p=true"):
        reasoner.infer({"hsa_miR_155_5p": 1.0})
    # Observed absent, it is certain and fine; a soft reading of it is fine too (the factor only
    # reweights a state of probability zero).
    assert reasoner.infer({"hsa_miR_155_5p": 0.0}).outcome("chemoresistance").posterior > 0


@pytest.mark.parametrize("command", [
    ["infer", "--cargo", "miR-155"],
    ["infer", "--cargo", "miR-155", "--format", "json"],
    ["explain", "--cargo", "miR-155", "--outcome", "chemoresistance"],
    ["sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistance"],
    ["suggest", "--cargo", "miR-155", "--target", "metastasis"],
    ["infer", "--cargo", "miR-155", "--intervals", "--samples", "50"],
])
def test_a_cargo_with_base_rate_zero_observed_present_is_one_error_in_every_command_regression(tmp_path, command):
    """It gave 0.456 (pgmpy), NaN in the profiles CSV and a bare NaN in JSON."""
    config = tmp_path / "zero.toml"
    config.write_text("[base_rate.nodes]\nhsa_miR_155_5p = 0.0\n")
    done = run_cli(*command, "--config", str(config))
    assert_one_line_error(done, 2, "probability zero", "hsa_miR_155_5p")
    assert "NaN" not in done.stdout


def test_profiles_with_an_impossible_row_name_its_line_and_leave_no_output_regression(tmp_path):
    config = tmp_path / "zero.toml"
    config.write_text("[base_rate.nodes]\nhsa_miR_155_5p = 0.0\n")
    profiles = tmp_path / "p.csv"
    profiles.write_text("id,miR-155\ns1,false\ns2,true\n")
    out = tmp_path / "out.csv"
    done = run_cli("infer", "--profiles", str(profiles), "--config", str(config), "--output", str(out))
    assert_one_line_error(done, 2, "line 3", "'s2'", "probability zero")
    assert not out.exists()


@pytest.mark.parametrize(("reading", "needle"), [("1.5", "1.5"), ("-3", "-3")])
def test_a_reading_outside_zero_one_is_refused_everywhere_regression(tmp_path, reading, needle):
    """1.5 gave NaN and -3 a plausible wrong number."""
    assert_one_line_error(run_cli("infer", "--cargo", f"miR-155:{reading}"), 2, needle)
    profiles = tmp_path / "p.csv"
    profiles.write_text(f"id,miR-155\ns1,{reading}\n")
    assert_one_line_error(run_cli("infer", "--profiles", str(profiles)), 2, "line 2", needle)
    assert_one_line_error(run_cli("infer", "--observe", f"EMT={reading}"), 2, needle)


def test_evidence_on_a_non_root_node_is_answered_regression(reasoner):
    """Evidence on a non-root node gave a raw ValueError."""
    result = reasoner.infer({"EMT": 1.0, "hsa_miR_155_5p": 1.0})
    emt = result.outcome("EMT")
    assert emt.posterior == 1.0
    expected = pgmpy_marginals(reasoner.compiled, reasoner.outcome_keys, {"EMT": 1.0, "hsa_miR_155_5p": 1.0})
    for outcome in result.outcomes:
        assert outcome.posterior == pytest.approx(expected[outcome.key], abs=TOLERANCE)
    done = run_cli("infer", "--cargo", "miR-155", "--observe", "EMT=true", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["evidence"]["EMT"] is True


def test_observing_and_intervening_on_one_node_is_refused_regression():
    """`--cargo miR-155 --do hsa_miR_155_5p=false` was silently accepted."""
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155", "--do", "hsa_miR_155_5p=false"), 2,
                          "hsa_miR_155_5p is both observed and intervened on")
    assert_one_line_error(run_cli("infer", "--observe", "EMT=true", "--do", "EMT=false"), 2,
                          "EMT is both observed and intervened on")


def test_do_on_an_outcome_is_answered_regression():
    """`infer --cargo miR-21 --do metastasis=false` was an internal error."""
    done = run_cli("infer", "--cargo", "miR-21", "--do", "metastasis=false", "--format", "json")
    assert done.returncode == 0, done.stderr
    outcomes = {o["key"]: o for o in json.loads(done.stdout)["outcomes"]}
    assert outcomes["metastasis"]["do_posterior"] == 0.0
    assert outcomes["metastasis"]["posterior"] > 0.0


def test_do_on_every_process_and_outcome_node_of_the_shipped_network(reasoner):
    evidence = {"hsa_miR_21_5p": 1.0}
    for key in reasoner.outcome_keys:
        for value in (False, True):
            result = reasoner.infer(evidence, do={key: value}, explain=False)
            answered = {o.key: o.do_posterior for o in result.outcomes}
            assert answered[key] == (1.0 if value else 0.0)
            expected = pgmpy_marginals(reasoner.compiled, reasoner.outcome_keys, evidence, {key: value})
            for other, posterior in answered.items():
                assert posterior == pytest.approx(expected[other], abs=TOLERANCE), (key, value, other)


def test_soft_evidence_and_interventions_combine(reasoner):
    evidence = {"hsa_miR_155_5p": 0.8, "EMT": 0.3}
    do = {"angiogenesis": True}
    mine = reasoner.marginals(evidence, reasoner.outcome_keys, do)
    expected = pgmpy_marginals(reasoner.compiled, reasoner.outcome_keys, evidence, do)
    assert mine == pytest.approx(expected, abs=TOLERANCE)


def test_no_answer_is_ever_nan(reasoner):
    rng = np.random.default_rng(3)
    nodes = tuple(reasoner.spec.keys)
    readings = rng.choice([np.nan, np.nan, 0.0, 1.0, 0.5, 0.99], size=(200, len(nodes)))
    try:
        answers = reasoner.engine.posteriors(reasoner.outcome_keys, EvidenceBatch(nodes, readings))
    except ImpossibleEvidence as exc:  # hard evidence on every node can be contradictory
        assert exc.rows
        keep = np.ones(len(readings), dtype=bool)
        keep[exc.rows[0]:] = False
        answers = reasoner.engine.posteriors(reasoner.outcome_keys, EvidenceBatch(nodes, readings[keep]))
    assert np.all(np.isfinite(answers)) and np.all((answers >= 0) & (answers <= 1))
