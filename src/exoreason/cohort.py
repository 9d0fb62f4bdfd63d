"""Batch inference over a cohort of profiles, streamed from a delimited text file.

The file, as labs keep them:

* **Delimiter**: comma, tab or semicolon, whichever occurs most often in the header line (a comma
  when none does). In a semicolon-separated file a decimal comma is read as a decimal point
  (``0,9`` is 0.9), as spreadsheets in many locales write them.
* **Id column**: ``id``, ``sample``, ``sample_id``, ``patient`` or ``patient_id``, in any case and
  with spaces and underscores alike (``ID``, ``Sample ID``, ``SampleID``, ``Patient``), or the
  column named by ``id_column`` (``--id-column``). Ids must be unique.
* **Node columns**: every other column names a node of the network by its key or any accepted name
  (``miR-155``, ``hsa-miR-155-5p``, ``MIR155``): exosomal cargo, and also processes, tumour states
  and outcomes seen in the tumour (``EMT``, ``metastasis``), which are observations like any other.
  Columns naming no node are all listed in one error, or skipped (and named) with
  ``ignore_unknown``.
* **Cells** are readings as :mod:`exoreason.evidence` defines them: empty, ``NA``, ``N/A``,
  ``NaN`` (not observed); ``true``/``false``, ``yes``/``no``, ``1``/``0``, ``present``/``absent``,
  ``detected``/``not detected``, ``positive``/``negative``; or a number q strictly between 0 and 1,
  a likelihood reading (q / (1 - q) is how much more likely the reading is if the node is present
  than if it is absent; 0.5 carries no information; it is not the probability of presence).
* **Measurements** (Ct values, TPM, fold changes) become readings by a :class:`Threshold`
  (``--threshold '<=35'`` for every cargo column, ``--threshold 'miR-21>=10'`` for one column):
  present when the number passes it, absent otherwise; ``Undetermined`` is absent. A threshold
  relative to the cohort (``>median``, ``>p75``, ``<p25``) is the column's quantile among the
  numbers of the file (words and empty cells left out; numpy's linear interpolation), each column
  its own; :attr:`CohortReader.cutoffs` says what each became.

Every problem of a header (no id column, unknown columns, a threshold naming no column) is
reported in one error.

The output has ``id`` and one column per process and outcome key (outcomes first) holding P(true)
given the row's readings; with ``with_prior``, each key is followed by ``KEY_prior`` (P(true) with
nothing observed) and ``KEY_change`` (the difference). Numbers carry no float noise
(:mod:`exoreason.display`). Rows are read, answered and written a chunk at a time, so memory stays
bounded however long the file; the output is written to a temporary file and renamed into place
only when every row is done, so a bad row leaves no partial file behind.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import math
import sys
from array import array
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from .display import KIND_ORDER, StatusLine, probability_text, round_probability
from .errors import ExoreasonError, InputError
from .evidence import Threshold, parse_cell, parse_measurement
from .files import atomic_text, check_writable

if TYPE_CHECKING:
    from .engine import EvidenceBatch
    from .inference import Reasoner

__all__ = [
    "DELIMITERS",
    "ID_COLUMNS",
    "Cohort",
    "CohortSummary",
    "Cutoff",
    "ProfileColumns",
    "CohortReader",
    "detect_delimiter",
    "distinct_rows",
    "open_csv",
    "read_cohort",
    "read_header",
    "infer_format",
    "run_profiles",
]

#: The delimiters a cohort file may use, by name.
DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}
#: Names of the id column (matched in any case, spaces and underscores alike) when ``--id-column``
#: does not name it.
ID_COLUMNS = ("id", "sample", "sample_id", "patient", "patient_id")
_ID_NAMES = "id, ID, sample, Sample ID, sample_id, patient, Patient or patient_id"


def _id_name(header: str) -> str:
    """A header folded for matching id columns: any case, spaces and underscores alike.

    >>> [_id_name(h) for h in ("Sample ID", "SampleID", "patient_id", "Patient")]
    ['sampleid', 'sampleid', 'patientid', 'patient']
    """
    return "".join(header.casefold().replace("_", " ").split())


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


def detect_delimiter(header_line: str) -> str:
    """The delimiter of a file from its header line: the one of comma, tab and semicolon that
    occurs most often outside quotes (a comma when none occurs).

    >>> detect_delimiter("Sample\\tmiR-155\\tmiR-21"), detect_delimiter("id;miR-155;note, x")
    ('\\t', ';')
    """
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


@dataclass(frozen=True)
class CohortSummary:
    profiles: int
    distinct: int
    outcomes: list[str]
    ignored: list[str] = field(default_factory=list)  # unknown columns skipped with ignore_unknown
    delimiter: str = ","
    cutoffs: list[Cutoff] = field(default_factory=list)  # the threshold each measured column was read by


@dataclass(frozen=True)
class ProfileColumns:
    """What a header says: where the id is, which node each column observes (and with which
    threshold, if it holds measurements), and which unknown columns were skipped."""

    id_index: int
    columns: list[tuple[int, str, Threshold | None]]  # (position, node key, threshold)
    ignored: list[str]

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(key for _, key, _ in self.columns)

    def cutoffs(self, header: Sequence[str]) -> list[Cutoff]:
        """The threshold applied to each measured column."""
        return [Cutoff(key, header[index], threshold) for index, key, threshold in self.columns
                if threshold is not None]


@dataclass(frozen=True)
class Cutoff:
    """The threshold a measured column was read by: ``hsa_miR_21_5p`` (column ``miR-21``) present
    when above 12.5, the cohort's median."""

    key: str
    column: str
    threshold: Threshold

    def describe(self) -> str:
        return f"{self.column}: present when {self.threshold.cutoff()}"

    def to_dict(self) -> dict[str, object]:
        return {"key": self.key, "column": self.column, "operator": self.threshold.operator,
                "value": self.threshold.value, "rule": self.threshold.level()}


def _id_index(header: Sequence[str], id_column: str | None) -> tuple[int | None, str | None]:
    """The id column's position, or None and what is wrong."""
    if id_column is not None:
        exact = [i for i, h in enumerate(header) if h == id_column]
        folded = [i for i, h in enumerate(header) if h.casefold() == id_column.strip().casefold()]
        found = exact or folded
        if len(found) != 1:
            what = "no" if not found else "more than one"
            return None, (f"{what} column named {id_column!r} (--id-column); the header has "
                          + ", ".join(repr(h) for h in header))
        return found[0], None
    names = {_id_name(n) for n in ID_COLUMNS}
    found = [i for i, h in enumerate(header) if _id_name(h) in names]
    if not found:
        return None, f"no id column ({_ID_NAMES}); name yours with --id-column"
    if len(found) > 1:
        return None, (f"several id columns ({', '.join(repr(header[i]) for i in found)}); "
                      "choose one with --id-column")
    return found[0], None


def read_header(reasoner: Reasoner, header: Sequence[str], source: str, *, id_column: str | None = None,
                ignore_unknown: bool = False, thresholds: Sequence[Threshold] = ()) -> ProfileColumns:
    """The id column and the node each other column observes; every problem of the header in one
    error (no id column, all unknown columns unless ``ignore_unknown``, thresholds naming no column)."""
    header = [h.strip() for h in header]
    id_index, id_problem = _id_index(header, id_column)
    problems = [id_problem] if id_problem else []
    named: list[tuple[int, str]] = []
    unknown: list[str] = []  # as the error and the warning name them
    hints: list[str] = []  # the same, with the closest names where there are some
    seen: dict[str, str] = {}
    for index, name in enumerate(header):
        if index == id_index:
            continue
        if not name:
            unknown.append(f"column {index + 1} (no name)")
            hints.append(unknown[-1])
            continue
        try:
            key = reasoner.resolve_node(name)
        except ExoreasonError as exc:
            message = exc.message()
            unknown.append(repr(name))
            hints.append(repr(name) + (f" ({message})" if "ambiguous" in message else
                                       f" (closest: {message.partition('; closest: ')[2]})"
                                       if "; closest: " in message else ""))
            continue
        if key in seen:
            problems.append(f"columns {seen[key]!r} and {name!r} name the same node ({key})")
            continue
        seen[key] = name
        named.append((index, key))
    if unknown and not ignore_unknown:
        problems.append(f"{len(unknown)} unknown column{'s' if len(unknown) > 1 else ''}, naming no "
                        f"node of the network (cargo, gene effect, process or outcome): {', '.join(hints)}; "
                        "--ignore-unknown skips them")
    by_column = _thresholds(reasoner, header, named, thresholds, problems)
    if problems or id_index is None:
        raise InputError(f"{source}: " + "; ".join(problems))
    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    every = by_column.get(None)
    columns = [(index, key, by_column.get(index, every if kinds.get(key) == "cargo" else None))
               for index, key in named]
    return ProfileColumns(id_index, columns, unknown)


def _thresholds(reasoner: Reasoner, header: Sequence[str], named: Sequence[tuple[int, str]],
                thresholds: Sequence[Threshold], problems: list[str]) -> dict[int | None, Threshold]:
    """Each threshold's column (None: every cargo column without its own); problems appended."""
    out: dict[int | None, Threshold] = {}
    for threshold in thresholds:
        position: int | None = None
        if threshold.column is not None:
            matches = [i for i, _ in named if header[i] == threshold.column]
            if not matches:
                try:
                    key = reasoner.resolve_node(threshold.column)
                except ExoreasonError:
                    key = None
                matches = [i for i, k in named if k == key]
            if not matches:
                problems.append(f"--threshold {threshold.rule()} names no node column of the file")
                continue
            position = matches[0]
        if position in out:
            where = f"column {header[position]!r}" if position is not None else "every cargo column"
            problems.append(f"two thresholds for {where}")
            continue
        out[position] = threshold
    return out


def _quantiles(path: Path, delimiter: str, decimal_comma: bool, columns: ProfileColumns, source: str
               ) -> ProfileColumns:
    """The columns with every relative threshold resolved to its column's quantile among the
    numbers of the file (a pass over the file before the rows are read)."""
    wanted = {index: threshold for index, _, threshold in columns.columns
              if threshold is not None and threshold.relative}
    values = {index: array("d") for index in wanted}  # 8 bytes a number, however long the file
    with open_csv(path, "cohort file") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
            for row in reader:
                if len(row) != len(header):
                    continue  # the reading pass reports it with its line
                for index in wanted:
                    cell = row[index].strip()
                    if decimal_comma and "," in cell:
                        cell = cell.replace(",", ".")
                    try:
                        number = float(cell)
                    except ValueError:
                        continue
                    if math.isfinite(number):
                        values[index].append(number)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: unreadable CSV ({exc})") from None
    header = [h.strip() for h in header]
    empty = [header[i] for i in wanted if not values[i]]
    if empty:
        raise InputError(f"{source}: no numbers to take a quantile of (--threshold "
                         f"{next(iter(wanted.values())).level()}) in column{'s' if len(empty) > 1 else ''} "
                         + ", ".join(repr(h) for h in empty))
    resolved = []
    for index, key, threshold in columns.columns:
        if index in wanted and threshold is not None and threshold.quantile is not None:
            threshold = threshold.resolved(float(np.quantile(values[index], threshold.quantile)))
        resolved.append((index, key, threshold))
    return ProfileColumns(columns.id_index, resolved, columns.ignored)


def _rows(lines: Iterator[str], delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(lines, delimiter=delimiter)
    for row in reader:
        yield reader.line_num, row


def distinct_rows(readings: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rows of a block of readings, how many times each occurs, and for each row its
    distinct row's index (NaN, not observed, is equal to NaN here).

    >>> rows, counts, inverse = distinct_rows(np.array([[1.0, np.nan], [1.0, np.nan], [0.0, 1.0]]))
    >>> rows.tolist(), counts.tolist(), inverse.tolist()
    ([[0.0, 1.0], [1.0, nan]], [1.0, 2.0], [1, 1, 0])
    """
    if readings.shape[0] == 0:
        return readings, np.zeros(0), np.zeros(0, dtype=int)
    marked = np.where(np.isnan(readings), -1.0, readings)  # NaN never equals itself; readings are >= 0
    unique, inverse, counts = np.unique(marked, axis=0, return_inverse=True, return_counts=True)
    return np.where(unique == -1.0, np.nan, unique), counts.astype(float), inverse.reshape(-1)


class CohortReader:
    """A cohort file read by one set of rules, whatever it is for (``infer --profiles``, ``fit``,
    ``evaluate``): the delimiter from the header line, the header by :func:`read_header`, and the
    rows in blocks of readings (NaN: not observed), every cell checked, every id once.

    ``lines`` is the file's text line by line (``handle`` itself, or a progress meter over it).
    """

    def __init__(self, reasoner: Reasoner, path: Path, lines: Iterator[str], *, id_column: str | None = None,
                 ignore_unknown: bool = False, thresholds: Sequence[Threshold] = ()) -> None:
        self.source = source = str(path)
        try:
            first = next(lines)
        except StopIteration:
            raise InputError(f"{source}: empty file, no header") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{source}: line 1: unreadable CSV ({exc})") from None
        if not first.strip():
            raise InputError(f"{source}: empty file, no header")
        self.delimiter = delimiter = detect_delimiter(first)
        self.decimal_comma = delimiter == ";"
        self._rows = _rows(itertools.chain([first], lines), delimiter)
        try:
            _, header = next(self._rows)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{source}: line 1: unreadable CSV ({exc})") from None
        self.header = [h.strip() for h in header]
        columns = read_header(reasoner, header, source, id_column=id_column, ignore_unknown=ignore_unknown,
                              thresholds=thresholds)
        if any(t is not None and t.relative for _, _, t in columns.columns):
            columns = _quantiles(path, delimiter, self.decimal_comma, columns, source)
        self.columns = columns
        self._seen = _SeenIds(path, source, delimiter, self.columns.id_index)

    @property
    def cutoffs(self) -> list[Cutoff]:
        """The threshold each measured column is read by (relative ones resolved)."""
        return self.columns.cutoffs(self.header)

    def blocks(self, size: int) -> Iterator[tuple[list[str], list[int], np.ndarray]]:
        """The rows, at most ``size`` at a time: their ids, their line numbers in the file and their
        readings (rows x the columns' nodes)."""
        source, header, columns = self.source, self.header, self.columns.columns
        id_index = self.columns.id_index
        while True:
            ids: list[str] = []
            lines: list[int] = []
            block: list[np.ndarray] = []
            try:
                for line, row in self._rows:
                    if not row or all(not c.strip() for c in row):
                        continue
                    if len(row) != len(header):
                        raise InputError(f"{source}: line {line}: {len(row)} cells, the header has {len(header)}")
                    ident = row[id_index].strip()
                    if not ident:
                        raise InputError(f"{source}: line {line}: empty id")
                    readings = np.full(len(columns), np.nan)
                    for position, (index, _key, threshold) in enumerate(columns):
                        try:
                            value = (parse_cell(row[index], self.decimal_comma) if threshold is None
                                     else parse_measurement(row[index], threshold, self.decimal_comma))
                        except ValueError as exc:
                            raise InputError(f"{source}: line {line}, column {header[index]!r}: {exc}") from None
                        if value is not None:
                            readings[position] = value
                    ids.append(ident)
                    lines.append(line)
                    block.append(readings)
                    if len(block) >= size:
                        break
            except (csv.Error, UnicodeDecodeError) as exc:
                raise InputError(f"{source}: unreadable CSV ({exc})") from None
            if not block:
                return
            self._seen.add(ids, lines)
            yield ids, lines, np.vstack(block)


class _Progress:
    """A progress bar on the status line, by the share of the file read (only on a terminal)."""

    def __init__(self, handle: IO[str], size: int, enabled: bool) -> None:
        self.handle = handle
        self.size = max(size, 1)
        self.read = 0
        self.status = StatusLine(enabled)

    def lines(self) -> Iterator[str]:
        for line in self.handle:
            self.read += len(line)
            yield line

    def show(self, profiles: int) -> None:
        share = min(self.read / self.size, 1.0)
        self.status.show(f"[{'#' * int(share * 30):<30}] {share:4.0%}  {profiles:,} profiles")

    def close(self) -> None:
        self.status.close()


@dataclass(frozen=True)
class Cohort:
    """A cohort's readings: one row per sample, one column per observed node (NaN: not observed)."""

    source: str
    nodes: tuple[str, ...]
    readings: np.ndarray  # rows x nodes
    lines: np.ndarray  # the file's line of each row
    ids: tuple[str, ...] | None = None
    skipped: tuple[str, ...] = ()  # unknown columns skipped (ignore_unknown)
    given: tuple[str, ...] = ()  # each node's column header as written
    cutoffs: tuple[Cutoff, ...] = ()  # the threshold each measured column was read by

    def __len__(self) -> int:
        return int(self.readings.shape[0])

    @property
    def batch(self) -> EvidenceBatch:
        from .engine import EvidenceBatch

        return EvidenceBatch(self.nodes, self.readings)

    def rows(self, index: np.ndarray) -> Cohort:
        """The cohort restricted to some rows (e.g. the training folds of a cross-validation)."""
        return dataclasses.replace(self, readings=self.readings[index], lines=self.lines[index],
                                   ids=None if self.ids is None else tuple(self.ids[i] for i in index))

    def without(self, node: str) -> EvidenceBatch:
        """The evidence of every row with one node's column left out."""
        from .engine import EvidenceBatch

        keep = [j for j, n in enumerate(self.nodes) if n != node]
        return EvidenceBatch(tuple(self.nodes[j] for j in keep), self.readings[:, keep])


def read_cohort(path: Path, reasoner: Reasoner, *, ignore_unknown: bool = False, id_column: str | None = None,
                thresholds: Sequence[Threshold] = ()) -> Cohort:
    """A cohort file read by the rules of ``infer --profiles`` (:class:`CohortReader`):
    comma, tab or semicolon separated, an id column, one column per node (its key or any accepted
    name), cells as :func:`~exoreason.evidence.parse_cell` reads them or measurements by a threshold.
    Columns naming no node are all listed in one error, or skipped with ``ignore_unknown``."""
    with open_csv(path, "cohort file") as handle:
        reader = CohortReader(reasoner, path, iter(handle), id_column=id_column, ignore_unknown=ignore_unknown,
                              thresholds=thresholds)
        blocks = list(reader.blocks(1 << 16))
    if not blocks:
        raise InputError(f"{reader.source}: no data rows")
    found = reader.columns
    return Cohort(reader.source, found.nodes, np.vstack([b for _, _, b in blocks]),
                  np.array([n for _, lines, _ in blocks for n in lines]),
                  tuple(i for ids, _, _ in blocks for i in ids), tuple(found.ignored),
                  tuple(reader.header[index] for index, _, _ in found.columns), tuple(reader.cutoffs))


#: The options of `infer` that shape one query, and those that shape a batch of profiles.
QUERY_OPTIONS = ("--cargo", "--absent", "--observe", "--do", "--intervals", "--samples", "--seed", "--plot",
                 "--verbose", "--show-notes", "--all")
BATCH_OPTIONS = ("--output", "--id-column", "--ignore-unknown", "--threshold", "--threshold-all", "--with-prior")


def infer_format(given: Collection[str], batch: bool, fmt: str | None = None) -> str:
    """The output format of an ``infer`` run (``fmt``, or the run's default), once the options
    ``given`` (by name) are known to go together: a batch (``--profiles``) takes none of a single
    query's options and answers in csv or json; a single query takes none of a batch's and answers
    as a table or json; ``--samples`` and ``--seed`` go with ``--intervals``.

    >>> infer_format({"--cargo"}, batch=False), infer_format({"--with-prior"}, batch=True)
    ('table', 'csv')
    >>> infer_format({"--cargo", "--output"}, batch=False)
    Traceback (most recent call last):
    exoreason.errors.InputError: --output goes with --profiles (a single query's answer is printed; redirect it)
    """
    if batch:
        wrong = next((option for option in QUERY_OPTIONS if option in given), None)
        if wrong:
            raise InputError(f"{wrong} is for a single query, not --profiles")
        if fmt == "table":
            raise InputError("--profiles answers as csv or json, not a table")
        return fmt or "csv"
    wrong = next((option for option in BATCH_OPTIONS if option in given), None)
    if wrong:
        hint = " (a single query's answer is printed; redirect it)" if wrong == "--output" else ""
        raise InputError(f"{wrong} goes with --profiles{hint}")
    if fmt == "csv":
        raise InputError("a single query answers as a table or json; csv is for --profiles")
    if ("--samples" in given or "--seed" in given) and "--intervals" not in given:
        raise InputError("--samples and --seed go with --intervals")
    return fmt or "table"


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
    id_column: str | None = None,
    ignore_unknown: bool = False,
    thresholds: Sequence[Threshold] = (),
    with_prior: bool = False,
    warn: Callable[[str], None] | None = None,
) -> CohortSummary:
    """Answer every profile of a cohort file; write CSV or JSON to ``output`` (or stdout).

    ``warn`` is told, before any row is answered, which unknown columns ``ignore_unknown`` skips.
    """
    fmt = fmt.lower()
    if fmt not in ("csv", "json"):
        raise InputError(f"unknown format {fmt!r} for --profiles; use csv or json")
    if output is not None:
        check_writable(output, force)
    handle = open_csv(profiles, "profiles file")
    progress = sys.stderr.isatty() if progress is None else progress
    with handle, (atomic_text(output, force) if output is not None else nullcontext(stdout or sys.stdout)) as out:
        return _answer(reasoner, profiles, handle, out, fmt, chunk, progress, id_column, ignore_unknown,
                       thresholds, with_prior, warn)


def _answer(reasoner: Reasoner, profiles: Path, handle: IO[str], out: IO[str], fmt: str, chunk: int,
            progress: bool, id_column: str | None, ignore_unknown: bool, thresholds: Sequence[Threshold],
            with_prior: bool, warn: Callable[[str], None] | None) -> CohortSummary:
    from .engine import EvidenceBatch, ImpossibleEvidence

    source = str(profiles)
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    kinds = {n.key: n.kind for n in reasoner.spec.nodes}
    keys = sorted(reasoner.outcome_keys, key=lambda k: rank.get(kinds[k], len(rank)))  # outcomes first
    meter = _Progress(handle, profiles.stat().st_size, progress)
    reader = CohortReader(reasoner, profiles, meter.lines(), id_column=id_column, ignore_unknown=ignore_unknown,
                          thresholds=thresholds)
    found, delimiter = reader.columns, reader.delimiter
    if found.ignored and warn is not None:
        warn(f"{source}: ignoring {len(found.ignored)} unknown column{'s' if len(found.ignored) > 1 else ''}: "
             + ", ".join(found.ignored))
    nodes = found.nodes
    prior = reasoner.engine.posteriors(keys)[0] if with_prior else None
    names = [f"{k}{suffix}" for k in keys for suffix in (("", "_prior", "_change") if with_prior else ("",))]
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer is not None:
        writer.writerow(["id", *names])
    else:
        out.write("[")
    first_row = True
    total = 0
    distinct = 0
    approximate = False
    for ids, line_numbers, matrix in reader.blocks(chunk):
        patterns, _, inverse = distinct_rows(matrix)  # identical profiles are answered once
        try:
            unique_answers = reasoner.engine.posteriors(keys, EvidenceBatch(nodes, patterns))
        except ImpossibleEvidence as exc:
            row_index = int(np.flatnonzero(inverse == exc.rows[0])[0])
            raise InputError(f"{source}: line {line_numbers[row_index]} (id {ids[row_index]!r}): "
                             f"{exc.message()}") from None
        if reasoner.engine.last_method != "exact" and warn is not None and not approximate:
            approximate = True
            warn(f"{source}: approximate answers: {reasoner.engine.last_method}")
        answers = unique_answers[inverse]
        if prior is not None:
            answers = np.stack([answers, np.broadcast_to(prior, answers.shape), answers - prior],
                               axis=2).reshape(len(answers), -1)
        distinct += len(patterns)
        if writer is not None:
            buffer = io.StringIO()
            w = csv.writer(buffer, lineterminator="\n")
            for ident, values in zip(ids, answers, strict=True):
                w.writerow([ident, *(probability_text(v) for v in values)])
            out.write(buffer.getvalue())
        else:
            for ident, values in zip(ids, answers, strict=True):
                out.write(("\n" if first_row else ",\n")
                          + json.dumps({"id": ident, **{k: round_probability(v)
                                                        for k, v in zip(names, values, strict=True)}},
                                       ensure_ascii=False))
                first_row = False
        total += len(ids)
        meter.show(total)
    if writer is None:
        out.write("\n]\n")
    meter.close()
    return CohortSummary(total, distinct, keys, found.ignored, delimiter, reader.cutoffs)


class _SeenIds:
    """Duplicate ids across a file in bounded memory: 8 bytes an id (a sorted array of hashes),
    with a hash match confirmed by reading the file again before a duplicate is reported."""

    def __init__(self, profiles: Path, source: str, delimiter: str, id_index: int) -> None:
        self.profiles = profiles
        self.source = source
        self.delimiter = delimiter
        self.id_index = id_index
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
                found = self._line_of(ident, line)
                if found:
                    raise InputError(f"{self.source}: line {line}: duplicate id {ident!r} (first on line {found})")
        self.hashes = np.sort(np.concatenate([self.hashes, hashes]))

    def _line_of(self, ident: str, before: int) -> int:
        """The line where ``ident`` first appears before line ``before`` (0 if it does not)."""
        with self.profiles.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=self.delimiter)
            next(reader)
            for row in reader:
                if reader.line_num >= before:
                    break
                if len(row) > self.id_index and row[self.id_index].strip() == ident:
                    return reader.line_num
        return 0
