"""The content studio's pages (``/admin/studio``): a course's units and skills, a skill's words, phrases,
exercises and tips, the mini-dictionary, the preview as a learner and the publish confirmation.

Thin: each view parses the form and calls one of learning's services, which check ``Capability.CONTENT`` and
keep the rules. Row edits answer HTMX with the row's fragment and plain forms with a redirect."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from puchi.accounts import services as accounts
from puchi.core.errors import Forbidden, Invalid, NotFound
from puchi.core.htmx import render_page, wants_fragment
from puchi.core.inputs import parse_int
from puchi.core.redirects import safe_next
from puchi.learning import services as learning

bp = Blueprint("studio", __name__, url_prefix="/admin/studio")


@bp.before_request
@login_required
def staff_only() -> ResponseReturnValue | None:
    try:
        accounts.require_staff(current_user._get_current_object())  # each service checks the capability again
    except Forbidden as refusal:
        if refusal.code == accounts.ADMIN_NEEDS_MFA:
            return redirect(url_for("mfa.admin_needs_mfa"))
        raise
    return None


def _me() -> Any:
    return current_user._get_current_object()


def _text(name: str, limit: int = 2000) -> str:
    return (request.form.get(name) or "")[:limit]


def _back(course_id: int, slug: str | None = None, anchor: str = "") -> ResponseReturnValue:
    if slug:
        return redirect(url_for("studio.skill", course_id=course_id, slug=slug) + anchor)
    return redirect(url_for("studio.course", course_id=course_id) + anchor)


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_page("admin/studio/index.html", courses=learning.studio_courses(_me()))


@bp.get("/<int:course_id>")
def course(course_id: int) -> ResponseReturnValue:
    return render_page("admin/studio/course.html", state=learning.studio_course(_me(), course_id))


def _course_form_error(course_id: int, error: Invalid) -> ResponseReturnValue:
    return render_page("admin/studio/course.html", status=422, state=learning.studio_course(_me(), course_id),
                       errors=error.fields, form=request.form)


@bp.post("/<int:course_id>/details")
def save_course(course_id: int) -> ResponseReturnValue:
    try:
        learning.save_course(_me(), course_id, _text("title", 200), _text("description"))
    except Invalid as error:
        return _course_form_error(course_id, error)
    flash(_("Saved in the draft."), "success")
    return _back(course_id)


@bp.post("/<int:course_id>/units")
def add_unit(course_id: int) -> ResponseReturnValue:
    try:
        learning.add_unit(_me(), course_id, _text("title", 200))
    except Invalid as error:
        return _course_form_error(course_id, error)
    return _back(course_id)


@bp.post("/<int:course_id>/units/<int:index>")
def save_unit(course_id: int, index: int) -> ResponseReturnValue:
    try:
        learning.save_unit(_me(), course_id, index, _text("title", 200))
    except Invalid as error:
        return _course_form_error(course_id, error)
    return _back(course_id, anchor=f"#unit-{index}")


@bp.post("/<int:course_id>/units/<int:index>/delete")
def delete_unit(course_id: int, index: int) -> ResponseReturnValue:
    learning.delete_unit(_me(), course_id, index)
    flash(_("Unit deleted from the draft."), "success")
    return _back(course_id)


@bp.post("/<int:course_id>/units/<int:index>/skills")
def add_skill(course_id: int, index: int) -> ResponseReturnValue:
    try:
        learning.add_skill(_me(), course_id, index, _text("title", 200))
    except Invalid as error:
        return _course_form_error(course_id, error)
    return _back(course_id, anchor=f"#unit-{index}")


@bp.post("/<int:course_id>/order")
def reorder(course_id: int) -> ResponseReturnValue:
    """Move one row up or down (the buttons), or put a whole list in a new order (drag and drop)."""
    scope = _text("scope", 200)
    count = parse_int(request.form.get("count"), minimum=0, maximum=10_000) or 0
    if request.form.get("order") is not None:
        order = [parse_int(part, minimum=0, maximum=10_000) for part in _text("order", 50_000).split(",") if part]
        wanted = [n for n in order if n is not None]
    else:
        index = parse_int(request.form.get("index"), minimum=0, maximum=10_000)
        step = -1 if request.form.get("move") == "up" else 1
        wanted = list(range(count))
        if index is not None and 0 <= index + step < count:
            wanted[index], wanted[index + step] = wanted[index + step], wanted[index]
    try:
        learning.reorder_draft(_me(), course_id, scope, wanted)
    except Invalid:
        flash(_("The list changed meanwhile: try again."), "error")
    if wants_fragment():
        return "", 204
    slug = scope[6:] if scope.startswith("skill:") else None
    return _back(course_id, slug)


@bp.post("/<int:course_id>/discard")
def discard(course_id: int) -> ResponseReturnValue:
    learning.discard_draft(_me(), course_id)
    flash(_("The draft was discarded."), "success")
    return _back(course_id)


# --- History: undo and restore ---------------------------------------------------------------------------------

def change_labels() -> dict[str, str]:
    """Each kind of draft edit (``course.draft_edited``'s change), as the history names it."""
    return {"course.saved": _("Course details edited"), "unit.added": _("Unit added"), "unit.saved": _("Unit renamed"),
            "unit.deleted": _("Unit deleted"), "skill.added": _("Skill added"), "skill.saved": _("Skill edited"),
            "skill.deleted": _("Skill deleted"), "item.added": _("Word or phrase added"),
            "item.saved": _("Word or phrase edited"), "item.deleted": _("Word or phrase deleted"),
            "exercise.saved": _("Exercise saved"), "exercise.deleted": _("Exercise deleted"),
            "dictionary.saved": _("Dictionary entry saved"), "dictionary.deleted": _("Dictionary entry deleted"),
            "order.changed": _("Order changed"),
            "draft.restored": _("Restored to before an earlier edit")}


def _return_to(course_id: int) -> str:
    """Where an undo goes back to: the studio page of this course it was asked from, else the history."""
    default, course_page = url_for("studio.history", course_id=course_id), url_for("studio.course", course_id=course_id)
    target = safe_next(request.form.get("next"), default)
    return target if target == course_page or target.startswith(course_page + "/") else default


@bp.get("/<int:course_id>/history")
def history(course_id: int) -> ResponseReturnValue:
    return render_page("admin/studio/history.html", history=learning.draft_history(_me(), course_id),
                       labels=change_labels())


@bp.post("/<int:course_id>/undo")
def undo(course_id: int) -> ResponseReturnValue:
    undone = learning.undo_edit(_me(), course_id, _text("stamp", 200))
    flash(_("Undone: %(edit)s.", edit=f"{change_labels().get(undone.change, undone.change)} ({undone.summary})"),
          "success")
    return redirect(_return_to(course_id))


@bp.post("/<int:course_id>/history/<int:revision_id>/restore")
def restore(course_id: int, revision_id: int) -> ResponseReturnValue:
    restored = learning.restore_revision(_me(), course_id, revision_id, _text("stamp", 200))
    flash(_("The draft is back to how it was before: %(edit)s. Undo takes this back.",
            edit=f"{change_labels().get(restored.change, restored.change)} ({restored.summary})"), "success")
    return redirect(url_for("studio.history", course_id=course_id))


# --- A skill -----------------------------------------------------------------------------------------------------

def _skill_page(course_id: int, slug: str, *, status: int = 200, **context: Any) -> ResponseReturnValue:
    state = learning.studio_course(_me(), course_id)
    found = next(((u, s) for u in state.data.units for s in u.skills if s.slug == slug), None)
    if found is None:
        raise NotFound
    context.setdefault("editing", parse_int(request.args.get("edit"), minimum=0, maximum=10_000))
    return render_page("admin/studio/skill.html", status=status, state=state, unit=found[0], skill=found[1],
                       **context)


@bp.get("/<int:course_id>/skills/<slug>")
def skill(course_id: int, slug: str) -> ResponseReturnValue:
    return _skill_page(course_id, slug)


@bp.post("/<int:course_id>/skills/<slug>")
def save_skill(course_id: int, slug: str) -> ResponseReturnValue:
    try:
        learning.save_skill(_me(), course_id, slug, _text("title", 200), _text("tips", 20_000))
    except Invalid as error:
        return _skill_page(course_id, slug, status=422, skill_errors=error.fields)
    flash(_("Saved in the draft."), "success")
    return _back(course_id, slug)


@bp.post("/<int:course_id>/skills/<slug>/delete")
def delete_skill(course_id: int, slug: str) -> ResponseReturnValue:
    learning.delete_skill(_me(), course_id, slug)
    flash(_("Skill deleted from the draft."), "success")
    return _back(course_id)


def _row(course_id: int, slug: str, index: int, *, editing: bool, status: int = 200,
         errors: dict[str, list[str]] | None = None) -> ResponseReturnValue:
    """One item's row: as the HTMX fragment it swaps, or the skill page with that row (plain forms)."""
    state = learning.studio_course(_me(), course_id)
    found = next((s for u in state.data.units for s in u.skills if s.slug == slug), None)
    if found is None or not 0 <= index < len(found.items):
        raise NotFound
    if not wants_fragment():
        return _skill_page(course_id, slug, status=status, editing=index if editing else None, item_errors=errors,
                           form=request.form if errors else None)
    return render_page("admin/studio/skill.html", "item_row", status=status, state=state, skill=found,
                       item=found.items[index], index=index, editing=index if editing else None,
                       item_errors=errors, form=request.form if errors else None,
                       bar_out_of_band=request.method == "POST" and not errors)


@bp.get("/<int:course_id>/skills/<slug>/items/<int:index>")
def item_row(course_id: int, slug: str, index: int) -> ResponseReturnValue:
    return _row(course_id, slug, index, editing=request.args.get("edit") == "1")


def _item_input() -> learning.ItemInput:
    return learning.ItemInput(text=_text("text", 400), translation=_text("translation", 400),
                              alternatives=_text("alternatives", 8000),
                              alternative_translations=_text("alternative_translations", 8000),
                              kind=_text("kind", 10) or "word")


@bp.post("/<int:course_id>/skills/<slug>/items/<int:index>")
def save_item(course_id: int, slug: str, index: int) -> ResponseReturnValue:
    try:
        learning.save_item(_me(), course_id, slug, index, _item_input())
    except Invalid as error:
        return _row(course_id, slug, index, editing=True, status=422, errors=error.fields)
    if wants_fragment():
        return _row(course_id, slug, index, editing=False)
    flash(_("Saved in the draft."), "success")
    return _back(course_id, slug, f"#item-{index}")


@bp.post("/<int:course_id>/skills/<slug>/items")
def add_item(course_id: int, slug: str) -> ResponseReturnValue:
    try:
        learning.save_item(_me(), course_id, slug, None, _item_input())
    except Invalid as error:
        return _skill_page(course_id, slug, status=422, new_item_errors=error.fields, form=request.form)
    flash(_("Added to the draft."), "success")
    return _back(course_id, slug)


@bp.post("/<int:course_id>/skills/<slug>/items/<int:index>/delete")
def delete_item(course_id: int, slug: str, index: int) -> ResponseReturnValue:
    learning.delete_item(_me(), course_id, slug, index)
    flash(_("Deleted from the draft."), "success")
    return _back(course_id, slug)


@bp.post("/<int:course_id>/skills/<slug>/exercises")
def add_exercise(course_id: int, slug: str) -> ResponseReturnValue:
    return _save_exercise(course_id, slug, None)


@bp.post("/<int:course_id>/skills/<slug>/exercises/<int:index>")
def save_exercise(course_id: int, slug: str, index: int) -> ResponseReturnValue:
    return _save_exercise(course_id, slug, index)


def _save_exercise(course_id: int, slug: str, index: int | None) -> ResponseReturnValue:
    try:
        learning.save_exercise(_me(), course_id, slug, index, _text("sentence", 400), _text("answer", 200),
                               _text("distractors", 2000), _text("translation", 400))
    except Invalid as error:
        return _skill_page(course_id, slug, status=422, exercise_errors=error.fields, exercise_index=index,
                           form=request.form)
    flash(_("Saved in the draft."), "success")
    return _back(course_id, slug, "#exercises")


@bp.post("/<int:course_id>/skills/<slug>/exercises/<int:index>/delete")
def delete_exercise(course_id: int, slug: str, index: int) -> ResponseReturnValue:
    learning.delete_exercise(_me(), course_id, slug, index)
    flash(_("Deleted from the draft."), "success")
    return _back(course_id, slug, "#exercises")


# --- The mini-dictionary -------------------------------------------------------------------------------------------

@bp.get("/<int:course_id>/dictionary")
def dictionary(course_id: int) -> ResponseReturnValue:
    return render_page("admin/studio/dictionary.html", state=learning.studio_course(_me(), course_id))


@bp.post("/<int:course_id>/dictionary")
def save_dictionary_entry(course_id: int) -> ResponseReturnValue:
    try:
        learning.save_dictionary_entry(_me(), course_id, _text("skill", 200), _text("side", 10), _text("word", 120),
                                       _text("meanings", 4000), _text("old_word", 120) or None)
    except Invalid as error:
        return render_page("admin/studio/dictionary.html", status=422,
                           state=learning.studio_course(_me(), course_id), errors=error.fields, form=request.form)
    flash(_("Saved in the draft."), "success")
    return redirect(url_for("studio.dictionary", course_id=course_id))


@bp.post("/<int:course_id>/dictionary/delete")
def delete_dictionary_entry(course_id: int) -> ResponseReturnValue:
    learning.delete_dictionary_entry(_me(), course_id, _text("skill", 200), _text("side", 10), _text("word", 120))
    flash(_("Deleted from the draft."), "success")
    return redirect(url_for("studio.dictionary", course_id=course_id))


# --- Preview and publish ---------------------------------------------------------------------------------------------

@bp.get("/<int:course_id>/skills/<slug>/preview")
def preview(course_id: int, slug: str) -> ResponseReturnValue:
    seed = parse_int(request.args.get("seed"), minimum=1, maximum=1_000_000)
    if seed is None:
        return redirect(url_for("studio.preview", course_id=course_id, slug=slug, seed=learning.preview_seed(_me())))
    index = parse_int(request.args.get("step"), minimum=0, maximum=1000) or 0
    lesson = learning.preview_lesson(_me(), course_id, slug, seed)
    return render_page("admin/studio/preview.html", lesson=lesson, index=index, result=None, course_id=course_id)


@bp.post("/<int:course_id>/skills/<slug>/preview")
def preview_answer(course_id: int, slug: str) -> ResponseReturnValue:
    seed = parse_int(request.form.get("seed"), minimum=1, maximum=1_000_000) or 1
    index = parse_int(request.form.get("step"), minimum=0, maximum=1000) or 0
    pairs = [_text(f"pair_{n}", 300) for n in range(8) if f"pair_{n}" in request.form]
    lesson, result = learning.preview_answer(_me(), course_id, slug, seed, index, _text("answer", 500), pairs)
    return render_page("admin/studio/preview.html", lesson=lesson, index=index, result=result, course_id=course_id)


@bp.get("/<int:course_id>/publish")
def publish_plan(course_id: int) -> ResponseReturnValue:
    return render_page("admin/studio/publish.html", plan=learning.publish_plan(_me(), course_id))


@bp.post("/<int:course_id>/publish")
def publish(course_id: int) -> ResponseReturnValue:
    try:
        learning.publish_draft(_me(), course_id, _text("stamp", 200))
    except Invalid:
        flash(_("The draft has problems to fix before it can be published."), "error")
        return _back(course_id)
    flash(_("Published: learners see the new version now."), "success")
    return _back(course_id)
