"""The command line (a thin layer: parse, call one library function, render)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .errors import ExoreasonError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    """exoreason."""


@app.command()
def build(check: Annotated[bool, typer.Option("--check")] = False) -> None:
    from .build import build as run_build, stale_files
    if check:
        stale = stale_files()
        for p in stale:
            typer.echo(f"stale: {p}")
        raise typer.Exit(1 if stale else 0)
    report = run_build()
    typer.echo(f"built {report.triples} triples; network {report.nodes} nodes, {report.edges} edges")


def main() -> None:
    try:
        app()
    except ExoreasonError as exc:
        typer.echo(f"exoreason: error: {exc.message()}", err=True)
        if hasattr(exc, "report"):
            typer.echo(exc.report(), err=True)
        sys.exit(exc.exit_code)
