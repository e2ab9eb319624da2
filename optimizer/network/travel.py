"""Fastest road trips between named places on one profile's network (closures applied)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from optimizer.network.graph import RoadNetwork
from optimizer.network.matrix import travel_matrix


def travel_table(network: RoadNetwork, origins: Mapping[str, tuple[float, float]],
                 destinations: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """Fastest road trips from every origin to every destination (name → ``(lon, lat)``) on ``network``.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``from``, ``to``, ``reachable``, ``km`` and ``minutes`` (NaN and ``reachable=False``
        when no open road leads there).

    Examples
    --------
    The detour a road closure causes (or that there is none)::

        before = travel_table(load_network(profile="truck"), places, places)
        after = travel_table(load_network(profile="truck", closures=scenario.closures), places, places)
    """
    names = [*origins, *destinations]
    lonlat = [*origins.values(), *destinations.values()]
    snapped = network.snap([p[0] for p in lonlat], [p[1] for p in lonlat], labels=names,
                           max_distance_m=np.inf, check_area=False)
    matrix = travel_matrix(network, snapped.node, keep_paths=False, workers=1)
    rows = []
    n = len(origins)
    for i, a in enumerate(origins):
        for j, b in enumerate(destinations):
            t, d = matrix.time_s[i, n + j], matrix.dist_m[i, n + j]
            ok = bool(np.isfinite(t))
            rows.append({"from": a, "to": b, "reachable": ok, "km": round(d / 1000, 2) if ok else np.nan,
                         "minutes": round(t / 60, 1) if ok else np.nan})
    return pd.DataFrame(rows, columns=["from", "to", "reachable", "km", "minutes"])
