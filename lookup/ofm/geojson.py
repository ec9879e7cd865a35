"""RFC 7946 GeoJSON FeatureCollections, streamed: one Feature per record, a Point at
[longitude, latitude] (or a null geometry for a record without a location), flat properties
(scalars only) so ArcGIS and Power BI read every property as a column."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

MEDIA_TYPE = "application/geo+json"


def _scalar(value: Any) -> str | int | float | bool | None:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def feature(
    feature_id: str,
    latitude: float | None,
    longitude: float | None,
    properties: Mapping[str, Any],
) -> dict[str, Any]:
    geometry = None
    if latitude is not None and longitude is not None:
        geometry = {"type": "Point", "coordinates": [longitude, latitude]}
    return {
        "type": "Feature",
        "id": feature_id,
        "geometry": geometry,
        "properties": {name: _scalar(value) for name, value in properties.items()},
    }


# Characters sent per piece of a streamed file: a server writes each piece the app yields on its
# own, and one write per feature (26,000 for the missions of a large set) cost more than the JSON.
CHUNK = 64_000


def feature_collection(features: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The FeatureCollection as text, in pieces of about CHUNK characters."""
    parts = ['{"type": "FeatureCollection", "features": [']
    size = len(parts[0])
    separator = ""
    for item in features:
        text = separator + json.dumps(item, ensure_ascii=False)
        parts.append(text)
        size += len(text)
        separator = ","
        if size > CHUNK:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("]}")
    yield "".join(parts)
