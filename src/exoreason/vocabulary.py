"""Every IRI exoreason's code uses, in one place, as rdflib terms.

The namespaces and CURIE prefixes themselves are plain strings in :mod:`exoreason.prefixes` (so
the SPARQL command line can use them without importing rdflib); this module builds the rdflib
terms from them. SPARQL queries live in ``queries/*.rq``; Python code refers to terms only
through the constants here.
"""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, XSD

from . import prefixes
from .prefixes import CURIE_PREFIXES, curie, expand_curie

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
    "SOURCE",
    "TERM_REPLACED_BY",
    "XREF_ONLY_PREFIXES",
    "XSD",
    "curie",
    "expand",
]

EXO = Namespace(prefixes.EXO)
FINDING = Namespace(prefixes.FINDING)
PUBLICATION = Namespace(prefixes.PUBLICATION)
SOURCE = Namespace(prefixes.SOURCE)
OBO = Namespace(prefixes.OBO)
OBOINOWL = Namespace(prefixes.OBOINOWL)
HGNC = Namespace(prefixes.HGNC)
MIRBASE = Namespace(prefixes.MIRBASE)

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


def expand(curie_text: str) -> URIRef:
    """Expand a CURIE such as ``GO:0001837`` to its IRI.

    >>> expand("GO:0001837")
    rdflib.term.URIRef('http://purl.obolibrary.org/obo/GO_0001837')
    >>> expand("exo:CancerStemCell")
    rdflib.term.URIRef('https://w3id.org/exoreason/CancerStemCell')

    Raises KeyError for an unknown prefix and ValueError for text that is not a CURIE.
    """
    return URIRef(expand_curie(curie_text))
