"""Loading the built graph into a SPARQL server (SPARQL 1.1 Graph Store HTTP Protocol)."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

__all__ = ["MEDIA_TYPES", "push"]

#: The media type of each RDF file extension a graph may be pushed from.
MEDIA_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples", ".owl": "application/rdf+xml",
               ".rdf": "application/rdf+xml", ".jsonld": "application/ld+json"}


def push(store_url: str, rdf_file: Path, graph_iri: str | None = None, *, replace: bool = True,
         timeout: float = 60.0, retries: int = 2) -> int:
    """Send an RDF file to a Graph Store Protocol endpoint (e.g. Oxigraph's ``/store``).

    ``replace`` uses PUT (the graph becomes exactly the file), otherwise POST (triples are added).
    Returns the HTTP status. The default graph is used unless ``graph_iri`` names one.
    """
    from .endpoint import check_url, send_graph

    check_url(store_url, "graph store")
    media_type = MEDIA_TYPES.get(rdf_file.suffix)
    if media_type is None:
        raise InputError(f"cannot tell the RDF format of {rdf_file} from its extension")
    try:
        data = rdf_file.read_bytes()
    except OSError:
        raise InputError(f"{rdf_file} not found; run `exoreason build`") from None
    # PUT is idempotent; a repeated POST could add blank nodes twice, so it is sent once
    return send_graph(store_url, data, media_type, graph_iri, replace=replace, timeout=timeout,
                      retries=retries if replace else 0)
