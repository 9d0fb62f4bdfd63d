"""Loading the built graph into a SPARQL server (SPARQL 1.1 Graph Store HTTP Protocol)."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from .errors import EndpointError, InputError

__all__ = ["push"]


def push(store_url: str, turtle_file: Path, graph_iri: str | None = None, *, replace: bool = True,
         timeout: float = 60.0) -> int:
    """Send a Turtle file to a Graph Store Protocol endpoint (e.g. Oxigraph's ``/store``).

    ``replace`` uses PUT (the graph becomes exactly the file), otherwise POST (triples are added).
    Returns the HTTP status. The default graph is used unless ``graph_iri`` names one.
    """
    if not re.match(r"^https?://", store_url):
        raise InputError(f"not an http(s) graph store URL: {store_url!r}")
    try:
        data = turtle_file.read_bytes()
    except OSError:
        raise InputError(f"{turtle_file} not found; run `exoreason build`") from None
    query = urllib.parse.urlencode({"graph": graph_iri}) if graph_iri else "default"
    url = f"{store_url}{'&' if '?' in store_url else '?'}{query}"
    request = urllib.request.Request(url, data=data, method="PUT" if replace else "POST",
                                     headers={"Content-Type": "text/turtle"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) checked above)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        raise EndpointError(f"graph store {store_url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise EndpointError(f"graph store {store_url} unreachable: {getattr(exc, 'reason', exc)}") from None
