"""Building the Elasticsearch client and turning its failures into our own errors.

Shared by the search backend and the app-state store so both use the same bounded timeouts and
retries and the same rule: any transport failure, 5xx, 429 or unexpected answer means "cannot
verify now", never "no record".
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from elastic_transport import BaseNode
from elasticsearch import ApiError, BadRequestError, Elasticsearch, TransportError

# The transport logs every request's URL at INFO and whole bodies at DEBUG; our URLs hold
# document ids (plates, licence numbers) and our bodies hold queries, which operational logs must
# never contain. Its warnings (retries, dead nodes) carry no URL in the message and stay on.
logging.getLogger("elastic_transport").setLevel(logging.WARNING)

# Statuses on which the transport retries a request (once per `max_retries`) before giving up.
RETRY_ON_STATUS = (429, 502, 503, 504)


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Bounded timeouts and retries. The worst wait of one call is
    (max_retries + 1) * request_timeout; lookups must answer (or fail) well inside a minute."""

    request_timeout: float = 2.0  # seconds, for reads and single-document writes
    bulk_timeout: float = 60.0  # seconds, for bulk loads, refreshes and index admin during imports
    max_retries: int = 1
    # Tests and embedders can swap the HTTP layer (elastic_transport's node seam); None = urllib3.
    node_class: type[BaseNode] | None = None


def with_port(url: str) -> str:
    """The client insists on an explicit port; a URL without one means the scheme's default,
    as everywhere else (https://search.example.org is port 443)."""
    parts = urlsplit(url)
    if parts.port is not None or parts.scheme not in ("http", "https") or not parts.hostname:
        return url
    port = 443 if parts.scheme == "https" else 80
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{port}"))


def connect(url: str, options: ClientOptions) -> Elasticsearch:
    """A client for `url` (credentials may be given in it: https://user:secret@host:9200)."""
    kwargs: dict[str, Any] = {
        "request_timeout": options.request_timeout,
        "max_retries": options.max_retries,
        # Our reads are idempotent and our writes are made idempotent (create with a known id,
        # compare-and-set), so a timed-out request may be retried safely.
        "retry_on_timeout": True,
        "retry_on_status": RETRY_ON_STATUS,
    }
    if options.node_class is not None:
        kwargs["node_class"] = options.node_class
    return Elasticsearch(with_port(url), **kwargs)


def create_index_once(
    es: Elasticsearch, index: str, *, settings: dict[str, Any], mappings: dict[str, Any]
) -> None:
    """Create `index` unless it exists. Several instances may start together: one that finds the
    index created by another between its check and its create carries on, once the index's
    primary shard is active: a search that reaches a just-created index before then fails with
    503 no_shard_available (the create waits for that itself, so only the others wait here)."""
    if not es.indices.exists(index=index):
        try:
            es.indices.create(index=index, settings=settings, mappings=mappings)
        except BadRequestError as e:
            if e.error != "resource_already_exists_exception":
                raise
        else:
            return
    es.cluster.health(index=index, wait_for_active_shards=1, timeout="30s")


def describe(error: Exception) -> str:
    """A log-safe description: the error class and HTTP status, never request bodies (which may
    hold plates, names or ID numbers)."""
    if isinstance(error, ApiError):
        return f"{type(error).__name__} (HTTP {error.status_code})"
    return type(error).__name__


@contextmanager
def unavailable_on_failure(error_type: type[Exception], what: str) -> Iterator[None]:
    """Re-raise transport failures and error answers as `error_type` (BackendUnavailable or
    StoreUnavailable). Callers that expect a 404 or 409 catch those inside this block."""
    try:
        yield
    except (ApiError, TransportError) as e:
        raise error_type(f"elasticsearch {what} failed: {describe(e)}") from e
