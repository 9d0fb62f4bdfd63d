"""Exporting the ontology and the network for other tools.

``owl`` and ``ttl`` are the built ontology; ``bif`` and ``xmlbif`` the Bayesian network (pgmpy
writers; variable names are the node keys, states ``false`` then ``true``), readable by pgmpy,
pyAgrum and GeNIe.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError
from .resources import OWL_FILE, TTL_FILE, ontology_dir

__all__ = ["EXPORT_FORMATS", "export", "network_text", "write_output"]

EXPORT_FORMATS = ("owl", "ttl", "bif", "xmlbif")


def network_text(model: object, fmt: str) -> str:
    """A pgmpy model as BIF or XMLBIF text."""
    if fmt == "bif":
        from pgmpy.readwrite import BIFWriter

        return str(BIFWriter(model))
    from pgmpy.readwrite import XMLBIFWriter

    return str(XMLBIFWriter(model))


def write_output(path: Path, data: bytes, force: bool = False) -> None:
    """Write a user's output file whole or not at all; never overwrite without ``force``."""
    if path.exists() and not force:
        raise InputError(f"{path} exists; pass --force to overwrite it")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(f"cannot write {path}: directory {parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def export(fmt: str, output: Path, *, reasoner: object | None = None, force: bool = False) -> None:
    """Write the ontology (``owl``, ``ttl``) or the network (``bif``, ``xmlbif``) to ``output``."""
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    if fmt in ("owl", "ttl"):
        source = ontology_dir() / (OWL_FILE if fmt == "owl" else TTL_FILE)
        try:
            data = source.read_bytes()
        except OSError:
            raise InputError(f"{source} not found; run `exoreason build`") from None
    else:
        from .inference import Reasoner

        r = reasoner if isinstance(reasoner, Reasoner) else Reasoner.from_files()
        data = network_text(r.compiled.to_pgmpy(), fmt).encode()
    write_output(output, data, force)
