"""``exoreason validate``: the built ontology checked by a reasoner and by violation queries.

HermiT (the copy owlready2 ships, run on the Java runtime) checks that ``exoreason.owl`` is
consistent and that no class is unsatisfiable. Every ``queries/*-violation.rq`` must return no rows
on the knowledge-graph release ``exoreason-kg.ttl`` (the ontology plus its direct edges). All
problems are reported at once.

Conflicting findings (``queries/sign-conflicts.rq``: opposite signs on the same or subsumed
classes, from the same or different sources) are findings too, not errors: the report lists each
with both sides, their sources and contexts, and the network combines them by its rule (README,
"Conflicting findings").
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ValidationFailure
from .query import list_queries, load_named_query, load_store, run_query
from .resources import KG_FILE, OWL_FILE, ontology_dir

__all__ = ["HermitReport", "ValidationReport", "run_hermit", "validate"]

_UNSAT = re.compile(r"EquivalentClasses\(([^)]*(?:owl:Nothing|owl#Nothing)[^)]*)\)")
_NOTHING = "http://www.w3.org/2002/07/owl#Nothing"
_IRI = re.compile(r"<([^>]+)>")


@dataclass(frozen=True)
class HermitReport:
    consistent: bool
    unsatisfiable: tuple[str, ...]
    seconds: float


@dataclass
class ValidationReport:
    hermit: HermitReport | None
    violations: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Rows of ``sign-conflicts.rq``: findings that disagree on a direction (not failures).
    conflicts: list[dict[str, str]] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        out = []
        if self.hermit is not None:
            if not self.hermit.consistent:
                out.append("HermiT: the ontology is inconsistent")
            out += [f"HermiT: unsatisfiable class {iri}" for iri in self.hermit.unsatisfiable]
        for name, rows in self.violations.items():
            for row in rows:
                out.append(f"{name}: " + ", ".join(f"{k}={v}" for k, v in row.items()))
        return out


def _hermit_classpath() -> str:
    import owlready2

    here = Path(owlready2.__file__).parent / "hermit"
    return f"{here}:{here / 'HermiT.jar'}"


def run_hermit(owl_file: Path, java: str | None = None, timeout: float = 600.0) -> HermitReport:
    """Classify an RDF/XML ontology with HermiT; report consistency and unsatisfiable classes."""
    import time

    java = java or shutil.which("java")
    if not java:
        raise ValidationFailure(["HermiT needs a Java runtime: install one (e.g. apt-get install default-jre-headless)"])
    command = [java, "-Xmx2000M", "-cp", _hermit_classpath(), "org.semanticweb.HermiT.cli.CommandLine",
               "-c", "-O", "-D", "-I", owl_file.resolve().as_uri()]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ValidationFailure([f"HermiT did not finish within {timeout:.0f} s"]) from None
    output = done.stdout + done.stderr
    if "Inconsistent ontology" in output or "InconsistentOntologyException" in output:
        return HermitReport(False, (), time.perf_counter() - start)
    if done.returncode != 0 or "pear-shaped" in output or "Could not parse" in output:
        first = next((ln for ln in output.splitlines() if ln.strip()), "no output")
        raise ValidationFailure([f"HermiT could not process {owl_file.name}: {first.strip()}"])
    unsatisfiable = sorted({iri for group in _UNSAT.findall(output) for iri in _IRI.findall(group)} - {_NOTHING})
    return HermitReport(True, tuple(unsatisfiable), time.perf_counter() - start)


def validate(directory: Path | None = None, reasoner: bool = True) -> ValidationReport:
    """Check the built ontology; raise :class:`ValidationFailure` listing every problem."""
    directory = directory or ontology_dir()
    graph = load_store(directory / KG_FILE)  # Oxigraph: the violation and conflict queries, fast
    report = ValidationReport(run_hermit(directory / OWL_FILE) if reasoner else None)
    for query in list_queries():
        if query.name.endswith("-violation"):
            rows = run_query(graph, query.text).plain_rows()
            if rows:
                report.violations[query.name] = rows
    report.conflicts = run_query(graph, load_named_query("sign-conflicts").text).plain_rows()
    if report.problems:
        raise ValidationFailure(report.problems)
    return report
