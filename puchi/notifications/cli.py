"""``flask puchi vapid-keys``: the key pair that identifies this server to browsers' push services."""

from __future__ import annotations

import click

from puchi.core.cli import puchi_cli


@puchi_cli.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a fresh VAPID key pair as environment variables. Changing keys later means browsers must
    subscribe again, so generate them once per deployment and keep the private key secret."""
    from puchi.notifications.push import generate_vapid_keys

    public, private = generate_vapid_keys()
    click.echo(f"VAPID_PUBLIC_KEY={public}")
    click.echo(f"VAPID_PRIVATE_KEY={private}")
