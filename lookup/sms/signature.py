"""Is this request a genuine Twilio message webhook?

Twilio signs the URL it called plus every POST parameter (HMAC-SHA1 under the account's auth
token). Behind a TLS-terminating proxy the app sees another scheme and host than Twilio called,
so the URL is rebuilt from the configured public base URL plus the path and raw query of this
request, never from `Host` or `X-Forwarded-*` headers, which anyone can set.

Twilio concatenates names and values without separators, so a signature alone does not pin which
characters belong to a name and which to a value, and the library's validator folds repeated
names. Hence, after the signature, the fields acted on must each appear exactly once and be well
formed; a forged shift of characters across a boundary fails there. Every check fails closed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from flask import Request
from twilio.request_validator import RequestValidator

from lookup.identity.phones import is_e164

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM_MIMETYPE = "application/x-www-form-urlencoded"

# Message SIDs are "SM" (SMS) or "MM" (MMS) and 32 hex digits.
_MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
# Characters RFC 3986 allows unescaped in a path; Twilio signs the path as it requested it.
_PATH_SAFE = "/:@!$&'()*+,;=~"


class Rejected(Exception):
    """The request is not acted on. `field` names what was wrong (never its value)."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


@dataclass(frozen=True, slots=True)
class InboundMessage:
    message_sid: str
    sender: str  # E.164; never logged, only hashed
    body: str


def signed_url(public_url: str, request: Request) -> str:
    """The URL Twilio called: public base + this request's path and raw query string."""
    url = public_url.rstrip("/") + quote(request.path, safe=_PATH_SAFE)
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def auth_tokens(setting: str) -> list[str]:
    """The auth tokens a signature may be made with. During a rotation the setting holds the new
    (primary) and the old (secondary) token separated by a comma; Twilio tokens never hold one."""
    return [token.strip() for token in setting.split(",") if token.strip()]


def verify(request: Request, *, public_url: str, auth_tokens: Sequence[str]) -> InboundMessage:
    """The message in a genuine, well-formed Twilio SMS webhook; raises Rejected otherwise:
    403 for anything that does not prove Twilio sent it, 400 naming the field when a signed
    request lacks what an SMS webhook always carries."""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        raise Rejected(403, SIGNATURE_HEADER, "missing signature")
    if request.mimetype != FORM_MIMETYPE:
        raise Rejected(403, "Content-Type", "not a form-encoded webhook")
    form = request.form
    if any(len(values) > 1 for values in form.listvalues()):
        raise Rejected(403, "body", "repeated parameter")
    url = signed_url(public_url, request)
    if not any(RequestValidator(token).validate(url, form, signature) for token in auth_tokens):
        raise Rejected(403, SIGNATURE_HEADER, "signature does not match")

    sid = form.get("MessageSid", "")
    if not _MESSAGE_SID.fullmatch(sid):
        raise Rejected(400, "MessageSid", "MessageSid is missing or malformed")
    sender = form.get("From", "")
    if not is_e164(sender):
        raise Rejected(400, "From", "From is not an E.164 number")
    if "Body" not in form:
        raise Rejected(400, "Body", "Body is missing")
    return InboundMessage(message_sid=sid, sender=sender, body=form["Body"])
