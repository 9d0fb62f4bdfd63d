"""Cohort files as labs keep them: delimiters, id columns, lab spellings, measurements with a
threshold, unknown columns, prior and change columns, and the synthetic cohorts in examples/."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import sys

import pytest

from exoreason.cohort import detect_delimiter, run_profiles
from exoreason.errors import InputError

from .conftest import ROOT, assert_one_line_error, run_cli

EXAMPLES = ROOT / "examples"


def _answers(done) -> list[dict[str, str]]:
    assert done.returncode == 0, done.stderr
    return list(csv.DictReader(io.StringIO(done.stdout)))


def _profiles(tmp_path, text: str, name: str = "p.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- delimiters and id columns ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "name"), [
    ("id,miR-155,miR-21\na,true,\n", "comma.csv"),
    ("id\tmiR-155\tmiR-21\na\ttrue\t\n", "tab.tsv"),
    ("id;miR-155;miR-21\na;true;\n", "semicolon.csv"),
    ("ID,miR-155,miR-21\na,true,\n", "ID.csv"),
    ("Sample\tmiR-155\tmiR-21\na\tyes\tNA\n", "Sample.tsv"),
    ("sample_id;miR-155;miR-21\na;detected;N/A\n", "sample_id.csv"),
    ("sample,miR-155,miR-21\na,Present,nan\n", "sample.csv"),
])
def test_tab_semicolon_files_and_lab_id_columns_are_read_regression(tmp_path, reasoner, text, name):
    """Sample or ID id columns were refused, and tab- or semicolon-separated files gave "no 'id'
    column"; NA, N/A and detected were refused."""
    rows = _answers(run_cli("infer", "--profiles", _profiles(tmp_path, text, name)))
    expected = reasoner.marginals({"hsa_miR_155_5p": True})
    assert rows[0]["id"] == "a"
    for key, value in expected.items():
        assert float(rows[0][key]) == pytest.approx(value, abs=1e-11)


def test_delimiter_detection():
    assert detect_delimiter("id,miR-155") == ","
    assert detect_delimiter("id\tmiR-155\tmiR-21") == "\t"
    assert detect_delimiter("id;miR-155;miR-21") == ";"
    assert detect_delimiter('"a;b",miR-155,miR-21') == ","  # quoted delimiters do not count
    assert detect_delimiter("id") == ","


def test_decimal_comma_in_a_semicolon_file(tmp_path, reasoner):
    rows = _answers(run_cli("infer", "--profiles", _profiles(tmp_path, "id;miR-155\na;0,9\nb;0.9\n")))
    expected = reasoner.marginals({"hsa_miR_155_5p": 0.9})["chemoresistance"]
    assert float(rows[0]["chemoresistance"]) == float(rows[1]["chemoresistance"]) == pytest.approx(expected)


def test_id_column_option(tmp_path):
    path = _profiles(tmp_path, "donor,miR-155\nP1,true\n")
    assert_one_line_error(run_cli("infer", "--profiles", path), 2, "no id column", "--id-column")
    assert _answers(run_cli("infer", "--profiles", path, "--id-column", "donor"))[0]["id"] == "P1"
    assert_one_line_error(run_cli("infer", "--profiles", path, "--id-column", "case"), 2, "'case'", "'donor'")
    both = _profiles(tmp_path, "id,Sample,miR-155\n1,a,true\n", "both.csv")
    assert_one_line_error(run_cli("infer", "--profiles", both), 2, "several id columns", "--id-column")
    done = run_cli("infer", "--profiles", both, "--id-column", "Sample", "--ignore-unknown")
    assert _answers(done)[0]["id"] == "a" and "'id'" in done.stderr


# -- unknown columns, and columns that are processes or outcomes --------------------------------

def test_all_unknown_columns_are_named_at_once_regression(tmp_path):
    """The file stopped at the first unknown column (CD63), naming only it: a 300-miRNA panel
    needed one run per unknown name."""
    path = _profiles(tmp_path, "id,CD63,miR-155,miR-15,age,\na,true,true,false,61,\n")
    out = tmp_path / "out.csv"
    done = run_cli("infer", "--profiles", path, "--output", str(out))
    assert_one_line_error(done, 2, "4 unknown columns", "'CD63'", "'miR-15' (closest: ",
                          "'age'", "column 6 (no name)", "--ignore-unknown")
    assert not out.exists()
    done = run_cli("infer", "--profiles", path, "--ignore-unknown")
    assert done.returncode == 0
    warning = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and "ignoring 4 unknown columns" in warning[0]
    for name in ("'CD63'", "'miR-15'", "'age'", "column 6 (no name)"):
        assert name in warning[0]


def test_outcome_and_process_columns_are_observations_regression(tmp_path, reasoner):
    """An outcome column was called an "unknown cargo": processes and outcomes are observations."""
    path = _profiles(tmp_path, "id,miR-155,metastasis,EMT\na,true,yes,NA\nb,,no,0.8\n")
    rows = _answers(run_cli("infer", "--profiles", path))
    a = reasoner.marginals({"hsa_miR_155_5p": True, "metastasis": True})
    b = reasoner.marginals({"metastasis": False, "EMT": 0.8})
    for key in reasoner.outcome_keys:
        assert float(rows[0][key]) == pytest.approx(a[key], abs=1e-11)
        assert float(rows[1][key]) == pytest.approx(b[key], abs=1e-11)
    assert float(rows[0]["metastasis"]) == 1.0 and float(rows[1]["metastasis"]) == 0.0
    single = json.loads(run_cli("infer", "--cargo", "miR-155", "--observe", "metastasis=true", "--format",
                                "json").stdout)
    assert {o["key"]: o["posterior"] for o in single["outcomes"]} == {k: float(v) for k, v in rows[0].items()
                                                                       if k != "id"}


# -- measurements -------------------------------------------------------------------------------

def test_ct_values_with_a_threshold_for_every_cargo_column(tmp_path, reasoner):
    text = ("Sample\tmiR-155\tmiR-21\tmetastasis\n"
            "s1\t28.4\tUndetermined\tNA\n"
            "s2\t36.0\t34.9\t1\n"
            "s3\t35\tNA\tno\n")
    path = _profiles(tmp_path, text, "ct.tsv")
    assert_one_line_error(run_cli("infer", "--profiles", path), 2, "line 2", "'miR-155'", "'28.4'", "--threshold")
    rows = _answers(run_cli("infer", "--profiles", path, "--threshold", "<=35"))
    expected = [{"hsa_miR_155_5p": True, "hsa_miR_21_5p": False},
                {"hsa_miR_155_5p": False, "hsa_miR_21_5p": True, "metastasis": True},  # 1 is a reading here
                {"hsa_miR_155_5p": True, "metastasis": False}]
    for row, evidence in zip(rows, expected, strict=True):
        answer = reasoner.marginals(evidence)
        for key, value in answer.items():
            assert float(row[key]) == pytest.approx(value, abs=1e-11), (row["id"], key)


def test_a_threshold_for_one_column(tmp_path, reasoner):
    path = _profiles(tmp_path, "id,miR-155 TPM,miR-21\na,12.5,true\nb,3,0.5\n")
    # "miR-155 TPM" names no node: the column is unknown, and so is the threshold's column.
    assert_one_line_error(run_cli("infer", "--profiles", path, "--threshold", "miR-155 TPM>=10",
                                  "--ignore-unknown"), 2, "miR-155 TPM>=10 names no node column")
    renamed = _profiles(tmp_path, "id,miR-155,miR-21\na,12.5,true\nb,3,0.5\n", "tpm.csv")
    rows = _answers(run_cli("infer", "--profiles", renamed, "--threshold", "miR-155>=10"))
    first = reasoner.marginals({"hsa_miR_155_5p": True, "hsa_miR_21_5p": True})
    second = reasoner.marginals({"hsa_miR_155_5p": False, "hsa_miR_21_5p": 0.5})
    assert float(rows[0]["metastasis"]) == pytest.approx(first["metastasis"], abs=1e-11)
    assert float(rows[1]["metastasis"]) == pytest.approx(second["metastasis"], abs=1e-11)
    # The column may be named by any name of its node.
    again = _answers(run_cli("infer", "--profiles", renamed, "--threshold", "hsa-miR-155-5p >= 10"))
    assert again == rows


@pytest.mark.parametrize(("threshold", "needles"), [
    ("35", ["bad --threshold '35'", "<="]),
    ("<=lots", ["'lots' is not a number"]),
    ("miR-999>=10", ["names no node column"]),
    ("<=inf", ["finite"]),
])
def test_bad_thresholds_are_one_line(tmp_path, threshold, needles):
    path = _profiles(tmp_path, "id,miR-155\na,30\n")
    assert_one_line_error(run_cli("infer", "--profiles", path, "--threshold", threshold), 2, *needles)


def test_two_thresholds_for_one_column_and_cohort_options_without_profiles(tmp_path):
    path = _profiles(tmp_path, "id,miR-155\na,30\n")
    assert_one_line_error(run_cli("infer", "--profiles", path, "--threshold", "<=35", "--threshold", "<30"), 2,
                          "two thresholds for every cargo column")
    assert_one_line_error(run_cli("infer", "--profiles", path, "--threshold", "miR-155<=35", "--threshold",
                                  "hsa-miR-155-5p<30"), 2, "two thresholds for column 'miR-155'")
    for option in (["--threshold", "<=35"], ["--with-prior"], ["--id-column", "x"], ["--ignore-unknown"]):
        assert_one_line_error(run_cli("infer", "--cargo", "miR-155", *option), 2, option[0], "--profiles")


# -- prior and change columns; no float noise ---------------------------------------------------

def test_with_prior_adds_prior_and_change_columns(tmp_path, reasoner):
    path = _profiles(tmp_path, "id,miR-155\na,true\nb,\n")
    rows = _answers(run_cli("infer", "--profiles", path, "--with-prior"))
    prior = reasoner.marginals({})
    keys = [k for k in rows[0] if k != "id" and not k.endswith(("_prior", "_change"))]
    assert sorted(keys) == sorted(reasoner.outcome_keys)
    assert list(rows[0])[1:4] == [keys[0], f"{keys[0]}_prior", f"{keys[0]}_change"]
    for key in keys:
        for row in rows:
            assert float(row[f"{key}_prior"]) == pytest.approx(prior[key], abs=1e-11)
            assert float(row[f"{key}_change"]) == pytest.approx(float(row[key]) - prior[key], abs=1e-11)
        assert rows[1][f"{key}_change"] == "0"  # nothing observed: no change, and no noise
    data = json.loads(run_cli("infer", "--profiles", path, "--with-prior", "--format", "json").stdout)
    assert data[1]["chemoresistance_change"] == 0.0 and data[0]["chemoresistance_change"] > 0


def test_no_float_noise_in_profile_output_regression(tmp_path):
    """The output carried float noise such as -2.7755575615628914e-17."""
    path = _profiles(tmp_path, "id,miR-155,miR-21,miR-200c\n" + "".join(
        f"s{i},{a},{b},{c}\n" for i, (a, b, c) in enumerate(
            [("true", "", ""), ("", "false", "0.3"), ("", "", ""), ("false", "true", "true")])))
    for fmt in ("csv", "json"):
        text = run_cli("infer", "--profiles", path, "--with-prior", "--format", fmt).stdout
        for number in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text):
            # a real change may be small (1e-5); no noise below 1e-12 is written
            assert "e" not in number or abs(float(number)) >= 1e-12, (fmt, number)
            assert len(number.split("e")[0].lstrip("-0.").replace(".", "")) <= 12, (fmt, number)


def test_run_profiles_names_ignored_columns_to_its_caller(tmp_path, reasoner):
    path = tmp_path / "p.csv"
    path.write_text("id,CD9,miR-155\na,1,1\n")
    told: list[str] = []
    summary = run_profiles(reasoner, path, tmp_path / "o.csv", ignore_unknown=True, warn=told.append,
                           progress=False)
    assert summary.ignored == ["'CD9'"] and len(told) == 1 and "'CD9'" in told[0]
    with pytest.raises(InputError, match="1 unknown column"):
        run_profiles(reasoner, path, tmp_path / "o2.csv", progress=False)


# -- the synthetic cohorts in examples/ ----------------------------------------------------------

def test_example_cohorts_are_current(tmp_path):
    """examples/ is what examples/make_cohort.py writes from the model (seeded)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        import make_cohort
    finally:
        sys.path.remove(str(EXAMPLES))
    make_cohort.main(tmp_path)
    for name in ("cohort.csv", "cohort-ct.tsv"):
        assert (tmp_path / name).read_bytes() == (EXAMPLES / name).read_bytes(), name
    ids = [line.split(",")[0] for line in (EXAMPLES / "cohort.csv").read_text().splitlines()[1:]]
    assert all(i.startswith("SYN-") for i in ids)  # labelled synthetic wherever a row travels
    assert "synthetic" in (EXAMPLES / "README.md").read_text()


def test_example_cohort_has_cargo_and_outcome_columns(reasoner):
    header = (EXAMPLES / "cohort.csv").read_text().splitlines()[0].split(",")
    kinds = {reasoner.spec.node(reasoner.resolve_node(h)).kind for h in header[1:]}
    assert kinds == {"cargo", "outcome"}


def _help_examples() -> list[str]:
    found = []
    for command in ("infer", "explain", "export", "suggest", "sensitivity", "fit", "evaluate", "query"):
        done = run_cli(command, "--help")
        found += [e.strip() for e in re.findall(r"Example: (exoreason .+)", done.stdout) if "examples/" in e]
    return found


def test_help_examples_naming_example_files_run_as_written(tmp_path, validator_or_none):
    """Every --help example that needs a file uses examples/ and runs from the repository root
    (here a directory holding examples/, so that nothing is written into the checkout)."""
    os.symlink(EXAMPLES, tmp_path / "examples")
    examples = _help_examples()
    assert len(examples) >= 2
    for example in examples:
        done = run_cli(*shlex.split(example)[1:], cwd=tmp_path)
        assert done.returncode == 0, (example, done.stderr)
        assert done.stdout.strip(), example
        if "--profiles" in example and validator_or_none is not None:
            data = json.loads(run_cli(*shlex.split(example)[1:], "--format", "json", cwd=tmp_path).stdout)
            assert validator_or_none.is_valid(data), example
            assert len(data) > 10 and all(row["id"].startswith("SYN-") for row in data)


@pytest.fixture(scope="module")
def validator_or_none():
    try:
        import jsonschema
    except ImportError:
        return None
    return jsonschema.Draft202012Validator(json.loads((ROOT / "docs" / "answer.schema.json").read_text()))


# -- any text: a reading, or one clear error ----------------------------------------------------

def test_any_threshold_or_measurement_text_is_read_or_refused():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from exoreason.errors import ExoreasonError
    from exoreason.evidence import Threshold, parse_measurement, parse_threshold

    text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)

    @settings(max_examples=300, deadline=None)
    @given(spec=st.one_of(text, st.builds(lambda c, o, v: f"{c}{o}{v}", text, st.sampled_from(["<=", "<", ">=", ">"]),
                                          st.one_of(text, st.floats(allow_nan=True).map(str)))),
           cell=st.one_of(text, st.floats(allow_nan=True, allow_infinity=True).map(str)),
           comma=st.booleans())
    def check(spec, cell, comma):
        try:
            threshold = parse_threshold(spec)
        except ExoreasonError as exc:
            assert "\n" not in exc.message()
            threshold = Threshold(None, "<=", 35.0)
        try:
            value = parse_measurement(cell, threshold, comma)
        except ValueError as exc:
            assert "\n" not in str(exc)
            return
        assert value in (None, 0.0, 1.0)

    check()
