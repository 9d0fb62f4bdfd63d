"""The one exception family of exoreason.

Every error a user can cause or meet is an :class:`ExoreasonError`. Only the command line turns
them into a one-line message and an exit code: ``exit_code`` 2 means bad input, 1 a failure
(an unreachable endpoint, an inconsistent ontology, a stale artefact).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BuildError",
    "ConfigError",
    "CurationError",
    "EndpointError",
    "ExoreasonError",
    "InferenceError",
    "InputError",
    "NetworkError",
    "Problem",
    "QueryError",
    "QueryTimeout",
    "ValidationFailure",
    "closest",
]


def closest(word: str, known: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """The known names nearest in spelling to a word that names none of them, best first, for an
    error's suggestion: compared in any case, each returned as it is spelled in ``known``.

    >>> closest("Metastasys", ["metastasis", "EMT", "MET", "Metastasis"])
    ['Metastasis']
    >>> closest("zzz", ["metastasis"])
    []
    """
    import difflib

    spelled: dict[str, str] = {}
    for name in sorted(known):
        spelled.setdefault(name.casefold(), name)
    return [spelled[m] for m in difflib.get_close_matches(word.casefold(), list(spelled), n=n, cutoff=cutoff)]


class ExoreasonError(Exception):
    """The base of every exoreason error."""

    exit_code: int = 2

    def message(self) -> str:
        """One line that names the bad value."""
        return " ".join(str(self).split())


class InputError(ExoreasonError):
    """A value given on the command line or through the API is not acceptable."""


class ConfigError(ExoreasonError):
    """A parameter file is missing, malformed or holds an out-of-range value."""


@dataclass(frozen=True)
class Problem:
    """One problem in a file: where it is and what is wrong."""

    file: str
    line: int
    column: str
    text: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        col = f" column {self.column}" if self.column else ""
        return f"{where}{col}: {self.text}"


class CurationError(ExoreasonError):
    """One or more curation rows are invalid; every problem is listed at once."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(self.message())

    def message(self) -> str:
        first = str(self.problems[0])
        more = len(self.problems) - 1
        return first if not more else f"{first} (and {more} more problem{'s' if more > 1 else ''})"

    def report(self) -> str:
        """Every problem, one a line."""
        return "\n".join(str(p) for p in self.problems)


class BuildError(ExoreasonError):
    """The ontology or the network could not be built from valid sources (e.g. a cycle)."""


class ValidationFailure(ExoreasonError):
    """The built ontology fails a check: the list of problems says which."""

    exit_code = 1

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} validation problem(s): {self.problems[0]}")

    def report(self) -> str:
        return "\n".join(self.problems)


class QueryError(ExoreasonError):
    """A SPARQL query is malformed, unknown, unsafe or has a bad binding."""


class QueryTimeout(QueryError):
    """An embedded query ran past its --timeout and was stopped."""

    exit_code = 1


class EndpointError(ExoreasonError):
    """A SPARQL endpoint could not be reached or answered with an error."""

    exit_code = 1


class NetworkError(ExoreasonError):
    """The Bayesian network artefact is missing, stale or malformed."""

    exit_code = 1


class InferenceError(ExoreasonError):
    """Evidence cannot be used for inference (unknown cargo, contradictions, ...)."""
