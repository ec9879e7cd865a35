"""Incident reports: filing, reading, listing, exporting and OFM's assessment, the same for the
API and the web (DESIGN.md "Incidents and OFM review").

Every step checks everything first and writes last: a report is audited and then stored as one
document, so any refusal (400, 403, 404) stores nothing. Every read and change leaves one audit
record (actions `incident_file`, `incident_read`, `incident_list`, `incident_export`,
`incident_assess`); refusals are audited as `denied`. Audit first, then the write, as for lookups:
the log may hold a record of a write that then failed, never miss one that happened.

Who sees what: a police agency sees its own reports; OFM analysts see every agency's. The note of
an assessment is OFM's own: the reporting agency sees the decision and the points, not the note.

Training mode files reports too, against the synthetic training set, into the state store's
`training_incidents`: a store of their own, so the live queue, exports and licence points never
read a synthetic report and training never reads a live one. Every trainee shares the training
agency, so in training each sees the reports they filed themselves; the lookup a training report
follows must be a training lookup (the training agency's, as a live report needs its agency's).
Training reports are audited under the training agency, as training lookups are. Nobody assesses
them (no analyst works in training), so they give no points to any answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from lookup.answers import build as answers
from lookup.answers import cache as answer_cache
from lookup.answers.service import KINDS, LiveDataRefused, answer_context
from lookup.audit.records import new_reference, records
from lookup.errors import ApiError
from lookup.extensions import search_backend, state_store
from lookup.identity import accounts
from lookup.identity.principal import Principal
from lookup.incidents.caller import Caller
from lookup.incidents.models import AssessmentIn, IncidentIn, IncidentQuery
from lookup.incidents.report_to import report_to
from lookup.store.base import AuditFilter, Outcome, StoreError, VersionConflict, iso_millis
from lookup.store.incidents import COUNT_LIMIT, IncidentFilter, IncidentStore
from search_index.backend import BackendError, SearchBackend, Snapshot
from search_index.records import Mission, Person, Vehicle

M = TypeVar("M", bound=BaseModel)
PAGE_SIZE = 50
INCIDENT_PREFIX = "IN-"
# A clock a few minutes fast on the officer's device is not an error; a report from next week is.
FUTURE_TOLERANCE = timedelta(minutes=10)
_LOOKUP_OUTCOMES = ("match", "no_match")
_ASSESS_ATTEMPTS = 3


def _unavailable() -> ApiError:
    return ApiError(503, "unavailable", "incident reports cannot be reached now; try again later")


# -- input ---------------------------------------------------------------------------------


def parse_body(model: type[M], raw: bytes) -> M:
    """A JSON body as `model`; ApiError 400 naming the first field at fault otherwise
    (`location.latitude`, `subject`, `body` for a body that is not a JSON object)."""
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as error:
        first = error.errors()[0]
        location = [str(part) for part in first["loc"]]
        if first["type"] in ("json_invalid", "model_type", "model_attributes_type"):
            location = location or ["body"]
        field = ".".join(location) or "body"
        if first["type"] == "missing":
            raise ApiError(400, "missing_field", f"{field}: required", field=field) from None
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ApiError(400, "invalid_field", f"{field}: {message}", field=field) from None


def _bad(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid_field", f"{field}: {message}", field=field)


# -- where reports live --------------------------------------------------------------------


def incident_store(principal: Principal) -> IncidentStore:
    """The reports the principal files and reads: training mode's are kept apart."""
    store = state_store()
    return store.training_incidents if principal.is_training else store.incidents


def _subject_records(caller: Caller) -> SearchBackend:
    """The data set a report's subject is resolved against: the published record, or for a
    training caller the synthetic set its view handed over. Like run_lookup, a training caller
    without one is refused rather than given the live record."""
    if not caller.principal.is_training:
        return search_backend()
    if caller.training_backend is None:
        raise LiveDataRefused("training reports name people of the training data set only")
    return caller.training_backend


# -- audit ---------------------------------------------------------------------------------


def _refuse(caller: Caller, action: str, query: str, error: ApiError) -> ApiError:
    """Audit a refusal (best effort: the request is refused either way) and return it."""
    with contextlib.suppress(ApiError):
        caller.audit(action, query, "denied", denied=error.code, field=error.field)
    return error


# -- filing --------------------------------------------------------------------------------


def _check_may_file(principal: Principal) -> None:
    if principal.is_analyst:
        raise ApiError(403, "forbidden", "analysts review reports; police agencies file them")


def _reporting_officer(principal: Principal, body: IncidentIn) -> dict[str, Any]:
    given = body.reporting_officer
    if principal.officer_id is not None:
        officer = accounts.get_officer(state_store(), principal.officer_id)
        if officer is None:
            raise ApiError(403, "forbidden", "the account no longer exists")
        return {
            "name": officer.display_name,
            "badge": given.badge if given else None,
            "officer_id": officer.id,
        }
    if given is None:
        raise ApiError(
            400,
            "missing_field",
            "reporting_officer: required with an agency key",
            field="reporting_officer",
        )
    return {"name": given.name, "badge": given.badge, "officer_id": None}


def _check_lookup_reference(principal: Principal, reference: str | None) -> str | None:
    """The reference of a lookup the caller's agency made, or a 400 that says the same for an
    unknown reference and another agency's (so a guess learns nothing)."""
    if reference is None:
        return None
    wanted = reference.strip().upper()
    matched = list(records(AuditFilter(reference=wanted, agency_id=principal.agency_id, limit=1)))
    found = matched[0] if matched else None
    if found is None or found.action not in KINDS or found.outcome not in _LOOKUP_OUTCOMES:
        raise _bad("lookup_reference", "not a lookup made by your agency")
    return wanted


def _mission_json(mission: Mission | None) -> dict[str, Any] | None:
    if mission is None:
        return None
    return {
        "mission_id": mission.mission_id,
        "name": mission.name,
        "country": mission.country,
        "mission_type": mission.mission_type,
        "city": mission.city,
        "state": mission.state,
    }


def _vehicle_json(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "plate": vehicle.plate,
        "make": vehicle.make,
        "model": vehicle.model,
        "color": vehicle.color,
        "year": vehicle.year,
    }


def _person_of(snapshot: Snapshot, body: IncidentIn) -> Person | None:
    """The person the person identifiers name; they must all name the same one."""
    subject = body.subject

    def by_licence(number: str) -> Person | None:
        licence = snapshot.find_license(number)
        return snapshot.get_person(licence.person_id) if licence else None

    finders: list[tuple[str, str | None, Callable[[str], Person | None]]] = [
        ("subject.person_id", subject.person_id, snapshot.get_person),
        ("subject.credential_number", subject.credential_number, snapshot.find_credential),
        ("subject.license_number", subject.license_number, by_licence),
    ]
    found: list[tuple[str, Person]] = []
    for field, value, find in finders:
        if value is None:
            continue
        try:
            person = find(value)
        except ValueError as error:  # not a number the record could hold
            raise _bad(field, str(error)) from None
        if person is None:
            raise _bad(field, "not in the published record")
        found.append((field, person))
    for field, person in found[1:]:
        if person.person_id != found[0][1].person_id:
            raise _bad(field, "names a different person than the other identifiers")
    return found[0][1] if found else None


def _resolve_subject(
    snapshot: Snapshot, body: IncidentIn, context: answers.AnswerContext
) -> dict[str, Any]:
    """The subject as the published record holds it now, with the immunity level a lookup
    answers now (built by lookup/answers/build.py, never derived here)."""
    given = {name: value for name, value in body.subject.model_dump().items() if value is not None}
    person = _person_of(snapshot, body)
    vehicle: Vehicle | None = None
    registrant: dict[str, Any] | None = None
    if body.subject.plate is not None:
        vehicle = snapshot.get_vehicle(body.subject.plate)
        if vehicle is None:
            raise _bad("subject.plate", "not in the published record")
        registrant = _registrant(snapshot, vehicle, context)
    out: dict[str, Any] = {
        "given": given,
        "person_id": None,
        "name": None,
        "mission": registrant["mission"] if registrant else None,
        "category": None,
        "immunity_level": None,
        "vehicle": _vehicle_json(vehicle) if vehicle else None,
        "registrant": registrant,
    }
    if person is not None:
        answer = answers.person_json(snapshot, person, context)
        out.update(
            person_id=answer["person_id"],
            name=answer["name"],
            mission=_mission_json(snapshot.get_mission(person.mission_id)),
            category=answer["category"],
            immunity_level=answer["immunity"]["level"],
        )
    return out


def _registrant(
    snapshot: Snapshot, vehicle: Vehicle, context: answers.AnswerContext
) -> dict[str, Any]:
    if vehicle.owner_person_id is not None:
        owner = snapshot.get_person(vehicle.owner_person_id)
        if owner is None:
            return {"person_id": vehicle.owner_person_id, "name": None, "mission": None}
        return {
            "person_id": owner.person_id,
            "name": answers.person_json(snapshot, owner, context)["name"],
            "mission": _mission_json(snapshot.get_mission(owner.mission_id)),
        }
    mission = snapshot.get_mission(vehicle.owner_mission_id) if vehicle.owner_mission_id else None
    return {"person_id": None, "name": None, "mission": _mission_json(mission)}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def file_incident(caller: Caller, body: IncidentIn) -> dict[str, Any]:
    """Check, resolve, audit and store one report; its document (the 201 answer)."""
    principal = caller.principal
    try:
        _check_may_file(principal)
        officer = _reporting_officer(principal, body)
        if body.occurred_at > datetime.now(UTC) + FUTURE_TOLERANCE:
            raise _bad("occurred_at", "lies in the future")
        lookup_reference = _check_lookup_reference(principal, body.lookup_reference)
        # As a training lookup answers: without points from the live reports.
        context = answer_context(False, with_reports=not principal.is_training)
        try:
            with _subject_records(caller).snapshot() as snapshot:
                subject = _resolve_subject(snapshot, body, context)
                published_at = snapshot.info.published_at
        except (BackendError, OSError):
            raise ApiError(
                503, "cannot_verify", "the published record cannot be read now; try again later"
            ) from None
    except ApiError as error:
        raise _refuse(caller, "incident_file", body.kind, error) from None
    agency = accounts.get_agency(state_store(), principal.agency_id)
    incident_id = INCIDENT_PREFIX + new_reference().removeprefix("DC-")
    reference = caller.audit("incident_file", incident_id, "match", incident_id=incident_id)
    location = body.location
    document: dict[str, Any] = {
        "incident_id": incident_id,
        "status": "submitted",
        "reference": reference,
        "report_to": report_to(subject["mission"]),
        "agency_id": principal.agency_id,
        "agency_name": agency.name if agency else principal.agency_name,
        "filed_at": iso_millis(datetime.now(UTC)),
        "filed_by": principal.actor,
        "occurred_at": body.occurred_at.isoformat(),
        "occurred_on": body.occurred_at.date().isoformat(),
        "kind": body.kind,
        "subject": subject,
        "lookup_reference": lookup_reference,
        "citation_number": body.citation_number,
        "violation": body.violation,
        "narrative": body.narrative,
        "immunity_claimed": body.immunity_claimed,
        "location": location.model_dump() if location else None,
        "reporting_officer": officer,
        "data_as_of": _iso(published_at),
        "assessment": None,
        "assessments": [],
    }
    try:
        incident_store(principal).add(document)
    except StoreError:
        raise _unavailable() from None
    return document


# -- reading -------------------------------------------------------------------------------


def incident_json(document: Mapping[str, Any], principal: Principal) -> dict[str, Any]:
    """A report as its reader may see it (the answer shape IncidentOut)."""
    out = {key: value for key, value in document.items() if key != "assessments"}
    assessment = document.get("assessment")
    if assessment is not None and not principal.is_analyst:
        out["assessment"] = {**assessment, "note": None, "assessed_by": "ofm"}
    return out


def _visible(document: Mapping[str, Any], principal: Principal) -> bool:
    if principal.is_training:
        # Every trainee is of the one training agency: each sees what they filed.
        return bool(document["filed_by"] == principal.actor)
    return principal.is_analyst or document["agency_id"] == principal.agency_id


def get_incident(caller: Caller, incident_id: str) -> dict[str, Any]:
    """The report, if the caller may read it; 404 alike for another agency's and a missing one."""
    try:
        found = incident_store(caller.principal).get(incident_id[:64])
    except StoreError:
        raise _unavailable() from None
    if found is None or not _visible(found[1], caller.principal):
        raise _refuse(
            caller, "incident_read", incident_id, ApiError(404, "not_found", "no such report")
        )
    reference = caller.audit("incident_read", incident_id, "match", incident_id=incident_id)
    return {**incident_json(found[1], caller.principal), "read_reference": reference}


def incident_filter(principal: Principal, query: IncidentQuery) -> IncidentFilter:
    """The query's filter, always narrowed to the caller's own agency unless an analyst asks."""
    return IncidentFilter(
        agency_id=None if principal.is_analyst else principal.agency_id,
        status=query.status,
        kind=query.kind,
        country=query.country,
        mission_id=query.mission_id,
        person_id=query.person_id,
        since=query.since,
        until=query.until,
    )


def _page(principal: Principal, query: IncidentQuery) -> tuple[list[dict[str, Any]], int]:
    """One page of the reports the principal may see, and how many there are."""
    store = incident_store(principal)
    filter = incident_filter(principal, query)
    offset = (query.page - 1) * PAGE_SIZE
    if not principal.is_training:
        return store.page(filter, offset=offset, limit=PAGE_SIZE)
    # The filer is not an indexed field: a trainee's own reports are picked from the training
    # agency's, which are practice reports (a few per trainee), never a live queue's volume.
    mine = [d for d in store.iterate(filter) if _visible(d, principal)]
    return mine[offset : offset + PAGE_SIZE], len(mine)


def list_incidents(caller: Caller, query: IncidentQuery, query_text: str) -> dict[str, Any]:
    try:
        documents, total = _page(caller.principal, query)
    except StoreError:
        raise _unavailable() from None
    outcome: Outcome = "match" if documents else "no_match"
    reference = caller.audit("incident_list", query_text, outcome, rows=len(documents))
    return {
        "incidents": [incident_json(d, caller.principal) for d in documents],
        "page": query.page,
        "page_size": PAGE_SIZE,
        "total": min(total, COUNT_LIMIT),
        "total_exact": total <= COUNT_LIMIT,
        "reference": reference,
    }


def export_incidents(
    caller: Caller, query: IncidentQuery, query_text: str
) -> Iterator[dict[str, Any]]:
    """Every report matching the filters (all pages), audited before the first row is read.
    Training mode has no export: its trainees list their own few reports."""
    if caller.principal.is_training:
        raise _refuse(
            caller,
            "incident_export",
            query_text,
            ApiError(403, "forbidden", "training mode exports no reports"),
        )
    store = state_store()
    caller.audit("incident_export", query_text, "match")
    principal = caller.principal
    return (
        incident_json(d, principal)
        for d in store.incidents.iterate(incident_filter(principal, query))
    )


# -- assessment ----------------------------------------------------------------------------


def check_may_assess(caller: Caller, incident_id: str) -> None:
    if not caller.principal.is_analyst:
        raise _refuse(
            caller,
            "incident_assess",
            incident_id,
            ApiError(403, "forbidden", "only OFM analysts assess reports"),
        )


def assess_incident(caller: Caller, incident_id: str, body: AssessmentIn) -> dict[str, Any]:
    """OFM's decision on a report: analysts only. A later assessment replaces the earlier one
    (the earlier ones are kept in the report's history and in the audit log)."""
    principal = caller.principal
    check_may_assess(caller, incident_id)
    store = incident_store(principal)
    reference: str | None = None
    for _attempt in range(_ASSESS_ATTEMPTS):
        try:
            found = store.get(incident_id[:64])
        except StoreError:
            raise _unavailable() from None
        if found is None:
            raise _refuse(
                caller, "incident_assess", incident_id, ApiError(404, "not_found", "no such report")
            )
        version, document = found
        if body.decision == "points_assessed" and document["subject"].get("person_id") is None:
            raise _refuse(
                caller,
                "incident_assess",
                incident_id,
                _bad("decision", "points go on a person's licence: this report names a vehicle"),
            )
        if reference is None:
            reference = caller.audit(
                "incident_assess",
                incident_id,
                "match",
                incident_id=incident_id,
                decision=body.decision,
                points=body.points,
            )
        assessment = {
            "decision": body.decision,
            "points": body.points,
            "note": body.note,
            "assessed_at": iso_millis(datetime.now(UTC)),
            "assessed_by": principal.actor,
            "reference": reference,
        }
        changed = {
            **document,
            "status": "assessed",
            "assessment": assessment,
            "assessments": [*document.get("assessments", []), assessment],
        }
        try:
            store.replace(incident_id, changed, expect_version=version)
        except VersionConflict:
            continue  # another analyst wrote first: apply this decision on top of theirs
        except (StoreError, KeyError):
            raise _unavailable() from None
        # Answers show licence points: this process stops serving cached ones at once, other
        # workers within a poll of the store's assessment mark (lookup/answers/cache.py).
        answer_cache.bump()
        return {**incident_json(changed, principal), "read_reference": reference}
    raise _unavailable()
