"""The Elasticsearch search backend (used when DIPCHECK_ELASTICSEARCH_URL is set).

Publishing (blue/green): each import builds a fresh index `<prefix>-records-<dataset id>` from the
index template, with refreshes off and no replica, checks every bulk item, refreshes, verifies the
document count, makes the index read-only, records dataset id, publication time and counts in the
index `_meta`, and then moves the alias `<prefix>-records` to it in one atomic `_aliases` request.
Any failure deletes the new index and leaves the alias where it was. A lease document created with
op_type=create in `<prefix>-locks` keeps two imports (from any instance) from racing.

Reading: `snapshot()` resolves the alias to its concrete index once, and every read of that lookup
goes to that index, so a lookup never mixes two sets even if an import publishes meanwhile. The
previous index is kept until the next publish, so a lookup pinned to it can finish.

Every failure to reach the cluster, a timeout or an error answer raises BackendUnavailable; the
client is stateless between calls, so the next lookup after the cluster recovers simply works.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from elastic_transport import ObjectApiResponse
from elasticsearch import (
    ApiError,
    ConflictError,
    Elasticsearch,
    NotFoundError,
    TransportError,
    helpers,
)
from rapidfuzz.distance import OSA

from search_index.backend import (
    BackendUnavailable,
    ImportBusy,
    NoDataPublished,
    PublishFailed,
)
from search_index.confusables import (
    confusable_key,
    parse_plate_pattern,
    rank_number_candidates,
    rank_pattern_candidates,
    rank_plate_candidates,
)
from search_index.elasticsearch import documents as docs
from search_index.elasticsearch import queries
from search_index.elasticsearch.client import (
    ClientOptions,
    connect,
    create_index_once,
    describe,
    unavailable_on_failure,
)
from search_index.elasticsearch.mappings import (
    LOADING_SETTINGS,
    LOCK_MAPPINGS,
    READ_ONLY_SETTINGS,
    SERVING_SETTINGS,
    template_body,
)
from search_index.names import country_key, query_typos, score_name
from search_index.normalize import normalize_identifier, normalize_plate
from search_index.progress import QUIET, Advance, Progress
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

log = logging.getLogger(__name__)

BULK_CHUNK = 1000
LOCK_ID = "import"


@dataclass(frozen=True)
class _Lease:
    """Our hold on the lock document: its _seq_no/_primary_term for compare-and-set, and when
    we last wrote it."""

    seq_no: int
    primary_term: int
    renewed: float

    @classmethod
    def of(cls, resp: ObjectApiResponse[Any]) -> _Lease:
        return cls(int(resp["_seq_no"]), int(resp["_primary_term"]), time.monotonic())


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "dipcheck",
        options: ClientOptions | None = None,
        lock_lease: float = 900.0,
        client: Elasticsearch | None = None,
    ) -> None:
        self._options = options or ClientOptions()
        self._es = client if client is not None else connect(url, self._options)
        self.alias = f"{prefix}-records"
        self.lock_index = f"{prefix}-locks"
        self.template_name = f"{prefix}-records"
        self._lock_lease = lock_lease
        self._held = threading.local()  # this thread's lease renewal while it holds the lock

    # --- reading ------------------------------------------------------------------------------
    def _published(self) -> tuple[str, DatasetInfo] | None:
        """The concrete index behind the alias and its info, in one request."""
        with unavailable_on_failure(BackendUnavailable, "alias lookup"):
            try:
                resp = self._es.indices.get_mapping(index=self.alias)
            except NotFoundError:
                return None
        if len(resp) != 1:
            raise BackendUnavailable(f"alias {self.alias} points at {len(resp)} indices")
        ((index, body),) = resp.items()
        meta = body["mappings"].get("_meta") or {}
        try:
            info = DatasetInfo(
                dataset_id=str(meta["dataset_id"]),
                published_at=datetime.fromisoformat(meta["published_at"]),
                counts={k: int(v) for k, v in meta["counts"].items()},
            )
        except (KeyError, TypeError, ValueError) as e:
            raise BackendUnavailable(f"published index {index} has no valid _meta") from e
        return index, info

    @contextmanager
    def snapshot(self) -> Iterator[ElasticsearchSnapshot]:
        published = self._published()
        if published is None:
            raise NoDataPublished("no data set has been published")
        index, info = published
        yield ElasticsearchSnapshot(self._es, index, info)

    def dataset_info(self) -> DatasetInfo | None:
        published = self._published()
        return None if published is None else published[1]

    def ping(self) -> None:
        """The published index can be searched: an empty search that must reach every shard,
        so a cluster that answers but has lost the index's shards (status red) is not ready."""
        with unavailable_on_failure(BackendUnavailable, "ping"):
            try:
                self._es.search(
                    index=self.alias,
                    size=0,
                    track_total_hits=False,
                    allow_partial_search_results=False,
                )
            except NotFoundError:  # nothing published yet: the cluster itself must answer
                self._es.info()

    def close(self) -> None:
        self._es.close()

    # --- publishing ---------------------------------------------------------------------------
    def publish(self, dataset: Dataset, progress: Progress = QUIET) -> DatasetInfo:
        """Raises ImportBusy, PublishFailed (a document refused, a count mismatch) or
        BackendUnavailable; in every case the previously published set stays served."""
        with self.import_lock():
            renew: Callable[[], None] = self._held.renew
            published_at = datetime.now(UTC)
            dataset_id = f"{published_at:%Y%m%dt%H%M%S%fz}-{secrets.token_hex(3)}"
            index = f"{self.alias}-{dataset_id}"
            info = DatasetInfo(dataset_id, published_at, dataset.counts())
            admin = self._es.options(request_timeout=self._options.bulk_timeout)
            with unavailable_on_failure(BackendUnavailable, "template"):
                admin.indices.put_index_template(
                    name=self.template_name, **template_body(f"{self.alias}-*")
                )
            created = False
            try:
                with unavailable_on_failure(BackendUnavailable, "publish"):
                    admin.indices.create(index=index, settings=LOADING_SETTINGS)
                    created = True
                    with progress.stage("loading", sum(info.counts.values())) as advance:
                        self._load(admin, index, dataset, renew, advance)
                    with progress.stage("refreshing", 1) as advance:
                        admin.indices.put_settings(index=index, settings=SERVING_SETTINGS)
                        admin.indices.refresh(index=index)
                        self._verify_count(admin, index, info)
                        admin.indices.put_settings(index=index, settings=READ_ONLY_SETTINGS)
                        admin.indices.put_mapping(index=index, meta=_meta(info))
                        advance(1)
                    renew()
                    with progress.stage("switching", 1) as advance:
                        previous = self._swap_alias(admin, index)
                        advance(1)
            except BaseException:
                if created:
                    self._delete_quietly(index)
                raise
            self._prune(admin, keep={index, *previous})
        log.info(
            "published data set %s (%s)",
            dataset_id,
            ", ".join(f"{k}={v}" for k, v in info.counts.items()),
        )
        return info

    def _load(
        self,
        es: Elasticsearch,
        index: str,
        dataset: Dataset,
        renew: Callable[[], None],
        advance: Advance,
    ) -> None:
        failed = 0
        first_error = ""
        n = 0
        for n, (ok, item) in enumerate(
            helpers.streaming_bulk(
                es,
                _actions(index, dataset),
                chunk_size=BULK_CHUNK,
                raise_on_error=False,  # we count and report item failures ourselves
                raise_on_exception=True,
                max_retries=2,  # 429 (queue full) only; any other item failure fails the import
                initial_backoff=1,
            ),
            start=1,
        ):
            if not ok:
                failed += 1
                if not first_error:
                    (_, detail), *_ = item.items()
                    first_error = str(detail.get("error", {}).get("type", detail.get("status")))
            if n % BULK_CHUNK == 0:
                renew()
                advance(BULK_CHUNK)
        advance(n % BULK_CHUNK)  # the last, partial chunk
        if failed:
            raise PublishFailed(f"{failed} documents were rejected (first: {first_error})")

    def _verify_count(self, es: Elasticsearch, index: str, info: DatasetInfo) -> None:
        expected = sum(info.counts.values())
        found = int(es.count(index=index)["count"])
        if found != expected:
            raise PublishFailed(
                f"document count mismatch: expected {expected}, index holds {found}"
            )

    def _swap_alias(self, es: Elasticsearch, index: str) -> list[str]:
        """Move the alias to `index`; returns the indices it pointed at before."""
        try:
            holders = list(es.indices.get_alias(name=self.alias))
        except NotFoundError:
            holders = []
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": self.alias, "must_exist": True}} for old in holders
        ]
        actions.append({"add": {"index": index, "alias": self.alias}})
        # One request: Elasticsearch applies all actions or none, so readers see old or new.
        es.indices.update_aliases(actions=actions)
        return holders

    def _prune(self, es: Elasticsearch, *, keep: set[str]) -> None:
        """Delete every record index but the new and the previous one: older sets, and indices
        left by imports that crashed before they could clean up (we hold the lock, so no other
        import is building one). Best effort."""
        try:
            names = list(es.indices.get(index=f"{self.alias}-*", expand_wildcards="open"))
        except (ApiError, TransportError) as e:  # pruning must never fail a publish that succeeded
            log.warning("could not list old record indices: %s", describe(e))
            return
        for name in names:
            if name not in keep:
                self._delete_quietly(name)

    def _delete_quietly(self, index: str) -> None:
        try:
            self._es.options(request_timeout=self._options.bulk_timeout).indices.delete(
                index=index, ignore_unavailable=True
            )
        except (ApiError, TransportError) as e:  # a failed clean-up must not hide the real error
            log.warning("could not delete index %s: %s", index, describe(e))

    # --- the import lease ---------------------------------------------------------------------
    @contextmanager
    def import_lock(self) -> Iterator[None]:
        """Hold the import lease around a whole import (ImportBusy at once if another import,
        in any process or instance, holds it); `publish` inside the block reuses it."""
        if getattr(self._held, "renew", None) is not None:
            yield
            return
        with self._lease_held() as renew:
            self._held.renew = renew
            try:
                yield
            finally:
                self._held.renew = None

    @contextmanager
    def _lease_held(self) -> Iterator[Callable[[], None]]:
        """Hold the lease for the block; yields `renew`, to be called as work progresses."""
        owner = secrets.token_hex(8)
        with unavailable_on_failure(BackendUnavailable, "import lock"):
            self._ensure_lock_index()
            lease = self._acquire(owner)

        def renew() -> None:
            """Extend the lease; raises ImportBusy if another import took it over."""
            nonlocal lease
            if time.monotonic() - lease.renewed < self._lock_lease / 3:
                return
            with unavailable_on_failure(BackendUnavailable, "import lock renewal"):
                try:
                    lease = self._replace_lease(owner, lease.seq_no, lease.primary_term)
                except ConflictError:
                    raise ImportBusy("the import lease was taken over by another import") from None

        try:
            yield renew
        finally:
            try:
                self._es.delete(
                    index=self.lock_index,
                    id=LOCK_ID,
                    if_seq_no=lease.seq_no,
                    if_primary_term=lease.primary_term,
                    refresh=True,
                )
            except (ApiError, TransportError) as e:  # the lease then simply expires
                log.warning("could not release the import lock: %s", describe(e))

    def _ensure_lock_index(self) -> None:
        create_index_once(
            self._es,
            self.lock_index,
            settings={"number_of_shards": 1, "auto_expand_replicas": "0-1"},
            mappings=LOCK_MAPPINGS,
        )

    def _lease(self, owner: str) -> dict[str, Any]:
        now = time.time()
        return {"owner": owner, "acquired_at": now, "expires_at": now + self._lock_lease}

    def _create_lease(self, owner: str) -> _Lease:
        """Write the lock document; ConflictError when it exists (another import holds it)."""
        resp = self._es.create(
            index=self.lock_index, id=LOCK_ID, document=self._lease(owner), refresh=True
        )
        return _Lease.of(resp)

    def _replace_lease(self, owner: str, seq_no: int, primary_term: int) -> _Lease:
        """Overwrite the lock document seen at `seq_no`/`primary_term`; ConflictError when it
        has changed since (another import wrote it)."""
        resp = self._es.index(
            index=self.lock_index,
            id=LOCK_ID,
            document=self._lease(owner),
            if_seq_no=seq_no,
            if_primary_term=primary_term,
            refresh=True,
        )
        return _Lease.of(resp)

    def _acquire(self, owner: str) -> _Lease:
        try:
            return self._create_lease(owner)
        except ConflictError:
            pass
        try:
            current = self._es.get(index=self.lock_index, id=LOCK_ID)
        except NotFoundError:  # released in between: one more try
            try:
                return self._create_lease(owner)
            except ConflictError:
                raise ImportBusy("another import is publishing") from None
        if float(current["_source"]["expires_at"]) > time.time():
            raise ImportBusy("another import is publishing")
        # The holder's lease ran out (it crashed or hung): take over, unless someone else does.
        try:
            lease = self._replace_lease(owner, current["_seq_no"], current["_primary_term"])
        except ConflictError:
            raise ImportBusy("another import is publishing") from None
        log.warning("took over an expired import lease")
        return lease


def _meta(info: DatasetInfo) -> dict[str, Any]:
    return {
        "dataset_id": info.dataset_id,
        "published_at": info.published_at.isoformat(),
        "counts": dict(info.counts),
    }


def _actions(index: str, dataset: Dataset) -> Iterator[dict[str, Any]]:
    countries = {m.mission_id: m.country for m in dataset.missions}
    mission_of = {p.person_id: p.mission_id for p in dataset.persons}
    for m in dataset.missions:
        yield {
            "_index": index,
            "_id": docs.mission_id(m.mission_id),
            "_source": docs.mission_doc(m),
        }
    for seq, p in enumerate(dataset.persons, start=1):
        source = docs.person_doc(p, countries.get(p.mission_id), seq)
        yield {"_index": index, "_id": docs.person_id(p.person_id), "_source": source}
    for v in dataset.vehicles:
        fleet = v.owner_mission_id or mission_of.get(v.owner_person_id or "")
        source = docs.vehicle_doc(v, fleet)
        yield {"_index": index, "_id": docs.vehicle_id(v.plate), "_source": source}
    for lic in dataset.licenses:
        yield {
            "_index": index,
            "_id": docs.license_id(lic.license_number),
            "_source": docs.license_doc(lic),
        }


class ElasticsearchSnapshot:
    """Reads of one lookup, all against the concrete index resolved when the lookup began."""

    def __init__(self, es: Elasticsearch, index: str, info: DatasetInfo) -> None:
        self._es = es
        self.index = index
        self.info = info

    def _search(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        hits: list[dict[str, Any]] = self._search_raw(body)["hits"]["hits"]
        return hits

    def _get(self, doc_id: str) -> dict[str, Any] | None:
        with unavailable_on_failure(BackendUnavailable, "get"):
            try:
                resp = self._es.get(index=self.index, id=doc_id)
            except NotFoundError as e:
                # A 404 is "no such document" only when the index answered it; a lookup that
                # outlived two publishes finds its index pruned (index_not_found_exception),
                # which must say "cannot verify now", never "no record".
                if isinstance(e.body, dict) and e.body.get("found") is False:
                    return None
                raise
        record: dict[str, Any] = resp["_source"]["record"]
        return record

    def find_plate(self, typed: str, *, limit: int = 10) -> list[PlateMatch]:
        plate = normalize_plate(typed)
        candidates = self._records(Vehicle, queries.plate_candidates(confusable_key(plate)))
        return rank_plate_candidates(plate, candidates, limit)

    def find_plate_pattern(self, pattern: str, *, limit: int = 25) -> list[PlateMatch]:
        parsed = parse_plate_pattern(pattern)
        shortlist = self._records(Vehicle, queries.plate_pattern(parsed.text, limit))
        return rank_pattern_candidates(parsed, shortlist, limit)

    def get_vehicle(self, plate: str) -> Vehicle | None:
        try:
            key = normalize_plate(plate)
        except ValueError:
            return None
        record = self._get(docs.vehicle_id(key))
        return None if record is None else docs.from_record(Vehicle, record)

    def get_person(self, person_id: str) -> Person | None:
        record = self._get(docs.person_id(person_id))
        return None if record is None else docs.from_record(Person, record)

    def get_mission(self, mission_id: str) -> Mission | None:
        record = self._get(docs.mission_id(mission_id))
        return None if record is None else docs.from_record(Mission, record)

    def persons_by_id(self, person_ids: Sequence[str]) -> dict[str, Person]:
        return {
            person.person_id: person
            for person in self._mget_present(Person, [docs.person_id(p) for p in person_ids])
        }

    def missions_by_id(self, mission_ids: Sequence[str]) -> dict[str, Mission]:
        return {
            mission.mission_id: mission
            for mission in self._mget_present(Mission, [docs.mission_id(m) for m in mission_ids])
        }

    def find_credential(self, number: str) -> Person | None:
        hits = self._search(queries.credential(normalize_identifier(number)))
        return docs.from_record(Person, hits[0]["_source"]["record"]) if hits else None

    def find_license(self, number: str) -> License | None:
        record = self._get(docs.license_id(normalize_identifier(number)))
        return None if record is None else docs.from_record(License, record)

    def find_credentials(self, typed: str, *, limit: int = 10) -> list[NumberMatch[Person]]:
        number = normalize_identifier(typed)
        persons = self._records(Person, queries.credential_candidates(confusable_key(number)))
        return rank_number_candidates(number, persons, lambda p: p.credential_number, limit)

    def find_licenses(self, typed: str, *, limit: int = 10) -> list[NumberMatch[License]]:
        number = normalize_identifier(typed)
        licences = self._records(License, queries.license_candidates(confusable_key(number)))
        return rank_number_candidates(number, licences, lambda lic: lic.license_number, limit)

    def licenses_of(self, person_ids: Sequence[str]) -> dict[str, License]:
        wanted = list(dict.fromkeys(person_ids))
        found: dict[str, License] = {}
        for start in range(0, len(wanted), queries.LICENSE_HOLDERS):
            chunk = wanted[start : start + queries.LICENSE_HOLDERS]
            for licence in self._records(License, queries.licenses_of(chunk)):
                found[licence.person_id] = licence
        return found

    def family_of(self, person_id: str) -> list[Person]:
        return self._records(Person, queries.family_of(person_id))

    def families_of(self, person_ids: Sequence[str]) -> dict[str, list[Person]]:
        wanted = list(dict.fromkeys(person_ids))
        families: dict[str, list[Person]] = {person_id: [] for person_id in wanted}
        for start in range(0, len(wanted), queries.FAMILY_HEADS):
            chunk = wanted[start : start + queries.FAMILY_HEADS]
            body = queries.families_of(chunk)
            members = self._records(Person, body)
            if len(members) == body["size"]:
                # A full page may have cut one family short in favour of another: ask each.
                families.update((head, self.family_of(head)) for head in chunk)
                continue
            for member in members:  # in file order; the first RELATED, as family_of reads
                family = families.get(member.principal_id or "")
                if family is not None and len(family) < queries.RELATED:
                    family.append(member)
        return families

    def members_of(self, mission_id: str, *, limit: int = 50) -> list[Person]:
        return self._records(Person, queries.members_of(mission_id, limit))

    def vehicles_of_person(self, person_id: str) -> list[Vehicle]:
        return self._records(Vehicle, queries.vehicles_of_person(person_id))

    def search_persons(
        self,
        name: str,
        *,
        date_of_birth: date | None = None,
        country: str | None = None,
        limit: int = 20,
    ) -> list[PersonHit]:
        """Elasticsearch finds the candidates; which names match and their score follow
        search_index.names, as on SQLite: query words within a few typos of name words, any
        order; accents and case never matter."""
        typos = query_typos(name)
        ck = None if country is None else country_key(country)
        aggs = self._search_raw(queries.name_word_vocabulary(typos))["aggregations"]
        reach = [
            sum(
                int(bucket["doc_count"])
                for bucket in aggs[f"w{i}"]["words"]["buckets"]
                if OSA.distance(token, bucket["key"], score_cutoff=edits) <= edits
            )
            for i, (token, edits) in enumerate(typos)
        ]
        if not any(reach):
            return []
        # The first word that brings the fewest candidates, as min() picks it on SQLite.
        start = min((r, i) for i, r in enumerate(reach) if r)[1]
        scored: list[tuple[float, str, int, str]] = []
        after: list[Any] | None = None
        while True:
            body = queries.name_candidates(
                *typos[start], date_of_birth=date_of_birth, country_key=ck, after=after
            )
            hits = self._search(body)
            for h in hits:
                src = h["_source"]
                score = score_name(typos, src["name_key"].split(" "))
                if score is not None:
                    scored.append((score, src["name_key"], int(src["seq"]), src["person_id"]))
            if len(hits) < queries.NAME_PAGE:
                break
            after = hits[-1]["sort"]
        scored.sort(key=lambda hit: (-hit[0], hit[1], hit[2]))
        top = scored[:limit]
        persons = self._mget([docs.person_id(pid) for *_, pid in top])
        return [
            PersonHit(person=docs.from_record(Person, record), score=score)
            for (score, *_), record in zip(top, persons, strict=True)
        ]

    def missions(self) -> list[Mission]:
        return self._every(Mission, queries.missions)

    def travel_controlled(self) -> list[Person]:
        return self._every(Person, queries.travel_controlled)

    def travel_control_counts(self) -> dict[tuple[str | None, str], int]:
        """Counted by a composite aggregation (zone, regime), page by page."""
        counts: dict[tuple[str | None, str], int] = {}
        after: dict[str, Any] | None = None
        while True:
            page = self._search_raw(queries.travel_control_counts(after))["aggregations"]["groups"]
            buckets = page["buckets"]
            for b in buckets:
                counts[(b["key"]["zone"], b["key"]["regime"])] = int(b["doc_count"])
            if len(buckets) < queries.TRAVEL_PAGE or "after_key" not in page:
                return counts
            after = page["after_key"]

    def credential_holders(self) -> list[Person]:
        return self._every(Person, queries.credential_holders)

    def all_vehicles(self) -> list[Vehicle]:
        return self._every(Vehicle, queries.all_vehicles)

    def fleet_of(self, mission_id: str) -> list[Vehicle]:
        return self._every(Vehicle, lambda after: queries.fleet_of(mission_id, after))

    def expired_before(self, day: date) -> list[tuple[str, Vehicle]]:
        found: list[tuple[str, Vehicle]] = []
        after: list[Any] | None = None
        while True:
            hits = self._search(queries.expired_before(day, after))
            found.extend(
                (
                    h["_source"]["fleet_mission_id"],
                    docs.from_record(Vehicle, h["_source"]["record"]),
                )
                for h in hits
            )
            if len(hits) < queries.FLEET_PAGE:
                return found
            after = hits[-1]["sort"]

    def policy_groups(self) -> list[PolicyGroup]:
        """Counted by a composite aggregation, page by page (one request per 5,000 groups)."""
        groups: list[PolicyGroup] = []
        after: dict[str, Any] | None = None
        while True:
            page = self._search_raw(queries.policy_groups(after))["aggregations"]["groups"]
            buckets = page["buckets"]
            groups.extend(
                docs.policy_group(b["key"]["mission"], int(b["doc_count"]), b["key"]["facts"])
                for b in buckets
            )
            if len(buckets) < queries.POLICY_GROUPS_PAGE or "after_key" not in page:
                return groups
            after = page["after_key"]

    def _every(
        self, cls: type[docs.R], body_after: Callable[[list[Any] | None], dict[str, Any]]
    ) -> list[docs.R]:
        """Every hit of a sorted query, page by page (search_after)."""
        found: list[docs.R] = []
        after: list[Any] | None = None
        while True:
            body = body_after(after)
            hits = self._search(body)
            found.extend(docs.from_record(cls, h["_source"]["record"]) for h in hits)
            if len(hits) < body["size"]:
                return found
            after = hits[-1]["sort"]

    def _mget(self, ids: list[str]) -> list[dict[str, Any]]:
        found = [record for record in self._mget_records(ids) if record is not None]
        if len(found) != len(ids):
            raise BackendUnavailable("a person vanished from a read-only index")
        return found

    def _mget_present(self, cls: type[docs.R], ids: list[str]) -> list[docs.R]:
        """The records of the documents of `ids` that the index holds."""
        records = self._mget_records(list(dict.fromkeys(ids)))
        return [docs.from_record(cls, record) for record in records if record is not None]

    def _mget_records(self, ids: list[str]) -> list[dict[str, Any] | None]:
        """The records of these documents in order, None for one the index does not hold. A
        document the index could not answer for (its index pruned by later publishes) is a
        failure, never "no record", as in `_get`."""
        if not ids:
            return []
        with unavailable_on_failure(BackendUnavailable, "mget"):
            resp = self._es.mget(index=self.index, ids=ids)
        records: list[dict[str, Any] | None] = []
        for doc in resp["docs"]:
            if "error" in doc:
                raise BackendUnavailable("mget: a document could not be read")
            records.append(doc["_source"]["record"] if doc.get("found") else None)
        return records

    def _search_raw(self, body: dict[str, Any]) -> dict[str, Any]:
        with unavailable_on_failure(BackendUnavailable, "search"):
            return dict(self._es.search(index=self.index, **body))

    def _records(self, cls: type[docs.R], body: dict[str, Any]) -> list[docs.R]:
        return [docs.from_record(cls, h["_source"]["record"]) for h in self._search(body)]
