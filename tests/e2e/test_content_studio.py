"""An editor fixes a typo in a phrase in the content studio, previews the skill, and publishes; a learner sees the
fix only after the publish. The studio's pages pass axe at 390 px, and reordering works from the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.mfa_support import enrol_totp
from tests.admin.conftest import staff_client  # noqa: F401 - fixture
from tests.e2e.conftest import log_in_on_page
from tests.e2e.test_accessibility import axe_violations

pytestmark = pytest.mark.e2e

TYPO, FIXED = "¡Hola! ¿Qué tal?", "¡Hola! ¿Qué tal hoy?"


def _enrol(app, learner, slug):
    from puchi.learning import services

    with app.app_context():
        services.enroll(learner, slug)


def _learner_finds(page, query: str):
    page.goto(f"/dictionary?q={query}")
    return page.locator("#results")


def test_an_editor_fixes_a_typo_previews_and_publishes(browser, live_server, page, app, make_user, spanish,
                                                       staff_client):  # noqa: F811 - the fixture
    editor = make_user("editor@example.com", display_name="Eddie", role="editor")
    learner = make_user("ana@example.com", display_name="Ana")
    _enrol(app, learner, spanish)
    log_in_on_page(page, "editor@example.com")
    enrol_totp(app, editor.id)  # staff need a second factor

    failures: dict[str, list[str]] = {}

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        if violations := axe_violations(page):
            failures[name] = violations

    page.goto("/admin/")
    page.get_by_role("link", name="Content studio").click()
    page.wait_for_url(re.compile(r"/admin/studio/$"))
    check("studio")
    page.get_by_role("link", name="Spanish for English speakers").click()
    page.wait_for_url(re.compile(r"/admin/studio/\d+$"))
    check("course")

    # Keyboard reordering: move the first unit down with its button, from the keyboard.
    first_unit = page.locator("#unit-title-0").input_value()
    page.get_by_role("button", name=f"Move {first_unit} down").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#unit-title-1")).to_have_value(first_unit)
    page.get_by_role("button", name=f"Move {first_unit} up").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#unit-title-0")).to_have_value(first_unit)

    page.get_by_role("link", name="Greetings").click()
    page.wait_for_url(re.compile(r"/skills/greetings$"))
    check("skill")
    page.get_by_role("link", name=f"Edit {TYPO}").click()  # htmx swaps the row for its form
    field = page.get_by_role("textbox", name="Phrase", exact=True)
    expect(field).to_have_value(TYPO)
    field.fill(FIXED)
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_role("link", name=f"Edit {FIXED}")).to_be_visible()
    check("skill after an edit")

    # The learner still sees the published phrase.
    learner_context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    learner_page = learner_context.new_page()
    log_in_on_page(learner_page, "ana@example.com")
    expect(_learner_finds(learner_page, "tal")).to_contain_text(TYPO)
    expect(_learner_finds(learner_page, "tal")).not_to_contain_text(FIXED)

    # Preview the skill from the draft: a lesson plays, nothing is recorded.
    page.get_by_role("link", name="Preview as a learner").click()
    page.wait_for_url(re.compile(r"/preview\?seed=\d+$"))
    expect(page.get_by_role("heading", name=re.compile(r"Step 1 of \d+"))).to_be_visible()
    check("preview")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("link", name="Continue")).to_be_visible()
    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", name=re.compile(r"Step 2 of \d+"))).to_be_visible()

    # Publish: the confirmation shows the change, then learners get it.
    page.get_by_role("link", name="Spanish for English speakers").click()
    page.get_by_role("link", name="Review and publish").click()
    page.wait_for_url(re.compile(r"/publish$"))
    expect(page.locator(".studio-diff")).to_contain_text(f"{TYPO} → {FIXED}")
    check("publish")
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Published: learners see the new version now.")).to_be_visible()

    expect(_learner_finds(learner_page, "tal")).to_contain_text(FIXED)
    learner_context.close()
    assert failures == {}, failures

    # An administrator finds the edit, and the publication, in the audit log under the editor's name.
    admin, _ = staff_client("admin")
    edits = admin.get("/admin/audit", query_string={"actor": "editor@example.com", "type": "course."}).text
    assert "course.draft_edited" in edits and "course.published" in edits
    assert "editor@example.com" in edits or "Eddie" in edits


def test_an_editor_undoes_an_inline_edit(page, app, make_user, spanish):
    editor = make_user("editor@example.com", display_name="Eddie", role="editor")
    log_in_on_page(page, "editor@example.com")
    enrol_totp(app, editor.id)
    page.goto("/admin/studio/")
    page.get_by_role("link", name="Spanish for English speakers").click()
    page.get_by_role("link", name="Greetings").click()
    page.wait_for_url(re.compile(r"/skills/greetings$"))
    expect(page.get_by_role("button", name=re.compile(r"^Undo"))).to_have_count(0)  # no draft yet
    page.get_by_role("link", name=f"Edit {TYPO}").click()
    page.get_by_role("textbox", name="Phrase", exact=True).fill(FIXED)
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_role("link", name=f"Edit {FIXED}")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Undo")).click()  # the draft bar came with the saved row
    expect(page.get_by_text("Undone: Word or phrase edited")).to_be_visible()
    expect(page.get_by_role("link", name=f"Edit {TYPO}")).to_be_visible()
    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", name="History of the draft")).to_be_visible()
    expect(page.get_by_text("No edits to undo")).to_be_visible()
