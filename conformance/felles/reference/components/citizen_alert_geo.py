"""Geometry of citizen-alert@1.0: the two CRSs, Norway's extent, valid polygons, *covers*.

All geometry goes through shapely (GEOS) and pyproj (PROJ); nothing here is a
hand-written geometric algorithm. EPSG:4326 <-> EPSG:25833 is the UTM zone 33
projection of GRS 80 with ETRS89 taken as WGS 84, so PROJ needs no grid file
and no network.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import shapely
import shapely.validation
from pyproj import Transformer

from felles.reference.components.citizen_alert_model import FieldIssue

WGS84: Final = "EPSG:4326"
UTM33: Final = "EPSG:25833"
#: Norway's extent in EPSG:4326 (spec: "Norway's extent"): west, south, east, north.
NORWAY_EXTENT: Final = (-10.0, 57.0, 35.0, 82.0)

_local = threading.local()


def _transformer(source: str, target: str) -> Transformer:
    """One transformer per thread and direction: building one costs milliseconds."""
    cache: dict[tuple[str, str], Transformer] | None = getattr(_local, "transformers", None)
    if cache is None:
        cache = _local.transformers = {}
    key = (source, target)
    if key not in cache:
        cache[key] = Transformer.from_crs(source, target, always_xy=True)
    return cache[key]


def transform(
    source: str, target: str, xs: Sequence[float], ys: Sequence[float]
) -> tuple[list[float], list[float]]:
    """Positions from ``source`` to ``target`` (x = longitude/easting first in both)."""
    if source == target:
        return list(xs), list(ys)
    out_x, out_y = _transformer(source, target).transform(list(xs), list(ys), errcheck=False)
    return [float(x) for x in out_x], [float(y) for y in out_y]


@dataclass(frozen=True)
class Located:
    """A position in both CRSs, as the register stores it."""

    lon: float
    lat: float
    easting: float
    northing: float

    def in_crs(self, crs: str) -> tuple[float, float]:
        return (self.lon, self.lat) if crs == WGS84 else (self.easting, self.northing)


def locate(crs: str, x: float, y: float) -> Located:
    (lon,), (lat,) = transform(crs, WGS84, [x], [y])
    (easting,), (northing,) = transform(crs, UTM33, [x], [y])
    return Located(lon, lat, easting, northing)


def _number(value: Any) -> float | None:
    """A JSON number as a finite float; None when it has none (an integer with 400 digits)."""
    try:
        number = float(value)
    except (OverflowError, TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _in_norway(lon: float, lat: float) -> bool:
    west, south, east, north = NORWAY_EXTENT
    return math.isfinite(lon) and math.isfinite(lat) and west <= lon <= east and south <= lat <= north


def outside_norway(crs: str, positions: Sequence[Sequence[Any]]) -> list[int]:
    """Indexes of the positions that are not numbers in range or lie outside Norway's extent
    after transformation to EPSG:4326 (which also catches coordinates labelled with the wrong CRS)."""
    numbers = [(_number(p[0]), _number(p[1])) for p in positions]
    finite = [(i, x, y) for i, (x, y) in enumerate(numbers) if x is not None and y is not None]
    lons, lats = transform(crs, WGS84, [x for _, x, _ in finite], [y for _, _, y in finite])
    inside = {i for (i, _, _), lon, lat in zip(finite, lons, lats, strict=True) if _in_norway(lon, lat)}
    return [i for i in range(len(positions)) if i not in inside]


def outside_issue(pointer: str, crs: str) -> FieldIssue:
    return FieldIssue(pointer, f"position is outside Norway's extent in {crs}")


def polygon_issues(area: dict[str, Any]) -> list[FieldIssue]:
    """Why a schema-valid polygon area is still not a valid polygon in Norway (empty: it is)."""
    crs = str(area["crs"])
    rings: list[list[list[Any]]] = area["geometry"]["coordinates"]
    issues: list[FieldIssue] = []
    for index, ring in enumerate(rings):
        pointer = f"/area/geometry/coordinates/{index}"
        if ring[0] != ring[-1]:
            issues.append(FieldIssue(pointer, "ring is not closed: its last position must equal its first"))
        issues.extend(outside_issue(f"{pointer}/{i}", crs) for i in outside_norway(crs, ring))
    if issues:
        return issues
    try:
        polygon = shapely.Polygon(rings[0], rings[1:])
    except (ValueError, shapely.errors.GEOSException) as exc:
        return [FieldIssue("/area/geometry/coordinates", f"not a polygon: {exc}")]
    if not polygon.is_valid:
        why = shapely.validation.explain_validity(polygon)
        return [FieldIssue("/area/geometry", f"not a valid polygon (OGC Simple Features): {why}")]
    if not polygon.area > 0:
        return [FieldIssue("/area/geometry", "polygon has no area")]
    return []


def polygon_of(area: dict[str, Any]) -> shapely.Polygon:
    """The shapely polygon of a validated polygon area, in the area's CRS."""
    rings = area["geometry"]["coordinates"]
    return shapely.Polygon(rings[0], rings[1:])


def covered(polygon: shapely.Polygon, points: Iterable[tuple[float, float]]) -> list[bool]:
    """For each point: inside the polygon or on its boundary (OGC *covers*)."""
    pairs = list(points)
    if not pairs:
        return []
    shapely.prepare(polygon)
    xs, ys = zip(*pairs, strict=True)
    return [bool(b) for b in shapely.covers(polygon, shapely.points(xs, ys))]
