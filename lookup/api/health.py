"""Liveness and readiness for orchestrators and load balancers (no credentials needed)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, jsonify
from spectree import Response as Responses

from lookup.api import schemas
from lookup.audit.alerts import alarm
from lookup.config import current_settings
from lookup.extensions import search_backend, services
from lookup.openapi.spec import ErrorDetail, spec
from lookup.rules.freshness import data_stale
from lookup.store.base import StoreError
from search_index.backend import BackendError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@spec.validate(
    resp=Responses(HTTP_200=schemas.Health),
    tags=["health"],
    operation_id="getHealth",
    skip_validation=True,
)
def healthz() -> Response:
    """The process is alive (it checks nothing else)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@spec.validate(
    resp=Responses(HTTP_200=schemas.Ready, HTTP_503=schemas.Ready),
    tags=["health"],
    operation_id="getReadiness",
    skip_validation=True,
)
def readyz() -> Response:
    """Ready to answer lookups: the index is reachable and holds a published data set (with its
    age), and the state store (audit, accounts) answers."""
    backend = search_backend()
    index_ok, info = True, None
    try:
        backend.ping()
        info = backend.dataset_info()
    except BackendError:
        index_ok = False
    store = services().store
    try:
        store.ping()
        store_ok = True
    except StoreError:
        store_ok = False
    ready = index_ok and info is not None and store_ok
    body = schemas.Ready(
        status="ready" if ready else "not_ready",
        index=schemas.IndexCheck(
            ok=index_ok,
            backend=backend.name,
            published=info is not None,
            dataset_id=info.dataset_id if info else None,
            published_at=info.published_at if info else None,
            age_seconds=(
                int((datetime.now(UTC) - info.published_at).total_seconds()) if info else None
            ),
            stale=data_stale(info.published_at) if info else None,
            stale_after_hours=current_settings().data_stale_hours,
            counts=dict(info.counts) if info else {},
        ),
        state_store=schemas.StoreCheck(
            ok=store_ok, backend=store.name, audit_failures=alarm().failures
        ),
        error=None
        if ready
        else ErrorDetail(code="not_ready", message=_why(index_ok, info is not None, store_ok)),
    )
    response = jsonify(body.model_dump(mode="json", exclude_none=False))
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _why(index_ok: bool, published: bool, store_ok: bool) -> str:
    if not index_ok:
        return "the search index cannot be reached"
    if not published:
        return "no data set is published yet"
    if not store_ok:
        return "the state store cannot be reached"
    return "ready"
