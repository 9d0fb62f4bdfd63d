"""Every IRI exoreason's code uses, in one place.

SPARQL queries live in ``queries/*.rq`` with their own PREFIX lines; Python code refers to terms
only through the constants here.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

__all__ = [
    "AXIOM_FINDING",
    "CLASS_LEVEL_CLAIM",
    "CURIE_PREFIXES",
    "DCTERMS",
    "EVIDENCE_KINDS",
    "EXO",
    "FINDING",
    "HAS_DBXREF",
    "HAS_EXACT_SYNONYM",
    "HAS_RELATED_SYNONYM",
    "IAO_DEFINITION",
    "OBO",
    "OBOINOWL",
    "ONTOLOGY_IRI",
    "OWL",
    "PUBLICATION",
    "RDF",
    "RDFS",
    "REVIEW",
    "TERM_REPLACED_BY",
    "XREF_ONLY_PREFIXES",
    "XSD",
    "curie",
    "expand",
]

EXO = Namespace("https://w3id.org/exoreason/")
FINDING = Namespace("https://w3id.org/exoreason/finding/")
PUBLICATION = Namespace("https://w3id.org/exoreason/publication/")
OBO = Namespace("http://purl.obolibrary.org/obo/")
OBOINOWL = Namespace("http://www.geneontology.org/formats/oboInOwl#")
HGNC = Namespace("https://identifiers.org/hgnc:")
MIRBASE = Namespace("https://identifiers.org/mirbase.mature:")

ONTOLOGY_IRI = URIRef("https://w3id.org/exoreason/exoreason.owl")
REVIEW = PUBLICATION["liu2022"]

IAO_DEFINITION = OBO["IAO_0000115"]
TERM_REPLACED_BY = OBO["IAO_0100001"]
HAS_EXACT_SYNONYM = OBOINOWL["hasExactSynonym"]
HAS_RELATED_SYNONYM = OBOINOWL["hasRelatedSynonym"]
HAS_DBXREF = OBOINOWL["hasDbXref"]

#: The parent of the annotation properties a claim may use to state something about a class as a
#: whole (built as an annotation assertion, not as a class axiom).
CLASS_LEVEL_CLAIM = EXO["classLevelClaim"]
#: On an axiom annotation: the finding (an individual holding the whole curated row) the axiom was
#: built from. rdfs:seeAlso rather than dcterms:source: owlready2 names annotation properties by
#: their local name, and dcterms:source would clash there with exo:source (the review's section).
AXIOM_FINDING = RDFS.seeAlso

#: CURIE prefixes an identifier in a template may use, and what they expand to.
CURIE_PREFIXES: dict[str, str] = {
    "exo": str(EXO),
    "GO": str(OBO) + "GO_",
    "CL": str(OBO) + "CL_",
    "UBERON": str(OBO) + "UBERON_",
    "DOID": str(OBO) + "DOID_",
    "ECO": str(OBO) + "ECO_",
    "RO": str(OBO) + "RO_",
    "BFO": str(OBO) + "BFO_",
    "IAO": str(OBO) + "IAO_",
    "HGNC": str(HGNC),
    "miRBase": str(MIRBASE),
}

#: Prefixes allowed in cross-references (oboInOwl:hasDbXref) but never expanded to IRIs.
XREF_ONLY_PREFIXES = frozenset({"MONDO", "DOI", "PMID", "MIMAT", "NCIT", "MESH", "HGNC", "GO", "CL",
                                "UBERON", "DOID", "miRBase", "ECO"})

#: The evidence kinds a finding may cite (ECO classes), with a short name used in reports.
EVIDENCE_KINDS: dict[str, str] = {
    "ECO:0000304": "review statement",
    "ECO:0007122": "in vitro",
    "ECO:0007120": "in vivo",
    "ECO:0007121": "patient samples",
}


_NOT_IN_IRI = frozenset('<>"{}|\\^`')


def expand(curie_text: str) -> URIRef:
    """Expand a CURIE such as ``GO:0001837`` to its IRI.

    >>> expand("GO:0001837")
    rdflib.term.URIRef('http://purl.obolibrary.org/obo/GO_0001837')
    >>> expand("exo:CancerStemCell")
    rdflib.term.URIRef('https://w3id.org/exoreason/CancerStemCell')

    Raises KeyError for an unknown prefix and ValueError for text that is not a CURIE.
    """
    prefix, sep, local = curie_text.partition(":")
    if not sep or not prefix or not local or any(c.isspace() or c in _NOT_IN_IRI for c in curie_text):
        raise ValueError(f"not a CURIE: {curie_text!r}")
    return URIRef(CURIE_PREFIXES[prefix] + local)


def curie(iri: str) -> str:
    """Compress an IRI to a CURIE where a prefix fits, else return it unchanged.

    >>> curie("http://purl.obolibrary.org/obo/GO_0001837")
    'GO:0001837'
    """
    best = ""
    for prefix, base in CURIE_PREFIXES.items():
        if iri.startswith(base) and len(base) > len(CURIE_PREFIXES.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(CURIE_PREFIXES[best]):]}" if best else iri
