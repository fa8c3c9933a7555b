"""Smart reminders, the weekly report and quiet hours, read in each learner's own clock."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core import outbox
from puchi.core.db import action, db
from puchi.learning import services as learning
from puchi.notifications import reminders, schedule
from puchi.notifications.models import Delivery, Notification
from puchi.progress.models import DailyActivity, ProgressProfile
from tests.conftest import post_form
from tests.learning.conftest import spanish  # noqa: F401 - fixture

pytestmark = pytest.mark.usefixtures("spanish")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def learner(app, make_user, spanish):  # noqa: F811
    """Factory: an enrolled learner in a timezone, with a streak last extended on a given day."""

    def make(timezone: str = "Europe/Madrid", *, streak: int = 0, last_active: date | None = None,
             schedule_choice: schedule.Schedule | None = None, enrol: bool = True, **kwargs) -> User:
        user = make_user(timezone=timezone, **kwargs)
        with app.app_context():
            row = db.session.get(User, user.id)
            if enrol:
                learning.enroll(row, spanish)
            profile = db.session.get(ProgressProfile, user.id)  # made with the account
            profile.current_streak = profile.longest_streak = streak
            profile.last_active_date = last_active
            db.session.commit()
            if schedule_choice:
                schedule.save_schedule(row, schedule_choice)
        return user

    return make


def run(app, at: datetime) -> int:
    with time_machine.travel(at, tick=False), app.app_context():
        return reminders.send_due_reminders(at)


def reminders_of(app, user_id: int) -> list[Notification]:
    with app.app_context():
        rows = list(db.session.scalars(select(Notification).where(Notification.user_id == user_id,
                                                                  Notification.kind == "reminder")))
        db.session.expunge_all()
        return rows


def test_one_reminder_at_seven_in_the_evening_with_the_streak_at_stake(app, learner, mailbox):
    ana = learner("Europe/Madrid", streak=12, last_active=date(2026, 11, 25), email="ana@example.com")

    assert run(app, utc(2026, 11, 26, 17, 59)) == 0  # 18:59 in Madrid
    assert run(app, utc(2026, 11, 26, 18, 0)) == 1  # 19:00 in Madrid
    assert run(app, utc(2026, 11, 26, 18, 30)) == 0  # never twice a day
    assert run(app, utc(2026, 11, 26, 22, 59)) == 0

    [reminder] = reminders_of(app, ana.id)
    assert reminder.data == {"streak": 12, "day": "2026-11-26"}
    [message] = mailbox.wait_for("ana@example.com")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Your 12-day streak ends at midnight" in body
    assert "/home" in body
    html = message.get_body(preferencelist=("html",)).get_content()  # both parts say it
    assert "Your 12-day streak ends at midnight" in html and "/home" in html
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_next_day_brings_the_next_reminder(app, learner):
    ben = learner("Europe/Madrid", streak=3, last_active=date(2026, 11, 25))
    assert run(app, utc(2026, 11, 26, 18, 0)) == 1
    assert run(app, utc(2026, 11, 27, 18, 0)) == 1
    assert [r.data["day"] for r in reminders_of(app, ben.id)] == ["2026-11-26", "2026-11-27"]


def test_a_reminder_without_a_streak_at_stake_invites_rather_than_warns(app, learner, mailbox):
    learner("Europe/Madrid", email="new@example.com")  # never practised
    assert run(app, utc(2026, 11, 26, 18, 0)) == 1
    [message] = mailbox.wait_for("new@example.com")
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "streak" not in body and "A few minutes today keep your words fresh" in body


def test_who_is_reminded_depends_on_their_own_clock(app, learner):
    tokyo = learner("Asia/Tokyo", streak=2, last_active=date(2026, 11, 25))
    madrid = learner("Europe/Madrid", streak=2, last_active=date(2026, 11, 25))
    los_angeles = learner("America/Los_Angeles", streak=2, last_active=date(2026, 11, 25))

    assert run(app, utc(2026, 11, 26, 10, 0)) == 1  # 19:00 Tokyo, 11:00 Madrid, 02:00 Los Angeles
    assert [len(reminders_of(app, u.id)) for u in (tokyo, madrid, los_angeles)] == [1, 0, 0]
    assert run(app, utc(2026, 11, 26, 18, 0)) == 1  # 03:00 the next day in Tokyo: too early there
    assert [len(reminders_of(app, u.id)) for u in (tokyo, madrid, los_angeles)] == [1, 1, 0]
    assert run(app, utc(2026, 11, 27, 3, 0)) == 1  # 19:00 on the 26th in Los Angeles
    assert reminders_of(app, los_angeles.id)[0].data["day"] == "2026-11-26"


def test_nobody_who_practised_today_by_their_calendar_is_reminded(app, learner):
    # 10:00 UTC on the 26th is the 26th in Tokyo and Madrid; the Tokyo learner practised on their 26th.
    learner("Asia/Tokyo", streak=5, last_active=date(2026, 11, 26))
    late = learner("Asia/Tokyo", streak=5, last_active=date(2026, 11, 25))
    assert run(app, utc(2026, 11, 26, 10, 0)) == 1
    assert len(reminders_of(app, late.id)) == 1


def test_a_chosen_time_replaces_the_evening(app, learner):
    early = learner("Europe/Madrid", schedule_choice=schedule.Schedule(reminder_time=time(8, 30)))
    assert run(app, utc(2026, 11, 26, 7, 29)) == 0
    assert run(app, utc(2026, 11, 26, 7, 30)) == 1  # 08:30 in Madrid
    assert len(reminders_of(app, early.id)) == 1


def test_reminders_can_be_switched_off_and_go_only_to_learners(app, learner):
    learner("Europe/Madrid", schedule_choice=schedule.Schedule(reminders_on=False))
    learner("Europe/Madrid", enrol=False)  # signed up, never chose a course
    assert run(app, utc(2026, 11, 26, 20, 0)) == 0


def test_never_inside_quiet_hours_but_as_soon_as_they_end_the_same_day(app, learner):
    quiet_early_evening = schedule.Schedule(quiet_start=time(18, 0), quiet_end=time(19, 30))
    cleo = learner("Europe/Madrid", schedule_choice=quiet_early_evening)
    assert run(app, utc(2026, 11, 26, 18, 0)) == 0  # 19:00, but quiet until 19:30
    assert run(app, utc(2026, 11, 26, 18, 29)) == 0
    assert run(app, utc(2026, 11, 26, 18, 30)) == 1  # 19:30: quiet hours are over
    assert len(reminders_of(app, cleo.id)) == 1


def test_quiet_hours_across_midnight_that_cover_the_reminder_time_mean_no_reminder(app, learner):
    night_owl = schedule.Schedule(reminder_time=time(21, 0), quiet_start=time(20, 30), quiet_end=time(8, 0))
    dan = learner("Europe/Madrid", schedule_choice=night_owl)
    for hour, minute in ((20, 0), (21, 0), (22, 59)):  # 21:00 … 23:59 in Madrid
        assert run(app, utc(2026, 11, 26, hour, minute)) == 0
    assert run(app, utc(2026, 11, 27, 7, 0)) == 0  # 08:00 the next day: not yet that day's reminder time
    assert reminders_of(app, dan.id) == []


def test_a_dst_change_keeps_the_reminder_at_local_seven(app, learner):
    # 8 March 2026: New York moves to UTC-4, so 19:00 there is 23:00 UTC (not midnight as in winter).
    eve = learner("America/New_York")
    assert run(app, utc(2026, 3, 8, 22, 59)) == 0
    assert run(app, utc(2026, 3, 8, 23, 0)) == 1
    assert reminders_of(app, eve.id)[0].data["day"] == "2026-03-08"


def test_reminders_stay_out_of_the_notification_centre(app, learner, make_user):
    from puchi.notifications import services

    fay = learner("Europe/Madrid")
    run(app, utc(2026, 11, 26, 18, 0))
    with app.app_context():
        user = db.session.get(User, fay.id)
        assert services.unread_count(user) == 0 and services.latest(user) == []


# --- Quiet hours hold other sends back ------------------------------------------------------------------

def test_a_promotion_during_quiet_hours_waits_for_them_to_end(app, learner, mailbox):
    from puchi.core import events
    from puchi.progress.events import LeaguePromoted

    gus = learner("Europe/Madrid", email="gus@example.com",
                  schedule_choice=schedule.Schedule(quiet_start=time(22, 0), quiet_end=time(7, 0)))
    with time_machine.travel(utc(2026, 11, 26, 23, 0), tick=False), app.app_context():  # midnight in Madrid
        with action():
            events.record(LeaguePromoted(from_tier=1, to_tier=2, rank=1,
                                         week_start=date.fromisoformat("2026-11-23")),
                          actor_id=gus.id, subject=("league_cohort", 1))
        held = db.session.scalar(select(outbox.OutboxMessage)
                                 .where(outbox.OutboxMessage.job == "notifications.deliver"))
        assert held.next_attempt_at == utc(2026, 11, 27, 6, 0)  # 07:00 in Madrid
    assert mailbox.wait_for("gus@example.com", timeout=1) == []

    with time_machine.travel(utc(2026, 11, 27, 5, 0), tick=False), app.app_context():  # 06:00: still quiet
        outbox.relay_due()
    assert mailbox.to("gus@example.com") == []
    with time_machine.travel(utc(2026, 11, 27, 6, 1), tick=False), app.app_context():
        outbox.relay_due()
    assert len(mailbox.wait_for("gus@example.com")) == 1


# --- The weekly report --------------------------------------------------------------------------------

def test_the_weekly_report_arrives_on_the_chosen_day_with_the_weeks_numbers(app, learner, mailbox):
    hana = learner("Asia/Tokyo", streak=4, last_active=date(2026, 11, 28), email="hana@example.com", locale="es",
                   schedule_choice=schedule.Schedule(weekly_day=5))  # Saturday
    with app.app_context():
        for day, xp, lessons in ((date(2026, 11, 23), 30, 2), (date(2026, 11, 25), 20, 1),
                                 (date(2026, 11, 28), 10, 1), (date(2026, 11, 10), 99, 9)):  # the last: too old
            db.session.add(DailyActivity(user_id=hana.id, local_date=day, xp=xp, lessons=lessons, seconds=300))
        db.session.commit()

    def report(at: datetime) -> int:
        with time_machine.travel(at, tick=False), app.app_context():
            return reminders.send_due_reports(at)

    assert report(utc(2026, 11, 27, 12, 0)) == 0  # Friday 21:00 in Tokyo: not the day
    assert report(utc(2026, 11, 27, 23, 0)) == 0  # Saturday 08:00: before the report hour
    assert report(utc(2026, 11, 28, 1, 0)) == 1  # Saturday 10:00
    assert report(utc(2026, 11, 28, 9, 0)) == 0  # once

    [message] = mailbox.wait_for("hana@example.com")
    assert message["Content-Language"] == "es"
    assert "semana" in message["Subject"].lower()  # "Tu semana en Puchi"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<strong>60</strong>" in html and "Lecciones" in html
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "60" in body and "4" in body  # 60 XP over 4 lessons this week (22–28 Nov)
    assert "3" in body  # days practised
    with app.app_context():
        data = db.session.scalar(select(Notification.data).where(Notification.kind == "weekly"))
    assert (data["xp"], data["lessons"], data["days"], data["minutes"], data["streak"]) == (60, 4, 3, 15, 4)


def test_no_weekly_report_for_those_who_switched_it_off(app, learner):
    learner("UTC", schedule_choice=schedule.Schedule(weekly_on=False))
    with time_machine.travel(utc(2026, 11, 29, 12, 0), tick=False), app.app_context():  # a Sunday
        assert reminders.send_due_reports(utc(2026, 11, 29, 12, 0)) == 0


# --- The settings form ----------------------------------------------------------------------------------

def test_the_schedule_is_chosen_on_the_settings_page(app, logged_in):
    client, user = logged_in()
    response = post_form(client, "/account/notifications", {"reminders_on": "y", "reminder_time": "07:45",
                                                             "quiet_start": "22:00", "quiet_end": "06:30",
                                                             "weekly_on": "y", "weekly_day": "0"},
                         action="/account/notifications/schedule")
    assert response.status_code == 302
    with app.app_context():
        chosen = schedule.schedule_of(db.session.get(User, user.id))
    assert chosen == schedule.Schedule(time(22, 0), time(6, 30), time(7, 45), True, 0, True)
    page = client.get("/account/notifications").text
    assert 'value="07:45"' in page and 'value="22:00"' in page


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"reminder_time": "25:00"}, "reminder_time", "Give a time, such as 19:00."),
    ({"reminder_time": ""}, "reminder_time", "Give a time, such as 19:00."),
    ({"reminder_time": "19:00", "quiet_start": "22:00"}, "quiet_end", "Give both the start and the end"),
    ({"reminder_time": "19:00", "quiet_end": "x" * 500}, "quiet_end", "Give a time, such as 19:00."),
    ({"reminder_time": "19:00", "weekly_day": "9"}, "weekly_day", "Choose a day of the week."),
])
def test_a_wrong_schedule_is_shown_again_with_the_reason_and_nothing_saved(app, logged_in, form, field, message):
    client, user = logged_in()
    response = post_form(client, "/account/notifications", {"weekly_day": "6", **form},
                         action="/account/notifications/schedule")
    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}-errors"' in response.text
    with app.app_context():
        assert schedule.schedule_of(db.session.get(User, user.id)) == schedule.Schedule()


def test_the_settings_page_lists_what_was_sent(app, learner, client, auth):
    ivy = learner("Europe/Madrid", email="ivy@example.com")
    run(app, utc(2026, 11, 26, 18, 0))
    with app.app_context():
        assert db.session.scalar(select(func.count(Delivery.id)).where(Delivery.user_id == ivy.id)) == 1
    auth.log_in("ivy@example.com")
    page = client.get("/account/notifications").text
    assert "Daily practice reminder" in page and "Sent" in page
