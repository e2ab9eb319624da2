"""Stage 1, the road network: OSM reading, noding, the approximate corridor, profiles, closures and matrices.

Modules: :mod:`~optimizer.network.osm_io` (planners' OSM files), :mod:`~optimizer.network.build` (the base
network and its cache), :mod:`~optimizer.network.graph` (a profile's :class:`RoadNetwork`),
:mod:`~optimizer.network.closures`, :mod:`~optimizer.network.matrix` (travel times and leg geometry),
:mod:`~optimizer.network.settings` (speeds and profiles), :mod:`~optimizer.network.geometry`.
"""

from optimizer.network.build import BaseNetwork, base_network, build_base_network
from optimizer.network.closures import Closure, closed_edge_mask, closures_from_geojson
from optimizer.network.geometry import haversine_m, to_metric
from optimizer.network.graph import RoadNetwork, SnapResult, load_network
from optimizer.network.matrix import TravelMatrix, travel_matrix
from optimizer.network.settings import NetworkSettings, load_network_settings

__all__ = [
    "BaseNetwork", "Closure", "NetworkSettings", "RoadNetwork", "SnapResult", "TravelMatrix", "base_network",
    "build_base_network", "closed_edge_mask", "closures_from_geojson", "haversine_m", "load_network",
    "load_network_settings", "to_metric", "travel_matrix",
]
