"""Geometry on the Khánh Hòa map: great-circle distances and the metric projection (UTM 49N)."""

import numpy as np
from pyproj import Transformer

#: Metric CRS for Khánh Hòa (UTM zone 49N): distances for snapping and access links.
METRIC_CRS = 32649
EARTH_RADIUS_M = 6_371_008.8

_TO_METRIC = Transformer.from_crs(4326, METRIC_CRS, always_xy=True)


def haversine_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in metres (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


def to_metric(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 lon/lat arrays to UTM 49N metres."""
    return _TO_METRIC.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))


def line_length_m(coords: np.ndarray) -> float:
    """Length in metres of a lon/lat polyline given as an (n, 2) array."""
    return float(haversine_m(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]).sum())
