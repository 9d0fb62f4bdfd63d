"""The curation, checked row by row against the review through SPARQL on the built graph.

The expected values below were written from the review (Liu et al., 'The Role of Tumor Stem
Cell Exosomes in Cancer Invasion and Metastasis', Front. Oncol. 2022): its Tables 1-3 and the
statements of its text. The review itself is not needed to run these tests; the passages they
rely on are copied here.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY = REPO / "ontology"
EXE = Path(sys.executable).with_name("exoreason")

OBO = "http://purl.obolibrary.org/obo/"
EXO = "https://w3id.org/exoreason/"
HGNC = "https://identifiers.org/hgnc:"
MIRBASE = "https://identifiers.org/mirbase.mature:"
REVIEW_STATEMENT = URIRef(OBO + "ECO_0000304")
IN_VITRO = URIRef(OBO + "ECO_0007122")
IN_VIVO = URIRef(OBO + "ECO_0007120")
PATIENT_SAMPLES = URIRef(OBO + "ECO_0007121")

PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
PREFIX exo: <https://w3id.org/exoreason/>
"""


@pytest.fixture(scope="module")
def graph() -> Graph:
    g = Graph()
    g.parse(ONTOLOGY / "exoreason-kg.ttl", format="turtle")
    return g


def _select(graph: Graph, text: str, **bindings) -> list[tuple]:
    return [tuple(row) for row in graph.query(PREFIXES + text, initBindings=bindings)]


def _values(graph: Graph, subject: URIRef, prop: str) -> set:
    return {row[0] for row in _select(graph, f"SELECT ?v WHERE {{ ?s {prop} ?v }}", s=subject)}


def _strings(graph: Graph, subject: URIRef, prop: str) -> set[str]:
    return {str(v) for v in _values(graph, subject, prop)}


def _norm(text: str) -> str:
    """Whitespace collapsed and typographic apostrophes made plain, for 'as stated' cells."""
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def _entity(graph: Graph, name: str, within: str | None = None) -> URIRef:
    """The one class a name (label or exact synonym, any case) stands for, optionally among the
    subclasses of ``within`` (test_ontology checks that names are unambiguous overall)."""
    scope = "?e rdfs:subClassOf+ ?within ." if within else ""
    bindings = {"asked": Literal(name)}
    if within:
        bindings["within"] = URIRef(within)
    found = {row[0] for row in _select(graph, f"""
        SELECT DISTINCT ?e WHERE {{
          ?e a owl:Class ; rdfs:label|oboInOwl:hasExactSynonym ?n . {scope}
          FILTER(LCASE(STR(?n)) = LCASE(STR(?asked)))
        }}""", **bindings)}
    assert len(found) == 1, f"{name!r} names {sorted(found) or 'nothing'}"
    return found.pop()


# =========================================================================== Table 3

# The rows of Table 3 ('Cell interaction of exosome miRNA in cancers') as the review prints them.
TABLE3_TEXT = """
miR-25-3p CRC EC KLF4 and KLF2 CRC metastatic (29)
miR-1247-3p HCC FIB B4GALT3 LUC metastasis (25)
miR-423-5p GC patients\u2019 serum GC SUFU GC proliferation and (23) migration
miR141 lung cancer patients\u2019 serum LUC celland GAX LUC angiogenesis and (122) EC malignant
miR103 HCC EC VE-Cad, p120 and ZO1 HCC migration (123)
miR-1246 BC HMLE CCNG2 BC migration and (22) chemoresistance
miR-19b-3p CCRCC CSC CCRCC PTEN LUC EMT (124)
miR-210-3p LUC CSC LUC FGFRLA1 LUC metastatic (125)
miR21, miR-100-5p, miR-21-5p and Pca cells and CSCs FIB MMPs -2, -9 and -13and PCa metastatic (126) miR-139-5p RANKL
miR155 PDAC cells resistance PDAC TP53INP1 PDAC chemoresistance 27) gemcitabine
"""

# One entry per row: the miRNA(s) by miRBase accession, the donor and recipient (each a tuple of
# words that one entity label must contain), target genes by HGNC id, disease (DOID), functions,
# the reference number, the cells as the review writes them, the primary study where it was
# identified, the evidence kinds the one evidence rule gives the row (templates/README.md), the
# direction of the effect on the target genes the row's source states (templates/README.md: the
# source read for each), and what a curator note must mention where the review gets the row wrong.
TABLE3 = {
    "miR-25-3p": dict(
        effect="repressed",
        mirna={"MIMAT0000081"}, donor=[("colorectal",)], recipient=[("endothelial",)],
        target={"6348", "6347"}, disease="DOID_9256", function={"exo:Metastasis"}, ref=29,
        stated=dict(mirna="miR-25-3p", donor="CRC", recipient="EC", target="KLF4 and KLF2",
                    disease="CRC", function="metastatic"),
        study=("doi", "10.1038/s41467-018-07810-w"), evidence={IN_VITRO},
        quote=["miR-25-3p", "KLF4 and KLF2", "(29)"]),
    "miR-1247-3p": dict(
        effect="repressed",
        mirna={"MIMAT0022721"}, donor=[("hepatocellular",)], recipient=[("fibroblast",)],
        target={"926"}, disease="DOID_1324", function={"exo:Metastasis"}, ref=25,
        stated=dict(mirna="miR-1247-3p", donor="HCC", recipient="FIB", target="B4GALT3",
                    disease="LUC", function="metastasis"),
        study=("pmid", "29335551"), evidence={IN_VITRO},
        quote=["miR-1247-3p", "B4GALT3", "(25)"]),
    "miR-423-5p": dict(
        effect="repressed",
        mirna={"MIMAT0004748"}, donor=[("gastric", "serum")], recipient=[("gastric cancer cell",)],
        target={"16466"}, disease="DOID_10534", function={"GO_0008283", "GO_0016477"}, ref=23,
        stated=dict(mirna="miR-423-5p", donor="GC patients' serum", recipient="GC", target="SUFU",
                    disease="GC", function="proliferation and migration"),
        study=("pmid", "29749061"), evidence={IN_VITRO},
        quote=["miR-423-5p", "SUFU", "(23)"]),
    "miR141": dict(
        effect="unspecified",
        mirna={"MIMAT0000432"}, donor=[("lung cancer", "serum")],
        recipient=[("lung cancer cell",), ("endothelial",)],
        target={"7014"}, disease="DOID_1324", function={"GO_0001525", "exo:MalignantProgression"},
        ref=122,
        stated=dict(mirna="miR141", donor="lung cancer patients' serum", target="GAX",
                    disease="LUC", function="angiogenesis and malignant"),
        evidence={REVIEW_STATEMENT}, note=["GAX"],
        quote=["miR141", "GAX", "(122)"]),
    "miR103": dict(
        effect="repressed",
        mirna={"MIMAT0000101"}, donor=[("hepatocellular",)], recipient=[("endothelial",)],
        target={"1764", "2515", "11827"}, disease="DOID_684", function={"GO_0016477"}, ref=123,
        stated=dict(mirna="miR103", donor="HCC", recipient="EC", target="VE-Cad, p120 and ZO1",
                    disease="HCC", function="migration"),
        study=("pmid", "29637568"), evidence={IN_VITRO, IN_VIVO},
        quote=["miR103", "VE-Cad, p120 and ZO1", "(123)"]),
    "miR-1246": dict(
        effect="unspecified",
        mirna={"MIMAT0005898"}, donor=[("breast cancer",)], recipient=[("mammary epithelial",)],
        target={"1593"}, disease="DOID_1612", function={"GO_0016477", "exo:Chemoresistance"}, ref=22,
        stated=dict(mirna="miR-1246", donor="BC", recipient="HMLE", target="CCNG2", disease="BC",
                    function="migration and chemoresistance"),
        evidence={IN_VITRO},
        quote=["miR-1246", "CCNG2", "(22)"]),
    "miR-19b-3p": dict(
        effect="repressed",
        mirna={"MIMAT0000074"}, donor=[("clear cell renal", "stem cell")],
        recipient=[("clear cell renal",)],
        target={"9588"}, disease="DOID_1324", function={"GO_0001837"}, ref=124,
        stated=dict(mirna="miR-19b-3p", donor="CCRCC CSC", recipient="CCRCC", target="PTEN",
                    disease="LUC", function="EMT"),
        study=("pmid", "30975145"), csc_donor=True, note=["LUC", "CCRCC"], evidence={IN_VITRO, PATIENT_SAMPLES},
        quote=["miR-19b-3p", "PTEN", "(124)"]),
    "miR-210-3p": dict(
        effect="unspecified",
        mirna={"MIMAT0000267"}, donor=[("lung cancer stem cell",)], recipient=[("lung cancer cell",)],
        target={"3693"}, disease="DOID_1324", function={"exo:Metastasis"}, ref=125,
        stated=dict(mirna="miR-210-3p", donor="LUC CSC", recipient="LUC", target="FGFRLA1",
                    disease="LUC", function="metastatic"),
        csc_donor=True, note=["FGFRLA1", "FGFRL1"], evidence={REVIEW_STATEMENT},
        quote=["miR-210-3p", "FGFRLA1", "(125)"]),
    "miR21 cluster": dict(
        effect="induced",
        # miR21 and miR-21-5p are the same mature miRNA: three entities for four names
        mirna={"MIMAT0000076", "MIMAT0000098", "MIMAT0000250"},
        donor=[("prostate cancer cell",), ("prostate cancer stem cell",)], recipient=[("fibroblast",)],
        target={"7166", "7176", "7159", "11926"}, disease="DOID_10283", function={"exo:Metastasis"},
        ref=126,
        stated=dict(mirna="miR21, miR-100-5p, miR-21-5p and miR-139-5p", donor="Pca cells and CSCs",
                    recipient="FIB", target="MMPs -2, -9 and -13and RANKL", disease="PCa",
                    function="metastatic"),
        study=("doi", "10.18632/oncotarget.6540"), csc_donor=True, note=["miR21", "miR-21-5p"], evidence={IN_VITRO},
        quote=["miR21, miR-100-5p, miR-21-5p and", "miR-139-5p", "(126)"]),
    "miR155": dict(
        effect="unspecified",
        mirna={"MIMAT0000646"}, donor=[("gemcitabine-resistant", "pancreatic")],
        recipient=[("pancreatic ductal adenocarcinoma cell",)],
        target={"18022"}, disease="DOID_3498", function={"exo:Chemoresistance"}, ref=27,
        stated=dict(mirna="miR155", donor="PDAC cells resistance gemcitabine", recipient="PDAC",
                    target="TP53INP1", disease="PDAC", function="chemoresistance"),
        study=("pmid", "28198398"), evidence={IN_VITRO},
        quote=["miR155", "TP53INP1", "27)"]),
}


def _iri(short: str) -> URIRef:
    return URIRef(EXO + short[4:]) if short.startswith("exo:") else URIRef(OBO + short)


def _table3_finding(graph: Graph, accessions: set[str]) -> URIRef:
    rows = _select(graph, """
        SELECT DISTINCT ?f WHERE { ?f a exo:MiRNATransferFinding ; exo:hasMiRNA ?m ; exo:source ?s .
                                   FILTER(STR(?s) = "Table 3") }""",
                   m=URIRef(MIRBASE + sorted(accessions)[0]))
    assert len(rows) == 1, f"expected one Table 3 finding for {accessions}, found {rows}"
    return rows[0][0]


def test_table3_has_ten_rows(graph):
    rows = _select(graph, """
        SELECT DISTINCT ?f WHERE { ?f a exo:MiRNATransferFinding ; exo:source ?s FILTER(STR(?s) = "Table 3") }""")
    assert len(rows) == 10


@pytest.mark.parametrize("row", list(TABLE3))
def test_table3_row(graph, row):
    want = TABLE3[row]
    f = _table3_finding(graph, want["mirna"])
    problems: list[str] = []

    def check(what, got, expected):
        if got != expected:
            problems.append(f"{what}: got {got!r}, expected {expected!r}")

    check("miRNAs", {str(m).removeprefix(MIRBASE) for m in _values(graph, f, "exo:hasMiRNA")}, want["mirna"])
    check("targets", {str(t).removeprefix(HGNC) for t in _values(graph, f, "exo:hasTargetGene")}, want["target"])
    check("disease", _values(graph, f, "exo:inDisease"), {URIRef(OBO + want["disease"])})
    check("functions", _values(graph, f, "exo:hasFunction"), {_iri(x) for x in want["function"]})
    check("review reference", {int(r) for r in _values(graph, f, "exo:reviewReference")}, {want["ref"]})
    for column, text in want["stated"].items():
        check(f"{column} as stated", {_norm(s) for s in _strings(graph, f, f"exo:{column}AsStated")},
              {_norm(text)})
    for role, prop in (("donor", "exo:hasDonorCell"), ("recipient", "exo:hasRecipientCell")):
        entities = _values(graph, f, prop)
        labels = [" ".join(_strings(graph, e, "rdfs:label")).lower() for e in entities]
        if len(entities) != len(want[role]):
            problems.append(f"{role}s: {labels}, expected {len(want[role])}")
        for words in want[role]:
            if not any(all(w in label for w in words) for label in labels):
                problems.append(f"no {role} labelled with {words}: {labels}")
    if want.get("csc_donor"):
        csc = _select(graph, "SELECT ?d WHERE { ?f exo:hasDonorCell ?d . ?d rdfs:subClassOf+ exo:CancerStemCell }", f=f)
        if not csc:
            problems.append("the review names cancer stem cells as donor; no donor is a CSC class")
    check("evidence kinds", _values(graph, f, "exo:evidence"), want["evidence"])
    quotes = _strings(graph, f, "exo:quote")
    if len(quotes) != 1:
        problems.append(f"quotes: {quotes}")
    for fragment in want["quote"]:
        if not any(fragment in q for q in quotes):
            problems.append(f"quote lacks {fragment!r}: {quotes}")
    if _strings(graph, f, "exo:source") != {"Table 3"}:
        problems.append(f"source {_strings(graph, f, 'exo:source')}")
    if (f, URIRef(EXO + "statedIn"), URIRef(EXO + "publication/liu2022")) not in graph:
        problems.append("not stated in the review (publication/liu2022)")
    if "study" in want:
        kind, ident = want["study"]
        studies = _select(graph, f"""
            SELECT ?p ?id ?ref WHERE {{ ?f exo:primaryStudy ?p . ?p exo:{kind} ?id .
                                        OPTIONAL {{ ?p exo:reviewReference ?ref }} }}""", f=f)
        if [str(s[1]) for s in studies] != [ident]:
            problems.append(f"primary study {kind}: {[str(s[1]) for s in studies]}, expected {ident}")
        elif studies[0][2] is None or int(studies[0][2]) != want["ref"]:
            problems.append(f"the primary study is not marked as review reference {want['ref']}")
    for word in want.get("note", []):
        notes = " ".join(_strings(graph, f, "exo:curatorNote"))
        if word not in notes:
            problems.append(f"curator note does not mention {word!r}: {notes!r}")
    # the binary shortcuts: every listed miRNA acts on every listed gene as the source says, and
    # no other way (the MMP/RANKL row's study found those genes raised, not repressed)
    relation = {"repressed": EXO + "targets", "induced": EXO + "increasesExpressionOf",
                "unspecified": OBO + "RO_0011003"}
    if set(_strings(graph, f, "exo:targetEffect")) != {want["effect"]}:
        problems.append(f"target effect {_strings(graph, f, 'exo:targetEffect')}, expected {want['effect']}")
    for m in want["mirna"]:
        for gene in want["target"]:
            for effect, iri in relation.items():
                stated = (URIRef(MIRBASE + m), URIRef(iri), URIRef(HGNC + gene)) in graph
                if stated != (effect == want["effect"]):
                    problems.append(f"{m} {'states' if stated else 'lacks'} {iri.rsplit('/', 1)[-1]} hgnc:{gene}")
    assert not problems, f"Table 3 row {row}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("row", list(TABLE3))
def test_table3_quotes_are_verbatim(graph, row):
    """Each part of a quote ('...' joins parts) appears in the review's Table 3 as printed."""
    f = _table3_finding(graph, TABLE3[row]["mirna"])
    table = re.sub(r"\s+", " ", TABLE3_TEXT)
    (quote,) = _strings(graph, f, "exo:quote")
    for part in quote.split("..."):
        part = re.sub(r"\s+", " ", part).strip()
        assert part in table, f"quote part {part!r} of row {row} is not verbatim in Table 3"


def test_table3_gene_identifiers(graph):
    """Target genes carry their HGNC symbols (the review's abbreviations expanded)."""
    symbols = {"6348": "KLF4", "6347": "KLF2", "926": "B4GALT3", "16466": "SUFU", "7014": "MEOX2",
               "1764": "CDH5", "2515": "CTNND1", "11827": "TJP1", "1593": "CCNG2", "9588": "PTEN",
               "3693": "FGFRL1", "7166": "MMP2", "7176": "MMP9", "7159": "MMP13",
               "11926": "TNFSF11", "18022": "TP53INP1"}
    for hgnc, symbol in symbols.items():
        assert _strings(graph, URIRef(HGNC + hgnc), "rdfs:label") == {symbol}, hgnc
    # the review's own names for them reach the same genes
    for name, hgnc in (("GAX", "7014"), ("VE-Cad", "1764"), ("ZO1", "11827"),
                       ("RANKL", "11926"), ("Cyclin-G2", "1593")):
        assert _entity(graph, name) == URIRef(HGNC + hgnc), name
    # 'p120' also names another protein (the nucleolar p120, NOP2): a related synonym of CTNND1
    assert "p120" in _strings(graph, URIRef(HGNC + "2515"), "oboInOwl:hasRelatedSynonym")
    assert "p120" not in _strings(graph, URIRef(HGNC + "2515"), "oboInOwl:hasExactSynonym")


# =========================================================================== Table 1

# 'Summary of isolation methods for exosomes': the nine methods as the review names them, with
# advantages and disadvantages it lists (some), or a phrase of the description.
TABLE1 = {
    "Ultracentrifugation": dict(adv={"Simple", "Cost-effective"},
                                dis={"Time consuming", "Require specific equipment", "Contamination by other Evs"}),
    "Sucrose density gradient ultracentrifugation": dict(
        adv={"Most studied and most commonly used"},
        dis={"Time-consuming", "co-isolating contaminants", "change in osmotic environment"}),
    "Immunoaffinity": dict(adv={"Allows positive and negative selection", "Suitable for different EVs"},
                           dis={"Expensive"}, text="immunomagnetic beads"),
    "Contact-free sorting of EVs": dict(adv=set(), dis=set(), text="standing ultrasound wave"),
    "Microfluidic filtering methods for EV isolation": dict(adv=set(), dis=set(), text="zigzag path"),
    "Filtration": dict(adv={"Easy", "Inexpensive", "Suitable for big volumes"},
                       dis={"Losses during the process", "Deform particles"}),
    "Size-exclusion chromatography": dict(adv={"Suitable for different EVs", "Inexpensive", "Higher purity"},
                                          dis={"Not suitable for big volumes", "Time-consuming",
                                               "Require specific equipment"}),
    "Microfluidics technology": dict(adv={"Good results with small amounts", "Fast and simple"},
                                     dis={"Expensive"}),
    "Commercial kits": dict(adv={"Simple"}, dis={"Expensive", "Long incubation periods"}),
}


def test_table1_isolation_methods(graph):
    methods = {row[0] for row in _select(graph, """
        SELECT DISTINCT ?m WHERE { ?f a exo:IsolationMethodFinding ; exo:aboutSubject ?m ; exo:source ?s
                                   FILTER(STR(?s) = "Table 1") }""")}
    assert len(methods) == 9
    seen = set()
    problems = []
    for name, want in TABLE1.items():
        m = _entity(graph, name, within=EXO + "IsolationMethod")
        seen.add(m)
        if (m, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), URIRef(EXO + "IsolationMethod")) not in graph:
            problems.append(f"{name}: not a subclass of exo:IsolationMethod")
        adv, dis = _strings(graph, m, "exo:advantage"), _strings(graph, m, "exo:disadvantage")
        if not want["adv"] <= adv:
            problems.append(f"{name}: advantages {adv} lack {want['adv'] - adv}")
        if not want["dis"] <= dis:
            problems.append(f"{name}: disadvantages {dis} lack {want['dis'] - dis}")
        if adv & dis:
            problems.append(f"{name}: both advantage and disadvantage: {adv & dis}")
        if not want["adv"] and not want["dis"] and (adv or dis):
            problems.append(f"{name}: the review gives only a description, yet {adv | dis}")
        if "text" in want and not any(want["text"] in d for d in _strings(graph, m, "exo:methodDescription")):
            problems.append(f"{name}: description lacks {want['text']!r}")
        findings = _select(graph, """
            SELECT ?f ?q ?e WHERE { ?f a exo:IsolationMethodFinding ; exo:aboutSubject ?m ; exo:source ?s ;
                                       exo:quote ?q ; exo:evidence ?e FILTER(STR(?s) = "Table 1") }""", m=m)
        if not findings or findings[0][2] != REVIEW_STATEMENT:
            problems.append(f"{name}: no Table 1 finding with quote and ECO:0000304 ({findings})")
    assert seen == methods, f"methods not named by the review: {methods - seen}"
    assert not problems, "\n".join(problems)


# =========================================================================== Table 2

# 'Summary of exosome characterization techniques': 16 techniques in four groups. The printed
# layout leaves SEA and SP-IRIS between the 'Size' and 'Surface marker' group labels.
MORPHOLOGY, SIZE, MARKER, NEW = "morphology", "size", "surface marker", "new technologies for analysis of EVs"
TABLE2 = {
    "SEM": ({MORPHOLOGY}, "three-dimensional surface information"),
    "TEM": ({MORPHOLOGY}, "immunogold labeling"),
    "cryo-EM": ({MORPHOLOGY}, "without extensive processing"),
    "AFM": ({MORPHOLOGY}, "surface topology"),
    "NTA": ({SIZE}, "Analysis of size and concentration"),
    "DLS": ({SIZE}, "Brownian motion"),
    "TRPS": ({SIZE}, "transient current decrease"),
    "SEA": ({SIZE, MARKER}, "neutravidin"),
    "SP-IRIS": ({SIZE, MARKER}, "brightness after imaging"),
    "Flow cytometry": ({MARKER}, "surface protein expression"),
    "Western blot": ({MARKER}, "SDS-PAGE"),
    "ELISA": ({MARKER}, "sandwich"),
    "Micronuclear magnetic resonance": ({NEW}, "NMR detection"),
    "Surface plasmon resonance": ({NEW}, "nanohole arrays"),
    "Electrochemical detection": ({NEW}, "HRP enzyme"),
    "ExoScreen technology": ({NEW}, "singlet oxygen"),
}
AMBIGUOUS = {"SEA", "SP-IRIS"}


def test_table2_characterization_techniques(graph):
    techniques = {row[0] for row in _select(graph, """
        SELECT DISTINCT ?t WHERE { ?f a exo:CharacterizationFinding ; exo:aboutSubject ?t ; exo:source ?s
                                   FILTER(STR(?s) = "Table 2") }""")}
    assert len(techniques) == 16
    seen, problems = set(), []
    for name, (groups, phrase) in TABLE2.items():
        t = _entity(graph, name, within=EXO + "CharacterizationTechnique")
        seen.add(t)
        if (t, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
                URIRef(EXO + "CharacterizationTechnique")) not in graph:
            problems.append(f"{name}: not a subclass of exo:CharacterizationTechnique")
        measured = {str(row[0]) for row in _select(graph, """
            SELECT ?l WHERE { ?t exo:measures ?c . ?c rdfs:label ?l ; rdfs:subClassOf exo:MeasuredProperty }""", t=t)}
        if len(measured) != 1 or not measured <= groups:
            problems.append(f"{name}: measures {measured}, expected one of {groups}")
        if not any(phrase in d for d in _strings(graph, t, "exo:methodDescription")):
            problems.append(f"{name}: description lacks {phrase!r}")
        findings = _select(graph, """
            SELECT ?f ?e ?note WHERE { ?f a exo:CharacterizationFinding ; exo:aboutSubject ?t ; exo:source ?s ;
                                          exo:quote ?q ; exo:evidence ?e
                                       OPTIONAL { ?f exo:curatorNote ?note } FILTER(STR(?s) = "Table 2") }""", t=t)
        if not findings or findings[0][1] != REVIEW_STATEMENT:
            problems.append(f"{name}: no Table 2 finding with quote and ECO:0000304")
        elif name in AMBIGUOUS and "ambiguous" not in str(findings[0][2] or "").lower():
            problems.append(f"{name}: the group is ambiguous in the printed table; no curator note says so")
    assert seen == techniques, f"techniques not named by the review: {techniques - seen}"
    assert not problems, "\n".join(problems)


# =========================================================================== the text

CLAIM = """
SELECT ?f ?source ?quote ?ref ?evidence ?note WHERE {
  ?f a exo:TextClaim ; exo:aboutSubject ?s ; exo:assertedRelation ?r ; exo:source ?source ;
     exo:quote ?quote ; exo:evidence ?evidence .
  { ?f exo:aboutObject ?o } UNION { ?f exo:claimedValue ?v FILTER(?v = ?value) }
  OPTIONAL { ?f exo:reviewReference ?ref }
  OPTIONAL { ?f exo:curatorNote ?note }
}"""


# exo:produces and exo:precedes are obsolete, replaced by RO's 'has output' and BFO's 'precedes';
# the build reads the obsolete names in the templates as their replacements.
_REPLACED_RELATIONS = {"produces": OBO + "RO_0002234", "precedes": OBO + "BFO_0000063"}


def _relation_iri(relation: str) -> URIRef:
    return URIRef(_REPLACED_RELATIONS.get(relation, EXO + relation))


def _claims(graph: Graph, subject, relation: str, obj=None, value=None) -> dict[URIRef, dict]:
    bindings = {"s": URIRef(subject), "r": _relation_iri(relation)}
    text = CLAIM
    if obj is not None:
        bindings["o"] = URIRef(obj)
        text = text.replace("UNION { ?f exo:claimedValue ?v FILTER(?v = ?value) }", "")
    else:
        text = text.replace("{ ?f exo:aboutObject ?o } UNION ", "")
        bindings["value"] = value
    out: dict[URIRef, dict] = {}
    for f, source, quote, ref, evidence, note in _select(graph, text, **bindings):
        d = out.setdefault(f, {"source": str(source), "quote": str(quote), "refs": set(),
                               "evidence": set(), "note": str(note or "")})
        if ref is not None:
            d["refs"].add(int(ref))
        d["evidence"].add(evidence)
    return out


def _expect(graph, problems, label, subject, relation, obj=None, value=None, *, source=None,
            quote=None, refs=(), note=None, evidence=REVIEW_STATEMENT, asserted=True):
    """At least one text finding states it, with the section, quote, references and evidence; the
    graph holds the triple itself (``asserted``), or only the record of an unasserted finding."""
    found = _claims(graph, subject, relation, obj, value)
    if obj is not None:
        triple = (URIRef(subject), _relation_iri(relation), URIRef(obj))
        if (triple in graph) != asserted:
            problems.append(f"{label}: the graph {'lacks' if asserted else 'asserts'} the triple itself")
    good = [d for d in found.values()
            if (source is None or d["source"] == source)
            and (quote is None or quote in d["quote"])
            and set(refs) <= d["refs"]
            and evidence in d["evidence"]
            and (note is None or note in d["note"].lower())]
    if not good:
        problems.append(f"{label}: no finding with source={source!r}, quote containing {quote!r}, "
                        f"refs {set(refs)}, {evidence}{', note ' + repr(note) if note else ''}; "
                        f"found {list(found.values())}")


EXOSOME = OBO + "GO_0070062"
EMT = OBO + "GO_0001837"
MET = OBO + "GO_0060231"


def test_text_exosomes(graph):
    p: list[str] = []
    disc = "Section: Discovery of Exosomes"
    _expect(graph, p, "discovered 1983", EXOSOME, "yearFirstDescribed", value=Literal(1983),
            source=disc, quote="first discovered in 1983", refs=(38, 39))
    reticulocyte = _entity(graph, "sheep reticulocyte")
    assert (reticulocyte, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
            URIRef(OBO + "CL_0000558")) in graph, "sheep reticulocytes are reticulocytes (CL:0000558)"
    _expect(graph, p, "first described in sheep reticulocytes", EXOSOME, "firstDescribedIn", reticulocyte,
            source=disc, quote="immature red blood cells of sheep", refs=(38, 39))
    form = "Section: Formation of Exosomes"
    _expect(graph, p, "min diameter 30 nm", EXOSOME, "minDiameterNm", value=Literal(30),
            source=form, quote="30-150 nm", refs=(40,))
    _expect(graph, p, "max diameter 150 nm", EXOSOME, "maxDiameterNm", value=Literal(150),
            source=form, quote="30-150 nm", refs=(40,))
    _expect(graph, p, "mean diameter 100 nm", EXOSOME, "meanDiameterNm", value=Literal(100),
            source=form, quote="100 nm", refs=(40,))
    # biogenesis: early endosome -> late endosome -> MVB containing ILVs -> released as exosomes
    ilv = _entity(graph, "ILV")
    _expect(graph, p, "early endosomes mature into late endosomes", OBO + "GO_0005769", "becomes",
            OBO + "GO_0005770", source=form, quote="Early endosomes mature")
    _expect(graph, p, "late endosomes form MVBs", OBO + "GO_0005770", "becomes", OBO + "GO_0005771",
            source=form, quote="into late endosomes")
    _expect(graph, p, "MVBs contain ILVs", OBO + "GO_0005771", "hasPart", ilv, source=form,
            quote="which contain many")
    _expect(graph, p, "ILVs are the final exosome", ilv, "becomes", EXOSOME, source=form,
            quote="These ILVs are the final exosome formed", refs=(40,))
    _expect(graph, p, "released by MVE fusion with the plasma membrane",
            _entity(graph, "exosome release"), "produces", EXOSOME, source=form,
            quote="fusion of MVEs with the plasma")
    _expect(graph, p, "or degraded with lysosomes", _entity(graph, "exosome biogenesis"), "precedes",
            _entity(graph, "lysosomal degradation of multivesicular bodies"), source=form, quote="lysosomes")
    # marker proteins
    for gene, hgnc in (("CD9", 1709), ("CD63", 1692), ("CD81", 1701), ("TSG101", 15971), ("HSC70", 5241)):
        _expect(graph, p, f"{gene} is an exosome marker", f"{HGNC}{hgnc}", "markerOf", EXOSOME,
                source=form, quote=gene, refs=(9, 37, 44))
    # body fluids (UBERON), from 'In vivo, exosomes exist in body fluids such as ...'
    fluids = {"blood": "0000178", "urine": "0001088", "cerebrospinal fluid": "0001359",
              "pleural fluid": "0001087", "abdominal fluid": "0001268", "saliva": "0001836",
              "amniotic": "0000173", "breast milk": "0001913", "semen": "0006530"}
    for name, uberon in fluids.items():
        _expect(graph, p, f"found in {name}", EXOSOME, "foundIn", f"{OBO}UBERON_{uberon}",
                source="Section: Exosomes", quote=name)
    assert not p, "\n".join(p)


def test_text_cancer_stem_cells(graph):
    p: list[str] = []
    csc = _entity(graph, "CSC")
    _expect(graph, p, "CSCs first discovered in 1997", csc, "yearFirstDescribed", value=Literal(1997),
            source="Section: Cancer Stem Cells", refs=(56, 57))
    _expect(graph, p, "CSCs first found in leukaemia", csc, "foundIn", _entity(graph, "leukemia"),
            source="Section: Cancer Stem Cells", quote="in leukemia in 1997", refs=(56, 57))
    origin = "Section: Origin of Cancer Stem Cells"
    _expect(graph, p, "CSCs are at least 0.01 %", csc, "minPercentOfTumourCells",
            value=Literal("0.01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal")),
            source=origin, quote="(0.01-2%)", refs=(54,))
    _expect(graph, p, "CSCs are at most 2 %", csc, "maxPercentOfTumourCells",
            value=Literal(2), source=origin, quote="(0.01-2%)", refs=(54,))
    # the four hypotheses of origin
    _expect(graph, p, "hypothesis 1: adult stem cells", csc, "originatesFrom",
            _entity(graph, "adult stem cell"), source=origin, quote="adult stem cells", refs=(64, 65, 66))
    _expect(graph, p, "hypothesis 2: progenitor cells", csc, "originatesFrom",
            _entity(graph, "progenitor cell"), source=origin, quote="progenitor cells", refs=(67,))
    _expect(graph, p, "hypothesis 3: differentiated non-stem cells", csc, "originatesFrom",
            _entity(graph, "differentiated tumour cell"), source=origin,
            quote="differentiated non-stem cells", refs=(64, 68, 69))
    _expect(graph, p, "hypothesis 3: via EMT", EMT, "promotes", _entity(graph, "acquisition of stemness"),
            source=origin, refs=(64, 68, 69))
    _expect(graph, p, "hypothesis 4: inflammatory cytokines", _entity(graph, "inflammatory cytokine"),
            "promotes", csc, source=origin, quote="inflammatory", refs=(70,))
    hypotheses = _select(graph, "SELECT ?h WHERE { ?h rdfs:subClassOf exo:CSCOriginHypothesis }")
    if len(hypotheses) != 4:
        p.append(f"expected four origin hypotheses, found {len(hypotheses)}")
    assert not p, "\n".join(p)


def test_text_emt_and_met(graph):
    p: list[str] = []
    met_section = "Section: Tumor Recurrence and Mesenchymal-Epithelial Transformation (MET)"
    # EMT drivers: 'transforming growth factor, fibroblast growth factor ... the Hh, notch, or NF-xB
    # signaling pathways, and cytokines in the TME'
    for name, word in (("transforming growth factor", "transforming growth factor"),
                       ("fibroblast growth factor", "fibroblast growth factor"),
                       ("Hedgehog signalling pathway", "Hh"), ("Notch signalling pathway", "notch"),
                       ("NF-kB signalling pathway", "NF-xB"), ("cytokine", "cytokines")):
        _expect(graph, p, f"{name} induces EMT", _entity(graph, name), "promotes", EMT,
                source=met_section, quote=word)
    _expect(graph, p, "EMT-TFs trigger EMT", _entity(graph, "EMT-TF"), "promotes", EMT,
            source=met_section, quote="trigger the EMT", refs=(132,))
    _expect(graph, p, "exosomes raise EMT-TF expression", EXOSOME, "increasesExpressionOf",
            _entity(graph, "EMT-TF"), source=met_section, quote="overexpression of EMT", refs=(132,))
    emt_section = "Section: Tumor Metastasis and EMT"
    _expect(graph, p, "E-cadherin down in EMT", EMT, "decreasesExpressionOf", HGNC + "1748",
            source=emt_section, quote="E-cadherin", note="closes the preceding sentence")
    _expect(graph, p, "vimentin up in EMT", EMT, "increasesExpressionOf", HGNC + "12692",
            source=emt_section, quote="vimentin", note="closes the preceding sentence")
    _expect(graph, p, "p53 transactivates miR-200c", HGNC + "11998", "increasesExpressionOf",
            MIRBASE + "MIMAT0000617", source=emt_section, quote="p53 transactivates miR-200c",
            refs=(121,))
    _expect(graph, p, "loss of p53 activates EMT", HGNC + "11998", "lossPromotes", EMT,
            source=emt_section, refs=(121,))
    # (119, 120) close the sentence on miRNAs in general as p53's mediators; the p53 -> miR-200c
    # -> EMT statement is (121) alone
    _expect(graph, p, "miR-200c inhibits EMT", MIRBASE + "MIMAT0000617", "inhibits", EMT,
            source=emt_section, quote="mediators of p53 to regulate EMT", refs=(121,))
    _expect(graph, p, "the miR-200 family acts on EMT in no single direction", _entity(graph, "miR-200 family"),
            "regulates", EMT, source=emt_section, quote="inhibition or expression of EMT-TF")
    _expect(graph, p, "tumour exosomes carry miR-200", _entity(graph, "tumour-derived exosome"),
            "carries", _entity(graph, "miR-200 family"), source=emt_section,
            quote="exosomes containing the miR-200 family")
    _expect(graph, p, "EMT promotes invasion", EMT, "promotes", _entity(graph, "invasion"),
            source=emt_section, refs=(112,))
    _expect(graph, p, "MET restores the epithelial phenotype", MET, "produces",
            _entity(graph, "epithelial state"), source=met_section, quote="epithelial-like")
    _expect(graph, p, "MET enables colonization", MET, "promotes", _entity(graph, "colonization"),
            source="Section: CSC Exosomes Regulate the Dynamic Balance of the Tumor Niche",
            quote="colonization", refs=(138,))
    # the MET paragraph describes EMT ('a decrease in the expression of the epithelial cell marker
    # E-cadherin ... the acquired invasive mesenchymal phenotype'): recorded, with a note
    _expect(graph, p, "MET paragraph contradiction", MET, "decreasesExpressionOf", HGNC + "1748",
            source=met_section, quote="decrease in", note="contradict", asserted=False)
    # the review also expands EMT as 'endothelial-mesenchymal transition'; mapped to GO:0001837
    origin = _claims(graph, _entity(graph, "CSC"), "originatesFrom", _entity(graph, "differentiated tumour cell"))
    if not any("endothelial-mesenchymal" in d["note"] for d in origin.values()):
        p.append("no curator note on the review's 'endothelial-mesenchymal transition'")
    assert not p, "\n".join(p)


def test_text_tumour_microenvironment_and_prospects(graph):
    p: list[str] = []
    role = "Section: The Role of CSC Exosomes in Cancer Metastasis"
    tme = _entity(graph, "TME")
    decimal = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
    _expect(graph, p, "normal pH 7.4", tme, "normalPH", value=Literal("7.4", datatype=decimal),
            source=role, quote="pH", refs=(106,))
    _expect(graph, p, "acidic pH 6.5", tme, "typicalPH", value=Literal("6.5", datatype=decimal),
            source=role, quote="7.4 to 6.5", refs=(106,))
    prospects = "Section: Application Prospects of CSC Exosomes in Cancer"
    cscx = _entity(graph, "cancer stem cell exosome")
    for name, word in (("diagnostic marker for tumour recurrence", "diagnostic marker"),
                       ("therapeutic target for interventional blockade", "interventional blockade"),
                       ("drug carrier", "drug carriers"), ("metastasis marker", "metastasis markers")):
        _expect(graph, p, f"prospect: {name}", cscx, "hasUse", _entity(graph, name),
                source=prospects, quote=word)
    _expect(graph, p, "CSC exosomes drive metastasis through the pre-metastatic niche", cscx,
            "promotes", _entity(graph, "metastasis"), source=role)
    _expect(graph, p, "CSCs secrete exosomes", cscx, "secretedBy", _entity(graph, "CSC"),
            source=role, quote="CSCs can secrete exosomes")
    assert not p, "\n".join(p)


def test_every_text_finding_has_full_provenance(graph):
    rows = _select(graph, """
        SELECT ?f (COUNT(DISTINCT ?source) AS ?ns) (COUNT(DISTINCT ?quote) AS ?nq)
               (COUNT(DISTINCT ?e) AS ?ne) WHERE {
          ?f a exo:TextClaim .
          OPTIONAL { ?f exo:source ?source } OPTIONAL { ?f exo:quote ?quote }
          OPTIONAL { ?f exo:evidence ?e }
        } GROUP BY ?f""")
    assert len(rows) > 250
    bad = [(f, ns, nq, ne) for f, ns, nq, ne in rows if int(ns) != 1 or int(nq) != 1 or int(ne) < 1]
    assert bad == []
    # The review's rows name a place in the review; another source's rows a part of that article
    # (its title, abstract, results...), several joined by '; '.
    places = _select(graph, """SELECT DISTINCT ?s ?origin WHERE {
        ?f a exo:TextClaim ; exo:source ?s ; exo:fromSource ?origin }""")
    review = {str(s) for s, origin in places if str(origin) == EXO + "source/review"}
    others = {str(s) for s, origin in places if str(origin) != EXO + "source/review"}
    allowed = re.compile(r"^(Abstract|Figure [12]|Section: .+)$")
    assert review and all(allowed.match(s) for s in review), sorted(review)
    part = r"(Title|Abstract|Introduction|Results|Discussion|Figure \d+|Table \d+)"
    assert all(re.match(rf"^{part}(; {part})*$", s) for s in others), sorted(others)


# =========================================================================== the curation schema
# Columns and rules of templates/README.md: the direction a source states, the studied disease,
# the one evidence rule, certainty, repeated statements and synonyms. These read the templates.


@pytest.fixture(scope="module")
def templates():
    from exoreason.curation import read_templates

    return read_templates(ONTOLOGY / "templates")


def _rows(templates, kind: str) -> dict[str, object]:
    return {row.get("id"): row for row in templates[kind]}


# What each Table 3 row's miRNA does to its targets, from the source that says it (None: no
# source read states a direction), and the cancer its primary study worked on.
TABLE3_DIRECTION = {
    "T3-miR-25-3p": ("repressed", "mir25-3p-2018", "DOID:9256"),
    "T3-miR-1247-3p": ("repressed", "mir1247-3p-2018", "DOID:684"),
    "T3-miR-423-5p": ("repressed", "mir423-5p-2018", "DOID:10534"),
    "T3-miR-141": ("unspecified", None, None),
    "T3-miR-103": ("repressed", "mir103-2018", "DOID:684"),
    "T3-miR-1246": ("unspecified", None, None),
    "T3-miR-19b-3p": ("repressed", "mir19b-3p-2019", "DOID:4467"),
    "T3-miR-210-3p": ("unspecified", None, None),
    "T3-miR-21-cluster": ("induced", "prostate-exosomes-2016", "DOID:10283"),
    "T3-miR-155": ("unspecified", None, "DOID:3498"),
}


def test_table3_directions_and_studied_diseases(templates):
    rows = _rows(templates, "mirna-transfer")
    assert set(rows) == set(TABLE3_DIRECTION)
    for rid, (effect, source, studied) in TABLE3_DIRECTION.items():
        row = rows[rid]
        assert row.get("target_effect") == effect, rid
        assert row.all("target_effect_source") == ((source,) if source else ()), rid
        assert row.get("studied_disease") == (studied or ""), rid
        # the studied disease comes from the row's own primary study
        assert row.all("studied_disease_source") == (row.all("primary_study") if studied else ()), rid
        assert row.get("certainty") == "asserted", rid


def test_mmp_rankl_row_records_induction_not_repression(templates):
    """Regression: the MMP-2/-9/-13 and RANKL row was read as repression by each miRNA; its study
    reports that miR-100-5p, miR-21-5p and miR-139-5p raised their expression, without separating
    the three miRNAs, so the row stays one row."""
    row = _rows(templates, "mirna-transfer")["T3-miR-21-cluster"]
    assert row.get("target_effect") == "induced"
    assert set(row.all("mirna")) == {"miRBase:MIMAT0000076", "miRBase:MIMAT0000098", "miRBase:MIMAT0000250"}
    assert set(row.all("target")) == {"HGNC:7166", "HGNC:7176", "HGNC:7159", "HGNC:11926"}
    assert "increased the expression" in row.get("curator_note")
    assert "oncotarget.com/article/6540" in row.get("curator_note")  # where the abstract was read


def test_studied_disease_is_kept_apart_from_the_printed_disease(templates):
    """Regression: Table 3 prints LUC for the miR-1247-3p (HCC) and miR-19b-3p (ccRCC) rows."""
    rows = _rows(templates, "mirna-transfer")
    for rid, printed, studied in (("T3-miR-1247-3p", "DOID:1324", "DOID:684"),
                                  ("T3-miR-19b-3p", "DOID:1324", "DOID:4467")):
        assert rows[rid].get("disease_as_stated") == "LUC"
        assert rows[rid].get("disease") == printed
        assert rows[rid].get("studied_disease") == studied
    terms = {row.get("id") for row in templates["terms"]}
    assert {row.get("studied_disease") for row in rows.values()} - {""} <= terms


def test_sample_origin_is_not_an_evidence_kind(templates):
    """Regression: exosomes from patients' serum made the miR-423-5p and miR-141 rows
    patient-sample evidence; where a sample comes from is context."""
    rows = _rows(templates, "mirna-transfer")
    serum = [row for row in rows.values() if "serum" in row.get("donor_as_stated")]
    assert {row.get("id") for row in serum} == {"T3-miR-423-5p", "T3-miR-141"}
    assert all("ECO:0007121" not in row.all("evidence") for row in serum)
    claims = _rows(templates, "claims")
    for rid in ("X-clinic-drug", "X-clinic-biomarker", "P-mirna-marker"):
        assert claims[rid].all("evidence") == ("ECO:0000304",), rid


def test_the_one_evidence_rule(templates):
    rows = {**_rows(templates, "claims"), **_rows(templates, "mirna-transfer")}
    # (a) the review calls refs 22-34 in vitro studies: the rows of refs 22-31 are in vitro
    for rid in ("X-invitro-proliferation", "X-invitro-invasion", "X-invitro-drug-resistance",
                "X-invitro-angiogenesis", "T3-miR-25-3p", "T3-miR-1247-3p", "T3-miR-423-5p",
                "T3-miR-1246", "T3-miR-155"):
        assert rows[rid].all("evidence") == ("ECO:0007122",), rid
    # ... but no in vitro study shows metastasis, a pre-metastatic niche or a tumour formed: step 2,
    # the identified primary study (ref 25 reports patient data on metastasis), else step 3
    assert rows["X-invitro-metastasis"].all("evidence") == ("ECO:0007121",)
    assert rows["X-invitro-metastasis"].all("primary_study") == ("mir1247-3p-2018",)
    for rid in ("X-invitro-pmn", "C-micromets-invitro"):
        assert rows[rid].all("evidence") == ("ECO:0000304",), rid
    # (a) xenotransplantation experiments in vivo (refs 56, 116)
    for rid in ("C-xeno-tumorigenicity", "E-xeno"):
        assert rows[rid].all("evidence") == ("ECO:0007120",), rid
    # (b) the identified primary study's abstract
    # for the row's finding only: miR-103's serum association with metastasis is not its transfer to
    # endothelial cells; miR-19b-3p's abstract compares the EMT effect of CSC exosomes from patients
    # with and without lung metastasis
    assert set(rows["T3-miR-103"].all("evidence")) == {"ECO:0007122", "ECO:0007120"}
    assert set(rows["T3-miR-19b-3p"].all("evidence")) == {"ECO:0007122", "ECO:0007121"}
    assert rows["T3-miR-21-cluster"].all("evidence") == ("ECO:0007122",)
    # (c) else the review statement, alone
    for rid in ("T3-miR-141", "T3-miR-210-3p"):
        assert rows[rid].all("evidence") == ("ECO:0000304",), rid
    mixed = [rid for rid, row in rows.items()
             if "ECO:0000304" in row.all("evidence") and len(row.all("evidence")) > 1]
    assert mixed == []


def test_certainty_is_explicit_on_every_row(templates):
    from exoreason.curation import CERTAINTIES, TARGET_EFFECTS

    for row in templates["claims"] + templates["mirna-transfer"]:
        assert row.get("certainty") in CERTAINTIES, (row.file, row.line)
    for row in templates["mirna-transfer"]:
        assert row.get("target_effect") in TARGET_EFFECTS, (row.file, row.line)


def test_correlations_are_not_causal_edges(templates):
    """Regression: 'associated with', 'related to' and co-occurrences were promotes edges."""
    claims = _rows(templates, "claims")
    correlations = {rid for rid, row in claims.items() if row.get("certainty") == "correlation"}
    assert {"E-xeno", "E-csc-traits", "E-sarcoma", "E-local-infiltration", "E-progression",
            "E-niche-collective", "E-p53-loss-emt", "E-p53-loss-stemness", "P-acidic-malignant",
            "C-csc-emt-active"} <= correlations
    assert all(claims[rid].get("relation") == "RO:0002610" for rid in correlations)
    # and none of them is left in the network's causal relations
    causal = {"exo:promotes", "exo:inhibits", "exo:lossPromotes"}
    assert not any(claims[rid].get("relation") in causal for rid in correlations)


def test_hedges_and_hypotheses_are_marked(templates):
    claims = _rows(templates, "claims")
    hypotheses = {rid for rid, row in claims.items() if row.get("certainty") == "hypothesis"}
    assert hypotheses == {"C-origin-adult-stem", "C-origin-progenitor", "C-origin-differentiated",
                          "C-origin-emt", "C-origin-cytokines"}
    for rid, words in (("P-dormant-reawakening", "may mediate"), ("C-trigger-metastasis", "are considered"),
                       ("E-figure1-resistance", "may promote"), ("E-cadherin-loss", "may lead"),
                       ("P-mirna-marker", "is considered"), ("P-app-diagnostic", "is predicted"),
                       ("P-app-blockade", "will likely"), ("C-emt-difference", "could be")):
        assert claims[rid].get("certainty") == "hedged", rid
        assert words in claims[rid].get("quote"), rid


def test_garbled_met_sentence_asserts_no_met_biology(templates):
    """Regression: the review's MET sentence describes EMT; it stays recorded, asserting nothing."""
    claims = _rows(templates, "claims")
    for rid in ("E-met-tme", "E-met-ecad", "E-met-invasive"):
        assert claims[rid].get("certainty") == "unasserted", rid
        assert "describes EMT" in claims[rid].get("curator_note"), rid
    asserted = [row for row in claims.values() if row.get("certainty") != "unasserted"]
    met = "GO:0060231"
    said = {(row.get("subject"), row.get("relation"), row.get("object")) for row in asserted}
    assert (met, "exo:decreasesExpressionOf", "HGNC:1748") not in said
    assert (met, "RO:0002234", "exo:MesenchymalState") not in said
    assert (met, "exo:produces", "exo:MesenchymalState") not in said
    assert ("exo:TumourMicroenvironment", "exo:promotes", met) not in said


def test_rows_say_what_their_quotes_say(templates):
    claims = _rows(templates, "claims")
    said = {(row.get("subject"), row.get("relation"), row.get("object")) for row in claims.values()}
    # the CSC/non-CSC difference is attributed to EMT; CSCs do not regulate EMT
    for rid in ("C-emt-difference", "E-niche-emt-difference"):
        assert (claims[rid].get("subject"), claims[rid].get("object")) == ("GO:0001837", "exo:Stemness")
    assert ("exo:CancerStemCell", "exo:regulates", "GO:0001837") not in said
    # miR-200 is low in mammary stem and progenitor cells: an observation, not about all adult stem cells
    assert claims["E-mir200-stem"].get("subject") == "exo:MammaryStemOrProgenitorCell"
    assert claims["E-mir200-stem"].get("certainty") == "unasserted"
    assert not any(row.get("subject") == "exo:AdultStemCell" and row.get("relation") == "exo:decreasesExpressionOf"
                   for row in claims.values())
    # exosomes are a kind of EV (is-a, in the TBox), not a part of them
    assert ("GO:0070062", "exo:partOf", "GO:1903561") not in said
    # the colonization sentence says only that it rarely succeeds
    assert "C-colonization-low" not in claims
    assert ("exo:Colonization", "exo:promotes", "exo:Recurrence") not in said
    # the self-renewal sentence's subject is the CSCs, not their exosomes
    assert claims["C-cscx-self-renewal"].get("subject") == "exo:CancerStemCell"


def test_exosomes_are_extracellular_vesicles_by_subclass(graph):
    assert (URIRef(OBO + "GO_0070062"), URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"),
            URIRef(OBO + "GO_1903561")) in graph


def test_repeated_statement_counts_each_source_once(templates):
    """Regression: a statement the review repeats counted once per repetition."""
    from exoreason.curation import statement_sources

    sources = statement_sources(templates)
    # said in the abstract, the introduction and two sections: the review itself and refs 56, 58, 59
    assert sources[("exo:CancerStemCell", "exo:promotes", "exo:Metastasis")] == {"review", "ref:56", "ref:58", "ref:59"}
    # one reading of two sentences, citing refs 93 and 135
    assert sources[("GO:0001837", "exo:regulates", "exo:Stemness")] == {"ref:93", "ref:135"}
    # a reference the templates identify counts as its publication, once
    assert sources[("exo:TumourDerivedExosome", "exo:promotes", "exo:Chemoresistance")] == {"mir155-2017"}
    rows = [row for row in templates["claims"]
            if (row.get("subject"), row.get("relation"), row.get("object")) == ("GO:0001837", "exo:promotes", "exo:Stemness")]
    assert len(rows) == 4 and len(sources[("GO:0001837", "exo:promotes", "exo:Stemness")]) == 5


def test_precursor_symbols_and_ambiguous_names_are_related_synonyms(templates):
    terms = _rows(templates, "terms")
    expected = {"miRBase:MIMAT0000646": "MIR155", "miRBase:MIMAT0000076": "MIR21",
                "miRBase:MIMAT0000074": "MIR19B1", "miRBase:MIMAT0000101": "MIR103A1",
                "miRBase:MIMAT0004748": "miR-423", "miRBase:MIMAT0022721": "miR-1247",
                "DOID:684": "liver cancer"}
    for term, name in expected.items():
        assert name in terms[term].all("related_synonyms"), term
        assert name not in terms[term].all("synonyms"), term
    # narrower names are related, not exact: carcinogenesis (of a cancer) and tumour initiation (the
    # first stage) for tumorigenesis
    tumorigenesis = terms["exo:Tumorigenesis"]
    assert {"carcinogenesis", "tumour initiation", "tumor initiation"} <= set(tumorigenesis.all("related_synonyms"))
    assert tumorigenesis.all("synonyms") == ()
    gene_symbol = re.compile(r"^MIR\d")
    exact = [(rid, s) for rid, row in terms.items() if rid.startswith("miRBase:") for s in row.all("synonyms")
             if gene_symbol.match(s)]
    assert exact == [], "a precursor's gene symbol names the gene, not the mature miRNA"
    # the names the review prints stay exact
    assert {"miR155", "miR-1246", "miR-25-3p"} <= set(terms["miRBase:MIMAT0000646"].all("synonyms")
                                                     + terms["miRBase:MIMAT0005898"].all("synonyms")
                                                     + terms["miRBase:MIMAT0000081"].all("synonyms"))


# Bad values in the new columns: each is one problem naming file, line and column.
_HEADER = ("id\tsubject\trelation\tobject\tvalue\tcertainty\tsource\treview_refs\tprimary_study\tevidence\t"
           "quote\tcurator_note")
_T3_HEADER = ("id\tmirna\tmirna_as_stated\tdonor\tdonor_as_stated\trecipient\trecipient_as_stated\ttarget\t"
              "target_as_stated\ttarget_effect\ttarget_effect_source\tdisease\tdisease_as_stated\tstudied_disease\t"
              "studied_disease_source\tfunction\tfunction_as_stated\tcertainty\tsource\tevidence\tquote")


def _claim_line(**cells: str) -> str:
    row = {"id": "Z-1", "subject": "GO:0070062", "relation": "exo:promotes", "object": "exo:Metastasis",
           "certainty": "asserted", "source": "Section: Test", "evidence": "ECO:0000304", "quote": "a test quote"}
    row.update(cells)
    return "\t".join(row.get(c, "") for c in _HEADER.split("\t"))


def _t3_line(**cells: str) -> str:
    row = {"id": "Z-T3", "mirna": "miRBase:MIMAT0000646", "mirna_as_stated": "miR155", "donor": "CL:0000000",
           "donor_as_stated": "x", "recipient": "CL:0000000", "recipient_as_stated": "x", "target": "HGNC:18022",
           "target_as_stated": "x", "target_effect": "unspecified", "disease": "DOID:3498", "disease_as_stated": "x",
           "function": "exo:Chemoresistance", "function_as_stated": "x", "certainty": "asserted",
           "source": "Table 3", "evidence": "ECO:0007122", "quote": "a test quote"}
    row.update(cells)
    return "\t".join(row.get(c, "") for c in _T3_HEADER.split("\t"))


_TERMS = ("id\tparent\tlabel\tdefinition\tsynonyms\trelated_synonyms\n"
          "DOID:3498\tDOID:162\tpancreatic ductal adenocarcinoma\tA cancer.\tPDAC\t\n")
_PUBLICATIONS = "id\ttitle\tyear\nstudy-2020\tA study\t2020\n"

BAD_CELLS = {
    "unknown certainty": ("claims-x.tsv", _HEADER + "\n" + _claim_line(certainty="probable"), "certainty",
                          "unknown certainty 'probable'"),
    "correlation with a causal relation": ("claims-x.tsv", _HEADER + "\n" + _claim_line(certainty="correlation"),
                                           "relation", "RO:0002610"),
    "correlated with, not a correlation": ("claims-x.tsv", _HEADER + "\n" + _claim_line(relation="RO:0002610"),
                                           "certainty", "needs certainty 'correlation'"),
    "review statement with another kind": ("claims-x.tsv", _HEADER + "\n" + _claim_line(evidence="ECO:0000304|ECO:0007122"),
                                           "evidence", "only when no other kind applies"),
    "unknown target effect": ("mirna-transfer-x.tsv", _T3_HEADER + "\n" + _t3_line(target_effect="up"),
                              "target_effect", "unknown target effect 'up'"),
    "direction without its source": ("mirna-transfer-x.tsv", _T3_HEADER + "\n" + _t3_line(target_effect="induced"),
                                     "target_effect_source", "needs the publication"),
    "source without a direction": ("mirna-transfer-x.tsv",
                                   _T3_HEADER + "\n" + _t3_line(target_effect_source="study-2020"),
                                   "target_effect", "with no direction"),
    "unknown source publication": ("mirna-transfer-x.tsv",
                                   _T3_HEADER + "\n" + _t3_line(target_effect="repressed", target_effect_source="nope-1999"),
                                   "target_effect_source", "unknown publication 'nope-1999'"),
    "studied disease without source": ("mirna-transfer-x.tsv", _T3_HEADER + "\n" + _t3_line(studied_disease="DOID:3498"),
                                       "studied_disease_source", "go together"),
    "undeclared studied disease": ("mirna-transfer-x.tsv",
                                   _T3_HEADER + "\n" + _t3_line(studied_disease="DOID:1234", studied_disease_source="study-2020"),
                                   "studied_disease", "DOID:1234 is not declared in terms"),
    "exact and related at once": ("terms-x.tsv",
                                  ("id\tparent\tlabel\tdefinition\tsynonyms\trelated_synonyms\n"
                                   "exo:X\tCL:0000000\tx cell\tA cell.\tMIR21\tMIR21"),
                                  "related_synonyms", "both an exact and a related synonym"),
}


@pytest.mark.parametrize("case", list(BAD_CELLS))
def test_bad_values_in_the_new_columns_are_named(tmp_path, case):
    from exoreason.curation import read_templates
    from exoreason.errors import CurationError

    name, text, column, message = BAD_CELLS[case]
    (tmp_path / "terms-base.tsv").write_text(_TERMS, encoding="utf-8")
    (tmp_path / "publications.tsv").write_text(_PUBLICATIONS, encoding="utf-8")
    (tmp_path / name).write_text(text + "\n", encoding="utf-8")
    with pytest.raises(CurationError) as caught:
        read_templates(tmp_path)
    problems = caught.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    (problem,) = problems
    assert (problem.file, problem.line, problem.column) == (name, 2, column), str(problem)
    assert message in problem.text, str(problem)


def test_the_same_rows_read_without_the_new_columns(tmp_path):
    """The new columns are optional: a claims file without them still reads (as asserted)."""
    from exoreason.curation import read_templates

    header = _HEADER.replace("\tcertainty", "")
    line = _claim_line().split("\t")
    line.pop(_HEADER.split("\t").index("certainty"))
    (tmp_path / "claims-x.tsv").write_text(header + "\n" + "\t".join(line) + "\n", encoding="utf-8")
    (row,) = read_templates(tmp_path)["claims"]
    assert row.get("certainty") == ""


# =========================================================================== coverage


def _run(*args: str, directory: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("EXOREASON_ONTOLOGY_DIR", None)
    if directory is not None:
        env["EXOREASON_ONTOLOGY_DIR"] = str(directory)
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, timeout=120,
                          check=False)


def test_coverage_counts_findings_per_source():
    done = _run("coverage", "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    counts = {row["source"]: int(row["findings"]) for row in rows}
    # the review's tables: 9 isolation methods, 16 characterization techniques, 10 Table 3 rows
    assert counts.get("Table 1") == 9 and counts.get("Table 2") == 16 and counts.get("Table 3") == 10, counts
    for section in ("Abstract", "Figure 1", "Figure 2", "Section: Discovery of Exosomes",
                    "Section: Formation of Exosomes", "Section: Cancer Stem Cells",
                    "Section: Origin of Cancer Stem Cells", "Section: Tumor Metastasis and EMT",
                    "Section: Application Prospects of CSC Exosomes in Cancer"):
        assert counts.get(section, 0) > 0, f"no finding from {section}"
    assert all(n > 0 for n in counts.values())
    assert len(counts) == len(rows)


_SMALL = """
@prefix exo: <https://w3id.org/exoreason/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix obo: <http://purl.obolibrary.org/obo/> .
@prefix finding: <https://w3id.org/exoreason/finding/> .
exo:TextClaim rdfs:subClassOf exo:Finding .
finding:complete a exo:TextClaim ; exo:source "Section: A"@en ; exo:quote "a quote"@en ;
    exo:evidence obo:ECO_0000304 ; exo:statedIn <https://w3id.org/exoreason/publication/liu2022> .
finding:unquoted a exo:TextClaim ; exo:source "Section: A"@en ;
    exo:evidence obo:ECO_0000304 ; exo:statedIn <https://w3id.org/exoreason/publication/liu2022> .
"""


def test_provenance_violation_query_lists_a_finding_without_quote():
    from exoreason.query import load_named_query, run_query

    graph = Graph().parse(data=_SMALL, format="turtle")
    rows = run_query(graph, load_named_query("finding-provenance-violation").text).plain_rows()
    assert rows == [{"finding": "https://w3id.org/exoreason/finding/unquoted", "missing": "quote"}]


def test_coverage_command_fails_on_a_finding_without_provenance(tmp_path):
    (tmp_path / "exoreason-kg.ttl").write_text(_SMALL, encoding="utf-8")
    done = _run("coverage", "--format", "csv", directory=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Section: A,2" in done.stdout
    assert "unquoted" in done.stderr and "quote" in done.stderr
    assert "complete" not in done.stderr


def test_colonization_holds_proliferation_at_the_distant_site_not_all_proliferation(templates):
    """Regression: E-colonization-proliferation made all cell proliferation (GO:0008283) part of
    colonization; the review speaks of metastatic cells proliferating where they landed."""
    claims = _rows(templates, "claims")
    terms = _rows(templates, "terms")
    row = claims["E-colonization-proliferation"]
    assert (row.get("subject"), row.get("relation"), row.get("object")) == (
        "exo:MetastaticCellProliferation", "exo:partOf", "exo:Colonization")
    assert terms["exo:MetastaticCellProliferation"].all("parent") == ("GO:0008283",)
    assert not [rid for rid, r in claims.items() if r.get("subject") == "GO:0008283"
                and r.get("relation") == "exo:partOf"]


def test_p53_loss_correlations_keep_their_sign(templates):
    """Regression: 'EMT is associated with the loss of p53 function' was recorded as TP53 correlated
    with EMT, which loses the sign; the subject is the loss of TP53 function."""
    claims = _rows(templates, "claims")
    terms = _rows(templates, "terms")
    assert terms["exo:TP53LossOfFunction"].get("label") == "loss of TP53 function"
    for rid, obj in (("E-p53-loss-emt", "GO:0001837"), ("E-p53-loss-stemness", "exo:Stemness")):
        row = claims[rid]
        assert (row.get("subject"), row.get("relation"), row.get("object"), row.get("certainty")) == (
            "exo:TP53LossOfFunction", "RO:0002610", obj, "correlation"), rid


def test_a_reported_proposal_is_hedged(templates):
    """Regression: 'More suggestions proposed an alternative description ...' was asserted."""
    claims = _rows(templates, "claims")
    for rid in ("E-cascade-dissemination", "E-cascade-two-stage"):
        assert claims[rid].get("certainty") == "hedged", rid


def test_rows_cite_only_the_references_of_their_statement(templates):
    """Regression: C-dedifferentiation took (56, 58, 59) from the next sentence; E-mir200c-emt took
    (119, 120), which close the sentence on miRNAs in general as p53's mediators."""
    claims = _rows(templates, "claims")
    assert claims["C-dedifferentiation"].all("review_refs") == ()
    assert claims["E-mir200c-emt"].all("review_refs") == ("121",)
