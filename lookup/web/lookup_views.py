"""The lookup screen: one search box, the remembered reason, the answer as an action card.

Lookups are POSTed, never sent as GET query strings, so plates, numbers and names stay out of
URLs, browser history and access logs. Each submission is one call of `run_lookup(...,
channel="web")`, which writes the audit record; choosing a candidate is a new, audited lookup of
that plate (or, for a name, the same search narrowed to the chosen person). The POST answers
303 to `/lookup/answers/<reference>`, which shows the answer kept for this session
(lookup/identity/session_answers.py): reload and Back never look up again.

The reason is remembered on the server-side session: the officer picks it once per stop and
every later lookup of the session starts with it selected; it is forgotten at sign-out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, make_response, redirect, render_template, request, url_for
from flask_limiter import RateLimitExceeded
from markupsafe import Markup
from werkzeug.wrappers import Response as BaseResponse

from lookup.answers.service import (
    REASONS,
    InvalidQuery,
    LookupUnavailable,
    record_denied,
    run_lookup,
)
from lookup.audit.records import AuditUnavailable
from lookup.extensions import state_store
from lookup.http.rate_limits import lookup_limit
from lookup.identity import session_answers, sessions
from lookup.screens.cards import choose_view
from lookup.web.blueprint import bp, error_page
from lookup.web.guards import require_session, signed_in
from lookup.web.kinds import (
    CHOICES,
    KIND_LABELS,
    KIND_TITLES,
    Detected,
    detect_kind,
    parse_choice,
)

MAX_QUERY_LENGTH = 200
REASON_CHOICES = tuple((code, code.replace("_", " ").capitalize()) for code in REASONS)
# Where a search that found nothing offers the same text again, as another kind.
ALTERNATIVES: Mapping[str, tuple[str, ...]] = {
    "credential": ("license",),
    "license": ("credential",),
    "plate": ("credential", "license"),
}


@dataclass(frozen=True, slots=True)
class LookupForm:
    q: str = ""
    kind: str = "auto"
    reason: str = ""
    date_of_birth: str = ""
    country: str = ""
    pick: str = ""

    @classmethod
    def from_request(cls) -> LookupForm:
        form = request.form
        return cls(
            q=form.get("q", "").strip()[: MAX_QUERY_LENGTH + 1],
            kind=parse_choice(form.get("kind")),
            reason=form.get("reason", "").strip()[:64],
            date_of_birth=form.get("date_of_birth", "").strip()[:32],
            country=form.get("country", "").strip()[:128],
            pick=form.get("pick", "").strip()[:128],
        )


def _page(
    form: LookupForm,
    *,
    status: int = 200,
    form_error: str | None = None,
    form_error_field: str | None = None,
    reference: str | None = None,
    answer_html: str | None = None,
) -> Response:
    html = render_template(
        "web/lookup.html",
        form=form,
        form_error=form_error,
        form_error_field=form_error_field,
        kind_choices=CHOICES,
        reasons=REASON_CHOICES,
        reference=reference,
        # Rendered by our own template when the lookup ran (session_answers.keep).
        answer_html=Markup(answer_html) if answer_html is not None else None,  # noqa: S704
    )
    return make_response(html, status)


@bp.get("/lookup")
@signed_in()
def lookup_form() -> Response:
    session = require_session()
    return _page(LookupForm(reason=session.reason or ""))


@bp.post("/lookup")
@signed_in()
@lookup_limit
def lookup() -> BaseResponse:
    session = require_session()
    principal = sessions.current_web_principal()
    assert principal is not None  # signed_in() guarantees a live session
    form = LookupForm.from_request()
    if not form.q:
        return _page(
            form, status=400, form_error="Type a plate, a number or a name.", form_error_field="q"
        )
    if form.reason in REASONS:
        sessions.remember_reason(state_store(), session, form.reason)
    detected = detect_kind(form.q, parse_choice(form.kind))
    params = (
        {"date_of_birth": form.date_of_birth, "country": form.country}
        if detected.kind == "person"
        else None
    )
    try:
        result = run_lookup(
            principal,
            channel="web",
            kind=detected.kind,
            value=form.q,
            reason=form.reason or None,
            client=request.remote_addr,
            params=params,
        )
    except InvalidQuery as error:
        field = "reason" if error.field == "reason" else "q"
        return _page(
            form,
            status=400,
            form_error=f"{_field_label(error.field, detected)}: {error.message}",
            form_error_field=field,
        )
    except (LookupUnavailable, AuditUnavailable):
        return error_page(
            503,
            "Cannot verify now",
            "DipCheck cannot answer at the moment. Call the 24/7 number to verify status; "
            "do not treat this as “no record”.",
            show_call=True,
        )
    reference = str(result.body["reference"])
    session_answers.keep(
        state_store(),
        session.key,
        reference,
        _answer_html(form, detected, result.body),
        sessions.now(),
    )
    # POST -> 303 -> GET: a reload or Back re-shows the kept answer instead of looking up again.
    return redirect(url_for("web.answer", reference=reference), code=303)


@bp.get("/lookup/answers/<reference>")
@signed_in()
def answer(reference: str) -> Response:
    """An answer this session was shown; 404 for any other session's, or one no longer kept."""
    session = require_session()
    html = session_answers.fetch(state_store(), session.key, reference[:32])
    if html is None:
        abort(404)
    return _page(LookupForm(reason=session.reason or ""), reference=reference, answer_html=html)


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error: RateLimitExceeded) -> Response:
    """A lookup refused by the rate limit still leaves its `denied` audit record (best effort:
    the lookup is refused either way)."""
    principal = sessions.current_web_principal()
    if request.endpoint == "web.lookup" and principal is not None:
        form = LookupForm.from_request()
        kind = detect_kind(form.q, parse_choice(form.kind)).kind if form.q else "plate"
        with contextlib.suppress(AuditUnavailable):
            record_denied(
                principal,
                channel="web",
                kind=kind,
                value=form.q,
                reason=form.reason or None,
                client=request.remote_addr,
                code="rate_limited",
            )
    response = error_page(
        429,
        "Too many lookups",
        "Too many lookups in a short time. Wait a minute, or call the 24/7 number now.",
        show_call=True,
    )
    for name, value in error.get_headers():
        if name == "Retry-After":
            response.headers[name] = value
    return response


def _field_label(field: str, detected: Detected) -> str:
    if field == "reason":
        return "Reason"
    if field in ("date_of_birth", "country"):
        return field.replace("_", " ").capitalize()
    return KIND_LABELS[detected.kind].capitalize()


def _answer_html(form: LookupForm, detected: Detected, body: dict[str, Any]) -> str:
    kind = detected.kind
    shown = choose_view(kind, body["matches"], form.pick)
    alternatives = [{"kind": alt, "label": KIND_LABELS[alt]} for alt in ALTERNATIVES.get(kind, ())]
    return render_template(
        "web/_answer.html",
        body=body,
        shown=shown,
        alternatives=alternatives if shown.view == "no_match" else [],
        searched={
            "kind_label": KIND_LABELS[kind],
            "kind_title": KIND_TITLES[kind],
            "why": detected.why,
        },
    )
