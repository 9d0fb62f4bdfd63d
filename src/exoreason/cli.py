"""The ``exoreason`` command line: each command parses, calls one library function, renders.

Errors are :class:`~exoreason.errors.ExoreasonError`s, shown here as one line on stderr with exit
code 2 (bad input) or 1 (a failure); ``--debug`` shows the traceback. Heavy libraries (pgmpy,
owlready2) are imported inside the functions that need them, so ``--help`` is instant.
"""

# No `from __future__ import annotations` here: typer would then evaluate every command's
# annotation strings at each start, a tenth of a cold `exoreason query`.
import sys
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from .errors import ExoreasonError, InputError

if TYPE_CHECKING:
    from .cohort import Cutoff
    from .evidence import Threshold
    from .inference import Reasoner

__all__ = ["app", "main"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Reason over what the literature knows about cancer-stem-cell exosomes: an OWL ontology, "
         "SPARQL queries and a Bayesian network from exosomal cargo to metastasis, chemoresistance "
         "and recurrence.",
)

_DEBUG = False

#: How many of the largest changes `fit` lists without --all.
FIT_ROWS = 15

Cargo = Annotated[list[str], typer.Option("--cargo", "-c", help="Cargo observed present in exosomes (any name: miR-155, hsa-miR-155-5p, MIR155). Repeatable.")]
Absent = Annotated[list[str], typer.Option("--absent", "-a", help="Cargo measured and found absent. Repeatable.")]
Cancer = Annotated[str | None, typer.Option("--cancer", help="Cancer type asked about (e.g. PDAC, 'lung cancer'): findings from other cancer types count for less.")]
Sources = Annotated[str | None, typer.Option("--sources", metavar="ID,ID", help="Only the findings of these sources (ids from `exoreason query sources`: review, a primary study's, a database release's); the network is derived from them alone. Default: every source.")]
Config = Annotated[Path | None, typer.Option("--config", help="TOML file overriding network parameters (see parameters.toml), such as one written by `exoreason fit`.")]
Output = Annotated[Path, typer.Option("--output", "-o", help="File to write (whole or not at all).")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")]
Observe = Annotated[list[str], typer.Option("--observe", help="NODE=true|false|Q: any node seen in the tumour or the sample (a process such as EMT, a tumour state, an outcome). Repeatable.")]
Endpoint = Annotated[str | None, typer.Option("--endpoint", help="URL of a SPARQL 1.1 endpoint to query instead of the embedded graph.")]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Every finding behind each edge in full (title, year, PMID, DOI, evidence), not one summary line per edge.")]
ShowNotes = Annotated[bool, typer.Option("--show-notes", help="Print the curator notes that qualify the findings behind an edge (marked [note]).")]
Prior = Annotated[list[str], typer.Option("--prior", metavar="NODE=P", help="A population's prior for this run: P(NODE) with nothing observed (e.g. metastasis=0.36, a cohort's rate); the node's leak is calibrated to it, every other node keeps its reference prior. Repeatable.")]
Plot = Annotated[Path | None, typer.Option("--plot", help="Also draw the answer to FILE.png, FILE.svg or FILE.pdf (written whole or not at all; --force overwrites).")]


class AnswerFormat(StrEnum):
    """--format of a command answering one question."""

    table = "table"
    json = "json"


class InferFormat(StrEnum):
    """--format of infer: a table (one query), JSON (either), CSV (--profiles)."""

    table = "table"
    json = "json"
    csv = "csv"


class ScoreFormat(StrEnum):
    """--format of evaluate."""

    table = "table"
    json = "json"
    csv = "csv"


class RowFormat(StrEnum):
    """--format of a report of rows (coverage)."""

    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"


class QueryFormat(StrEnum):
    """--format of query: rows (SELECT, ASK) or a graph (CONSTRUCT, DESCRIBE); which suits the
    query is checked by :func:`exoreason.query.check_format`."""

    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    ttl = "ttl"
    nt = "nt"
    jsonld = "jsonld"


class ExportFormat(StrEnum):
    """--format of export (:data:`exoreason.export.EXPORT_FORMATS`)."""

    owl = "owl"
    ttl = "ttl"
    bif = "bif"
    xmlbif = "xmlbif"
    dot = "dot"
    graphml = "graphml"
    kgx = "kgx"


#: A --format answering one question: table or json, in any case.
Format = Annotated[AnswerFormat, typer.Option("--format", "-f", case_sensitive=False, help="table or json.")]


def _version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"exoreason {__version__}")
        raise typer.Exit()
IgnoreUnknown = Annotated[bool, typer.Option("--ignore-unknown", help="Skip columns that name no node of the network (they are listed) instead of refusing the file.")]
IdColumn = Annotated[str | None, typer.Option("--id-column", help="The id column's name, if not id, sample, sample_id, patient or patient_id (any case; spaces and underscores alike).")]
MaxIterations = Annotated[int | None, typer.Option("--max-iterations", help="Stop expectation-maximisation after this many iterations (default 200; it stops earlier once converged).")]
Thresholds = Annotated[list[str], typer.Option("--threshold", metavar="[COLUMN]OP LEVEL", help="Read numbers as measurements, present when they pass: '<=35' (Ct values, every cargo column), 'miR-21>=10' (TPM, one column), 'miR-21>median', '>p75', '<p25' (the column's median or percentile in the cohort); OP is <=, <, >= or >. Quote it. Repeatable.")]
ThresholdAll = Annotated[str | None, typer.Option("--threshold-all", metavar="[OP]LEVEL", help="One rule for every measured (cargo) column without its own --threshold: median, p75 (present when above it), or '<p25', '<=35' (lower means more, as Ct values). The applied cut-offs are printed.")]
PriorWeight = Annotated[float, typer.Option("--prior-weight", help="How much the literature's Beta priors weigh: 1 as the uncertainty model says, 0 for maximum likelihood.")]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    global _DEBUG
    _DEBUG = debug


@app.command()
def build(
    check: Annotated[bool, typer.Option("--check", help="Only report whether the committed release files are current (exit 1 if stale).")] = False,
    endpoint: Annotated[str | None, typer.Option("--endpoint", help="Derive the network from the graph a SPARQL server holds (after `exoreason push`), by the same queries; writes the network file only.")] = None,
    sources: Sources = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="With --sources: write the network of those sources here (the release files always hold every source).")] = None,
    force: Force = False,
) -> None:
    """Regenerate ontology/exoreason.owl, exoreason-kg.ttl and the network from the edit file and
    every source's templates (ontology/templates/ is the review; ontology/sources/<id>/ the others).

    With --sources, derive the network of the named sources' findings alone and report it (write it
    with --output); the release files are left as they are.

    \b
    Example: exoreason build --check
    Example: exoreason build --sources review --output review-network.json
    """
    from .build import build as run_build
    from .build import stale_files

    if sources is not None:
        from .build import network_for_sources, parse_sources
        from .files import check_writable, write_output
        from .network import network_json

        if check or endpoint:
            raise InputError("--sources derives the network of the named sources locally; it does not go "
                             "with --check or --endpoint")
        if output is not None:
            check_writable(output, force)
        spec = network_for_sources(parse_sources(sources) or [])
        typer.echo(f"network of {sources}: {len(spec.nodes)} nodes, {len(spec.edges)} edges")
        _left_out(spec)
        if output is not None:
            write_output(output, network_json(spec), force)
            typer.echo(f"wrote {output}")
        return
    if output is not None:
        raise InputError("--output goes with --sources (a plain build writes the release files)")

    if endpoint is not None:
        from .build import build_from_endpoint

        if check:
            raise InputError("--check compares the local build with the committed files; it does not take --endpoint")
        report = build_from_endpoint(endpoint)
        typer.echo(f"network from {endpoint}: {report.nodes} nodes, {report.edges} edges")
        _left_out(report.spec)
        for path in report.outputs:
            typer.echo(f"wrote {path}")
        return
    if check:
        stale = stale_files()
        for path in stale:
            typer.echo(f"stale: {path}")
        if stale:
            raise typer.Exit(1)
        typer.echo("release files are current")
        return
    report = run_build()
    typer.echo(f"built {report.triples} triples; network: {report.nodes} nodes, {report.edges} edges")
    _left_out(report.spec)
    for path in report.outputs:
        typer.echo(f"wrote {path}")


def _left_out(spec: object) -> None:
    """Name what the network leaves out, grouped by the reason (the network file lists each)."""
    from collections import defaultdict

    groups: dict[str, list[str]] = defaultdict(list)
    for item in getattr(spec, "left_out", []):
        groups[item.reason].append(item.label)
    for reason, names in groups.items():
        typer.echo(f"left out of the network ({reason}): {', '.join(names)}")
    label = {n.key: n.label for n in getattr(spec, "nodes", [])}
    for summary in getattr(spec, "summaries", []):
        path = " -> ".join(label.get(k, k) for k in summary.path)
        typer.echo(f"summary, not an edge of its own: {label.get(summary.parent)} {summary.sign} "
                   f"{label.get(summary.child)} (carried by {path})")
    fixed: dict[str, list[str]] = defaultdict(list)
    for item in getattr(spec, "fixed", []):
        fixed[item.reason].append(label.get(item.key, item.key))
    for reason, names in fixed.items():
        typer.echo(f"fixed by its prior ({reason}): {', '.join(names)}")


@app.command()
def validate(
    no_reasoner: Annotated[bool, typer.Option("--no-reasoner", help="Skip HermiT (no Java needed).")] = False,
) -> None:
    """Check the built ontology: HermiT consistency and satisfiability, and every *-violation query;
    list the findings that disagree on a direction (sign-conflicts), which are not failures.

    Example: exoreason validate --no-reasoner
    """
    from .network import conflict_record, describe_conflict
    from .validate import validate as run_validate

    report = run_validate(reasoner=not no_reasoner)
    if report.hermit is not None:
        typer.echo(f"HermiT: consistent, no unsatisfiable class ({report.hermit.seconds:.1f} s)")
    typer.echo("violation queries: no rows")
    typer.echo(f"conflicting findings (sign-conflicts; the network combines them, README 'Conflicting findings'): "
               f"{len(report.conflicts) or 'none'}")
    for row in report.conflicts:
        record = conflict_record(row)
        target = row.get("objectLabel") or row["object"]
        typer.echo(f"  {target}: {describe_conflict(record)}")


@app.command()
def coverage(
    fmt: Annotated[RowFormat, typer.Option("--format", "-f", case_sensitive=False, help="table, csv, tsv or json.")] = RowFormat.table,
) -> None:
    """Count curated findings per source section of the review, and list findings lacking provenance.

    Example: exoreason coverage --format tsv
    """
    from .query import load_named_query, run_query

    counts = run_query(None, load_named_query("coverage").text)
    # a report: its tsv is plain values, like its csv (not the W3C SPARQL TSV of `query`)
    typer.echo(counts.plain_tsv() if fmt == RowFormat.tsv else counts.render(fmt.value))
    missing = run_query(None, load_named_query("finding-provenance-violation").text)
    if missing.rows:
        typer.echo(missing.render("table"), err=True)
        raise typer.Exit(1)


def _query_help() -> str:
    from .prefixes import SPARQL_PREFIXES

    width = max(len(p) for p in SPARQL_PREFIXES) + 1
    prefixes = "\n".join(f"  {p + ':':<{width}} <{ns}>" for p, ns in SPARQL_PREFIXES.items())
    return (
        "Ask the graph a SPARQL question (read-only), embedded (Oxigraph) or on a SPARQL endpoint.\n\n"
        "SELECT and ASK answer rows (--format table, csv, tsv, or json: the W3C SPARQL results "
        "JSON); CONSTRUCT and DESCRIBE answer a graph (--format ttl, nt or jsonld). --list shows "
        "the named queries; docs/vocabulary.md every class and property, with example queries.\n\n"
        "\b\nPrefixes a query may use without a PREFIX line (its own PREFIX lines take precedence):\n"
        f"{prefixes}\n\n"
        "\b\n"
        "Example: exoreason query targets-of-mirna --bind mirna=miR-155\n"
        "Example: exoreason query targets-of-mirna --bind mirna=miRBase:MIMAT0000646 --format csv\n"
        "Example: exoreason query 'SELECT ?gene WHERE { ?m exo:targets ?g . ?g rdfs:label ?gene }'\n"
    )


@app.command(help=_query_help())
def query(
    spec: Annotated[str | None, typer.Argument(help="A .rq file, the name of a query in queries/, or SPARQL text.")] = None,
    fmt: Annotated[QueryFormat | None, typer.Option("--format", "-f", case_sensitive=False, help="Rows: table (default), csv, tsv or json (W3C SPARQL results JSON). Graphs (CONSTRUCT, DESCRIBE): ttl (default), nt or jsonld. Any case.")] = None,
    bind: Annotated[list[str], typer.Option("--bind", "-b", help="NAME=VALUE: bind a variable to an RDF term: an IRI <...>, a CURIE of a predefined prefix (miRBase:MIMAT0000646, GO:0001837, exo:Metastasis), an integer, or else a string (a name such as miR-155). Repeatable.")] = [],  # noqa: B006
    endpoint: Endpoint = None,
    list_: Annotated[bool, typer.Option("--list", help="List the named queries, grouped (questions, checks, network), with the question each answers.")] = False,
    allow_remote: Annotated[bool, typer.Option("--allow-remote", help="Let the embedded engine follow SERVICE and remote FROM clauses.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds a query may run (embedded: it is stopped) or wait for an endpoint.")] = 60.0,
    retries: Annotated[int, typer.Option("--retries", help="Retries of an endpoint request that failed for a passing reason (unreachable, HTTP 5xx), with doubling waits.")] = 2,
    allow_update: Annotated[bool, typer.Option("--allow-update", help="Send a SPARQL Update to the --endpoint (its update service, e.g. http://HOST:PORT/update). The embedded graph is never changed.")] = False,
    reason: Annotated[bool, typer.Option("--reason", help="Answer over the graph plus what OWL entails (its OWL 2 RL closure, built by `exoreason build`): subclasses, inverse relations, super-properties.")] = False,
    sources: Sources = None,
) -> None:
    from .query import (
        GROUPS,
        check_format,
        check_options,
        grouped_queries,
        parse_binding,
        resolve_query,
        run_query,
    )
    from .sparql import analyse

    if list_:
        import textwrap

        for group, queries in grouped_queries().items():
            if queries:
                typer.echo(f"{GROUPS[group]}:")
                width = max(len(q.name) for q in queries) + 4
                for q in queries:
                    typer.echo(textwrap.fill(q.summary, 100, initial_indent=f"  {q.name}".ljust(width),
                                             subsequent_indent=" " * width))
                typer.echo("")
        return
    if not spec:
        raise InputError("give a query: a .rq file, a query name (see --list) or SPARQL text")
    named = resolve_query(spec)
    shape = analyse(named.text)
    if allow_update and shape.is_update:
        from .query import run_update

        if not endpoint:
            raise InputError("--allow-update needs --endpoint: the embedded graph is built from the "
                             "templates (edit them and rebuild)")
        run_update(endpoint, named.text, timeout)
        typer.echo(f"update applied at {endpoint}")
        return
    answer = check_format(fmt.value if fmt else "ttl" if shape.answers_graph else "table", shape.form)
    check_options(endpoint=endpoint, reason=reason, timeout=timeout, retries=retries, sources=sources is not None)
    bindings = dict(parse_binding(b) for b in bind)
    source: Any = None
    if sources is not None:
        from .build import graph_for_sources, parse_sources
        from .query import store_from_graph

        source = store_from_graph(graph_for_sources(parse_sources(sources) or []))
    if reason:
        from .query import release_store

        source = release_store(reason=True)
    result = run_query(source, named.text, bindings=bindings, endpoint=endpoint, allow_remote=allow_remote,
                       timeout=timeout, embedded_timeout=None if endpoint else timeout, retries=retries)
    typer.echo(result.render(answer))


@app.command()
def push(
    endpoint: Annotated[str, typer.Option("--endpoint", help="Graph Store Protocol URL of the server (Oxigraph: http://HOST:PORT/store).")],
    graph_iri: Annotated[str | None, typer.Option("--graph", help="Named graph to load into (default graph if omitted).")] = None,
    append: Annotated[bool, typer.Option("--append", help="Add to the graph instead of replacing it.")] = False,
    reason: Annotated[bool, typer.Option("--reason", help="Load the graph with its OWL 2 RL closure (the entailed graph `exoreason build` writes), so that plain queries on the server see what OWL entails.")] = False,
) -> None:
    """Load the built graph into a SPARQL server (SPARQL 1.1 Graph Store HTTP Protocol).

    Example: exoreason push --endpoint http://127.0.0.1:7878/store
    """
    from .resources import ENTAILED_FILE, QUERY_GRAPH_FILE, ontology_dir
    from .store import push as run_push

    name = ENTAILED_FILE if reason else QUERY_GRAPH_FILE
    status = run_push(endpoint, ontology_dir() / name, graph_iri, replace=not append)
    typer.echo(f"loaded {name} into {endpoint} (HTTP {status})")


@app.command()
def infer(
    cargo: Cargo = [],  # noqa: B006
    absent: Absent = [],  # noqa: B006
    observe: Observe = [],  # noqa: B006
    cancer: Cancer = None,
    fmt: Annotated[InferFormat | None, typer.Option("--format", "-f", case_sensitive=False, help="table or json (one profile); csv or json (--profiles).")] = None,
    config: Config = None,
    prior: Prior = [],  # noqa: B006
    sources: Sources = None,
    profiles: Annotated[Path | None, typer.Option("--profiles", help="A cohort file (comma, tab or semicolon separated): an id column and one column per observed node; see above.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="With --profiles: write here (whole or not at all) instead of stdout.")] = None,
    id_column: Annotated[str | None, typer.Option("--id-column", help="With --profiles: the id column's name, if not id, sample, sample_id, patient or patient_id (any case; spaces and underscores alike).")] = None,
    ignore_unknown: Annotated[bool, typer.Option("--ignore-unknown", help="With --profiles: skip columns naming no node of the network (named on stderr) instead of stopping.")] = False,
    threshold: Annotated[list[str], typer.Option("--threshold", metavar="[COLUMN]OP LEVEL", help="With --profiles: read numbers as measurements, present when they pass: '<=35' (Ct values, every cargo column), 'miR-21>=10' (TPM, one column), 'miR-21>median' or '>p75' (relative to the cohort); OP is <=, <, >= or >. Quote it. Repeatable.")] = [],  # noqa: B006
    threshold_all: ThresholdAll = None,
    with_prior: Annotated[bool, typer.Option("--with-prior", help="With --profiles: after each KEY column, KEY_prior (nothing observed) and KEY_change.")] = False,
    verbose: Verbose = False,
    show_notes: ShowNotes = False,
    force: Force = False,
    do: Annotated[list[str], typer.Option("--do", help="Intervention NODE=true|false on any node (e.g. EMT=false, a blocked miRNA), answered beside the observation. Repeatable.")] = [],  # noqa: B006
    intervals: Annotated[bool, typer.Option("--intervals", help="Add a 90% interval to each posterior and change, from sampling the literature-derived parameters (see [uncertainty] in parameters.toml).")] = False,
    samples: Annotated[str | None, typer.Option("--samples", metavar="N", help="With --intervals: how many parameter samples (default 1000).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="With --intervals: seed of the sampler (default 0); the same seed gives the same intervals.")] = None,
    plot: Plot = None,
    every_row: Annotated[bool, typer.Option("--all", help="List every process and outcome, not only those the evidence moved (JSON always lists every one).")] = False,
) -> None:
    """Prior and posterior of metastasis, chemoresistance, recurrence and the processes behind them,
    given the cargo observed in exosomes, with the paths and findings behind the answer.

    The table lists the outcomes, then the processes, the evidence moved (--all: every one), each
    by the size of its odds ratio; then, for each outcome it moved, the paths from each observation
    (-> promotes, -| inhibits, => is required for) and each edge once with its strength and findings
    ([note N]: curator note N qualifies them; --show-notes prints each once).

    A reading given as NAME:Q or NODE=Q (e.g. miR-155:0.9) with Q strictly between 0 and 1 is a
    likelihood: Q/(1-Q) is how much more likely the reading is if the node is present than if it
    is absent (0.5 carries no information; Q is not the probability of presence). The posteriors
    are estimates of a model whose parameters come from the literature, not clinical predictions.

    A cohort file (--profiles) is comma, tab or semicolon separated (whichever the header uses
    most; in a semicolon file 0,9 is 0.9). Its id column is id, sample, sample_id, patient or
    patient_id in any case (or --id-column). Every other column names a node: cargo (miR-155), or
    a process or outcome seen in the tumour (EMT, metastasis). Cells: empty, NA, N/A or NaN (not
    observed); true/false, yes/no, 1/0, present/absent, detected/not detected (ND),
    positive/negative; or a likelihood reading in (0, 1). Measurements (Ct, TPM, fold change) need
    --threshold (or --threshold-all median for every measured column); there, Undetermined is
    absent. Unknown columns are all named in one error, or skipped with --ignore-unknown.

    \b
    Example: exoreason infer --cargo miR-155
    Example: exoreason infer --profiles examples/cohort.csv --with-prior
    Example: exoreason infer --profiles examples/cohort-ct.tsv --threshold '<=35'
    """
    from .cohort import infer_format

    given = {"--cargo": cargo, "--absent": absent, "--observe": observe, "--do": do, "--intervals": intervals,
             "--samples": samples is not None, "--seed": seed is not None, "--plot": plot is not None,
             "--verbose": verbose, "--show-notes": show_notes, "--all": every_row, "--output": output is not None,
             "--id-column": id_column is not None, "--ignore-unknown": ignore_unknown, "--threshold": threshold,
             "--threshold-all": threshold_all is not None, "--with-prior": with_prior}
    answer = infer_format({name for name, value in given.items() if value}, profiles is not None, fmt)
    if plot is not None:
        from .plots import check_picture_path

        check_picture_path(plot, force)  # a bad extension or directory fails before any inference
    thresholds = _thresholds(threshold, threshold_all)
    from .results import PATHS_SHOWN

    if profiles is not None:
        reasoner = _model(config, cancer, prior, sources)
        from .cohort import run_profiles

        summary = run_profiles(reasoner, profiles, output, answer, force=force, id_column=id_column,
                               ignore_unknown=ignore_unknown, thresholds=thresholds, with_prior=with_prior,
                               warn=lambda message: typer.echo(f"exoreason: warning: {message}", err=True))
        _show_cutoffs(summary.cutoffs)
        if output is not None:
            typer.echo(f"wrote {output}", err=True)
        return
    reasoner, evidence, names, _ = _question(config, cancer, prior, cargo, absent, observe, sources=sources)
    interventions = reasoner.parse_do(do) if do else None
    _notes(reasoner)
    result = reasoner.infer(evidence, names, do=interventions, paths=None if verbose else PATHS_SHOWN)
    if intervals:

        result = reasoner.with_intervals(result, _sample_count(samples), 0 if seed is None else seed)
    if plot is not None:
        from .plots import plot_posteriors

        plot_posteriors(result, plot, force=force)
    typer.echo(result.to_json() if answer == "json" else result.render_table(verbose, show_notes, every_row))
    if plot is not None:
        typer.echo(f"wrote {plot}", err=True)


def _thresholds(threshold: list[str], threshold_all: str | None) -> "list[Threshold]":
    from .evidence import parse_thresholds

    return parse_thresholds(threshold, threshold_all)


def _show_cutoffs(cutoffs: "Sequence[Cutoff]") -> None:
    """The cut-off each measured column was read by, on stderr."""
    if cutoffs:
        typer.echo("exoreason: measured columns read as present when: "
                   + "; ".join(f"{c.column} {c.threshold.cutoff()}" for c in cutoffs), err=True)


def _model(config: Path | None, cancer: str | None = None, prior: Sequence[str] = (),
           sources: str | None = None) -> "Reasoner":
    """The model every command answers with: the one place its parameters are made (the defaults
    or --config, weighed for --cancer, with a population's --prior), on the network of every
    source or of those --sources names."""
    from .inference import Reasoner

    if sources is None:  # the shipped network: nothing to build, and no graph library to import
        return Reasoner.from_files(config=config, cancer=cancer, priors=prior)
    from .build import parse_sources

    return Reasoner.from_files(config=config, cancer=cancer, priors=prior, sources=parse_sources(sources))


class _Question(NamedTuple):
    reasoner: "Reasoner"
    evidence: dict[str, float]
    names: dict[str, str]
    key: str  # the process or outcome asked about ("" if none)


def _question(config: Path | None, cancer: str | None, prior: Sequence[str], cargo: Sequence[str],
              absent: Sequence[str], observe: Sequence[str], asked: str | None = None,
              sources: str | None = None) -> _Question:
    """What every command answering a question starts with: the model, the observations by node
    (and the names they were given by), and the node asked about; how names were read is noted
    on stderr."""
    reasoner = _model(config, cancer, prior, sources)
    key = reasoner.resolve_outcome(asked) if asked is not None else ""
    evidence, names = reasoner.evidence_from_names(cargo, absent, observe)
    _notes(reasoner)
    return _Question(reasoner, evidence, names, key)


def _notes(reasoner: "Reasoner") -> None:
    """How names were read, where that is worth saying (a related synonym), on stderr, each once."""
    while reasoner.notes:
        typer.echo(f"exoreason: note: {reasoner.notes.pop(0)}", err=True)


def _sample_count(text: str | None) -> int:
    """--samples: a positive integer (1000 if not given)."""
    if text is None:
        return 1000
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(f"--samples must be a positive integer, got {text!r}") from None
    if value < 1:
        raise InputError(f"--samples must be a positive integer, got {text!r}")
    return value


@app.command()
def suggest(
    target: Annotated[str, typer.Option("--target", "-t", help="The process or outcome to learn about (e.g. metastasis).")],
    cargo: Cargo = [],  # noqa: B006
    absent: Absent = [],  # noqa: B006
    observe: Observe = [],  # noqa: B006
    top: Annotated[int, typer.Option("--top", help="How many candidates to show.")] = 5,
    fmt: Format = AnswerFormat.table,
    cancer: Cancer = None,
    config: Config = None,
    prior: Prior = [],  # noqa: B006
) -> None:
    """What to measure next: the unobserved exosomal cargo ranked by expected information gain about
    a target (exosome populations, which no assay of a sample's exosomes measures, and cargo that
    would tell nothing are left out).

    Example: exoreason suggest --cargo miR-155 --target metastasis --top 3
    """

    reasoner, evidence, _, key = _question(config, cancer, prior, cargo, absent, observe, target)
    found = reasoner.suggest(evidence, key, top)
    typer.echo(found.to_json() if fmt == "json" else found.render_table())


@app.command()
def sensitivity(
    outcome: Annotated[str, typer.Option("--outcome", "-y", help="The process or outcome asked about (e.g. chemoresistance).")],
    cargo: Cargo = [],  # noqa: B006
    absent: Absent = [],  # noqa: B006
    observe: Observe = [],  # noqa: B006
    top: Annotated[int, typer.Option("--top", help="How many parameters to show.")] = 10,
    fmt: Format = AnswerFormat.table,
    cancer: Cancer = None,
    config: Config = None,
    prior: Prior = [],  # noqa: B006
) -> None:
    """Which parameters the answer rests on: the derivative of the outcome's posterior with respect
    to every edge strength, leak and cargo base rate, largest first, with the findings behind each edge.

    Example: exoreason sensitivity --cargo miR-155 --outcome chemoresistance
    """

    if top < 1:
        raise InputError(f"--top must be at least 1, got {top}")
    reasoner, evidence, _, key = _question(config, cancer, prior, cargo, absent, observe, outcome)
    result = reasoner.sensitivity(evidence, key)
    typer.echo(result.to_json(top) if fmt == "json" else result.render_table(top))


@app.command()
def explain(
    outcome: Annotated[str, typer.Option("--outcome", "-y", help="The process or outcome to explain (e.g. chemoresistance, metastasis).")],
    cargo: Cargo = [],  # noqa: B006
    absent: Absent = [],  # noqa: B006
    observe: Observe = [],  # noqa: B006
    plot: Annotated[Path | None, typer.Option("--plot", help="Draw the paths as a layered graph to FILE.png, FILE.svg or FILE.pdf (written whole or not at all).")] = None,
    fmt: Annotated[AnswerFormat, typer.Option("--format", "-f", case_sensitive=False, help="table or json (the schema infer's JSON uses: docs/answer.schema.json).")] = AnswerFormat.table,
    force: Force = False,
    cancer: Cancer = None,
    config: Config = None,
    prior: Prior = [],  # noqa: B006
    sources: Sources = None,
    verbose: Verbose = False,
    show_notes: ShowNotes = False,
) -> None:
    """Why an outcome moved: the paths from each observation to it with their signs (a path
    promotes or inhibits: the product of its edges' signs), and each edge with its strength and
    the findings behind it (table, reference, primary study); --plot draws them.

    Example: exoreason explain --cargo miR-155 --outcome chemoresistance
    """
    if plot is not None:
        from .plots import check_picture_path

        check_picture_path(plot, force)
    if not cargo and not absent and not observe:
        raise InputError("give the observed cargo with --cargo (present) or --absent, or other nodes with --observe")
    from .explanation import explain as run_explain

    reasoner, evidence, names, key = _question(config, cancer, prior, cargo, absent, observe, outcome, sources)
    found = run_explain(reasoner, reasoner.infer(evidence, names), key, every_path=verbose)
    if plot is not None:
        from .plots import plot_explanation

        plot_explanation(reasoner, found.result, key, plot, force=force)
    typer.echo(found.to_json() if fmt == "json" else found.render_table(verbose, show_notes))
    if plot is not None:
        typer.echo(f"wrote {plot}", err=True)


@app.command()
def fit(
    cohort: Annotated[Path, typer.Argument(help="A cohort file, read as --profiles files are (comma, tab or semicolon separated; an id column; one column per observed node: cargo, process or outcome); cells true/false, empty/NA (not observed) or a reading in [0, 1].")],
    output: Output,
    force: Force = False,
    config: Annotated[Path | None, typer.Option("--config", help="Parameters to start from and use as the prior (TOML, see parameters.toml); its settings are carried into the output.")] = None,
    prior: Prior = [],  # noqa: B006
    cancer: Annotated[str | None, typer.Option("--cancer", help="Cancer type of the cohort: findings from other cancer types count for less in the prior strengths.")] = None,
    ignore_unknown: IgnoreUnknown = False,
    id_column: IdColumn = None,
    threshold: Thresholds = [],  # noqa: B006
    threshold_all: ThresholdAll = None,
    max_iterations: MaxIterations = None,
    prior_weight: PriorWeight = 1.0,
    fmt: Annotated[AnswerFormat, typer.Option("--format", "-f", case_sensitive=False, help="Report as table or json.")] = AnswerFormat.table,
    every_row: Annotated[bool, typer.Option("--all", help="List every fitted parameter, not the largest changes only (the written file and the JSON hold every one).")] = False,
) -> None:
    """Fit the network's link strengths, leaks and base rates to a cohort observing any nodes (cargo,
    outcomes; gene effects and processes may stay unobserved), by expectation-maximisation with the
    literature's Beta distributions as priors. Writes a parameters file (parameters.toml's layout,
    with the posterior concentrations) for --config of every command; reports what moved and what
    the data cannot inform. Fitted strengths are used as given: --cancer later weighs only the
    strengths still made by the formula.

    Example: exoreason fit examples/cohort.csv --output fitted.toml --force
    """
    from .cohort import read_cohort
    from .display import StatusLine
    from .files import check_writable, write_output
    from .learning import DEFAULT_ITERATIONS, parameters_toml

    check_writable(output, force)
    thresholds = _thresholds(threshold, threshold_all)
    reasoner = _model(config, cancer, prior)
    data = read_cohort(cohort, reasoner, ignore_unknown=ignore_unknown, id_column=id_column, thresholds=thresholds)
    _show_cutoffs(data.cutoffs)
    status = StatusLine()
    result = reasoner.fit(data, prior_weight=prior_weight,
                          max_iterations=DEFAULT_ITERATIONS if max_iterations is None else max_iterations,
                          progress=(lambda step, value: status.show(f"iteration {step}, log-likelihood per row "
                                                                    f"{value:.6f}")) if status.enabled else None)
    status.close()
    write_output(output, parameters_toml(result, config=config).encode(), force)
    if fmt == "json":
        import json

        typer.echo(json.dumps({**result.to_dict(), "output": str(output)}, indent=2))
    else:
        typer.echo(result.render(None if every_row else FIT_ROWS))
        typer.echo(f"\nWrote {output}: use it with --config (e.g. exoreason infer --config {output} --intervals).")


@app.command()
def evaluate(
    cohort: Annotated[Path, typer.Argument(help="A cohort file as for fit, with recorded outcomes: every process or outcome column holding true/false cells is scored, predicted from the row's other columns.")],
    config: Config = None,
    prior: Prior = [],  # noqa: B006
    cancer: Cancer = None,
    folds: Annotated[int | None, typer.Option("--folds", help="Also fit the parameters on K-1 folds and score the held-out fold (K-fold cross-validation), against the literature's parameters.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="With --folds: seed of the fold assignment (the same seed, the same folds).")] = 0,
    bins: Annotated[int, typer.Option("--bins", help="Equal-width bins of the predicted probability for the calibration table.")] = 10,
    plot: Annotated[Path | None, typer.Option("--plot", help="Draw the calibration curves (with --learning-curve, the learning curves) to FILE.png, FILE.svg or FILE.pdf (written whole or not at all).")] = None,
    force: Force = False,
    fmt: Annotated[ScoreFormat, typer.Option("--format", "-f", case_sensitive=False, help="table, json or csv.")] = ScoreFormat.table,
    ignore_unknown: IgnoreUnknown = False,
    id_column: IdColumn = None,
    threshold: Thresholds = [],  # noqa: B006
    threshold_all: ThresholdAll = None,
    max_iterations: MaxIterations = None,
    prior_weight: PriorWeight = 1.0,
    predictions: Annotated[Path | None, typer.Option("--predictions", help="Write one row per sample (CSV): id, fold, each recorded outcome, each parameter set's probability, and the cut-offs of measured columns.")] = None,
    baseline: Annotated[bool, typer.Option("--baseline", help="With --folds: add a logistic regression (scikit-learn) on the same columns and folds.")] = False,
    learning_curve: Annotated[str | None, typer.Option("--learning-curve", metavar="N,N,...", help="With --folds: fit on that many training rows per fold (e.g. 50,100,200,400) and score the literature, the fitted parameters (and with --baseline the baseline) on the held-out rows.")] = None,
) -> None:
    """Score the model on a cohort with recorded outcomes: for every outcome column, the rows, ROC
    AUC, Brier score, log loss and a calibration table (--plot draws the curves); with --folds,
    the literature's parameters against parameters fitted by cross-validation, and with
    --baseline a logistic regression beside them; --learning-curve says whether the literature
    buys data efficiency; --predictions writes every sample's predictions.

    \b
    Example: exoreason evaluate examples/cohort.csv --folds 5
    Example: exoreason evaluate examples/tcga-luad/rpm.csv --threshold-all median
    """
    from .cohort import read_cohort
    from .display import StatusLine
    from .evaluation import check_options, parse_sizes
    from .learning import DEFAULT_ITERATIONS

    if plot is not None:
        from .plots import check_picture_path

        check_picture_path(plot, force)
    fold_options = {"--max-iterations": max_iterations is not None, "--prior-weight": prior_weight != 1.0}
    check_options(cohort, folds=folds, fold_options=[name for name, given in fold_options.items() if given],
                  predictions=predictions, plot=plot)
    if predictions is not None:
        from .files import check_writable

        check_writable(predictions, force)
    sizes = parse_sizes(learning_curve) if learning_curve is not None else ()
    thresholds = _thresholds(threshold, threshold_all)
    reasoner = _model(config, cancer, prior)
    data = read_cohort(cohort, reasoner, ignore_unknown=ignore_unknown, id_column=id_column, thresholds=thresholds)
    status = StatusLine()
    found = reasoner.evaluate(data, folds=folds, seed=seed, bins=bins,
                              max_iterations=DEFAULT_ITERATIONS if max_iterations is None else max_iterations,
                              prior_weight=prior_weight, progress=status.show if status.enabled else None,
                              baseline=baseline, learning_curve=sizes)
    status.close()
    if plot is not None:
        from .plots import plot_calibration, plot_learning_curve

        (plot_learning_curve if sizes else plot_calibration)(found, plot, force=force)
    if predictions is not None:
        from .files import write_output

        write_output(predictions, found.predictions_csv().encode(), force)
    typer.echo(found.to_json() if fmt == "json" else found.to_csv() if fmt == "csv" else found.render_table(),
               nl=fmt != "csv")
    if plot is not None:
        typer.echo(f"wrote {plot}", err=True)
    if predictions is not None:
        typer.echo(f"wrote {predictions}", err=True)


@app.command()
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", case_sensitive=False, help="owl, ttl (the ontology), bif or xmlbif (the network), dot (Graphviz), graphml (Cytoscape, Gephi) or kgx (the knowledge graph as KGX nodes.tsv and edges.tsv in the directory --output, with Biolink categories and predicates).")],
    output: Output,
    force: Force = False,
    config: Config = None,
) -> None:
    """Write the ontology or the Bayesian network for other tools (Protégé, pgmpy, pyAgrum, GeNIe,
    Graphviz, Cytoscape, Gephi), or the knowledge graph for Biolink graphs (KGX TSV).

    Tools choose their reader by the file's extension: .owl, .ttl, .bif, .bifxml (pyAgrum reads
    XMLBIF only from .bifxml), .dot, .graphml. Another extension is written all the same, with a
    warning. --format kgx writes nodes.tsv and edges.tsv into the directory --output.

    Example: exoreason export --format bif --output exoreason.bif --force
    Example: exoreason export --format kgx --output exoreason-kgx --force
    """
    from .export import NETWORK_FORMATS, extension_warning
    from .export import export as run_export

    reasoner = None
    if fmt in NETWORK_FORMATS:
        reasoner = _model(config)
    run_export(fmt.value, output, reasoner=reasoner, force=force)
    typer.echo(f"wrote {output}")
    warning = extension_warning(fmt.value, output) if fmt != ExportFormat.kgx else None
    if warning:
        typer.echo(f"exoreason: warning: {warning}", err=True)


import_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Import a database export as a source of its own (a directory of templates under "
         "ontology/sources/ that `exoreason build` merges with the review).",
)
app.add_typer(import_app, name="import")


@import_app.command("mirtarbase")
def import_mirtarbase(
    export_file: Annotated[Path, typer.Argument(metavar="FILE", help="miRTarBase's export as downloaded: .xlsx, tab-separated .tsv/.txt or .csv, with its columns miRTarBase ID, miRNA, Species (miRNA), Target Gene, Target Gene (Entrez Gene ID), Species (Target Gene), Experiments, Support Type, References (PMID).")],
    source_id: Annotated[str | None, typer.Option("--id", help="The source's id (default mirtarbase-RELEASE): the directory's name and the start of its finding ids.")] = None,
    release: Annotated[str | None, typer.Option("--release", help="The miRTarBase release the export comes from, e.g. 9.0 (read from the file name when it holds one).")] = None,
    year: Annotated[int | None, typer.Option("--year", help="The release's year (known for 7.0, 8.0 and 9.0).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Directory to write (default: ONTOLOGY_DIR/sources/ID).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing source directory.")] = False,
) -> None:
    """Import the human interactions of the graph's miRNAs from a miRTarBase export: each
    interaction a finding (miRNA targets gene) with its PMIDs as studies and its support type as
    the evidence kind (Functional MTI: reporter assay; Functional MTI (Weak): high throughput);
    Non-Functional rows, other species and miRNAs the graph lacks are dropped and counted. Then run
    `exoreason build`.

    Example: exoreason import mirtarbase hsa_MTI.xlsx --release 9.0
    """
    from .mirtarbase import import_mirtarbase as run_import

    report = run_import(export_file, source_id=source_id, release=release, year=year, out=out, force=force)
    typer.echo(report.render())


def _terminate(signum: int, frame: object) -> None:
    # SIGTERM unwinds like Ctrl-C, so temporary files are removed and no output is half-written.
    raise KeyboardInterrupt


def _click_errors() -> tuple[type[Exception], type[Exception]]:
    """Click's UsageError and ClickException as this typer has them (typer bundles its own click
    from 0.20 on): found from the public ``typer.BadParameter``, never from a private module."""
    ancestry = typer.BadParameter.__mro__
    usage = next(c for c in ancestry if c.__name__ == "UsageError")
    failure = next(c for c in ancestry if c.__name__ == "ClickException")
    return usage, failure


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning exoreason errors into one line and an exit code."""
    import signal

    usage_error, click_error = _click_errors()
    if _in_main_thread():
        signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(args=argv, prog_name="exoreason", standalone_mode=False)
        if code == 130:  # typer answers Ctrl-C (and SIGTERM, made one by _terminate) with exit code 130
            typer.echo("exoreason: interrupted", err=True)
        sys.exit(code if isinstance(code, int) else 0)
    except usage_error as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(ctx.get_help() if ctx else "exoreason --help")
            sys.exit(0)
        # Usage errors too are one line: what was wrong, and where help is.
        where = ctx.command_path if ctx else _command_path(sys.argv[1:] if argv is None else argv)
        message = exc.format_message()  # type: ignore[attr-defined]
        typer.echo(f"exoreason: error: {' '.join(message.split())} (see `{where} --help`)", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except click_error as exc:
        typer.echo(f"exoreason: error: {exc.format_message()}", err=True)  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 1))
    except ExoreasonError as exc:
        if _DEBUG:
            raise
        typer.echo(f"exoreason: error: {exc.message()}", err=True)
        problems = getattr(exc, "problems", [])
        if len(problems) > 1:
            for problem in problems:
                typer.echo(f"  {problem}", err=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("exoreason: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: still one line unless --debug
        if _DEBUG:
            raise
        detail = " ".join(str(exc).split())[:300]
        typer.echo(f"exoreason: internal error ({type(exc).__name__}: {detail}); rerun with --debug "
                   "for the traceback", err=True)
        sys.exit(1)


def _command_path(argv: Sequence[str]) -> str:
    """``exoreason COMMAND`` for the command the arguments name (``exoreason`` if none): where help
    is, for a usage error click reports without its context (an option missing its value)."""
    names = {command.name or command.callback.__name__ for command in app.registered_commands
             if command.callback is not None}
    named = next((word for word in argv if not word.startswith("-")), None)
    return f"exoreason {named}" if named in names else "exoreason"


def _in_main_thread() -> bool:
    """Whether this is the main thread (only it may install signal handlers)."""
    import threading

    return threading.current_thread() is threading.main_thread()
