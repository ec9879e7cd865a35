"""App state in Elasticsearch, so several app instances share agencies, keys, officers and audit.

Layout (all names start with the configured prefix, default "dipcheck"):
- `<prefix>-state-<collection>`: one index per collection. A document's `data` is mapped as
  `flattened`, so any field can be matched exactly (`find`) without a mapping per feature and
  without type clashes; `_source` keeps the original JSON types.
- `<prefix>-state-unique`: one claim document per (collection, unique field, value), with a
  deterministic id, written with op_type=create. Elasticsearch refuses a second create of the same
  id on the primary shard, so two instances can never both own one value. A claim names its
  owner; a claim whose owner never got written, or no longer holds the value (a crash between
  two writes), is taken over after CLAIM_GRACE seconds.
- `<prefix>-audit`: append-only; each record's id is its reference, written with op_type=create.
- `<prefix>-incidents`: incident reports (lookup/store/elasticsearch/incidents.py).
- `<prefix>-training-incidents`: reports filed in training mode, the same index kept apart;
  created on first use, as only training mode reads it.

A document's version (1 on insert, +1 per update) is kept in the document; updates and deletes are
compare-and-set on `_seq_no`/`_primary_term`, so concurrent writers cannot lose each other's
changes.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

from elastic_transport import ConnectionError, ConnectionTimeout, ObjectApiResponse
from elasticsearch import (
    ApiError,
    ConflictError,
    Elasticsearch,
    NotFoundError,
    TransportError,
)

from lookup.store.audit_record import (
    ELASTICSEARCH_ADDED,
    EQUALITY_FILTERS,
    elasticsearch_doc,
    elasticsearch_mappings,
    from_elasticsearch,
)
from lookup.store.base import (
    AuditFilter,
    AuditRecord,
    CollectionSpec,
    Document,
    DuplicateKey,
    Stored,
    StoreUnavailable,
    VersionConflict,
    iso_millis,
)
from lookup.store.elasticsearch.incidents import ElasticsearchIncidentStore
from lookup.store.incidents import TRAINING_APART
from search_index.elasticsearch.client import (
    ClientOptions,
    connect,
    create_index_once,
    unavailable_on_failure,
)

# "new": this call created the claim; "held": the owner already held it; "refused": another has it.
ClaimResult = Literal["new", "held", "refused"]
CLAIM_GRACE = 60.0  # seconds a claim without its owner document is respected (insert in flight)
PAGE = 500  # documents per search page
CAS_ATTEMPTS = 5  # compare-and-set retries of an update or delete without an expected version

STATE_SETTINGS: dict[str, Any] = {
    "number_of_shards": 1,
    "auto_expand_replicas": "0-1",
    # Every acknowledged write is fsynced to the translog of all in-sync copies (the default,
    # stated so a cluster-wide template cannot silently turn it to "async").
    "translog.durability": "request",
}

COLLECTION_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": {"type": "keyword"},
        "created": {"type": "long"},  # ns since the epoch: find() answers oldest first
        "version": {"type": "long"},  # 1 on insert, +1 per update (as on SQLite)
        "data": {"type": "flattened", "ignore_above": 4096, "depth_limit": 20},
    },
}

UNIQUE_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "collection": {"type": "keyword"},
        "field": {"type": "keyword"},
        "owner": {"type": "keyword"},
        "claimed": {"type": "long"},
    },
}

AUDIT_MAPPINGS: dict[str, Any] = elasticsearch_mappings()
# Fields added after the audit index was first released: put into an existing index's mapping
# (its `dynamic: strict` would otherwise refuse every new record).
ADDED_FIELDS = ELASTICSEARCH_ADDED


class ElasticsearchStateStore:
    name = "elasticsearch"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "dipcheck",
        options: ClientOptions | None = None,
        audit_wait_for_active_shards: int | str = 1,
        client: Elasticsearch | None = None,
    ) -> None:
        self._es = client if client is not None else connect(url, options or ClientOptions())
        self._prefix = prefix
        self._audit_index = f"{prefix}-audit"
        self._unique_index = f"{prefix}-state-unique"
        self._audit_shards = audit_wait_for_active_shards
        self._specs: dict[str, CollectionSpec] = {}
        self._shared_ready = False
        self.incidents = ElasticsearchIncidentStore(
            self._es, prefix=prefix, settings=STATE_SETTINGS
        )
        self.training_incidents = ElasticsearchIncidentStore(
            self._es, prefix=f"{prefix}-{TRAINING_APART}", settings=STATE_SETTINGS
        )

    # --- set-up -------------------------------------------------------------------------------
    def ensure(self, specs: Sequence[CollectionSpec]) -> None:
        with unavailable_on_failure(StoreUnavailable, "ensure"):
            self._ensure_shared()
            for spec in specs:
                self._create_index(self._index(spec.name), COLLECTION_MAPPINGS)
                self._specs[spec.name] = spec

    def _ensure_shared(self) -> None:
        """The claim, audit and incident indices, created once per process before first use:
        written to before they exist, Elasticsearch would auto-create them with guessed
        mappings; and every lookup reads the incident index (licence points), so creating it
        there would put a cluster-state update, which waits behind any import's index admin,
        on the lookup's short deadline."""
        if not self._shared_ready:
            self._create_index(self._unique_index, UNIQUE_MAPPINGS)
            self._create_index(self._audit_index, AUDIT_MAPPINGS)
            self._es.indices.put_mapping(
                index=self._audit_index,
                properties={name: AUDIT_MAPPINGS["properties"][name] for name in ADDED_FIELDS},
            )
            self.incidents.ensure()
            self._shared_ready = True

    def _create_index(self, index: str, mappings: dict[str, Any]) -> None:
        create_index_once(self._es, index, settings=STATE_SETTINGS, mappings=mappings)

    def _index(self, collection: str) -> str:
        return f"{self._prefix}-state-{collection}"

    def _spec(self, collection: str) -> CollectionSpec:
        """The declared spec; a collection never declared is created with no unique field."""
        spec = self._specs.get(collection)
        if spec is None:
            spec = CollectionSpec(collection)
            self.ensure([spec])
        return spec

    # --- documents ----------------------------------------------------------------------------
    def insert(self, collection: str, data: Document, *, id: str | None = None) -> Stored:
        spec = self._spec(collection)
        doc_id = id or uuid.uuid4().hex
        with unavailable_on_failure(StoreUnavailable, "insert"):
            claimed = self._claim_all(spec, doc_id, data, list(spec.unique))
            try:
                self._es.create(
                    index=self._index(collection),
                    id=doc_id,
                    document={"id": doc_id, "created": time.time_ns(), "version": 1, "data": data},
                    refresh=True,
                )
            except ConflictError:
                self._release(spec, doc_id, data, claimed)
                raise DuplicateKey(collection, "id") from None
            except BaseException:
                self._release(spec, doc_id, data, claimed)
                raise
        return Stored(id=doc_id, version=1, data=dict(data))

    def get(self, collection: str, id: str) -> Stored | None:
        self._spec(collection)
        with unavailable_on_failure(StoreUnavailable, "get"):
            hit = self._get(collection, id)
        return None if hit is None else _stored(hit)

    def find(self, collection: str, **equals: Any) -> list[Stored]:
        spec = self._spec(collection)
        with unavailable_on_failure(StoreUnavailable, "find"):
            unique = next((f for f in spec.unique if equals.get(f) is not None), None)
            if unique is not None:
                # Real-time path through the claim: no dependence on refresh, and the hot
                # look-ups (key hash, user name) cost two GETs.
                owner = self._claim_owner(collection, unique, equals[unique])
                hit = self._get(collection, owner) if owner else None
                found = [_stored(hit)] if hit is not None else []
            else:
                found = [_stored(h) for h in self._search_all(collection, equals)]
        # Exact, type-aware equality (the index compares strings) so both stores agree.
        return [s for s in found if all(s.data.get(k) == v for k, v in equals.items())]

    def find_one(self, collection: str, **equals: Any) -> Stored | None:
        found = self.find(collection, **equals)
        return found[0] if found else None

    def update(
        self, collection: str, id: str, changes: Document, *, expect_version: int | None = None
    ) -> Stored:
        spec = self._spec(collection)
        with unavailable_on_failure(StoreUnavailable, "update"):
            for _ in range(CAS_ATTEMPTS):
                hit = self._get(collection, id)
                if hit is None:
                    raise KeyError(id)
                current = hit["_source"]
                version = int(current["version"])
                if expect_version is not None and version != expect_version:
                    raise VersionConflict(f"{collection}/{id}: version {version}")
                old: Document = current["data"]
                new = {**old, **changes}
                moved = [f for f in spec.unique if new.get(f) != old.get(f)]
                claimed = self._claim_all(spec, id, new, moved)
                try:
                    self._es.index(
                        index=self._index(collection),
                        id=id,
                        document={**current, "version": version + 1, "data": new},
                        if_seq_no=hit["_seq_no"],
                        if_primary_term=hit["_primary_term"],
                        refresh=True,
                    )
                except ConflictError:
                    self._release(spec, id, new, claimed)
                    if expect_version is not None:
                        raise VersionConflict(f"{collection}/{id}: changed meanwhile") from None
                    continue
                except BaseException:
                    self._release(spec, id, new, claimed)
                    raise
                self._release(spec, id, old, moved)
                return Stored(id=id, version=version + 1, data=new)
        raise VersionConflict(f"{collection}/{id}: too many concurrent writers")

    def delete(self, collection: str, id: str) -> bool:
        spec = self._spec(collection)
        with unavailable_on_failure(StoreUnavailable, "delete"):
            for _ in range(CAS_ATTEMPTS):
                hit = self._get(collection, id)
                if hit is None:
                    return False
                try:
                    self._es.delete(
                        index=self._index(collection),
                        id=id,
                        if_seq_no=hit["_seq_no"],
                        if_primary_term=hit["_primary_term"],
                        refresh=True,
                    )
                except NotFoundError:
                    return False
                except ConflictError:
                    continue
                self._release(spec, id, hit["_source"]["data"], list(spec.unique))
                return True
        raise VersionConflict(f"{collection}/{id}: too many concurrent writers")

    def _get(self, collection: str, id: str) -> dict[str, Any] | None:
        try:
            return dict(self._es.get(index=self._index(collection), id=id))
        except NotFoundError:
            return None

    def _search_all(self, collection: str, equals: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        query = _equals_query(equals)
        sort = [{"created": "asc"}, {"id": "asc"}]
        after: list[Any] | None = None
        while True:
            extra: dict[str, Any] = {"search_after": after} if after is not None else {}
            resp = self._es.search(
                index=self._index(collection),
                query=query,
                sort=sort,
                size=PAGE,
                version=True,
                seq_no_primary_term=True,
                **extra,
            )
            hits = resp["hits"]["hits"]
            yield from hits
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    # --- unique claims ------------------------------------------------------------------------
    def _claim_id(self, collection: str, field_name: str, value: Any) -> str:
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
        digest = hashlib.sha256(canonical.encode()).hexdigest()
        return f"{collection}:{field_name}:{digest}"

    def _claim_owner(self, collection: str, field_name: str, value: Any) -> str | None:
        try:
            hit = self._es.get(
                index=self._unique_index, id=self._claim_id(collection, field_name, value)
            )
        except NotFoundError:
            return None
        return str(hit["_source"]["owner"])

    def _claim_all(
        self, spec: CollectionSpec, owner: str, data: Document, fields: list[str]
    ) -> list[str]:
        """Claim each field's value for `owner`; returns the fields whose claims this call
        created (only those may be released if the write that follows fails)."""
        claimed: list[str] = []
        try:
            for f in fields:
                if data.get(f) is None:
                    continue
                result = self._claim(spec.name, f, data[f], owner)
                if result == "refused":
                    raise DuplicateKey(spec.name, f)
                if result == "new":
                    claimed.append(f)
        except BaseException:
            self._release(spec, owner, data, claimed)
            raise
        return claimed

    def _claim(self, collection: str, field_name: str, value: Any, owner: str) -> ClaimResult:
        claim_id = self._claim_id(collection, field_name, value)
        body = {"collection": collection, "field": field_name, "owner": owner}
        try:
            self._es.create(
                index=self._unique_index, id=claim_id, document={**body, "claimed": time.time_ns()}
            )
            return "new"
        except ConflictError:
            pass
        try:
            hit = self._es.get(index=self._unique_index, id=claim_id)
        except NotFoundError:  # released meanwhile: try once more
            return self._claim_once_more(claim_id, body)
        holder = hit["_source"]["owner"]
        if holder == owner:
            return "held"
        age = (time.time_ns() - int(hit["_source"]["claimed"])) / 1e9
        if age < CLAIM_GRACE:
            return "refused"
        held = self._get(collection, holder)
        if held is not None and held["_source"]["data"].get(field_name) == value:
            return "refused"
        # A stale claim: its insert never landed, or a crash kept it after the value moved on.
        # Take it over, unless someone else does first.
        try:
            self._es.index(
                index=self._unique_index,
                id=claim_id,
                document={**body, "claimed": time.time_ns()},
                if_seq_no=hit["_seq_no"],
                if_primary_term=hit["_primary_term"],
            )
        except ConflictError:
            return "refused"
        return "new"

    def _claim_once_more(self, claim_id: str, body: dict[str, Any]) -> ClaimResult:
        try:
            self._es.create(
                index=self._unique_index, id=claim_id, document={**body, "claimed": time.time_ns()}
            )
        except ConflictError:
            return "refused"
        return "new"

    def _release(self, spec: CollectionSpec, owner: str, data: Document, fields: list[str]) -> None:
        """Best effort: a claim left behind by a failure here is taken over after CLAIM_GRACE."""
        for f in fields:
            if data.get(f) is None:
                continue
            claim_id = self._claim_id(spec.name, f, data[f])
            try:
                hit = self._es.get(index=self._unique_index, id=claim_id)
                if hit["_source"]["owner"] != owner:
                    continue
                self._es.delete(
                    index=self._unique_index,
                    id=claim_id,
                    if_seq_no=hit["_seq_no"],
                    if_primary_term=hit["_primary_term"],
                )
            except (ApiError, TransportError):
                continue

    # --- audit --------------------------------------------------------------------------------
    def append_audit(self, record: AuditRecord) -> None:
        """Acknowledged means durable: with translog durability "request" (set on the index),
        Elasticsearch fsyncs the operation on the primary and every in-sync replica before it
        answers; `wait_for_active_shards` additionally refuses the write unless that many copies
        are up. No refresh is needed for durability (refresh is about search visibility)."""
        doc = {**elasticsearch_doc(record), "appended": time.time_ns()}
        with unavailable_on_failure(StoreUnavailable, "audit append"):
            self._ensure_shared()
            try:
                resp = self._create_audit(record.reference, doc)
            except ConflictError:
                raise DuplicateKey("audit", "reference") from None
            except (ConnectionError, ConnectionTimeout):
                # The first attempt may have landed before the connection failed: try once
                # more, and accept a conflict only if what is stored is this very record.
                try:
                    resp = self._create_audit(record.reference, doc)
                except ConflictError:
                    existing = self._es.get(index=self._audit_index, id=record.reference)
                    stored = {k: v for k, v in existing["_source"].items() if k != "appended"}
                    if stored != elasticsearch_doc(record):
                        raise DuplicateKey("audit", "reference") from None
                    return
        shards = resp.get("_shards", {})
        if int(shards.get("failed", 0)) > 0 or int(shards.get("successful", 0)) < 1:
            raise StoreUnavailable("audit record not acknowledged by every active copy")

    def _create_audit(self, reference: str, doc: dict[str, Any]) -> ObjectApiResponse[Any]:
        # No transport-level retry: a 409 on our first attempt is a real duplicate reference.
        return self._es.options(max_retries=0).create(
            index=self._audit_index,
            id=reference,
            document=doc,
            wait_for_active_shards=str(self._audit_shards),
        )

    def iter_audit(self, filter: AuditFilter) -> Iterator[AuditRecord]:
        query = _audit_query(filter)
        sort = [{"at": "desc"}, {"appended": "desc"}]
        remaining = filter.limit
        with unavailable_on_failure(StoreUnavailable, "audit read"):
            self._ensure_shared()
            # Read-your-writes, as with SQLite: an export right after a lookup includes it.
            self._es.indices.refresh(index=self._audit_index)
            after: list[Any] | None = None
            while remaining is None or remaining > 0:
                size = PAGE if remaining is None else min(PAGE, remaining)
                extra: dict[str, Any] = {"search_after": after} if after is not None else {}
                resp = self._es.search(
                    index=self._audit_index, query=query, sort=sort, size=size, **extra
                )
                hits = resp["hits"]["hits"]
                for h in hits:
                    yield from_elasticsearch(h["_source"])
                if remaining is not None:
                    remaining -= len(hits)
                if len(hits) < size:
                    return
                after = hits[-1]["sort"]

    # --- health -------------------------------------------------------------------------------
    def ping(self) -> None:
        with unavailable_on_failure(StoreUnavailable, "ping"):
            self._es.info()

    def close(self) -> None:
        self._es.close()


def _stored(hit: Mapping[str, Any]) -> Stored:
    source = hit["_source"]
    return Stored(id=str(hit["_id"]), version=int(source["version"]), data=source["data"])


def _term_value(value: Any) -> str:
    """How a flattened field indexes a scalar: as its JSON text, booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _equals_query(equals: Mapping[str, Any]) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    for key, value in equals.items():
        field_name = f"data.{key}"
        if value is None:
            must_not.append({"exists": {"field": field_name}})
        elif isinstance(value, str | int | float | bool):
            filters.append({"term": {field_name: _term_value(value)}})
        # Lists and objects are compared in Python only (after the search).
    if not filters and not must_not:
        return {"match_all": {}}
    return {"bool": {"filter": filters, "must_not": must_not}}


def _audit_query(f: AuditFilter) -> dict[str, Any]:
    filters: list[dict[str, Any]] = []
    # reference is a keyword (also the document id): a term on it is one exact index probe.
    for name in EQUALITY_FILTERS:
        value = getattr(f, name)
        if value is not None:
            filters.append({"term": {name: value}})
    bounds: dict[str, str] = {}
    if f.since is not None:
        bounds["gte"] = iso_millis(f.since)
    if f.until is not None:
        bounds["lt"] = iso_millis(f.until)
    if bounds:
        filters.append({"range": {"at": bounds}})
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}
