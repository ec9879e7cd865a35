"""One lookup, the same on every channel (API, web, SMS, QR).

`run_lookup` validates the input, pins one published data set, builds the answer with
lookup/answers/build.py, and writes the audit record before it returns. Every outcome leaves exactly
one audit record: `match`, `no_match`, `denied` (input refused, or a caller refused by the channel
through `record_denied`), `error` (the index could not answer). When the audit record cannot be
written, nothing is answered (`AuditUnavailable`); when the index is down, the caller gets
`LookupUnavailable` and says "cannot verify now, call ...", never "no record".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from flask import current_app
from werkzeug.exceptions import Forbidden

from lookup.answers import build as answers
from lookup.answers import cache as answer_cache
from lookup.answers.query_rules import check_text, parse_iso_date
from lookup.answers.reported_points import reported_points as points_from_reports
from lookup.audit.records import AuditUnavailable, new_reference, record
from lookup.config import Settings, current_settings
from lookup.extensions import search_backend
from lookup.http.json_provider import Encoded, compact_json
from lookup.identity.principal import Principal
from lookup.rules.freshness import data_stale
from lookup.rules.immunity import load_matrix
from lookup.rules.insurance import InsuranceRules
from lookup.rules.licence import PointsThresholds
from lookup.rules.matrix_source import matrix_path
from lookup.store.base import Channel, Outcome, StoreError
from search_index.backend import BackendError, NoDataPublished, SearchBackend, Snapshot
from search_index.confusables import parse_plate_pattern
from search_index.normalize import normalize_identifier, normalize_name, normalize_plate

__all__ = [
    "REASONS",
    "AuditUnavailable",
    "InvalidQuery",
    "LookupForbidden",
    "LookupKind",
    "LookupResult",
    "LookupUnavailable",
    "Reason",
    "record_denied",
    "run_lookup",
]

LookupKind = Literal["plate", "plate_pattern", "credential", "license", "person"]
Reason = Literal[
    "traffic_stop",
    "crash",
    "investigation",
    "citation_follow_up",
    "warrant_service",
    "training",
    "other",
]
KINDS: tuple[str, ...] = get_args(LookupKind)
REASONS: tuple[str, ...] = get_args(Reason)
# The input field each kind reads, as the API names it (errors name the field).
VALUE_FIELD: Mapping[str, str] = {
    "plate": "plate",
    "plate_pattern": "pattern",
    "credential": "number",
    "license": "number",
    "person": "name",
}
PLATE_LIMIT = 10
NUMBER_LIMIT = 10  # ID card and licence numbers: the exact one and its look-alikes
PATTERN_LIMIT = 25
PERSON_LIMIT = 20
MAX_NAME_LENGTH = 200
MAX_COUNTRY_LENGTH = 100
_MAX_AUDITED_IDS = 25
# What was typed is kept whole in the audit record up to this length (spaces are free to type).
MAX_AUDITED_VALUE = 256


class InvalidQuery(ValueError):
    """Input the lookup refuses; `field` names the offending input (400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class LookupUnavailable(Exception):
    """The index cannot answer now: say "cannot verify now, call <verify phone>" (503)."""

    def __init__(self, reference: str, message: str) -> None:
        super().__init__(message)
        self.reference = reference
        self.message = message


class LookupForbidden(Forbidden):
    """The principal's role runs no lookups (an OFM analyst): 403 on every channel, through the
    channels' HTTP error pages."""


class LiveDataRefused(Exception):
    """A training principal asked for the live records: training runs on synthetic data only."""


@dataclass(frozen=True, slots=True)
class LookupResult:
    reference: str
    outcome: Outcome
    body: dict[str, Any]
    # body["matches"] already written as JSON (a cached answer's), for `json_body`.
    matches_json: bytes | None = None

    def json_body(self) -> dict[str, Any]:
        """The body for a JSON response: the same, with the matches already written where the
        cache wrote them, so only the per-request fields are serialized."""
        if self.matches_json is None:
            return self.body
        return {**self.body, "matches": Encoded(self.matches_json)}


@dataclass(frozen=True, slots=True)
class _Query:
    kind: LookupKind
    typed: str
    normalized: str
    reason: str
    date_of_birth: date | None = None
    country: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "typed": self.typed,
            "normalized": self.normalized,
            "reason": self.reason,
        }
        if self.kind == "person":
            out["date_of_birth"] = self.date_of_birth.isoformat() if self.date_of_birth else None
            out["country"] = self.country
        return out

    def audit_detail(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"normalized": self.normalized}
        if self.date_of_birth is not None:
            detail["date_of_birth"] = self.date_of_birth.isoformat()
        if self.country is not None:
            detail["country"] = self.country
        return detail


def _normalized(kind: str, value: str) -> str:
    field = VALUE_FIELD[kind]
    try:
        if kind == "plate":
            return normalize_plate(value)
        if kind == "plate_pattern":
            return parse_plate_pattern(value).text
        if kind in ("credential", "license"):
            return normalize_identifier(value)
        if len(value) > MAX_NAME_LENGTH:
            raise ValueError(f"name must have at most {MAX_NAME_LENGTH} characters")
        return normalize_name(check_text(value))
    except ValueError as error:
        raise InvalidQuery(field, str(error)) from None


def _parse_query(
    kind: str, value: str, reason: str | None, params: Mapping[str, Any] | None
) -> _Query:
    if kind not in KINDS:
        raise InvalidQuery("kind", f"must be one of {', '.join(KINDS)}")
    if reason is None or reason == "":
        raise InvalidQuery("reason", f"required: one of {', '.join(REASONS)}")
    if reason not in REASONS:
        raise InvalidQuery("reason", f"must be one of {', '.join(REASONS)}")
    normalized = _normalized(kind, value)
    date_of_birth: date | None = None
    country: str | None = None
    if kind == "person" and params:
        date_of_birth = _date_param(params.get("date_of_birth"))
        country = _country_param(params.get("country"))
    return _Query(kind, value, normalized, reason, date_of_birth, country)  # type: ignore[arg-type]


def _date_param(raw: Any) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    try:
        return parse_iso_date(str(raw))
    except ValueError as error:
        raise InvalidQuery("date_of_birth", str(error)) from None


def _country_param(raw: Any) -> str | None:
    if raw is None:
        return None
    try:
        check_text(str(raw))
    except ValueError as error:
        raise InvalidQuery("country", str(error)) from None
    country = " ".join(str(raw).split())
    if not country:
        return None
    if len(country) > MAX_COUNTRY_LENGTH:
        raise InvalidQuery("country", f"must have at most {MAX_COUNTRY_LENGTH} characters")
    return country


def _verify() -> dict[str, str]:
    return dict(_verify_of(current_settings()))


@functools.lru_cache(maxsize=8)
def _verify_of(settings: Settings) -> dict[str, str]:
    """The `verify` block, built once per settings (each answer gets its own copy)."""
    return {
        "phone": settings.verify_phone,
        "label": settings.verify_phone_label,
        "notice": (
            "This is the recorded State Department record, not proof of status. "
            f"Call {settings.verify_phone} to verify."
        ),
    }


@functools.lru_cache(maxsize=16)
def _answer_context(
    settings: Settings,
    today: date,
    include_date_of_birth: bool,
    with_reports: bool,
    matrix_file: Path | None,
) -> answers.AnswerContext:
    """An answer's context, built once per settings, day, date-of-birth choice, reports choice
    and matrix file (the matrix is parsed once): the context is immutable, so lookups of one day
    share it."""
    return answers.AnswerContext(
        matrix=load_matrix(matrix_file),
        today=today,
        verify_phone=settings.verify_phone,
        points=PointsThresholds(
            review=settings.points_review, suspension=settings.points_suspension
        ),
        insurance=InsuranceRules(expiring_within_days=settings.insurance_expiring_days),
        include_date_of_birth=include_date_of_birth,
        reported_points=points_from_reports if with_reports else None,
    )


def answer_context(
    include_date_of_birth: bool, *, with_reports: bool = True
) -> answers.AnswerContext:
    """Today's answer context. `with_reports`: licence points include those assessed from
    incident reports in this app's state store (off for training data sets: their synthetic
    people have no live reports, and training reports are never assessed)."""
    settings = current_settings()
    return _answer_context(
        settings,
        settings.local_date(),
        include_date_of_birth,
        with_reports,
        matrix_path(current_app),
    )


def _find(
    snapshot: Snapshot, query: _Query, context: answers.AnswerContext, shown: answers.Shown
) -> tuple[list[dict[str, Any]], list[str]]:
    """The answer's matches and the record ids the audit record keeps; `shown` notes what they
    show."""
    if query.kind == "plate":
        plates = snapshot.find_plate(query.typed, limit=PLATE_LIMIT)
        return answers.plate_matches_json(snapshot, plates, context, shown), [
            m.vehicle.plate for m in plates
        ]
    if query.kind == "plate_pattern":
        plates = snapshot.find_plate_pattern(query.normalized, limit=PATTERN_LIMIT)
        return answers.plate_matches_json(snapshot, plates, context, shown), [
            m.vehicle.plate for m in plates
        ]
    if query.kind == "credential":
        cards = snapshot.find_credentials(query.typed, limit=NUMBER_LIMIT)
        return answers.credential_matches_json(snapshot, cards, context, shown), [
            c.record.person_id for c in cards
        ]
    if query.kind == "license":
        licences = snapshot.find_licenses(query.typed, limit=NUMBER_LIMIT)
        return answers.license_matches_json(snapshot, licences, context, shown), [
            lic.record.license_number for lic in licences
        ]
    hits = snapshot.search_persons(
        query.typed,
        date_of_birth=query.date_of_birth,
        country=query.country,
        limit=PERSON_LIMIT,
    )
    return answers.person_hits_json(snapshot, hits, context, shown), [
        hit.person.person_id for hit in hits
    ]


def _cached_find(
    cache: answer_cache.AnswerCache | None,
    snapshot: Snapshot,
    query: _Query,
    include_date_of_birth: bool,
    context: answers.AnswerContext,
) -> answer_cache.CachedAnswer:
    """The matches, audited ids and summary of `query` on `snapshot`: from the cache when this
    data set, day and generation already answered it, else built (and kept). The day is the
    context's, the one the matches are built for (not a second reading of the clock)."""
    key: answer_cache.CacheKey | None = None
    generation = cache.generation() if cache is not None and cache.enabled else None
    if cache is not None and generation is not None:
        key = answer_cache.CacheKey(
            dataset_id=snapshot.info.dataset_id,
            day=context.today,
            generation=generation,
            kind=query.kind,
            normalized=query.normalized,
            options=(include_date_of_birth, query.date_of_birth, query.country),
        )
        cached = cache.get(key)
        if cached is not None:
            return cached
    shown = answers.Shown()
    matches, ids = _find(snapshot, query, context, shown)
    # What the answer showed, in brief, for the audit record (lookup receipts sign it).
    summary = {"levels": shown.levels[:_MAX_AUDITED_IDS], "insurance": shown.insurance}
    found = answer_cache.CachedAnswer(
        matches=matches,
        ids=ids[:_MAX_AUDITED_IDS],
        summary=summary,
        matches_json=compact_json(matches) if key is not None else None,
    )
    if cache is not None and key is not None:
        cache.put(key, found)
    return found


def record_denied(
    principal: Principal | None,
    *,
    channel: Channel,
    kind: str,
    value: str,
    reason: str | None,
    client: str | None,
    code: str,
    field: str | None = None,
) -> str:
    """Audit a lookup the channel refused before running it (bad credentials, rate limit,
    missing role); returns the reference. Raises AuditUnavailable."""
    reference = new_reference()
    _audit_denied(principal, reference, channel, kind, value, reason, client, code, field)
    return reference


def _audit_denied(
    principal: Principal | None,
    reference: str,
    channel: Channel,
    kind: str,
    value: str,
    reason: str | None,
    client: str | None,
    code: str,
    field: str | None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """The one shape of a refusal's audit record: what was typed (capped), a reason only when
    it is a known one, and why it was refused."""
    record(
        principal,
        reference=reference,
        channel=channel,
        action=kind,
        query=value[:MAX_AUDITED_VALUE],
        reason=reason if reason in REASONS else None,
        outcome="denied",
        client=client,
        detail={
            **(extra or {}),
            **({"denied": code} if field is None else {"denied": code, "field": field}),
        },
    )


def run_lookup(
    principal: Principal,
    *,
    channel: Channel,
    kind: LookupKind,
    value: str,
    reason: str | None,
    client: str | None,
    params: Mapping[str, Any] | None = None,
    backend: SearchBackend | None = None,
    include_date_of_birth: bool | None = None,
    audit_detail: Mapping[str, Any] | None = None,
) -> LookupResult:
    """Run one lookup and audit it. Raises LookupForbidden for a principal whose role runs no
    lookups (an OFM analyst; audited as denied), InvalidQuery (audited as denied), LookupUnavailable
    (audited as error) and AuditUnavailable (nothing answered). `backend` replaces the app's
    search backend (the training mode serves synthetic data from its own). Dates of birth are
    included for the officer-facing API and web channels unless `include_date_of_birth` says
    otherwise, and left out on SMS and QR. Raises LiveDataRefused for a training principal
    without a `backend`: whatever a training view gets wrong, it cannot reach live records.
    `audit_detail` joins the record's detail (a QR scan's token facts: the scan and the lookup
    it opens are one look, so one record)."""
    if backend is None and principal.is_training:
        raise LiveDataRefused("training lookups run on the training data set only")
    reference = new_reference()
    if not principal.may_look_up:
        _audit_denied(principal, reference, channel, kind, value, reason, client, "role", None)
        raise LookupForbidden("an analyst account cannot run officer lookups")
    try:
        query = _parse_query(kind, value, reason, params)
    except InvalidQuery as error:
        _audit_denied(
            principal,
            reference,
            channel,
            kind,
            value,
            reason,
            client,
            "invalid_query",
            error.field,
            audit_detail,
        )
        raise

    def audit(outcome: Outcome, detail: Mapping[str, Any]) -> None:
        record(
            principal,
            reference=reference,
            channel=channel,
            action=kind,
            query=value[:MAX_AUDITED_VALUE],
            reason=query.reason,
            outcome=outcome,
            client=client,
            detail={**(audit_detail or {}), **query.audit_detail(), **detail},
        )

    with_date_of_birth = (
        channel in ("api", "web") if include_date_of_birth is None else include_date_of_birth
    )
    try:
        with (backend or search_backend()).snapshot() as snapshot:
            info = snapshot.info
            # Training backends are not cached: their data set ids are not the app's.
            cache = answer_cache.app_cache() if backend is None else None
            context = answer_context(with_date_of_birth, with_reports=backend is None)
            found = _cached_find(cache, snapshot, query, with_date_of_birth, context)
    except (BackendError, OSError, StoreError) as error:
        # A licence's points need the incident reports too: without them, no answer.
        cause = "no_data_published" if isinstance(error, NoDataPublished) else "index_unavailable"
        audit("error", {"error": cause})
        raise LookupUnavailable(reference, cause) from error
    except Exception:
        # A fault of ours: still one audit record, then the app's 500 handler answers.
        audit("error", {"error": "internal"})
        raise

    matches = found.matches
    outcome: Outcome = "match" if matches else "no_match"
    audit(
        outcome,
        {
            "dataset_id": info.dataset_id,
            "matches": len(matches),
            "ids": found.ids,
            "summary": found.summary,
        },
    )
    body = {
        "matches": matches,
        "reference": reference,
        "data_as_of": _iso(info.published_at),
        "data_stale": data_stale(info.published_at),
        "query": query.as_json(),
        "verify": _verify(),
    }
    return LookupResult(
        reference=reference, outcome=outcome, body=body, matches_json=found.matches_json
    )


@functools.lru_cache(maxsize=8)
def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
