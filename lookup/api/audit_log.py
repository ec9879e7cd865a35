"""GET /api/v1/audit: a supervisor reads their own agency's audit trail, never another's.

Officers get 403. The agency filter is always the caller's own; no parameter can widen it. Each
read leaves an audit record itself (CJIS AU-2: access to the audit log is an audited event).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from spectree import Response as Responses

from lookup.api import schemas
from lookup.api.on_behalf_of import attributed
from lookup.api.params import parse
from lookup.audit import records as audit
from lookup.errors import ApiError
from lookup.identity.auth import require_principal
from lookup.identity.principal import Principal
from lookup.openapi.spec import AUTHENTICATED, ErrorBody, spec
from lookup.store.audit_record import record_json
from lookup.store.base import AuditFilter, Outcome, iso_millis

bp = Blueprint("api_audit", __name__)


@bp.get("/audit")
@spec.validate(
    query=schemas.AuditQuery,
    resp=Responses(
        HTTP_200=schemas.AuditPage,
        HTTP_400=ErrorBody,
        HTTP_401=ErrorBody,
        HTTP_403=ErrorBody,
        HTTP_503=ErrorBody,
    ),
    tags=["audit"],
    operation_id="listAuditRecords",
    security=AUTHENTICATED,
    skip_validation=True,
)
def audit_log() -> Response:
    """Your agency's audit records, newest first (supervisors and admins only)."""
    principal = attributed(require_principal())
    query_text = request.query_string.decode("utf-8", "replace")[:500]
    if not principal.can_read_audit:
        _record_read(principal, query_text, "denied")
        raise ApiError(403, "forbidden", "only supervisors may read the audit trail")
    query = parse(schemas.AuditQuery)
    entries, next_until = audit.newest_page(
        AuditFilter(
            agency_id=principal.agency_id,
            since=query.since,
            until=query.until,
            channel=query.channel,
            outcome=query.outcome,
            actor=query.actor,
        ),
        query.limit,
    )
    _record_read(principal, query_text, "match" if entries else "no_match")
    return jsonify(
        {
            "records": [record_json(entry) for entry in entries],
            "next_until": iso_millis(next_until) if next_until else None,
        }
    )


def _record_read(principal: Principal, query_text: str, outcome: Outcome) -> None:
    try:
        audit.record(
            principal,
            channel="api",
            action="audit_read",
            query=query_text,
            outcome=outcome,
            client=request.remote_addr,
        )
    except audit.AuditUnavailable:
        raise ApiError(
            503, "audit_unavailable", "the audit log cannot be written now; try again later"
        ) from None
