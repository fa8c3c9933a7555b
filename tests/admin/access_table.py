"""Who may open each admin route: anonymous, a learner, an editor, support, an admin, and an admin without a
second factor. Every ``/admin`` route has a row here (``tests/test_access.py`` checks that every route of the
app has a rule in its table or this one)."""

from __future__ import annotations

ANONYMOUS, LEARNER, EDITOR, SUPPORT, ADMIN, ADMIN_WITHOUT_MFA = (
    "anonymous", "learner", "editor", "support", "admin", "admin without MFA")
WHO = (ANONYMOUS, LEARNER, EDITOR, SUPPORT, ADMIN, ADMIN_WITHOUT_MFA)

# (method, rule) → the status for each of WHO. A visitor is sent to log in (302 to /login), staff without a
# second factor to set one up (302 to /account/security/required); a role without the page's capability
# gets 403. A POST is a blank form with a valid CSRF token.
ADMIN_ACCESS: dict[tuple[str, str], tuple[int, int, int, int, int, int]] = {
    ("GET", "/admin/"):                                   (302, 403, 200, 200, 200, 302),
    ("GET", "/admin/deliveries"):                         (302, 403, 403, 403, 200, 302),
    ("POST", "/admin/deliveries/<int:delivery_id>/retry"): (302, 403, 403, 403, 302, 302),
    ("GET", "/admin/billing"):                            (302, 403, 403, 403, 200, 302),
    ("GET", "/admin/audit"):                              (302, 403, 403, 403, 200, 302),
    ("GET", "/admin/audit.csv"):                          (302, 403, 403, 403, 200, 302),
    ("GET", "/admin/search"):                             (302, 403, 200, 200, 200, 302),
    ("GET", "/admin/analytics"):                          (302, 403, 403, 403, 200, 302),
    ("GET", "/admin/analytics/<section>"):                (302, 403, 403, 403, 200, 302),
    ("GET", "/admin/analytics/<section>/<table>.csv"):    (302, 403, 403, 403, 200, 302),
    ("GET", "/admin/learners"):                           (302, 403, 403, 200, 200, 302),
    ("GET", "/admin/learners/<int:user_id>"):             (302, 403, 403, 200, 200, 302),
    # A blank form: no role, no reason, no typed confirmation are refused with the form again (422).
    ("POST", "/admin/learners/<int:user_id>/role"):       (302, 403, 403, 403, 422, 302),
    ("POST", "/admin/learners/<int:user_id>/suspend"):    (302, 403, 403, 422, 422, 302),
    ("POST", "/admin/learners/<int:user_id>/restore"):    (302, 403, 403, 302, 302, 302),
    ("POST", "/admin/learners/<int:user_id>/profile/unhide"): (302, 403, 403, 302, 302, 302),  # moderators'
    ("POST", "/admin/learners/<int:user_id>/verification"): (302, 403, 403, 302, 302, 302),
    ("POST", "/admin/learners/<int:user_id>/password-reset"): (302, 403, 403, 302, 302, 302),
    ("POST", "/admin/learners/<int:user_id>/export"):     (302, 403, 403, 302, 302, 302),
    ("POST", "/admin/learners/<int:user_id>/delete"):     (302, 403, 403, 422, 422, 302),
    ("GET", "/admin/reports"):                            (302, 403, 403, 200, 200, 302),
    ("GET", "/admin/reports/<int:report_id>"):            (302, 403, 403, 200, 200, 302),
    ("POST", "/admin/reports/<int:report_id>/resolve"):   (302, 403, 403, 422, 422, 302),  # no action chosen
    ("GET", "/admin/courses"):                            (302, 403, 200, 403, 200, 302),
    ("POST", "/admin/courses/<slug>/export"):             (302, 403, 200, 403, 200, 302),
    ("POST", "/admin/courses/import"):                     (302, 403, 422, 403, 422, 302),  # a blank form: no zip
    ("GET", "/admin/courses/<slug>/media"):               (302, 403, 200, 403, 200, 302),
    # A blank form names no kind of media (picture or recording): there is no such thing to upload to.
    ("POST", "/admin/courses/<slug>/items/<int:item_id>/media"): (302, 403, 404, 403, 404, 302),
    # The content studio (an editor's; a blank form is refused with 422, or names nothing that exists; the
    # editor's delete goes first, so the admin's finds the skill gone).
    ("GET", "/admin/studio/"):
        (302, 403, 200, 403, 200, 302),
    ("GET", "/admin/studio/<int:course_id>"):
        (302, 403, 200, 403, 200, 302),
    ("POST", "/admin/studio/<int:course_id>/details"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/units"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/units/<int:index>"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/units/<int:index>/delete"):
        (302, 403, 302, 403, 302, 302),
    ("POST", "/admin/studio/<int:course_id>/units/<int:index>/skills"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/order"):
        (302, 403, 404, 403, 404, 302),
    ("POST", "/admin/studio/<int:course_id>/discard"):
        (302, 403, 302, 403, 302, 302),
    ("GET", "/admin/studio/<int:course_id>/skills/<slug>"):
        (302, 403, 200, 403, 200, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/delete"):
        (302, 403, 302, 403, 404, 302),
    ("GET", "/admin/studio/<int:course_id>/skills/<slug>/items/<int:index>"):
        (302, 403, 200, 403, 200, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/items"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/items/<int:index>"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/items/<int:index>/delete"):
        (302, 403, 302, 403, 302, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/exercises"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/exercises/<int:index>"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/exercises/<int:index>/delete"):
        (302, 403, 302, 403, 302, 302),
    ("GET", "/admin/studio/<int:course_id>/dictionary"):
        (302, 403, 200, 403, 200, 302),
    ("POST", "/admin/studio/<int:course_id>/dictionary"):
        (302, 403, 422, 403, 422, 302),
    ("POST", "/admin/studio/<int:course_id>/dictionary/delete"):
        (302, 403, 404, 403, 404, 302),
    ("GET", "/admin/studio/<int:course_id>/skills/<slug>/preview"):
        (302, 403, 302, 403, 302, 302),
    ("POST", "/admin/studio/<int:course_id>/skills/<slug>/preview"):
        (302, 403, 200, 403, 200, 302),
    ("GET", "/admin/studio/<int:course_id>/publish"):
        (302, 403, 404, 403, 404, 302),
    ("POST", "/admin/studio/<int:course_id>/publish"):
        (302, 403, 404, 403, 404, 302),
    # The draft's history: a blank form carries no stamp of the draft as shown, so undo and restore refuse (409).
    ("GET", "/admin/studio/<int:course_id>/history"):
        (302, 403, 200, 403, 200, 302),
    ("POST", "/admin/studio/<int:course_id>/undo"):
        (302, 403, 409, 403, 409, 302),
    ("POST", "/admin/studio/<int:course_id>/history/<int:revision_id>/restore"):
        (302, 403, 409, 403, 409, 302),
}
