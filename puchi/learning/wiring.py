"""How learning plugs into the app: its pages, course commands, the home section, the offline player and the
background fits of FSRS weights."""

from __future__ import annotations

from flask import Flask

from puchi.accounts import services as accounts
from puchi.accounts.events import GuestStarted, UserSignedUp
from puchi.core import cli as core_cli
from puchi.core import events, hooks, outbox, periodic, pwa
from puchi.learning import (
    backfill,
    cli,
    data_registry,
    difficulty_jobs,
    fitting_jobs,
    media,
    onboarding,
    services,
    speech,
    views,
)


def init_app(app: Flask) -> None:
    data_registry.register(app)  # the personal-data registry (GDPR export and deletion)
    app.register_blueprint(views.bp)
    app.add_template_global(media.media_url, "media_url")  # an item's picture or recording in lessons
    app.add_template_global(speech.item_audio_url, "item_audio_url")  # its recording, or text to speech
    core_cli.add_commands(app, *cli.COMMANDS)
    core_cli.add_demo_loader(app, cli.load_bundled_courses, order=20)
    hooks.add_section(app, "home", services.home_section, order=10)
    # Onboarding: the courses a newcomer can choose, and their enrolment in the one chosen (at sign-up or as a
    # guest trying the first lesson, who may use every learning page).
    hooks.add_section(app, "landing", onboarding.landing_courses)
    accounts.add_course_choices(app, onboarding.course_choices)
    accounts.allow_guests(app, "learning.*")
    events.subscribe(app, GuestStarted, onboarding.on_guest_started)
    events.subscribe(app, UserSignedUp, onboarding.on_signed_up)
    pwa.add_precached_page(app, "learning.offline_player")
    outbox.add_handler(app, fitting_jobs.FIT_LEARNER, fitting_jobs.fit_learner)
    outbox.add_handler(app, fitting_jobs.FIT_COURSE, fitting_jobs.fit_course)
    periodic.add(app, "fit FSRS weights", fitting_jobs.queue_fits)
    # The P(correct) model lessons are aimed with: retrained once a day when enough new answers came.
    periodic.add(app, "train the difficulty model", difficulty_jobs.queue_training)
    outbox.add_handler(app, difficulty_jobs.TRAIN_JOB, difficulty_jobs.train_version)
    # Answers stored before ratings were kept get them, a batch a minute (or all at once: backfill-ratings).
    periodic.add(app, "backfill ratings", backfill.backfill_chore)
