"""``flask puchi …`` commands for operators: jobs, demo data, accounts."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from puchi.core import outbox

puchi_cli = AppGroup("puchi", help="Puchi operations.")
jobs_cli = AppGroup("jobs", help="The outbox and the job queue.")
puchi_cli.add_command(jobs_cli)


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


@puchi_cli.command("build-icons")
def build_icons_command() -> None:
    """Render the app icons (PNG, plain and maskable) from the project's SVGs into static/icons/generated/."""
    from flask import current_app

    from puchi.core.pwa import build_icons

    for path in build_icons(current_app.static_folder or "static"):
        click.echo(f"wrote {path}")


@puchi_cli.command("close-leagues")
def close_leagues_command() -> None:
    """Promote and demote in every league week that has ended (idempotent; the worker does this too)."""
    from puchi.progress import leagues

    click.echo(f"closed {leagues.close_finished_weeks()} cohort(s)")


@puchi_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
def create_user_command(email: str, display_name: str, password: str, admin: bool) -> None:
    """Create a verified account (an admin, with --admin)."""
    from puchi.accounts import services
    from puchi.core.errors import Invalid

    try:
        user = services.create_verified_user(email=email, display_name=display_name, password=password,
                                             is_admin=admin)
    except Invalid as error:
        raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())) from error
    click.echo(f"created user {user.id} <{user.email}>{' (admin)' if admin else ''}")


@puchi_cli.command("demo-data")
@click.option("--migrate", is_flag=True, help="Apply the migrations first (as `flask db upgrade`), in this process.")
@click.pass_context
def demo_data_command(context: click.Context, migrate: bool) -> None:
    """Load the bundled courses and the demo accounts (idempotent); the accounts' password is 'puchi-demo-1'."""
    from sqlalchemy import select

    if migrate:  # one interpreter start instead of two: scripts/run serves a few seconds sooner
        from flask_migrate import upgrade

        upgrade()

    from puchi.accounts import services
    from puchi.accounts.models import User
    from puchi.core.db import db

    for email, name, admin in (("learner@example.com", "Demo Learner", False),
                               ("admin@example.com", "Demo Admin", True)):
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            services.create_verified_user(email=email, display_name=name, password="puchi-demo-1", is_admin=admin)
            click.echo(f"created {email}")
        else:
            click.echo(f"{email} already there")
    context.invoke(puchi_cli.get_command(context, "load-courses"))


def init_app(app: Flask) -> None:
    app.cli.add_command(puchi_cli)
