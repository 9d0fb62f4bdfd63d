"""Curation templates: reading and checking the curated rows of every source.

A source (the review, a primary study, a database release) is a directory of templates with a
record, ``source.tsv``: the review's is ``ontology/templates/``, every other source's
``ontology/sources/<id>/`` (see ``ontology/templates/README.md``, "Sources"). Each template file
holds one kind of row, named by the start of its file name. Reading checks every row of every file
of every source and reports all problems at once, with file, line and column; nothing is built from
a file with a problem.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CurationError, InputError, Problem
from .vocabulary import CURIE_PREFIXES, EVIDENCE_KINDS, XREF_ONLY_PREFIXES

__all__ = [
    "CERTAINTIES",
    "CORRELATION_RELATION",
    "KINDS",
    "REVIEW_SOURCE",
    "REVIEW_STATEMENT",
    "SOURCE_ID",
    "SOURCE_KINDS",
    "TARGET_EFFECTS",
    "Row",
    "Source",
    "TemplateKind",
    "Templates",
    "read_sources",
    "read_templates",
    "statement_key",
    "statement_sources",
]

#: The core source: the review whose templates are ``ontology/templates/``.
REVIEW_SOURCE = "review"
#: The record of a source, in its directory.
SOURCE_FILE = "source.tsv"

_PROVENANCE = ("source", "review_refs", "primary_study", "evidence", "quote", "curator_note")
_PROVENANCE_REQUIRED = ("source", "evidence", "quote")

#: Where the molecule a claim names acts (the ``context`` column); see templates/README.md.
CONTEXTS: dict[str, str] = {
    "cellular": "inside the tumour cells (the default: the review's text speaks of a molecule in cells "
                "unless it says exosomes carry it to recipient cells)",
    "exosomal": "carried by exosomes and acting in the recipient cells, as Table 3's findings do",
}

#: How firmly the review states a finding (the ``certainty`` column); see templates/README.md.
CERTAINTIES: dict[str, str] = {
    "asserted": "stated as fact",
    "hedged": "stated with a hedge (may, might, could, is considered, likely, potentially)",
    "hypothesis": "presented as a hypothesis (the four hypotheses of CSC origin)",
    "correlation": "an association or co-occurrence (associated with, related to), not a cause",
    "unasserted": "recorded for provenance only: the review's sentence is garbled or contradicts "
                  "itself, or no relation of the ontology states it; nothing is asserted from it",
}

#: What a Table 3 row's miRNA does to its target genes, as its source states (``target_effect``).
TARGET_EFFECTS: dict[str, str] = {
    "repressed": "the source says the miRNA represses, inhibits or targets (silences) the gene",
    "induced": "the source says the gene's expression rose",
    "unspecified": "no source read states a direction",
}

#: The relation a correlation row must use (RO 'correlated with'): never a causal one.
CORRELATION_RELATION = "RO:0002610"

#: The evidence kind of last resort: the review's own statement (ECO 'traceable author statement').
REVIEW_STATEMENT = "ECO:0000304"


@dataclass(frozen=True)
class TemplateKind:
    """The columns of one kind of template."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    curie_columns: tuple[str, ...] = ()
    multi_columns: tuple[str, ...] = ()
    finding: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


KINDS: dict[str, TemplateKind] = {
    "terms": TemplateKind(
        "terms",
        required=("id", "parent", "label", "definition"),
        optional=("synonyms", "related_synonyms", "xrefs", "source", "key"),
        curie_columns=("id", "parent"),
        multi_columns=("parent", "synonyms", "related_synonyms", "xrefs"),
        finding=False,
    ),
    "publications": TemplateKind(
        "publications",
        # title and year are required unless a pmid or doi names the study (a database export
        # names a study by its PMID alone); _read_file checks it.
        required=("id",),
        optional=("title", "year", "journal", "doi", "pmid", "review_ref", "authors"),
        finding=False,
    ),
    "mirna-transfer": TemplateKind(
        "mirna-transfer",
        required=("id", "mirna", "mirna_as_stated", "donor", "donor_as_stated", "recipient",
                  "recipient_as_stated", "target", "target_as_stated", "disease",
                  "disease_as_stated", "function", "function_as_stated") + _PROVENANCE_REQUIRED,
        optional=("review_refs", "primary_study", "curator_note", "target_effect",
                  "target_effect_source", "studied_disease", "studied_disease_source", "certainty"),
        curie_columns=("mirna", "donor", "recipient", "target", "disease", "function", "evidence",
                       "studied_disease"),
        multi_columns=("mirna", "donor", "recipient", "target", "disease", "function", "evidence",
                       "review_refs", "primary_study", "target_effect_source", "studied_disease_source"),
    ),
    "isolation-methods": TemplateKind(
        "isolation-methods",
        required=("id", "method", "label", "definition") + _PROVENANCE_REQUIRED,
        optional=("synonyms", "advantages", "disadvantages", "description", "review_refs",
                  "primary_study", "curator_note"),
        curie_columns=("method", "evidence"),
        multi_columns=("synonyms", "advantages", "disadvantages", "evidence", "review_refs",
                       "primary_study"),
    ),
    "characterization-techniques": TemplateKind(
        "characterization-techniques",
        required=("id", "technique", "label", "definition", "measures") + _PROVENANCE_REQUIRED,
        optional=("synonyms", "description", "review_refs", "primary_study", "curator_note"),
        curie_columns=("technique", "measures", "evidence"),
        multi_columns=("synonyms", "measures", "evidence", "review_refs", "primary_study"),
    ),
    "claims": TemplateKind(
        "claims",
        required=("id", "subject", "relation") + _PROVENANCE_REQUIRED,
        optional=("object", "value", "review_refs", "primary_study", "curator_note", "certainty", "context"),
        curie_columns=("subject", "relation", "object", "evidence"),
        multi_columns=("evidence", "review_refs", "primary_study"),
    ),
}

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The local part may hold no character an IRI cannot (RFC 3987): spaces, <>"{}|\^` .
_CURIE = re.compile(r"^([A-Za-z][A-Za-z0-9_.-]*):([^\s<>\"{}|\\^`]+)$")


@dataclass(frozen=True)
class Row:
    """One curated row: its kind, where it came from, and its cells (multi-valued cells split)."""

    kind: str
    file: str
    line: int
    cells: Mapping[str, tuple[str, ...]]
    #: The id of the source (``source.tsv``) whose templates hold the row.
    origin: str = "review"

    def get(self, column: str) -> str:
        """The single value of a column, or an empty string."""
        values = self.cells.get(column, ())
        return values[0] if values else ""

    def all(self, column: str) -> tuple[str, ...]:
        """Every value of a multi-valued column."""
        return self.cells.get(column, ())


@dataclass
class Templates:
    """Every row of every template, by kind, and the sources they come from (in reading order:
    the review first)."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {k: [] for k in KINDS})
    files: list[Path] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def __getitem__(self, kind: str) -> list[Row]:
        return self.rows[kind]


def _kind_of(path: Path) -> TemplateKind | None:
    stem = path.name
    for name in sorted(KINDS, key=len, reverse=True):
        if stem == f"{name}.tsv" or stem.startswith(f"{name}-"):
            return KINDS[name]
    return None


def _check_curie(value: str, file: str, line: int, column: str, problems: list[Problem]) -> None:
    m = _CURIE.match(value)
    if not m:
        problems.append(Problem(file, line, column, f"not a CURIE: {value!r}"))
    elif m.group(1) not in CURIE_PREFIXES:
        problems.append(Problem(file, line, column, f"unknown prefix {m.group(1)!r} in {value!r}"))


def _read_file(path: Path, kind: TemplateKind, problems: list[Problem], name: str | None = None,
               origin: str = "review") -> list[Row]:
    name = name or path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        problems.append(Problem(name, line, "", f"not UTF-8 text ({exc.reason} at byte {exc.start})"))
        return []
    except OSError as exc:
        problems.append(Problem(name, 0, "", f"cannot read: {exc.strerror}"))
        return []
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), start=1)
             if ln.strip() and not ln.startswith("#")]
    if not lines:
        problems.append(Problem(name, 0, "", "empty template: no header line"))
        return []
    header_line, header_text = lines[0]
    header = next(csv.reader([header_text], delimiter="\t", quoting=csv.QUOTE_NONE))
    unknown = [c for c in header if c not in kind.columns]
    missing = [c for c in kind.required if c not in header]
    for c in unknown:
        problems.append(Problem(name, header_line, c, f"unknown column {c!r} for a {kind.name} template"))
    for c in missing:
        problems.append(Problem(name, header_line, c, f"missing required column {c!r}"))
    if len(set(header)) != len(header):
        dupes = sorted({c for c in header if header.count(c) > 1})
        problems.append(Problem(name, header_line, dupes[0], f"duplicate column {dupes[0]!r}"))
    if unknown or missing:
        return []
    rows: list[Row] = []
    for number, text_line in lines[1:]:
        cells = next(csv.reader([text_line], delimiter="\t", quoting=csv.QUOTE_NONE))
        if len(cells) != len(header):
            problems.append(Problem(name, number, "", f"row has {len(cells)} cells, header has {len(header)}"))
            continue
        values: dict[str, tuple[str, ...]] = {}
        for column, raw in zip(header, cells, strict=True):
            cell = raw.strip()
            control = next((c for c in raw if unicodedata.category(c) == "Cc"), None)
            if control is not None:
                # XML 1.0 (and so RDF/XML and Protégé) cannot hold most control characters.
                problems.append(Problem(name, number, column, f"control character U+{ord(control):04X} in cell"))
                continue
            if raw != cell:
                problems.append(Problem(name, number, column, "leading or trailing whitespace"))
            if column in kind.multi_columns:
                parts = tuple(p.strip() for p in cell.split("|")) if cell else ()
                if any(not p for p in parts):
                    problems.append(Problem(name, number, column, f"empty value in {cell!r}"))
                    parts = tuple(p for p in parts if p)
            else:
                parts = (cell,) if cell else ()
            values[column] = parts
        for column in kind.required:
            if not values.get(column):
                problems.append(Problem(name, number, column, "required cell is empty"))
        for column in kind.curie_columns:
            for value in values.get(column, ()):
                _check_curie(value, name, number, column, problems)
        for value in values.get("xrefs", ()):
            m = _CURIE.match(value)
            if not m or m.group(1) not in XREF_ONLY_PREFIXES | set(CURIE_PREFIXES):
                problems.append(Problem(name, number, "xrefs", f"unknown xref prefix in {value!r}"))
        for value in values.get("evidence", ()):
            if _CURIE.match(value) and value not in EVIDENCE_KINDS:
                known = ", ".join(f"{k} ({v})" for k, v in EVIDENCE_KINDS.items())
                problems.append(Problem(name, number, "evidence", f"unknown evidence kind {value!r}; known: {known}"))
        evidence = values.get("evidence", ())
        if REVIEW_STATEMENT in evidence and len(evidence) > 1:
            # The one evidence rule: the review's statement counts only where nothing better is known.
            problems.append(Problem(name, number, "evidence",
                                    f"{REVIEW_STATEMENT} (review statement) together with {', '.join(e for e in evidence if e != REVIEW_STATEMENT)}: "
                                    "a row takes the review statement only when no other kind applies"))
        _check_vocabulary(values, "certainty", CERTAINTIES, name, number, problems)
        _check_vocabulary(values, "context", CONTEXTS, name, number, problems)
        _check_vocabulary(values, "target_effect", TARGET_EFFECTS, name, number, problems)
        _check_new_columns(kind, values, name, number, problems)
        for value in values.get("review_refs", ()):
            if not value.isdigit():
                problems.append(Problem(name, number, "review_refs", f"not a reference number: {value!r}"))
        row_id = values.get("id", ("",))[0] if values.get("id") else ""
        if row_id and kind.name not in ("terms",) and not _ID.match(row_id):
            problems.append(Problem(name, number, "id", f"bad id {row_id!r} (letters, digits, . _ -)"))
        if kind.name == "claims":
            has_object, has_value = bool(values.get("object")), bool(values.get("value"))
            if has_object == has_value:
                problems.append(Problem(name, number, "object", "a claim needs exactly one of object or value"))
        if kind.name == "publications" and not (values.get("title") and values.get("year")) \
                and not (values.get("pmid") or values.get("doi")):
            absent = "title" if not values.get("title") else "year"
            problems.append(Problem(name, number, absent,
                                    "a publication needs a title and a year, unless a pmid or doi names it"))
        if kind.name == "publications" and values.get("year") and not values["year"][0].isdigit():
            problems.append(Problem(name, number, "year", f"not a year: {values['year'][0]!r}"))
        rows.append(Row(kind.name, name, number, values, origin))
    return rows


def _check_vocabulary(values: Mapping[str, tuple[str, ...]], column: str, vocabulary: Mapping[str, str],
                      file: str, line: int, problems: list[Problem]) -> None:
    for value in values.get(column, ()):
        if value not in vocabulary:
            problems.append(Problem(file, line, column,
                                    f"unknown {column.replace('_', ' ')} {value!r}; known: {', '.join(vocabulary)}"))


def _check_new_columns(kind: TemplateKind, values: Mapping[str, tuple[str, ...]], file: str, line: int,
                       problems: list[Problem]) -> None:
    """The rules that tie the certainty, direction, studied-disease and synonym columns together."""
    certainty = values["certainty"][0] if values.get("certainty") else "asserted"
    relation = values["relation"][0] if values.get("relation") else ""
    if kind.name == "claims":
        if certainty == "correlation" and relation != CORRELATION_RELATION:
            problems.append(Problem(file, line, "relation",
                                    f"a correlation is stated with {CORRELATION_RELATION} (correlated with), not {relation!r}"))
        if relation == CORRELATION_RELATION and certainty != "correlation":
            problems.append(Problem(file, line, "certainty",
                                    f"{CORRELATION_RELATION} (correlated with) needs certainty 'correlation', not {certainty!r}"))
    effect = values["target_effect"][0] if values.get("target_effect") else "unspecified"
    if effect in TARGET_EFFECTS and effect != "unspecified" and not values.get("target_effect_source"):
        problems.append(Problem(file, line, "target_effect_source",
                                f"target effect {effect!r} needs the publication that states it"))
    if effect == "unspecified" and values.get("target_effect_source"):
        problems.append(Problem(file, line, "target_effect",
                                "a target_effect_source with no direction: say what that source states"))
    if bool(values.get("studied_disease")) != bool(values.get("studied_disease_source")):
        missing = "studied_disease_source" if values.get("studied_disease") else "studied_disease"
        problems.append(Problem(file, line, missing, "studied_disease and studied_disease_source go together"))
    both = set(values.get("synonyms", ())) & set(values.get("related_synonyms", ()))
    for synonym in sorted(both):
        problems.append(Problem(file, line, "related_synonyms", f"{synonym!r} is both an exact and a related synonym"))


def read_templates(directory: Path) -> Templates:
    """Read and check every template in one directory (one source's, without its record).

    Raises :class:`CurationError` listing every problem (file, line, column) when any row is bad.
    """
    if not directory.is_dir():
        raise CurationError([Problem(str(directory), 0, "", "template directory not found")])
    problems: list[Problem] = []
    templates = Templates()
    _read_directory(directory, templates, problems)
    _check_unique_ids(templates, problems)
    _check_references(templates, problems)
    if problems:
        raise CurationError(problems)
    return templates


def _read_directory(directory: Path, templates: Templates, problems: list[Problem], prefix: str = "",
                    origin: str = REVIEW_SOURCE) -> None:
    for path in sorted(directory.glob("*.tsv")):
        if path.name == SOURCE_FILE:
            continue
        kind = _kind_of(path)
        if kind is None:
            known = ", ".join(f"{k}*.tsv" for k in KINDS)
            problems.append(Problem(prefix + path.name, 0, "",
                                    f"unknown template kind; file names start with one of: {known}"))
            continue
        templates.files.append(path)
        templates.rows[kind.name].extend(_read_file(path, kind, problems, prefix + path.name, origin))


# --------------------------------------------------------------------------- sources

#: What a source can be (``source.tsv``'s ``kind``).
SOURCE_KINDS: dict[str, str] = {
    "review": "a review article: the project's core source, whose statements cite the studies behind them",
    "primary study": "a research article curated directly: the findings its abstract reports, with the "
                     "evidence kinds it reports them by",
    "database": "a database release imported from a user's export (exoreason import)",
}
_SOURCE_COLUMNS = ("id", "kind", "title", "year", "publication", "release", "licence", "url", "description")
_SOURCE_REQUIRED = ("id", "kind", "title", "year")
#: What a source id may be: lower-case letters, digits, "." and "-" (a directory name on every system).
SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True)
class Source:
    """One source's record (``source.tsv``): what it is and where its templates are."""

    id: str
    kind: str
    title: str
    year: int
    directory: Path
    publication: str = ""  # the publications*.tsv id the source is (a review or a primary study)
    release: str = ""  # a database's release
    licence: str = ""
    url: str = ""
    description: str = ""



def _read_source(directory: Path, name: str, problems: list[Problem]) -> Source | None:
    path = directory / SOURCE_FILE
    if not path.is_file():
        problems.append(Problem(name, 0, "", f"no {SOURCE_FILE}: every source directory has its record"))
        return None
    kind = TemplateKind("source", _SOURCE_REQUIRED, _SOURCE_COLUMNS[4:], finding=False)
    before = len(problems)
    rows = _read_file(path, kind, problems, name)
    if len(problems) > before:
        return None
    if len(rows) != 1:
        problems.append(Problem(name, 0, "", f"a source record has one row, not {len(rows)}"))
        return None
    row = rows[0]
    source = Source(id=row.get("id"), kind=row.get("kind"), title=row.get("title"),
                    year=int(row.get("year")) if row.get("year").isdigit() else 0, directory=directory,
                    publication=row.get("publication"), release=row.get("release"),
                    licence=row.get("licence"), url=row.get("url"), description=row.get("description"))
    if not SOURCE_ID.match(source.id):
        problems.append(Problem(name, row.line, "id", f"bad source id {source.id!r} (a-z, 0-9, . -)"))
    if not row.get("year").isdigit():
        problems.append(Problem(name, row.line, "year", f"not a year: {row.get('year')!r}"))
    if source.kind not in SOURCE_KINDS:
        problems.append(Problem(name, row.line, "kind",
                                f"unknown source kind {source.kind!r}; known: {', '.join(SOURCE_KINDS)}"))
    if source.kind in ("review", "primary study") and not source.publication:
        problems.append(Problem(name, row.line, "publication",
                                f"a {source.kind} names the publication it is (an id of publications*.tsv)"))
    if source.kind == "database" and not source.release:
        problems.append(Problem(name, row.line, "release", "a database source names its release"))
    return source


def source_directories(ontology_dir: Path) -> list[tuple[Path, str]]:
    """Every source directory with the prefix its files are named by in problems: the review's
    ``templates/`` first, then ``sources/<id>/`` in name order."""
    found = [(ontology_dir / "templates", "")]
    extra = ontology_dir / "sources"
    if extra.is_dir():
        found += [(d, f"sources/{d.name}/") for d in sorted(extra.iterdir()) if d.is_dir()]
    return found


def read_sources(ontology_dir: Path, only: Collection[str] | None = None) -> Templates:
    """Read and check the templates of every source of an ontology directory, together.

    Ids of findings, terms and publications are unique across sources; a row may refer to a term or
    publication of any source. With ``only`` (source ids), the findings of the other sources are
    left out; the terms and publications of every source stay (the vocabulary is shared). Raises
    :class:`CurationError` listing every problem, or :class:`InputError` for an unknown source id.
    """
    if not (ontology_dir / "templates").is_dir():
        raise CurationError([Problem(str(ontology_dir / "templates"), 0, "", "template directory not found")])
    problems: list[Problem] = []
    templates = Templates()
    for directory, prefix in source_directories(ontology_dir):
        record = prefix + SOURCE_FILE
        if not prefix and not (directory / SOURCE_FILE).is_file():
            # A templates directory without a record is the review's (as before sources were data).
            source: Source | None = Source(REVIEW_SOURCE, "review", "the review", 0, directory)
        else:
            source = _read_source(directory, record, problems)
        if source is None:
            continue
        if prefix and source.id != directory.name:
            problems.append(Problem(record, 0, "id", f"source id {source.id!r} differs from its directory "
                                                     f"name {directory.name!r}"))
        if (source.kind == "review") != (not prefix):
            problems.append(Problem(record, 0, "kind", "the review's record is templates/source.tsv; every "
                                                       "other source is sources/<id>/ and not a review"))
        if any(s.id == source.id for s in templates.sources):
            problems.append(Problem(record, 0, "id", f"duplicate source id {source.id!r}"))
        templates.sources.append(source)
        _read_directory(directory, templates, problems, prefix, source.id)
    _check_unique_ids(templates, problems)
    _check_references(templates, problems)
    _check_source_rows(templates, problems)
    if problems:
        raise CurationError(problems)
    if only is not None:
        known = [s.id for s in templates.sources]
        unknown = [name for name in only if name not in known]
        if unknown:
            raise InputError(f"unknown source {unknown[0]!r}; known: {', '.join(known)}")
        templates.rows = {kind: [row for row in rows if not KINDS[kind].finding or row.origin in only]
                          for kind, rows in templates.rows.items()}
    return templates


def _check_source_rows(templates: Templates, problems: list[Problem]) -> None:
    """A source's record names a publication of the templates; a finding of a source other than
    the review cites no review reference and starts its id with the source's id."""
    publications = {row.get("id") for row in templates["publications"]}
    for source in templates.sources:
        if source.publication and source.publication not in publications:
            name = f"sources/{source.id}/{SOURCE_FILE}" if source.kind != "review" else SOURCE_FILE
            problems.append(Problem(name, 0, "publication",
                                    f"unknown publication {source.publication!r} (not in publications*.tsv)"))
    for kind, rows in templates.rows.items():
        if not KINDS[kind].finding:
            continue
        for row in rows:
            if row.origin == REVIEW_SOURCE:
                continue
            if row.all("review_refs"):
                problems.append(Problem(row.file, row.line, "review_refs",
                                        "review reference numbers belong to the review's rows"))
            if not row.get("id").startswith(f"{row.origin}-"):
                problems.append(Problem(row.file, row.line, "id",
                                        f"a finding of source {row.origin!r} has an id starting {row.origin + '-'!r}"))


def _check_references(templates: Templates, problems: list[Problem]) -> None:
    """Publication ids and studied diseases must name rows of the templates."""
    publications = {row.get("id") for row in templates["publications"]}
    terms = {row.get("id") for row in templates["terms"]}
    for row in templates["mirna-transfer"]:
        for column in ("target_effect_source", "studied_disease_source"):
            for value in row.all(column):
                if value not in publications:
                    problems.append(Problem(row.file, row.line, column,
                                            f"unknown publication {value!r} (not in publications*.tsv)"))
        for value in row.all("studied_disease"):
            if value not in terms:
                problems.append(Problem(row.file, row.line, "studied_disease",
                                        f"{value} is not declared in terms*.tsv"))


def statement_key(row: Row) -> tuple[str, str, str]:
    """What a claim row states: (subject, relation, object or value).

    Rows with the same key state the same thing, wherever the review says it (abstract, sections,
    figure legends); see templates/README.md, 'Repeated statements'.
    """
    return (row.get("subject"), row.get("relation"), row.get("object") or row.get("value"))


def statement_sources(templates: Templates) -> dict[tuple[str, str, str], frozenset[str]]:
    """The distinct sources behind each statement of the claims templates.

    A row's sources are its primary studies, its review references (a reference that
    publications*.tsv identifies counts as that publication, so one study counts once however it
    is cited) and, for a row that cites nothing, the review itself (``"review"``). A statement the
    review repeats counts each distinct source once.
    """
    by_ref = {row.get("review_ref"): row.get("id") for row in templates["publications"] if row.get("review_ref")}
    sources: dict[tuple[str, str, str], set[str]] = {}
    for row in templates["claims"]:
        found = set(row.all("primary_study"))
        found |= {by_ref.get(ref, f"ref:{ref}") for ref in row.all("review_refs")}
        sources.setdefault(statement_key(row), set()).update(found or {"review"})
    return {key: frozenset(value) for key, value in sources.items()}


def _check_unique_ids(templates: Templates, problems: list[Problem]) -> None:
    seen: dict[tuple[str, str], Row] = {}
    for kind, rows in templates.rows.items():
        space = "term" if kind == "terms" else ("publication" if kind == "publications" else "finding")
        for row in rows:
            key = (space, row.get("id"))
            if key in seen:
                first = seen[key]
                problems.append(Problem(row.file, row.line, "id",
                                        f"duplicate id {row.get('id')!r} (first at {first.file}:{first.line})"))
            else:
                seen[key] = row
