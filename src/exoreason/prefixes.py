"""The namespaces and CURIE prefixes of exoreason, as plain strings.

This is the part of the vocabulary that needs no RDF library: the SPARQL command line reads it
without importing rdflib (:mod:`exoreason.vocabulary` builds its rdflib terms from these strings).

>>> SPARQL_PREFIXES["miRBase"]
'https://identifiers.org/mirbase.mature:'
>>> curie("http://www.w3.org/2000/01/rdf-schema#label", SPARQL_PREFIXES)
'rdfs:label'
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CURIE_PREFIXES",
    "DCTERMS",
    "EXO",
    "FINDING",
    "HGNC",
    "MIRBASE",
    "OBO",
    "OBOINOWL",
    "OWL",
    "PUBLICATION",
    "RDF",
    "RDFS",
    "SKOS",
    "SPARQL_PREFIXES",
    "XSD",
    "curie",
    "expand_curie",
]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
OBO = "http://purl.obolibrary.org/obo/"
EXO = "https://w3id.org/exoreason/"
FINDING = EXO + "finding/"
PUBLICATION = EXO + "publication/"
HGNC = "https://identifiers.org/hgnc:"
MIRBASE = "https://identifiers.org/mirbase.mature:"

#: CURIE prefixes an identifier in a template may use, and what they expand to.
CURIE_PREFIXES: dict[str, str] = {
    "exo": EXO,
    "GO": OBO + "GO_",
    "CL": OBO + "CL_",
    "UBERON": OBO + "UBERON_",
    "DOID": OBO + "DOID_",
    "ECO": OBO + "ECO_",
    "RO": OBO + "RO_",
    "BFO": OBO + "BFO_",
    "IAO": OBO + "IAO_",
    "HGNC": HGNC,
    "miRBase": MIRBASE,
}

#: The prefixes every SPARQL query may use without declaring them: the W3C and OBO namespaces
#: and every CURIE prefix the build knows. A query's own PREFIX line takes precedence.
SPARQL_PREFIXES: dict[str, str] = {
    "exo": EXO,
    "obo": OBO,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "oboInOwl": OBOINOWL,
    "dcterms": DCTERMS,
    "skos": SKOS,
    **CURIE_PREFIXES,
}

_NOT_IN_IRI = frozenset('<>"{}|\\^`')


def expand_curie(curie_text: str, prefixes: Mapping[str, str] = CURIE_PREFIXES) -> str:
    """The IRI of a CURIE such as ``GO:0001837``, as text.

    >>> expand_curie("GO:0001837")
    'http://purl.obolibrary.org/obo/GO_0001837'

    Raises KeyError for an unknown prefix and ValueError for text that is not a CURIE.
    """
    prefix, sep, local = curie_text.partition(":")
    if not sep or not prefix or not local or any(c.isspace() or c in _NOT_IN_IRI for c in curie_text):
        raise ValueError(f"not a CURIE: {curie_text!r}")
    return prefixes[prefix] + local


def curie(iri: str, prefixes: Mapping[str, str] = CURIE_PREFIXES) -> str:
    """Compress an IRI to a CURIE where a prefix fits (the longest namespace wins), else return
    it unchanged.

    >>> curie("http://purl.obolibrary.org/obo/GO_0001837")
    'GO:0001837'
    """
    best = ""
    for prefix, base in prefixes.items():
        if iri.startswith(base) and len(base) > len(prefixes.get(best, "")):
            best = prefix
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri
