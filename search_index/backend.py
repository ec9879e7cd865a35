"""The protocol every search backend (SQLite, Elasticsearch) implements.

Readers work through a `Snapshot`: it pins one published data set for the length of a lookup,
so a lookup that runs while an import publishes sees the old set or the new one, never a mix.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Protocol, runtime_checkable

from search_index.progress import QUIET, Progress
from search_index.records import (
    Dataset,
    DatasetInfo,
    License,
    Mission,
    NumberMatch,
    Person,
    PersonHit,
    PlateMatch,
    PolicyGroup,
    Vehicle,
)


class BackendError(Exception):
    """Base class of the errors a backend raises."""


class BackendUnavailable(BackendError):
    """The store cannot be reached or answered badly: callers must say "cannot verify now"."""


class NoDataPublished(BackendError):
    """No data set has been published yet."""


class ImportBusy(BackendError):
    """Another import is publishing right now."""


class PublishFailed(BackendError):
    """The new set could not be written; the previously published set stays served."""


class Snapshot(Protocol):
    """Read access to one published data set."""

    info: DatasetInfo

    def find_plate(self, typed: str, *, limit: int = 10) -> list[PlateMatch]:
        """The exact match first (when there is one), then the confusable candidates (at most 2
        substitutions, search_index.confusables) ranked best first; ties by plate. `typed` is raw
        officer input; the backend normalizes it (ValueError when it is not a plate)."""

    def find_plate_pattern(self, pattern: str, *, limit: int = 25) -> list[PlateMatch]:
        """`?` one character, `*` any run; at least 4 known characters (ValueError otherwise).
        Every match of the whole set is ranked (PlatePattern.score, then plate) before `limit`."""

    def get_vehicle(self, plate: str) -> Vehicle | None: ...

    def get_person(self, person_id: str) -> Person | None: ...

    def get_mission(self, mission_id: str) -> Mission | None: ...

    def persons_by_id(self, person_ids: Sequence[str]) -> dict[str, Person]:
        """The persons of these ids that the set holds, by id, read in one request (an answer
        with several matches reads their people together, not one request a person)."""

    def missions_by_id(self, mission_ids: Sequence[str]) -> dict[str, Mission]:
        """The missions of these ids that the set holds, by id, read in one request."""

    def find_credential(self, number: str) -> Person | None:
        """The person holding a State Department ID card number (raw input)."""

    def find_license(self, number: str) -> License | None:
        """An OFM driver licence by number (raw input)."""

    def find_credentials(self, typed: str, *, limit: int = 10) -> list[NumberMatch[Person]]:
        """The holder of the exact ID card number first (when there is one), then the holders of
        numbers that differ only by confusable characters (at most 2, each named), best first;
        ties by number. `typed` is raw input (ValueError when it holds no letter or digit)."""

    def find_licenses(self, typed: str, *, limit: int = 10) -> list[NumberMatch[License]]:
        """Licences by number, exact first, then confusable look-alikes, as find_credentials."""

    def licenses_of(self, person_ids: Sequence[str]) -> dict[str, License]:
        """The licence of each of these persons who holds one, by person id, read in one
        request (an answer shows up to a mission's members at once). Should a person hold several
        (the importer allows one, a data set built in code may not), the lowest number wins."""

    def family_of(self, person_id: str) -> list[Person]:
        """Family members whose principal is this person."""

    def families_of(self, person_ids: Sequence[str]) -> dict[str, list[Person]]:
        """`family_of` of each of these persons (every one a key), read together."""

    def members_of(self, mission_id: str, *, limit: int = 50) -> list[Person]:
        """Members of a mission, principals before family members."""

    def vehicles_of_person(self, person_id: str) -> list[Vehicle]: ...

    def search_persons(
        self,
        name: str,
        *,
        date_of_birth: date | None = None,
        country: str | None = None,
        limit: int = 20,
    ) -> list[PersonHit]:
        """Typo-, accent- and word-order-tolerant name search, best first."""

    def missions(self) -> list[Mission]:
        """Every mission of the set, by mission id."""

    def travel_controlled(self) -> list[Person]:
        """Every person whose travel control is `notify` or `approval`, by mission id then
        person id."""

    def travel_control_counts(self) -> dict[tuple[str | None, str], int]:
        """How many persons are under each travel-control regime (`notify`, `approval`) per
        travel zone (None: no zone given), counted in the store."""

    def credential_holders(self) -> list[Person]:
        """Every person with an ID card number, by person id (the QR revocation list reads
        their card and accreditation statuses)."""

    def all_vehicles(self) -> list[Vehicle]:
        """Every vehicle of the set, by plate."""

    def fleet_of(self, mission_id: str) -> list[Vehicle]:
        """Every vehicle of a mission's fleet: registered to the mission or to one of its
        members, by plate."""

    def expired_before(self, day: date) -> list[tuple[str, Vehicle]]:
        """Every fleet vehicle whose policy's last day lies before `day`, with its fleet's
        mission id, by plate (what may have lapsed long ago; the rules decide)."""

    def policy_groups(self) -> list[PolicyGroup]:
        """Every vehicle of the set counted once, in groups of one fleet sharing the same policy
        facts (PolicyGroup), aggregated in the store; ordered by mission id. A vehicle whose
        owner is not in the set belongs to no fleet and is left out."""


class SearchBackend(Protocol):
    name: str

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """Pin the currently published set. Raises NoDataPublished or BackendUnavailable."""

    def publish(self, dataset: Dataset, progress: Progress = QUIET) -> DatasetInfo:
        """Replace the served set atomically with `dataset`, reporting the loading, indexing and
        switching stages to `progress`. Raises ImportBusy when another import is publishing; on
        any failure the previously published set stays served."""

    def dataset_info(self) -> DatasetInfo | None:
        """The published set's info, or None when nothing is published yet."""

    def ping(self) -> None:
        """Raise BackendUnavailable when the store cannot answer."""

    def close(self) -> None: ...


@runtime_checkable
class ImportLocking(Protocol):
    """A backend whose import lock can be held around a whole import (reading and validating the
    files, then publishing), so a second import is refused from its start rather than only when
    it reaches `publish`. `publish` called inside the block uses the lock already held."""

    def import_lock(self) -> AbstractContextManager[None]:
        """Hold the import lock; raises ImportBusy at once when another import holds it."""
