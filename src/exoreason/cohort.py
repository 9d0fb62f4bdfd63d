"""Batch inference over a cohort of cargo profiles, streamed from a CSV file.

The CSV has an ``id`` column and one column per observed node (a cargo, or a process, tumour state
or outcome seen in the tumour: a node key or any accepted name); a cell is a reading as
:mod:`exoreason.evidence` defines it (present, absent, empty, or a likelihood in (0, 1)). The
output has ``id`` and one column per process and outcome key holding P(true). Rows are read, answered and written a chunk at a time, so memory
stays bounded however long the file; the output is written to a temporary file and renamed into
place only when every row is done, so a bad row leaves no partial file behind.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from .errors import ExoreasonError, InputError
from .evidence import parse_cell
from .files import atomic_text, check_writable

if TYPE_CHECKING:
    from .inference import Reasoner

__all__ = ["CohortSummary", "open_csv", "run_profiles"]

def open_csv(path: Path, what: str) -> IO[str]:
    """Open a user's CSV file (a byte-order mark, as spreadsheets write, is skipped)."""
    try:
        return path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{what} not found: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{what} {path} is a directory") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None


@dataclass(frozen=True)
class CohortSummary:
    profiles: int
    distinct: int
    outcomes: list[str]


def _header(reasoner: Reasoner, header: list[str], source: str) -> tuple[int, list[tuple[int, str]]]:
    if "id" not in header:
        raise InputError(f"{source}: no 'id' column in the header")
    if len(set(header)) != len(header):
        dupe = next(c for c in header if header.count(c) > 1)
        raise InputError(f"{source}: duplicate column {dupe!r}")
    columns: list[tuple[int, str]] = []
    seen: dict[str, str] = {}
    for index, name in enumerate(header):
        if name == "id":
            continue
        try:
            key = reasoner.resolve_node(name)
        except ExoreasonError as exc:
            raise InputError(f"{source}: column {index + 1} ({name!r}): {exc.message()}") from None
        if key in seen:
            raise InputError(f"{source}: columns {seen[key]!r} and {name!r} name the same node ({key})")
        seen[key] = name
        columns.append((index, key))
    return header.index("id"), columns


def _rows(lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines)
    for row in reader:
        yield reader.line_num, row


class _Progress:
    """A progress bar on stderr, by the share of the file read (only on a terminal)."""

    def __init__(self, handle: IO[str], size: int, enabled: bool) -> None:
        self.handle = handle
        self.size = max(size, 1)
        self.read = 0
        self.enabled = enabled

    def lines(self) -> Iterator[str]:
        for line in self.handle:
            self.read += len(line)
            yield line

    def show(self, profiles: int) -> None:
        if self.enabled:
            share = min(self.read / self.size, 1.0)
            bar = "#" * int(share * 30)
            print(f"\rexoreason: [{bar:<30}] {share:4.0%}  {profiles:,} profiles", end="", file=sys.stderr,
                  flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


def run_profiles(
    reasoner: Reasoner,
    profiles: Path,
    output: Path | None = None,
    fmt: str = "csv",
    *,
    force: bool = False,
    chunk: int = 50_000,
    progress: bool | None = None,
    stdout: IO[str] | None = None,
) -> CohortSummary:
    """Answer every profile of a CSV file; write CSV or JSON to ``output`` (or stdout)."""
    if fmt not in ("csv", "json"):
        raise InputError(f"unknown format {fmt!r} for --profiles; use csv or json")
    if output is not None:
        check_writable(output, force)
    handle = open_csv(profiles, "profiles file")
    progress = sys.stderr.isatty() if progress is None else progress
    with handle, (atomic_text(output, force) if output is not None else nullcontext(stdout or sys.stdout)) as out:
        return _answer(reasoner, profiles, handle, out, fmt, chunk, progress)


def _answer(reasoner: Reasoner, profiles: Path, handle: IO[str], out: IO[str], fmt: str, chunk: int,
            progress: bool) -> CohortSummary:
    from .engine import EvidenceBatch, ImpossibleEvidence

    source = str(profiles)
    keys = list(reasoner.outcome_keys)
    meter = _Progress(handle, profiles.stat().st_size, progress)
    rows = _rows(meter.lines())
    try:
        _, header = next(rows)
    except StopIteration:
        raise InputError(f"{source}: empty file, no header") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: line 1: unreadable CSV ({exc})") from None
    id_index, columns = _header(reasoner, [h.strip() for h in header], source)
    nodes = tuple(key for _, key in columns)
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(["id", *keys])
    else:
        out.write("[")
    seen = _SeenIds(profiles, source)
    first = True
    total = 0
    distinct = 0
    while True:
        ids: list[str] = []
        lines: list[int] = []
        block = []
        try:
            for line, row in rows:
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != len(header):
                    raise InputError(f"{source}: line {line}: {len(row)} cells, the header has {len(header)}")
                ident = row[id_index].strip()
                if not ident:
                    raise InputError(f"{source}: line {line}: empty id")
                lines.append(line)
                readings = np.full(len(nodes), np.nan)
                for position, (index, _key) in enumerate(columns):
                    try:
                        value = parse_cell(row[index])
                    except ValueError as exc:
                        raise InputError(f"{source}: line {line}, column {header[index]!r}: {exc}") from None
                    if value is not None:
                        readings[position] = value
                ids.append(ident)
                block.append(readings)
                if len(block) >= chunk:
                    break
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: unreadable CSV ({exc})") from None
        if not block:
            break
        seen.add(ids, lines)
        matrix = np.vstack(block)
        # Identical profiles are answered once (NaN compares unequal, so it is encoded first).
        patterns, inverse = np.unique(np.where(np.isnan(matrix), -1.0, matrix), axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        try:
            unique_answers = reasoner.engine.posteriors(
                keys, EvidenceBatch(nodes, np.where(patterns < 0, np.nan, patterns)))
        except ImpossibleEvidence as exc:
            row = int(np.flatnonzero(inverse == exc.rows[0])[0])
            raise InputError(f"{source}: line {lines[row]} (id {ids[row]!r}): {exc.message()}") from None
        answers = unique_answers[inverse]
        distinct += len(patterns)
        if writer is not None:
            buffer = io.StringIO()
            w = csv.writer(buffer, lineterminator="\n")
            for ident, values in zip(ids, answers, strict=True):
                w.writerow([ident, *(probability_text(v) for v in values)])
            out.write(buffer.getvalue())
        else:
            for ident, values in zip(ids, answers, strict=True):
                out.write(("\n" if first else ",\n")
                          + json.dumps({"id": ident, **{k: round_probability(v)
                                                        for k, v in zip(keys, values, strict=True)}}))
                first = False
        total += len(block)
        meter.show(total)
    if writer is None:
        out.write("\n]\n")
    meter.close()
    return CohortSummary(total, distinct, keys)


def round_probability(value: float) -> float:
    """A probability rounded to 12 significant digits: what a contraction leaves below that is noise.

    >>> round_probability(-2.7755575615628914e-17), round_probability(0.30000000000000004)
    (0.0, 0.3)
    """
    rounded = float(f"{value:.12g}")
    return 0.0 if abs(rounded) < 1e-12 else rounded


def probability_text(value: float) -> str:
    """A probability as CSV text, without float noise."""
    return f"{round_probability(value):.12g}"


class _SeenIds:
    """Duplicate ids across a file in bounded memory: 8 bytes an id (a sorted array of hashes),
    with a hash match confirmed by reading the file again before a duplicate is reported."""

    def __init__(self, profiles: Path, source: str) -> None:
        self.profiles = profiles
        self.source = source
        self.hashes = np.empty(0, dtype=np.int64)

    def add(self, ids: list[str], lines: list[int]) -> None:
        hashes = np.fromiter((hash(i) for i in ids), dtype=np.int64, count=len(ids))
        earlier = np.zeros(len(ids), dtype=bool)
        if self.hashes.size:
            positions = np.searchsorted(self.hashes, hashes).clip(max=self.hashes.size - 1)
            earlier = self.hashes[positions] == hashes
        first: dict[str, int] = {}
        for index, (ident, line) in enumerate(zip(ids, lines, strict=True)):
            if ident in first:
                raise InputError(f"{self.source}: line {line}: duplicate id {ident!r} (first on line {first[ident]})")
            first[ident] = line
            if earlier[index]:
                found = _line_of(self.profiles, ident, line)
                if found:
                    raise InputError(f"{self.source}: line {line}: duplicate id {ident!r} (first on line {found})")
        self.hashes = np.sort(np.concatenate([self.hashes, hashes]))


def _line_of(profiles: Path, ident: str, before: int) -> int:
    """The line where ``ident`` first appears before line ``before`` (0 if it does not)."""
    with profiles.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader)]
        id_index = header.index("id")
        for row in reader:
            if reader.line_num >= before:
                break
            if len(row) > id_index and row[id_index].strip() == ident:
                return reader.line_num
    return 0
