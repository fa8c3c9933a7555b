"""``flask puchi …``: the operators' command group (jobs, icons, demo data) that each domain adds its commands to."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from puchi.core import outbox
from puchi.core.pwa import build_icons

DemoLoader = Callable[[], None]
_GROUP_KEY, _DEMO_KEY = "puchi.cli", "puchi.demo_loaders"
jobs_cli = AppGroup("jobs", help="The outbox and the job queue.")


@jobs_cli.command("relay")
def relay_command() -> None:
    """Hand over every outbox message that is due (after a Redis outage, or retries)."""
    count = outbox.relay_due()
    click.echo(f"handed over {count} message(s)")


@jobs_cli.command("failed")
def failed_command() -> None:
    """List messages whose every attempt failed."""
    messages = outbox.failed_messages()
    if not messages:
        click.echo("no failed jobs")
    for message in messages:
        click.echo(f"{message.id}\t{message.job}\tattempts={message.attempts}\t{message.created_at:%Y-%m-%d %H:%M}"
                   f"\t{message.last_error}")


@jobs_cli.command("retry")
@click.argument("message_id", type=int)
def retry_command(message_id: int) -> None:
    """Give a failed message a fresh set of attempts."""
    if outbox.retry_failed(message_id):
        click.echo(f"message {message_id} handed over again")
    else:
        raise click.ClickException(f"message {message_id} is not a failed message")


@click.command("build-icons")
def build_icons_command() -> None:
    """Render the app icons (PNG, plain and maskable) from the project's SVGs into static/icons/generated/."""
    for path in build_icons(current_app.static_folder or "static"):
        click.echo(f"wrote {path}")


@click.command("demo-data")
@click.option("--migrate", is_flag=True, help="Apply the migrations first (as `flask db upgrade`), in this process.")
def demo_data_command(migrate: bool) -> None:
    """Load the demo data every domain offers (accounts, courses…); idempotent."""
    if migrate:  # one interpreter start instead of two: scripts/run serves a few seconds sooner
        upgrade()
    for _, loader in current_app.extensions[_DEMO_KEY]:
        loader()


def add_commands(app: Flask, *commands: click.Command) -> None:
    """Put a domain's commands under ``flask puchi``."""
    group: click.Group = app.extensions[_GROUP_KEY]
    for command in commands:
        group.add_command(command)


def add_demo_loader(app: Flask, loader: DemoLoader, order: int = 50) -> None:
    """Have ``flask puchi demo-data`` call ``loader`` (lower order first); it reports with click.echo."""
    loaders: list[tuple[int, DemoLoader]] = app.extensions[_DEMO_KEY]
    if all(existing is not loader for _, existing in loaders):
        loaders.append((order, loader))
        loaders.sort(key=lambda pair: pair[0])


def init_app(app: Flask) -> None:
    # One group per app: what the domains add to it belongs to this app, not to the process.
    group = AppGroup("puchi", help="Puchi operations.")
    group.add_command(jobs_cli)
    group.add_command(build_icons_command)
    group.add_command(demo_data_command)
    app.extensions[_GROUP_KEY] = group
    app.extensions[_DEMO_KEY] = []
    app.cli.add_command(group)
