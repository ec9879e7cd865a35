"""The public seminar-request form."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from werkzeug.wrappers import Response as BaseResponse

from lookup.extensions import limiter, state_store
from outreach import agency_requests
from outreach.blueprint import bp
from outreach.library import current_content
from outreach.security import check_csrf


def _form_page(errors: dict[str, str], form: object, sent: bool = False) -> str:
    return render_template(
        "outreach/request.html",
        decks=current_content().decks,
        errors=errors,
        form=form,
        sent=sent,
    )


@bp.get("/request")
def request_form() -> str:
    return _form_page({}, {}, sent=request.args.get("sent") == "1")


@bp.post("/request")
@limiter.limit("10/hour", key_func=get_remote_address)
def request_submit() -> BaseResponse | tuple[str, int]:
    check_csrf()
    raw: dict[str, object] = dict(request.form.to_dict())
    raw["seminars"] = request.form.getlist("seminars")
    raw.pop("csrf_token", None)
    try:
        parsed = agency_requests.validate_form(raw, set(current_content().decks))
    except agency_requests.RequestInvalid as error:
        return _form_page(error.errors, request.form), 400
    agency_requests.submit(state_store(), parsed)
    return redirect(url_for("outreach.request_form", sent="1"))
