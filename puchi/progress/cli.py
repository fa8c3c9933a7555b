"""``flask puchi close-leagues``: the league week's end by hand."""

from __future__ import annotations

import click

from puchi.progress import leagues


@click.command("close-leagues")
def close_leagues_command() -> None:
    """Promote and demote in every league week that has ended (idempotent; the worker does this too)."""
    click.echo(f"closed {leagues.close_finished_weeks()} cohort(s)")


COMMANDS = (close_leagues_command,)
