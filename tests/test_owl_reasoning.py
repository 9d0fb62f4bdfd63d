"""ontology/exoreason.owl as an ontology engineer uses it: owlready2 sees the class axioms and
their provenance, HermiT answers DL queries over them, and the network derived from the knowledge
graph rests on exactly the findings those axioms come from.
"""

from __future__ import annotations

import os
import shutil
from collections import defaultdict

import pytest

from .conftest import ONTOLOGY

EXO = "https://w3id.org/exoreason/"
FINDING = EXO + "finding/"
MIRBASE = "https://identifiers.org/mirbase.mature:"
HGNC = "https://identifiers.org/hgnc:"
RDFS_SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"
HAS_DBXREF = "http://www.geneontology.org/formats/oboInOwl#hasDbXref"


def _need_java() -> None:
    if shutil.which("java") is None:
        reason = "HermiT needs a Java runtime (java not found on PATH)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so this is an error, not a skip", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="module")
def world():
    owlready2 = pytest.importorskip("owlready2")
    w = owlready2.World()
    w.get_ontology((ONTOLOGY / "exoreason.owl").resolve().as_uri()).load()
    return w


def _restriction(mirna, prop, filler):
    import owlready2

    found = [r for r in mirna.is_a if isinstance(r, owlready2.Restriction)
             and r.property is prop and r.value is filler and r.type == owlready2.SOME]
    assert len(found) == 1, mirna.is_a
    return found[0]


def test_owlready2_shows_the_mir155_restriction_with_its_provenance(world):
    """Table 3: miR155 | PDAC cells resistance gemcitabine | PDAC | TP53INP1 | PDAC |
    chemoresistance | (27) -- on the class, a restriction; on the restriction, where it comes from."""
    import owlready2

    mir155 = world[MIRBASE + "MIMAT0000646"]
    tp53inp1 = world[HGNC + "18022"]
    # RO "regulates quantity of": no source read states in which direction miR-155 moves TP53INP1
    targets = world["http://purl.obolibrary.org/obo/RO_0011003"]
    assert [str(x) for x in mir155.label] == ["hsa-miR-155-5p"]
    assert [str(x) for x in tp53inp1.label] == ["TP53INP1"]
    restriction = _restriction(mir155, targets, tp53inp1)

    def annotation(iri):
        return world[iri][mir155, owlready2.rdfs_subclassof, restriction]

    (finding,) = annotation(RDFS_SEE_ALSO)
    assert finding.iri == FINDING + "T3-miR-155"
    assert list(finding.is_a) == [world[EXO + "MiRNATransferFinding"]]
    assert [str(s) for s in annotation(EXO + "source")] == ["Table 3"]
    assert annotation(EXO + "reviewReference") == [27]
    assert "TP53INP1" in str(annotation(EXO + "quote")[0])
    # in vitro: the review calls refs 22-31 in vitro studies (ontology/templates/README.md, the evidence rule)
    assert [e.iri for e in annotation(EXO + "evidence")] == ["http://purl.obolibrary.org/obo/ECO_0007122"]
    assert sorted(annotation(HAS_DBXREF)) == ["DOI:10.1038/srep42339", "PMID:28198398"]
    assert [d.iri for d in annotation(EXO + "inDisease")] == ["http://purl.obolibrary.org/obo/DOID_3498"]
    # and the finding individual holds the whole row
    assert [g.iri for g in world[EXO + "hasTargetGene"][finding]] == [HGNC + "18022"]


# Table 3 rows whose function is metastasis ("metastatic" / "metastasis"): miR-25-3p (29),
# miR-1247-3p (25), miR-210-3p (125), and miR21, miR-100-5p and miR-139-5p (126).
TABLE3_METASTASIS = {"hsa-miR-25-3p", "hsa-miR-1247-3p", "hsa-miR-210-3p", "hsa-miR-21-5p",
                     "hsa-miR-100-5p", "hsa-miR-139-5p"}


def test_dl_query_promotes_some_metastasis_lists_the_table3_mirnas(world):
    """The DL query an ontology engineer types in Protégé, `promotes some metastasis`, run by
    HermiT through owlready2: its miRNA subclasses are Table 3's miRNAs of metastasis."""
    _need_java()
    import owlready2

    promotes, metastasis = world[EXO + "promotes"], world[EXO + "Metastasis"]
    mirna = world[EXO + "MicroRNA"]
    query_ontology = world.get_ontology("https://w3id.org/exoreason/test/dl-query.owl")
    with query_ontology:
        query = owlready2.types.new_class("PromotesSomeMetastasis", (owlready2.Thing,))
        query.equivalent_to = [promotes.some(metastasis)]
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    answer = {c for c in query.descendants() if c is not query}
    mirnas = {str(c.label[0]) for c in answer if mirna in c.ancestors()}
    # and the miR-200 family, which the exosomal miR-200 study (source mir200-ev-2014) says promotes
    # metastasis; its member miR-200c inherits the class axiom (the vesicle context is an annotation).
    assert mirnas == TABLE3_METASTASIS | {"miR-200 family", "hsa-miR-200c-3p"}
    # the query reaches beyond miRNAs: the text's "CSCs ... are crucial for ... metastasis"
    assert world[EXO + "CancerStemCell"] in answer
    # and an answer is an inference, not only an asserted axiom: a subclass of an answer
    narrower = [c for c in answer if not any(getattr(r, "property", None) is promotes and r.value is metastasis
                                             for r in c.is_a)]
    assert narrower, "HermiT should add classes that only inherit 'promotes some metastasis'"
    assert not list(world.inconsistent_classes())


# The network's edges as the finding records state them, read independently of the class axioms
# that network-edges.rq reads: Table 3 miRNA -> target gene and target gene -> function, and the
# text claims whose relation is promotes, inhibits or loss promotes.
# The network's edges read again, independently of queries/network-edges.rq: from the finding
# records (Table 3's n-ary rows and the claims' subject, relation and object), by the mapping the
# README documents. Records whose certainty is correlation or unasserted give no edge.
_RECORD_EDGES = """
PREFIX exo: <https://w3id.org/exoreason/>
PREFIX obo: <http://purl.obolibrary.org/obo/>
SELECT ?subject ?relation ?object ?finding ?effect ?certainty WHERE {
  {
    ?finding a exo:MiRNATransferFinding ; exo:hasMiRNA ?subject ; exo:hasTargetGene ?object .
    BIND("mirna-gene" AS ?relation)
    OPTIONAL { ?finding exo:targetEffect ?effect }
  } UNION {
    ?finding a exo:MiRNATransferFinding ; exo:hasTargetGene ?subject ; exo:hasFunction ?object .
    BIND("gene-function" AS ?relation)
    OPTIONAL { ?finding exo:targetEffect ?effect }
  } UNION {
    ?finding a exo:TextClaim ; exo:aboutSubject ?subject ; exo:assertedRelation ?relation ;
             exo:aboutObject ?object .
  }
  OPTIONAL { ?finding exo:certainty ?certainty }
}"""

_CLAIM_EDGES = {  # relation: (sign, stated from the whole)
    "promotes": ("+", False), "inhibits": ("-", False), "necessaryFor": ("!", False), "partOf": ("+", False),
    "hasStep": ("+", True), "hasMechanism": ("+", True), "RO_0002234": ("+", False),
    "increasesExpressionOf": ("+", False), "decreasesExpressionOf": ("-", False), "lossPromotes": ("+", False),
}
_FORMS = {"repressed": "reduced", "induced": "induced", "unspecified": "changed"}


def _node_key(spec, iri: str, form: str) -> str | None:
    """The node of an entity in a form; a gene-effect node stands for all its member genes."""
    suffixes = {"reduced": ("_repressed", "_loss"), "induced": ("_induced",), "changed": ("_changed",),
                "cellular": ("_cellular",)}
    for node in spec.nodes:
        if node.iri != iri and iri not in node.members:
            continue
        forms = [f for f, ends in suffixes.items() if node.key.endswith(ends) and not node.names]
        if (forms[0] if forms else "") == form:
            return node.key
    return None


def test_network_edges_rest_on_the_findings_their_axioms_come_from():
    """Every edge of the derived network, with its sign and the findings behind it, is what the
    finding records say; and every record edge between two network nodes is in the network."""
    from exoreason.network import load_network
    from exoreason.ontology import load_graph
    from exoreason.query import run_select

    spec = load_network(ONTOLOGY / "exoreason-network.json")
    rows = run_select(load_graph(ONTOLOGY / "exoreason-kg.ttl"), _RECORD_EDGES)
    lost = {r["subject"] for r in rows if r["relation"].endswith("lossPromotes")}
    # a text claim about a molecule the network holds in tumour cells is about that node
    cellular = {n.iri for n in spec.nodes if n.key.endswith("_cellular")}

    def acting(entity: tuple[str, str]) -> tuple[str, str]:
        return (entity[0], "cellular") if entity[0] in cellular and not entity[1] else entity
    signs: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in rows:
        if row.get("certainty") in ("correlation", "unasserted"):
            continue
        relation = row["relation"].rsplit("/", 1)[-1]
        effect = _FORMS[row.get("effect") or "unspecified"]
        if relation == "mirna-gene":
            parent, child, sign = (row["subject"], ""), (row["object"], effect), "+"
        elif relation == "gene-function":
            parent, child, sign = (row["subject"], effect), (row["object"], ""), "+"
        elif relation in _CLAIM_EDGES:
            sign, reverse = _CLAIM_EDGES[relation]
            parent, child = (row["subject"], ""), (row["object"], "")
            if reverse:
                parent, child = child, parent
            if relation == "lossPromotes":
                parent = (row["subject"], "reduced")
            if relation in ("increasesExpressionOf", "decreasesExpressionOf") and row["subject"] in lost:
                parent, sign = (row["subject"], "reduced"), "-" if sign == "+" else "+"
            parent, child = acting(parent), acting(child)
        else:
            continue
        keys = _node_key(spec, *parent), _node_key(spec, *child)
        if None not in keys:
            signs[keys][sign].add(row["finding"])  # type: ignore[index]
    from_records = {}
    for (parent_key, child_key), by_sign in signs.items():
        sign = "!" if set(by_sign) == {"+", "!"} else next(iter(by_sign))
        from_records[(parent_key, child_key, sign)] = {f for found in by_sign.values() for f in found}
    # the network's edges and the statements it reads as summaries of a two-step path; the
    # measurement edge of a molecule in tumour cells rests on no finding (parameters.toml)
    in_network = {(e.parent, e.child, e.sign): {x.finding for x in e.findings} for e in spec.edges
                  if e.relation != "measurement"}
    in_network.update({(x.parent, x.child, x.sign): {f.finding for f in x.findings} for x in spec.summaries})
    assert len(in_network) > 90
    assert in_network == from_records
