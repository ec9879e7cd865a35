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
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from lookup.store.base import Document, DuplicateKey, StoreUnavailable, VersionConflict
from lookup.store.incidents import (
    COUNT_LIMIT,
    LATEST_FIELDS,
    IncidentFilter,
    Tally,
    TallyBy,
    index_fields,
    latest_report,
    utc_text,
)
from search_index.elasticsearch.client import create_index_once, unavailable_on_failure

PAGE = 500
# Buckets per composite-aggregation page (and keys per request for the latest reports): far
# below the cluster's search.max_buckets (65,536).
AGG_PAGE = 1000
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


@dataclass(frozen=True, slots=True)
class _Counted:
    key: str
    reports: int
    last: float  # when the latest report occurred (epoch milliseconds, as `max` gives it)


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

    def _aggregate(self, query: dict[str, Any], aggs: dict[str, Any]) -> dict[str, Any]:
        """The aggregations of one search that returns no hit."""
        with unavailable_on_failure(StoreUnavailable, "incident read"):
            self.ensure()
            resp = self._es.search(
                index=self._index, query=query, size=0, track_total_hits=False, aggs=aggs
            )
        found: dict[str, Any] = resp["aggregations"]
        return found

    def _composite(
        self, query: dict[str, Any], sources: list[dict[str, Any]], aggs: dict[str, Any]
    ) -> Iterator[dict[str, Any]]:
        """Every bucket of a composite aggregation, page by page."""
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {"size": AGG_PAGE, "sources": sources}
            if after is not None:
                composite["after"] = after
            page = self._aggregate(query, {"groups": {"composite": composite, "aggs": aggs}})
            buckets = page["groups"]["buckets"]
            yield from buckets
            if len(buckets) < AGG_PAGE or "after_key" not in page["groups"]:
                return
            after = page["groups"]["after_key"]

    def reports_by_month(self, filter: IncidentFilter) -> dict[tuple[str, str], int]:
        # `occurred_on` is the officer's calendar day, indexed as that day's UTC midnight: its
        # UTC month is the month of the day they gave, as on SQLite (substr of the same text).
        month = {
            "date_histogram": {
                "field": "occurred_on",
                "calendar_interval": "month",
                "time_zone": "UTC",
                "format": "yyyy-MM",
            }
        }
        sources = [{"month": month}, {"kind": {"terms": {"field": "kind"}}}]
        return {
            (b["key"]["month"], b["key"]["kind"]): int(b["doc_count"])
            for b in self._composite(_query(filter), sources, {})
        }

    def tallies(
        self, filter: IncidentFilter, by: TallyBy, *, at_least: int = 1, top: int | None = None
    ) -> list[Tally]:
        """Two reads: every key's count and latest time (a composite aggregation, paged), then
        the latest report of the keys kept (a top_hits of one report each, its LATEST_FIELDS
        only). The cluster keeps no count per key to filter on without a script (the
        bucket_selector pipeline needs a scripting module), so the counts are compared here:
        one bucket per key, never a report."""
        query = _query(filter)
        counted = sorted(
            (
                _Counted(b["key"]["key"], int(b["doc_count"]), float(b["last"]["value"]))
                for b in self._composite(
                    query,
                    [{"key": {"terms": {"field": by}}}],
                    {"last": {"max": {"field": "occurred_at"}}},
                )
                if b["doc_count"] >= at_least
            ),
            key=lambda c: (c.reports, c.last),
            reverse=True,
        )
        if top is not None and len(counted) > top:
            # Keys tied with the last one kept are decided by their latest report's id below.
            cut = counted[top - 1]
            counted = [c for c in counted if (c.reports, c.last) >= (cut.reports, cut.last)]
        latest: dict[str, tuple[str, dict[str, Any]]] = {}
        for start in range(0, len(counted), AGG_PAGE):
            batch = [c.key for c in counted[start : start + AGG_PAGE]]
            latest.update(self._latest(query, by, batch))
        tallies = [Tally(c.key, c.reports, latest_report(*latest[c.key])) for c in counted]
        # Stable sorts: by id, then by (reports, when) with ties left in id order.
        tallies.sort(key=lambda t: t.latest.incident_id, reverse=True)
        last = {c.key: c.last for c in counted}
        tallies.sort(key=lambda t: (t.reports, last[t.key]), reverse=True)
        return tallies if top is None else tallies[:top]

    def _latest(
        self, query: dict[str, Any], by: TallyBy, keys: list[str]
    ) -> dict[str, tuple[str, dict[str, Any]]]:
        """Per key, the id and LATEST_FIELDS of its latest report among those `query` matches."""
        narrowed = {"bool": {"filter": [query, {"terms": {by: keys}}]}}
        latest = {
            "top_hits": {
                "size": 1,
                "sort": _SORT,
                "_source": {"includes": ["id", *(f"data.{path}" for path in LATEST_FIELDS)]},
            }
        }
        composite = {"size": len(keys), "sources": [{"key": {"terms": {"field": by}}}]}
        page = self._aggregate(
            narrowed, {"groups": {"composite": composite, "aggs": {"latest": latest}}}
        )
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for bucket in page["groups"]["buckets"]:
            source = bucket["latest"]["hits"]["hits"][0]["_source"]
            found[bucket["key"]["key"]] = (source["id"], source["data"])
        return found

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
