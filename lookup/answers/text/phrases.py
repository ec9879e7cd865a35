"""Every word an SMS reply uses for a status code: the one place SMS abbreviations live.

The immunity matrix's own `short` phrases ("arrest only for a felony under a warrant") are
written for the web answer's sentence and do not leave room for the rest of a 160-character
reply, so SMS keeps its own clipped wording here, keyed by the same codes. All plain ASCII.
"""

from __future__ import annotations

from typing import Final

LEVEL: Final[dict[str, str]] = {
    "full": "FULL IMMUNITY",
    "official_acts": "OFFICIAL ACTS ONLY",
    "none": "NO IMMUNITY",
    # Until the 24/7 desk confirms, an unverified person gets the protective answer; the reply
    # then ends "CALL 24/7 <number>".
    "unverified": "UNVERIFIED",
}
RECORDED_LEVELS: Final = frozenset({"full", "official_acts", "none"})

ARREST: Final[dict[str, str]] = {
    "no": "no arrest",
    "felony_warrant_only": "arrest if felony+warrant",
    "yes": "arrest OK",
}
RESIDENCE: Final[dict[str, str]] = {"no": "no home entry", "yes": "home entry OK"}
CITATION: Final = "ticket OK"

INSURANCE: Final[dict[str, str]] = {
    "active": "Ins OK",
    "expiring": "Ins ENDING SOON",
    "lapsed": "Ins LAPSED-NO DRIVING",
    "not_yet_effective": "Ins NOT IN FORCE-NO DRIVING",
    "below_minimum": "Ins BELOW MIN-NO DRIVING",
    "none": "NO INS-NO DRIVING",
    "not_required": "Ins via tow car",
}
# An uninsured vehicle may not be driven at all (DOMAIN.md); short form when space runs out.
UNINSURED: Final = frozenset({"lapsed", "not_yet_effective", "below_minimum", "none"})
UNINSURED_SHORT: Final = "UNINSURED-NO DRIVING"
REGISTRATION: Final[dict[str, str]] = {
    "active": "Reg OK",
    "suspended": "Reg SUSPENDED",
    "expired": "Reg EXPIRED",
    "revoked": "Reg REVOKED",
    "stolen": "PLATES STOLEN",
}
CREDENTIAL: Final[dict[str, str]] = {
    "valid": "Card OK",
    "expired": "Card EXPIRED",
    "revoked": "Card REVOKED",
    "lost_or_stolen": "Card LOST/STOLEN",
    "unknown": "Card status unknown",
}
LICENCE: Final[dict[str, str]] = {
    "valid": "Lic OK",
    "suspended": "Lic SUSPENDED-NO DRIVING",
    "revoked": "Lic REVOKED-NO DRIVING",
    "expired": "Lic EXPIRED-NO DRIVING",
}
# A valid licence at or above the suspension threshold (DIPCHECK_POINTS_SUSPENSION): OFM
# suspends at that count, so "Lic OK" would tell the officer the opposite of the web answer;
# the points part that follows carries the alert.
LICENCE_VALID_AT_SUSPENSION: Final = "Lic valid"
# A licence's points alert (8/12 points in 24 months, with assessed reports): long, short.
POINTS_ALERT: Final[dict[str, tuple[str, str]]] = {
    "review": ("OFM REVIEW", "REVIEW"),
    "suspension": ("SUSPENSION ALERT", "SUSP"),
}
# Longest first: the short form is used when space runs out.
MATCH: Final[dict[str, tuple[str, ...]]] = {
    "exact": (),
    "confusable": ("NEAR MATCH", "NEAR"),
    "partial": ("PARTIAL MATCH", "PARTIAL"),
}
KIND_ECHO: Final[dict[str, str]] = {"plate": "P", "credential": "ID", "license": "DL"}
KIND_WORD: Final[dict[str, str]] = {"plate": "plate", "credential": "ID card", "license": "licence"}

REGISTRANT_NOT_DRIVER: Final = "Driver may differ"
MISSION_CAR: Final = "mission car, check driver ID"
REGISTRANT_MISSING: Final = "Registrant not on record, check driver ID"
HOLDER_MISSING: Final = "Holder not on record"
# The served data set is older than DIPCHECK_DATA_STALE_HOURS: longest first, never dropped.
STALE: Final = ("DATA MAY BE OLD.", "OLD DATA.", "OLD!")
VERIFY: Final = "24/7"
CALL: Final = "CALL"
UNKNOWN_VALUE: Final = "?"
