"""Read a planner's own OpenStreetMap extract (.osm, .osm.bz2, .osm.pbf) into the Geofabrik road layout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely

from optimizer.datasets import GEOFABRIK_COLUMNS
from optimizer.errors import InputError

#: Accepted file name endings (case-insensitive) and the osmium format of each.
SUPPORTED_FORMATS = {".osm.pbf": "pbf", ".osm.bz2": "osm.bz2", ".osm": "osm"}

_ROAD_HIGHWAYS = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential",
    "living_street", "service", "track", "pedestrian", "footway", "path", "steps", "cycleway",
    "busway",
)
#: highway=* values read as roads, mapped to the Geofabrik ``fclass``; every other value
#: (bus_stop, platform, proposed, construction, raceway, corridor, bridleway, ...) is skipped.
ROAD_FCLASS: dict[str, str] = {
    **{highway: highway for highway in _ROAD_HIGHWAYS},
    "road": "unknown",  # Geofabrik's class for a road of unknown type
    "sidewalk": "footway",
    "crossing": "footway",
}
_TRACK_GRADES = {f"grade{n}": f"track_grade{n}" for n in range(1, 6)}

_ONEWAY = {"yes": "F", "true": "F", "1": "F", "-1": "T", "reverse": "T", "no": "B", "false": "B", "0": "B"}
_IMPLIED_ONEWAY_HIGHWAYS = ("motorway", "motorway_link")
_IMPLIED_ONEWAY_JUNCTIONS = ("roundabout", "circular")
_NEGATIVE = ("no", "false", "0")

_SPEED = re.compile(r"(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?", re.IGNORECASE)
_KPH_PER_UNIT = {"mph": 1.609344, "knots": 1.852}

_INT_COLUMNS = ("osm_id", "maxspeed", "layer")


def read_osm_roads(path: str | Path, *, bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Read the highway ways of an OSM file as Geofabrik-layout road LineStrings.

    The file is streamed once: node locations go to osmium's cache and only road ways reach
    Python, so a country extract read with a small ``bbox`` stays a small frame.

    Parameters
    ----------
    path
        An ``.osm`` (XML), ``.osm.bz2`` (bzip2 XML) or ``.osm.pbf`` file.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)`` in degrees; when given, keep only ways with at
        least one node inside (edges included).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``optimizer.datasets.GEOFABRIK_COLUMNS`` plus ``geometry``, with the dtypes of
        :func:`optimizer.datasets.read_geofabrik_roads`, one row per way, in EPSG:4326. Empty (with
        these columns) when no way touches ``bbox``.

    Raises
    ------
    InputError
        The file is missing, empty, of an unsupported type, unreadable, or holds no road ways.
    ValueError
        ``bbox`` has a minimum above its maximum.
    """
    path = Path(path)
    if bbox is not None and (bbox[0] > bbox[2] or bbox[1] > bbox[3]):
        raise ValueError(f"bbox {bbox} is not (min_lon, min_lat, max_lon, max_lat)")
    if not path.exists():
        raise InputError("file not found", file=path)
    fmt = next((f for ending, f in SUPPORTED_FORMATS.items() if path.name.lower().endswith(ending)), None)
    if fmt is None:
        raise InputError(f"unsupported file type; expected one of {', '.join(sorted(SUPPORTED_FORMATS))}", file=path)
    if path.stat().st_size == 0:
        raise InputError("file is empty", file=path)

    # Nodes must be read for their locations, relations never are; the filters run in C++
    # after the location cache, so nodes and non-highway ways never become Python objects.
    processor = (
        osmium.FileProcessor(osmium.io.File(str(path), fmt), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    rows: list[tuple] = []
    coords: list[tuple[float, float]] = []
    lengths: list[int] = []
    roads_found = 0
    try:
        # The filters above let only ways through.
        for way in cast(Iterator[osmium.osm.Way], processor):
            tags = way.tags
            highway = tags.get("highway") or ""
            fclass = ROAD_FCLASS.get(highway)
            if fclass is None or tags.get("area") == "yes":
                continue
            # Ways cut by the extract boundary reference nodes that are not in the file.
            points = [(node.lon, node.lat) for node in way.nodes if node.location.valid()]
            if len(points) < 2:
                continue
            roads_found += 1
            if bbox is not None and not any(
                bbox[0] <= lon <= bbox[2] and bbox[1] <= lat <= bbox[3] for lon, lat in points
            ):
                continue
            if fclass == "track":
                fclass = _TRACK_GRADES.get(tags.get("tracktype") or "", "track")
            rows.append((
                way.id,
                fclass,
                tags.get("name", ""),
                tags.get("ref", ""),
                _oneway(tags.get("oneway"), highway, tags.get("junction")),
                _maxspeed(tags.get("maxspeed")),
                _layer(tags.get("layer")),
                _flag(tags.get("bridge")),
                _flag(tags.get("tunnel")),
            ))
            coords.extend(points)
            lengths.append(len(points))
    except (RuntimeError, OSError) as exc:  # libosmium reports bad PBF/XML/bzip2 as RuntimeError
        raise InputError(f"cannot read as OpenStreetMap {fmt} ({exc})", file=path) from exc
    if roads_found == 0:
        raise InputError("no highway ways found", file=path)

    frame = pd.DataFrame.from_records(rows, columns=GEOFABRIK_COLUMNS)
    frame = frame.astype({c: "int64" if c in _INT_COLUMNS else str for c in GEOFABRIK_COLUMNS})
    geometry = shapely.linestrings(
        np.asarray(coords, dtype=float).reshape(-1, 2), indices=np.repeat(np.arange(len(lengths)), lengths)
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs=4326), crs=4326)


def _oneway(value: str | None, highway: str, junction: str | None) -> str:
    """Geofabrik direction: 'F' along the way, 'T' against it, 'B' both; an explicit tag wins."""
    if value is not None:
        # Unknown values (reversible, alternating) change over time: routable both ways.
        return _ONEWAY.get(value.strip().lower(), "B")
    implied = highway in _IMPLIED_ONEWAY_HIGHWAYS or junction in _IMPLIED_ONEWAY_JUNCTIONS
    return "F" if implied else "B"


def _maxspeed(value: str | None) -> int:
    """Speed limit in km/h from the first of ``;``-separated values, 0 when absent or symbolic."""
    if not value:
        return 0
    match = _SPEED.fullmatch(value.split(";")[0].strip())
    if match is None:  # zone codes such as 'VN:urban', or 'none', 'walk', 'signals'
        return 0
    return round(float(match[1]) * _KPH_PER_UNIT.get((match[2] or "").lower(), 1.0))


def _layer(value: str | None) -> int:
    """Integer ``layer`` tag, 0 when absent or unparseable."""
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return 0


def _flag(value: str | None) -> str:
    """'T' when a bridge/tunnel tag is present and not negative, else 'F'."""
    return "T" if value is not None and value.strip().lower() not in _NEGATIVE else "F"
