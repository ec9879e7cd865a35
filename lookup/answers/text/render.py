"""From a lookup's answer (the API's JSON body, built by lookup/answers/build.py) to one SMS reply.

Only the fields an SMS may carry are read: immunity level and the arrest and residence actions,
card and licence status (with a licence's points alert), insurance and registration status, the
surname and the first initial, the mission's country. Dates of birth, addresses, family members
and notes never reach a reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lookup.answers.text import replies
from lookup.answers.text.replies import PersonFacts, PlateFacts, VehicleFacts
from lookup.screens.cards import choose_view


def person_facts(person: Mapping[str, Any]) -> PersonFacts:
    immunity = person.get("immunity") or {}
    actions = immunity.get("actions") or {}
    credential = person.get("credential") or {}
    licence = person.get("license") or {}
    return PersonFacts(
        family_name=str(person.get("family_name") or ""),
        given_names=person.get("given_names"),
        level=str(immunity.get("level", "unverified")),
        arrest=str(actions.get("arrest_or_detain", "no")),
        residence=str(actions.get("enter_residence", "no")),
        credential=credential.get("status"),
        licence=licence.get("status"),
        points=int(licence.get("points") or 0),
        points_alert=str(licence.get("points_alert") or "none"),
    )


def plate_facts(match: Mapping[str, Any]) -> PlateFacts:
    vehicle = match["vehicle"]
    registrant = match.get("registrant") or {}
    person = registrant.get("person")
    mission = registrant.get("mission")
    return PlateFacts(
        vehicle=VehicleFacts(
            plate=str(vehicle["plate"]),
            match=str(match.get("match", "partial")),
            registration=str(vehicle["registration"]["status"]),
            insurance=str(vehicle["insurance"]["status"]),
        ),
        registrant=person_facts(person) if person else None,
        mission_country=mission.get("country") if mission else None,
    )


def orphan_licence_reply(
    shown: str,
    licence: Mapping[str, Any],
    reference: str,
    verify_phone: str,
    *,
    stale: bool = False,
) -> str:
    """The reply for a licence whose holder is not on record."""
    return replies.licence_only_reply(
        shown,
        str(licence["status"]),
        reference,
        verify_phone,
        points=int(licence.get("points") or 0),
        points_alert=str(licence.get("points_alert") or "none"),
        stale=stale,
    )


def reply_for(kind: str, typed: str, body: Mapping[str, Any], verify_phone: str) -> str:
    """The reply to a lookup of `kind` whose answer is `body`, on the card every channel would
    open (lookup/screens/cards.py). A reply cannot ask back: a name search answers with its best
    match, and a single look-alike plate is answered as that plate (the reply says it is one)."""
    reference = str(body["reference"])
    shown = str((body.get("query") or {}).get("normalized") or typed)
    stale = bool(body.get("data_stale"))
    card = choose_view(kind, body.get("matches") or [], lists_people=False, opens_lone_plate=True)
    if card.view == "no_match":
        return replies.no_match_reply(kind, shown, reference, verify_phone, stale=stale)
    if card.view == "plate":
        return replies.plate_reply(
            plate_facts(card.matches[0]), reference, verify_phone, stale=stale
        )
    if card.view == "plate_candidates":
        plates = [str(m["vehicle"]["plate"]) for m in card.matches]
        return replies.candidates_reply(plates, reference, verify_phone, stale=stale)
    if card.view == "number_candidates":  # only look-alikes: never answer as if it were one
        numbers = [_number_of(kind, m) for m in card.matches]
        return replies.candidates_reply(numbers, reference, verify_phone, kind, stale=stale)
    found = card.matches[0]
    if card.view == "license":
        person = found.get("person")
        if person is None:
            return orphan_licence_reply(
                shown, found["license"], reference, verify_phone, stale=stale
            )
        facts = person_facts({**person, "license": found["license"]})
        return replies.person_reply(kind, shown, facts, reference, verify_phone, stale=stale)
    return replies.person_reply(
        kind, shown, person_facts(found), reference, verify_phone, stale=stale
    )


def _number_of(kind: str, match: Mapping[str, Any]) -> str:
    if kind == "license":
        return str(match["license"]["license_number"])
    return str((match.get("credential") or {}).get("number") or "")
