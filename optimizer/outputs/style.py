"""Colours shared by every output (maps, charts): one definition each."""

from __future__ import annotations

#: Epidemic-zone colours (green → red), and grey for a ward without a zone.
ZONE_COLOURS = {"green": "#2ca25f", "yellow": "#ffd92f", "orange": "#fd8d3c", "red": "#e31a1c", "unknown": "#bdbdbd"}
#: Vehicle colours, distinct on a light background and away from the red of closed roads.
VEHICLE_COLOURS = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f00",
    "#000080", "#f032e6", "#008080", "#9a6324", "#800000", "#3cb44b", "#4363d8", "#911eb4",
    "#f58231", "#469990", "#0b7a75", "#b8860b",
]
#: Served-share classes (lower bound, colour): dark purple marks the wards that need attention.
SERVED_CLASSES = [(1.0, "#f7f7f7"), (0.9, "#cbc9e2"), (0.5, "#9e9ac8"), (0.0, "#54278f")]
CLOSED_COLOUR = "#e00000"
NETWORK_COLOUR = "#8c8c8c"
