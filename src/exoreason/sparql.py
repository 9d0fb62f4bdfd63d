"""SPARQL text as exoreason reads it before an engine does: its form, variables, prefixes and
remote access, and the VALUES clause that binds values to its variables.

A small lexical scan (comments, strings and IRIs skipped; no parse tree) is enough for these
questions and needs no RDF library, so the command line stays fast. The engines parse the text
for real; a syntax error is theirs to report.

>>> text = "SELECT ?gene WHERE { ?m exo:targets ?gene . FILTER(!BOUND(?mirna) || ?m = ?mirna) }"
>>> shape = analyse(text)
>>> shape.form, sorted(shape.variables), sorted(shape.used_prefixes)
('SELECT', ['gene', 'm', 'mirna'], ['exo'])
>>> ask = "ASK { ?m exo:targets ?g }"
>>> with_values(ask, analyse(ask), {"m": "<https://identifiers.org/mirbase.mature:MIMAT0000646>"})
'ASK { VALUES (?m) { (<https://identifiers.org/mirbase.mature:MIMAT0000646>) } ?m exo:targets ?g }'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "GRAPH_FORMS",
    "UPDATE_KEYWORDS",
    "QueryShape",
    "analyse",
    "line_and_column",
    "prefix_lines",
    "with_values",
]

#: The query forms whose answer is an RDF graph (the others answer rows or a boolean).
GRAPH_FORMS = frozenset({"CONSTRUCT", "DESCRIBE"})
_QUERY_FORMS = frozenset({"SELECT", "ASK"}) | GRAPH_FORMS
#: The first keyword of every SPARQL 1.1 Update operation.
UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE",
                             "ADD", "WITH"})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*(?:'''|\Z)
              |\"\"\"(?:[^"\\]|\\.|"(?!""))*(?:\"\"\"|\Z)
              |'(?:[^'\\\n\r]|\\.)*(?:'|$)
              |"(?:[^"\\\n\r]|\\.)*(?:"|$))
  | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]+)
  | (?P<bnode>_:[\w.\-\u00B7]*)
  | (?P<pname>(?:[^\W\d_][\w.\-\u00B7]*)?:(?:[\w\-:%\u00B7]|\\.|\.(?=[\w\-:%\u00B7]))*)
  | (?P<word>\w+)
  | (?P<other>.)
""", re.VERBOSE | re.DOTALL | re.MULTILINE)


@dataclass(frozen=True)
class QueryShape:
    """What the text says before any engine reads it."""

    form: str  # SELECT, ASK, CONSTRUCT, DESCRIBE, UPDATE, or "" when not recognised
    variables: frozenset[str]
    declared_prefixes: frozenset[str]
    #: each prefix used in a prefixed name, with the offset of its first use
    used_prefixes: dict[str, int]
    #: the WHERE pattern: offset just inside its opening brace, offset of its closing brace, and
    #: whether it is a subquery (None: the query has no pattern)
    where: tuple[int, int, bool] | None
    #: the first SERVICE clause's target, as written ("" if none)
    service: str
    #: IRIs (or prefixed names) of FROM and FROM NAMED clauses, as written
    datasets: tuple[str, ...]
    #: variables the query computes (``BIND(... AS ?x)``, ``(COUNT(*) AS ?x)``): not bindable
    computed: frozenset[str] = frozenset()

    @property
    def is_update(self) -> bool:
        return self.form == "UPDATE"

    @property
    def answers_graph(self) -> bool:
        return self.form in GRAPH_FORMS


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, offset) of every token but spaces and comments."""
    out = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in ("space", "comment"):
            out.append((kind, match.group(), match.start()))
    return out


def analyse(text: str) -> QueryShape:
    """The shape of a query (or update) text; never raises, whatever the text."""
    tokens = _tokens(text)
    declared: set[str] = set()
    i = 0
    # the prologue: PREFIX and BASE declarations
    while i < len(tokens):
        kind, value, _ = tokens[i]
        upper = value.upper() if kind == "word" else ""
        if upper == "PREFIX" and i + 1 < len(tokens) and tokens[i + 1][0] == "pname":
            declared.add(tokens[i + 1][1].split(":", 1)[0])
            i += 3
        elif upper == "BASE":
            i += 2
        else:
            break
    form = ""
    if i < len(tokens) and tokens[i][0] == "word":
        first = tokens[i][1].upper()
        form = first if first in _QUERY_FORMS else "UPDATE" if first in UPDATE_KEYWORDS else ""
    used: dict[str, int] = {}
    variables: set[str] = set()
    computed: set[str] = set()
    service = ""
    datasets: list[str] = []
    for j, (kind, value, offset) in enumerate(tokens):
        if kind == "var":
            variables.add(value[1:])
            if j and tokens[j - 1][1].upper() == "AS":
                computed.add(value[1:])
        elif kind == "pname" and (j == 0 or tokens[j - 1][1].upper() != "PREFIX"):
            used.setdefault(value.split(":", 1)[0], offset)
        elif kind == "word" and value.upper() == "SERVICE" and not service:
            rest = [t for t in tokens[j + 1:j + 3] if t[1].upper() != "SILENT"]
            service = rest[0][1] if rest else "SERVICE"
        elif kind == "word" and value.upper() == "FROM" and j + 1 < len(tokens):
            named = tokens[j + 1][1].upper() == "NAMED" and j + 2 < len(tokens)
            datasets.append(tokens[j + 2 if named else j + 1][1])
    return QueryShape(form, frozenset(variables), frozenset(declared), used,
                      _where(tokens, form, len(text)), service, tuple(datasets), frozenset(computed))


def _where(tokens: list[tuple[str, str, int]], form: str, end: int) -> tuple[int, int, bool] | None:
    """The query's pattern: the group after a top-level WHERE, or (for SELECT, ASK and DESCRIBE,
    where WHERE is optional) the first top-level group outside parentheses."""
    braces = parens = 0
    after_where = False
    opened: tuple[int, bool] | None = None
    first: tuple[int, int, bool] | None = None
    for j, (_, value, offset) in enumerate(tokens):
        if value == "{":
            if braces == 0 and parens == 0 and (j == 0 or tokens[j - 1][1].upper() != "EXISTS"):
                follows = tokens[j + 1][1].upper() if j + 1 < len(tokens) else ""
                opened = (offset + 1, follows == "SELECT")
            braces += 1
        elif value == "}" and braces:
            braces -= 1
            if braces == 0 and opened is not None:
                group = (opened[0], offset, opened[1])
                opened = None
                if after_where:
                    return group
                first = first or group
        elif value == "(":
            parens += 1
        elif value == ")" and parens:
            parens -= 1
        elif braces == 0 and parens == 0 and value.upper() == "WHERE":
            after_where = True
    if opened is not None and (after_where or first is None):
        return (opened[0], end, opened[1])  # not closed: the engine reports it
    if after_where or form not in ("SELECT", "ASK", "DESCRIBE"):
        return None
    return first


def with_values(text: str, shape: QueryShape, terms: Mapping[str, str]) -> str:
    """The text with ``VALUES (?a ?b) { (t1 t2) }`` first in its WHERE pattern.

    ``terms`` maps variable names to RDF terms already written in N-Triples syntax by an RDF
    library, so no value can change the query around it. The clause is inserted on the line of
    the pattern's opening brace, so error positions on later lines stay those of the text.
    """
    if not terms:
        return text
    assert shape.where is not None
    start, end, subquery = shape.where
    names = " ".join(f"?{name}" for name in terms)
    block = f" VALUES ({names}) {{ ({' '.join(terms.values())}) }}"
    if subquery:  # a subquery must be alone in its group: it becomes a group of its own
        return f"{text[:start]}{block}{{{text[start:end]}}}{text[end:]}"
    return f"{text[:start]}{block}{text[start:]}"


def prefix_lines(shape: QueryShape, prefixes: Mapping[str, str]) -> str:
    """PREFIX declarations for the predefined prefixes the text uses but does not declare."""
    return "".join(f"PREFIX {name}: <{prefixes[name]}>\n" for name in sorted(shape.used_prefixes)
                   if name in prefixes and name not in shape.declared_prefixes)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of an offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
