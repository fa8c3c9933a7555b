"""``flask puchi create-user``, and the demo accounts that ``flask puchi demo-data`` loads."""

from __future__ import annotations

import click
from sqlalchemy import select

from puchi.accounts import services
from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.errors import Invalid

DEMO_PASSWORD = "puchi-demo-1"
DEMO_ACCOUNTS = (("learner@example.com", "Demo Learner", False), ("admin@example.com", "Demo Admin", True))


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the account the admin role.")
def create_user_command(email: str, display_name: str, password: str, admin: bool) -> None:
    """Create a verified account (an admin, with --admin)."""
    try:
        user = services.create_verified_user(email=email, display_name=display_name, password=password,
                                             is_admin=admin)
    except Invalid as error:
        raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())) from error
    click.echo(f"created user {user.id} <{user.email}>{' (admin)' if admin else ''}")


def load_demo_accounts() -> None:
    """The demo learner and admin (password ``puchi-demo-1``), made once."""
    for email, name, admin in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            services.create_verified_user(email=email, display_name=name, password=DEMO_PASSWORD, is_admin=admin)
            click.echo(f"created {email}")
        else:
            click.echo(f"{email} already there")


COMMANDS = (create_user_command,)
