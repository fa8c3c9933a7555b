"""Achievements are awarded once with an event and a toast; the home and statistics pages show progress."""

import re
from datetime import UTC, datetime

from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.events import Event
from puchi.progress import achievements
from puchi.progress.models import UserAchievement
from tests.conftest import AuthActions
from tests.progress.conftest import finish_lesson


def test_tiers_are_earned_by_thresholds():
    earned = achievements.earned_tiers({"streak": 8, "xp": 150, "lessons": 0})
    assert {("streak", 1), ("streak", 2), ("xp", 1)} == earned


def test_an_achievement_is_awarded_once_with_an_event(app, enrolled):
    learner = enrolled()
    noon = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)  # neither night owl nor early bird
    finish_lesson(app, learner.id, at=noon)
    finish_lesson(app, learner.id, at=noon.replace(hour=13))
    with app.app_context():
        codes = db.session.execute(select(UserAchievement.code, UserAchievement.tier)
                                   .order_by(UserAchievement.code)).all()
        events = db.session.scalar(select(func.count(Event.id)).where(Event.name == "achievement.unlocked"))
    assert [tuple(row) for row in codes] == [("courses", 1), ("lessons", 1), ("perfect", 1)]
    assert events == 3


def test_two_learners_earn_the_same_achievement_and_each_gets_its_gems(app, enrolled):
    from puchi.progress.models import GemTransaction

    first, second = enrolled(), enrolled()
    noon = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)  # neither night owl nor early bird
    finish_lesson(app, first.id, at=noon)
    finish_lesson(app, second.id, at=noon)  # the same first-lesson achievements, for someone else
    with app.app_context():
        rewards = db.session.execute(select(GemTransaction.user_id, func.count(GemTransaction.id))
                                     .where(GemTransaction.reason == "achievement")
                                     .group_by(GemTransaction.user_id)).all()
    assert dict(rewards) == {first.id: 3, second.id: 3}


def test_a_lesson_finished_late_at_night_earns_the_night_owl(app, enrolled):
    learner = enrolled(timezone="Europe/Madrid")
    finish_lesson(app, learner.id, at=datetime(2026, 5, 4, 22, 30, tzinfo=UTC))  # 00:30 in Madrid
    with app.app_context():
        assert db.session.scalar(select(UserAchievement.id).where(UserAchievement.code == "night_owl"))


def test_the_reward_shows_what_that_lesson_unlocked_even_on_reload_and_the_next_lesson_does_not_repeat_it(
        app, enrolled):
    learner = enrolled()
    session_id = finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    first = client.get(f"/progress/lesson-reward/{session_id}", headers={"HX-Request": "true"}).text
    assert "<strong>Hard worker</strong>" in first and "+15 XP" in first
    assert first.count('class="reward-achievements"') == 1  # every achievement named in one group
    again = client.get(f"/progress/lesson-reward/{session_id}", headers={"HX-Request": "true"}).text
    assert again == first  # reading the reward marks nothing, so a reload shows the same screen

    next_session = finish_lesson(app, learner.id)
    following = client.get(f"/progress/lesson-reward/{next_session}", headers={"HX-Request": "true"}).text
    assert "<strong>Hard worker</strong>" not in following and "XP" in following


def test_the_lesson_that_reaches_the_daily_goal_says_so_once(app, enrolled):
    learner = enrolled()
    with app.app_context():
        db.session.get(User, learner.id).daily_goal = 10
        db.session.commit()
    session_id = finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    reward = client.get(f"/progress/lesson-reward/{session_id}", headers={"HX-Request": "true"}).text
    assert reward.count("Daily goal reached") == 1 and "Daily goal reached! Well done." in reward
    assert 'id="stats_bar"' not in reward  # a lesson's screen has no header to refresh
    # Later the same day the ring alone says it.
    following = client.get(f"/progress/lesson-reward/{finish_lesson(app, learner.id)}",
                           headers={"HX-Request": "true"}).text
    assert following.count("Daily goal reached") == 1 and 'class="goal-done"' in following


def test_another_learners_reward_shows_nothing(app, enrolled):
    learner, other = enrolled(), enrolled()
    session_id = finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(other.email)
    page = client.get(f"/progress/lesson-reward/{session_id}", headers={"HX-Request": "true"})
    assert page.status_code == 200 and "XP" not in page.text


def test_home_shows_the_goal_ring_streak_hearts_gems_and_league(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    home = client.get("/home").text
    assert 'id="goal_ring"' in home and "Daily goal: 15 of 20 XP" in home
    assert "1 day streak" in home and "5 hearts" in home
    # Alone in the league so far: said so, never a bare "#1 of 1".
    assert "#1 of 1" not in home and "League: you are the first this week; others join as they learn" in home
    assert "Continue learning" in home
    assert 'class="goal-ring-goal">/ 20 XP</text>' in home


def test_the_goal_ring_says_its_goal_in_the_learners_words(app, enrolled):
    learner = enrolled(locale="ar")
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    # Arabic says "of 20" (a slash before a number reads backwards in a right-to-left line).
    assert 'class="goal-ring-goal">من 20</text>' in client.get("/home").text


def test_the_statistics_page_draws_charts_with_text_alternatives(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id, mistakes=1)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    page = client.get("/progress").text
    assert page.count('role="img"') >= 3 and "<desc" in page
    assert "Show as a table" in page and "XP in the last 7 days: 10" in page
    assert "Choose the translation" in page  # accuracy by exercise type
    assert "Streak calendar" in page and "day--active" in page
    assert "words learned" in page


def test_the_streak_calendar_heads_its_columns_with_the_days_of_the_week_in_the_learners_language(app, enrolled):
    learner = enrolled()
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    head = r'<th scope="col"><span aria-hidden="true">(.*?)</span><span class="visually-hidden">(.*?)</span>'
    heads = re.findall(head, client.get("/progress").text)
    assert heads == [("M", "Monday"), ("T", "Tuesday"), ("W", "Wednesday"), ("T", "Thursday"), ("F", "Friday"),
                     ("S", "Saturday"), ("S", "Sunday")]  # its weeks start on Monday
    client.post("/language", data={"locale": "fr", "csrf_token": _csrf(client)})
    heads = re.findall(r'<span class="visually-hidden">(\w+)</span></th>', client.get("/progress").text)
    assert heads[:2] == ["lundi", "mardi"]


def test_pages_of_a_learner_with_no_progress_yet_work(app, logged_in):
    client, _ = logged_in()
    for url in ("/home", "/progress", "/leagues", "/shop"):
        assert client.get(url).status_code == 200


def test_the_achievements_page_shows_each_with_its_level_and_the_way_to_the_next(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id, at=datetime(2026, 5, 4, 12, 0, tzinfo=UTC))
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    page = client.get("/achievements").text
    assert "3 of 8 unlocked" in page
    unlocked, locked = page.split("achievement-card--unlocked")[1:], page.split("Scholar")[1]
    assert len(unlocked) == 3
    # Unlocked first: the lessons one (level 1 of 5), with the next goal and how far it is.
    assert "Hard worker" in page.split("Scholar")[0] and "Level 1 of 5" in page and "Finish 10 lessons" in page
    assert "1 of 10" in page and "Unlocked May 4, 2026" in page
    assert "15 of 100" in locked  # Scholar: 15 XP of the first 100
    assert client.get("/progress").text.count('href="/achievements"') >= 1


def test_the_notification_of_an_achievement_names_it(app):
    from puchi.notifications import channels
    from puchi.notifications.models import Notification

    with app.test_request_context():
        first = Notification(kind="achievement", data={"code": "lessons", "tier": 1})
        second = Notification(kind="achievement", data={"code": "streak", "tier": 2})
        unknown = Notification(kind="achievement", data={"code": "retired", "tier": 1})
        assert channels.line(first) == "Achievement unlocked: Hard worker."
        assert channels.line(second) == "Achievement unlocked: On fire, level 2."
        assert channels.line(unknown) == "You unlocked an achievement."
        assert channels.target(first) == "/achievements"


def test_the_notification_centre_names_the_achievement_and_leads_to_the_achievements(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id)  # unlocks "Hard worker"
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    centre = client.get("/notifications").text
    assert "Achievement unlocked: Hard worker." in centre
    assert 'href="/achievements">See your achievements' in centre


def test_the_statistics_page_labels_months_and_localises_its_numbers(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id, at=datetime(2026, 5, 4, 12, 0, tzinfo=UTC))
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    client.post("/language", data={"locale": "es", "csrf_token": _csrf(client)})
    page = client.get("/progress").text
    assert "data-scroll-end" in page
    assert page.count('class="chart-label" x=') >= 12 + 7  # a label per month above the year, per day below the week
    assert ">may<" in page.lower()  # month names in the reader's language
    assert "15 XP" in page


def _csrf(client) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/account/preferences").text).group(1)


def test_words_met_in_one_lesson_are_still_being_learned_not_strong(app, enrolled):
    """One definition of how well a word is known (the lessons' own knowledge level): a first lesson's words
    are not "Strong" the same day, as the course map's level 0 of 5 agrees."""
    import re

    learner = enrolled()
    finish_lesson(app, learner.id)
    client = app.test_client()
    AuthActions(client).log_in(learner.email)
    page = client.get("/progress").text
    counts = dict(re.findall(r'strength--(\w+)"><span>[^<]+</span> <strong>(\d+)</strong>', page))
    assert counts["strong"] == "0" and int(counts["good"]) + int(counts["fading"]) > 0, counts
    assert "Still learning" in page  # the label of words met but not yet recalled twice
