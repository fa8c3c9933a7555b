"""Notification commands: ``vapid-keys`` (this server's identity to push services), ``send-reminders`` (the
reminder job by hand) and ``deliveries`` (the send log: failed sends, retry)."""

from __future__ import annotations

import click

from puchi.core.db import now
from puchi.notifications import channels, reminders
from puchi.notifications.push import generate_vapid_keys


@click.command("vapid-keys")
def vapid_keys_command() -> None:
    """Print a fresh VAPID key pair as environment variables. Changing keys later means browsers must
    subscribe again, so generate them once per deployment and keep the private key secret."""
    public, private = generate_vapid_keys()
    click.echo(f"VAPID_PUBLIC_KEY={public}")
    click.echo(f"VAPID_PRIVATE_KEY={private}")


@click.command("send-reminders")
def send_reminders_command() -> None:
    """Queue the reminders and weekly reports that are due now (the worker does this every minute)."""
    at = now()
    reminded, reported = reminders.send_due_reminders(at), reminders.send_due_reports(at)
    click.echo(f"queued {reminded} reminder(s) and {reported} weekly report(s)")


@click.group("deliveries")
def deliveries_group() -> None:
    """Notification sends: list the failed ones, retry one."""


@deliveries_group.command("failed")
def failed_command() -> None:
    """List sends that failed every attempt."""
    for delivery in channels.failed_deliveries():
        click.echo(f"{delivery.id}\t{delivery.channel}\t{delivery.kind}\tattempts={delivery.attempts}\t"
                   f"{delivery.last_error or ''}")


@deliveries_group.command("retry")
@click.argument("delivery_id", type=int)
def retry_command(delivery_id: int) -> None:
    """Send a failed delivery again."""
    if not channels.retry_delivery(delivery_id):
        raise click.ClickException(f"no failed delivery {delivery_id}")
    click.echo(f"queued delivery {delivery_id} again")


COMMANDS = (vapid_keys_command, send_reminders_command, deliveries_group)
