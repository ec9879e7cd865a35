"""The OFM analysts' dashboard on the web (analysts only; every read audited):

- `GET /ofm/compliance?as_of=&sort=&order=`: every mission's fleet by insurance status, sortable,
  with the charts (compliance by mission type, policies ending by week, reports per month by
  kind, the missions with most reports, travel control by zone and regime) and their tables.
- `GET /ofm/compliance/<mission_id>/notice?as_of=`: a printable notice to the head of mission
  listing what must be fixed (browser print; one page per mission).
- `GET /ofm/charts/<name>.svg?as_of=`: a chart as SVG (pygal), loaded as an image.

Plain HTML, no script: the strict CSP holds.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, render_template, request
from pydantic import ValidationError

from lookup.config import current_settings
from lookup.errors import ApiError
from lookup.extensions import state_store
from lookup.identity import sessions
from lookup.identity.principal import Principal
from lookup.incidents.caller import Caller
from lookup.ofm import access, charts
from lookup.ofm.compliance import STATUSES, Compliance, MissionCompliance, compliance, to_fix
from lookup.ofm.flags import incident_window
from lookup.ofm.models import MissionVehiclesQuery
from lookup.store.base import StoreError
from lookup.web.blueprint import bp, error_page
from lookup.web.guards import signed_in
from search_index.backend import Snapshot

SORTS = ("mission_id", "name", "country", "mission_type", "vehicles", "compliant_rate", *STATUSES)
CHARTS = (
    "by-mission-type",
    "ending-by-week",
    "incidents-by-month",
    "top-missions",
    "travel-by-regime",
)
STATUS_LABELS = {
    "active": "Active",
    "expiring": "Expiring",
    "lapsed": "Lapsed",
    "not_yet_effective": "Not yet effective",
    "below_minimum": "Below minimum",
    "none": "No policy",
    "not_required": "Not required",
}


def _analyst(action: str) -> Caller:
    principal: Principal | None = sessions.current_web_principal()
    assert principal is not None  # signed_in() guarantees a live session
    return access.analyst(principal, "web", request.remote_addr, action)


def _as_of() -> date:
    try:
        query = MissionVehiclesQuery.model_validate(
            {"as_of": request.args["as_of"]} if request.args.get("as_of") else {}
        )
    except ValidationError:
        raise ApiError(
            400, "invalid_parameter", "as_of: a date as YYYY-MM-DD", field="as_of"
        ) from None
    return query.as_of or access.today()


def _sort_key(sort: str) -> Any:
    def key(m: MissionCompliance) -> Any:
        if sort in STATUSES:
            return m.by_status[sort]
        if sort == "vehicles":
            return m.vehicles
        if sort == "compliant_rate":
            return m.compliant_rate or 0.0
        if sort == "mission_id":
            return m.mission_id
        value = getattr(m.mission, sort, None) if m.mission else None
        return (value or "").casefold()

    return key


def _incident_charts(as_of: date) -> dict[str, charts.ChartData]:
    """The charts of the reports in the 365 days up to `as_of`, counted by the state store."""
    window = incident_window(as_of, current_settings().zone())
    incidents = state_store().incidents
    try:
        return {
            "incidents-by-month": charts.incidents_by_month(incidents, window, as_of),
            "top-missions": charts.top_missions(incidents, window),
        }
    except StoreError:
        raise ApiError(
            503, "unavailable", "incident reports cannot be reached now; try again later"
        ) from None


def _all_charts(
    caller: Caller, as_of: date, action: str, query: str
) -> tuple[Compliance, dict[str, charts.ChartData], str]:
    """Every chart's numbers, from one pinned snapshot and the incident reports; audited."""
    rules = access.insurance_rules()
    incident_charts = _incident_charts(as_of)

    def work(snapshot: Snapshot) -> tuple[Compliance, dict[str, charts.ChartData]]:
        report = compliance(snapshot, as_of, rules)
        return report, {
            "by-mission-type": charts.by_mission_type(report),
            "ending-by-week": charts.ending_by_week(snapshot.policy_groups(), as_of, rules),
            **incident_charts,
            "travel-by-regime": charts.travel_by_regime(snapshot),
        }

    (report, data), _reference, published = access.read(caller, action, query, work)
    return report, data, access.iso_utc(published)


def _guarded(view: Any) -> Any:
    """ApiError (403, 400, 503) as the web's HTML error page."""

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except ApiError as error:
            title = {400: "Check the address", 403: "Not allowed"}.get(error.status, "Try later")
            return error_page(error.status, title, str(error))

    run.__name__ = view.__name__
    run.__doc__ = view.__doc__
    return run


@bp.get("/ofm/compliance")
@signed_in()
@_guarded
def ofm_compliance() -> str:
    caller = _analyst("ofm_compliance")
    as_of = _as_of()
    sort = request.args.get("sort", "compliant_rate")
    sort = sort if sort in SORTS else "compliant_rate"
    descending = request.args.get("order", "asc") == "desc"
    found, data, data_as_of = _all_charts(
        caller, as_of, "ofm_compliance", f"as_of={as_of.isoformat()}&format=web"
    )
    rows = sorted(found.missions, key=_sort_key(sort), reverse=descending)
    return render_template(
        "web/ofm_compliance.html",
        as_of=as_of,
        data_as_of=data_as_of,
        rows=rows,
        totals=found.totals,
        statuses=STATUSES,
        labels=STATUS_LABELS,
        sort=sort,
        descending=descending,
        columns=[
            ("mission_id", "Mission"),
            ("name", "Name"),
            ("country", "Country"),
            ("mission_type", "Type"),
            ("vehicles", "Vehicles"),
            *((status, STATUS_LABELS[status]) for status in STATUSES),
            ("compliant_rate", "Compliant"),
        ],
        charts=[(name, data[name]) for name in CHARTS],
    )


@bp.get("/ofm/compliance/<mission_id>/notice")
@signed_in()
@_guarded
def ofm_notice(mission_id: str) -> str | Response:
    caller = _analyst("ofm_mission_compliance")
    as_of = _as_of()
    rules = access.insurance_rules()
    mission_id = mission_id[:64]
    (mission, vehicles), _reference, published = access.read(
        caller,
        "ofm_mission_compliance",
        f"mission_id={mission_id}&as_of={as_of.isoformat()}&format=notice",
        lambda snapshot: (
            snapshot.get_mission(mission_id),
            to_fix(snapshot, mission_id, as_of, rules),
        ),
        outcome=lambda found: "match" if found[0] is not None else "no_match",
    )
    if mission is None:
        return error_page(404, "Not found", "No mission with this id in the published records.")
    return render_template(
        "web/ofm_notice.html",
        as_of=as_of,
        data_as_of=access.iso_utc(published),
        mission=mission,
        vehicles=vehicles,
        labels=STATUS_LABELS,
    )


@bp.get("/ofm/charts/<name>.svg")
@signed_in()
@_guarded
def ofm_chart(name: str) -> Response:
    if name not in CHARTS:
        return error_page(404, "Not found", "No chart of this name.")
    caller = _analyst("ofm_chart")
    as_of = _as_of()
    _report, data, _at = _all_charts(caller, as_of, "ofm_chart", f"{name}&as_of={as_of}")
    return Response(charts.svg(data[name]), mimetype="image/svg+xml")
