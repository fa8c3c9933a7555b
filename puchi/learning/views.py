"""Pages of the learning domain: the catalogue, the course map, the lesson player, dictionary search."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask import session as cookie
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from jinja2_fragments.flask import render_block

from puchi.accounts import services as accounts
from puchi.accounts.models import DAILY_GOALS
from puchi.core.errors import Conflict, Forbidden, Invalid
from puchi.core.extensions import limiter
from puchi.core.htmx import render_page
from puchi.core.inputs import MAX_INT32, accepts_json, json_body, parse_int
from puchi.learning import exercises, lessons, placement, search, services, speech, test_outs
from puchi.learning.forms import AnswerForm

bp = Blueprint("learning", __name__)
OUT_OF_HEARTS = "out_of_hearts"  # progress's refusal when a lesson would need a heart the learner lacks


def _user():
    return current_user._get_current_object()


@bp.get("/continue")
@login_required
def continue_learning() -> ResponseReturnValue:
    """The app's "Continue learning" shortcut: the next skill of the active course, or the catalogue."""
    enrolment = services.active_enrollment(_user())
    if enrolment is None:
        return redirect(url_for("learning.catalog"))
    next_skill = services.course_map(_user(), enrolment.course).next_skill
    if next_skill is None:
        return redirect(url_for("learning.course_map", slug=enrolment.course.slug))
    return redirect(url_for("learning.skill", skill_id=next_skill.skill.id))


@bp.get("/practice")
@login_required
def practice() -> ResponseReturnValue:
    """The app's "Practice" tab: the ways to practise the active course (the review of what is due; with the
    extra practice modes, the learner's mistakes and hardest words)."""
    enrolment = services.active_enrollment(_user())
    if enrolment is None:
        return redirect(url_for("learning.catalog"))
    course = enrolment.course
    return render_page("learning/practice.html", course=course, due=services.due_count(_user(), course),
                       extra_modes=services.extra_practice_modes(_user()),
                       nothing_to_practise=request.args.get("nothing_to_practise") == "1")


@bp.get("/courses")
@login_required
def catalog() -> ResponseReturnValue:
    return render_page("learning/catalog.html", entries=services.catalog(_user()))


@bp.post("/courses/<slug>/enroll")
@login_required
def enroll(slug: str) -> ResponseReturnValue:
    services.enroll(_user(), slug)
    return redirect(url_for("learning.course_map", slug=slug))


@bp.get("/courses/<slug>")
@login_required
def course_map(slug: str) -> ResponseReturnValue:
    course = services.get_course(slug)
    return render_page("learning/course_map.html", course_map=services.course_map(_user(), course))


@bp.get("/skills/<int:skill_id>")
@login_required
def skill(skill_id: int) -> ResponseReturnValue:
    skill, state = services.get_skill_for(_user(), skill_id)
    return render_page("learning/skill.html", skill=skill, state=state, tips=services.render_tips(skill.tips_markdown),
                       course=services.get_course_by_id(skill.course_id))  # tips are in its source language


@bp.post("/skills/<int:skill_id>/lessons")
@login_required
def start_lesson(skill_id: int) -> ResponseReturnValue:
    try:
        session = lessons.start_lesson(_user(), skill_id)
    except Forbidden as refusal:
        if refusal.code != OUT_OF_HEARTS:
            raise
        # Out of hearts is a state of the game, not an error page: show the ways on.
        skill, _state = services.get_skill_for(_user(), skill_id)
        return render_page("learning/out_of_hearts.html", course=services.get_course_by_id(skill.course_id),
                           skill=skill)
    return redirect(url_for("learning.lesson", session_id=session.id))


@bp.post("/units/<int:unit_id>/test-out")
@login_required
def start_test_out(unit_id: int) -> ResponseReturnValue:
    """ "Jump here": start (or resume) the test on the skills before this unit."""
    try:
        session = test_outs.start_test_out(_user(), unit_id)
    except Conflict:
        return redirect(url_for("learning.course_map", slug=test_outs.course_slug(unit_id)))
    return redirect(url_for("learning.lesson", session_id=session.id))


@bp.post("/courses/<slug>/practice")
@login_required
def start_practice(slug: str) -> ResponseReturnValue:
    mode = request.form.get("mode", lessons.DUE)
    try:
        session = lessons.start_practice(_user(), slug, mode)
    except Conflict:
        if mode == lessons.DUE:
            return redirect(url_for("learning.course_map", slug=slug, nothing_to_practise=1))
        return redirect(url_for("learning.practice", nothing_to_practise=1))
    except Forbidden as refusal:
        flash(str(refusal.message), "error")
        return redirect(url_for("learning.practice"))
    return redirect(url_for("learning.lesson", session_id=session.id))


@bp.get("/lessons/<int:session_id>")
@login_required
def lesson(session_id: int) -> ResponseReturnValue:
    """The current step of a lesson; a finished lesson shows its summary."""
    session = lessons.get_session_for(_user(), session_id)
    summary = lessons.summary(_user(), session_id) if session.status == lessons.COMPLETED else None
    return render_page("learning/lesson.html", "exercise", summary=summary, view=lessons.step_view(session),
                       out_of_hearts=lessons.hearts_refusal(_user(), session), test_out=test_outs.result(session))


@bp.post("/lessons/<int:session_id>/answer")
@login_required
def answer(session_id: int) -> ResponseReturnValue:
    """Check one answer and show the feedback panel in place of the exercise."""
    form = AnswerForm()
    step_index = parse_int(form.step.data, minimum=0, maximum=MAX_INT32)
    if not form.validate_on_submit() or step_index is None:
        abort(400)
    pairs = [request.form.get(f"pair_{i}", "") for i in range(exercises.MATCH_PAIRS)
             if f"pair_{i}" in request.form]
    try:
        result = lessons.submit_answer(_user(), session_id, step_index, form.answer.data or "",
                                       duration_ms=parse_int(form.duration_ms.data, minimum=0, maximum=MAX_INT32),
                                       pairs=pairs, skipped=form.skip.data == "1", hinted=form.hinted.data == "1")
    except Conflict:
        # A stale tab or a step answered elsewhere: show the lesson where it really is.
        return redirect(url_for("learning.lesson", session_id=session_id))
    except Invalid as error:
        if error.code != "answer_empty":
            raise
        # Nothing was given: say so where the answer goes; nothing is graded and no heart is spent.
        session = lessons.get_session_for(_user(), session_id)
        return render_page("learning/lesson.html", "exercise", 422, summary=None, view=lessons.step_view(session),
                           answer_error=error.fields["answer"][0])
    except Forbidden as refusal:
        if refusal.code != OUT_OF_HEARTS:
            raise
        session = lessons.get_session_for(_user(), session_id)
        return render_page("learning/lesson.html", "exercise", summary=None, view=lessons.step_view(session),
                           out_of_hearts=refusal)
    return render_page("learning/lesson.html", "exercise", summary=None,
                       view=lessons.step_view(result.session, feedback=result),
                       out_of_hearts=lessons.hearts_refusal(_user(), result.session))


# --- Offline lessons ---------------------------------------------------------------------------------------

@bp.post("/courses/<slug>/offline")
@login_required
def download_offline(slug: str) -> ResponseReturnValue:
    """The next lessons of the course, with their exercises pre-rendered and their answers, for offline play."""
    try:
        prepared = lessons.prepare_offline(_user(), slug)
    except Conflict:
        return jsonify(lessons=[]), 200
    packs = []
    for session in prepared:
        steps = [{**expectation, "html": render_block("learning/lesson.html", "exercise", summary=None,
                                                      view=lessons.step_view(session, index=index))}
                 for index, expectation in enumerate(lessons.offline_expectations(session))]
        packs.append({"session_id": session.id, "course": slug, "skill_id": session.skill_id,
                      "downloaded_at": session.started_at.isoformat(), "steps": steps})
    labels = {"correct": _("Correct!"), "almost": _("Almost! Mind the spelling:"), "wrong": _("Not quite."),
              "right_answer": _("Right answer:"), "continue": _("Continue"), "complete": _("Lesson complete!"),
              "ending": _("Check the ending:"), "accent": _("Mind the accent, it changes the meaning:"),
              "other_word": _("That is another word. Check:"),
              "accuracy": _("Accuracy"), "later": _("Your results will be sent when you are back online."),
              "none": _("No lessons are downloaded yet. Download some from a course map while you are online.")}
    return jsonify(lessons=packs, labels=labels)


@bp.post("/lessons/<int:session_id>/sync")
@accepts_json
@login_required
def sync_offline(session_id: int) -> ResponseReturnValue:
    """Apply a lesson played offline; safe to send again (it is applied once)."""
    payload = json_body()
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), list):
        raise Invalid(fields={"answers": [_l("Send a JSON object with a list of answers.")]}, code="answers_missing")
    answers = []
    try:
        for raw in payload["answers"][:200]:
            step = parse_int(raw["step"], minimum=0, maximum=MAX_INT32)
            if step is None:
                raise ValueError("a step is a small whole number")
            at = datetime.fromisoformat(str(raw["answered_at"]).replace("Z", "+00:00"))
            answers.append(lessons.OfflineAnswer(
                step=step, answer=str(raw.get("answer", ""))[:lessons.MAX_ANSWER_LENGTH],
                answered_at=at if at.tzinfo else at.replace(tzinfo=UTC),
                duration_ms=parse_int(raw.get("duration_ms"), minimum=0, maximum=MAX_INT32),
                pairs=[str(p) for p in raw.get("pairs", [])][:10] if raw.get("pairs") else None,
                skipped=bool(raw.get("skipped")), hinted=raw.get("hinted") is True))
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise Invalid(fields={"answers": [_l("Each answer needs its step, the answer and when it was given.")]},
                      code="answer_malformed") from error
    session = lessons.apply_offline(_user(), session_id, str(payload.get("client_id", "")), answers)
    return jsonify(status=session.status, session_id=session.id)


@bp.get("/offline/lesson")
def offline_player() -> ResponseReturnValue:
    """The offline lesson player: a shell with no personal data (lessons come from the browser's storage)."""
    response = current_app.make_response(render_template("learning/offline_player.html"))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/dictionary")
@login_required
def dictionary() -> ResponseReturnValue:
    query = request.args.get("q", "")[:100]
    results = search.search_items(_user(), query) if query.strip() else []
    return render_page("learning/dictionary.html", "results", query=query, results=results)


# --- Media: items' pictures and recordings (keys name the bytes' hash, so they are cached for good) -------------

@bp.get("/media/<path:key>")
def media(key: str) -> ResponseReturnValue:
    """A picture or recording an item names: from the media folder, or sent on to the bucket that holds it."""
    direct = services.media_location(key)
    if direct:
        return redirect(direct)
    found = services.open_media(key)
    response = current_app.response_class(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.get("/items/<int:item_id>/speech/<digest>")
def item_speech(item_id: int, digest: str) -> ResponseReturnValue:
    """An item spoken aloud: the course's own recording, else text to speech rendered once and kept (the
    digest names the engine, voice and text, so the address is cached for good)."""
    found = speech.item_speech(item_id, digest[:64])
    if isinstance(found, str):
        return redirect(found)
    response = current_app.response_class(found.data, mimetype=found.content_type)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- Onboarding: try a course as a guest, a daily goal, new or placement test ------------------------------

@bp.post("/try/<slug>")
@limiter.limit(lambda: current_app.config["RATELIMIT_GUEST"], methods=["POST"])
def try_course(slug: str) -> ResponseReturnValue:
    """Start trying a course before signing up: a guest account, enrolled, signed in (or, for a learner,
    just the course)."""
    if current_user.is_authenticated:
        services.enroll(_user(), slug)
        return redirect(url_for("learning.welcome_goal"))
    guest = accounts.start_guest(course=slug, locale=str(get_locale() or "en"),
                                 timezone=request.form.get("timezone", "UTC")[:64],
                                 user_agent=request.user_agent.string)
    cookie.clear()  # a fresh session for the new account (fixation)
    login_user(guest, remember=True)
    return redirect(url_for("learning.welcome_goal"))


def _goal_options() -> list[tuple[int, str, str]]:
    names = {"casual": _("Casual"), "regular": _("Regular"), "serious": _("Serious"), "intense": _("Intense")}
    minutes = {"casual": 5, "regular": 10, "serious": 15, "intense": 20}
    return [(xp, names[level], ngettext("About %(num)s minute a day", "About %(num)s minutes a day", minutes[level]))
            for xp, level in DAILY_GOALS.items()]


@bp.route("/welcome/goal", methods=["GET", "POST"])
@login_required
def welcome_goal() -> ResponseReturnValue:
    """"How much time a day?": the daily XP goal (changeable later in the preferences)."""
    errors: list[str] = []
    if request.method == "POST":
        try:
            accounts.set_daily_goal(_user(), parse_int(request.form.get("daily_goal"), minimum=0, maximum=MAX_INT32))
        except Invalid as error:
            errors = error.fields.get("daily_goal", [])
        else:
            return redirect(url_for("learning.welcome_level"))
    return render_page("learning/welcome_goal.html", status=422 if errors else 200, options=_goal_options(),
                       current=_user().daily_goal, errors=errors)


@bp.get("/welcome/level")
@login_required
def welcome_level() -> ResponseReturnValue:
    """"New to it, or know some?": start from the first lesson, or take the placement test."""
    enrolment = services.active_enrollment(_user())
    if enrolment is None:
        return redirect(url_for("learning.catalog"))
    return render_page("learning/welcome_level.html", course=enrolment.course)


_PLACEMENT = "placement"  # the test's state in the signed session cookie


def _placement_state(slug: str) -> placement.PlacementState | None:
    state = placement.PlacementState.from_dict(cookie.get(_PLACEMENT))
    if state is None or state.course_id != services.get_course(slug).id:
        return None
    return state


@bp.post("/courses/<slug>/placement")
@login_required
def start_placement(slug: str) -> ResponseReturnValue:
    try:
        cookie[_PLACEMENT] = placement.start(_user(), slug).to_dict()
    except Conflict:
        return redirect(url_for("learning.course_map", slug=slug))
    return redirect(url_for("learning.placement_test", slug=slug))


@bp.get("/courses/<slug>/placement")
@login_required
def placement_test(slug: str) -> ResponseReturnValue:
    """The placement test's current question (or its start, when none is under way)."""
    course = services.get_course(slug)
    return render_page("learning/placement.html", course=course, state=_placement_state(slug))


@bp.post("/courses/<slug>/placement/answer")
@login_required
def placement_answer(slug: str) -> ResponseReturnValue:
    state = _placement_state(slug)
    item_id = parse_int(request.form.get("item"), minimum=1, maximum=MAX_INT32)
    if state is None or item_id is None:
        return redirect(url_for("learning.placement_test", slug=slug))
    choice = None if request.form.get("skip") == "1" else request.form.get("answer")
    if choice is None and request.form.get("skip") != "1":
        return render_page("learning/placement.html", status=422, course=services.get_course(slug), state=state,
                           error=_("Choose an answer, or press “I don't know”."))
    try:
        state, placed = placement.submit(_user(), slug, state, item_id, choice)
    except Conflict:  # answered already (another tab): show where the test really is
        return redirect(url_for("learning.placement_test", slug=slug))
    if placed is None:
        cookie[_PLACEMENT] = state.to_dict()
        return redirect(url_for("learning.placement_test", slug=slug))
    cookie.pop(_PLACEMENT, None)
    if placed:
        flash(ngettext("You placed past %(num)s skill. Start here!", "You placed past %(num)s skills. Start here!",
                       placed), "success")
    else:
        flash(_("Let's start from the beginning."), "info")
    return redirect(url_for("learning.course_map", slug=slug))
