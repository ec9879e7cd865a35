"""The RFC 7946 rules the exports must follow, as a JSON Schema (draft 2020-12): a
FeatureCollection of Features, each with a Point geometry of [longitude, latitude] within range
or a null geometry, an optional string or number id, and properties that are an object. Our
exports also keep properties flat (scalars only) for GIS and BI tools."""

from __future__ import annotations

from typing import Any

POSITION: dict[str, Any] = {
    "type": "array",
    "prefixItems": [
        {"type": "number", "minimum": -180, "maximum": 180},  # longitude first (RFC 7946 3.1.1)
        {"type": "number", "minimum": -90, "maximum": 90},
    ],
    "minItems": 2,
    "maxItems": 3,
}

FLAT_PROPERTIES: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
}

FEATURE_COLLECTION: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "geometry", "properties"],
                "properties": {
                    "type": {"const": "Feature"},
                    "id": {"type": ["string", "number"]},
                    "geometry": {
                        "oneOf": [
                            {"type": "null"},
                            {
                                "type": "object",
                                "required": ["type", "coordinates"],
                                "properties": {
                                    "type": {"const": "Point"},
                                    "coordinates": POSITION,
                                },
                            },
                        ]
                    },
                    "properties": FLAT_PROPERTIES,
                },
            },
        },
    },
    # RFC 7946 removed `crs`: WGS 84 is implied.
    "not": {"required": ["crs"]},
}
