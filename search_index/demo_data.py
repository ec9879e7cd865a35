"""Writes a synthetic import set (DESIGN.md "Import files") for demos, training and benchmarks.

Everything is invented: country names, two-letter plate country codes (random letter pairs, never
a real code list), people's names, insurers and makes. The output depends only on `seed` and
`today`: the same pair always writes the same bytes.

Dates are laid out around `today` (the day of generation unless given), not around a fixed date:
the states an officer must see (insurance expiring within 30 days, a travel notice covering
today, a credential just expired) exist only relative to the day the data is looked at. A set
generated today shows every state today; regenerate it (or pass `today`) to keep it so.

Every category, accreditation, credential, registration, insurance and licence state appears even
in the small set: the first records of each kind take each state in turn (`_Chooser`), the rest
follow realistic proportions.
"""

from __future__ import annotations

import csv
import hashlib
import random
import string
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Literal, TypeVar

from search_index.confusables import CONFUSION_CLASSES
from search_index.importer import COLUMNS, FLAG_SEPARATOR, LICENSES, MISSIONS, PERSONS, VEHICLES
from search_index.progress import QUIET, Progress
from search_index.records import FAMILY_MEMBER

Scale = Literal["small", "full", "fleet10x"]


@dataclass(frozen=True)
class ScaleSpec:
    missions: int
    persons: int
    vehicles: int
    licenses: int
    countries: int


SCALES: dict[str, ScaleSpec] = {
    # DOMAIN.md: more than 2,600 missions and 124,000 members and dependents; about 11,600
    # vehicles (2007). The licence count is our estimate of members who drive.
    "full": ScaleSpec(
        missions=2600, persons=124_000, vehicles=12_000, licenses=45_000, countries=180
    ),
    "small": ScaleSpec(missions=40, persons=1200, vehicles=240, licenses=450, countries=12),
    # Ten times the full scale's missions and vehicles, for the OFM workspace benchmark: its
    # aggregate and exports read missions and fleets. Persons and licences stay at full scale
    # (credential numbers are drawn from blocks of NUMBER_BLOCK persons, which 1.24 million would
    # not fit; the workspace reads persons only for the travel-control export).
    "fleet10x": ScaleSpec(
        missions=26_000, persons=124_000, vehicles=120_000, licenses=45_000, countries=180
    ),
}

T = TypeVar("T")

# Mission types: share of all missions, principals weight per mission, minimum principals (enough to
# cover each category of the type), and categories with their weights.
_MISSION_TYPES: dict[str, tuple[float, float, int, tuple[tuple[str, int], ...]]] = {
    "embassy": (
        0.07,
        10.0,
        3,
        (
            ("diplomatic_agent", 45),
            ("administrative_technical_staff", 35),
            ("service_staff", 20),
        ),
    ),
    "consular_post": (0.24, 3.0, 2, (("career_consular_officer", 45), ("consular_employee", 55))),
    "honorary_consular_post": (0.55, 0.15, 1, (("honorary_consular_officer", 1),)),
    "mission_to_io": (
        0.11,
        5.0,
        2,
        (("io_mission_diplomatic_staff", 65), ("io_mission_support_staff", 35)),
    ),
    "international_organization": (0.02, 40.0, 1, (("international_organization_staff", 1),)),
    "tecro_teco": (
        0.01,
        3.0,
        3,
        (
            ("tecro_designated_employee", 40),
            ("teco_head_or_deputy", 20),
            ("teco_designated_employee", 40),
        ),
    ),
}
_CREDENTIAL_TYPE = {
    "diplomatic_agent": "diplomatic",
    "administrative_technical_staff": "official",
    "service_staff": "official",
    "career_consular_officer": "consular",
    "honorary_consular_officer": "consular",
    "consular_employee": "consular",
    "international_organization_staff": "official",
    "io_mission_diplomatic_staff": "diplomatic",
    "io_mission_support_staff": "official",
    "tecro_designated_employee": "diplomatic",
    "teco_head_or_deputy": "consular",
    "teco_designated_employee": "official",
}
# Plate status letter by category (DOMAIN.md: D diplomat, C consular, S staff, A organizations).
_PLATE_LETTER = {
    "diplomatic_agent": "D",
    "io_mission_diplomatic_staff": "D",
    "tecro_designated_employee": "D",
    "career_consular_officer": "C",
    "honorary_consular_officer": "C",
    "consular_employee": "C",
    "teco_head_or_deputy": "C",
    "international_organization_staff": "A",
}
_TITLES = {
    "diplomatic_agent": ("Ambassador", "Minister-Counsellor", "Counsellor", "First Secretary"),
    "administrative_technical_staff": ("Attaché", "Administrative Officer", "Archivist"),
    "service_staff": ("Driver", "Cook", "Maintenance Technician"),
    "career_consular_officer": ("Consul General", "Consul", "Vice Consul"),
    "honorary_consular_officer": ("Honorary Consul",),
    "consular_employee": ("Consular Assistant", "Clerk"),
    "international_organization_staff": ("Programme Officer", "Director", "Analyst"),
    "io_mission_diplomatic_staff": ("Permanent Representative", "Counsellor", "Second Secretary"),
    "io_mission_support_staff": ("Secretary", "Driver"),
    "tecro_designated_employee": ("Representative", "Deputy Representative"),
    "teco_head_or_deputy": ("Director General", "Deputy Director General"),
    "teco_designated_employee": ("Officer",),
}
# OFM overrides by category, each with the kind of reason OFM records.
_BILATERAL = ("full", "Bilateral agreement raises consular staff to full immunity")
_OVERRIDES: dict[str, tuple[tuple[str, str], ...]] = {
    "career_consular_officer": (_BILATERAL,),
    "consular_employee": (_BILATERAL,),
    "international_organization_staff": (
        ("full", "Senior official of the organization treated as a diplomatic agent"),
    ),
    "diplomatic_agent": (
        ("official_acts", "Permanent resident status recorded by OFM"),
        ("none", "Sending state waived immunity in writing"),
    ),
}
_MAX_DEPENDENTS = 6
_MISSION_PLATE_LETTER = {"embassy": "D", "mission_to_io": "D", "international_organization": "A"}
_HOST_CITIES = (("Washington", "DC"), ("New York", "NY"))
_CONSULAR_CITIES = (
    ("Chicago", "IL"),
    ("Houston", "TX"),
    ("Los Angeles", "CA"),
    ("Miami", "FL"),
    ("Atlanta", "GA"),
    ("Boston", "MA"),
    ("San Francisco", "CA"),
    ("Seattle", "WA"),
)
# City centres (decimal degrees, WGS 84); a mission is placed within a few kilometres of one.
_CITY_CENTRES: dict[str, tuple[float, float]] = {
    "Washington": (38.9072, -77.0369),
    "New York": (40.7549, -73.9840),
    "Chicago": (41.8781, -87.6298),
    "Houston": (29.7604, -95.3698),
    "Los Angeles": (34.0522, -118.2437),
    "Miami": (25.7617, -80.1918),
    "Atlanta": (33.7490, -84.3880),
    "Boston": (42.3601, -71.0589),
    "San Francisco": (37.7749, -122.4194),
    "Seattle": (47.6062, -122.3321),
}
_INSURERS = (
    "Meridian Mutual",
    "Harbourline Casualty",
    "Northgate Assurance",
    "Copperfield General",
)
_MAKES = (("Aurel", "S4"), ("Bexley", "Touring"), ("Corvo", "GT"), ("Dunmore", "Van"))
_COLORS = ("black", "white", "silver", "grey", "blue", "red")
_ONSET = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kr", "st")
_VOWEL = ("a", "e", "i", "o", "u", "a", "e", "o", "é", "ö", "á", "ü", "ø")
_CODA = ("", "", "", "n", "r", "l", "s", "k", "v", "th")


class _Chooser:
    """Weighted choices in which the first calls for a name take every option once, in order,
    so even a small set shows every state; later calls follow the weights."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.calls: dict[str, int] = {}

    def pick(self, name: str, options: Sequence[tuple[T, float]]) -> T:
        count = self.calls.get(name, 0)
        self.calls[name] = count + 1
        if count < len(options):
            return options[count][0]
        values = [value for value, _ in options]
        weights = [weight for _, weight in options]
        return self.rng.choices(values, weights)[0]


def _word(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(_ONSET) + rng.choice(_VOWEL) + rng.choice(_CODA) for _ in range(syllables)]
    return "".join(parts).capitalize()


def _unique_words(rng: random.Random, count: int, low: int, high: int) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < count:
        words.setdefault(_word(rng, rng.randint(low, high)), None)
    return list(words)


def _allocate(total: int, weights: Sequence[float], minimums: Sequence[int]) -> list[int]:
    """Split `total` over weights (largest remainder), each share at least its minimum."""
    base = list(minimums)
    rest = total - sum(base)
    scale = rest / sum(weights)
    exact = [w * scale for w in weights]
    shares = [int(x) for x in exact]
    leftover = rest - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in order[:leftover]:
        shares[i] += 1
    return [b + s for b, s in zip(base, shares, strict=True)]


@dataclass
class _Country:
    name: str
    code: str
    travel_control: str


@dataclass
class _Mission:
    row: dict[str, Any]
    country: _Country
    categories: tuple[tuple[str, int], ...]
    principals: int


@dataclass
class _Generator:
    spec: ScaleSpec
    rng: random.Random
    today: date
    choose: _Chooser
    given: list[str] = field(default_factory=list)
    family: list[str] = field(default_factory=list)
    numbers_block: int = 0  # numbers_block(seed)

    def days(self, low: int, high: int) -> date:
        return self.today + timedelta(days=self.rng.randint(low, high))

    def countries(self) -> list[_Country]:
        names = _unique_words(self.rng, self.spec.countries, 2, 3)
        codes: list[str] = []
        while len(codes) < len(names):
            code = "".join(self.rng.choices(string.ascii_uppercase, k=2))
            if code not in codes:
                codes.append(code)
        controls = (("none", 90.0), ("notify", 6.0), ("approval", 4.0))
        return [
            _Country(name + "ia", code, self.choose.pick("travel_country", controls[::-1]))
            for name, code in zip(names, codes, strict=True)
        ]

    def missions(self, countries: list[_Country]) -> list[_Mission]:
        types = list(_MISSION_TYPES)
        counts = _allocate(
            self.spec.missions, [_MISSION_TYPES[t][0] for t in types], [1] * len(types)
        )
        planned: list[tuple[str, _Country]] = []
        for kind, count in zip(types, counts, strict=True):
            planned.extend((kind, countries[i % len(countries)]) for i in range(count))
        principals_total = round(self.spec.persons * 0.45)
        shares = _allocate(
            principals_total,
            [_MISSION_TYPES[kind][1] for kind, _ in planned],
            [_MISSION_TYPES[kind][2] for kind, _ in planned],
        )
        missions = []
        for number, ((kind, country), principals) in enumerate(
            zip(planned, shares, strict=True), start=1
        ):
            city, state = self._city(kind, number)
            name = {
                "embassy": f"Embassy of {country.name}",
                "consular_post": f"Consulate General of {country.name} in {city}",
                "honorary_consular_post": f"Honorary Consulate of {country.name} in {city}",
                "mission_to_io": f"Permanent Mission of {country.name} to the United Nations",
                "international_organization": f"{_word(self.rng, 3)} Development Organization",
                "tecro_teco": f"{country.name} Economic and Cultural Office in {city}",
            }[kind]
            row = {
                "mission_id": f"M{number:04d}",
                "name": name,
                "country": country.name,
                "mission_type": kind,
                "city": city,
                "state": state,
                "phone": f"+1 202 555 01{number % 100:02d}",  # 555-01xx: reserved for fiction
                **_near(city, number),
            }
            missions.append(_Mission(row, country, _MISSION_TYPES[kind][3], principals))
        return missions

    def _city(self, kind: str, number: int) -> tuple[str, str]:
        if kind in ("embassy", "international_organization"):
            return _HOST_CITIES[0]
        if kind == "mission_to_io":
            return _HOST_CITIES[1]
        return (_HOST_CITIES + _CONSULAR_CITIES)[number % (len(_CONSULAR_CITIES) + 2)]

    def name(self) -> tuple[str, str]:
        given = self.rng.choice(self.given)
        if self.rng.random() < 0.25:
            given = f"{given} {self.rng.choice(self.given)}"
        return given, self.rng.choice(self.family)

    def persons(self, missions: list[_Mission]) -> list[dict[str, Any]]:
        principals: list[tuple[dict[str, Any], _Mission]] = []
        number = 0
        for mission in missions:
            weighted = [(code, float(weight)) for code, weight in mission.categories]
            for _ in range(mission.principals):
                number += 1
                category = self.choose.pick(f"category:{mission.row['mission_type']}", weighted)
                principals.append((self.principal(number, category, mission), mission))
        rows: list[dict[str, Any]] = []
        remaining = self.spec.persons - len(principals)
        for index, (principal, mission) in enumerate(principals):
            rows.append(principal)
            left = len(principals) - index - 1
            # Dependents average out to what is left per principal, so the total comes out exact
            # and families are spread over every mission; at most _MAX_DEPENDENTS each.
            average = remaining / (left + 1)
            wanted = round(self.rng.uniform(0, 2 * average))
            wanted = min(
                max(wanted, remaining - left * _MAX_DEPENDENTS), remaining, _MAX_DEPENDENTS
            )
            for child in range(wanted):
                number += 1
                rows.append(self.dependent(number, principal, mission, spouse=child == 0))
            remaining -= wanted
        return rows

    def principal(self, number: int, category: str, mission: _Mission) -> dict[str, Any]:
        given, family = self.name()
        row = self._common(number, mission, given, family)
        row.update(
            category=category,
            title=self.rng.choice(_TITLES[category]),
            date_of_birth=self.days(-23000, -8500),
            credential_type=_CREDENTIAL_TYPE[category],
        )
        if category in ("diplomatic_agent", "consular_employee", "service_staff"):
            row["us_national_or_resident"] = self.choose.pick(
                f"us_national:{category}", ((True, 1.0), (False, 30.0))
            )
        if category in _OVERRIDES and self.choose.pick(
            f"has_override:{category}", ((True, 1.0), (False, 150.0))
        ):
            options = [(option, 1.0) for option in _OVERRIDES[category]]
            level, reason = self.choose.pick(f"override:{category}", options)
            row.update(immunity_override=level, override_reason=reason)
        return row

    def dependent(
        self, number: int, principal: dict[str, Any], mission: _Mission, *, spouse: bool
    ) -> dict[str, Any]:
        given, family = self.name()
        if not spouse or self.rng.random() < 0.6:
            family = principal["family_name"]
        row = self._common(number, mission, given, family)
        row.update(
            category=FAMILY_MEMBER,
            principal_id=principal["person_id"],
            date_of_birth=self.days(-21000, -9000) if spouse else self.days(-7000, -200),
            credential_type=principal["credential_type"],
            us_national_or_resident=self.choose.pick(
                "us_national_family", ((True, 1), (False, 12))
            ),
        )
        return row

    def _common(self, number: int, mission: _Mission, given: str, family: str) -> dict[str, Any]:
        status = self.choose.pick(
            "accreditation", (("active", 92.0), ("pending", 4.0), ("terminated", 4.0))
        )
        start = {
            "active": self.days(-2400, -20),
            "pending": self.days(5, 60),
            "terminated": self.days(-2400, -300),
        }[status]
        end = self.days(-200, -1) if status == "terminated" else None
        credential_status = self.choose.pick(
            "credential_status",
            (("valid", 94.0), ("expired", 3.0), ("revoked", 1.5), ("lost_or_stolen", 1.5)),
        )
        expiry = self.days(-300, -1) if credential_status == "expired" else self.days(20, 1100)
        row: dict[str, Any] = {
            "person_id": f"P{number:06d}",
            "mission_id": mission.row["mission_id"],
            "family_name": family,
            "given_names": given,
            "accreditation_status": status,
            "accreditation_start": start,
            "accreditation_end": end,
            "credential_number": credential_number(self.numbers_block, number),
            "credential_expiry": expiry,
            "credential_status": credential_status,
        }
        control = mission.country.travel_control
        if control != "none":
            zone = "nyc" if mission.row["state"] == "NY" else "dc"
            notice = self.choose.pick(
                "travel_notice", (("current", 5.0), ("past", 2.0), ("none", 3.0))
            )
            row.update(
                travel_control=control,
                travel_zone=zone,
                travel_notice_until={
                    "current": self.days(0, 20),
                    "past": self.days(-90, -1),
                    "none": None,
                }[notice],
            )
        return row

    def vehicles(
        self, missions: list[_Mission], persons: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        drivers = [p for p in persons if p["category"] != FAMILY_MEMBER]
        by_mission = {m.row["mission_id"]: m for m in missions}
        plates: set[str] = set()
        rows: list[dict[str, Any]] = []
        siblings = max(4, self.spec.vehicles // 40)  # plates one or two confusions apart
        while len(rows) < self.spec.vehicles - siblings:
            if self.rng.random() < 0.12:
                mission = self.rng.choice(missions)
                owner: dict[str, Any] = {"owner_mission_id": mission.row["mission_id"]}
                letter = _MISSION_PLATE_LETTER.get(mission.row["mission_type"], "C")
            else:
                person = self.rng.choice(drivers)
                mission = by_mission[person["mission_id"]]
                owner = {"owner_person_id": person["person_id"]}
                letter = _PLATE_LETTER.get(person["category"], "S")
            plate = self.plate(letter, mission)
            if plate in plates:
                continue
            plates.add(plate)
            rows.append({"plate": plate, **owner, **self.vehicle_details(len(rows))})
        while len(rows) < self.spec.vehicles:
            original = self.rng.choice(rows)
            sibling = self.confusable_sibling(original["plate"])
            if sibling is None or sibling in plates:
                continue
            plates.add(sibling)
            owner = {
                k: original[k] for k in ("owner_person_id", "owner_mission_id") if k in original
            }
            rows.append({"plate": sibling, **owner, **self.vehicle_details(len(rows))})
        return rows

    def plate(self, letter: str, mission: _Mission) -> str:
        digits = str(self.rng.randint(1, 9999)).zfill(self.rng.choice((3, 4)))
        code = mission.country.code
        # New York plates of older issue put the status letter last (DOMAIN.md).
        if mission.row["state"] == "NY" and self.rng.random() < 0.5:
            return f"{digits}{code}{letter}"
        return f"{letter}{code}{digits}"

    def confusable_sibling(self, plate: str) -> str | None:
        """The plate with one or two characters swapped for a confusable one."""
        positions = [i for i, ch in enumerate(plate) if any(ch in g for g in CONFUSION_CLASSES)]
        if not positions:
            return None
        chars = list(plate)
        for position in self.rng.sample(positions, min(len(positions), self.rng.choice((1, 1, 2)))):
            group = next(g for g in CONFUSION_CLASSES if chars[position] in g)
            chars[position] = self.rng.choice([ch for ch in group if ch != chars[position]])
        return "".join(chars)

    def vehicle_details(self, index: int) -> dict[str, Any]:
        kind = self.choose.pick(
            "vehicle_type", (("car", 88.0), ("motorcycle", 5.0), ("trailer", 3.0), ("other", 4.0))
        )
        status = self.choose.pick(
            "registration",
            (
                ("active", 90.0),
                ("expired", 4.0),
                ("suspended", 2.5),
                ("revoked", 1.5),
                ("stolen", 2.0),
            ),
        )
        make, model = self.rng.choice(_MAKES)
        row: dict[str, Any] = {
            "vin": f"1DC{index:014d}",
            "make": make,
            "model": model,
            "year": self.today.year - self.rng.randint(0, 12),
            "color": self.rng.choice(_COLORS),
            "vehicle_type": kind,
            "registration_status": status,
            "registration_expiry": self.days(-60, -1) if status == "expired" else self.days(1, 365),
        }
        if kind == "trailer":
            return row  # covered by the towing vehicle: no policy
        state = self.choose.pick(
            f"insurance:{kind}",
            (
                ("active", 70.0),
                ("expiring", 8.0),
                ("lapsed", 5.0),
                ("cancelled", 2.0),
                ("not_yet_effective", 3.0),
                ("below_minimum", 5.0),
                ("none", 4.0),
            ),
        )
        if state == "none":
            return row
        row.update(
            insurer=self.rng.choice(_INSURERS),
            policy_number=f"POL-{index:06d}",
            policy_effective=self.days(-330, -30),
            policy_expiry=self.days(31, 365),
        )
        if state == "expiring":
            row["policy_expiry"] = self.days(0, 29)
        elif state == "lapsed":
            row["policy_expiry"] = self.days(-120, -1)
            row["policy_effective"] = row["policy_expiry"] - timedelta(days=365)
        elif state == "cancelled":
            row["policy_cancelled"] = True
        elif state == "not_yet_effective":
            row["policy_effective"] = self.days(1, 30)
        row.update(self.coverage(kind, below=state == "below_minimum"))
        return row

    def coverage(self, kind: str, *, below: bool) -> dict[str, int]:
        if kind == "motorcycle":
            if self.rng.random() < 0.5:
                return {"coverage_csl": 150_000 if below else 300_000}
            pd = 25_000 if below else 50_000
            return {
                "coverage_bi_person": 100_000,
                "coverage_bi_accident": 300_000,
                "coverage_pd": pd,
            }
        if self.rng.random() < 0.6:
            return {
                "coverage_csl": 200_000 if below else self.rng.choice((300_000, 500_000, 1_000_000))
            }
        person = 50_000 if below else 100_000
        return {
            "coverage_bi_person": person,
            "coverage_bi_accident": 300_000,
            "coverage_pd": 100_000,
        }

    def licenses(self, persons: list[dict[str, Any]]) -> list[dict[str, Any]]:
        adults = [p for p in persons if p["date_of_birth"] <= self.today - timedelta(days=16 * 365)]
        holders = self.rng.sample(adults, min(self.spec.licenses, len(adults)))
        holders.sort(key=lambda p: p["person_id"])
        rows = []
        for number, person in enumerate(holders, start=1):
            status = self.choose.pick(
                "license_status",
                (("valid", 88.0), ("suspended", 4.0), ("revoked", 2.0), ("expired", 6.0)),
            )
            points = self.choose.pick(
                "license_points",
                ((0, 70.0), (3, 12.0), (7, 6.0), (8, 4.0), (11, 3.0), (12, 2.0), (14, 1.0)),
            )
            issued = self.days(-1800, -400 if status == "expired" else -30)
            expiry = self.days(-200, -1) if status == "expired" else self.days(30, 1500)
            rows.append(
                {
                    "license_number": license_number(self.numbers_block, number),
                    "person_id": person["person_id"],
                    "license_class": self.rng.choice(("D", "D", "M", "CDL")),
                    "restrictions": self.rng.choice(("", "", "", "corrective lenses")),
                    "status": status,
                    "issued": issued,
                    "expiry": expiry,
                    "points": points,
                }
            )
        return rows


# Card and licence numbers are the n-th record's number scrambled over the whole number space
# (a multiplication by a prime, a bijection), starting at a block of NUMBER_BLOCK indices that
# the seed chooses. Two seeds in different blocks (the demo set's and the training set's: a test
# checks it) share no card or licence number, whatever their scale.
NUMBER_BLOCK: Final = 1 << 17  # above the full scale's 124,000 persons
_CREDENTIAL_SPACE: Final = 10_000_000
_LICENSE_SPACE: Final = 100_000_000


def numbers_block(seed: int) -> int:
    """The block of record indices whose numbers a data set of `seed` uses."""
    digest = hashlib.sha256(f"dipcheck-demo-numbers:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % (_CREDENTIAL_SPACE // NUMBER_BLOCK)


def _index(block: int, number: int) -> int:
    if not 0 <= number < NUMBER_BLOCK:
        raise ValueError(f"record number {number} does not fit a block of {NUMBER_BLOCK}")
    return block * NUMBER_BLOCK + number


def credential_number(block: int, number: int) -> str:
    index = _index(block, number)
    return f"{'DOC'[number % 3]}{index * 7919 % _CREDENTIAL_SPACE:07d}"


def license_number(block: int, number: int) -> str:
    index = _index(block, number)
    return f"OFM{index * 104_729 % _LICENSE_SPACE:08d}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return FLAG_SEPARATOR.join(value)
    return str(value)


def write_csv(
    path: Path, columns: Sequence[str], rows: Iterator[dict[str, Any]] | list[dict[str, Any]]
) -> int:
    """One import file: the header `columns`, then each row's values written as the importer
    reads them (empty for None, true/false, ISO dates, flags joined). Returns the row count."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(column)) for column in columns])
            count += 1
    return count


def write_demo_data(
    directory: Path | str,
    scale: Scale = "small",
    seed: int = 1,
    today: date | None = None,
    progress: Progress = QUIET,
) -> dict[str, int]:
    """Write the four import files into `directory` and return how many records each holds
    (a `generating` stage of five steps, then `writing` one step per file)."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    rng = random.Random(f"dipcheck-demo:{seed}")
    gen = _Generator(spec, rng, today or date.today(), _Chooser(rng))
    gen.numbers_block = numbers_block(seed)
    with progress.stage("generating", 5) as advance:
        gen.given = _unique_words(rng, max(60, spec.persons // 200), 2, 3)
        gen.family = _unique_words(rng, max(200, spec.persons // 30), 2, 4)
        countries = gen.countries()
        advance(1)
        missions = gen.missions(countries)
        advance(1)
        persons = gen.persons(missions)
        advance(1)
        vehicles = gen.vehicles(missions, persons)
        advance(1)
        licenses = gen.licenses(persons)
        advance(1)
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, str, list[dict[str, Any]]]] = [
        (MISSIONS, "missions", [m.row for m in missions]),
        (PERSONS, "persons", persons),
        (VEHICLES, "vehicles", vehicles),
        (LICENSES, "licenses", licenses),
    ]
    counts: dict[str, int] = {}
    with progress.stage("writing", len(files)) as advance:
        for file_name, kind, rows in files:
            counts[kind] = write_csv(out / file_name, list(COLUMNS[file_name]), rows)
            advance(1)
    return counts


def _near(city: str, number: int) -> dict[str, str]:
    """A spot up to about 4 km from the city centre, spread by the mission's number (not drawn
    from the generator's random stream, so the rest of a seeded data set stays as it was)."""
    latitude, longitude = _CITY_CENTRES[city]
    spread_north = ((number * 7919) % 1000 / 1000 - 0.5) * 0.07
    spread_east = ((number * 104729) % 1000 / 1000 - 0.5) * 0.09
    return {
        "latitude": f"{latitude + spread_north:.5f}",
        "longitude": f"{longitude + spread_east:.5f}",
    }
