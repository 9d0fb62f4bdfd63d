"""What OWL entails: the graph closed under the OWL 2 RL rules (owlrl), for ``query --reason``.

The closure adds what the ontology implies but does not state: the transitive subclass hierarchy,
inverse relations (secretes / secreted by, targets / targeted by), super-properties (targets is a
kind of "decreases by repression quantity of"), and the types they imply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rdflib import Graph

__all__ = ["entailed_graph"]


def entailed_graph(graph: Graph) -> Graph:
    """A copy of ``graph`` with its OWL 2 RL closure added."""
    import owlrl
    from rdflib import Graph

    closed = Graph()
    for triple in graph:
        closed.add(triple)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, rdfs_closure=False, axiomatic_triples=False,
                           datatype_axioms=False).expand(closed)
    return closed
