"""Importing a miRTarBase export as a source of its own (issue 24).

miRTarBase catalogues miRNA-target interactions (MTIs) with the experiments that support them.
``exoreason import mirtarbase FILE`` reads an export a user downloaded, keeps the human
interactions of the miRNAs the graph knows, and writes them as a source directory (the format of
``ontology/templates/README.md``, one record in ``source.tsv``) that ``exoreason build`` merges
like any other source.

The export (tab-separated ``.tsv``/``.txt``, comma-separated ``.csv`` or ``.xlsx``) has one row
per interaction and reference, in the columns of :data:`COLUMNS`. The column names and the four
support types were checked against public readers of the export: Bio2BEL's miRTarBase test data
(repository bio2bel/miRTarBase, ``tests/constants.py``: the header ``miRTarBase ID, miRNA, Species
(miRNA), Target Gene, Target Gene (Entrez Gene ID), Species (Target Gene), Experiments, Support
Type, References (PMID)``, with ``Functional MTI`` and ``Functional MTI (Weak)`` rows of one
interaction, MIRT000002, from different PMIDs), ARNlib's parser notes of the 6.1 ``hsa_MTI.xlsx``
(the same header, Entrez ids and PMIDs read from Excel as numbers such as ``3091.0``), and
jricardo-um/mirtarbase-importing ``0_scripts/2_convert.py`` (the four support types ``Functional
MTI``, ``Functional MTI (Weak)``, ``Non-Functional MTI``, ``Non-Functional MTI (Weak)``, and the
later spelling ``Target Gene (Entrez ID)`` of the Entrez column, also the column name R gives
TimiRGeN's 8.0 data, ``Target.Gene..Entrez.ID.``): both spellings are read.

How a row becomes a finding:

- kept: both species ``Homo sapiens``, a functional support type, and a miRNA the graph knows
  (the export's miRBase name, with or without ``hsa-``, equal to a mature miRNA's label or exact
  synonym in the built graph, ``queries/import-names.rq``); every other row is dropped and
  counted by reason. ``Non-Functional`` rows report that the miRNA did *not* repress the gene:
  they are no evidence of targeting, and are left out.
- the target gene is the term the graph already has for it (a gene declared ``NCBIGene:<Entrez
  id>``, else the gene whose label is the symbol, e.g. ``HGNC:6347`` KLF2), else a new
  ``NCBIGene:<Entrez id>`` term with the symbol as its label.
- each PMID is a study: the publication the graph already has with that PMID (e.g.
  ``mir1247-3p-2018`` for 29335551), else a new row ``pmid-<n>`` holding only the PMID (the
  export names no title or year, and none is invented).
- ``Functional MTI`` rows give the kind :data:`STRONG_KIND` (ECO:0007682, reporter gene assay
  evidence used in manual assertion: miRTarBase's strong tier rests on reporter assays, western
  blots and qPCR), ``Functional MTI (Weak)`` rows :data:`WEAK_KIND` (ECO:0006056, high throughput
  evidence used in manual assertion, GO's HTP: microarrays, sequencing, pSILAC, CLIP-seq). The
  two ECO ids were checked in public ECO usage: ECO:0007682 with that label in SIGNOR-style causal
  statement tables and in PyBEL's annotation examples, ECO:0006056 as the ECO term of GO's HTP
  evidence code (cmungall/ai-gene-review ``assets/docs/EvidenceType.md``).
- one interaction (miRNA, gene) is one finding per kind, holding all its rows' PMIDs: duplicate
  rows merge. The strong and the weak rows of one interaction are two findings, because the belief
  model counts every study of a finding under each of its kinds, and a high-throughput screen must
  not count as a reporter assay.

The licence recorded is miRTarBase's own (its download page's LICENSE file, as BioDWH2's
``doc/sources/miRTarBase/README.md`` links it; described as free for academic use by
PathwayCommons/mirtarbase-to-biopax).
"""

from __future__ import annotations

import csv
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .curation import SOURCE_ID
from .errors import CurationError, InputError, Problem

__all__ = [
    "COLUMNS",
    "DROP_REASONS",
    "STRONG_KIND",
    "SUPPORT_TYPES",
    "WEAK_KIND",
    "ExportRow",
    "GraphNames",
    "ImportReport",
    "ImportedSource",
    "graph_names",
    "import_mirtarbase",
    "map_rows",
    "read_export",
    "write_source",
]

#: The export's columns, as miRTarBase names them.
COLUMNS: tuple[str, ...] = (
    "miRTarBase ID", "miRNA", "Species (miRNA)", "Target Gene", "Target Gene (Entrez Gene ID)",
    "Species (Target Gene)", "Experiments", "Support Type", "References (PMID)",
)
#: Other spellings of a column in some releases, read as the column they name.
COLUMN_SYNONYMS: dict[str, str] = {"Target Gene (Entrez ID)": "Target Gene (Entrez Gene ID)"}

#: Evidence kind of a "Functional MTI" row (ECO 'reporter gene assay evidence used in manual assertion').
STRONG_KIND = "ECO:0007682"
#: Evidence kind of a "Functional MTI (Weak)" row (ECO 'high throughput evidence used in manual assertion').
WEAK_KIND = "ECO:0006056"

#: miRTarBase's support types and the evidence kind each gives (None: no evidence of targeting).
SUPPORT_TYPES: dict[str, str | None] = {
    "Functional MTI": STRONG_KIND,
    "Functional MTI (Weak)": WEAK_KIND,
    "Non-Functional MTI": None,
    "Non-Functional MTI (Weak)": None,
}

HUMAN = "Homo sapiens"

#: Why a row is left out, in the order the reasons are tested (a row counts under the first).
DROP_REASONS: dict[str, str] = {
    "non-human": "miRNA or target not Homo sapiens",
    "non-functional": "Non-Functional MTI (no evidence of repression)",
    "unknown-mirna": "miRNA not in the graph",
}

#: Release years of miRTarBase, from the update papers that describe them (7.0: Chou et al., Nucleic
#: Acids Res 2018, as padma's data documentation cites it; 8.0: "miRTarBase 2020", Nucleic Acids Res
#: 48(D1), as miRetrieve's documents it; 9.0: "miRTarBase update 2022", Nucleic Acids Res 50(D1),
#: whose downloads sit under miRTarBase_2022/cache/download/9.0); another release needs --year.
RELEASE_YEARS: dict[str, int] = {"7.0": 2018, "8.0": 2020, "9.0": 2022}

LICENCE = ("miRTarBase's licence terms (https://mirtarbase.cuhk.edu.cn/~miRTarBase/miRTarBase_2022/"
           "cache/download/LICENSE); free for academic use")
URL = "https://mirtarbase.cuhk.edu.cn/"

_RELEASE_IN_NAME = re.compile(r"(?<![\d.])(\d+\.\d+)(?![\d.])")
_NUMBER = re.compile(r"^\d+$")


@dataclass(frozen=True)
class ExportRow:
    """One row of the export, as read (``line``: its row number in the file, the header being 1)."""

    line: int
    mirt_id: str
    mirna: str
    mirna_species: str
    symbol: str
    entrez: str
    target_species: str
    experiments: str
    support: str
    pmid: str


@dataclass(frozen=True)
class GraphNames:
    """What the built graph already names: miRNAs by name, genes by symbol and by Entrez id,
    publications by PMID (values are CURIEs, or publication ids)."""

    mirnas: Mapping[str, str]
    genes_by_symbol: Mapping[str, str]
    genes_by_entrez: Mapping[str, str]
    publications_by_pmid: Mapping[str, str]


@dataclass
class ImportedSource:
    """The source directory's tables, each a header and sorted rows."""

    source: list[dict[str, str]]
    claims: list[dict[str, str]]
    publications: list[dict[str, str]]
    terms: list[dict[str, str]]


@dataclass
class ImportReport:
    """What an import read, kept and dropped, and what it wrote."""

    file: str
    source_id: str
    read: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    findings: int = 0
    merged: int = 0
    strong: int = 0
    weak: int = 0
    new_terms: int = 0
    new_publications: int = 0
    reused_publications: int = 0
    directory: Path | None = None

    def render(self) -> str:
        """A few lines for the command line."""
        lines = [f"read {self.read} rows of {self.file}: kept {self.kept}, dropped {sum(self.dropped.values())}"]
        for reason, text in DROP_REASONS.items():
            if self.dropped[reason]:
                lines.append(f"  dropped {self.dropped[reason]}: {text}")
        lines.append(f"{_count(self.findings, 'finding')} ({self.strong} Functional MTI, {self.weak} Functional "
                     f"MTI (Weak)); {_count(self.merged, 'duplicate row')} merged into them")
        lines.append(f"{_count(self.new_terms, 'new gene term')}, {_count(self.new_publications, 'new publication')}, "
                     f"{_count(self.reused_publications, 'publication')} of the graph reused")
        if self.directory is not None:
            lines.append(f"wrote {self.directory} (source {self.source_id}); run `exoreason build` to add it")
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


# ------------------------------------------------------------------------------------------
# reading
# ------------------------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A cell as text: Excel numbers (3091.0) as integers, whitespace runs (line breaks in a cell)
    as one space."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _rows_of_xlsx(path: Path) -> Iterator[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path}: not a readable .xlsx file ({' '.join(str(exc).split()) or type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield [_cell(v) for v in values]
    finally:
        book.close()


def _rows_of_text(path: Path) -> Iterator[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}: row {line}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        reader = csv.reader(text.splitlines())
    else:
        # miRTarBase's cells hold quotes (5"RACE): a tab-separated export is read without quoting.
        reader = csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    for cells in reader:
        yield [_cell(c) for c in cells]


def read_export(path: Path) -> list[ExportRow]:
    """Every row of an export, checked: all missing columns are named at once (an error), and every
    malformed row (no miRTarBase ID or miRNA, no or non-numeric PMID or Entrez id, an unknown
    support type, a row of the wrong length) is a problem naming the file, row and value.

    Raises :class:`InputError` for an unreadable file or missing columns and
    :class:`CurationError` (every bad row) for malformed rows.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        rows = _rows_of_xlsx(path)
    elif suffix in (".tsv", ".txt", ".csv"):
        rows = _rows_of_text(path)
    else:
        raise InputError(f"{path}: unknown export format {suffix or '(no extension)'!r}; "
                         "give a .tsv, .txt, .csv or .xlsx file as miRTarBase exports it")
    name = path.name
    numbered = ((n, cells) for n, cells in enumerate(rows, start=1) if any(cells))
    header_at = next(numbered, None)
    if header_at is None:
        raise InputError(f"{path}: empty file (no header row)")
    header_line, header = header_at
    header = [COLUMN_SYNONYMS.get(c, c) for c in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        found = ", ".join(repr(c) for c in header if c)
        raise InputError(f"{path}: missing column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(repr(c) for c in missing)} (row {header_line} has {found})")
    index = {c: header.index(c) for c in COLUMNS}
    out: list[ExportRow] = []
    problems: list[Problem] = []
    for line, cells in numbered:
        if len(cells) < len(header):
            cells = cells + [""] * (len(header) - len(cells))
        elif len(cells) > len(header) and any(cells[len(header):]):
            problems.append(Problem(name, line, "", f"row has {len(cells)} cells, the header {len(header)}"))
            continue
        row = ExportRow(line, *(cells[index[c]] for c in COLUMNS))
        bad = len(problems)
        for column, value in (("miRTarBase ID", row.mirt_id), ("miRNA", row.mirna),
                              ("Target Gene", row.symbol)):
            if not value:
                problems.append(Problem(name, line, column, "empty cell"))
        if not row.pmid:
            problems.append(Problem(name, line, "References (PMID)", "no PMID"))
        elif not _NUMBER.match(row.pmid):
            problems.append(Problem(name, line, "References (PMID)", f"not a PMID: {row.pmid!r}"))
        if not _NUMBER.match(row.entrez):
            problems.append(Problem(name, line, "Target Gene (Entrez Gene ID)",
                                    f"not an Entrez Gene id: {row.entrez!r}"))
        if row.support not in SUPPORT_TYPES:
            known = ", ".join(repr(s) for s in SUPPORT_TYPES)
            problems.append(Problem(name, line, "Support Type", f"unknown support type {row.support!r}; known: {known}"))
        if len(problems) == bad:
            out.append(row)
    if problems:
        raise CurationError(problems)
    return out


# ------------------------------------------------------------------------------------------
# what the graph knows
# ------------------------------------------------------------------------------------------


def graph_names(replacing: Path | None = None) -> GraphNames:
    """The names of the built graph's miRNAs, genes and publications (``queries/import-names.rq``).

    ``replacing``: a source directory about to be replaced (``--force``); the terms and
    publications it declares are not counted as known, so the new directory declares them again.
    """
    from .prefixes import PUBLICATION, curie
    from .query import load_named_query, run_query

    own_terms, own_publications = _declared_in(replacing)
    mirnas: dict[str, str] = {}
    by_symbol: dict[str, str] = {}
    by_entrez: dict[str, str] = {}
    by_pmid: dict[str, str] = {}
    for row in run_query(None, load_named_query("import-names").text).rows:
        kind, iri, name = row["kind"].value, row["term"].value, row["name"].value
        if kind == "publication":
            pub = iri[len(PUBLICATION):] if iri.startswith(PUBLICATION) else iri
            if pub not in own_publications:
                by_pmid.setdefault(name, pub)
            continue
        term = curie(iri)
        if term in own_terms:
            continue
        if kind == "miRNA":
            mirnas.setdefault(name, term)
        elif kind == "gene":
            by_symbol.setdefault(name, term)
            prefix, _, local = term.partition(":")
            if prefix == "NCBIGene":
                by_entrez.setdefault(local, term)
    return GraphNames(mirnas, by_symbol, by_entrez, by_pmid)


def _declared_in(directory: Path | None) -> tuple[set[str], set[str]]:
    """The term ids and publication ids a source directory's templates declare."""
    terms: set[str] = set()
    publications: set[str] = set()
    if directory is None or not directory.is_dir():
        return terms, publications
    for path in sorted(directory.glob("*.tsv")):
        target = terms if path.name.startswith("terms") else publications if path.name.startswith("publications") else None
        if target is None:
            continue
        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
        if lines:
            header = lines[0].split("\t")
            if "id" in header:
                at = header.index("id")
                target.update(cells[at] for cells in (ln.split("\t") for ln in lines[1:]) if len(cells) > at)
    return terms, publications


# ------------------------------------------------------------------------------------------
# mapping
# ------------------------------------------------------------------------------------------


def _mirna_term(name: str, names: GraphNames) -> str | None:
    """The graph's miRNA for an export name: the name, or the name without the species prefix
    (miRBase names are exact synonyms with or without it)."""
    found = names.mirnas.get(name)
    if found is None and name.startswith("hsa-"):
        found = names.mirnas.get(name[len("hsa-"):])
    return found


@dataclass
class _Finding:
    mirna: str
    mirna_name: str
    gene: str
    symbol: str
    entrez: str
    kind: str
    rows: list[ExportRow] = field(default_factory=list)


def map_rows(rows: Sequence[ExportRow], names: GraphNames, *, source_id: str, release: str, year: int,
             file_name: str) -> tuple[ImportedSource, ImportReport]:
    """The source's tables from an export's rows, and the report of what was kept and dropped."""
    report = ImportReport(file_name, source_id, read=len(rows))
    findings: dict[tuple[str, str, str], _Finding] = {}
    for row in rows:
        kind = SUPPORT_TYPES[row.support]
        if row.mirna_species != HUMAN or row.target_species != HUMAN:
            report.dropped["non-human"] += 1
            continue
        if kind is None:
            report.dropped["non-functional"] += 1
            continue
        mirna = _mirna_term(row.mirna, names)
        if mirna is None:
            report.dropped["unknown-mirna"] += 1
            continue
        gene = names.genes_by_entrez.get(row.entrez) or names.genes_by_symbol.get(row.symbol) \
            or f"NCBIGene:{row.entrez}"
        key = (mirna, gene, kind)
        if key not in findings:
            findings[key] = _Finding(mirna, row.mirna, gene, row.symbol, row.entrez, kind)
        findings[key].rows.append(row)
        report.kept += 1

    claims: list[dict[str, str]] = []
    new_genes: dict[str, tuple[str, str]] = {}
    new_pmids: set[str] = set()
    reused: set[str] = set()
    for finding in findings.values():
        pmids = sorted({r.pmid for r in finding.rows}, key=int)
        studies = []
        for pmid in pmids:
            known = names.publications_by_pmid.get(pmid)
            if known is None:
                new_pmids.add(pmid)
                studies.append(f"pmid-{pmid}")
            else:
                reused.add(known)
                studies.append(known)
        if finding.gene.startswith("NCBIGene:") and finding.gene[len("NCBIGene:"):] not in names.genes_by_entrez:
            new_genes.setdefault(finding.gene, (finding.symbol, finding.entrez))
        mirt_ids = sorted({r.mirt_id for r in finding.rows})
        weak = finding.kind == WEAK_KIND
        claims.append({
            "id": f"{source_id}-{mirt_ids[0]}{'-weak' if weak else ''}",
            "subject": finding.mirna,
            "relation": "exo:targets",
            "object": finding.gene,
            "certainty": "asserted",
            "source": ", ".join(mirt_ids),
            "primary_study": "|".join(sorted(set(studies))),
            "evidence": finding.kind,
            "quote": " | ".join(f"{r.experiments} ({r.support}; PMID {r.pmid})"
                                for r in sorted(finding.rows, key=lambda r: (int(r.pmid), r.experiments, r.line))),
            "curator_note": (f"miRTarBase {release} export {file_name}, row{'s' if len(finding.rows) > 1 else ''} "
                             f"{', '.join(str(r.line) for r in sorted(finding.rows, key=lambda r: r.line))}: "
                             f"{finding.mirna_name} targets {finding.symbol} (Entrez Gene {finding.entrez}); "
                             f"the quote gives each row's Experiments and Support Type cells as exported, "
                             f"with its PMID. Imported by `exoreason import mirtarbase`."),
        })
        report.merged += len(finding.rows) - 1
        if weak:
            report.weak += 1
        else:
            report.strong += 1
    claims.sort(key=lambda c: c["id"])
    _unique_ids(claims)
    report.findings = len(claims)
    report.new_publications = len(new_pmids)
    report.reused_publications = len(reused)
    report.new_terms = len(new_genes)

    labels = Counter(symbol for symbol, _ in new_genes.values())
    labels.update(s for s in names.genes_by_symbol if s in labels)
    terms = [{
        "id": gene,
        "parent": "exo:Gene",
        # a symbol two Entrez ids share (or the graph already uses) is told apart by its id
        "label": symbol if labels[symbol] == 1 else f"{symbol} (NCBI Gene {entrez})",
        "definition": f"The human gene {symbol} (NCBI Gene {entrez}), a target of a miRNA of the graph in "
                      f"miRTarBase {release}.",
        "source": f"miRTarBase {release}",
    } for gene, (symbol, entrez) in sorted(new_genes.items(), key=lambda item: int(item[0].partition(":")[2]))]
    publications = [{"id": f"pmid-{pmid}", "title": "", "year": "", "pmid": pmid}
                    for pmid in sorted(new_pmids, key=int)]
    source = [{
        "id": source_id,
        "kind": "database",
        # the release has a column of its own (answers cite "TITLE RELEASE, YEAR")
        "title": "miRTarBase, experimentally supported human miRNA-target interactions of the graph's miRNAs "
                 "(Functional MTI and Functional MTI (Weak))",
        "year": str(year),
        "release": release,
        "licence": LICENCE,
        "url": URL,
        "description": "The interactions of an export of miRTarBase, a curated database of miRNA-target "
                       "interactions and the experiments behind them, that name a mature miRNA of the graph "
                       "and a human target gene.",
    }]
    return ImportedSource(source, claims, publications, terms), report


def _unique_ids(claims: list[dict[str, str]]) -> None:
    """Finding ids from one miRTarBase ID are unique unless the export gives one ID to several
    interactions; then each after the first takes a number."""
    seen: Counter[str] = Counter()
    for claim in claims:
        seen[claim["id"]] += 1
        if seen[claim["id"]] > 1:
            claim["id"] = f"{claim['id']}-{seen[claim['id']]}"


# ------------------------------------------------------------------------------------------
# writing
# ------------------------------------------------------------------------------------------

_HEADERS: dict[str, tuple[str, ...]] = {
    "source": ("id", "kind", "title", "year", "release", "licence", "url", "description"),
    "claims": ("id", "subject", "relation", "object", "certainty", "source", "primary_study", "evidence",
               "quote", "curator_note"),
    "publications": ("id", "title", "year", "pmid"),
    "terms": ("id", "parent", "label", "definition", "source"),
}

_COMMENTS: dict[str, str] = {
    "claims": "# miRNA-target interactions from a miRTarBase export, written by `exoreason import mirtarbase`: "
              "one finding per interaction and support type.",
    "publications": "# The studies the export names by PMID (no title or year: the export gives none).",
    "terms": "# Target genes the graph had no term for, by NCBI Gene id, labelled with the export's symbol.",
}


def _table(name: str, rows: Iterable[Mapping[str, str]]) -> bytes:
    header = _HEADERS[name]
    lines = [_COMMENTS[name]] if name in _COMMENTS else []
    lines.append("\t".join(header))
    for row in rows:
        cells = [row.get(column, "") for column in header]
        for column, cell in zip(header, cells, strict=True):
            if "\t" in cell or "\n" in cell:  # _cell() collapses whitespace; a guard, not a path
                raise InputError(f"cannot write a tab or line break in column {column}: {cell!r}")
        lines.append("\t".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_source(directory: Path, tables: ImportedSource, force: bool = False) -> None:
    """Write the source directory whole or not at all: the files go to a new directory beside it,
    renamed into place when complete; an existing directory is replaced only with ``force``."""
    if directory.exists() and not force:
        raise InputError(f"{directory} exists; pass --force to replace it")
    if directory.exists() and not directory.is_dir():
        raise InputError(f"cannot write {directory}: it is a file")
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
    except OSError as exc:
        raise InputError(f"cannot write {directory}: {exc.strerror}") from None
    old: Path | None = None
    try:
        for name in ("source", "claims", "publications", "terms"):
            rows = getattr(tables, name)
            if rows or name in ("source", "claims"):
                (staging / f"{name}.tsv").write_bytes(_table(name, rows))
        staging.chmod(0o777 & ~_umask())
        if directory.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{directory.name}.old.", dir=parent))
            directory.rename(old / directory.name)
        staging.rename(directory)
    except OSError as exc:
        if old is not None and not directory.exists():
            (old / directory.name).rename(directory)
        raise InputError(f"cannot write {directory}: {exc.strerror}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if old is not None and old.exists():
            shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


# ------------------------------------------------------------------------------------------
# the whole import
# ------------------------------------------------------------------------------------------


def _release_of(path: Path, release: str | None) -> str:
    if release is not None:
        if not re.match(r"^[0-9A-Za-z][0-9A-Za-z.]*$", release):
            raise InputError(f"bad release {release!r}: give miRTarBase's release number, e.g. 9.0")
        return release
    found = _RELEASE_IN_NAME.findall(path.stem)
    if len(found) == 1:
        return str(found[0])
    raise InputError(f"give --release: the miRTarBase release {path.name} was exported from (e.g. 9.0); "
                     "its file name does not say")


def import_mirtarbase(path: Path, *, source_id: str | None = None, release: str | None = None,
                      year: int | None = None, out: Path | None = None, force: bool = False) -> ImportReport:
    """Import a miRTarBase export as the source ``source_id`` (default ``mirtarbase-<release>``),
    written to ``out`` (default ``<ontology dir>/sources/<source id>``). Nothing is written when
    anything is wrong; an existing directory is replaced only with ``force``."""
    from .resources import ontology_dir

    if not path.is_file():
        raise InputError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    release = _release_of(path, release)
    source_id = source_id or f"mirtarbase-{release}".lower()
    if not SOURCE_ID.match(source_id) or source_id == "review":
        raise InputError(f"bad source id {source_id!r}: lowercase letters, digits, '.' and '-', "
                         "starting with a letter or digit, and not 'review'")
    if year is None:
        if release not in RELEASE_YEARS:
            raise InputError(f"give --year: the year of miRTarBase release {release} "
                             f"(known: {', '.join(f'{r} ({y})' for r, y in RELEASE_YEARS.items())})")
        year = RELEASE_YEARS[release]
    if not 1900 <= year <= 2100:
        raise InputError(f"bad --year {year}")
    directory = out if out is not None else ontology_dir() / "sources" / source_id
    if directory.exists() and not force:
        raise InputError(f"{directory} exists; pass --force to replace it")
    rows = read_export(path)
    names = graph_names(replacing=directory if force else None)
    tables, report = map_rows(rows, names, source_id=source_id, release=release, year=year, file_name=path.name)
    write_source(directory, tables, force)
    report.directory = directory
    return report

