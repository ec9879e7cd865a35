"""SMS reply templates: every reply is one GSM-7 segment (at most 160 septets).

A reply is a list of parts. When the whole is too long, the parts with the highest `rank` fall
back to their shorter variants first (an "OK" action that is the ordinary procedure, the
"driver may differ" gloss), and only then is the surname clipped; the status words, the
reference and the 24/7 number are never dropped. Values from records (names, numbers) pass
through `to_gsm7` first, so an accented or non-Latin name can never switch the message to UCS-2.

Least data for a channel that proves little about its sender: surname and initial only, no date
of birth, no address, no family details.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lookup.answers.text import phrases
from lookup.answers.text.gsm7 import SEGMENT_SEPTETS, clip, septets, to_gsm7

ECHO_CHARS = 12  # an ID or licence number echoed back is cut to its last characters beyond this
MAX_CANDIDATES = 3
NANP_PREFIX = "+1-"


@dataclass(frozen=True, slots=True)
class Part:
    """Alternative renderings, longest first; the last one is used when space runs out.
    `clip_min`: as a last resort the first variant may be cut down to this many septets
    (`tail` is kept whole after it, e.g. the initial after a clipped surname)."""

    variants: tuple[str, ...]
    rank: int = 0
    clip_min: int | None = None
    tail: str = ""

    def render(self, variant: int) -> str:
        text = self.variants[variant]
        return text + self.tail if text else ""


def part(
    text: str, *shorter: str, rank: int = 0, clip_min: int | None = None, tail: str = ""
) -> Part:
    return Part((text, *shorter), rank, clip_min, tail)


def compose(parts: Sequence[Part]) -> str:
    """Join the parts with spaces, degrading them until the text fits one segment."""
    pieces = list(parts)
    chosen = [0] * len(pieces)

    def render() -> str:
        return " ".join(t for p, i in zip(pieces, chosen, strict=True) if (t := p.render(i)))

    text = render()
    while septets(text) > SEGMENT_SEPTETS:
        degradable = [
            n for n, p in enumerate(pieces) if p.rank > 0 and chosen[n] < len(p.variants) - 1
        ]
        if not degradable:
            break
        worst = max(degradable, key=lambda n: (pieces[n].rank, n))
        chosen[worst] += 1
        text = render()
    for n, p in enumerate(pieces):
        excess = septets(text) - SEGMENT_SEPTETS
        if excess <= 0:
            break
        if p.clip_min is None or chosen[n] != 0:
            continue
        current = p.variants[0]
        pieces[n] = Part((clip(current, max(p.clip_min, septets(current) - excess)),), tail=p.tail)
        text = render()
    # A guard, not a path real values take: the property tests prove the parts above fit.
    return clip(text, SEGMENT_SEPTETS)


# -- facts a reply is built from --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonFacts:
    family_name: str
    given_names: str | None
    level: str  # full | official_acts | none | unverified
    arrest: str  # arrest_or_detain code
    residence: str  # enter_residence code
    credential: str | None = None  # card status today
    licence: str | None = None  # licence status today
    points: int = 0  # licence points, imported plus assessed from incident reports
    points_alert: str = "none"  # none | review | suspension


@dataclass(frozen=True, slots=True)
class VehicleFacts:
    plate: str
    match: str  # exact | confusable | partial
    registration: str
    insurance: str


@dataclass(frozen=True, slots=True)
class PlateFacts:
    vehicle: VehicleFacts
    registrant: PersonFacts | None  # None: registered to a mission
    mission_country: str | None = None


def _name_part(person: PersonFacts) -> Part:
    """SURNAME I. -- the surname is what gives way last, down to its first letter."""
    surname = to_gsm7(person.family_name.upper()).strip() or phrases.UNKNOWN_VALUE
    initial = to_gsm7((person.given_names or "").upper()).strip()[:1]
    return part(surname, clip_min=1, tail=f" {initial}." if initial else ".")


def _immunity_part(person: PersonFacts) -> Part:
    level = phrases.LEVEL.get(person.level, phrases.LEVEL["unverified"])
    arrest = phrases.ARREST.get(person.arrest, phrases.ARREST["no"])
    residence = phrases.RESIDENCE.get(person.residence, phrases.RESIDENCE["no"])
    # A "no" is what protects the person and the officer: it always stays. An "OK" is the
    # ordinary procedure and gives way first when space is short.
    full = [arrest, residence, phrases.CITATION]
    without_ticket = [arrest, residence]
    least = [arrest] if person.residence == "yes" else without_ticket
    variants = dict.fromkeys(
        f"{level}: {', '.join(items)}." for items in (full, without_ticket, least)
    )
    return Part(tuple(variants), rank=5)


def sms_phone(verify_phone: str) -> str:
    """The configured 24/7 number in its shortest dialable form: +1 (571) 345-3146 ->
    571-345-3146."""
    compact = "-".join(to_gsm7(verify_phone).replace("(", " ").replace(")", " ").split())
    compact = compact.replace("--", "-")
    # Officers' phones are North American: the +1 country code is implied.
    return compact.removeprefix(NANP_PREFIX)


def _closing(
    reference: str | None, verify_phone: str, *, call: bool = False, stale: bool = False
) -> list[Part]:
    """The reference and the 24/7 number; `call` makes the number an instruction; `stale` adds
    the old-data marker (shortened under pressure, never dropped)."""
    parts = [part(*phrases.STALE, rank=2)] if stale else []
    if reference:
        ref = to_gsm7(reference)
        parts.append(part(f"Ref {ref}.", f"{ref}.", rank=3))
    number = f"{phrases.VERIFY} {sms_phone(verify_phone)}"
    parts.append(part(f"{phrases.CALL} {number}" if call else number))
    return parts


def must_call(person: PersonFacts | None) -> bool:
    """The answer must tell the officer to call: the person's status is not recorded."""
    return person is not None and person.level not in phrases.RECORDED_LEVELS


def _echo(value: str) -> str:
    shown = to_gsm7(value)
    return shown if len(shown) <= ECHO_CHARS else ".." + shown[-(ECHO_CHARS - 2) :]


def longest(parts: Sequence[Part]) -> str:
    """The parts in their fullest wording, for a channel with room for all of it (the API's
    plain-text answer): the same words in the same order as a reply, nothing dropped."""
    return " ".join(text for p in parts if (text := p.render(0)))


def person_reply(
    kind: str,
    value: str,
    person: PersonFacts,
    reference: str,
    verify_phone: str,
    *,
    stale: bool = False,
) -> str:
    """An ID card or licence answer."""
    head = f"{phrases.KIND_ECHO.get(kind, '')} {_echo(value)}:".strip()
    return compose(
        [
            part(head),
            *person_parts(kind, person),
            *_closing(reference, verify_phone, call=must_call(person), stale=stale),
        ]
    )


def licence_parts(status: str, points: int, points_alert: str) -> list[Part]:
    """A licence's status, then its points alert when there is one. A valid licence at the
    suspension threshold does not say "OK"."""
    if status == "valid" and points_alert == "suspension":
        parts = [part(phrases.LICENCE_VALID_AT_SUSPENSION + ".")]
    else:
        parts = [part(phrases.LICENCE.get(status, "Lic ?") + ".")]
    if points_alert in phrases.POINTS_ALERT:
        label, short = phrases.POINTS_ALERT[points_alert]
        parts.append(part(f"{points} pts-{label}.", f"{points}pts {short}.", rank=1))
    return parts


def person_parts(kind: str, person: PersonFacts) -> list[Part]:
    """What an answer says of one person: name, immunity and actions, card or licence."""
    status: list[Part] = []
    if kind == "license" and person.licence:
        status += licence_parts(person.licence, person.points, person.points_alert)
    if person.credential:
        card = phrases.CREDENTIAL.get(person.credential, phrases.CREDENTIAL["unknown"])
        # On a licence answer the card status is extra; on an ID answer it is the point.
        status.append(part(card + ".", "", rank=5 if kind == "license" else 0))
    return [_name_part(person), _immunity_part(person), *status]


def plate_reply(
    facts: PlateFacts, reference: str, verify_phone: str, *, stale: bool = False
) -> str:
    call = must_call(facts.registrant)
    return compose(
        [*plate_parts(facts), *_closing(reference, verify_phone, call=call, stale=stale)]
    )


def plate_parts(facts: PlateFacts) -> list[Part]:
    """What an answer says of one vehicle: plate and match, registrant, insurance, registration."""
    vehicle = facts.vehicle
    head = to_gsm7(vehicle.plate)
    notes = phrases.MATCH.get(vehicle.match, phrases.MATCH["partial"])
    # A weaker match says so; squeezed, "DAB1234?" still flags that it is not exact.
    heading = (*(f"{head} {note}:" for note in notes), f"{head}?:") if notes else (f"{head}:",)
    parts = [Part(heading, rank=1)]
    if facts.registrant is not None:
        parts += [part("Owner"), _name_part(facts.registrant), _immunity_part(facts.registrant)]
    elif facts.mission_country is not None:
        country = to_gsm7(facts.mission_country.upper()).strip()
        parts += [part(country, clip_min=0, tail=","), part(phrases.MISSION_CAR + ".")]
    else:
        parts.append(part(phrases.REGISTRANT_MISSING + "."))
    insurance = phrases.INSURANCE.get(vehicle.insurance, phrases.INSURANCE["none"])
    if vehicle.insurance in phrases.UNINSURED:
        parts.append(part(insurance + ".", phrases.UNINSURED_SHORT + ".", rank=4))
    else:
        parts.append(part(insurance + "."))
    parts.append(part(phrases.REGISTRATION.get(vehicle.registration, "Reg ?") + "."))
    if facts.registrant is not None:
        # A plate names the registrant, not whoever is driving (DESIGN.md).
        parts.append(part(phrases.REGISTRANT_NOT_DRIVER + ".", "", rank=2))
    return parts


def licence_only_reply(
    value: str,
    status: str,
    reference: str,
    verify_phone: str,
    *,
    points: int = 0,
    points_alert: str = "none",
    stale: bool = False,
) -> str:
    """A licence whose holder is not on record: its status, and a call to make."""
    return compose(
        [
            part(f"{phrases.KIND_ECHO['license']} {_echo(value)}:"),
            *licence_parts(status, points, points_alert),
            part(phrases.HOLDER_MISSING + ", call"),
            *_closing(reference, verify_phone, stale=stale)[::-1],
        ]
    )


def candidates_reply(
    values: Sequence[str],
    reference: str,
    verify_phone: str,
    kind: str = "plate",
    *,
    stale: bool = False,
) -> str:
    """Several confusable plates, or ID card or licence numbers with no exact match: the
    officer checks the document and re-sends the right one."""
    shown = [to_gsm7(v) for v in values[:MAX_CANDIDATES]]
    word = phrases.KIND_WORD.get(kind, "record")
    plural = "s" if len(shown) != 1 else ""
    return compose(
        [
            part(f"{len(shown)} possible {word}{plural}: {', '.join(shown)}."),
            part(
                f"Check the {word}, re-send one as {phrases.KIND_ECHO.get(kind, 'P')} <number>."
                if kind != "plate"
                else "Check the plate, re-send one as P <plate>.",
                "Re-send one.",
                rank=1,
            ),
            *_closing(reference, verify_phone, stale=stale),
        ]
    )


def no_match_reply(
    kind: str, value: str, reference: str, verify_phone: str, *, stale: bool = False
) -> str:
    word = phrases.KIND_WORD.get(kind, "record")
    return compose(
        [
            part(f"No record for {word} {_echo(value)}."),
            part("Not proof of no immunity: call"),
            *_closing(reference, verify_phone, stale=stale)[::-1],
        ]
    )


def help_reply(verify_phone: str) -> str:
    return compose(
        [
            part("DipCheck: text P <plate>, ID <card no.> or DL <licence no.>,"),
            part("optionally + reason (crash, warrant, investigation)."),
            part("STOP to opt out."),
            *_closing(None, verify_phone),
        ]
    )


def unrecognized_reply(verify_phone: str) -> str:
    return compose(
        [
            part("Not understood. Text P <plate>, ID <card no.> or DL <licence no.>"),
            part("or HELP."),
            *_closing(None, verify_phone),
        ]
    )


def invalid_value_reply(kind: str, verify_phone: str) -> str:
    word = phrases.KIND_WORD.get(kind, "value")
    return compose(
        [
            part(f"That {word} cannot be right: check it and re-send, or text HELP."),
            *_closing(None, verify_phone),
        ]
    )


def not_enrolled_reply() -> str:
    # One generic line for unknown and disabled numbers alike: it says nothing about whether a
    # number or an officer exists.
    return "DipCheck: this number is not enrolled for lookups. Ask your agency administrator."


def restarted_reply() -> str:
    return "DipCheck: texts re-enabled. Text HELP for the commands."


def rate_limited_reply(reference: str, verify_phone: str) -> str:
    return compose(
        [
            part("Too many lookups from this phone, try again in a few minutes or call"),
            *_closing(reference, verify_phone)[::-1],
        ]
    )


def unavailable_reply(reference: str | None, verify_phone: str) -> str:
    return compose(
        [
            part("Cannot verify now. Call"),
            *_closing(None, verify_phone),
            *([part(f"Ref {to_gsm7(reference)}.")] if reference else []),
        ]
    )
