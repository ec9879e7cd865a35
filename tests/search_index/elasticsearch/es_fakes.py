"""An in-memory stand-in for the part of the Elasticsearch REST API our backends call.

It plugs into the REAL `elasticsearch` client as its `node_class`, so every request goes through the
client's own serialisation, compatibility headers, product check, retries and error classes; only
the socket is replaced. It keeps indices, documents (with _seq_no/_primary_term/_version), aliases,
index templates and refresh visibility (a search sees only refreshed documents, a GET is real-time),
and evaluates the query clauses our backends send (term, terms, ids, bool, exists, range, wildcard,
match with fuzziness), field collapsing and the aggregations they send (filter, terms, composite
with terms and monthly date_histogram sources, max and top_hits in its buckets). Faults are
injected per request: connection refused, timeout, slowness bounded by the request timeout, 5xx
answers, bulk item failures.

It is a test double, not a model of Elasticsearch: scoring is flat, analysis is a simple fold.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, unquote, urlsplit

from elastic_transport import (
    ApiResponseMeta,
    BaseNode,
    ConnectionError,
    ConnectionTimeout,
    HttpHeaders,
    NodeConfig,
)
from rapidfuzz.distance import OSA

COMPAT_JSON = "application/vnd.elasticsearch+json;compatible-with=8"

Json = dict[str, Any]


@dataclass
class FakeDoc:
    source: Json
    version: int
    seq_no: int
    primary_term: int = 1


@dataclass
class FakeIndex:
    name: str
    settings: Json
    mappings: Json
    aliases: set[str] = field(default_factory=set)
    docs: dict[str, FakeDoc] = field(default_factory=dict)
    visible: dict[str, FakeDoc] = field(default_factory=dict)  # as of the last refresh
    seq: itertools.count[int] = field(default_factory=itertools.count)
    tombstones: dict[str, int] = field(default_factory=dict)  # id -> last version

    visible_by_kind: dict[Any, dict[str, FakeDoc]] = field(default_factory=dict)

    def refresh(self) -> None:
        self.visible = dict(self.docs)
        # Our record indices hold several kinds of document and every query filters on one:
        # grouping them keeps the fake usable at full data-set scale (benchmarks).
        self.visible_by_kind = {}
        for doc_id, doc in self.visible.items():
            self.visible_by_kind.setdefault(doc.source.get("kind"), {})[doc_id] = doc

    @property
    def write_blocked(self) -> bool:
        blocks = self.settings.get("index", {}).get("blocks", {})
        return str(blocks.get("write", "false")).lower() == "true"


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str]


class EsHttpError(Exception):
    def __init__(self, status: int, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.body: Json = {
            "error": {
                "root_cause": [{"type": error_type, "reason": reason}],
                "type": error_type,
                "reason": reason,
            },
            "status": status,
        }


Fault = Callable[[Request], "tuple[int, Json] | None"]


class FakeCluster:
    """One fake single-node cluster; `node_class()` gives the class to hand to the client."""

    def __init__(self) -> None:
        self.indices: dict[str, FakeIndex] = {}
        self.templates: dict[str, Json] = {}
        self.requests: list[Request] = []
        self.down = False  # every request: connection refused
        self.latency = 0.0  # seconds each request would take; beyond the request timeout: timeout
        self.slow_paths: list[tuple[str, float]] = []  # (path regex, seconds): slowness per path
        self.faults: list[tuple[str, str, Fault | str | int, int]] = []
        self.bulk_item_error: Callable[[str, str, Json], str | None] | None = None
        self._lock = threading.RLock()

    # --- wiring -------------------------------------------------------------------------------
    def node_class(self) -> type[BaseNode]:
        cluster = self

        class BoundFakeNode(FakeNode):
            pass

        BoundFakeNode.cluster = cluster
        return BoundFakeNode

    # --- fault injection ----------------------------------------------------------------------
    def fail(self, method: str, path_regex: str, fault: Fault | str | int, times: int = 1) -> None:
        """Make the next `times` matching requests fail: "refused", "timeout", an HTTP status, or a
        callable returning (status, body) or None (None lets the request through)."""
        self.faults.append((method.upper(), path_regex, fault, times))

    def _take_fault(self, req: Request) -> Fault | str | int | None:
        for i, (method, regex, fault, times) in enumerate(self.faults):
            if method in ("*", req.method) and re.search(regex, req.path):
                if times <= 1:
                    del self.faults[i]
                else:
                    self.faults[i] = (method, regex, fault, times - 1)
                return fault
        return None

    # --- inspection helpers for tests ---------------------------------------------------------
    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def index_names(self, pattern: str = "*") -> list[str]:
        return sorted(n for n in self.indices if fnmatch.fnmatchcase(n, pattern))

    def alias_targets(self, alias: str) -> list[str]:
        return sorted(n for n, ix in self.indices.items() if alias in ix.aliases)

    # --- request handling ---------------------------------------------------------------------
    def handle(self, req: Request) -> tuple[int, Json | None]:
        with self._lock:
            self.requests.append(req)
            try:
                return self._route(req)
            except EsHttpError as e:
                return e.status, e.body

    def _route(self, req: Request) -> tuple[int, Json | None]:
        parts = [unquote(p) for p in req.path.strip("/").split("/") if p]
        m, p = req.method, parts
        if not p:
            return 200, {
                "name": "fake",
                "cluster_name": "fake",
                "version": {"number": "8.19.0", "build_flavor": "default"},
                "tagline": "You Know, for Search",
            }
        if p[0] == "_index_template" and len(p) == 2:
            if m == "PUT":
                self.templates[p[1]] = req.body
                return 200, {"acknowledged": True}
            if p[1] not in self.templates:
                raise EsHttpError(404, "resource_not_found_exception", f"{p[1]} missing")
            return 200, {
                "index_templates": [{"name": p[1], "index_template": self.templates[p[1]]}]
            }
        if p[0] == "_cluster" and p[1:2] == ["health"]:  # of the cluster or of one index
            return 200, {"status": "green", "number_of_nodes": 1}
        if p[0] == "_aliases" and m == "POST":
            return self._update_aliases(req.body)
        if p[0] == "_alias" and len(p) == 2:
            return self._get_alias(None, p[1])
        if p[0] == "_bulk":
            return self._bulk(None, req)
        if p[0] == "_refresh":
            for ix in self.indices.values():
                ix.refresh()
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        target = p[0]
        if len(p) == 1:
            if m == "PUT":
                return self._create_index(target, req.body or {})
            if m == "HEAD":
                return (200 if self._resolve(target, must=False) else 404), None
            if m == "DELETE":
                names = self._resolve(target, must=True)
                for n in names:
                    del self.indices[n]
                return 200, {"acknowledged": True}
            if m == "GET":
                names = self._resolve(target, must=req.params.get("ignore_unavailable") != "true")
                return 200, {n: self._describe(self.indices[n]) for n in names}
        op = p[1]
        if op == "_doc" and len(p) == 3:
            return self._doc(target, p[2], req)
        if op == "_doc" and len(p) == 2 and m == "POST":
            return self._write(target, uuid.uuid4().hex, req, create=True)
        if op == "_create" and len(p) == 3:
            return self._write(target, p[2], req, create=True)
        if op == "_bulk":
            return self._bulk(target, req)
        if op == "_refresh":
            for n in self._resolve(target, must=True):
                self.indices[n].refresh()
            return 200, {"_shards": {"total": 1, "successful": 1, "failed": 0}}
        if op == "_count":
            hits = self._query(target, (req.body or {}).get("query"))
            return 200, {"count": len(hits), "_shards": {"total": 1, "successful": 1}}
        if op == "_search":
            return self._search(target, req)
        if op == "_mget":
            return self._mget(target, req.body or {})
        if op == "_mapping":
            return self._mapping(target, req)
        if op == "_settings" and m == "PUT":
            for n in self._resolve(target, must=True):
                _deep_merge(self.indices[n].settings, _expand_dotted(req.body or {}))
            return 200, {"acknowledged": True}
        if op == "_alias" and len(p) == 3:
            return self._get_alias(target, p[2])
        raise EsHttpError(400, "illegal_argument_exception", f"fake: no route {m} {req.path}")

    # --- indices and aliases ------------------------------------------------------------------
    def _resolve(self, expr: str, *, must: bool) -> list[str]:
        names: list[str] = []
        for part in expr.split(","):
            found = [
                n
                for n, ix in self.indices.items()
                if fnmatch.fnmatchcase(n, part) or part in ix.aliases
            ]
            if not found and must and "*" not in part:
                raise EsHttpError(404, "index_not_found_exception", f"no such index [{part}]")
            names.extend(found)
        return sorted(set(names))

    def _create_index(self, name: str, body: Json) -> tuple[int, Json]:
        if name in self.indices:
            raise EsHttpError(400, "resource_already_exists_exception", f"index [{name}] exists")
        settings: Json = {}
        mappings: Json = {}
        aliases: set[str] = set()
        for tpl in sorted(self.templates.values(), key=lambda t: t.get("priority", 0)):
            if any(fnmatch.fnmatchcase(name, pat) for pat in tpl.get("index_patterns", [])):
                t = tpl.get("template", {})
                _deep_merge(settings, _expand_dotted(t.get("settings", {})))
                _deep_merge(mappings, t.get("mappings", {}))
                aliases |= set(t.get("aliases", {}))
        _deep_merge(settings, _expand_dotted(body.get("settings", {})))
        _deep_merge(mappings, body.get("mappings", {}))
        aliases |= set(body.get("aliases", {}))
        self.indices[name] = FakeIndex(name, settings, mappings, aliases)
        return 200, {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def _describe(self, ix: FakeIndex) -> Json:
        return {
            "aliases": {a: {} for a in sorted(ix.aliases)},
            "mappings": ix.mappings,
            "settings": ix.settings,
        }

    def _mapping(self, target: str, req: Request) -> tuple[int, Json]:
        names = self._resolve(target, must=True)
        if req.method == "PUT":
            for n in names:
                _deep_merge(self.indices[n].mappings, req.body or {})
            return 200, {"acknowledged": True}
        return 200, {n: {"mappings": self.indices[n].mappings} for n in names}

    def _get_alias(self, target: str | None, alias: str) -> tuple[int, Json]:
        names = self._resolve(target, must=True) if target else list(self.indices)
        found = {
            n: {"aliases": {alias: {}}}
            for n in sorted(names)
            if any(fnmatch.fnmatchcase(a, alias) for a in self.indices[n].aliases)
        }
        if not found:
            return 404, {"error": f"alias [{alias}] missing", "status": 404}
        return 200, found

    def _update_aliases(self, body: Json) -> tuple[int, Json]:
        # Validate every action first so the whole request applies or none of it does.
        plan: list[tuple[str, str, str]] = []
        for action in body.get("actions", []):
            (kind, spec), *_ = action.items()
            index = spec.get("index")
            if kind == "remove_index":
                plan.append((kind, self._single(index), ""))
                continue
            alias = spec["alias"]
            names = self._resolve(index, must=True)
            if kind == "remove":
                holders = [n for n in names if alias in self.indices[n].aliases]
                if not holders and spec.get("must_exist", True):
                    raise EsHttpError(404, "aliases_not_found_exception", f"[{alias}] missing")
                plan.extend((kind, n, alias) for n in holders)
            elif kind == "add":
                plan.extend((kind, n, alias) for n in names)
            else:
                raise EsHttpError(400, "illegal_argument_exception", f"fake: action {kind}")
        for kind, name, alias in plan:
            if kind == "add":
                self.indices[name].aliases.add(alias)
            elif kind == "remove":
                self.indices[name].aliases.discard(alias)
            else:
                del self.indices[name]
        return 200, {"acknowledged": True, "errors": False}

    def _single(self, name: str) -> str:
        names = self._resolve(name, must=True)
        if len(names) != 1:
            raise EsHttpError(400, "illegal_argument_exception", f"[{name}] is not one index")
        return names[0]

    def _index_for_write(self, target: str) -> FakeIndex:
        if target not in self.indices:
            holders = [n for n, ix in self.indices.items() if target in ix.aliases]
            if len(holders) == 1:
                return self.indices[holders[0]]
            if holders:
                raise EsHttpError(400, "illegal_argument_exception", "alias has many indices")
            self._create_index(target, {})  # Elasticsearch auto-creates indices on write
        return self.indices[target]

    # --- documents ----------------------------------------------------------------------------
    def _doc(self, target: str, doc_id: str, req: Request) -> tuple[int, Json]:
        if req.method in ("PUT", "POST"):
            create = req.params.get("op_type") == "create"
            return self._write(target, doc_id, req, create=create)
        ix = self.indices[self._single(target)]
        if req.method == "GET":
            doc = ix.docs.get(doc_id)
            if doc is None:
                return 404, {"_index": ix.name, "_id": doc_id, "found": False}
            return 200, _hit(ix.name, doc_id, doc, found=True)
        if req.method == "DELETE":
            doc = ix.docs.get(doc_id)
            if doc is None:
                return 404, {"_index": ix.name, "_id": doc_id, "result": "not_found"}
            self._check_cas(ix, doc_id, doc, req.params)
            del ix.docs[doc_id]
            ix.tombstones[doc_id] = doc.version + 1
            self._maybe_refresh(ix, req.params)
            return 200, {"_index": ix.name, "_id": doc_id, "result": "deleted"}
        raise EsHttpError(405, "method_not_allowed", req.method)

    def _check_cas(
        self, ix: FakeIndex, doc_id: str, doc: FakeDoc | None, params: dict[str, str]
    ) -> None:
        if "if_seq_no" not in params:
            return
        if (
            doc is None
            or int(params["if_seq_no"]) != doc.seq_no
            or int(params.get("if_primary_term", "1")) != doc.primary_term
        ):
            raise EsHttpError(409, "version_conflict_engine_exception", f"[{doc_id}] conflict")

    def _put(self, ix: FakeIndex, doc_id: str, source: Json, *, create: bool) -> FakeDoc:
        if ix.write_blocked:
            raise EsHttpError(403, "cluster_block_exception", "index write blocked")
        old = ix.docs.get(doc_id)
        if create and old is not None:
            raise EsHttpError(
                409, "version_conflict_engine_exception", f"[{doc_id}]: document already exists"
            )
        version = old.version + 1 if old else ix.tombstones.pop(doc_id, 1)
        doc = FakeDoc(source=json.loads(json.dumps(source)), version=version, seq_no=next(ix.seq))
        ix.docs[doc_id] = doc
        return doc

    def _write(self, target: str, doc_id: str, req: Request, *, create: bool) -> tuple[int, Json]:
        ix = self._index_for_write(target)
        self._check_cas(ix, doc_id, ix.docs.get(doc_id), req.params)
        doc = self._put(ix, doc_id, req.body or {}, create=create)
        self._maybe_refresh(ix, req.params)
        result = "created" if doc.version == 1 else "updated"
        return (201 if result == "created" else 200), {
            "_index": ix.name,
            "_id": doc_id,
            "_version": doc.version,
            "result": result,
            "_seq_no": doc.seq_no,
            "_primary_term": doc.primary_term,
            "_shards": {"total": 1, "successful": 1, "failed": 0},
        }

    def _maybe_refresh(self, ix: FakeIndex, params: dict[str, str]) -> None:
        if params.get("refresh") in ("true", "wait_for", ""):
            ix.refresh()

    def _mget(self, target: str, body: Json) -> tuple[int, Json]:
        ix = self.indices[self._single(target)]
        docs = []
        for doc_id in body.get("ids", []):
            doc = ix.docs.get(doc_id)
            if doc is None:
                docs.append({"_index": ix.name, "_id": doc_id, "found": False})
            else:
                docs.append(_hit(ix.name, doc_id, doc, found=True))
        return 200, {"docs": docs}

    def _bulk(self, target: str | None, req: Request) -> tuple[int, Json]:
        lines: list[Json] = req.body
        items: list[Json] = []
        i = 0
        while i < len(lines):
            (op, meta), *_ = lines[i].items()
            source = lines[i + 1] if op in ("index", "create") else {}
            i += 2 if op in ("index", "create") else 1
            index_name = meta.get("_index", target)
            doc_id = meta.get("_id") or uuid.uuid4().hex
            try:
                failure = (
                    self.bulk_item_error(index_name, doc_id, source)
                    if self.bulk_item_error
                    else None
                )
                if failure:
                    raise EsHttpError(400, failure, f"fake: rejected [{doc_id}]")
                ix = self._index_for_write(index_name)
                doc = self._put(ix, doc_id, source, create=op == "create")
                items.append(
                    {
                        op: {
                            "_index": ix.name,
                            "_id": doc_id,
                            "_version": doc.version,
                            "result": "created" if doc.version == 1 else "updated",
                            "status": 201 if doc.version == 1 else 200,
                            "_seq_no": doc.seq_no,
                            "_primary_term": 1,
                        }
                    }
                )
            except EsHttpError as e:
                items.append(
                    {
                        op: {
                            "_index": index_name,
                            "_id": doc_id,
                            "status": e.status,
                            "error": e.body["error"],
                        }
                    }
                )
        if req.params.get("refresh") in ("true", "wait_for"):
            for ix in self.indices.values():
                ix.refresh()
        errors = any("error" in next(iter(it.values())) for it in items)
        return 200, {"took": 1, "errors": errors, "items": items}

    # --- search -------------------------------------------------------------------------------
    def _query(self, target: str, query: Json | None) -> list[tuple[str, FakeIndex, FakeDoc]]:
        out = []
        kind = _kind_filter(query)
        for n in self._resolve(target, must=True):
            ix = self.indices[n]
            docs = ix.visible if kind is None else ix.visible_by_kind.get(kind, {})
            for doc_id, doc in docs.items():
                if query is None or _matches(query, doc_id, doc.source):
                    out.append((doc_id, ix, doc))
        return out

    def _search(self, target: str, req: Request) -> tuple[int, Json]:
        body: Json = dict(req.body or {})
        hits = self._query(target, body.get("query"))
        sort = body.get("sort")
        if sort:
            hits = _sorted(hits, sort)
        after = body.get("search_after")
        if after is not None and sort:
            hits = [h for h in hits if _sort_key(h, sort) > _after_key(after, sort)]
        collapse = body.get("collapse")
        if collapse:
            hits = _collapsed(hits, collapse["field"])
        start = int(body.get("from", 0))
        size = int(body.get("size", 10))
        page = hits[start : start + size]
        rendered = []
        includes = body.get("_source")
        for doc_id, ix, doc in page:
            h = _hit(ix.name, doc_id, doc, found=None)
            if isinstance(includes, list):
                h["_source"] = {k: v for k, v in doc.source.items() if k in includes}
            h["_score"] = 1.0
            if not body.get("seq_no_primary_term"):
                h.pop("_seq_no")
                h.pop("_primary_term")
            if not body.get("version"):
                h.pop("_version")
            if sort:
                h["sort"] = [_sort_value(doc_id, doc.source, s) for s in _sort_fields(sort)]
            if collapse:
                h["fields"] = {collapse["field"]: _values(doc.source, collapse["field"])}
            rendered.append(h)
        result: Json = {
            "took": 1,
            "timed_out": False,
            "hits": {
                "total": {"value": len(hits), "relation": "eq"},
                "max_score": 1.0,
                "hits": rendered,
            },
        }
        aggs = body.get("aggs") or body.get("aggregations")
        if aggs:
            result["aggregations"] = {name: _aggregate(a, hits) for name, a in aggs.items()}
        return 200, result


class FakeNode(BaseNode):
    """The `node_class` the client instantiates; delegates to the bound FakeCluster."""

    cluster: FakeCluster
    _CLIENT_META_HTTP_CLIENT = ("fk", "1.0")

    def __init__(self, config: NodeConfig) -> None:
        super().__init__(config)

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        request_timeout: Any = None,
    ) -> Any:
        cluster = self.cluster
        url = urlsplit(target)
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        req = Request(
            method,
            url.path,
            dict(parse_qsl(url.query, keep_blank_values=True)),
            _decode(body, hdrs),
            hdrs,
        )
        start = time.monotonic()
        if cluster.down:
            cluster.requests.append(req)
            raise ConnectionError("fake: connection refused")
        latency = max(
            [cluster.latency] + [s for r, s in cluster.slow_paths if re.search(r, req.path)]
        )
        if latency:
            timeout = request_timeout if isinstance(request_timeout, (int, float)) else None
            if timeout is None:
                raise AssertionError("request sent without a bounded timeout")
            time.sleep(min(latency, timeout))
            if latency > timeout:
                cluster.requests.append(req)
                raise ConnectionTimeout("fake: read timed out")
        fault = cluster._take_fault(req)
        result: tuple[int, Json | None] | None = None
        if fault == "refused":
            cluster.requests.append(req)
            raise ConnectionError("fake: connection refused")
        if fault == "timeout":
            cluster.requests.append(req)
            raise ConnectionTimeout("fake: read timed out")
        if isinstance(fault, int):
            cluster.requests.append(req)
            result = (
                fault,
                {"error": {"type": "fake_fault", "reason": "injected"}, "status": fault},
            )
        elif callable(fault):
            result = fault(req)
        if result is None:
            result = cluster.handle(req)
        status, payload = result
        meta = ApiResponseMeta(
            status=status,
            http_version="1.1",
            headers=HttpHeaders(
                {"content-type": COMPAT_JSON, "x-elastic-product": "Elasticsearch"}
            ),
            duration=time.monotonic() - start,
            node=self.config,
        )
        raw = b"" if method == "HEAD" or payload is None else json.dumps(payload).encode()
        # NodeApiResponse is a NamedTuple of (meta, body); it is only importable from a private
        # module, so build the same shape from its public parts.
        return _NodeResponse(meta, raw)


def make_client(cluster: FakeCluster, **options: Any) -> Any:
    """A real `elasticsearch.Elasticsearch` wired to the fake cluster."""
    from elasticsearch import Elasticsearch

    return Elasticsearch("http://es.invalid:9200", node_class=cluster.node_class(), **options)


class _NodeResponse(NamedTuple):
    meta: ApiResponseMeta
    body: bytes


# --- helpers ----------------------------------------------------------------------------------
def _decode(body: bytes | None, headers: dict[str, str]) -> Any:
    if not body:
        return None
    text = body.decode()
    if "ndjson" in headers.get("content-type", ""):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def _hit(index: str, doc_id: str, doc: FakeDoc, *, found: bool | None) -> Json:
    h: Json = {
        "_index": index,
        "_id": doc_id,
        "_version": doc.version,
        "_seq_no": doc.seq_no,
        "_primary_term": doc.primary_term,
        "_source": doc.source,
    }
    if found is not None:
        h["found"] = found
    return h


def _deep_merge(into: Json, other: Json) -> None:
    for k, v in other.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _deep_merge(into[k], v)
        else:
            into[k] = json.loads(json.dumps(v))


def _expand_dotted(settings: Json) -> Json:
    """Index settings as Elasticsearch stores them: dotted keys expanded, everything under
    "index" ({"refresh_interval": x} and {"index.refresh_interval": x} are the same setting)."""
    out: Json = {}
    for k, v in settings.items():
        keys = k.split(".")
        if keys[0] != "index":
            keys = ["index", *keys]
        node = out
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        value = _split_dots(v) if isinstance(v, dict) else v
        if isinstance(value, dict) and isinstance(node.get(keys[-1]), dict):
            _deep_merge(node[keys[-1]], value)
        else:
            node[keys[-1]] = value
    return out


def _split_dots(tree: Json) -> Json:
    out: Json = {}
    for k, v in tree.items():
        node = out
        keys = k.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = _split_dots(v) if isinstance(v, dict) else v
    return out


def _collapsed(
    hits: list[tuple[str, FakeIndex, FakeDoc]], field_name: str
) -> list[tuple[str, FakeIndex, FakeDoc]]:
    """`collapse`: the first hit (in sort order) of each value of a single-valued keyword field;
    hits without the field form one group of their own, as in Elasticsearch."""
    seen: set[Any] = set()
    kept = []
    for hit in hits:
        values = _values(hit[2].source, field_name)
        if len(values) > 1:
            raise EsHttpError(400, "illegal_state_exception", "fake: collapse on a multi-value")
        group = _term(values[0]) if values else None
        if group not in seen:
            seen.add(group)
            kept.append(hit)
    return kept


def _values(source: Json, path: str) -> list[Any]:
    node: list[Any] = [source]
    for key in path.split("."):
        nxt: list[Any] = []
        for n in node:
            if isinstance(n, dict) and key in n:
                v = n[key]
                nxt.extend(v if isinstance(v, list) else [v])
            elif isinstance(n, list):
                for item in n:
                    if isinstance(item, dict) and key in item:
                        v = item[key]
                        nxt.extend(v if isinstance(v, list) else [v])
        node = nxt
    return [v for v in node if v is not None]


def _aggregate(spec: Json, hits: list[tuple[str, FakeIndex, FakeDoc]]) -> Json:
    """The `filter` and `terms` aggregations (with sub-aggregations) over the matching hits."""
    if "filter" in spec:
        inside = [h for h in hits if _matches(spec["filter"], h[0], h[2].source)]
        out: Json = {"doc_count": len(inside)}
        for name, sub in spec.get("aggs", {}).items():
            out[name] = _aggregate(sub, inside)
        return out
    if "terms" in spec:
        counts: dict[str, int] = {}
        for _, _, doc in hits:
            for value in set(map(_term, _values(doc.source, spec["terms"]["field"]))):
                counts[value] = counts.get(value, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        size = int(spec["terms"].get("size", 10))
        return {
            "buckets": [{"key": k, "doc_count": n} for k, n in ranked[:size]],
            "sum_other_doc_count": sum(n for _, n in ranked[size:]),
        }
    if "composite" in spec:
        return _composite(spec["composite"], hits, spec.get("aggs", {}))
    raise EsHttpError(400, "parsing_exception", f"fake: unsupported aggregation {sorted(spec)}")


def _composite(spec: Json, hits: list[tuple[str, FakeIndex, FakeDoc]], aggs: Json) -> Json:
    """A composite aggregation of `terms` sources (`missing_bucket` too) and monthly
    `date_histogram` sources formatted `yyyy-MM` over dates in UTC: one bucket per combination of
    values, in ascending key order (a missing value first), `size` a page, resumed strictly after
    `after`, each with the `max` and `top_hits` sub-aggregations of `aggs`. As in
    Elasticsearch, a document missing a source's field is in no bucket unless that source has
    `missing_bucket`, and a multi-valued field puts the document in one bucket per value."""
    names: list[str] = []
    readers: list[Callable[[Json], list[Any]]] = []
    for source in spec["sources"]:
        ((name, kind),) = source.items()
        names.append(name)
        readers.append(_source_values(kind))
    members: dict[tuple[Any, ...], list[tuple[str, FakeIndex, FakeDoc]]] = {}
    for hit in hits:
        for key in itertools.product(*(reader(hit[2].source) for reader in readers)):
            members.setdefault(key, []).append(hit)
    keys = sorted(members, key=_missing_first)
    after = spec.get("after")
    if after is not None:
        resume = _missing_first(tuple(after[name] for name in names))
        keys = [k for k in keys if _missing_first(k) > resume]
    page = keys[: int(spec.get("size", 10))]
    buckets = []
    for key in page:
        bucket: Json = {"key": dict(zip(names, key, strict=True)), "doc_count": len(members[key])}
        for name, sub in aggs.items():
            bucket[name] = _metric(sub, members[key])
        buckets.append(bucket)
    out: Json = {"buckets": buckets}
    if page:
        out["after_key"] = dict(zip(names, page[-1], strict=True))
    return out


def _source_values(kind: Json) -> Callable[[Json], list[Any]]:
    """How one composite source reads a document: its values, sorted (None when missing)."""
    if "terms" in kind and set(kind["terms"]) <= {"field", "missing_bucket"}:
        field_name = kind["terms"]["field"]
        missing = bool(kind["terms"].get("missing_bucket"))
        return lambda source: (
            sorted(set(_values(source, field_name))) or ([None] if missing else [])
        )
    histogram = kind.get("date_histogram", {})
    if histogram.get("calendar_interval") == "month" and histogram.get("format") == "yyyy-MM":
        if histogram.get("time_zone", "UTC") != "UTC":
            raise EsHttpError(400, "parsing_exception", "fake: time zones other than UTC")
        field_name = histogram["field"]
        return lambda source: sorted(
            {
                datetime.fromtimestamp(_utc_millis(v) / 1000, UTC).strftime("%Y-%m")
                for v in _values(source, field_name)
            }
        )
    raise EsHttpError(400, "parsing_exception", f"fake: unsupported source {kind}")


def _missing_first(key: tuple[Any, ...]) -> tuple[tuple[bool, Any], ...]:
    return tuple((value is not None, "" if value is None else value) for value in key)


def _utc_millis(value: Any) -> float:
    """A date field's value as Elasticsearch keeps it: milliseconds since the epoch (UTC; a date
    without a time is its UTC midnight)."""
    text = str(value).replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1000


def _metric(spec: Json, hits: list[tuple[str, FakeIndex, FakeDoc]]) -> Json:
    """A bucket's `max` of a date field, or its `top_hits` (sorted, `_source` includes)."""
    if "max" in spec:
        values = [
            _utc_millis(v) for _, _, d in hits for v in _values(d.source, spec["max"]["field"])
        ]
        return {"value": max(values) if values else None}
    if "top_hits" in spec:
        top = spec["top_hits"]
        ranked = _sorted(hits, top["sort"]) if "sort" in top else hits
        includes = top.get("_source", {}).get("includes")
        rendered = []
        for doc_id, ix, doc in ranked[: int(top.get("size", 3))]:
            source = doc.source if includes is None else _included(doc.source, includes)
            rendered.append({"_index": ix.name, "_id": doc_id, "_source": source})
        return {"hits": {"total": {"value": len(hits), "relation": "eq"}, "hits": rendered}}
    raise EsHttpError(400, "parsing_exception", f"fake: unsupported sub-aggregation {sorted(spec)}")


def _included(source: Json, paths: list[str]) -> Json:
    """`source` reduced to the given dotted paths (whole objects under a path kept)."""
    kept: Json = {}
    for path in paths:
        node: Any = source
        parts = path.split(".")
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            target = kept
            for part in parts[:-1]:
                target = target.setdefault(part, {})
            target[parts[-1]] = node
    return kept


def _kind_filter(query: Json | None) -> str | None:
    """The `kind` a query is restricted to by a top-level bool filter term, if any."""
    if not query or "bool" not in query:
        return None
    for clause in query["bool"].get("filter", []):
        term = clause.get("term", {})
        if "kind" in term and not isinstance(term["kind"], dict):
            return str(term["kind"])
    return None


def _term(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fold(text: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [t for t in re.split(r"[^0-9a-z]+", plain) if t]


def _auto_edits(term: str) -> int:
    return 0 if len(term) <= 2 else 1 if len(term) <= 5 else 2


def _matches(q: Json, doc_id: str, source: Json) -> bool:
    (kind, spec), *_ = q.items()
    if kind == "match_all":
        return True
    if kind == "ids":
        return doc_id in spec["values"]
    if kind == "term":
        (f, v), *_ = spec.items()
        v = v["value"] if isinstance(v, dict) else v
        return _term(v) in {_term(x) for x in _values(source, f)}
    if kind == "terms":
        (f, vs), *_ = spec.items()
        return bool({_term(v) for v in vs} & {_term(x) for x in _values(source, f)})
    if kind == "exists":
        return bool(_values(source, spec["field"]))
    if kind == "range":
        (f, bounds), *_ = spec.items()
        vals = _values(source, f)
        ops = {
            "gte": lambda a, b: a >= b,
            "gt": lambda a, b: a > b,
            "lte": lambda a, b: a <= b,
            "lt": lambda a, b: a < b,
        }
        return any(all(ops[o](str(x), str(b)) for o, b in bounds.items() if o in ops) for x in vals)
    if kind in ("wildcard", "prefix"):
        (f, v), *_ = spec.items()
        v = v["value"] if isinstance(v, dict) else v
        pattern = v if kind == "wildcard" else v + "*"
        regex = re.compile(
            "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        )
        return any(regex.fullmatch(str(x)) for x in _values(source, f))
    if kind == "fuzzy":
        (f, v), *_ = spec.items()
        edits = int(v.get("fuzziness", 0))
        return any(OSA.distance(str(v["value"]), str(x)) <= edits for x in _values(source, f))
    if kind == "match":
        (f, v), *_ = spec.items()
        text = v["query"] if isinstance(v, dict) else v
        fuzzy = isinstance(v, dict) and v.get("fuzziness") == "AUTO"
        wanted = _fold(text)
        have = [t for x in _values(source, f) for t in _fold(str(x))]

        def hit(w: str) -> bool:
            if fuzzy:
                return any(OSA.distance(w, h) <= _auto_edits(w) for h in have)
            return w in have

        found = [hit(w) for w in wanted]
        operator = v.get("operator", "or") if isinstance(v, dict) else "or"
        return all(found) if operator == "and" else any(found)
    if kind == "bool":

        def clauses(name: str) -> list[Json]:
            c = spec.get(name, [])
            return c if isinstance(c, list) else [c]

        if not all(_matches(c, doc_id, source) for c in clauses("filter") + clauses("must")):
            return False
        if any(_matches(c, doc_id, source) for c in clauses("must_not")):
            return False
        should = clauses("should")
        if should:
            needed = spec.get(
                "minimum_should_match", 0 if clauses("filter") + clauses("must") else 1
            )
            return sum(_matches(c, doc_id, source) for c in should) >= int(needed)
        return True
    raise EsHttpError(400, "parsing_exception", f"fake: unsupported query [{kind}]")


def _sort_fields(sort: Iterable[Any]) -> list[tuple[str, str]]:
    out = []
    for s in sort:
        if isinstance(s, str):
            out.append((s, "asc"))
        else:
            (f, o), *_ = s.items()
            out.append((f, o["order"] if isinstance(o, dict) else o))
    return out


def _sort_value(doc_id: str, source: Json, spec: tuple[str, str]) -> Any:
    vals = _values(source, spec[0])
    return vals[0] if vals else None


def _sort_key(hit: tuple[str, FakeIndex, FakeDoc], sort: Any) -> tuple[Any, ...]:
    doc_id, _, doc = hit
    key = []
    for f, order in _sort_fields(sort):
        v = _sort_value(doc_id, doc.source, (f, order))
        key.append(_Ordered(v, order == "desc"))
    return tuple(key)


def _after_key(after: list[Any], sort: Any) -> tuple[Any, ...]:
    return tuple(
        _Ordered(v, o == "desc") for v, (_, o) in zip(after, _sort_fields(sort), strict=True)
    )


def _sorted(
    hits: list[tuple[str, FakeIndex, FakeDoc]], sort: Any
) -> list[tuple[str, FakeIndex, FakeDoc]]:
    return sorted(hits, key=lambda h: _sort_key(h, sort))


class _Ordered:
    """A sort value with its direction folded in, so one tuple comparison handles asc and desc."""

    def __init__(self, value: Any, desc: bool) -> None:
        self.value = value
        self.desc = desc

    def _cmp(self, other: _Ordered) -> int:
        a, b = self.value, other.value
        if a == b:
            return 0
        if a is None:
            return 1  # missing values sort last either way
        if b is None:
            return -1
        r = -1 if a < b else 1
        return -r if self.desc else r

    def __lt__(self, other: _Ordered) -> bool:
        return self._cmp(other) < 0

    def __gt__(self, other: _Ordered) -> bool:
        return self._cmp(other) > 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Ordered) and self._cmp(other) == 0

    def __hash__(self) -> int:
        return hash(self.value)


@contextmanager
def serve_http(cluster: FakeCluster) -> Iterator[str]:
    """Serve the fake cluster over real HTTP on a free loopback port and yield its URL, so the
    client's own urllib3 node (sockets, pooling, read timeouts) is exercised too. Requests to a
    path in `cluster.slow_paths` (or all, with `cluster.latency`) really take that long."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw_body = self.rfile.read(length) if length else None
            hdrs = {k.lower(): v for k, v in self.headers.items()}
            url = urlsplit(self.path)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            req = Request(self.command, url.path, params, _decode(raw_body, hdrs), hdrs)
            slow = [s for r, s in cluster.slow_paths if re.search(r, req.path)]
            delay = max([cluster.latency, *slow])
            if delay:
                time.sleep(delay)
            status, payload = cluster.handle(req)
            raw = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", COMPAT_JSON)
            self.send_header("x-elastic-product", "Elasticsearch")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(raw)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return None  # request lines would carry plates; tests stay quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
