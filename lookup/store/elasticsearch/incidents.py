"""Incident reports in the Elasticsearch state store (see lookup/store/incidents.py).

Index `<prefix>-incidents`: one document per report, id = the incident id. The report itself is
kept in `data` (stored, not indexed); the fields of `IncidentIndex` beside it are keywords and
dates. A report is one document, so it is written whole or not at all; a new report is created
with op_type=create (a taken id is refused by the primary shard) and a change is compare-and-set
on `_seq_no`/`_primary_term`. Writes refresh, so the OFM queue shows a report as soon as it is
acknowledged.

Paging uses from/size: Elasticsearch answers at most 10,000 hits deep (`index.max_result_window`),
which is why the API caps `page` (lookup/incidents/service.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from lookup.store.base import Document, DuplicateKey, StoreUnavailable, VersionConflict
from lookup.store.incidents import (
    COUNT_LIMIT,
    IncidentFilter,
    index_fields,
    utc_text,
)
from search_index.elasticsearch.client import create_index_once, unavailable_on_failure

PAGE = 500
_KEYWORDS = ("id", "agency_id", "status", "kind", "country_key", "mission_id", "person_id")
MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        **{name: {"type": "keyword"} for name in _KEYWORDS},
        "version": {"type": "long"},
        "occurred_at": {"type": "date", "format": "strict_date_optional_time"},
        "occurred_on": {"type": "date", "format": "strict_date"},
        "points": {"type": "integer"},
        "assessed_at": {"type": "date", "format": "strict_date_optional_time"},
        "data": {"type": "object", "enabled": False},
    },
}
_SORT = [{"occurred_at": "desc"}, {"id": "desc"}]


def _source(document: Document, version: int) -> dict[str, Any]:
    index = index_fields(document)
    return {
        "id": index.incident_id,
        "version": version,
        "agency_id": index.agency_id,
        "status": index.status,
        "kind": index.kind,
        "country_key": index.country_key,
        "mission_id": index.mission_id,
        "person_id": index.person_id,
        "occurred_at": index.occurred_at,
        "occurred_on": index.occurred_on,
        "points": index.points,
        "assessed_at": index.assessed_at,
        "data": document,
    }


def _query(filter: IncidentFilter) -> dict[str, Any]:
    filters: list[dict[str, Any]] = [{"term": {name: value}} for name, value in filter.equalities()]
    bounds: dict[str, str] = {}
    if filter.since is not None:
        bounds["gte"] = utc_text(filter.since)
    if filter.until is not None:
        bounds["lt"] = utc_text(filter.until)
    if bounds:
        filters.append({"range": {"occurred_at": bounds}})
    return {"bool": {"filter": filters}} if filters else {"match_all": {}}


class ElasticsearchIncidentStore:
    def __init__(self, es: Elasticsearch, *, prefix: str, settings: dict[str, Any]) -> None:
        self._es = es
        self._index = f"{prefix}-incidents"
        self._settings = settings
        self._ready = False

    def ensure(self) -> None:
        """Create the index unless this process already has. The state store calls this at
        set-up, with its other indices, so a lookup (which reads licence points from here)
        never creates an index on its own deadline; the reads and writes below call it too, for
        a store used without that set-up."""
        if not self._ready:
            create_index_once(self._es, self._index, settings=self._settings, mappings=MAPPINGS)
            self._ready = True

    def add(self, document: Document) -> None:
        with unavailable_on_failure(StoreUnavailable, "incident write"):
            self.ensure()
            try:
                self._es.create(
                    index=self._index,
                    id=document["incident_id"],
                    document=_source(document, 1),
                    refresh=True,
                )
            except ConflictError:
                raise DuplicateKey("incidents", "incident_id") from None

    def get(self, incident_id: str) -> tuple[int, Document] | None:
        with unavailable_on_failure(StoreUnavailable, "incident read"):
            self.ensure()
            try:
                hit = self._es.get(index=self._index, id=incident_id)
            except NotFoundError:
                return None
        source = hit["_source"]
        return int(source["version"]), source["data"]

    def replace(self, incident_id: str, document: Document, *, expect_version: int) -> int:
        with unavailable_on_failure(StoreUnavailable, "incident write"):
            self.ensure()
            try:
                hit = self._es.get(index=self._index, id=incident_id)
            except NotFoundError:
                raise KeyError(incident_id) from None
            version = int(hit["_source"]["version"])
            if version != expect_version:
                raise VersionConflict(f"incidents/{incident_id}: version {version}")
            try:
                self._es.index(
                    index=self._index,
                    id=incident_id,
                    document=_source(document, version + 1),
                    if_seq_no=hit["_seq_no"],
                    if_primary_term=hit["_primary_term"],
                    refresh=True,
                )
            except ConflictError:
                raise VersionConflict(f"incidents/{incident_id}: changed meanwhile") from None
        return version + 1

    def page(
        self, filter: IncidentFilter, *, offset: int, limit: int
    ) -> tuple[list[Document], int]:
        with unavailable_on_failure(StoreUnavailable, "incident read"):
            self.ensure()
            resp = self._es.search(
                index=self._index,
                query=_query(filter),
                sort=_SORT,
                from_=offset,
                size=limit,
                track_total_hits=COUNT_LIMIT + 1,
            )
        hits = resp["hits"]
        total = min(int(hits["total"]["value"]), COUNT_LIMIT + 1)
        return [h["_source"]["data"] for h in hits["hits"]], total

    def iterate(self, filter: IncidentFilter) -> Iterator[Document]:
        query = _query(filter)
        after: list[Any] | None = None
        while True:
            extra: dict[str, Any] = {"search_after": after} if after is not None else {}
            with unavailable_on_failure(StoreUnavailable, "incident read"):
                self.ensure()
                resp = self._es.search(
                    index=self._index, query=query, sort=_SORT, size=PAGE, **extra
                )
            hits = resp["hits"]["hits"]
            for h in hits:
                yield h["_source"]["data"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def reported_points(
        self, person_ids: Sequence[str], *, assessed_after: datetime, occurred_from: date
    ) -> dict[str, int]:
        if not person_ids:
            return {}
        query = {
            "bool": {
                "filter": [
                    {"terms": {"person_id": list(person_ids)}},
                    {"exists": {"field": "points"}},
                    {"range": {"assessed_at": {"gt": utc_text(assessed_after)}}},
                    {"range": {"occurred_on": {"gte": occurred_from.isoformat()}}},
                ]
            }
        }
        totals: dict[str, int] = {}
        with unavailable_on_failure(StoreUnavailable, "incident read"):
            self.ensure()
            # A person's assessed reports within two years are few: summed here, not aggregated.
            resp = self._es.search(
                index=self._index,
                query=query,
                size=10_000,
                source_includes=["person_id", "points"],
            )
        for hit in resp["hits"]["hits"]:
            source = hit["_source"]
            if source.get("points"):
                person = source["person_id"]
                totals[person] = totals.get(person, 0) + int(source["points"])
        return totals

    def assessments_mark(self) -> str:
        with unavailable_on_failure(StoreUnavailable, "incident read"):
            self.ensure()
            resp = self._es.search(
                index=self._index,
                query={"exists": {"field": "assessed_at"}},
                sort=[{"assessed_at": "desc"}, {"id": "desc"}],
                size=1,
                source_includes=["id", "assessed_at"],
                track_total_hits=True,
            )
        hits = resp["hits"]
        latest = hits["hits"][0]["_source"] if hits["hits"] else {}
        return f"{hits['total']['value']}|{latest.get('assessed_at', '')}|{latest.get('id', '')}"
