"""``flask puchi create-user``, and the demo accounts that ``flask puchi demo-data`` loads."""

from __future__ import annotations

import click
from sqlalchemy import select

from puchi.accounts import services
from puchi.accounts.models import User
from puchi.accounts.roles import Role
from puchi.core.db import db
from puchi.core.errors import Invalid

DEMO_PASSWORD = "puchi-demo-1"
DEMO_ACCOUNTS = (("learner@example.com", "Demo Learner", Role.LEARNER),
                 ("admin@example.com", "Demo Admin", Role.ADMIN),
                 ("editor@example.com", "Demo Editor", Role.EDITOR),
                 ("support@example.com", "Demo Support", Role.SUPPORT))


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Give the account the admin role (the same as --role admin).")
@click.option("--role", type=click.Choice([role.value for role in Role]), default=Role.LEARNER.value,
              help="The account's role.")
def create_user_command(email: str, display_name: str, password: str, admin: bool, role: str) -> None:
    """Create a verified account (staff, with --role or --admin: they set up two-step verification first)."""
    try:
        user = services.create_verified_user(email=email, display_name=display_name, password=password,
                                             is_admin=admin, role=role)
    except Invalid as error:
        raise click.ClickException("; ".join(f"{k}: {' '.join(v)}" for k, v in error.fields.items())) from error
    click.echo(f"created user {user.id} <{user.email}> ({user.role})")


def load_demo_accounts() -> None:
    """The demo learner and staff (password ``puchi-demo-1``), made once."""
    for email, name, role in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            services.create_verified_user(email=email, display_name=name, password=DEMO_PASSWORD, role=role)
            click.echo(f"created {email}")
        else:
            click.echo(f"{email} already there")


COMMANDS = (create_user_command,)
