"""Scoring on cohorts as labs hand them over: per-sample predictions, ties, thresholds relative to
the cohort, id columns, a baseline beside the model and the learning curve.

Nothing here depends on the model's current numbers: each test checks a behaviour (the file
reproduces the reported scores, identical rows tie, a median is the cohort's median, ...).
"""

from __future__ import annotations

import csv
import io
import json
import tomllib

import numpy as np
import pytest

from exoreason.evaluation import auc_interval, evaluate, roc_auc
from exoreason.learning import forward_sample, read_cohort

from .conftest import ROOT, assert_one_line_error, run_cli

EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared" / "data"
CARGO = ("miR-155", "miR-21", "miR-200c", "miR-210")


def _write(path, header, rows):
    path.write_text("\n".join([",".join(header), *(",".join(str(c) for c in r) for r in rows)]) + "\n")
    return path


def _sampled(path, reasoner, n, seed, outcomes=("metastasis", "chemoresistance")):
    """A cohort drawn from the network: four cargo columns and some outcomes, true/false."""
    order, values = forward_sample(reasoner.compiled, n, seed)
    keys = [reasoner.resolve_node(c) for c in CARGO] + list(outcomes)
    rows = [[f"p{i}", *("true" if values[i, order.index(k)] else "false" for k in keys)] for i in range(n)]
    return _write(path, ["id", *CARGO, *outcomes], rows)


def _table(text):
    return list(csv.DictReader(io.StringIO(text)))


# -- predictions: one row per sample, reproducing the reported scores ----------------------------

def test_predictions_file_reproduces_the_reported_scores_with_scikit_learn(tmp_path, reasoner):
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    data = _sampled(tmp_path / "c.csv", reasoner, 120, 3)
    out = tmp_path / "predictions.csv"
    done = run_cli("evaluate", str(data), "--folds", "3", "--baseline", "--max-iterations", "3",
                   "--predictions", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    rows = _table(out.read_text())
    assert [r["id"] for r in rows] == [f"p{i}" for i in range(120)]
    assert {r["fold"] for r in rows} == {"1", "2", "3"}
    assert len(report["scores"]) == 2 * 3
    for score in report["scores"]:
        column = f"{score['outcome']}_{score['parameters']}"
        labelled = [r for r in rows if r[score["outcome"]] != ""]
        y = [int(r[score["outcome"]]) for r in labelled]
        p = [float(r[column]) for r in labelled]
        assert score["rows"] == len(y) and score["positives"] == sum(y)
        assert score["auc"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
        assert score["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-12)
        assert score["log_loss"] == pytest.approx(log_loss(y, p), abs=1e-12)
    # The file is the user's: not overwritten without --force.
    again = run_cli("evaluate", str(data), "--predictions", str(out))
    assert_one_line_error(again, 2, "exists", "--force")
    before = data.read_bytes()
    itself = run_cli("evaluate", str(data), "--predictions", str(data), "--force")
    assert_one_line_error(itself, 2, "the cohort file itself")
    assert data.read_bytes() == before


def test_repeated_profiles_tie_exactly_and_ties_count_one_half_regression(tmp_path, reasoner):
    """400 rows with 4 distinct profiles: evaluate's AUC (0.6277) disagreed with scikit-learn's on
    the posteriors infer --profiles gave for the same rows (0.6146): two profiles differing only in
    a column metastasis does not depend on got posteriors differing in the last bit, ranked apart
    by evaluate and tied in infer's output. Identical posteriors tie, evaluate's predictions are
    infer --profiles' numbers, and ties count one half."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(7)
    profiles = [("true", "false"), ("false", "true"), ("true", "true"), ("false", "false")]
    rows = []
    for i in range(400):
        a, b = profiles[i % 4]
        rows.append([f"r{i}", a, b, "yes" if rng.random() < 0.3 + 0.1 * (i % 4) else "no"])
    data = _write(tmp_path / "c.csv", ["id", "miR-155", "miR-21", "metastasis"], rows)
    out = tmp_path / "p.csv"
    done = run_cli("evaluate", str(data), "--predictions", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    table = _table(out.read_text())
    predicted = [float(r["metastasis_literature"]) for r in table]
    by_profile = {}
    for row, p in zip(rows, predicted, strict=True):
        by_profile.setdefault((row[1], row[2]), set()).add(p)
    assert all(len(v) == 1 for v in by_profile.values())  # one prediction per distinct profile
    # The same numbers infer --profiles gives for the rows without the label.
    cargo = _write(tmp_path / "cargo.csv", ["id", "miR-155", "miR-21"], [r[:3] for r in rows])
    answers = _table(run_cli("infer", "--profiles", str(cargo)).stdout)
    assert [float(a["metastasis"]) for a in answers] == predicted
    y = [int(r["metastasis"]) for r in table]
    auc = json.loads(done.stdout)["scores"][0]["auc"]
    assert auc == pytest.approx(roc_auc_score(y, predicted), abs=1e-12)
    # By hand: ties between a positive and a negative count one half.
    assert roc_auc(np.array([1, 0, 1, 0]), np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert roc_auc(np.array([1, 0, 0]), np.array([0.7, 0.7, 0.2])) == 0.75


def test_the_whole_row_likelihood_is_named_apart_from_the_outcome_scores(tmp_path, reasoner):
    """held_out_log_likelihood_per_row covered every observed column, cargo included, and was easy
    to read as the outcome's log loss: it is now the whole row's, apart from the per-outcome scores."""
    from sklearn.metrics import log_loss

    data = _sampled(tmp_path / "c.csv", reasoner, 90, 5, outcomes=("metastasis",))
    out = tmp_path / "p.csv"
    done = run_cli("evaluate", str(data), "--folds", "2", "--max-iterations", "2", "--predictions", str(out),
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert "held_out_log_likelihood_per_row" not in report
    whole = report["whole_row_log_likelihood"]
    assert set(whole["per_row"]) == {"literature", "fitted"} and "not an outcome's log loss" in whole["note"]
    table = _table(out.read_text())
    y = [int(r["metastasis"]) for r in table]
    outcome_loss = log_loss(y, [float(r["metastasis_literature"]) for r in table])
    assert report["scores"][0]["log_loss"] == pytest.approx(outcome_loss, abs=1e-12)
    # The whole row holds four cargo columns more than the outcome: its log-likelihood is lower.
    assert -whole["per_row"]["literature"] > outcome_loss
    text = run_cli("evaluate", str(data)).stdout
    assert "Log-likelihood of the whole row" in text and "not an outcome's log loss" in text


# -- thresholds as labs set them ------------------------------------------------------------------

def _measured(tmp_path, name="m.csv"):
    rng = np.random.default_rng(11)
    values = rng.lognormal(3.0, 1.0, size=(41, 3)).round(3)
    rows = [[f"s{i}", *values[i], "yes" if i % 3 == 0 else "no"] for i in range(41)]
    rows[5][2] = "NA"  # not measured: left out of the median
    rows[6][2] = "ND"  # not detected: absent, and not a number of the median
    return _write(tmp_path / name, ["id", "miR-155", "miR-21", "miR-210", "metastasis"], rows), values


def test_relative_thresholds_are_the_cohorts_quantiles(tmp_path, reasoner):
    data, values = _measured(tmp_path)
    cohort = read_cohort(data, reasoner, thresholds=[*map(_threshold, ("miR-155>median", "miR-21<p25",
                                                                         "miR-210>=p75"))])
    cut = {c.column: c.threshold for c in cohort.cutoffs}
    mir21 = np.delete(values[:, 1], [5, 6])
    assert cut["miR-155"].value == pytest.approx(np.median(values[:, 0]))
    assert cut["miR-21"].value == pytest.approx(np.quantile(mir21, 0.25))
    assert cut["miR-210"].value == pytest.approx(np.quantile(values[:, 2], 0.75))
    readings = cohort.readings
    assert np.array_equal(readings[:, 0], (values[:, 0] > np.median(values[:, 0])).astype(float))
    assert np.isnan(readings[5, 1]) and readings[6, 1] == 0.0
    expected = (mir21 < np.quantile(mir21, 0.25)).astype(float)
    assert np.array_equal(np.delete(readings[:, 1], [5, 6]), expected)
    assert readings[:, 2].sum() == np.sum(values[:, 2] >= np.quantile(values[:, 2], 0.75))


def _threshold(text):
    from exoreason.evidence import parse_threshold

    return parse_threshold(text)


def test_threshold_all_sets_one_rule_for_every_measured_column(tmp_path, reasoner):
    data, values = _measured(tmp_path)
    out = tmp_path / "p.csv"
    done = run_cli("evaluate", str(data), "--threshold-all", "median", "--predictions", str(out),
                   "--format", "json")
    assert done.returncode == 0, done.stderr
    cutoffs = {c["column"]: c for c in json.loads(done.stdout)["cutoffs"]}
    assert set(cutoffs) == {"miR-155", "miR-21", "miR-210"}
    assert cutoffs["miR-155"]["value"] == pytest.approx(np.median(values[:, 0]))
    assert cutoffs["miR-21"]["value"] == pytest.approx(np.median(np.delete(values[:, 1], [5, 6])))
    assert all(c["operator"] == ">" and c["rule"] == "median" for c in cutoffs.values())
    row = _table(out.read_text())[0]
    assert float(row["threshold_hsa_miR_155_5p"].split()[0].lstrip(">")) == pytest.approx(np.median(values[:, 0]))
    # The table says them, and so do fit and infer --profiles (on stderr).
    assert "miR-155 above" in run_cli("evaluate", str(data), "--threshold-all", "median").stdout
    fitted = run_cli("fit", str(data), "--threshold-all", "median", "--output", str(tmp_path / "f.toml"),
                     "--max-iterations", "2")
    assert fitted.returncode == 0 and "miR-21 above" in fitted.stderr and "median" in fitted.stderr
    profiles = run_cli("infer", "--profiles", str(data), "--threshold-all", "p75", "--ignore-unknown")
    assert profiles.returncode == 0 and "miR-210 above" in profiles.stderr and "p75" in profiles.stderr
    # One column's own rule wins over the rule for all.
    own = run_cli("evaluate", str(data), "--threshold-all", "median", "--threshold", "miR-21<p25", "--format", "json")
    rules = {c["column"]: c["rule"] for c in json.loads(own.stdout)["cutoffs"]}
    assert rules == {"miR-155": "median", "miR-21": "p25", "miR-210": "median"}


def test_ct_values_keep_lower_means_more(tmp_path, reasoner):
    rows = [["a", "28.1", "yes"], ["b", "36.0", "no"], ["c", "Undetermined", "no"], ["d", "31.5", "yes"]]
    data = _write(tmp_path / "ct.csv", ["Sample", "miR-155", "metastasis"], rows)
    cohort = read_cohort(data, reasoner, thresholds=[_threshold("<=35")])
    assert cohort.readings[:, 0].tolist() == [1.0, 0.0, 0.0, 1.0]
    done = run_cli("evaluate", str(data), "--threshold-all", "<median", "--format", "json")
    cut = json.loads(done.stdout)["cutoffs"][0]
    assert cut["operator"] == "<" and cut["value"] == pytest.approx(31.5)


@pytest.mark.parametrize(("args", "needles"), [
    (("--threshold", "miR-21>p150"), ["p150", "p0 to p100"]),
    (("--threshold", "miR-21>medium"), ["'medium'", "median"]),
    (("--threshold-all", "miR-21>median"), ["--threshold-all", "names none"]),
    (("--threshold-all", "median", "--threshold", "<=35"), ["--threshold-all", "give one"]),
    (("--threshold", "CD63>median"), ["CD63>median", "names no node column"]),
])
def test_bad_thresholds_are_one_line_errors(tmp_path, args, needles):
    data, _ = _measured(tmp_path)
    assert_one_line_error(run_cli("evaluate", str(data), *args), 2, *needles)


def test_a_relative_threshold_on_a_column_without_numbers_is_an_error(tmp_path):
    data = _write(tmp_path / "w.csv", ["id", "miR-155", "metastasis"], [["a", "detected", "yes"], ["b", "NA", "no"]])
    assert_one_line_error(run_cli("evaluate", str(data), "--threshold", "miR-155>median"), 2,
                          "no numbers", "'miR-155'")


# -- id columns, header problems, lab spellings ----------------------------------------------------

@pytest.mark.parametrize("name", ["patient", "Patient", "patient_id", "Sample ID", "SampleID", "PATIENT ID"])
def test_patient_and_sample_id_columns_are_id_columns_regression(tmp_path, reasoner, name):
    """The README's fit section names a `patient` column, which was refused as unknown."""
    data = _write(tmp_path / "c.csv", [name, "miR-155", "metastasis"], [["P1", "true", "yes"], ["P2", "false", "no"]])
    assert read_cohort(data, reasoner).ids == ("P1", "P2")


def test_every_problem_of_a_header_is_reported_at_once_regression(tmp_path):
    """The missing-id error came before the unknown-column error: a file took two rounds to fix."""
    data = _write(tmp_path / "c.csv", ["donor", "miR-155", "CD63", "metastasis"], [["a", "true", "1", "yes"]])
    done = run_cli("evaluate", str(data), "--threshold", "miR-999>1")
    assert_one_line_error(done, 2, "no id column", "'donor'", "'CD63'", "miR-999>1")


@pytest.mark.parametrize("cell", ["ND", "nd", "n.d.", "N.D."])
def test_nd_is_read_as_not_detected_regression(tmp_path, reasoner, cell):
    data = _write(tmp_path / "c.csv", ["id", "miR-155", "miR-21"], [["a", cell, "true"]])
    assert read_cohort(data, reasoner).readings.tolist() == [[0.0, 1.0]]
    measured = read_cohort(data, reasoner, thresholds=[_threshold("miR-155<=35")])
    assert measured.readings[0, 0] == 0.0


# -- fit --prior-weight 0 --------------------------------------------------------------------------

def test_a_maximum_likelihood_fit_is_read_by_infer_config_regression(tmp_path, reasoner):
    """fit --prior-weight 0 wrote concentrations rounded to 0.0, and infer --config refused the
    file with about 100 errors."""
    data = _sampled(tmp_path / "c.csv", reasoner, 60, 9)
    out = tmp_path / "ml.toml"
    done = run_cli("fit", str(data), "--prior-weight", "0", "--max-iterations", "5", "--output", str(out))
    assert done.returncode == 0, done.stderr
    written = tomllib.loads(out.read_text())["uncertainty"]
    assert all(v > 0 for table in written.values() for v in table.values())
    answer = run_cli("infer", "--cargo", "miR-155", "--config", str(out), "--format", "json")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["outcomes"]
    assert run_cli("infer", "--cargo", "miR-155", "--config", str(out), "--intervals", "--samples", "50").returncode == 0


# -- the baseline and the learning curve -----------------------------------------------------------

def test_baseline_and_learning_curve_on_the_same_folds(tmp_path, reasoner):
    data = _sampled(tmp_path / "c.csv", reasoner, 90, 13, outcomes=("metastasis",))
    picture = tmp_path / "curve.png"
    done = run_cli("evaluate", str(data), "--folds", "3", "--baseline", "--learning-curve", "20,40",
                   "--max-iterations", "2", "--plot", str(picture), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert picture.read_bytes().startswith(b"\x89PNG")
    report = json.loads(done.stdout)
    assert {s["parameters"] for s in report["scores"]} == {"literature", "fitted", "baseline"}
    curve = report["learning_curve"]
    assert {(c["training_rows"], c["parameters"]) for c in curve} == {
        (n, s) for n in (20, 40) for s in ("literature", "fitted", "baseline")}
    literature = [c for c in curve if c["parameters"] == "literature"]
    score = next(s for s in report["scores"] if s["parameters"] == "literature")
    assert all(c["auc"] == score["auc"] and c["brier"] == score["brier"] for c in literature)  # not trained
    text = run_cli("evaluate", str(data), "--folds", "3", "--baseline", "--max-iterations", "2").stdout
    assert "baseline" in text and "logistic regression" in text


def test_the_baseline_is_scikit_learns_logistic_regression_on_the_folds(tmp_path, reasoner):
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    data = _sampled(tmp_path / "c.csv", reasoner, 60, 17, outcomes=("metastasis",))
    cohort = read_cohort(data, reasoner)
    found = evaluate(reasoner.compiled, cohort, folds=2, baseline=True, max_iterations=1)
    label = cohort.nodes.index("metastasis")
    features = [j for j in range(len(cohort.nodes)) if j != label]
    for fold in range(2):
        train, test = found.fold != fold, found.fold == fold
        model = make_pipeline(SimpleImputer(add_indicator=True, keep_empty_features=True),
                              LogisticRegression(max_iter=2000))
        model.fit(cohort.readings[train][:, features], cohort.readings[train, label].astype(int))
        expected = model.predict_proba(cohort.readings[test][:, features])[:, 1]
        assert found.predicted[("metastasis", "baseline")][test] == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("args", "needles"), [
    (("--baseline",), ["--baseline", "--folds"]),
    (("--learning-curve", "10"), ["--learning-curve", "--folds"]),
    (("--folds", "3", "--learning-curve", "10,x"), ["'x'", "positive number"]),
    (("--folds", "3", "--learning-curve", "10,10"), ["repeated"]),
    (("--folds", "3", "--learning-curve", "50"), ["--learning-curve 50", "40 training rows"]),
])
def test_baseline_and_learning_curve_bad_input(tmp_path, reasoner, args, needles):
    data = _sampled(tmp_path / "c.csv", reasoner, 60, 1, outcomes=("metastasis",))
    assert_one_line_error(run_cli("evaluate", str(data), *args), 2, *needles)


def test_auc_interval_covers_the_auc_and_narrows_with_rows():
    rng = np.random.default_rng(0)
    widths = []
    for n in (60, 2000):
        y = rng.integers(0, 2, n)
        p = np.clip(0.3 * y + rng.random(n) * 0.7, 0, 1)
        low, high = auc_interval(y, p, samples=400)
        assert low <= roc_auc(y, p) <= high
        widths.append(high - low)
    assert widths[1] < widths[0] / 2
    assert auc_interval(np.array([1, 1]), np.array([0.2, 0.3])) is None


# -- the real cohorts ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tcga-luad", "tcga-prad"])
def test_the_shipped_real_cohorts_are_the_shared_ones(name):
    if not (SHARED / name).is_dir():
        pytest.skip(f"{SHARED / name} is absent (the shared data folder beside the repository)")
    for file in ("README.md", "rpm.csv", "labels.csv", "convert.py"):
        assert (EXAMPLES / name / file).read_bytes() == (SHARED / name / file).read_bytes(), file


def test_a_real_cohort_reads_with_median_thresholds(reasoner):
    cohort = read_cohort(EXAMPLES / "tcga-luad" / "rpm.csv", reasoner,
                         thresholds=[_threshold(">median")])
    assert len(cohort) == 501 and len(cohort.cutoffs) == 13
    label = cohort.readings[:, cohort.nodes.index("metastasis")]
    assert int(label.sum()) == 181
    for j, cut in enumerate(cohort.cutoffs):
        assert cut.key == cohort.nodes[j] and cut.threshold.relative
        present = cohort.readings[:, j]
        assert present.sum() <= len(cohort) / 2 + 1  # above the median: at most half the patients


# -- the README's section "Scoring on a real cohort" ------------------------------------------------

def _real_cohort_script():
    import importlib.util

    spec = importlib.util.spec_from_file_location("real_cohort", ROOT / "docs" / "real_cohort.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _figures():
    return json.loads((ROOT / "docs" / "real-cohort.json").read_text())


def test_the_readme_real_cohort_section_is_the_scripts():
    script = _real_cohort_script()
    figures = _figures()
    readme = (ROOT / "README.md").read_text()
    assert script.START in readme and script.END in readme
    assert script.readme_section(readme) == script.section(figures)
    assert [r["cohort"] for r in figures["cohorts"]] == list(script.COHORTS)
    for result in figures["cohorts"]:
        assert (ROOT / "docs" / f"learning-curve-{result['cohort']}.png").read_bytes().startswith(b"\x89PNG")
        assert result["command"] == " ".join(script.command(result["cohort"], tuple(result["sizes"])))
        assert "--threshold-all median" in result["command"] and "--folds 5" in result["command"]
        assert set(result["scores"]) == {"literature", "fitted", "baseline"}


def test_the_real_cohort_figures_are_the_models_today(reasoner):
    """The literature's scores in the README are what evaluate gives on the shipped files now: when
    the model's numbers change, this fails until `python docs/real_cohort.py` is run again."""
    from exoreason.evidence import parse_threshold_all

    for result in _figures()["cohorts"]:
        cohort = read_cohort(EXAMPLES / result["cohort"] / "rpm.csv", reasoner,
                             thresholds=[parse_threshold_all("median")])
        score = evaluate(reasoner.compiled, cohort).score("metastasis", "literature")
        stored = result["scores"]["literature"]
        assert (result["rows"], result["positives"]) == (score.rows, score.positives)
        assert stored["auc"] == pytest.approx(score.auc, abs=1e-12), "run python docs/real_cohort.py"
        assert stored["brier"] == pytest.approx(score.brier, abs=1e-12), "run python docs/real_cohort.py"
        assert stored["log_loss"] == pytest.approx(score.log_loss, abs=1e-12), "run python docs/real_cohort.py"


def test_the_real_cohort_script_runs_on_a_slice(tmp_path):
    script = _real_cohort_script()
    lines = (EXAMPLES / "tcga-luad" / "rpm.csv").read_text().splitlines()
    part = tmp_path / "slice.csv"
    part.write_text("\n".join(lines[:61]) + "\n")
    picture = tmp_path / "curve.png"
    result = script.run("tcga-luad", rows=part, folds=2, sizes=(10, 20, 400), picture=picture, samples=100)
    assert result["sizes"] == [10, 20]  # 400 is more than a fold's 30 training rows
    assert result["rows"] == 60 and result["cutoffs"] == 13
    assert picture.read_bytes().startswith(b"\x89PNG")
    stored = _figures()["cohorts"][0]
    assert set(result) == set(stored)
    for name, score in result["scores"].items():
        low, high = score["auc_95"]
        assert low <= score["auc"] <= high, name
    assert {(c["training_rows"], c["parameters"]) for c in result["curve"]} == {
        (n, s) for n in (10, 20) for s in ("literature", "fitted", "baseline")}
    text = script.section({"cohorts": [result]})
    assert text.startswith(script.START) and text.endswith(script.END) and "| 20 |" in text


def test_evaluate_options_are_checked_by_the_library_before_anything_runs(tmp_path):
    """Which evaluate options go together was decided in the command line; evaluation.check_options
    decides it, naming every option that needs --folds, before the cohort is read."""
    from exoreason.errors import InputError
    from exoreason.evaluation import check_options

    missing = tmp_path / "no-such-cohort.csv"
    with pytest.raises(InputError, match=r"^--max-iterations and --prior-weight go with --folds \(they set"):
        check_options(missing, folds=None, fold_options=["--max-iterations", "--prior-weight"])
    check_options(missing, folds=3, fold_options=["--max-iterations", "--prior-weight"])
    with pytest.raises(InputError, match="--predictions and --plot name the same file"):
        check_options(missing, folds=None, predictions=tmp_path / "x.png", plot=tmp_path / "x.png")
    done = run_cli("evaluate", str(missing), "--max-iterations", "5")
    assert_one_line_error(done, 2, "--max-iterations goes with --folds")
