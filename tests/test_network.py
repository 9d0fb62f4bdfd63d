"""The network derived from the graph: the mapping from relations to edges (queries/network-edges.rq),
node roles and what is left out, by hand on a small graph; and the same network from a SPARQL server.

The small graph (``CASCADE_TTL``) states, each as an annotated class axiom built from a claim
(one review statement, with its own reference number; the claims about M say it acts as exosomal
cargo, so M is one node: see the cellular test below for a claim about M in tumour cells):

    cargo M  promotes  E            E  promotes  D            D  necessary for, and promotes,  C
    W  has step  C                  W  has output (RO:0002234)  O (an outcome)
    W  has mechanism  X             gene T  loss promotes  E;  T  increases expression of  M
    E  correlated with  O (a correlation: no edge)      E  regulates  O (no direction: no edge)
    Z  promotes  Y, where Y reaches no outcome: both left out, named

With the leaks at 0.2, the cargo base rate 0.5, and a strength of 1 - (0.1 + 0.4) = 0.5 for one
review statement and 1 - (0.1 + 0.4^2) = 0.74 for two (D -> C rests on claims 3 and 12):

    M has one parent, the loss of T (a state, P = 0.2), inhibiting it with strength 0.5:
      P(M=1 | T lost) = 0.5 * 0.5 = 0.25,  P(M=1 | T kept) = 0.5,  P(M=1) = 0.2 * 0.25 + 0.8 * 0.5 = 0.45
    C requires D: P(C=1 | do(D)) = 0.2 (its leak), P(C=1 | do(not D)) = 0.2 * (1 - 0.74) = 0.052
    E given M and the loss of T: 1 - 0.8 * 0.5 * 0.5 = 0.8
"""

from __future__ import annotations

import json
import shutil

import pytest
from rdflib import Graph

from exoreason.inference import Reasoner
from exoreason.model import load_parameters
from exoreason.network import derive_network

from .conftest import ONTOLOGY, run_cli

PREFIXES = """
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix exo: <https://w3id.org/exoreason/> .
@prefix t: <https://example.org/net/> .
"""


def _claim(n: int, subject: str, relation: str, obj: str, certainty: str = "asserted", context: str = "") -> str:
    where = f' exo:context "{context}" ;' if context else ""
    return f"""
t:c{n} a exo:TextClaim ; rdfs:label "claim {n}" ; exo:source "s" ; exo:quote "q{n}" ; exo:certainty "{certainty}" ;{where}
  exo:evidence obo:ECO_0000304 ; exo:reviewReference {n} ;
  exo:aboutSubject {subject} ; exo:assertedRelation {relation} ; exo:aboutObject {obj} .
{subject} rdfs:subClassOf _:r{n} . _:r{n} a owl:Restriction ; owl:onProperty {relation} ; owl:someValuesFrom {obj} .
[] a owl:Axiom ; owl:annotatedSource {subject} ; owl:annotatedProperty rdfs:subClassOf ; owl:annotatedTarget _:r{n} ;
  rdfs:seeAlso t:c{n} .
"""


CASCADE_TTL = PREFIXES + """
exo:BiologicalProcess rdfs:subClassOf obo:BFO_0000015 .
exo:PhenotypicOutcome rdfs:subClassOf obo:BFO_0000015 .
t:M rdfs:subClassOf exo:MolecularEntity ; rdfs:label "miR-M" .
obo:GO_1903561 exo:carries t:M .
t:T rdfs:subClassOf exo:MolecularEntity ; rdfs:label "TGENE" .
t:E rdfs:subClassOf exo:BiologicalProcess ; rdfs:label "E" ; exo:key "E" .
t:D rdfs:subClassOf exo:BiologicalProcess ; rdfs:label "D" ; exo:key "D" .
t:C rdfs:subClassOf exo:BiologicalProcess ; rdfs:label "C" ; exo:key "C" .
t:W rdfs:subClassOf exo:BiologicalProcess ; rdfs:label "W" ; exo:key "W" .
t:X rdfs:subClassOf exo:BiologicalProcess ; rdfs:label "X" ; exo:key "X" .
t:Y rdfs:subClassOf exo:BiologicalProcess ; rdfs:label "Y" ; exo:key "Y" .
t:Z rdfs:subClassOf exo:BiologicalProcess ; rdfs:label "Z" ; exo:key "Z" .
t:O rdfs:subClassOf exo:PhenotypicOutcome ; rdfs:label "O" ; exo:key "O" .
""" + "".join([
    _claim(1, "t:M", "exo:promotes", "t:E", context="exosomal"),
    _claim(2, "t:E", "exo:promotes", "t:D"),
    _claim(3, "t:D", "exo:necessaryFor", "t:C"),
    _claim(4, "t:W", "exo:hasStep", "t:C"),
    _claim(5, "t:W", "obo:RO_0002234", "t:O"),
    _claim(6, "t:T", "exo:lossPromotes", "t:E"),
    _claim(7, "t:T", "exo:increasesExpressionOf", "t:M", context="exosomal"),
    _claim(8, "t:W", "exo:hasMechanism", "t:X"),
    _claim(9, "t:E", "obo:RO_0002610", "t:O", "correlation"),
    _claim(10, "t:E", "exo:regulates", "t:O"),
    _claim(11, "t:Z", "exo:promotes", "t:Y"),
    _claim(12, "t:D", "exo:promotes", "t:C"),
])

CONFIG = """
[base_rate]
cargo = 0.5
[leak]
gene_effect = 0.2
state = 0.2
process = 0.2
outcome = 0.2
[effect]
regulation = 1.0
step = 1.0
necessity = 1.0
"""


@pytest.fixture(scope="module")
def spec():
    return derive_network(Graph().parse(data=CASCADE_TTL, format="turtle"))


@pytest.fixture()
def reasoner(spec, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    return Reasoner(spec, load_parameters(config, spec))


def test_each_relation_becomes_the_edge_the_mapping_says(spec):
    edges = {(e.parent, e.child): e.sign for e in spec.edges}
    assert edges == {
        ("miR_M", "E"): "+",            # promotes
        ("E", "D"): "+",
        ("D", "C"): "!",                # necessary for (and promotes): a required parent
        ("C", "W"): "+",                # W has step C: the step contributes to its whole
        ("W", "O"): "+",                # W has output O
        ("TGENE_loss", "E"): "+",       # the gene's loss promotes E
        ("TGENE_loss", "miR_M"): "-",   # T raises M, so its loss lowers M
        ("X", "W"): "+",                # W has mechanism X
    }
    kinds = {n.key: n.kind for n in spec.nodes}
    assert kinds["miR_M"] == "cargo" and kinds["TGENE_loss"] == "state" and kinds["O"] == "outcome"
    assert spec.node("TGENE_loss").label == "loss of TGENE function"


def test_correlation_and_regulation_give_no_edge_and_dead_ends_are_named(spec):
    assert ("E", "O") not in {(e.parent, e.child) for e in spec.edges}
    out = {x.label: x.reason for x in spec.left_out}
    assert {"Y", "Z"} <= set(out)
    assert "outcome" in out["Y"]


def test_necessity_and_the_loss_of_an_activator_by_hand(reasoner):
    assert reasoner.marginals({}, ["miR_M"])["miR_M"] == pytest.approx(0.45, abs=1e-12)
    assert reasoner.marginals({"TGENE_loss": 1.0}, ["miR_M"])["miR_M"] == pytest.approx(0.25, abs=1e-12)
    # C requires D: 0.2 with D, 0.2 * (1 - 0.74) = 0.052 without it
    assert reasoner.marginals({}, ["C"], do={"D": True})["C"] == pytest.approx(0.2, abs=1e-12)
    assert reasoner.marginals({}, ["C"], do={"D": False})["C"] == pytest.approx(0.052, abs=1e-12)
    # E given M and the loss of T: 1 - 0.8 * 0.5 * 0.5 = 0.8
    assert reasoner.marginals({"miR_M": 1.0, "TGENE_loss": 1.0}, ["E"])["E"] == pytest.approx(0.8, abs=1e-12)


CELLULAR_TTL = PREFIXES + """
exo:BiologicalProcess rdfs:subClassOf obo:BFO_0000015 .
exo:PhenotypicOutcome rdfs:subClassOf obo:BFO_0000015 .
t:M rdfs:subClassOf exo:MolecularEntity ; rdfs:label "miR-M" .
obo:GO_1903561 exo:carries t:M .
t:T rdfs:subClassOf exo:MolecularEntity ; rdfs:label "TGENE" .
t:O rdfs:subClassOf exo:PhenotypicOutcome ; rdfs:label "O" ; exo:key "O" .
""" + _claim(1, "t:M", "exo:inhibits", "t:O") + _claim(2, "t:T", "exo:increasesExpressionOf", "t:M") \
    + _claim(3, "t:T", "exo:lossPromotes", "t:O")


def test_a_claim_about_a_carried_molecule_concerns_it_in_tumour_cells():
    """Measured vs acting: with no context, a text claim about a molecule exosomes carry attaches to
    the molecule in tumour cells; its exosomal detection (the cargo a sample shows) is linked to it
    by the measurement model (effect.measurement). By hand, with the cellular node's leak 0.5 and
    the exosomal one's 0.1, a measurement strength 0.8, and O's leak 0.5 with M inhibiting O at 0.5:
      P(exo = 1 | cell = 1) = 1 - 0.9 * 0.2 = 0.82, P(exo = 1 | cell = 0) = 0.1,
      P(cell = 1 | exo = 1) = 0.5 * 0.82 / (0.5 * 0.82 + 0.5 * 0.1) = 0.82 / 0.92,
      P(O = 1 | exo = 1) = 0.5 * (1 - 0.5 * P(cell = 1 | exo = 1)) (T's loss has strength 0 here)."""
    spec = derive_network(Graph().parse(data=CELLULAR_TTL, format="turtle"))
    edges = {(e.parent, e.child): (e.sign, e.relation) for e in spec.edges}
    assert edges == {("miR_M_cellular", "O"): ("-", "regulation"),
                     ("TGENE_loss", "miR_M_cellular"): ("-", "regulation"),
                     ("miR_M_cellular", "miR_M"): ("+", "measurement")}
    # T's loss lowers M, M lowers O: "T's loss promotes O" is that path's summary, not an edge
    (summary,) = spec.summaries
    assert (summary.key, summary.path) == ("TGENE_loss->O", ("TGENE_loss", "miR_M_cellular", "O"))
    kinds = {n.key: n.kind for n in spec.nodes}
    assert kinds == {"miR_M": "cargo", "miR_M_cellular": "state", "TGENE_loss": "state", "O": "outcome"}
    assert spec.node("miR_M_cellular").label == "miR-M in tumour cells"
    import dataclasses

    base = load_parameters(spec=spec)
    params = dataclasses.replace(base, leak_nodes={"miR_M_cellular": 0.5, "O": 0.5, "TGENE_loss": 0.3},
                                 base_rate_nodes={"miR_M": 0.1},
                                 strength_edges={"miR_M_cellular->O": 0.5, "TGENE_loss->miR_M_cellular": 0.0},
                                 effect={**base.effect, "measurement": 0.8})
    reasoner = Reasoner(spec, params)
    cell = reasoner.marginals({"miR_M": 1.0}, ["miR_M_cellular"])["miR_M_cellular"]
    assert cell == pytest.approx(0.82 / 0.92, abs=1e-12)
    o = reasoner.marginals({"miR_M": 1.0}, ["O"])["O"]
    assert o == pytest.approx(0.5 * (1 - 0.5 * 0.82 / 0.92), abs=1e-12)


def test_the_context_column_keeps_a_claim_on_the_exosomal_cargo():
    exosomal = CELLULAR_TTL.replace('exo:quote "q1" ;', 'exo:quote "q1" ; exo:context "exosomal" ;')
    spec = derive_network(Graph().parse(data=exosomal, format="turtle"))
    assert ("miR_M", "O") in {(e.parent, e.child) for e in spec.edges}
    assert ("miR_M_cellular", "O") not in {(e.parent, e.child) for e in spec.edges}


def test_a_cycle_is_a_build_error_naming_it():
    from exoreason.errors import BuildError

    cyclic = CASCADE_TTL + _claim(20, "t:C", "exo:promotes", "t:E")
    with pytest.raises(BuildError, match="cycle in the derived network: .*E.*D.*C"):
        derive_network(Graph().parse(data=cyclic, format="turtle"))


def test_findings_of_opposite_signs_on_one_pair_are_weighed_by_belief():
    """Conflicting findings on one pair (once context has separated cellular and exosomal
    molecules): the side with the greater belief gives the edge its sign, the other is kept as
    outweighed, and the edge's belief is the stronger side's given that not both are right."""
    from exoreason.model import edge_belief

    params = load_parameters()
    # One review statement each way (belief 0.5 each): the raising side keeps the edge.
    tie = derive_network(Graph().parse(data=CASCADE_TTL + _claim(21, "t:E", "exo:inhibits", "t:D"),
                                       format="turtle"))
    edge = next(e for e in tie.edges if (e.parent, e.child) == ("E", "D"))
    assert edge.sign == "+" and [f.finding.rsplit("/", 1)[-1] for f in edge.against] == ["c21"]
    assert edge_belief(edge, params) == pytest.approx(0.5 * 0.5 / (1 - 0.25), abs=1e-12)
    # Two distinct studies inhibit (belief 1 - (0.1 + 0.4 * 0.4) = 0.74) against one promoting.
    stronger = CASCADE_TTL + _claim(21, "t:E", "exo:inhibits", "t:D") + _claim(22, "t:E", "exo:inhibits", "t:D")
    spec = derive_network(Graph().parse(data=stronger, format="turtle"))
    edge = next(e for e in spec.edges if (e.parent, e.child) == ("E", "D"))
    assert edge.sign == "-"
    assert {f.finding.rsplit("/", 1)[-1] for f in edge.findings} == {"c21", "c22"}
    assert [f.finding.rsplit("/", 1)[-1] for f in edge.against] == ["c2"]
    assert edge_belief(edge, params) == pytest.approx(0.74 * 0.5 / (1 - 0.37), abs=1e-12)
    # The outweighed findings travel with the network file.
    from exoreason.network import NetworkSpec

    again = NetworkSpec.from_dict(spec.to_dict())
    assert next(e for e in again.edges if e.key == "E->D").against == edge.against


def test_the_same_network_from_a_sparql_server(private_oxigraph_server, tmp_path):
    """push, then build --endpoint: the network queries on the server give the very same file."""
    base = private_oxigraph_server
    pushed = run_cli("push", "--endpoint", f"{base}/store")
    assert pushed.returncode == 0, pushed.stderr
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    (copy / "exoreason-network.json").unlink()
    done = run_cli("build", "--endpoint", f"{base}/query", env={"EXOREASON_ONTOLOGY_DIR": str(copy)})
    assert done.returncode == 0, done.stderr
    assert "left out of the network" in done.stdout
    assert (copy / "exoreason-network.json").read_bytes() == (ONTOLOGY / "exoreason-network.json").read_bytes()
    data = json.loads((copy / "exoreason-network.json").read_text())
    assert len(data["nodes"]) > 60 and len(data["edges"]) > 80


def test_build_endpoint_after_push_reason_refuses_the_closure_then_matches_regression(private_oxigraph_server, tmp_path):
    """Issue 22: after `push --reason`, `build --endpoint` silently wrote a network of 61 nodes
    (the closure's inferred triples reshaped it). It now refuses, saying why, and leaves the file;
    after a plain push it writes the local network byte for byte."""
    from .conftest import assert_one_line_error

    base = private_oxigraph_server
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    before = (copy / "exoreason-network.json").read_bytes()
    env = {"EXOREASON_ONTOLOGY_DIR": str(copy)}
    assert run_cli("push", "--endpoint", f"{base}/store", "--reason").returncode == 0
    done = run_cli("build", "--endpoint", f"{base}/query", env=env)
    assert_one_line_error(done, 2, "entailed graph", "push --reason", "without --reason")
    assert (copy / "exoreason-network.json").read_bytes() == before
    assert run_cli("push", "--endpoint", f"{base}/store").returncode == 0
    (copy / "exoreason-network.json").unlink()
    done = run_cli("build", "--endpoint", f"{base}/query", env=env)
    assert done.returncode == 0, done.stderr
    assert (copy / "exoreason-network.json").read_bytes() == (ONTOLOGY / "exoreason-network.json").read_bytes()


def test_build_from_an_unreachable_endpoint_is_one_line(tmp_path):
    from .conftest import assert_one_line_error

    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, copy)
    done = run_cli("build", "--endpoint", "http://127.0.0.1:9/query", env={"EXOREASON_ONTOLOGY_DIR": str(copy)})
    assert_one_line_error(done, 1, "http://127.0.0.1:9/query")
    assert (copy / "exoreason-network.json").read_bytes() == (ONTOLOGY / "exoreason-network.json").read_bytes()


def test_gene_effects_name_genes_with_their_common_name_regression():
    """RANKL appeared only as TNFSF11. A gene-effect node now names each gene by its symbol and
    the common name the graph gives it (an exact synonym), and not by a mere respelling (MMP-13)."""
    spec = Reasoner.from_files().spec
    labels = {n.key: n.label for n in spec.nodes}
    assert labels["MMP13_MMP2_MMP9_TNFSF11_induced"] == "MMP13, MMP2, MMP9 and TNFSF11 (RANKL) induced in recipient cell"
    assert labels["CDH5_CTNND1_TJP1_repressed"] == (
        "CDH5 (VE-cadherin), CTNND1 (p120-catenin) and TJP1 (ZO-1) repressed in recipient cell")
    assert labels["PTEN_repressed"] == "PTEN repressed in recipient cell"
    out = run_cli("infer", "--cargo", "miR-21").stdout
    assert "hsa-miR-21-5p -> MMP13, MMP2, MMP9 and TNFSF11 (RANKL) induced in recipient cell -> metastasis" in out


def test_exosome_populations_are_cargo_that_no_assay_measures():
    """Tumour-derived and CSC-derived exosomes are observable as cargo, but not measurable cargo;
    the network file records which cargo nodes are populations."""
    spec = Reasoner.from_files().spec
    assert {n.key for n in spec.nodes if n.population} == {"cancer_stem_cell_exosome", "tumour_derived_exosome"}
    assert all(n.measurable == (n.kind == "cargo" and not n.population) for n in spec.nodes)
    assert sum(n.measurable for n in spec.nodes) == sum(n.kind == "cargo" for n in spec.nodes) - 2
