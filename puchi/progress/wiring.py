"""How progress plugs into the app: its pages, the lesson gate and reward slot, its home section, the
weekly league chore and live table topic, and what it does when lessons are completed."""

from __future__ import annotations

from flask import Flask

from puchi.accounts import services as accounts
from puchi.accounts.events import GuestStarted, UserCreated, UserSignedUp
from puchi.core import cli as core_cli
from puchi.core import events, hooks, outbox, periodic, realtime
from puchi.learning.events import ItemReviewed, LessonCompleted
from puchi.progress import cli, data_registry, leagues, pages, services, tasks, views


def init_app(app: Flask) -> None:
    data_registry.register(app)  # the personal-data registry (GDPR export and deletion)
    app.register_blueprint(views.bp)
    core_cli.add_commands(app, *cli.COMMANDS)
    periodic.add(app, "close league weeks", leagues.close_finished_weeks)
    hooks.add_gate(app, "lesson.start", services.gate_lesson_start)
    hooks.add_slot(app, "lesson_complete", "progress.lesson_reward")
    hooks.add_section(app, "home", pages.home_section, order=20)
    hooks.add_section(app, "out_of_hearts", pages.out_of_hearts_section)
    realtime.add_topic(app, "league")
    events.subscribe(app, LessonCompleted, services.on_lesson_completed)
    events.subscribe(app, ItemReviewed, services.on_item_reviewed)
    events.subscribe(app, UserSignedUp, services.on_user_created)
    events.subscribe(app, UserCreated, services.on_user_created)
    events.subscribe(app, GuestStarted, services.on_user_created)  # a guest's lesson earns XP and spends hearts
    accounts.allow_guests(app, "progress.lesson_reward", "progress.shop")  # a lesson's reward, a heart refill
    outbox.add_handler(app, "leagues.push_table", tasks.push_table)
