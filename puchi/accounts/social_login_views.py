"""Pages of social login (OpenID Connect): start at a provider, come back, prove an account is yours, link
and unlink providers from the account page.

Between the redirect to the provider and its callback, the flow's secrets (state, nonce, PKCE verifier)
wait in the signed session cookie. The callback is a GET, and GETs never write: it checks the state,
exchanges the code and validates the id_token, keeps the validated identity in the session for a few
minutes, and shows a page whose form (submitted at once by static/js/auto-submit.js, or by a press without
JavaScript) makes the POST that logs in, opens an account or links.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict
from typing import Any

from flask import Blueprint, current_app, flash, make_response, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from puchi.accounts import identities, mfa_session, mfa_status, oidc, services
from puchi.accounts.forms import LinkWithPasswordForm
from puchi.core import mail
from puchi.core.errors import Conflict, Forbidden, Invalid, RateLimited, ServiceError
from puchi.core.extensions import limiter
from puchi.core.forms import apply_errors, rerenders_on_csrf_error
from puchi.core.htmx import render_page

bp = Blueprint("social_login", __name__)

FLOW = "oidc_flow"  # from the redirect to the callback: state, nonce, PKCE verifier
PENDING = "oidc_pending"  # a validated identity, from the callback to the POST that acts on it
PROOF = "oidc_proof"  # a validated identity waiting for its owner to prove the account with its address is theirs
FLOW_MAX_AGE = 10 * 60  # seconds; a learner who took longer starts again
PROBLEM_REASONS = frozenset({"state_mismatch", "flow_expired", "cancelled", "code_refused", "id_token_invalid",
                             "provider_unavailable", "email_unverified", "identity_taken", "not_found"})


def _callback_url(provider: str) -> str:
    return mail.absolute_url("social_login.callback", provider=provider)


def _problem(error: ServiceError, provider: oidc.Provider | None) -> ResponseReturnValue:
    """A clear page for a sign-in that cannot go on, with the status its error carries (never a 500)."""
    reason = error.code if error.code in PROBLEM_REASONS else "id_token_invalid"
    return render_page("accounts/social_problem.html", status=error.status_code, reason=reason,
                       provider_name=provider.display_name if provider else "")


def _fresh(entry: Any) -> dict[str, Any] | None:
    if not isinstance(entry, dict) or time.time() - float(entry.get("at", 0)) > FLOW_MAX_AGE:
        return None
    return entry


def _claims(entry: dict[str, Any]) -> oidc.VerifiedIdentity:
    return oidc.VerifiedIdentity(**entry["claims"])


# --- Going to the provider ---------------------------------------------------------------------------

@bp.post("/login/oidc/<provider>")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def start(provider: str) -> ResponseReturnValue:
    """The "Continue with …" buttons of the log-in and sign-up pages."""
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    return _go_to_provider(provider, link_user_id=None)


@bp.post("/account/identities/<provider>/link")
@login_required
def start_link(provider: str) -> ResponseReturnValue:
    """The account page's "Link …" buttons: the identity that comes back is added to this account."""
    return _go_to_provider(provider, link_user_id=current_user.id)


def _go_to_provider(name: str, *, link_user_id: int | None) -> ResponseReturnValue:
    the_provider = oidc.provider(name)  # NotFound: 404
    try:
        authorization = oidc.authorization(the_provider, _callback_url(name))
    except oidc.ProviderUnavailable as error:
        return _problem(error, the_provider)
    session[FLOW] = {"provider": name, "state": authorization.state, "nonce": authorization.nonce,
                     "verifier": authorization.code_verifier, "link_user_id": link_user_id, "at": time.time()}
    return redirect(authorization.url, code=303)


# --- Coming back -------------------------------------------------------------------------------------

@bp.get("/login/oidc/<provider>/callback")
@limiter.limit(lambda: current_app.config["RATELIMIT_OIDC_CALLBACK"], methods=["GET"])
def callback(provider: str) -> ResponseReturnValue:
    the_provider = oidc.provider(provider)
    flow = _fresh(session.pop(FLOW, None))  # one callback per flow: a replayed one finds nothing
    state = request.args.get("state", "")
    if flow is None:
        return _problem(oidc.refused("flow_expired"), the_provider)
    if flow.get("provider") != provider or not secrets.compare_digest(str(flow["state"]).encode(), state.encode()):
        return _problem(oidc.refused("state_mismatch"), the_provider)
    if "error" in request.args or not request.args.get("code"):
        return _problem(oidc.refused("cancelled"), the_provider)
    try:
        claims = oidc.complete(the_provider, redirect_uri=_callback_url(provider), code=request.args["code"],
                               code_verifier=str(flow["verifier"]), nonce=str(flow["nonce"]))
    except ServiceError as error:
        return _problem(error, the_provider)
    session[PENDING] = {"claims": asdict(claims), "link_user_id": flow.get("link_user_id"), "at": time.time()}
    response = make_response(render_page("accounts/social_continue.html", provider_name=the_provider.display_name))
    response.headers["Referrer-Policy"] = "no-referrer"  # this URL holds the code: the next page must not see it
    return response


@bp.post("/login/oidc/continue")
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def finish() -> ResponseReturnValue:
    """Act on the identity the callback validated: log in, open an account, ask for proof, or link."""
    pending = _fresh(session.pop(PENDING, None))
    if pending is None:
        return _problem(oidc.refused("flow_expired"), None)
    claims = _claims(pending)
    the_provider = oidc.provider(claims.provider)
    if pending.get("link_user_id") is not None:
        return _link_to_current_account(pending["link_user_id"], claims, the_provider)
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    try:
        outcome = identities.sign_in(claims, locale=str(get_locale() or "en"), user_agent=request.user_agent.string,
                                     device_cookie=request.cookies.get(mfa_status.DEVICE_COOKIE))
    except services.SecondFactorRequired as due:  # the provider vouched for the first factor; now the second
        mfa_session.begin_pending(services.get_user(due.user_id), remember=False, next_url=None)
        return redirect(url_for("mfa.verify_log_in"))
    except Forbidden as error:
        return _problem(error, the_provider)
    if outcome.result is identities.Result.NEEDS_PROOF:
        session[PROOF] = {"claims": asdict(claims), "at": time.time()}
        return redirect(url_for("social_login.prove"))
    assert outcome.user is not None
    welcome = _("Welcome to Puchi! Your account is ready.") if outcome.result is identities.Result.CREATED else None
    return _complete_log_in(outcome.user, welcome)


def _complete_log_in(user: Any, message: str | None = None) -> ResponseReturnValue:
    """The same last step as a password log-in: a fresh cookie session (nothing from before survives).

    An account with a second factor never gets here from a provider: ``identities.sign_in`` hands it to the
    second step first, as the password log-in does.
    """
    session.clear()
    login_user(user, remember=False)
    if message:
        flash(message, "success")  # after the clear, or it would be cleared too
    return redirect(url_for("pages.home"))


def _link_to_current_account(user_id: int, claims: oidc.VerifiedIdentity,
                             the_provider: oidc.Provider) -> ResponseReturnValue:
    if not current_user.is_authenticated or current_user.id != user_id:
        return _problem(Forbidden(code="state_mismatch"), the_provider)  # logged out or in as someone else
    try:
        identities.link(current_user._get_current_object(), claims)
    except Conflict as error:
        return _problem(error, the_provider)
    flash(_("%(provider)s is linked: you can log in with it.", provider=the_provider.display_name), "success")
    return redirect(url_for("accounts.account"))


# --- Proving an existing account is yours -------------------------------------------------------------

def _proof() -> tuple[oidc.VerifiedIdentity, oidc.Provider] | None:
    pending = _fresh(session.get(PROOF))
    if pending is None:
        return None
    claims = _claims(pending)
    return claims, oidc.provider(claims.provider)


@bp.get("/login/oidc/link")
def prove() -> ResponseReturnValue:
    proof = _proof()
    if proof is None or current_user.is_authenticated:
        return redirect(url_for("accounts.log_in"))
    return _prove_page(LinkWithPasswordForm(formdata=None), *proof)


def _prove_page(form: LinkWithPasswordForm, claims: oidc.VerifiedIdentity, the_provider: oidc.Provider,
                status: int = 200) -> ResponseReturnValue:
    return render_page("accounts/social_prove.html", status=status, form=form, email=claims.email,
                       provider_name=the_provider.display_name)


@bp.post("/login/oidc/link/password")
@rerenders_on_csrf_error
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def prove_with_password() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    proof = _proof()
    if proof is None:
        return _problem(oidc.refused("flow_expired"), None)
    claims, the_provider = proof
    form = LinkWithPasswordForm()
    if not form.validate_on_submit():
        return _prove_page(form, claims, the_provider, status=400)
    try:
        # The password log-in itself (its failure counts and lock-outs, and later its second factor).
        user = services.log_in(claims.email or "", form.password.data or "", remember=False,
                               user_agent=request.user_agent.string)
    except services.SecondFactorRequired:
        # The password alone does not open an account with two-step verification, nor link a way into it:
        # the learner logs in with both steps and links the provider from the account page.
        form.password.errors = [_("This account uses two-step verification: log in with it, then link "
                                  "%(provider)s from your account page.", provider=the_provider.display_name)]
        form.password.data = ""
        return _prove_page(form, claims, the_provider, status=409)
    except (Invalid, RateLimited) as error:
        apply_errors(form, error)
        form.password.data = ""
        return _prove_page(form, claims, the_provider, status=error.status_code)
    try:
        identities.link(user, claims, how="password")
    except Conflict as error:
        return _problem(error, the_provider)
    return _complete_log_in(user, _("%(provider)s is linked: you can log in with it.",
                                    provider=the_provider.display_name))


@bp.post("/login/oidc/link/email")
@limiter.limit(lambda: current_app.config["RATELIMIT_RESET"], methods=["POST"])
def prove_by_email() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("pages.home"))
    proof = _proof()
    if proof is None:
        return _problem(oidc.refused("flow_expired"), None)
    claims, the_provider = proof
    try:
        identities.request_link_by_email(claims)
    except ServiceError as error:
        return _problem(error, the_provider)
    session.pop(PROOF, None)
    return render_page("accounts/social_link_sent.html", email=claims.email, provider_name=the_provider.display_name)


@bp.route("/link-identity/<token>", methods=["GET", "POST"])
def confirm_link(token: str) -> ResponseReturnValue:
    """The emailed link shows a button (mail scanners follow links, and GETs never write); pressing it links."""
    try:
        if request.method == "GET":
            link = identities.check_link_token(token)
            return render_page("accounts/social_confirm_link.html", email=link.user.email,
                               provider_name=_display_name(link.claims.provider))
        link = identities.confirm_link(token)
    except Conflict as error:
        return _problem(error, None)
    except ServiceError as error:
        if error.code not in {"link_invalid", "link_used", "link_expired"}:
            raise
        return render_page("accounts/link_problem.html", status=error.status_code, reason=error.code,
                           purpose="link")
    flash(_("%(provider)s is linked: you can log in with it.", provider=_display_name(link.claims.provider)),
          "success")
    if current_user.is_authenticated:
        return redirect(url_for("accounts.account"))
    return redirect(url_for("accounts.log_in"))


def _display_name(provider: str) -> str:
    try:
        return oidc.provider(provider).display_name
    except ServiceError:  # no longer configured: its name is all we have
        return provider.title()


# --- Unlinking -------------------------------------------------------------------------------------------

@bp.post("/account/identities/<int:identity_id>/unlink")
@login_required
def unlink(identity_id: int) -> ResponseReturnValue:
    try:
        identity = identities.unlink(current_user._get_current_object(), identity_id)
    except Conflict as error:
        flash(str(error.message), "error")
        return redirect(url_for("accounts.account"))
    flash(_("%(provider)s is no longer linked.", provider=_display_name(identity.provider)), "success")
    return redirect(url_for("accounts.account"))
