"""Exporting the network and checking it against an independent exact engine (pyAgrum)."""

from __future__ import annotations

import itertools

import pytest

from .conftest import ONTOLOGY, assert_one_line_error, canonical_triples, run_cli


def _exported(tmp_path_factory, fmt, name):
    path = tmp_path_factory.mktemp("export") / name
    done = run_cli("export", "--format", fmt, "--output", str(path))
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def bif_file(tmp_path_factory):
    return _exported(tmp_path_factory, "bif", "exoreason.bif")


def _evidence_sets(reasoner):
    cargo = sorted(n.key for n in reasoner.spec.nodes if n.kind == "cargo")
    sets = [{}]
    sets += [{c: True} for c in cargo]
    sets += [{c: False} for c in cargo[:4]]
    sets += [{a: True, b: True} for a, b in itertools.combinations(cargo[:6], 2)]
    sets.append({cargo[0]: True, cargo[1]: False, cargo[2]: True})
    return sets


@pytest.fixture(scope="module")
def xmlbif_file(tmp_path_factory):
    # pyAgrum picks its reader by extension: .bifxml is XMLBIF.
    return _exported(tmp_path_factory, "xmlbif", "exoreason.bifxml")


@pytest.mark.parametrize(("fixture", "tolerance"), [
    # pyAgrum's XMLBIF reader keeps double precision: agreement to 1e-9.
    ("xmlbif_file", 1e-9),
    # pyAgrum's BIF reader parses probabilities in single precision (0.9 becomes 0.89999998),
    # so through BIF the engines can agree only to about 1e-7.
    ("bif_file", 1e-6),
])
def test_posteriors_equal_pyagrum_on_exported_network(reasoner, request, fixture, tolerance):
    """exoreason (pgmpy variable elimination) and pyAgrum (C++ LazyPropagation) agree."""
    import pyagrum as gum

    bn = gum.loadBN(str(request.getfixturevalue(fixture)))
    assert bn.size() == len(reasoner.compiled.tables)
    checked = 0
    for evidence in _evidence_sets(reasoner):
        ours = reasoner.marginals(evidence)
        engine = gum.LazyPropagation(bn)
        engine.setEvidence({k: "true" if v else "false" for k, v in evidence.items()})
        engine.makeInference()
        for key, p in ours.items():
            theirs = engine.posterior(key)[{key: "true"}]
            assert p == pytest.approx(theirs, abs=tolerance), (evidence, key)
            checked += 1
    assert checked > 500


def test_bif_round_trip_keeps_states_and_tables(reasoner, bif_file):
    from pgmpy.readwrite import BIFReader

    model = BIFReader(str(bif_file)).get_model()
    assert set(model.nodes()) == set(reasoner.compiled.tables)
    for key, table in reasoner.compiled.tables.items():
        cpd = model.get_cpds(key)
        assert cpd.state_names[key] == ["false", "true"]
        assert list(cpd.variables[1:]) == list(table.parents)
        flat = cpd.get_values()
        assert flat[1] == pytest.approx(table.p_true, abs=1e-12)


def test_xmlbif_round_trip(reasoner, tmp_path):
    from pgmpy.readwrite import XMLBIFReader

    path = tmp_path / "net.xml"
    assert run_cli("export", "--format", "xmlbif", "--output", str(path)).returncode == 0
    model = XMLBIFReader(str(path)).get_model()
    cpd = model.get_cpds("chemoresistance")
    assert cpd.state_names["chemoresistance"] == ["false", "true"]
    assert set(model.nodes()) == set(reasoner.compiled.tables)


def test_export_ontology_copies_and_force(tmp_path):
    out = tmp_path / "onto.owl"
    assert run_cli("export", "--format", "owl", "--output", str(out)).returncode == 0
    assert out.read_bytes() == (ONTOLOGY / "exoreason.owl").read_bytes()
    out.write_text("user data")
    assert_one_line_error(run_cli("export", "--format", "owl", "--output", str(out)), 2, "exists", "--force")
    assert out.read_text() == "user data"
    assert run_cli("export", "--format", "ttl", "--output", str(out), "--force").returncode == 0
    # the ontology as Turtle: the same triples as exoreason.owl
    turtle = out.with_suffix(".ttl")
    out.rename(turtle)
    assert canonical_triples(turtle) == canonical_triples(ONTOLOGY / "exoreason.owl")


def test_export_bad_input(tmp_path):
    assert_one_line_error(run_cli("export", "--format", "pdf", "--output", str(tmp_path / "x")), 2,
                          "'pdf' is not one of 'owl', 'ttl'")
    assert_one_line_error(run_cli("export", "--format", "bif", "--output", str(tmp_path / "no" / "x.bif")), 2,
                          "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_a_file_name_other_tools_cannot_open_is_warned_about_regression(tmp_path):
    """pyAgrum cannot open `--output net.xmlbif` (it reads XMLBIF only from .bifxml) and nothing
    said so: the file is written all the same, with a warning naming the extension to use."""
    import pyagrum as gum

    out = tmp_path / "net.xmlbif"
    done = run_cli("export", "--format", "xmlbif", "--output", str(out))
    assert done.returncode == 0 and out.exists()
    warning = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(warning) == 1 and "warning" in warning[0] and ".bifxml" in warning[0] and "pyAgrum" in warning[0]
    with pytest.raises(Exception, match="xmlbif"):
        gum.loadBN(str(out))  # what the warning is about
    good = tmp_path / "net.bifxml"
    done = run_cli("export", "--format", "xmlbif", "--output", str(good))
    assert done.returncode == 0 and done.stderr == ""
    assert gum.loadBN(str(good)).size() > 0
    for fmt, name in (("bif", "net.txt"), ("dot", "net.graphml"), ("graphml", "net.xml"), ("ttl", "onto.owl")):
        done = run_cli("export", "--format", fmt, "--output", str(tmp_path / name))
        assert done.returncode == 0 and "warning" in done.stderr, (fmt, name)
    for fmt, name in (("bif", "a.BIF"), ("dot", "a.gv"), ("graphml", "a.graphml"), ("owl", "a.owl"), ("ttl", "a.ttl")):
        assert run_cli("export", "--format", fmt, "--output", str(tmp_path / name)).stderr == "", (fmt, name)
