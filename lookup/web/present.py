"""Small helpers that turn the API answer (lookup/answers/build.py) into what the page shows.

The page renders the very dict the JSON API returns; the words of levels and actions come from
the immunity matrix (lookup/rules/immunity_matrix.yaml) through its loader, never from here.
Only the choice of badge colour for a status lives in this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lookup.rules.immunity import ACTION_CODES, ImmunityMatrix

# Badge tone by status. Anything unlisted is shown as "bad": an unknown status must not look fine.
_INSURANCE_TONE = {"active": "good", "expiring": "warn", "not_required": "neutral"}
_REGISTRATION_TONE = {"active": "good", "expired": "warn"}
_CREDENTIAL_TONE = {"valid": "good", "unknown": "neutral"}
# The label of each vehicle_type of the contract (DESIGN.md).
_VEHICLE_TYPES = {
    "car": "Car",
    "motorcycle": "Motorcycle",
    "trailer": "Trailer",
    "other": "Other vehicle",
}


@dataclass(frozen=True, slots=True)
class Badge:
    tone: str  # good | warn | bad | neutral (a CSS class suffix)
    text: str


@dataclass(frozen=True, slots=True)
class ActionRow:
    label: str
    text: str
    value: str


@dataclass(frozen=True, slots=True)
class AnswerView:
    """Which card an answer opens on, and the matches it shows."""

    # plate | plate_candidates | person | person_candidates | license | number_candidates |
    # no_match
    view: str
    matches: list[dict[str, Any]]
    similar: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class MarkedChar:
    char: str
    typed: str | None  # what the officer typed here, when the record holds another character


def level_headline(matrix: ImmunityMatrix, level: str) -> str:
    rule = matrix.levels.get(level)
    return rule.headline if rule else level.upper()


def summary_after_headline(matrix: ImmunityMatrix, immunity: Mapping[str, Any]) -> str:
    """The answer's one-line summary without a leading copy of the banner's headline."""
    summary = str(immunity.get("summary") or "")
    headline = level_headline(matrix, str(immunity.get("level")))
    if summary.upper().startswith(headline.upper()):
        rest = summary[len(headline) :].lstrip(" :;,-")
        return rest[:1].upper() + rest[1:]
    return summary


def action_rows(matrix: ImmunityMatrix, immunity: Mapping[str, Any]) -> list[ActionRow]:
    """The five actions in matrix order: the action's label (from the matrix) and the answer's
    plain words (the API's `actions_text`, themselves read from the matrix)."""
    texts: Mapping[str, str] = immunity["actions_text"]
    values: Mapping[str, str] = immunity["actions"]
    return [
        ActionRow(label=matrix.actions[code].label, text=texts[code], value=values[code])
        for code in ACTION_CODES
    ]


def action_shorts(matrix: ImmunityMatrix, immunity: Mapping[str, Any]) -> list[str]:
    """The five actions as the matrix's short fragments, for the verdict at the top of a card
    ("Do not arrest or detain"); the full sentences follow further down."""
    values: Mapping[str, str] = immunity["actions"]
    shorts = [matrix.actions[code].values[values[code]].short for code in ACTION_CODES]
    return [short[:1].upper() + short[1:] for short in shorts]


def choose_view(kind: str, matches: list[dict[str, Any]], pick: str = "") -> AnswerView:
    """The card an answer opens on: every channel that shows action cards (the officer web, the
    QR full record, training mode) decides it here, so they open the same answer the same way."""
    if not matches:
        return AnswerView("no_match", [], [])
    if kind == "plate":
        exact = [m for m in matches if m["match"] == "exact"]
        if exact:
            return AnswerView("plate", exact[:1], [m for m in matches if m is not exact[0]])
        return AnswerView("plate_candidates", matches, [])
    if kind == "plate_pattern":
        return AnswerView("plate_candidates", matches, [])
    if kind in ("credential", "license"):
        exact = [m for m in matches if m.get("match", "exact") == "exact"]
        if exact:
            view = "license" if kind == "license" else "person"
            return AnswerView(view, exact[:1], [m for m in matches if m is not exact[0]])
        return AnswerView("number_candidates", matches, [])
    if kind == "person":
        picked = [m for m in matches if pick and m["person_id"] == pick]
        if picked:
            return AnswerView("person", picked, [])
        if len(matches) > 1:
            return AnswerView("person_candidates", matches, [])
    return AnswerView("person", matches[:1], [])


def insurance_badge(insurance: Mapping[str, Any]) -> Badge:
    tone = _INSURANCE_TONE.get(str(insurance.get("status")), "bad")
    text = str(insurance.get("label") or insurance.get("status"))
    if insurance.get("may_be_driven") is False:
        tone = "bad"
        text = f"{text}: may not be driven"
    return Badge(tone, text)


def registration_badge(registration: Mapping[str, Any]) -> Badge:
    tone = _REGISTRATION_TONE.get(str(registration.get("status")), "bad")
    return Badge(tone, str(registration.get("label") or registration.get("status")))


def licence_badge(licence: Mapping[str, Any]) -> Badge:
    tone = "good" if licence.get("may_drive") else "bad"
    return Badge(tone, str(licence.get("label") or licence.get("status")))


# What a licence's points alert (lookup/answers/build.py, points_alert) adds after its points.
_POINTS_ALERT_TEXT = {"review": "OFM review", "suspension": "OFM suspension level"}


def points_text(licence: Mapping[str, Any]) -> str:
    """The licence's points (imported plus assessed reports), with the OFM alert they reach."""
    text = f"{licence.get('points', 0)} points"
    alert = _POINTS_ALERT_TEXT.get(str(licence.get("points_alert")))
    return f"{text} ({alert})" if alert else text


def credential_badge(credential: Mapping[str, Any]) -> Badge:
    tone = _CREDENTIAL_TONE.get(str(credential.get("status")), "bad")
    return Badge(tone, str(credential.get("label") or credential.get("status")))


def travel_badge(travel: Mapping[str, Any]) -> Badge:
    if travel.get("regime") == "none":
        tone = "neutral"
    elif travel.get("covers_today"):
        tone = "good"
    else:
        tone = "warn"
    label = str(travel.get("label") or travel.get("regime"))
    return Badge(tone, label if "travel" in label.lower() else f"Travel: {label}")


def marked_chars(text: str, substitutions: Sequence[Mapping[str, Any]]) -> list[MarkedChar]:
    """The record's plate or number, each character paired with what was typed where they
    differ."""
    typed_at = {int(s["position"]): str(s["typed"]) for s in substitutions}
    return [MarkedChar(ch, typed_at.get(i)) for i, ch in enumerate(text)]


def matched_number(kind: str, match: Mapping[str, Any]) -> str:
    """The ID card or licence number of a credential or licence match."""
    if kind == "license":
        return str(match["license"]["license_number"])
    return str((match.get("credential") or {}).get("number") or "")


def data_age(data_as_of: str, now: datetime) -> str:
    """`2026-11-23 14:00 UTC, 5 hours old` for the published data set's timestamp."""
    try:
        published = datetime.fromisoformat(data_as_of.replace("Z", "+00:00"))
    except ValueError:
        return data_as_of
    if published.tzinfo is None:
        published = published.replace(tzinfo=UTC)
    minutes = max(0, int((now - published).total_seconds() // 60))
    if minutes < 60:
        age = f"{minutes} min old"
    elif minutes < 48 * 60:
        age = f"{minutes // 60} h old"
    else:
        age = f"{minutes // (24 * 60)} days old"
    return f"{published.astimezone(UTC):%Y-%m-%d %H:%M} UTC, {age}"


def vehicle_line(vehicle: Mapping[str, Any]) -> str:
    """`Trailer · grey 2019 Humbaur HA` : the recorded type first, so a trailer never reads as
    whatever its make and model suggest."""
    kind = _VEHICLE_TYPES.get(str(vehicle.get("vehicle_type")), "Vehicle of unrecorded type")
    parts = [vehicle.get("color"), vehicle.get("year"), vehicle.get("make"), vehicle.get("model")]
    described = " ".join(str(p) for p in parts if p)
    return f"{kind} · {described}" if described else kind


def mission_line(mission: Mapping[str, Any] | None) -> str:
    if not mission:
        return "Mission not on record"
    place = ", ".join(str(p) for p in (mission.get("city"), mission.get("state")) if p)
    name = f"{mission.get('name')} ({mission.get('country')})"
    return f"{name}, {place}" if place else name
