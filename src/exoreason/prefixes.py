"""The one prefix map of exoreason: every namespace and CURIE prefix the project reads or writes.

The records below are plain data, so the SPARQL command line reads them without importing an RDF
library or pydantic; :func:`converter` builds them into a :class:`curies.Converter` (prefix
synonyms, URI prefix synonyms, duplicates refused as ``curies`` refuses them), and the plain maps
(:data:`CURIE_PREFIXES`, :data:`SPARQL_PREFIXES`, :data:`BINDINGS`) are derived from the same
records. Templates, the build, the released files' prefix declarations, SPARQL's predefined
prefixes, ``--bind`` and the vocabulary page all use them.

Prefixes follow bioregistry (its preferred prefix where it has one: ``HGNC``, ``GO``, ``DOID``;
else its prefix: ``mirbase.mature``); the project's earlier spellings (``miRBase``, ``hgnc``) stay
accepted as synonyms. External classes keep their IRIs: the URI prefixes used here for HGNC and
miRBase (identifiers.org's ``https://identifiers.org/hgnc:`` and
``https://identifiers.org/mirbase.mature:``) are among bioregistry's URI prefixes for those
resources, whose other forms are listed as synonyms, so IRIs written by other tools are recognised.

>>> SPARQL_PREFIXES["miRBase"]
'https://identifiers.org/mirbase.mature:'
>>> curie("https://identifiers.org/mirbase.mature:MIMAT0000646")
'mirbase.mature:MIMAT0000646'
>>> curie("http://www.w3.org/2000/01/rdf-schema#label", SPARQL_PREFIXES)
'rdfs:label'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import curies

__all__ = [
    "BINDINGS",
    "CURIE_PREFIXES",
    "DCTERMS",
    "EXO",
    "FINDING",
    "HGNC",
    "MIRBASE",
    "OBO",
    "OBOINOWL",
    "OWL",
    "PREFIX_RECORDS",
    "PUBLICATION",
    "SOURCE",
    "PrefixRecord",
    "RDF",
    "RDFS",
    "SKOS",
    "SPARQL_PREFIXES",
    "XSD",
    "converter",
    "curie",
    "expand_curie",
    "standardize_iri",
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
SOURCE = EXO + "source/"
HGNC = "https://identifiers.org/hgnc:"
MIRBASE = "https://identifiers.org/mirbase.mature:"


@dataclass(frozen=True)
class PrefixRecord:
    """One namespace: its canonical prefix and URI prefix, and the other spellings of each that
    are read (never written). The fields are those of a :class:`curies.Record`."""

    prefix: str
    uri_prefix: str
    prefix_synonyms: tuple[str, ...] = ()
    uri_prefix_synonyms: tuple[str, ...] = ()
    #: True for the namespaces of identifiers a template may name (``GO:0001837``); False for
    #: the W3C and OBO vocabularies and the project's own sub-namespaces.
    identifiers: bool = field(default=True, compare=False)


def _obo(prefix: str) -> PrefixRecord:
    return PrefixRecord(prefix, f"{OBO}{prefix}_", (prefix.lower(),))


#: The records, in the order prefixes are listed (in ``query --help`` and the vocabulary page).
PREFIX_RECORDS: tuple[PrefixRecord, ...] = (
    PrefixRecord("exo", EXO),
    PrefixRecord("obo", OBO, identifiers=False),
    PrefixRecord("rdf", RDF, identifiers=False),
    PrefixRecord("rdfs", RDFS, identifiers=False),
    PrefixRecord("owl", OWL, identifiers=False),
    PrefixRecord("xsd", XSD, identifiers=False),
    PrefixRecord("oboInOwl", OBOINOWL, identifiers=False),
    PrefixRecord("dcterms", DCTERMS, identifiers=False),
    PrefixRecord("skos", SKOS, identifiers=False),
    *(_obo(p) for p in ("GO", "CL", "UBERON", "DOID", "ECO", "RO", "BFO", "IAO")),
    # bioregistry: prefix hgnc, preferred prefix HGNC; its URI prefixes include each form below.
    PrefixRecord("HGNC", HGNC, ("hgnc",), (
        "http://identifiers.org/hgnc:", "http://identifiers.org/hgnc/", "https://identifiers.org/hgnc/",
        "https://bioregistry.io/hgnc:", "http://bioregistry.io/hgnc:",
        "https://www.genenames.org/data/gene-symbol-report/#!/hgnc_id/HGNC:")),
    # bioregistry: prefix mirbase.mature (miRBase's mature sequences; plain `mirbase` is for the
    # precursor hairpins, so it is not a synonym here).
    PrefixRecord("mirbase.mature", MIRBASE, ("miRBase",), (
        "http://identifiers.org/mirbase.mature:", "http://identifiers.org/mirbase.mature/",
        "https://identifiers.org/mirbase.mature/", "https://bioregistry.io/mirbase.mature:",
        "http://bioregistry.io/mirbase.mature:", "https://www.mirbase.org/cgi-bin/mature.pl?mature_acc=",
        "http://www.mirbase.org/cgi-bin/mature.pl?mature_acc=")),
    PrefixRecord("finding", FINDING, identifiers=False),
    PrefixRecord("pub", PUBLICATION, identifiers=False),
    PrefixRecord("source", SOURCE, identifiers=False),
)


def _prefix_map(records: tuple[PrefixRecord, ...]) -> dict[str, str]:
    """Canonical prefixes first, then the synonyms: compressing takes the first match, so a
    synonym is read but never written."""
    out = {r.prefix: r.uri_prefix for r in records}
    out.update({s: r.uri_prefix for r in records for s in r.prefix_synonyms})
    return out


#: The prefixes a template identifier may use (canonical and synonyms), and what they expand to.
CURIE_PREFIXES: dict[str, str] = _prefix_map(tuple(r for r in PREFIX_RECORDS if r.identifiers))

#: The prefixes every SPARQL query may use without declaring them (a query's own PREFIX line
#: takes precedence): every prefix of the map, canonical and synonyms.
SPARQL_PREFIXES: dict[str, str] = _prefix_map(PREFIX_RECORDS)

#: The prefixes the released files declare (Turtle ``@prefix``, RDF/XML ``xmlns``): canonical only.
BINDINGS: dict[str, str] = {r.prefix: r.uri_prefix for r in PREFIX_RECORDS}


@cache
def converter() -> curies.Converter:
    """The prefix map as a :class:`curies.Converter` (built once; ``curies`` refuses a
    duplicate prefix or URI prefix with :class:`curies.DuplicateValueError`).

    >>> converter().expand("miRBase:MIMAT0000646")
    'https://identifiers.org/mirbase.mature:MIMAT0000646'
    >>> converter().compress("http://identifiers.org/hgnc/18022")
    'HGNC:18022'
    """
    import curies

    return curies.Converter.from_extended_prefix_map(
        [{"prefix": r.prefix, "uri_prefix": r.uri_prefix, "prefix_synonyms": list(r.prefix_synonyms),
          "uri_prefix_synonyms": list(r.uri_prefix_synonyms)} for r in PREFIX_RECORDS])


def standardize_iri(iri: str) -> str:
    """The canonical IRI of an IRI written with another URI prefix of the same namespace (e.g.
    ``http://identifiers.org/hgnc/18022``); any other IRI unchanged.

    >>> standardize_iri("http://identifiers.org/mirbase.mature/MIMAT0000646")
    'https://identifiers.org/mirbase.mature:MIMAT0000646'
    """
    for record in PREFIX_RECORDS:
        for synonym in record.uri_prefix_synonyms:
            if iri.startswith(synonym) and len(iri) > len(synonym):
                return record.uri_prefix + iri[len(synonym):]
    return iri

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
