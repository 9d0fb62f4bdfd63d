"""Learning the network's parameters from a cohort (MAP expectation-maximisation through the exact
engine), the parameters file it writes, and scoring the model on recorded outcomes.

The one-node update by hand, on the tiny network (tests/conftest.py: miR-A -> GENEG repressed ->
P, miR-B -| P; TINY_CONFIG: base rates 0.5, leaks 0.1 for the gene effect and 0.2 for P, every
strength 0.5; concentrations 10 for leaks and base rates, 2 + 4 * 1 study = 6 for edges). Four rows
observe miR-A absent, miR-B absent and P: three with P present, one with P absent. G (GENEG
repressed) is never observed.

    P(P = 1 | G, B = 0) = 1 - (1 - 0.2)(1 - 0.5)^G:   G = 1: 0.6,  G = 0: 0.2;   P(G = 1 | A = 0) = 0.1
    E-step:  P(G = 1 | A = 0, B = 0, P = 1) = 0.1 * 0.6 / (0.1 * 0.6 + 0.9 * 0.2) = 0.06 / 0.24 = 0.25
             P(G = 1 | A = 0, B = 0, P = 0) = 0.1 * 0.4 / (0.1 * 0.4 + 0.9 * 0.8) = 0.04 / 0.76 = 1/19
    G's expected counts: parent A absent: G true 3 * 0.25 + 1/19 = 0.802632 of 4 rows; A present: none.
    M-step:  the leak of G is P(G = 1) where A is absent, so its update is closed-form:
             (N_true + kappa m) / (N + kappa) = (0.802632 + 10 * 0.1) / (4 + 10) = 0.128759
             the strength A -> G acts only where A is present (no count): it stays at its prior's 0.5;
             base rate of miR-A (never present): (0 + 10 * 0.5) / (4 + 10) = 5/14; miR-B likewise;
             the strength B -| P acts only where B is present: it stays at 0.5.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exoreason.cohort import distinct_rows
from exoreason.engine import Engine, EvidenceBatch, ImpossibleEvidence
from exoreason.errors import ConfigError, InputError, NetworkError
from exoreason.evaluation import (
    brier_score,
    calibration_table,
    evaluate,
    log_loss,
    predict,
    roc_auc,
)
from exoreason.inference import Reasoner
from exoreason.learning import (
    Cohort,
    fit,
    fit_prior,
    forward_sample,
    from_summaries,
    parameter_owners,
    parameters_toml,
    read_cohort,
    summarize,
)
from exoreason.model import Family, compile_network, load_parameters

from .conftest import assert_one_line_error, run_cli
from .oracle import random_network

OBSERVED_KINDS = ("cargo", "outcome")


def _write(path, header, rows):
    path.write_text("\n".join([",".join(header), *(",".join(r) for r in rows)]) + "\n")
    return path


def _sample(compiled, n, seed, theta=None, kinds=OBSERVED_KINDS):
    """A cohort drawn from the network (at ``theta``), observing the nodes of ``kinds``."""
    order, values = forward_sample(compiled, n, seed, theta)
    nodes = tuple(k.key for k in compiled.spec.nodes if k.kind in kinds)
    return EvidenceBatch(nodes, values[:, [order.index(k) for k in nodes]])


def _cohort_file(path, compiled, n, seed, theta=None):
    batch = _sample(compiled, n, seed, theta)
    rows = [[f"p{i}", *("true" if v else "false" for v in row)] for i, row in enumerate(batch.readings)]
    return _write(path, ["id", *batch.nodes], rows)


@pytest.fixture()
def tiny(tiny_spec, tiny_config):
    return Reasoner(tiny_spec, load_parameters(tiny_config, tiny_spec))


# --- the engine: family posteriors, expected counts, log-likelihood ----------------------------------

def _pgmpy_family(compiled, node, evidence):
    """P(parents, node | evidence) by pgmpy's variable elimination, axes as the engine's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgmpy.factors.discrete import TabularCPD
        from pgmpy.inference import VariableElimination
    family = (*compiled.families[node].parents, node)
    hard = {k: "true" if q == 1.0 else "false" for k, q in evidence.items() if q in (0.0, 1.0)}
    soft = [TabularCPD(k, 2, [[1.0 - q], [q]], state_names={k: ["false", "true"]})
            for k, q in evidence.items() if q not in (0.0, 1.0)]
    free = [v for v in family if v not in hard]
    out = np.zeros([2] * len(family))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        factor = VariableElimination(compiled.to_pgmpy()).query(
            free, evidence=hard or None, virtual_evidence=soft or None, joint=True,
            show_progress=False) if free else None
    for states in np.ndindex(*out.shape):
        named = dict(zip(family, states, strict=True))
        if any(named[k] != (1 if v == "true" else 0) for k, v in hard.items() if k in named):
            continue
        out[states] = factor.get_value(**{v: "true" if named[v] else "false" for v in free}) if free else 1.0
    return out


def _brute_force_log_likelihood(compiled, evidence):
    """log P(evidence) by summing the joint over every state of every node (a small network)."""
    order = compiled.order
    total = 0.0
    for states in np.ndindex(*([2] * len(order))):
        value = dict(zip(order, states, strict=True))
        p = 1.0
        for node in order:
            family = compiled.families[node]
            column = 0
            for parent in family.parents:
                column = column * 2 + value[parent]
            q = compiled.tables[node].p_true[column]
            p *= q if value[node] else 1.0 - q
        for node, reading in evidence.items():
            p *= reading if value[node] else 1.0 - reading
        total += p
    return math.log(total)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 12), max_parents=st.integers(2, 5))
def test_family_posteriors_equal_pgmpy_variable_elimination(seed, size, max_parents):
    """Random networks (auxiliary nodes included) and random hard and soft evidence on any nodes:
    the engine's per-row family posteriors equal pgmpy's joint query over the family, to 1e-9;
    the expected counts are their weighted sum; the log-likelihood equals brute-force enumeration."""
    rng = np.random.default_rng(seed)
    spec, params = random_network(rng, size, max_parents)
    compiled = compile_network(spec, params)
    engine = Engine(compiled)
    nodes = tuple(str(k) for k in rng.choice(spec.keys, size=min(3, size), replace=False))
    readings = rng.choice([np.nan, 0.0, 1.0, 0.3, 0.85], size=(3, len(nodes)))
    batch = EvidenceBatch(nodes, readings)
    wanted = list(compiled.families)
    try:
        found = engine.family_posteriors(wanted, batch)
    except ImpossibleEvidence:
        return
    for r, row in enumerate(readings):
        evidence = {n: float(q) for n, q in zip(nodes, row, strict=True) if not np.isnan(q)}
        for node in wanted:
            assert found[node][r] == pytest.approx(_pgmpy_family(compiled, node, evidence), abs=1e-9), (node, evidence)
        if len(compiled.order) <= 14:
            assert engine.log_likelihood(EvidenceBatch(nodes, row[None, :]))[0] == pytest.approx(
                _brute_force_log_likelihood(compiled, evidence), abs=1e-9)
    weights = np.array([1.0, 2.5, 0.5])
    counts = engine.expected_counts(batch, weights)
    for node, joint in counts.counts.items():
        assert joint == pytest.approx(np.tensordot(weights, found[node], axes=1), abs=1e-9)
    assert counts.log_likelihood == pytest.approx(float(weights @ engine.log_likelihood(batch)), abs=1e-9)


def test_expected_counts_skip_families_without_an_observed_descendant(tiny):
    """Observing P only, G's and A's families count; nothing else is barren here. Observing miR-B
    only, the families of A, G and P have no observed descendant and are not counted."""
    engine = tiny.engine
    counts = engine.expected_counts(EvidenceBatch(("P",), np.array([[1.0], [0.0]])))
    assert set(counts.counts) == {"miR_A", "miR_B", "GENEG_repressed", "P"}
    assert counts.counts["P"].sum() == pytest.approx(2.0)
    only_b = engine.expected_counts(EvidenceBatch(("miR_B",), np.array([[1.0]])))
    assert set(only_b.counts) == {"miR_B"}
    assert only_b.counts["miR_B"] == pytest.approx([0.0, 1.0])


def test_one_em_step_by_hand(tiny):
    batch = EvidenceBatch(("miR_A", "miR_B", "P"), np.array([[0.0, 0.0, 1.0]] * 3 + [[0.0, 0.0, 0.0]]))
    counts = tiny.engine.expected_counts(batch)
    g_true = 3 * 0.25 + 1 / 19
    assert counts.counts["GENEG_repressed"] == pytest.approx(np.array([[4 - g_true, g_true], [0.0, 0.0]]), abs=1e-12)
    result = fit(tiny.compiled, batch, max_iterations=1, accelerate=False)
    space = tiny.compiled.space
    theta = dict(zip(space.keys, result.theta, strict=True))
    assert theta["GENEG_repressed"] == pytest.approx((g_true + 1.0) / 14, abs=1e-10)
    assert round(theta["GENEG_repressed"], 6) == 0.128759
    assert theta["miR_A"] == pytest.approx(5 / 14, abs=1e-10)
    assert theta["miR_B"] == pytest.approx(5 / 14, abs=1e-10)
    assert theta["miR_A->GENEG_repressed"] == pytest.approx(0.5, abs=1e-10)
    assert theta["miR_B->P"] == pytest.approx(0.5, abs=1e-10)
    assert result.iterations == 1 and result.log_posteriors[1] >= result.log_posteriors[0]


def test_a_cargo_observed_in_every_row_gets_the_conjugate_posterior(tiny):
    """Alone in its table and observed in every row, a base rate's estimate is the posterior mean
    (N_true + kappa m) / (N + kappa) and its concentration close to kappa + N: kappa plus the data's
    information at the estimate, theta (1 - theta) (N_true / theta^2 + N_false / (1 - theta)^2)."""
    rows = np.array([[1.0]] * 30 + [[0.0]] * 50)
    result = fit(tiny.compiled, EvidenceBatch(("miR_B",), rows))
    index = tiny.compiled.space.index("base_rate", "miR_B")
    theta = (30 + 5) / (80 + 10)
    assert result.theta[index] == pytest.approx(theta, abs=1e-9)
    information = theta * (1 - theta) * (30 / theta ** 2 + 50 / (1 - theta) ** 2)
    assert result.concentrations[index] == pytest.approx(10 + information, rel=1e-9)
    assert result.concentrations[index] == pytest.approx(90.0, rel=0.02)
    assert result.converged
    # Nothing else is reached by miR-B alone: kept, with its literature concentration.
    assert sorted(key for _, key in result.uninformed()) == sorted(
        k for k in tiny.compiled.space.keys if k != "miR_B")
    other = tiny.compiled.space.index("leak", "P")
    assert result.theta[other] == tiny.compiled.space.means[other]
    assert result.concentrations[other] == tiny.compiled.space.concentrations[other]


def test_each_parameter_belongs_to_one_table(tiny):
    compiled = tiny.compiled
    assert sorted(parameter_owners(compiled)) == list(range(len(compiled.space)))
    shared = dict(compiled.families)
    shared["P"] = Family("P", shared["P"].parents, shared["P"].leak,
                         (compiled.space.index("edge", "miR_A->GENEG_repressed"), shared["P"].weights[1]),
                         shared["P"].roles)
    broken = type(compiled)(compiled.spec, compiled.params, compiled.space, shared)
    with pytest.raises(NetworkError, match="miR_A->GENEG_repressed appears in the tables of GENEG_repressed and P"):
        parameter_owners(broken)


# --- EM never decreases its objective -------------------------------------------------------------

@pytest.mark.parametrize("accelerate", [False, True])
def test_em_log_posterior_never_decreases(reasoner, accelerate):
    """A cohort with missing cells and soft readings, on the shipped network."""
    compiled = reasoner.compiled
    truth = compiled.space.sample(1, 11)[0]
    batch = _sample(compiled, 800, 5, truth, kinds=("cargo", "outcome", "process"))
    rng = np.random.default_rng(2)
    readings = batch.readings.copy()
    readings[rng.random(readings.shape) < 0.3] = np.nan
    soft = rng.random(readings.shape) < 0.05
    readings[soft] = np.where(readings[soft] == 1.0, 0.8, 0.3)
    result = fit(compiled, EvidenceBatch(batch.nodes, readings), max_iterations=25, accelerate=accelerate)
    steps = np.diff(result.log_posteriors)
    assert len(steps) >= 10 and np.all(steps >= -1e-9 * abs(result.log_posteriors[0])), steps
    assert result.log_posteriors[-1] > result.log_posteriors[0] + 1.0


def test_maximum_likelihood_em_log_likelihood_never_decreases(reasoner):
    """With the prior's weight 0 the objective is the log-likelihood itself (plain EM)."""
    compiled = reasoner.compiled
    batch = _sample(compiled, 600, 8, compiled.space.sample(1, 4)[0])
    result = fit(compiled, batch, max_iterations=20, accelerate=False, prior_weight=0.0)
    assert result.log_likelihoods == result.log_posteriors
    assert np.all(np.diff(result.log_likelihoods) >= -1e-9 * abs(result.log_likelihoods[0]))
    free = ~result.fixed  # a gene effect's leak of exactly 0 is held
    assert np.all((result.theta[free] > 0.0) & (result.theta[free] < 1.0))
    assert np.all(np.isfinite(result.concentrations) & (result.concentrations > 0))


# --- recovery of known parameters -------------------------------------------------------------------

def test_fitted_parameters_approach_the_generating_ones_as_the_cohort_grows(review_reasoner):
    """Cohorts drawn from the shipped network with parameters drawn from their Beta distributions
    (the truth), observing cargo and outcomes only (gene effects and processes latent).

    What such a cohort identifies falls in error with N: the parameters of fully observed tables
    (the cargo base rates; recurrence given metastasis), roughly as 1/sqrt(N), and the model's
    P(outcome | cargo) for held-out profiles; the held-out log-likelihood of the fitted model beats
    the literature's at every N and reaches the truth's. The strengths along latent chains (cargo ->
    gene effect -> process -> outcome) are identified only in combination: their error falls from
    the literature's but keeps a floor that more rows do not lower, set by the prior."""
    reasoner = review_reasoner  # the review's network: the structure these figures were set on
    compiled = reasoner.compiled
    space = compiled.space
    truth = space.sample(1, 3)[0]
    engine = reasoner.engine
    observed = {n.key for n in compiled.spec.nodes if n.kind in OBSERVED_KINDS}
    owners = parameter_owners(compiled)
    complete = {n for n, f in compiled.families.items() if n in observed and set(f.parents) <= observed}
    identified = np.array([owners[i] in complete for i in range(len(space))])
    assert identified.sum() >= 12
    held_out = _sample(compiled, 5000, 10**6, truth)
    cargo = tuple(n.key for n in compiled.spec.nodes if n.kind == "cargo")
    outcomes = [n.key for n in compiled.spec.nodes if n.kind == "outcome"]
    profiles = EvidenceBatch(cargo, held_out.readings[:, [held_out.nodes.index(c) for c in cargo]])
    true_p = engine.posteriors(outcomes, profiles, theta=truth[None, :])
    errors, predictive, likelihood = [], [], []
    for n, iterations in ((500, 200), (5000, 200), (50_000, 10)):
        result = fit(compiled, _sample(compiled, n, n, truth), max_iterations=iterations)
        fitted = result.fitted
        assert np.abs(result.theta[fitted] - truth[fitted]).mean() < np.abs(space.means[fitted] - truth[fitted]).mean()
        errors.append(np.abs(result.theta[identified] - truth[identified]).mean())
        predictive.append(np.abs(engine.posteriors(outcomes, profiles, theta=result.theta[None, :]) - true_p).mean())
        likelihood.append(engine.log_likelihood(held_out, result.theta).mean())
    assert errors[0] > errors[1] > errors[2] and errors[2] < errors[0] / 4, errors
    assert predictive[0] > predictive[1] > predictive[2], predictive
    literature = engine.log_likelihood(held_out).mean()
    best = engine.log_likelihood(held_out, truth).mean()
    assert literature < likelihood[0] < likelihood[1] < likelihood[2] <= best + 1e-3, (literature, likelihood, best)
    assert best - likelihood[2] < 5e-3  # nats per held-out row


def test_posterior_concentrations_grow_with_the_data_where_the_data_reach(reasoner):
    compiled = reasoner.compiled
    space = compiled.space
    truth = space.sample(1, 7)[0]
    small = fit(compiled, _sample(compiled, 300, 1, truth))
    large = fit(compiled, _sample(compiled, 3000, 2, truth))
    base = space.index("base_rate", "hsa_miR_155_5p")
    # About kappa + N; less where the empirical information of a few hundred rows, against some two
    # hundred parameters, correlates the base rate's score with others' (inverted, it gives less).
    assert 0.75 * (space.concentrations[base] + 300) < small.concentrations[base] <= 1.05 * (
        space.concentrations[base] + 300)
    assert large.concentrations[base] == pytest.approx(space.concentrations[base] + 3000, rel=0.1)
    fitted = large.fitted
    for result in (small, large):  # information only adds to the prior's
        assert np.all(result.concentrations[fitted] >= space.concentrations[fitted] * (1 - 1e-9))
    # Where the small cohort already informs a parameter, ten times the rows give several times
    # the concentration (about ten times, for a parameter the data alone decide).
    informed = fitted & (small.concentrations > 2 * space.concentrations)
    assert informed.sum() >= 15
    growth = large.concentrations[informed] / small.concentrations[informed]
    assert np.exp(np.mean(np.log(growth))) > 4, growth
    # Every node of the review's network reaches an outcome: a cohort recording one outcome alone
    # leaves the parameters that reach only the others at their prior.
    data = _sample(compiled, 300, 1, truth)
    keep = [j for j, n in enumerate(data.nodes) if n == "metastasis" or _kind_of(compiled, n) == "cargo"]
    partial = fit(compiled, EvidenceBatch(tuple(data.nodes[j] for j in keep), data.readings[:, keep]))
    unreached = ~partial.informed
    assert unreached.any() and large.informed[unreached].any()
    assert np.array_equal(partial.concentrations[unreached], space.concentrations[unreached])
    assert np.array_equal(partial.theta[unreached], space.means[unreached])


def _kind_of(compiled, key):
    return next(n.kind for n in compiled.spec.nodes if n.key == key)


# --- the cohort file ----------------------------------------------------------------------------------

def test_reading_rules_are_the_profiles_rules(tmp_path, reasoner):
    path = tmp_path / "c.tsv"
    path.write_text("Sample\tmiR-155\tMIR21\tmetastasis\n"
                    "s1\tdetected\t0.8\tyes\n"
                    "s2\tNA\tnot detected\t\n"
                    "s3\tnegative\t1\tfalse\n")
    cohort = read_cohort(path, reasoner)
    assert cohort.nodes == ("hsa_miR_155_5p", "hsa_miR_21_5p", "metastasis")
    assert cohort.ids == ("s1", "s2", "s3")
    assert cohort.lines.tolist() == [2, 3, 4]
    expected = np.array([[1.0, 0.8, 1.0], [np.nan, 0.0, np.nan], [0.0, 1.0, 0.0]])
    assert np.array_equal(cohort.readings, expected, equal_nan=True)
    no_id = _write(tmp_path / "n.csv", ["miR-155", "metastasis"], [["true", "false"]])
    with pytest.raises(InputError, match="no id column"):
        read_cohort(no_id, reasoner)
    named = _write(tmp_path / "k.csv", ["biobank_no", "miR-155"], [["B-1", "true"], ["B-2", "false"]])
    assert read_cohort(named, reasoner, id_column="biobank_no").ids == ("B-1", "B-2")
    assert_one_line_error(run_cli("fit", str(named), "--output", str(tmp_path / "f.toml"), "--id-column", "case"),
                          2, "no column named 'case' (--id-column)")
    assert_one_line_error(run_cli("fit", str(named), "--output", str(tmp_path / "f.toml")), 2,
                          "no id column (id, ID, sample, Sample ID, sample_id, patient, Patient or patient_id)")
    distinct, counts, inverse = distinct_rows(np.array([[1.0, np.nan], [1.0, np.nan], [0.0, 1.0]]))
    assert len(distinct) == 2 and sorted(counts) == [1.0, 2.0] and inverse[0] == inverse[1] != inverse[2]


@pytest.mark.parametrize(("header", "rows", "needles"), [
    (["id", "miR-155", "metastasys", "frobnicate"], [["a", "true", "true", "1"]],
     ["2 unknown columns", "'metastasys' (closest: metastasis", "'frobnicate'", "--ignore-unknown"]),
    (["id", "miR-155", "metastasis"], [["a", "maybe", "true"]], ["line 2", "'miR-155'", "maybe"]),
    (["id", "miR-155", "metastasis"], [["a", "1.5", "true"]], ["line 2", "outside [0, 1]"]),
    (["id", "miR-155", "metastasis"], [["a", "true"], ["b", "true", "false"]], ["line 2", "2 cells"]),
    (["id", "miR-155", "MIR155"], [["a", "true", "true"]], ["same node"]),
    (["id", "miR-155"], [["a", "true"], ["a", "false"]], ["line 3", "duplicate id 'a'", "line 2"]),
    (["id", "miR-155"], [], ["no data rows"]),
])
def test_fit_bad_input_is_one_line_and_writes_nothing(tmp_path, header, rows, needles):
    out = tmp_path / "fitted.toml"
    data = _write(tmp_path / "cohort.csv", header, rows)
    assert_one_line_error(run_cli("fit", str(data), "--output", str(out)), 2, *needles)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cohort.csv"]


def test_unknown_columns_are_skipped_with_ignore_unknown(tmp_path):
    data = _write(tmp_path / "cohort.csv", ["id", "miR-155", "age", "metastasis"],
                  [[f"p{i}", "true" if i % 2 else "false", "61", "true" if i % 3 else "false"] for i in range(40)])
    out = tmp_path / "fitted.toml"
    done = run_cli("fit", str(data), "--output", str(out), "--ignore-unknown", "--all")
    assert done.returncode == 0, done.stderr
    assert "Skipped columns naming no node: 'age'." in done.stdout
    assert out.exists()
    # The report: what moved (literature value, fitted value, change, concentrations), what the data
    # cannot inform, and where the file went.
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Fitted ") and "(40 rows, observing 2 nodes)" in lines[0]
    header = next(line for line in lines if line.startswith("parameter"))
    assert header.split() == ["parameter", "literature", "fitted", "change", "concentration"]
    assert any(line.startswith("base rate of hsa-miR-155-5p") and "0.500" in line for line in lines)
    assert "Not informed by the data (no observed descendant)" in done.stdout
    assert f"Wrote {out}" in done.stdout


def test_fit_reports_a_summary_by_labels_and_every_parameter_with_all_regression(tmp_path):
    """`fit` printed ~195 rows named by internal keys (hsa_miR_155_5p, MMP13_induced); it now
    prints the largest changes by the nodes' labels and counts the rest; --all lists every fitted
    parameter, and the JSON and the written file hold every one."""
    from exoreason.cli import FIT_ROWS

    data = _write(tmp_path / "cohort.csv", ["id", "miR-155", "miR-21", "metastasis"],
                  [[f"p{i}", "true" if i % 2 else "false", "true" if i % 5 else "false",
                    "true" if i % 3 else "false"] for i in range(40)])
    out = tmp_path / "fitted.toml"
    fitted = json.loads(run_cli("fit", str(data), "--output", str(out), "--format", "json").stdout)["fitted"]
    assert len(fitted) > FIT_ROWS

    def table(stdout: str) -> list[str]:
        lines = stdout.splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("parameter"))
        return [line for line in lines[start + 1:lines.index("", start)] if not line.startswith("...")]

    quiet = run_cli("fit", str(data), "--output", str(out), "--force").stdout
    assert len(table(quiet)) == FIT_ROWS
    assert f"... and {len(fitted) - FIT_ROWS} smaller changes (--all lists them" in quiet
    every = run_cli("fit", str(data), "--output", str(out), "--force", "--all").stdout
    assert len(table(every)) == len(fitted)
    assert "base rate of hsa-miR-21-5p" in every
    assert not re.search(r"hsa_miR|_induced|_repressed|_changed\b", quiet + every)


def test_fit_refuses_to_overwrite_and_checks_its_options(tmp_path):
    data = _write(tmp_path / "cohort.csv", ["id", "miR-155"], [["a", "true"]])
    out = tmp_path / "fitted.toml"
    out.write_text("mine")
    assert_one_line_error(run_cli("fit", str(data), "--output", str(out)), 2, "exists", "--force")
    assert out.read_text() == "mine"
    for option, value, needle in (("--max-iterations", "-1", "iterations"), ("--prior-weight", "-2", "prior weight"),
                                  ("--format", "xml", "'xml' is not one of 'table', 'json'")):
        assert_one_line_error(run_cli("fit", str(data), "--output", str(tmp_path / "x.toml"), option, value), 2, needle)
    assert_one_line_error(run_cli("fit", str(tmp_path / "none.csv"), "--output", str(tmp_path / "x.toml")), 2,
                          "cohort file not found")


def test_an_impossible_row_names_its_line(tmp_path):
    config = tmp_path / "zero.toml"
    config.write_text("[base_rate.nodes]\nhsa_miR_155_5p = 0.0\n")
    data = _write(tmp_path / "cohort.csv", ["id", "miR-155"], [["a", "false"], ["b", "false"], ["c", "true"]])
    assert_one_line_error(run_cli("fit", str(data), "--output", str(tmp_path / "f.toml"), "--config", str(config)),
                          2, "line 4", "probability zero")


# --- the parameters file ----------------------------------------------------------------------------

def test_the_fitted_file_is_a_parameters_file_every_command_reads(tmp_path, reasoner):
    compiled = reasoner.compiled
    truth = compiled.space.sample(1, 5)[0]
    data = _cohort_file(tmp_path / "cohort.csv", compiled, 2000, 3, truth)
    out = tmp_path / "fitted.toml"
    done = run_cli("fit", str(data), "--output", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert text.startswith("# exoreason parameters fitted to a cohort")
    assert "2000 rows" in text.splitlines()[1] and "cohort.csv" in text.splitlines()[1]
    data_toml = tomllib.loads(text)
    assert data_toml["fit"]["rows"] == 2000 and data_toml["fit"]["cohort"] == "cohort.csv"
    assert {"edges", "leak_nodes", "base_rate_nodes"} <= set(data_toml["uncertainty"]) <= {
        "edges", "leak_nodes", "base_rate_nodes", "gate_nodes"}
    params = load_parameters(out, reasoner.spec)  # every key checked against the network
    refit = compile_network(reasoner.spec, params)
    # The file holds what the fit result holds in memory.
    in_memory = fit(compiled, read_cohort(data, reasoner)).network()
    assert refit.space.means == pytest.approx(in_memory.space.means, abs=1e-8)
    assert refit.space.concentrations == pytest.approx(in_memory.space.concentrations, rel=1e-6)
    report = json.loads(done.stdout)
    assert report["output"] == str(out)
    fitted = {(c["parameter"], c["key"]): c for c in report["fitted"]}
    for i, (kind, key) in enumerate(zip(refit.space.kinds, refit.space.keys, strict=True)):
        if (kind, key) in fitted:
            assert refit.space.means[i] == pytest.approx(fitted[(kind, key)]["fitted"], abs=1e-8)
            assert refit.space.concentrations[i] == pytest.approx(fitted[(kind, key)]["concentration"], rel=1e-6)
        else:  # not informed: the literature's value (a leak as the file pins it) and concentration
            assert refit.space.means[i] == pytest.approx(compiled.space.means[i], abs=1e-9)
            assert refit.space.concentrations[i] == compiled.space.concentrations[i]
    held = {(d["parameter"], d["key"]) for d in report["held"]}  # a gene effect's leak of 0
    assert held == {(k, n) for k, n, m in zip(compiled.space.kinds, compiled.space.keys, compiled.space.means,
                                               strict=True) if m in (0.0, 1.0)}
    assert {(d["parameter"], d["key"]) for d in report["not_informed"]} == {
        (k, n) for k, n in zip(compiled.space.kinds, compiled.space.keys, strict=True)
        if (k, n) not in fitted and (k, n) not in held}


def test_intervals_narrow_and_sensitivity_runs_on_fitted_parameters(tmp_path, reasoner):
    data = _cohort_file(tmp_path / "cohort.csv", reasoner.compiled, 5000, 9, reasoner.compiled.space.sample(1, 9)[0])
    out = tmp_path / "fitted.toml"
    assert run_cli("fit", str(data), "--output", str(out)).returncode == 0

    def widths(*config):
        done = run_cli("infer", "--cargo", "miR-155", "--intervals", "--samples", "400", "--format", "json", *config)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        return {o["key"]: o["interval"][1] - o["interval"][0] for o in result["outcomes"]}, result

    before, _ = widths()
    after, result = widths("--config", str(out))
    # The recorded outcomes' intervals narrow (most where the outcome's own table is fully
    # observed); those of processes no column reaches keep about the literature's width.
    recorded = [n.key for n in reasoner.spec.nodes if n.kind == "outcome"]
    ratios = {o: after[o] / before[o] for o in recorded}
    # miR-155 reaches each outcome through gene effects and processes no column observes, whose
    # strengths the cohort identifies only in combination: the intervals narrow, not to nothing.
    assert all(r < 0.9 for r in ratios.values()) and np.mean(list(ratios.values())) < 0.75, ratios
    assert "fitted to cohort.csv, 5000 rows" in result["parameters"]
    sens = run_cli("sensitivity", "--cargo", "miR-155", "--outcome", "chemoresistance", "--config", str(out))
    assert sens.returncode == 0, sens.stderr
    assert "fitted to cohort.csv" in sens.stdout


def test_fit_carries_the_starting_config_and_cancer_weighs_only_formula_strengths(tmp_path, reasoner):
    start = tmp_path / "start.toml"
    start.write_text("[evidence]\nother_cancer_weight = 0.3\n[evidence.certainty]\nhedged = 0.4\n")
    data = _cohort_file(tmp_path / "cohort.csv", reasoner.compiled, 500, 4)
    out = tmp_path / "fitted.toml"
    done = run_cli("fit", str(data), "--output", str(out), "--config", str(start), "--cancer", "PDAC")
    assert done.returncode == 0, done.stderr
    params = load_parameters(out, reasoner.spec)
    assert params.other_cancer_weight == 0.3 and params.certainty["hedged"] == 0.4  # carried over
    pdac_iri = Reasoner.from_files(cancer="PDAC").cancer_iri
    assert Reasoner.from_files(cancer=params.fit["cancer"]).cancer_iri == pdac_iri  # named as it resolves
    assert "start.toml" in params.fit["prior"]
    pdac = Reasoner.from_files(config=out, cancer="PDAC")
    other = Reasoner.from_files(config=out, cancer="breast cancer")
    for edge in reasoner.spec.edges:
        if edge.key in params.strength_edges:  # fitted: used as given, whatever --cancer says
            assert pdac.compiled.strengths[(edge.parent, edge.child)] == params.strength_edges[edge.key]
            assert other.compiled.strengths[(edge.parent, edge.child)] == params.strength_edges[edge.key]
    result = json.loads(run_cli("infer", "--cargo", "miR-155", "--config", str(out), "--cancer", "PDAC",
                                "--format", "json").stdout)
    assert result["cancer"] == "PDAC" and "used as given" in result["parameters"]


def test_fitted_uncertainty_keys_are_checked_against_the_network(tmp_path, reasoner):
    bad = tmp_path / "bad.toml"
    bad.write_text('[uncertainty.edges]\n"EMT->metastasys" = 12.0\n[uncertainty.leak_nodes]\nmetastasys = 3.0\n'
                   '[uncertainty.base_rate_nodes]\nEMT = 4.0\n')
    with pytest.raises(ConfigError) as found:
        load_parameters(bad, reasoner.spec)
    message = str(found.value)
    for needle in ("uncertainty.edges.EMT->metastasys (no such edge", "uncertainty.leak_nodes.metastasys",
                   "uncertainty.base_rate_nodes.EMT (no such cargo node"):
        assert needle in message
    bad.write_text("[uncertainty.leak_nodes]\nmetastasis = 0.0\n")
    with pytest.raises(ConfigError, match="uncertainty.leak_nodes.metastasis must be a finite number > 0"):
        load_parameters(bad, reasoner.spec)


def test_parameters_file_round_trips_quoted_keys(tiny):
    result = fit(tiny.compiled, EvidenceBatch(("miR_A", "P"), np.array([[1.0, 1.0], [0.0, 0.0], [1.0, 0.0]])))
    text = parameters_toml(result)
    data = tomllib.loads(text)
    assert '"miR_A->GENEG_repressed" = ' in text
    assert data["strength"]["edges"]["miR_A->GENEG_repressed"] == pytest.approx(
        result.theta[tiny.compiled.space.index("edge", "miR_A->GENEG_repressed")], abs=1e-8)


# --- issue 16's defects -----------------------------------------------------------------------------

def test_a_cohort_of_outcomes_only_is_fitted_regression(tmp_path):
    """`fit` on a cohort with metastasis and chemoresistance columns said `fitted 0 tables`."""
    data = _write(tmp_path / "c.csv", ["id", "metastasis", "chemoresistance"],
                  [[f"p{i}", *row] for i, row in enumerate([["true", "true"], ["false", "true"], ["true", "false"]] * 10)])
    done = run_cli("fit", str(data), "--output", str(tmp_path / "f.toml"), "--format", "json")
    assert done.returncode == 0, done.stderr
    moved = {c["key"] for c in json.loads(done.stdout)["fitted"]}
    assert {"metastasis", "chemoresistance"} <= moved  # their leaks (chemoresistance's gate)
    assert "hsa_miR_21_5p" in moved  # a cargo's base rate: an ancestor of the outcomes
    assert "invasion->metastasis" in moved


def test_gene_effect_strengths_learn_from_cargo_and_outcomes_regression(review_reasoner):
    """With cargo, EMT and outcome columns only cargo base rates changed: a table learned only from
    rows observing its whole family, and gene effects are never observed."""
    reasoner = review_reasoner  # the review's network: the structure these figures were set on
    compiled = reasoner.compiled
    truth = compiled.space.means.copy()
    edge = compiled.space.index("edge", "hsa_miR_155_5p->TP53INP1_changed")
    truth[edge] = 0.95
    result = fit(compiled, _sample(compiled, 4000, 21, truth, kinds=("cargo", "outcome")))
    assert result.fitted[edge]
    assert result.theta[edge] - compiled.space.means[edge] > 0.1


def test_infer_has_one_mechanism_for_fitted_parameters_regression(tmp_path, reasoner):
    """`--model` silently replaced --config and --cancer; fitted parameters are a --config file
    now: `infer --config FITTED` answers exactly as the fitted network does, and --cancer still
    weighs it (the strengths the fit left to the formula)."""
    data = _write(tmp_path / "cohort.csv", ["id", "miR-155", "chemoresistance"],
                  [[f"p{i}", "true" if i % 2 else "false", "true" if i % 4 in (1, 2) else "false"] for i in range(60)])
    fitted = tmp_path / "fitted.toml"
    assert run_cli("fit", str(data), "--output", str(fitted)).returncode == 0
    expected = Engine(fit(reasoner.compiled, read_cohort(data, reasoner)).network()).posterior_dict(
        ["chemoresistance", "metastasis"], {"hsa_miR_155_5p": 1.0})
    answer = json.loads(run_cli("infer", "--cargo", "miR-155", "--config", str(fitted), "--format", "json").stdout)
    posteriors = {o["key"]: o["posterior"] for o in answer["outcomes"]}
    assert posteriors["chemoresistance"] == pytest.approx(expected["chemoresistance"], abs=1e-9)
    assert posteriors["metastasis"] == pytest.approx(expected["metastasis"], abs=1e-9)
    literature = json.loads(run_cli("infer", "--cargo", "miR-155", "--format", "json").stdout)
    assert {o["key"]: o["posterior"] for o in literature["outcomes"]}["chemoresistance"] != pytest.approx(
        expected["chemoresistance"], abs=1e-6)
    weighed = json.loads(run_cli("infer", "--cargo", "miR-21", "--config", str(fitted), "--cancer", "breast cancer",
                                 "--format", "json").stdout)
    plain = json.loads(run_cli("infer", "--cargo", "miR-21", "--config", str(fitted), "--format", "json").stdout)
    assert weighed["context"] and weighed["outcomes"] != plain["outcomes"]


# --- evaluation -------------------------------------------------------------------------------------

def test_auc_brier_and_log_loss_equal_scikit_learn(tmp_path, reasoner):
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.metrics import log_loss as sk_log_loss

    data = _cohort_file(tmp_path / "cohort.csv", reasoner.compiled, 600, 12, reasoner.compiled.space.sample(1, 1)[0])
    cohort = read_cohort(data, reasoner)
    found = evaluate(reasoner.compiled, cohort)
    assert {s.outcome for s in found.scores} == {n.key for n in reasoner.spec.nodes if n.kind == "outcome"}
    for score in found.scores:
        _, y, p = predict(reasoner.engine, cohort, score.outcome)
        assert np.array_equal(p, score.predicted)
        assert score.auc == pytest.approx(roc_auc_score(y, p), abs=1e-12)
        assert score.brier == pytest.approx(brier_score_loss(y, p), abs=1e-12)
        assert score.log_loss == pytest.approx(sk_log_loss(y, p), abs=1e-9)
    # Ties count one half, as in scikit-learn.
    y = np.array([0, 1, 0, 1, 1, 0])
    p = np.array([0.3, 0.3, 0.2, 0.9, 0.3, 0.9])
    assert roc_auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.4])) is None
    assert brier_score(y, p) == pytest.approx(brier_score_loss(y, p), abs=1e-12)
    assert log_loss(y, p) == pytest.approx(sk_log_loss(y, p), abs=1e-12)


def test_a_label_is_never_evidence_for_itself(tmp_path, reasoner):
    data = _write(tmp_path / "c.csv", ["id", "miR-155", "metastasis", "chemoresistance"],
                  [["a", "true", "true", "false"], ["b", "false", "false", ""], ["c", "", "0.7", "true"],
                   ["d", "true", "", "true"]])
    cohort = read_cohort(data, reasoner)
    rows, y, p = predict(reasoner.engine, cohort, "metastasis")
    assert rows.tolist() == [0, 1] and y.tolist() == [1.0, 0.0]  # a soft reading and a blank are not labels
    expected = [reasoner.marginals({"hsa_miR_155_5p": 1.0, "chemoresistance": 0.0}, ["metastasis"])["metastasis"],
                reasoner.marginals({"hsa_miR_155_5p": 0.0}, ["metastasis"])["metastasis"]]
    assert p == pytest.approx(expected, abs=1e-12)
    found = evaluate(reasoner.compiled, cohort)
    assert found.score("metastasis").rows == 2 and found.score("chemoresistance").rows == 3


def test_calibration_table_by_hand():
    table = calibration_table(np.array([0, 1, 1, 0, 1]), np.array([0.05, 0.15, 0.12, 0.95, 1.0]), bins=4)
    assert [(b.low, b.high, b.rows) for b in table] == [(0.0, 0.25, 3), (0.25, 0.5, 0), (0.5, 0.75, 0), (0.75, 1.0, 2)]
    assert table[0].mean_predicted == pytest.approx(0.32 / 3) and table[0].observed == pytest.approx(2 / 3)
    assert table[1].mean_predicted is None and table[3].observed == 0.5


def test_cross_validation_fitted_beats_the_literature_and_is_deterministic(tmp_path, reasoner):
    data = _cohort_file(tmp_path / "cohort.csv", reasoner.compiled, 900, 6, reasoner.compiled.space.sample(1, 6)[0])
    done = run_cli("evaluate", str(data), "--folds", "3", "--format", "json")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    held = found["whole_row_log_likelihood"]["per_row"]
    assert held["fitted"] > held["literature"]
    scores = {(s["outcome"], s["parameters"]): s for s in found["scores"]}
    outcomes = {o for o, _ in scores}
    fitted, literature = (sum(scores[(o, given)]["brier"] for o in outcomes) for given in ("fitted", "literature"))
    assert fitted < literature, scores
    # The same seed gives the same folds (and answers); another seed other folds.
    quick = ("evaluate", str(data), "--folds", "3", "--max-iterations", "2", "--format", "json")
    first = run_cli(*quick).stdout
    assert run_cli(*quick).stdout == first
    other = json.loads(run_cli(*quick, "--seed", "1").stdout)
    assert (other["whole_row_log_likelihood"]["per_row"]["fitted"]
            != json.loads(first)["whole_row_log_likelihood"]["per_row"]["fitted"])
    assert other["whole_row_log_likelihood"]["per_row"]["literature"] == held["literature"]


def test_evaluate_formats_plot_and_bad_input(tmp_path, reasoner):
    data = _cohort_file(tmp_path / "cohort.csv", reasoner.compiled, 300, 2)
    table = run_cli("evaluate", str(data))
    assert table.returncode == 0, table.stderr
    assert "AUC" in table.stdout and "Calibration" in table.stdout and "not clinical predictions" in table.stdout
    csv_out = run_cli("evaluate", str(data), "--format", "csv", "--bins", "5").stdout.splitlines()
    assert csv_out[0].startswith("parameters,outcome,rows,positives,auc,brier,log_loss,bin_low")
    outcomes = sum(n.kind == "outcome" for n in reasoner.spec.nodes)
    assert len(csv_out) == 1 + outcomes * 5
    for suffix, magic in ((".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")):
        picture = tmp_path / f"calibration{suffix}"
        done = run_cli("evaluate", str(data), "--plot", str(picture))
        assert done.returncode == 0, done.stderr
        assert picture.read_bytes().startswith(magic)
    assert_one_line_error(run_cli("evaluate", str(data), "--plot", str(tmp_path / "calibration.png")), 2, "exists")
    assert_one_line_error(run_cli("evaluate", str(data), "--plot", str(tmp_path / "c.gif")), 2, ".gif")
    assert_one_line_error(run_cli("evaluate", str(data), "--folds", "1"), 2, "--folds", "at least 2")
    assert_one_line_error(run_cli("evaluate", str(data), "--folds", "400"), 2, "more than the cohort's 300 rows")
    assert_one_line_error(run_cli("evaluate", str(data), "--format", "xml"), 2, "'xml' is not one of 'table', 'json', 'csv'")
    assert_one_line_error(run_cli("evaluate", str(data), "--prior-weight", "0"), 2, "--prior-weight goes with --folds")
    cargo_only = _write(tmp_path / "cargo.csv", ["id", "miR-155", "EMT"], [["a", "true", "0.4"]])
    assert_one_line_error(run_cli("evaluate", str(cargo_only)), 2, "no recorded outcome")


def test_fitting_evaluating_api_on_a_cohort_object(reasoner):
    batch = _sample(reasoner.compiled, 200, 30)
    cohort = Cohort("in memory", batch.nodes, batch.readings, np.arange(2, 202))
    result = fit(reasoner.compiled, cohort, max_iterations=3)
    assert result.source == "in memory" and result.rows == 200 and result.iterations <= 3
    assert "Fitted" in result.render(top=5) and "... and" in result.render(top=5)
    found = evaluate(reasoner.compiled, cohort, folds=2, max_iterations=3)
    assert found.folds == 2 and len(found.scores) == 2 * sum(n.kind == "outcome" for n in reasoner.spec.nodes)
    assert {s.parameters for s in found.scores} == {"literature", "fitted"}
    # Given fitted parameters, they are named so, and cross-validation refits them.
    again = evaluate(result.network(), cohort, folds=2, max_iterations=3)
    assert {s.parameters for s in again.scores} == {"fitted", "refitted"}
    assert list(again.to_frame().columns[:3]) == ["outcome", "label", "parameters"]


def test_outcomes_predicted_from_the_other_outcomes_fit_in_memory_regression(tmp_path, reasoner):
    """Predicting each outcome from the cargo and every other recorded outcome once planned, on the
    review's network, an intermediate over 22 nodes per row (21 GiB for a 680-row cohort): evaluate
    died of a MemoryError. A real process under a 3 GiB address-space limit scores such a cohort."""
    import resource
    import subprocess

    from .conftest import EXOREASON

    data = _cohort_file(tmp_path / "cohort.csv", reasoner.compiled, 700, 6, reasoner.compiled.space.sample(1, 6)[0])

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    done = subprocess.run([EXOREASON, "evaluate", str(data), "--format", "json"], capture_output=True, text=True,
                          preexec_fn=limit, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    scores = json.loads(done.stdout)["scores"]
    assert {s["outcome"] for s in scores} >= {"metastasis", "recurrence", "chemoresistance"}


def test_fit_updates_the_strength_of_the_parent_present_not_another_regression():
    """``fit`` once passed its prior in the project's parent order while pgmpy's estimator sorted the
    parents, so a row's count went to another configuration's column (one true row with only
    SUFU_repressed present gave 0.591 instead of 0.877). Here a family whose order (promoter,
    inhibitor, required parent) is not the sorted one: rows with only the promoter and the required
    parent present update the promoter's strength by hand's formula, and nothing else of the family."""
    from exoreason.network import Edge, Finding, NetworkSpec, Node

    finding = Finding("f", "f", "s", "q", ("ECO:0000304",), (1,), (), ())
    nodes = [Node(k, f"https://example.org/{k}", k, "cargo") for k in ("z_promoter", "a_inhibitor", "m_required")]
    nodes.append(Node("Y", "https://example.org/Y", "Y", "outcome"))
    edges = [Edge("a_inhibitor", "Y", "-", (finding,)), Edge("m_required", "Y", "!", (finding,)),
             Edge("z_promoter", "Y", "+", (finding,))]
    spec = NetworkSpec(nodes, edges)
    base = load_parameters()
    params = dataclasses.replace(base, leak_nodes={"Y": 0.0}, base_rate_nodes={n.key: 0.3 for n in nodes[:3]},
                                 strength_edges={"z_promoter->Y": 0.5, "a_inhibitor->Y": 0.4, "m_required->Y": 0.7})
    compiled = compile_network(spec, params)
    family = compiled.families["Y"]
    assert list(family.parents) != sorted(family.parents)
    # 12 rows: promoter and requirement present, inhibitor absent, Y true in 9; 8 rows: nothing
    # present, Y false (the leak is 0, held).
    rows = np.array([[1.0, 0.0, 1.0, 1.0]] * 9 + [[1.0, 0.0, 1.0, 0.0]] * 3 + [[0.0, 0.0, 0.0, 0.0]] * 8)
    result = fit(compiled, EvidenceBatch(("z_promoter", "a_inhibitor", "m_required", "Y"), rows))
    space = compiled.space
    theta = dict(zip(space.keys, result.theta, strict=True))

    def conjugate(key: str, true: int, total: int) -> float:
        index = space.keys.index(key)
        kappa, m = space.concentrations[index], space.means[index]
        return (true + kappa * m) / (total + kappa)

    # P(Y | promoter, requirement, no inhibitor) = w: the promoter's strength is a binomial's.
    assert theta["z_promoter->Y"] == pytest.approx(conjugate("z_promoter->Y", 9, 12), abs=1e-7)
    assert theta["a_inhibitor->Y"] == pytest.approx(0.4, abs=1e-12)  # never present: no information
    assert theta["m_required->Y"] == pytest.approx(0.7, abs=1e-12)  # never missing beside the promoter
    assert theta["Y"] == 0.0
    assert theta["z_promoter"] == pytest.approx(conjugate("z_promoter", 12, 20), abs=1e-9)
    assert theta["a_inhibitor"] == pytest.approx(conjugate("a_inhibitor", 0, 20), abs=1e-9)


# --- summaries then updates ------------------------------------------------------------------------

def _compare_with_the_fit_before_the_split(compiled, batch, **options):
    from .reference_fit import reference_fit

    result = fit(compiled, batch, **options)
    before = reference_fit(compiled, batch, **options)
    assert result.evaluations == before["evaluations"] and result.converged == before["converged"]
    assert result.method == "exact"
    np.testing.assert_allclose(result.theta, before["theta"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(result.concentrations, before["concentrations"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result.log_likelihoods, before["log_likelihoods"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(result.log_posteriors, before["log_posteriors"], rtol=1e-12, atol=1e-9)


def test_fit_by_summaries_and_updates_equals_the_fit_before_the_split_on_the_example_cohort(reasoner):
    """The shipped network and the example cohort (measured cells, missing ones), fitted by
    summaries then per-family updates, against the one-function fit it replaced (tests/reference_fit.py)."""
    cohort = read_cohort(Path(__file__).parents[1] / "examples" / "cohort.csv", reasoner)
    _compare_with_the_fit_before_the_split(reasoner.compiled, cohort.batch)


@pytest.mark.parametrize("accelerate", [True, False])
def test_fit_by_summaries_and_updates_equals_the_fit_before_the_split_with_soft_readings(reasoner, accelerate):
    compiled = reasoner.compiled
    batch = _sample(compiled, 300, 3, compiled.space.sample(1, 7)[0], kinds=("cargo", "outcome", "process"))
    rng = np.random.default_rng(4)
    readings = batch.readings.copy()
    readings[rng.random(readings.shape) < 0.3] = np.nan
    soft = rng.random(readings.shape) < 0.05
    readings[soft] = np.where(readings[soft] == 1.0, 0.8, 0.3)
    _compare_with_the_fit_before_the_split(compiled, EvidenceBatch(batch.nodes, readings), max_iterations=12,
                                           accelerate=accelerate, prior_weight=0.5)


def test_summaries_of_parts_of_a_cohort_add_up_to_the_cohorts(reasoner):
    compiled = reasoner.compiled
    batch = _sample(compiled, 200, 9)
    engine = reasoner.engine
    whole = summarize(engine, batch)
    parts = [EvidenceBatch(batch.nodes, batch.readings[i:i + 70]) for i in range(0, 200, 70)]
    added = sum((summarize(engine, part) for part in parts[1:]), summarize(engine, parts[0]))
    assert set(added.counts) == set(whole.counts) and added.weight == whole.weight == 200
    assert added.log_likelihood == pytest.approx(whole.log_likelihood, rel=1e-12)
    for node, counts in whole.counts.items():
        np.testing.assert_allclose(added.counts[node], counts, rtol=1e-10, atol=1e-10)
    # the update reads the summary only: the same summary, the same update
    prior = fit_prior(compiled, batch.nodes)
    theta = compiled.space.means.copy()
    assert np.array_equal(from_summaries(compiled, theta, added, prior),
                          from_summaries(compiled, theta, dataclasses.replace(added), prior))
    moved = from_summaries(compiled, theta, whole, prior)
    assert np.abs(moved - from_summaries(compiled, theta, added, prior)).max() < 1e-8
    assert np.any(moved[prior.free] != theta[prior.free])


def test_a_fit_beyond_the_memory_budget_completes_by_sampling_and_says_so(reasoner):
    compiled = reasoner.compiled
    batch = _sample(compiled, 150, 12)
    exact = fit(compiled, batch, max_iterations=4)
    tight = fit(compiled, batch, max_iterations=4, engine=Engine(compiled, memory_budget=4096))
    assert exact.method == "exact"
    assert "importance sampling" in tight.method and "budget" in tight.method
    assert "Approximate" in tight.render() and tight.to_dict()["method"] == tight.method
    method = next(line for line in parameters_toml(tight).splitlines() if line.startswith("# Method:"))
    assert "importance sampling" in method
    free = tight.fitted
    assert np.abs(tight.theta[free] - exact.theta[free]).max() < 0.05
    assert np.all(np.isfinite(tight.concentrations) & (tight.concentrations > 0))
