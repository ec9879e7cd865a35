"""The live Elasticsearch the es_live tests run against: ELASTICSEARCH_URL, as `.ci/run` sets it
after `scripts/elasticsearch.sh start`. Without it those tests skip, and fail under CI=true, so
that CI can never pass with its live-cluster tests silently skipped."""

from __future__ import annotations

import os

from tests.browser import skip_or_fail


def live_url() -> str:
    url = os.environ.get("ELASTICSEARCH_URL", "")
    skip_or_fail(
        None
        if url
        else "ELASTICSEARCH_URL is not set: no live Elasticsearch "
        "(start one with scripts/elasticsearch.sh start)"
    )
    return url
