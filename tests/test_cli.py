"""The command line as a user meets it: help examples, packaging, and the graph driving the network."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXOREASON, ONTOLOGY, ROOT, assert_one_line_error, claims_file, run_cli

COMMANDS = ["build", "validate", "coverage", "query", "push", "infer", "suggest", "sensitivity", "explain", "fit",
            "evaluate", "export"]


def test_help_lists_commands_and_imports_no_heavy_library():
    done = run_cli("--help")
    assert done.returncode == 0
    for command in COMMANDS:
        assert command in done.stdout
    # --help must not import pgmpy or owlready2 (checked directly, not by timing).
    probe = subprocess.run([sys.executable, "-c",
                            "import sys\nfrom typer.testing import CliRunner\nfrom exoreason.cli import app\n"
                            "CliRunner().invoke(app, ['--help'])\n"
                            "print(sorted(m for m in ('pgmpy', 'owlready2', 'rdflib', 'owlrl') if m in sys.modules))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"


def test_infer_on_the_shipped_network_imports_no_graph_library_regression():
    """`--sources` made every answering command import the build (and rdflib with it) to parse an
    option it was not given: a tenth of a second more on each cold infer."""
    probe = subprocess.run([sys.executable, "-c",
                            "import sys\nfrom typer.testing import CliRunner\nfrom exoreason.cli import app\n"
                            "done = CliRunner().invoke(app, ['infer', '--cargo', 'miR-155'])\n"
                            "assert done.exit_code == 0, done.output\n"
                            "print(sorted(m for m in ('pgmpy', 'owlready2', 'rdflib', 'owlrl') if m in sys.modules))"],
                           capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "[]"


def _example(command: str) -> str:
    done = run_cli(command, "--help")
    assert done.returncode == 0, done.stderr
    found = re.findall(r"Example: (exoreason .+)", done.stdout)
    assert found, f"`exoreason {command} --help` has no Example line"
    return found[0].strip()


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "push"])
def test_help_example_runs(command, tmp_path):
    example = _example(command)
    args = shlex.split(example)[1:]
    if "examples/" in example:  # the synthetic cohorts the repository ships, as from its root
        os.symlink(ROOT / "examples", tmp_path / "examples")
    done = run_cli(*args, cwd=tmp_path)
    assert done.returncode == 0, (example, done.stderr)
    assert done.stdout.strip()


def test_push_help_example_runs_against_a_server(oxigraph_server):
    example = _example("push")
    args = shlex.split(example.replace("http://127.0.0.1:7878", oxigraph_server))[1:]
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    count = run_cli("query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--endpoint",
                    f"{oxigraph_server}/query", "--format", "csv")
    assert int(count.stdout.splitlines()[1]) > 1000


@pytest.mark.parametrize(("args", "needles"), [
    (["frobnicate"], ["No such command 'frobnicate'", "(see `exoreason --help`)"]),
    (["infer", "--cargoo", "miR-155"], ["No such option: --cargoo", "(see `exoreason infer --help`)"]),
    (["infer", "--cargo"], ["--cargo", "requires an argument", "(see `exoreason infer --help`)"]),
    (["suggest", "--target", "metastasis", "--top", "three"], ["'three'", "(see `exoreason suggest --help`)"]),
])
def test_a_usage_error_is_one_line_naming_the_bad_word_and_the_help(args, needles):
    """Usage errors pass through `main`, which makes typer's boxed, multi-line message one line
    naming what was wrong and the command whose help says more, with exit code 2."""
    done = run_cli(*args)
    assert_one_line_error(done, 2, *needles)
    assert done.stderr.startswith("exoreason: error: ") and "│" not in done.stderr and done.stdout == ""


def test_adding_a_finding_changes_the_network(tmp_path):
    """The network comes from the graph: a new claim in a template adds an edge after a rebuild."""
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    env = {"EXOREASON_ONTOLOGY_DIR": str(copy)}
    before = json.loads((copy / "exoreason-network.json").read_text())
    assert not any(e["parent"] == "hsa_miR_155_5p" and e["child"] == "metastasis" for e in before["edges"])
    # a claim that exosomal miR-155 (acting in recipient cells) promotes metastasis
    (copy / "templates" / "claims-test.tsv").write_text(claims_file(
        id="TEST-155-metastasis", subject="miRBase:MIMAT0000646", relation="exo:promotes",
        object="exo:Metastasis", source="Section: test", evidence="ECO:0000304", quote="a test quote",
        context="exosomal"))
    done = run_cli("build", env=env)
    assert done.returncode == 0, done.stderr
    after = json.loads((copy / "exoreason-network.json").read_text())
    new = [e for e in after["edges"] if e["parent"] == "hsa_miR_155_5p" and e["child"] == "metastasis"]
    assert len(new) == 1
    assert new[0]["findings"][0]["quote"] == "a test quote"
    infer = json.loads(run_cli("infer", "--cargo", "miR-155", "--format", "json", env=env).stdout)
    metastasis = next(o for o in infer["outcomes"] if o["key"] == "metastasis")
    assert metastasis["posterior"] > metastasis["prior"]


def test_a_cycle_is_a_build_error_naming_it(tmp_path):
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    (copy / "templates" / "claims-cycle.tsv").write_text(claims_file(
        id="CYCLE-1", subject="exo:Metastasis", relation="exo:promotes", object="GO:0001837",
        source="Section: test", evidence="ECO:0000304", quote="q"))
    before = (copy / "exoreason-kg.ttl").read_bytes()
    done = run_cli("build", env={"EXOREASON_ONTOLOGY_DIR": str(copy)})
    assert done.returncode == 2
    assert "cycle in the derived network" in done.stderr
    assert "metastasis" in done.stderr and "epithelial to mesenchymal transition" in done.stderr
    assert (copy / "exoreason-kg.ttl").read_bytes() == before


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory):
    """A plain (non-editable) install of the wheel, into its own directory."""
    work = tmp_path_factory.mktemp("wheel")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work), str(ROOT)],
                          capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    wheel = next(work.glob("exoreason-*.whl"))
    target = work / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                           str(wheel)], capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr
    return wheel, target


def test_wheel_ships_ontology_and_queries(wheel_install):
    import zipfile

    wheel, _ = wheel_install
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("exoreason/_data/ontology/exoreason.owl", "exoreason/_data/ontology/exoreason-kg.ttl",
                     "exoreason/_data/ontology/exoreason-network.json", "exoreason/_data/queries/targets-of-mirna.rq",
                     "exoreason/parameters.toml", "exoreason/py.typed"):
        assert required in names


def test_plain_install_finds_its_data_outside_the_checkout(wheel_install, tmp_path):
    _, target = wheel_install
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("EXOREASON_ONTOLOGY_DIR", None)
    where = subprocess.run([sys.executable, "-c", "import exoreason.resources as r; print(r.ontology_dir())"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    assert where.stdout.strip().startswith(str(target))
    for args in (["infer", "--cargo", "miR-155", "--format", "json"],
                 ["query", "targets-of-mirna", "--bind", "mirna=miR-155", "--format", "csv"]):
        done = subprocess.run([sys.executable, "-m", "exoreason", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, check=False, timeout=300)
        assert done.returncode == 0, done.stderr
    assert "TP53INP1" in done.stdout


def test_readme_opens_with_the_two_commands_and_its_example_is_current():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
    assert "bash .ci/install-java.sh" in readme
    shown = re.search(r"^outcome\s+chemoresistance\s+chemoresistance\s+([0-9.]+)\s+([0-9.]+)", readme, re.MULTILINE)
    assert shown, "README shows no chemoresistance line"
    actual = run_cli("infer", "--cargo", "miR-155")
    line = next(ln for ln in actual.stdout.splitlines() if ln.split()[:2] == ["outcome", "chemoresistance"])
    assert line.split()[3:5] == [shown.group(1), shown.group(2)], "README's example output is stale"
    example = re.search(r"```\n\$ exoreason infer --cargo miR-155\n(.*?)```", readme, re.DOTALL)
    assert example, "README has no infer example"
    lines = set(actual.stdout.splitlines())
    stale = [ln for ln in example.group(1).splitlines() if ln not in ("", "...") and ln not in lines]
    assert not stale, f"README's example output is stale (python docs/refresh.py): {stale}"


def test_exoreason_executable_is_on_the_venv():
    assert Path(EXOREASON).exists()


def test_every_test_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    named = re.findall(r"`(tests/[\w/]+\.py)(?:::(\w+))?`|`::(\w+)`", readme)
    assert len(named) > 15
    current = None
    for path, test, bare in named:
        if path:
            current = ROOT / path
            assert current.is_file(), path
        name = test or bare
        if name:
            assert current is not None
            assert re.search(rf"^(async )?def {name}\(", current.read_text(), re.MULTILINE), f"{current.name}::{name}"


@pytest.mark.parametrize(("args", "choices"), [
    (["infer", "--cargo", "miR-155"], "'table', 'json', 'csv'"),
    (["suggest", "--target", "metastasis"], "'table', 'json'"),
    (["sensitivity", "--outcome", "metastasis"], "'table', 'json'"),
    (["explain", "--cargo", "miR-155", "--outcome", "metastasis"], "'table', 'json'"),
    (["fit", "examples/cohort.csv", "--output", "never-written.toml"], "'table', 'json'"),
    (["evaluate", "examples/cohort.csv"], "'table', 'json', 'csv'"),
    (["coverage"], "'table', 'csv', 'tsv', 'json'"),
    (["query", "coverage"], "'table', 'csv', 'tsv', 'json', 'ttl', 'nt', 'jsonld'"),
    (["export", "--output", "never-written.owl"], "'owl', 'ttl', 'bif', 'xmlbif', 'dot', 'graphml', 'kgx'"),
])
def test_every_format_is_a_declared_choice_in_any_case(args, choices):
    """Six commands checked --format by hand, each in its own words. The choices are now declared
    once per command, refused before any work in one line that lists them, in any case."""
    done = run_cli(*args, "--format", "xml", cwd=ROOT)
    assert_one_line_error(done, 2, "'xml' is not one of " + choices, f"(see `exoreason {args[0]} --help`)")
    assert not (ROOT / "never-written.toml").exists() and not (ROOT / "never-written.owl").exists()
    help_text = " ".join(run_cli(args[0], "--help").stdout.split())
    assert "<" + choices.replace("'", "").replace(", ", "|") + ">" in help_text


def test_export_formats_are_the_library_s():
    from exoreason.cli import ExportFormat
    from exoreason.export import EXPORT_FORMATS

    assert tuple(ExportFormat) == EXPORT_FORMATS


def test_query_formats_are_the_library_s():
    from exoreason.cli import QueryFormat
    from exoreason.query import GRAPH_FORMATS, ROW_FORMATS

    assert tuple(QueryFormat) == (*ROW_FORMATS, *GRAPH_FORMATS)


QUERY_ONLY = {"--cargo": ["miR-155"], "--absent": ["miR-21"], "--observe": ["EMT=true"], "--do": ["EMT=false"],
              "--intervals": [], "--samples": ["10"], "--seed": ["1"], "--plot": ["p.png"], "--verbose": [],
              "--show-notes": [], "--all": []}
BATCH_ONLY = {"--output": ["o.csv"], "--id-column": ["id"], "--ignore-unknown": [], "--threshold": ["<=35"],
              "--threshold-all": ["median"], "--with-prior": []}


@pytest.mark.parametrize("option", sorted(QUERY_ONLY))
def test_an_option_of_a_single_query_is_refused_with_profiles(option, tmp_path):
    done = run_cli("infer", "--profiles", str(ROOT / "examples" / "cohort.csv"), option, *QUERY_ONLY[option],
                   cwd=tmp_path)
    assert_one_line_error(done, 2, f"{option} is for a single query, not --profiles")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("option", sorted(BATCH_ONLY))
def test_an_option_of_a_batch_is_refused_without_profiles(option, tmp_path):
    done = run_cli("infer", "--cargo", "miR-155", option, *BATCH_ONLY[option], cwd=tmp_path)
    assert_one_line_error(done, 2, f"{option} goes with --profiles")
    assert list(tmp_path.iterdir()) == []


def test_infer_format_follows_the_kind_of_run():
    from exoreason.cohort import infer_format
    from exoreason.errors import InputError

    assert infer_format(set(), batch=False) == "table" and infer_format(set(), batch=True) == "csv"
    assert infer_format({"--cargo"}, batch=False, fmt="json") == "json"
    with pytest.raises(InputError, match="csv is for --profiles"):
        infer_format({"--cargo"}, batch=False, fmt="csv")
    with pytest.raises(InputError, match="not a table"):
        infer_format(set(), batch=True, fmt="table")
    with pytest.raises(InputError, match="--samples and --seed go with --intervals"):
        infer_format({"--cargo", "--seed"}, batch=False)
    assert infer_format({"--cargo", "--seed", "--intervals"}, batch=False) == "table"
