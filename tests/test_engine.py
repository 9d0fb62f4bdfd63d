"""The exact engine against outside answers, its batch axes, its derivatives, and the checks at its
boundary.

Differential tests draw the network itself with hypothesis (tests/strategies.py: a DAG of up to 30
nodes, leaky noisy-OR with inhibitors and required parents, parents grouped beyond a drawn
``max_parents``, random evidence, hard and soft, on any node, and random interventions), so a
failure shrinks to a small network, and compare the engine's one pass with pgmpy's variable
elimination on the mutilated network (to 1e-9), with pgmpy's CausalInference on the questions it
answers, and with pyAgrum's lazy propagation on the network exported as XMLBIF. Derivatives are
compared with central finite differences.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from exoreason.engine import Engine, EvidenceBatch, FamilyCounts, ImpossibleEvidence
from exoreason.errors import InferenceError
from exoreason.export import network_text
from exoreason.model import compile_network

from .conftest import assert_one_line_error, run_cli
from .oracle import (
    layered_network,
    pgmpy_causal,
    pgmpy_marginals,
    pyagrum_marginals,
    random_network,
)
from .strategies import networks, queries

TOLERANCE = 1e-9


@settings(max_examples=300, deadline=None, derandomize=True)
@given(data=st.data(), network=networks())
def test_engine_equals_pgmpy_variable_elimination(data, network):
    spec, params = network
    compiled = compile_network(spec, params)
    evidence, do = data.draw(queries(spec.keys))
    targets = data.draw(st.lists(st.sampled_from(spec.keys), min_size=1, max_size=6, unique=True))
    targets = sorted({*targets, *evidence, *do})
    engine = Engine(compiled)
    mine = engine.posterior_dict(targets, evidence, do)
    event(f"passes: {len(engine._chosen[next(iter(engine._chosen))])}" if engine._chosen else "passes: none")
    expected = pgmpy_marginals(compiled, targets, evidence, do)
    for target in targets:
        assert mine[target] == pytest.approx(expected[target], abs=TOLERANCE), (target, evidence, do)


@st.composite
def causal_questions(draw):
    """The questions pgmpy 1.1's CausalInference answers as asked: one intervention, hard evidence
    only on the intervened node's parents (its adjustment set), a target that is not an ancestor of
    the intervened node (it refuses those: CausalInference.py, "Invalid causal query"). Outside that, its query conditions
    on the intervention and the adjustment set but drops the rest of the evidence (CausalInference.py,
    "Step 4.2"), so it answers P(y | do(x), z) instead of P(y | do(x), e); the mutilated network,
    Pearl's definition, is what the variable-elimination test compares against."""
    spec, params = draw(networks(max_size=14, max_parents=(2, 5)))
    compiled = compile_network(spec, params)
    node = draw(st.sampled_from([k for k in spec.keys if len(compiled.ancestors(k) & set(spec.keys)) < len(spec.keys)]))
    parents = [p for p in compiled.families[node].parents if p not in compiled.auxiliary]
    observed = draw(st.lists(st.sampled_from(parents), unique=True)) if parents else []
    evidence = {p: draw(st.sampled_from([0.0, 1.0])) for p in observed}
    above = compiled.ancestors(node)
    target = draw(st.sampled_from([k for k in spec.keys if k not in above and k not in evidence]))
    return compiled, target, evidence, {node: draw(st.booleans())}


@settings(max_examples=60, deadline=None, derandomize=True)
@given(question=causal_questions())
def test_engine_equals_pgmpy_causal_inference_where_it_answers(question):
    compiled, target, evidence, do = question
    expected = pgmpy_causal(compiled, target, {k: v == 1.0 for k, v in evidence.items()}, do)
    assert expected is not None, "CausalInference did not answer a question of the kind it answers"
    event(f"evidence on {len(evidence)} parents")
    assert Engine(compiled).posterior_dict([target], evidence, do)[target] == pytest.approx(expected, abs=TOLERANCE)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), network=networks())
def test_engine_equals_pyagrum_through_xmlbif(data, network):
    spec, params = network
    compiled = compile_network(spec, params)
    evidence, _ = data.draw(queries(spec.keys, max_do=0))
    targets = [k for k in spec.keys if k not in evidence]
    if not targets:
        return
    mine = Engine(compiled).posterior_dict(targets, evidence)
    expected = pyagrum_marginals(network_text(compiled.to_pgmpy(), "xmlbif"), targets, evidence)
    for target in targets:
        assert mine[target] == pytest.approx(expected[target], abs=TOLERANCE), (target, evidence)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), network=networks(max_size=20, max_parents=(4, 4)))
def test_a_batch_of_profiles_equals_one_query_per_profile(data, network):
    spec, params = network
    engine = Engine(compile_network(spec, params))
    nodes = tuple(data.draw(st.lists(st.sampled_from(spec.keys), min_size=1, max_size=4, unique=True)))
    cell = st.sampled_from([np.nan, 0.0, 1.0, 0.3, 0.8])
    readings = np.array(data.draw(st.lists(st.lists(cell, min_size=len(nodes), max_size=len(nodes)),
                                           min_size=1, max_size=12)))
    targets = spec.keys
    batch = engine.posteriors(targets, EvidenceBatch(nodes, readings))
    for row, answer in zip(readings, batch, strict=True):
        one = {n: float(q) for n, q in zip(nodes, row, strict=True) if not math.isnan(q)}
        assert answer == pytest.approx(engine.posteriors(targets, one)[0], abs=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(data=st.data(), network=networks(max_size=20, max_parents=(2, 5)))
def test_a_batch_of_parameter_vectors_equals_the_networks_they_compile_to(data, network):
    """The tables as functions of the parameter vector equal the tables compiled from those values."""
    import dataclasses

    spec, params = network
    compiled = compile_network(spec, params)
    theta = compiled.space.sample(5, data.draw(st.integers(0, 999)))
    evidence, do = data.draw(queries(spec.keys))
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


# --- derivatives ----------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None, derandomize=True)
@given(data=st.data(), network=networks(max_size=16, max_parents=(2, 5)))
def test_derivatives_equal_central_finite_differences(data, network):
    spec, params = network
    compiled = compile_network(spec, params)
    evidence, do = data.draw(queries(spec.keys))
    targets = data.draw(st.lists(st.sampled_from(spec.keys), min_size=1, max_size=3, unique=True))
    engine = Engine(compiled)
    posterior, derivative = engine.derivatives(targets, evidence, do)
    assert posterior == pytest.approx(engine.posteriors(targets, evidence, do)[0], abs=1e-12)
    means = compiled.space.means
    h = 1e-6
    eye = np.eye(len(means))
    up = engine.posteriors(targets, evidence, do, theta=means[None, :] + h * eye)
    down = engine.posteriors(targets, evidence, do, theta=means[None, :] - h * eye)
    assert derivative == pytest.approx(((up - down) / (2 * h)).T, abs=1e-6)


def test_derivatives_of_an_intervened_target_are_zero(reasoner):
    posterior, derivative = reasoner.engine.derivatives(["EMT", "metastasis"], {"hsa_miR_21_5p": 1.0}, {"EMT": True})
    assert posterior[0] == 1.0 and not derivative[0].any()
    assert derivative[1].any()


# --- plans, budget and the approximate method ------------------------------------------------------

_PLAN_DIGEST = """
import hashlib, numpy as np
from exoreason.engine import Engine, EvidenceBatch
from exoreason.inference import Reasoner
r = Reasoner.from_files()
cargo = [n.key for n in r.spec.nodes if n.kind == "cargo"]
nodes = tuple(cargo + r.outcome_keys)
rows = np.random.default_rng(0).choice([np.nan, 0.0, 1.0], size=(50, len(nodes)))
answers = r.engine.posteriors(r.outcome_keys, EvidenceBatch(nodes, rows))
layout = [p.layout for p in r.engine._plans.values()]
print(hashlib.sha256(repr((layout, answers.round(15).tolist())).encode()).hexdigest())
"""


def test_plans_and_answers_do_not_depend_on_the_hash_seed():
    """The same batch planned in processes with different hash seeds: the same steps, the same
    answers (opt_einsum's planner, iterating over sets of symbols, made 5,000 rows take 1.6-5.5 s
    and 0.8-1.9 GB by the seed alone)."""
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", _PLAN_DIGEST], capture_output=True, text=True, env=env,
                              check=True)
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_chunks_within_a_small_budget_give_the_same_answers(reasoner):
    # cargo and tumour states: any combination of them is possible (a gene effect has leak 0)
    nodes = tuple(n.key for n in reasoner.spec.nodes if n.kind in ("cargo", "state"))[:6]
    rows = np.random.default_rng(5).choice([np.nan, 0.0, 1.0], size=(40, len(nodes)))
    batch = EvidenceBatch(nodes, rows)
    small = Engine(reasoner.compiled, memory_budget=1 << 20)
    from exoreason.engine import _slicing

    plan = small._passes(tuple(reasoner.outcome_keys), nodes, (), _slicing(batch, {}), False)[0][2]
    assert small._rows_per_chunk(plan) < len(rows)
    assert small.posteriors(reasoner.outcome_keys, batch) == pytest.approx(
        reasoner.engine.posteriors(reasoner.outcome_keys, batch), abs=1e-12)
    assert small.last_method == "exact"


def test_beyond_the_budget_importance_sampling_answers_and_says_so(reasoner):
    evidence = {"hsa_miR_21_5p": 1.0, "metastasis": 1.0}
    exact = reasoner.engine.posteriors(reasoner.outcome_keys, evidence)[0]
    tight = Engine(reasoner.compiled, memory_budget=4096)
    approximate = tight.posteriors(reasoner.outcome_keys, evidence)[0]
    assert "importance sampling" in tight.last_method and "budget" in tight.last_method
    assert np.abs(approximate - exact).max() < 0.02
    assert np.abs(approximate - exact).max() > 0  # not the exact answer under another name


def test_an_e_step_beyond_the_budget_is_sampled_and_says_so(reasoner):
    nodes = ("hsa_miR_21_5p", "hsa_miR_155_5p", "metastasis", "chemoresistance")
    rows = np.random.default_rng(2).choice([np.nan, 0.0, 1.0], size=(40, len(nodes)))
    batch = EvidenceBatch(nodes, rows)
    exact = reasoner.engine.expected_counts(batch)
    sampled = Engine(reasoner.compiled, memory_budget=4096).expected_counts(batch)
    assert exact.method == "exact" and "importance sampling" in sampled.method and "budget" in sampled.method
    assert set(sampled.counts) == set(exact.counts)
    worst = max(float(np.abs(sampled.counts[n] - exact.counts[n]).max()) for n in exact.counts)
    assert 0 < worst / len(rows) < 0.03
    assert sampled.log_likelihood == pytest.approx(exact.log_likelihood, rel=0.01)


def test_family_posteriors_beyond_the_budget_are_sampled_and_say_so(reasoner):
    nodes = ("hsa_miR_21_5p", "hsa_miR_155_5p", "metastasis")
    rows = np.random.default_rng(3).choice([np.nan, 0.0, 1.0], size=(30, len(nodes)))
    batch = EvidenceBatch(nodes, rows)
    wanted = ["EMT", "metastasis"]
    exact = reasoner.engine.family_posteriors(wanted, batch)
    assert reasoner.engine.last_method == "exact"
    tight = Engine(reasoner.compiled, memory_budget=4096)
    sampled = tight.family_posteriors(wanted, batch)
    assert "importance sampling" in tight.last_method and "budget" in tight.last_method
    for node in wanted:
        assert sampled[node].shape == exact[node].shape
        assert sampled[node].reshape(len(rows), -1).sum(axis=1) == pytest.approx(np.ones(len(rows)))
        assert 0 < np.abs(sampled[node] - exact[node]).max() < 0.05


def test_a_bad_memory_budget_is_one_error(monkeypatch):
    monkeypatch.setenv("EXOREASON_MEMORY_MB", "lots")
    assert_one_line_error(run_cli("infer", "--cargo", "miR-155"), 2, "EXOREASON_MEMORY_MB", "'lots'")


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


def test_soft_evidence_on_an_asked_node_counts_once_in_passes_over_parts_regression(monkeypatch):
    """A node both observed (a soft reading) and asked, answered by passes over parts of the
    network: its evidence factor was applied twice in the part holding it (squaring the reading's
    likelihood), moving the other targets of that part (hypothesis found it on a 93-node network)."""
    from exoreason import engine as engine_module

    compiled = compile_network(*random_network(np.random.default_rng(0), 40, 4))
    keys = [n.key for n in compiled.spec.nodes]
    cargo = [n.key for n in compiled.spec.nodes if n.kind == "cargo"]
    evidence = {cargo[0]: 0.8, **({cargo[1]: 0.0} if len(cargo) > 1 else {})}
    whole = Engine(compiled).posteriors(keys, evidence)[0]
    expected = pgmpy_marginals(compiled, keys, evidence, {})
    assert whole == pytest.approx([expected[k] for k in keys], abs=TOLERANCE)
    monkeypatch.setattr(engine_module, "_SPLIT_FROM", 0)  # parts whenever they cost less
    split = Engine(compiled)
    assert split.posteriors(keys, evidence)[0] == pytest.approx(whole, abs=1e-12)
    assert len(next(iter(split._chosen.values()))) > 1  # answered by passes over parts


def test_a_row_the_sampler_rarely_meets_is_drawn_again_not_called_impossible_regression(reasoner):
    """The sampled E-step called evidence impossible when none of a row's samples had weight (a
    random 150-node network, 2,000 samples a row); such rows are drawn again with more samples."""
    from exoreason.engine import approximate_counts

    compiled = reasoner.compiled
    nodes = ("hsa_miR_21_5p", "metastasis", "chemoresistance", "recurrence")
    rows = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0]] * 4)
    batch = EvidenceBatch(nodes, rows)
    tables = {n: t.p_true for n, t in compiled.tables.items()}
    sampled = approximate_counts(compiled, tables, batch, np.ones(len(rows)), samples=1)
    exact = reasoner.engine.expected_counts(batch)
    assert sampled.log_likelihood == pytest.approx(exact.log_likelihood, rel=0.2)
    for node, counts in exact.counts.items():
        assert sampled.counts[node].sum() == pytest.approx(counts.sum())


def _unsliced(monkeypatch: pytest.MonkeyPatch, batch: EvidenceBatch) -> EvidenceBatch:
    """The batch and one row observing nothing, answered in one pass (no groups): no node is then
    observed in every row, so nothing is sliced out (the reference sliced passes must agree with)."""
    monkeypatch.setattr(Engine, "_groups", staticmethod(lambda batch: None))
    return EvidenceBatch(batch.nodes, np.vstack([batch.readings, np.full((1, len(batch.nodes)), np.nan)]))


def test_nodes_observed_hard_in_every_row_are_sliced_out_with_the_same_answers(monkeypatch):
    rng = np.random.default_rng(11)
    compiled = compile_network(*random_network(rng, 24, 4))
    keys = [n.key for n in compiled.spec.nodes]
    leaves = [k for k in keys if not any(e.parent == k for e in compiled.spec.edges)]
    observed = tuple(dict.fromkeys((keys[0], keys[1], *leaves[-3:])))
    readings = rng.choice([0.0, 1.0], size=(80, len(observed)))  # from 64 rows, evidence is always sliced
    readings[:, 1] = 1.0  # the same value in every row
    engine = Engine(compiled)
    batch = EvidenceBatch(observed, readings)
    weights = np.append(rng.uniform(0.5, 2.0, len(readings)), 0.0)
    sliced = engine.expected_counts(batch, weights[:-1])
    likelihood = engine.log_likelihood(batch)
    families = engine.family_posteriors(keys[-4:], batch)
    posteriors = engine.posteriors(keys, batch)
    assert engine.posteriors([observed[0]], batch)[:, 0] == pytest.approx(readings[:, 0])  # its reading

    reference = _unsliced(monkeypatch, batch)
    whole = engine.expected_counts(reference, weights)
    assert sliced.method == whole.method == "exact"
    assert set(sliced.counts) == set(whole.counts)
    for node, table in whole.counts.items():
        assert sliced.counts[node] == pytest.approx(table, abs=1e-9), node
    assert sliced.log_likelihood == pytest.approx(whole.log_likelihood, abs=1e-9)
    assert likelihood == pytest.approx(engine.log_likelihood(reference)[:-1], abs=1e-12)
    expected = engine.family_posteriors(keys[-4:], reference)
    for node in keys[-4:]:
        assert families[node] == pytest.approx(expected[node][:-1], abs=1e-12)
    assert posteriors == pytest.approx(engine.posteriors(keys, reference)[:-1], abs=1e-12)


def _layered_cohort(rows: int) -> tuple[Engine, tuple[str, ...], np.ndarray]:
    compiled = layered_network(np.random.default_rng(3), cargo=80, processes=80, outcomes=10)
    cargo = [n.key for n in compiled.spec.nodes if n.kind == "cargo"]
    outcomes = [n.key for n in compiled.spec.nodes if n.kind == "outcome"]
    observed = (*cargo, *outcomes)
    readings = np.random.default_rng(4).choice([0.0, 1.0], size=(rows, len(observed)))
    return Engine(compiled, memory_budget=64 << 20), observed, readings  # the whole network's pass: 33 GiB a row


def test_an_e_step_observing_every_cargo_and_outcome_stays_exact_where_the_whole_network_is_too_wide(monkeypatch):
    """A cohort observes its cargo and outcomes in every row: those nodes are sliced out of the
    pass, leaving the processes between them; over the whole network the pass would exceed the
    budget (as at 300 nodes and more of bench/bench_growth.py's shape, where the E-step was sampled)."""
    engine, observed, readings = _layered_cohort(500)
    batch = EvidenceBatch(observed, readings)
    counts = engine.expected_counts(batch)
    assert counts.method == "exact"
    for j, node in enumerate(observed):  # an observed node's count of true is its rows observed true
        table = counts.counts[node]
        assert table[..., 1].sum() == pytest.approx(readings[:, j].sum(), abs=1e-9)
        assert table.sum() == pytest.approx(len(readings), abs=1e-9)
    # a process's expected count agrees with its posteriors, row by row, from the same engine
    process = next(k for k in engine.compiled.families if k.startswith("p"))
    assert counts.counts[process][..., 1].sum() == pytest.approx(
        engine.posteriors([process], batch)[:, 0].sum(), abs=1e-8)
    assert "importance sampling" in engine.expected_counts(_unsliced(monkeypatch, batch)).method


def test_rows_measured_on_different_panels_are_answered_by_a_pass_each(monkeypatch):
    """Half the rows observe one half of the cargo, the other half the other (two panels): each
    group's pass slices its own cargo out and stays exact; one pass over every row could slice
    none of them and would be sampled."""
    engine, observed, readings = _layered_cohort(400)
    readings[:200, :40] = np.nan
    readings[200:, 40:80] = np.nan
    batch = EvidenceBatch(observed, readings)
    first, second = (EvidenceBatch(observed, readings[rows]) for rows in (slice(0, 200), slice(200, 400)))
    counts = engine.expected_counts(batch)
    assert counts.method == "exact"
    families = engine.family_posteriors(list(counts.counts), batch)
    assert engine.last_method == "exact"
    for node, table in counts.counts.items():
        assert table == pytest.approx(families[node].sum(axis=0), abs=1e-9), node
    assert counts.log_likelihood == pytest.approx(
        (engine.expected_counts(first) + engine.expected_counts(second)).log_likelihood, abs=1e-9)
    assert engine.log_likelihood(batch) == pytest.approx(
        np.concatenate([engine.log_likelihood(first), engine.log_likelihood(second)]), abs=1e-12)
    outcomes = [k for k in observed if k.startswith("o")]
    cargo_only = EvidenceBatch(observed[:80], readings[:, :80])
    answers = engine.posteriors(outcomes, cargo_only)
    assert engine.last_method == "exact"
    assert answers[150:250] == pytest.approx(engine.posteriors(
        outcomes, EvidenceBatch(observed[:80], readings[150:250, :80])), abs=1e-12)
    monkeypatch.setattr(Engine, "_groups", staticmethod(lambda batch: None))  # one pass over every row
    assert "importance sampling" in engine.expected_counts(batch).method


def test_evidence_of_probability_zero_in_a_later_group_names_its_rows_in_the_whole_batch(tmp_path):
    config = tmp_path / "zero.toml"
    config.write_text("[base_rate.nodes]\nhsa_miR_155_5p = 0.0\n")
    from exoreason.inference import Reasoner

    engine = Reasoner.from_files(config=config).engine
    readings = np.array([[0.0, np.nan], [np.nan, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, np.nan]] * 14)
    batch = EvidenceBatch(("hsa_miR_155_5p", "hsa_miR_21_5p"), readings)  # 70 rows: grouped
    with pytest.raises(ImpossibleEvidence, match="hsa_miR_155_5p=true") as caught:
        engine.posteriors(["metastasis"], batch)
    assert caught.value.rows == [int(r) for r in np.flatnonzero(readings[:, 0] == 1.0)]
    assert caught.value.rows[:2] == [2, 4]


def test_grouped_e_step_counts_every_family_in_every_group_regression():
    """Rows grouped by what they observe hard: a group observing none of a family's descendants
    left that family's rows out of its counts (a family is counted if some row of the batch
    reaches it; such rows add its posterior given their evidence). Counts equal the weighted sum
    of the per-row family posteriors."""
    compiled = compile_network(*random_network(np.random.default_rng(2), 10, 3))
    keys = [n.key for n in compiled.spec.nodes]
    observed = (keys[0], keys[-1])
    readings = np.array([[1.0, np.nan], [0.0, np.nan], [np.nan, 1.0], [1.0, 0.0], [0.0, 1.0]] * 14)
    batch = EvidenceBatch(observed, readings)  # 70 rows: grouped
    engine = Engine(compiled)
    weights = np.tile([1.0, 2.0, 0.5, 1.5, 3.0], 14)
    counts = engine.expected_counts(batch, weights)
    families = engine.family_posteriors(list(counts.counts), batch)
    for node, table in counts.counts.items():
        assert table == pytest.approx(np.tensordot(weights, families[node], axes=1), abs=1e-12), node


def test_single_queries_on_a_narrow_network_share_one_plan_regression(reasoner):
    """Slicing each query's hard evidence out made a plan per evidence set: 20 single queries on
    the shipped network took 1.6-1.8x pyAgrum's time (bench/bench_engine.py, plans made in the
    run) instead of 0.4x. On a narrow network a few rows keep their evidence as factors, and
    every query asking the same nodes reuses one plan."""
    engine = Engine(reasoner.compiled)
    keys = list(reasoner.compiled.order)
    cargo = [n.key for n in reasoner.spec.nodes if n.kind == "cargo"]
    before = set(engine._plans)  # plans are shared by engines on one structure
    for k in range(6):
        engine.posteriors(keys, {cargo[k]: 1.0, cargo[k + 6]: 0.0})
    assert len(set(engine._plans) - before) <= 1


def test_a_few_rows_on_a_wide_network_are_still_sliced_regression(monkeypatch):
    """Slicing for fewer than 64 rows was decided by the treewidth's lower bound alone; where the
    bound is weak (on a random 150-node network, 20 profiles observing every cargo) the evidence
    stayed as factors and each row took 0.17 s instead of 0.002 s. The pass keeping the evidence
    as factors is now planned, given up at 1 MiB, when the bound does not settle it."""
    from exoreason import engine as engine_module

    monkeypatch.setattr(engine_module, "_width_at_least", lambda scopes: 0)  # a bound that settles nothing
    engine, observed, readings = _layered_cohort(20)
    counts = engine.expected_counts(EvidenceBatch(observed, readings))
    assert counts.method == "exact"  # the whole network's pass, evidence as factors: 33 GiB a row
    outcomes = [k for k in observed if k.startswith("o")]
    engine.posteriors(outcomes, EvidenceBatch(observed[:80], readings[:, :80]))
    assert engine.last_method == "exact"


def test_complete_rows_are_answered_exactly_beside_rows_missing_values_here_and_there(monkeypatch):
    """A cohort whose rows are mostly complete, each other row missing values of its own: the
    complete rows are one group, sliced and exact; only the others (one pass, which can slice
    only the cargo all of them observe) are sampled, and the method says how many rows were."""
    engine, observed, readings = _layered_cohort(400)
    rng = np.random.default_rng(9)
    gaps = rng.choice(400, size=20, replace=False)
    for row in gaps:  # 20 rows, each missing 8 cargo of its own: together they miss most cargo
        readings[row, rng.choice(80, size=8, replace=False)] = np.nan
    batch = EvidenceBatch(observed, readings)
    counts = engine.expected_counts(batch)
    assert "importance sampling" in counts.method and "20 rows" in counts.method
    complete = np.setdiff1d(np.arange(400), gaps)
    exact = engine.expected_counts(EvidenceBatch(observed, readings[complete]))
    assert exact.method == "exact"
    for j, node in enumerate(observed):  # every row observes its outcomes: their counts are exact
        if node.startswith("o"):
            assert counts.counts[node][..., 1].sum() == pytest.approx(readings[:, j].sum(), abs=1e-6)
    likelihood = engine.log_likelihood(EvidenceBatch(observed, readings[complete]))
    assert exact.log_likelihood == pytest.approx(likelihood.sum(), abs=1e-8)


def _per_row_counts(engine: Engine, batch: EvidenceBatch) -> dict[str, np.ndarray]:
    """Every family's posteriors row by row, summed: each row alone slices out every node it
    observes hard (exact)."""
    nodes = list(engine.compiled.families)
    total = {n: np.zeros([2] * (len(engine.compiled.families[n].parents) + 1)) for n in nodes}
    for r in range(len(batch)):
        found = engine.family_posteriors(nodes, EvidenceBatch(batch.nodes, batch.readings[r:r + 1]))
        assert engine.last_method == "exact"
        for node in nodes:
            total[node] += found[node][0]
    return total


def test_an_e_step_over_the_budget_completes_each_rows_few_missing_values_exactly():
    """Rows each missing a few values of their own make one pass as wide as the network; each
    row is completed with every assignment of its missing values instead (3 missing: 8 rows), whose
    pass slices every column out: exact, the same counts as the rows taken one by one."""
    engine, observed, readings = _layered_cohort(130)
    rng = np.random.default_rng(12)
    for row in range(60):  # together they miss nearly every cargo
        readings[row, rng.choice(80, size=4, replace=False)] = np.nan
    batch = EvidenceBatch(observed, readings)
    counts = engine.expected_counts(batch)
    assert counts.method == "exact"
    reference = _per_row_counts(engine, batch)
    for node, table in counts.counts.items():
        assert table == pytest.approx(reference[node], abs=1e-8), node
    assert counts.log_likelihood == pytest.approx(
        sum(engine.log_likelihood(EvidenceBatch(observed, readings[r:r + 1]))[0] for r in range(130)), abs=1e-8)


def _zero_base_rate_engine(tmp_path):
    config = tmp_path / "zero.toml"
    config.write_text("[base_rate.nodes]\nhsa_miR_155_5p = 0.0\n")
    from exoreason.inference import Reasoner

    return Reasoner.from_files(config=config).engine


def test_impossible_rows_in_every_chunk_of_rows_are_named_regression(tmp_path, monkeypatch):
    """Rows run in chunks (a small budget, or rows keeping much): the first chunk holding a row of
    probability zero raised, naming its rows only; every such row of the batch is named, in every
    method, however the rows are chunked."""
    from exoreason import engine as engine_module

    engine = _zero_base_rate_engine(tmp_path)
    readings = np.array([[0.0, np.nan], [np.nan, 1.0], [1.0, 1.0], [0.0, 0.0], [1.0, np.nan]] * 4)
    batch = EvidenceBatch(("hsa_miR_155_5p", "hsa_miR_21_5p"), readings)
    expected = [int(r) for r in np.flatnonzero(readings[:, 0] == 1.0)]
    monkeypatch.setattr(engine_module, "_WORKING", 1)  # chunks of one row
    monkeypatch.setattr(engine_module, "_STEP_WORKING", 1)
    for call in (lambda: engine.posteriors(["metastasis"], batch), lambda: engine.log_likelihood(batch),
                 lambda: engine.expected_counts(batch), lambda: engine.family_posteriors(["EMT"], batch)):
        with pytest.raises(ImpossibleEvidence, match="hsa_miR_155_5p=true, hsa_miR_21_5p=true") as caught:
            call()
        assert caught.value.rows == expected


def test_impossible_rows_in_every_pass_over_parts_are_named_regression(monkeypatch):
    """Passes over parts of the network each see the evidence of their part: the first pass to
    meet a row of probability zero raised, naming the rows impossible in its part only and
    describing a later row than the first (a cohort's error named a later line)."""
    from exoreason import engine as engine_module
    from exoreason.model import Parameters, load_parameters
    from exoreason.network import Edge, Finding, NetworkSpec, Node

    finding = Finding("f", "f", "s", "q", ("ECO:0000304",), (1,), (), ())
    kinds = {"x": "cargo", "y": "cargo", "a": "process", "b": "process", "t": "outcome", "a1": "outcome",
             "s": "outcome", "b1": "outcome"}
    nodes = [Node(k, f"https://example.org/{k}", k, kind) for k, kind in kinds.items()]
    edges = [Edge(p, c, "+", (finding,)) for p, c in
             (("a", "a1"), ("a", "t"), ("b", "b1"), ("b", "s"), ("x", "a"), ("y", "b"))]
    base = load_parameters()
    params = Parameters(  # a and a1 (b and b1) are true only through x (y): no leak
        kinds=base.kinds, other_cancer_weight=base.other_cancer_weight, certainty=base.certainty, leak=base.leak,
        leak_nodes={k: 0.3 if k in ("t", "s") else 0.0 for k, kind in kinds.items() if kind != "cargo"},
        base_rate=base.base_rate, base_rate_nodes={"x": 0.4, "y": 0.5},
        strength_edges={e.key: 0.7 for e in edges}, max_parents=4, source="test")
    compiled = compile_network(NetworkSpec(nodes, edges), params)
    batch = EvidenceBatch(("x", "a1", "y", "b1"), np.array([[1.0, 1.0, 0.0, 1.0],   # impossible in y's part
                                                            [0.0, 1.0, 1.0, 1.0],   # impossible in x's part
                                                            [1.0, 1.0, 1.0, 1.0]]))
    monkeypatch.setattr(engine_module, "_SPLIT_FROM", 0)  # parts whenever they cost less
    engine = Engine(compiled)
    with pytest.raises(ImpossibleEvidence, match="x=true, a1=true, y=false, b1=true") as caught:
        engine.posteriors(["t", "s"], batch)
    assert caught.value.rows == [0, 1]
    assert len(next(iter(engine._chosen.values()))) > 1  # answered by passes over parts


# --- sliced and grouped passes against the engine without them -----------------------------------

class _Unsliced(Engine):
    """The engine neither grouping rows nor slicing evidence (interventions are still sliced)."""

    @staticmethod
    def _groups(batch):
        return None

    def _worth_slicing(self, relevant, cut, rows, factors):
        return False


@st.composite
def _cases(draw):
    """A network (some leaks and base rates 0 or 1: evidence can be impossible), a batch of 1 to
    300 rows (hard evidence constant or varying, soft readings, NaN layouts making 1 to more than
    8 groups, large groups beside a scatter), interventions and targets (observed or intervened
    on too)."""
    import dataclasses

    spec, params = draw(networks(max_size=12, max_parents=(2, 5)))
    zero = draw(st.lists(st.sampled_from(spec.keys), max_size=2, unique=True))
    params = dataclasses.replace(
        params, leak_nodes={k: 0.0 if k in zero else v for k, v in params.leak_nodes.items()},
        base_rate_nodes={k: float(k[-1] in "02468") if k in zero else v for k, v in params.base_rate_nodes.items()})
    nodes = tuple(draw(st.lists(st.sampled_from(spec.keys), min_size=1, max_size=5, unique=True)))
    rows = draw(st.sampled_from([1, 2, 63, 64, 65, 130]))
    layout = draw(st.sampled_from(["constant", "varying", "mixed", "layouts", "large beside a scatter"]))
    rng = np.random.default_rng(draw(st.integers(0, 9999)))
    if layout == "constant":
        readings = np.tile(rng.choice([np.nan, 0.0, 1.0, 0.3], size=len(nodes)), (rows, 1))
    elif layout == "varying":
        readings = rng.choice([0.0, 1.0], size=(rows, len(nodes)))
    elif layout == "mixed":  # each column constant, varying hard, or anything
        readings = rng.choice([np.nan, 0.0, 1.0, 0.3, 0.8], size=(rows, len(nodes)))
        for j, kind in enumerate(rng.integers(0, 3, size=len(nodes))):
            readings[:, j] = rng.choice([0.0, 1.0]) if kind == 0 else \
                rng.choice([0.0, 1.0], size=rows) if kind == 1 else readings[:, j]
    elif layout == "layouts":  # 2 to 11 sets of hard nodes
        hard = rng.random((int(rng.integers(2, 12)), len(nodes))) < 0.5
        which = rng.integers(0, len(hard), size=rows)
        readings = np.where(hard[which], rng.choice([0.0, 1.0], size=(rows, len(nodes))),
                            rng.choice([np.nan, 0.4], size=(rows, len(nodes))))
    else:  # two large layouts, and rows missing a value here and there
        readings = rng.choice([0.0, 1.0], size=(300, len(nodes)))
        readings[150:, 0] = np.nan
        for row in rng.integers(0, 300, size=60):
            readings[row, rng.integers(0, len(nodes))] = rng.choice([np.nan, 0.6])
    free = [k for k in spec.keys if k not in nodes]
    do = {k: draw(st.booleans()) for k in draw(st.lists(st.sampled_from(free), max_size=2, unique=True))} \
        if free else {}
    targets = draw(st.lists(st.sampled_from(spec.keys), min_size=1, max_size=6))
    event(layout)
    return compile_network(spec, params), EvidenceBatch(nodes, readings), do, targets


def _answers(engine, batch, do, targets, weights):
    """Every method's answers, or the rows an ImpossibleEvidence named and its message."""
    out = {}
    for name, call in (("posteriors", lambda: engine.posteriors(targets, batch, do)),
                       ("likelihood", lambda: engine.log_likelihood(batch)),
                       ("counts", lambda: engine.expected_counts(batch, weights))):
        try:
            out[name] = call()
        except ImpossibleEvidence as exc:
            out[name] = (exc.rows, str(exc))
            event("impossible evidence")
    if isinstance(out["counts"], FamilyCounts):
        out["families"] = engine.family_posteriors(list(out["counts"].counts), batch)
    return out


def _assert_same_answers(found, expected):
    assert found.keys() == expected.keys()
    for name, mine in found.items():
        theirs = expected[name]
        if isinstance(theirs, tuple):
            assert mine == theirs, name  # the same rows named, the first described
        elif name == "counts":
            assert mine.method == theirs.method == "exact"
            assert mine.counts.keys() == theirs.counts.keys()  # every family the batch reaches
            for node, table in theirs.counts.items():
                assert mine.counts[node] == pytest.approx(table, abs=1e-9), node
            assert mine.log_likelihood == pytest.approx(theirs.log_likelihood, abs=1e-8)
        elif name == "families":
            for node, table in theirs.items():
                assert mine[node] == pytest.approx(table, abs=1e-10), node
                # counts are the weighted sum of the rows' family posteriors
                assert found["counts"].counts[node] == pytest.approx(
                    np.tensordot(found["weights"], mine[node], axes=1), abs=1e-9), node
        elif name != "weights":
            assert mine == pytest.approx(theirs, abs=1e-10), name


@settings(max_examples=300, deadline=None, derandomize=True)
@given(case=_cases())
def test_sliced_and_grouped_passes_equal_the_engine_without_them(case):
    """Hard evidence sliced out and rows grouped by their hard nodes: every method gives the
    answers of one pass keeping the evidence as factors, and names the same impossible rows."""
    compiled, batch, do, targets = case
    weights = np.random.default_rng(len(batch)).uniform(0.0, 2.0, len(batch))
    found = _answers(Engine(compiled), batch, do, targets, weights)
    event(f"groups: {len(Engine._groups(batch) or [])}")
    _assert_same_answers({**found, "weights": weights},
                         {**_answers(_Unsliced(compiled), batch, do, targets, weights), "weights": weights})


@settings(max_examples=120, deadline=None, derandomize=True)
@given(case=_cases(), split=st.sampled_from(["chunks of one row", "passes over parts", "both"]))
def test_sliced_passes_in_chunks_of_one_row_and_over_parts_equal_the_engine_without_them(case, split):
    from exoreason import engine as engine_module

    compiled, batch, do, targets = case
    weights = np.random.default_rng(len(batch)).uniform(0.0, 2.0, len(batch))
    expected = _answers(_Unsliced(compiled), batch, do, targets, weights)
    saved = engine_module._WORKING, engine_module._STEP_WORKING, engine_module._SPLIT_FROM
    try:
        if split != "passes over parts":
            engine_module._WORKING = engine_module._STEP_WORKING = 1
        if split != "chunks of one row":
            engine_module._SPLIT_FROM = 0  # parts, slicing and groups whenever they cost less
        found = _answers(Engine(compiled), batch, do, targets, weights)
    finally:
        engine_module._WORKING, engine_module._STEP_WORKING, engine_module._SPLIT_FROM = saved
    event(split)
    _assert_same_answers({**found, "weights": weights}, {**expected, "weights": weights})


@settings(max_examples=100, deadline=None, derandomize=True)
@given(case=_cases(), vectors=st.sampled_from(["one", "one a row", "many for one row"]))
def test_parameter_vectors_and_derivatives_with_sliced_evidence_equal_the_engine_without_slicing(case, vectors):
    """Parameter vectors (one for every row, one a row, many for one row of evidence, as the
    uncertainty intervals ask) and the derivatives of one row's posteriors, with hard evidence
    sliced out (from 64 rows, or on every pass where parts and slicing are always tried)."""
    from exoreason import engine as engine_module

    compiled, batch, do, targets = case
    if vectors == "many for one row":
        batch = EvidenceBatch(batch.nodes, batch.readings[:1])
    theta = compiled.space.sample({"one": 1, "one a row": len(batch), "many for one row": 70}[vectors], 3)
    event(vectors)
    try:
        expected = _Unsliced(compiled).posteriors(targets, batch, do, theta=theta)
    except ImpossibleEvidence as exc:
        with pytest.raises(ImpossibleEvidence) as caught:
            Engine(compiled).posteriors(targets, batch, do, theta=theta)
        assert caught.value.rows == exc.rows
        return
    assert Engine(compiled).posteriors(targets, batch, do, theta=theta) == pytest.approx(expected, abs=1e-10)
    evidence = {n: float(q) for n, q in zip(batch.nodes, batch.readings[0], strict=True) if not math.isnan(q)}
    posterior, derivative = _Unsliced(compiled).derivatives(targets, evidence, do)
    saved = engine_module._SPLIT_FROM
    try:
        engine_module._SPLIT_FROM = 0
        found = Engine(compiled).derivatives(targets, evidence, do)
    finally:
        engine_module._SPLIT_FROM = saved
    assert found[0] == pytest.approx(posterior, abs=1e-10)
    assert found[1] == pytest.approx(derivative, abs=1e-9)
