"""Where an incident report goes (DOMAIN.md: "Report every incident to the State Department (to
the U.S. Mission to the UN for UN persons)").

UN persons are those accredited through the UN in New York: members of the national missions to
the UN (mission type `mission_to_io` in New York) and staff of the international organizations
seated there (`international_organization` in New York). Missions to other international
organizations (the OAS, and the organizations seated in Washington) are accredited through the
State Department like embassies, so their reports go to OFM. The mission's recorded city decides;
a report whose mission is not known goes to OFM.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lookup.incidents.models import ReportTo

UN_MISSION_TYPES = frozenset({"mission_to_io", "international_organization"})
UN_SEAT_CITIES = frozenset({"new york", "new york city", "nyc"})


def report_to(mission: Mapping[str, Any] | None) -> ReportTo:
    if mission is None or mission.get("mission_type") not in UN_MISSION_TYPES:
        return "ofm"
    city = " ".join(str(mission.get("city") or "").casefold().replace(",", " ").split())
    return "usun" if city in UN_SEAT_CITIES else "ofm"
