"""Shared test fixtures: the repository's paths, the CLI, and a tiny four-node network.

The tiny graph (``TINY_TTL``) has one Table 3-like finding, miR-A -> gene G -> process P, and one
claim, miR-B inhibits P, each stated as the build states them: class axioms ``SubClassOf(A, R some
B)`` annotated with the finding they come from (rdfs:seeAlso), and the finding's record. Its
posteriors are worked out by hand in tests/test_inference.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .oxigraph_server import oxigraph_server, private_oxigraph_server  # noqa: F401 (fixtures shared by the test modules)

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
EXOREASON = str(Path(sys.executable).with_name("exoreason"))

TINY_TTL = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix oboInOwl: <http://www.geneontology.org/formats/oboInOwl#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix exo: <https://w3id.org/exoreason/> .
@prefix t: <https://example.org/tiny/> .

t:A rdfs:subClassOf exo:MolecularEntity ; rdfs:label "miR-A" ; oboInOwl:hasExactSynonym "mirA" .
t:B rdfs:subClassOf exo:MolecularEntity ; rdfs:label "miR-B" .
t:G rdfs:subClassOf exo:MolecularEntity ; rdfs:label "GENEG" .
t:P rdfs:subClassOf exo:PhenotypicOutcome ; rdfs:label "process P" ; exo:key "P" .
t:D1 rdfs:subClassOf obo:DOID_162 ; rdfs:label "disease one" ; oboInOwl:hasExactSynonym "D1" .
t:D2 rdfs:subClassOf obo:DOID_162 ; rdfs:label "disease two" ; oboInOwl:hasExactSynonym "D2" .
t:D1a rdfs:subClassOf t:D1 ; rdfs:label "disease one a" ; oboInOwl:hasExactSynonym "D1a" .
obo:DOID_162 rdfs:label "cancer" .
obo:GO_1903561 exo:carries t:B .

t:F1 a exo:MiRNATransferFinding ; rdfs:label "finding F1" ; exo:source "Table 3" ; exo:quote "A targets G" ;
    exo:hasMiRNA t:A ; exo:hasTargetGene t:G ; exo:hasFunction t:P ; exo:inDisease t:D1 ;
    exo:evidence obo:ECO_0000304 ; exo:reviewReference 1 .
t:C1 a exo:TextClaim ; rdfs:label "claim C1" ; exo:source "Section: text" ; exo:quote "B inhibits P" ; exo:context "exosomal" ;
    exo:aboutSubject t:B ; exo:assertedRelation exo:inhibits ; exo:aboutObject t:P ;
    exo:evidence obo:ECO_0000304 ; exo:reviewReference 2 .

t:A rdfs:subClassOf _:AG . _:AG a owl:Restriction ; owl:onProperty exo:targets ; owl:someValuesFrom t:G .
[] a owl:Axiom ; owl:annotatedSource t:A ; owl:annotatedProperty rdfs:subClassOf ; owl:annotatedTarget _:AG ;
    rdfs:seeAlso t:F1 .
t:G rdfs:subClassOf _:GP . _:GP a owl:Restriction ; owl:onProperty exo:lossPromotes ; owl:someValuesFrom t:P .
[] a owl:Axiom ; owl:annotatedSource t:G ; owl:annotatedProperty rdfs:subClassOf ; owl:annotatedTarget _:GP ;
    rdfs:seeAlso t:F1 .
t:B rdfs:subClassOf _:BP . _:BP a owl:Restriction ; owl:onProperty exo:inhibits ; owl:someValuesFrom t:P .
[] a owl:Axiom ; owl:annotatedSource t:B ; owl:annotatedProperty rdfs:subClassOf ; owl:annotatedTarget _:BP ;
    rdfs:seeAlso t:C1 .
t:A exo:targets t:G . t:G exo:lossPromotes t:P . t:B exo:inhibits t:P .
"""

# Parameters for the tiny network: one review-statement study gives belief 1 - (0.1 + 0.4) = 0.5,
# and with every effect 1 the strength is the belief; leaks and base rates are given explicitly
# (not calibrated to priors), so the hand-computed posteriors below stay simple.
TINY_CONFIG = """
[base_rate]
cargo = 0.5
[leak]
gene_effect = 0.1
process = 0.2
outcome = 0.2
[effect]
regulation = 1.0
targeting = 1.0
gene_effect = 1.0
"""


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run the command line in this process, as ``exoreason ARGS`` would run: its exit code, and
    what it wrote to stdout and stderr. (``run_process`` runs the installed command instead, for
    the tests where a real process is the point, or one that must be stopped after a time.)"""
    from exoreason.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    code: int
    try:
        os.environ.update(env or {})
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main(list(args))
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["exoreason", *args], code, out.getvalue(), err.getvalue())


def run_process(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed ``exoreason`` command in a process of its own, as a user would."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([EXOREASON, *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=timeout, check=False)


def claims_file(**cells: str) -> str:
    """A claims template of one row, with the columns of the project's own claims templates."""
    lines = (ONTOLOGY / "templates" / "claims-exosomes.tsv").read_text().splitlines()
    header = next(line for line in lines if line.strip() and not line.startswith("#")).split("\t")
    header += [column for column in cells if column not in header]  # optional columns (context)
    return "\t".join(header) + "\n" + "\t".join(cells.get(column, "") for column in header) + "\n"


def assert_one_line_error(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    """Exit code as given, exactly one line on stderr naming the bad value, no traceback."""
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture(scope="session")
def tiny_spec():
    from rdflib import Graph

    from exoreason.network import derive_network

    graph = Graph()
    graph.parse(data=TINY_TTL, format="turtle")
    return derive_network(graph)


@pytest.fixture()
def tiny_config(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY_CONFIG)
    return path


@pytest.fixture(scope="session")
def reasoner():
    """The shipped network (every source) with the shipped parameters."""
    from exoreason.inference import Reasoner

    return Reasoner.from_files()


@pytest.fixture(scope="session")
def review_reasoner():
    """The review's network alone (tests/fixtures/review-network.json, what `--sources review`
    derives) with the shipped parameters: a fixed structure for tests of how learning behaves."""
    from exoreason.inference import Reasoner

    return Reasoner.from_files(Path(__file__).parent / "fixtures" / "review-network.json")


def canonical_triples(path: Path, exclude: set[tuple[str, str, str]] = frozenset()) -> set[str]:  # type: ignore[assignment]
    """The triples of an RDF file (Turtle or RDF/XML) with blank nodes canonically relabelled
    (pyoxigraph's canonicalization), as N-Triples lines: two files hold the same graph exactly when
    these sets are equal. ``exclude`` drops triples given as N-Triples terms (s, p, o) first."""
    import pyoxigraph as ox

    fmt = ox.RdfFormat.RDF_XML if path.suffix in (".owl", ".rdf", ".xml") else ox.RdfFormat.TURTLE
    dataset = ox.Dataset()
    for quad in ox.parse(path=str(path), format=fmt):
        if (str(quad.subject), str(quad.predicate), str(quad.object)) not in exclude:
            dataset.add(quad)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    return {f"{q.subject} {q.predicate} {q.object} ." for q in dataset}
