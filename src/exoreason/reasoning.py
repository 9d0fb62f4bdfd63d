"""What OWL entails: the graph closed under the OWL 2 RL rules (owlrl).

The closure adds what the ontology implies but does not state: the transitive subclass hierarchy,
inverse relations (secretes / secreted by, targets / targeted by), super-properties (targets is a
kind of "decreases by repression quantity of"), and the types they imply. ``exoreason build``
computes it once and writes it as a release file (:data:`~exoreason.resources.ENTAILED_FILE`),
which ``query --reason`` and ``push --reason`` read.

The rules also derive generalized triples, with a literal as subject (``"24"^^xsd:integer a
xsd:integer``, ``"x" owl:sameAs "x"``); RDF cannot state those, so they are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["entailed_graph", "entailed_ntriples"]


def entailed_graph(graph: Graph) -> Graph:
    """A copy of ``graph`` with its OWL 2 RL closure added (generalized triples left out)."""
    import owlrl
    from rdflib import Graph, Literal

    closed = Graph()
    for triple in graph:
        closed.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False,
                           datatype_axioms=False).expand(closed)
    for triple in [t for t in closed if isinstance(t[0], Literal) or isinstance(t[1], Literal)]:
        closed.remove(triple)
    return closed


def entailed_ntriples(graph: Graph) -> bytes:
    """The entailed graph of a release graph as N-Triples, one triple a line, sorted.

    The release's blank nodes are named by their content (:func:`exoreason.ontology.stable_copy`)
    and the OWL 2 RL rules make no new ones, so the same graph always gives the same bytes.
    """
    closed = entailed_graph(graph)
    text = closed.serialize(format="nt", encoding="utf-8").decode("utf-8")
    return "".join(f"{line}\n" for line in sorted(set(text.splitlines())) if line).encode("utf-8")
