"""The officer screens' presentation helpers: the officer web pages, the QR full record and the
training mode show an answer through the same `OfficerScreenUi`, so a trainee sees exactly what
an officer sees.

The screens render the very dict the JSON API returns; the words of levels and actions come from
the immunity matrix (lookup/rules/immunity_matrix.yaml) through its loader, never from here.
Only the choice of badge colour for a status lives in this module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lookup.identity import sessions
from lookup.rules.immunity import ACTION_CODES, ImmunityMatrix
from lookup.rules.matrix_source import current_matrix

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


class OfficerScreenUi:
    """The presentation helpers the officer screens' templates call as `ui.*`; outreach's
    training mode passes the same object so trainees see exactly what officers see."""

    def __init__(self) -> None:
        self.matrix = current_matrix()

    def headline(self, level: str) -> str:
        return level_headline(self.matrix, level)

    def summary(self, immunity: dict[str, Any]) -> str:
        return summary_after_headline(self.matrix, immunity)

    def action_rows(self, immunity: dict[str, Any]) -> list[ActionRow]:
        return action_rows(self.matrix, immunity)

    def action_shorts(self, immunity: dict[str, Any]) -> list[str]:
        return action_shorts(self.matrix, immunity)

    @staticmethod
    def data_age(data_as_of: str) -> str:
        return data_age(data_as_of, sessions.now())

    insurance_badge = staticmethod(insurance_badge)
    registration_badge = staticmethod(registration_badge)
    licence_badge = staticmethod(licence_badge)
    points_text = staticmethod(points_text)
    credential_badge = staticmethod(credential_badge)
    travel_badge = staticmethod(travel_badge)
    marked_chars = staticmethod(marked_chars)
    matched_number = staticmethod(matched_number)
    vehicle_line = staticmethod(vehicle_line)
    mission_line = staticmethod(mission_line)
