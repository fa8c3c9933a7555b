"""How notifications plugs into the app: its pages, push and phone endpoints, commands, the reminder and
report chores, the channels it delivers through, and the events it tells learners about."""

from __future__ import annotations

from flask import Flask

from puchi.accounts.events import LoggedOut, ProfileHidden, ProfileUnhidden, UserSignedUp
from puchi.billing.events import InvoicePaid, PaymentActionRequired, PaymentFailed, PremiumStarted, TrialEnding
from puchi.core import cli as core_cli
from puchi.core import events, outbox, periodic
from puchi.notifications import (
    channels,
    cli,
    data_registry,
    phone_views,
    phones,
    push,
    push_views,
    reminders,
    services,
    sms,
    tasks,
    views,
)
from puchi.progress.events import AchievementUnlocked, LeagueDemoted, LeaguePromoted
from puchi.social.events import LearnerWarned, ReportResolved, UserCheered, UserFollowed, UserNudged


def init_app(app: Flask) -> None:
    data_registry.register(app)  # the personal-data registry (GDPR export and deletion)
    app.register_blueprint(views.bp)
    app.register_blueprint(push_views.bp)
    app.register_blueprint(phone_views.bp)
    core_cli.add_commands(app, *cli.COMMANDS)
    periodic.add(app, "daily reminders", reminders.send_due_reminders)
    periodic.add(app, "weekly reports", reminders.send_due_reports)
    events.subscribe(app, LoggedOut, push.forget_browser_on_log_out)
    events.subscribe(app, UserSignedUp, channels.consent_at_sign_up)  # GDPR consents
    events.subscribe(app, UserCheered, services.on_cheered)
    events.subscribe(app, UserNudged, services.on_nudged)
    events.subscribe(app, UserFollowed, services.on_followed)
    events.subscribe(app, ProfileHidden, services.on_profile_hidden_or_shown)
    events.subscribe(app, ProfileUnhidden, services.on_profile_hidden_or_shown)
    events.subscribe(app, AchievementUnlocked, services.on_achievement)
    events.subscribe(app, LeaguePromoted, services.on_promoted)
    events.subscribe(app, LeagueDemoted, services.on_demoted)
    events.subscribe(app, PremiumStarted, services.on_premium_started)
    events.subscribe(app, TrialEnding, services.on_trial_ending)
    events.subscribe(app, InvoicePaid, services.on_invoice_paid)
    events.subscribe(app, PaymentFailed, services.on_payment_failed)
    events.subscribe(app, ReportResolved, services.on_report_resolved)
    events.subscribe(app, LearnerWarned, services.on_learner_warned)
    events.subscribe(app, PaymentActionRequired, services.on_payment_action_required)
    channels.add_adapter(app, "email", reachable=channels.email_reachable, send=channels.send_email)
    channels.add_adapter(app, "push", reachable=push.reachable, send=push.send)
    channels.add_adapter(app, "sms", reachable=sms.reachable, send=sms.send)
    outbox.add_handler(app, "notifications.push", tasks.push_notification)
    outbox.add_handler(app, "notifications.deliver", channels.deliver, on_give_up=channels.gave_up)
    outbox.add_handler(app, "notifications.push_device", push.push_device, on_give_up=channels.gave_up)
    outbox.add_handler(app, "notifications.phone_code", phones.send_code)
