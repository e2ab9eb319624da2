"""Daily need per ward from the 2019 census, split into drop points on the truck road network.

A scenario's demand
    :func:`drop_points` (the planner's own points, else generated ones, cached), :func:`ward_demand`,
    :func:`demand_by_locality`, :func:`demand_kg` and :func:`shortfall` (what stock and fleet cannot cover)
    take a :class:`~optimizer.scenario.Scenario`, which is plain data and computes none of these itself.

Ration arithmetic (:func:`ward_daily_demand`)
    rice_kg_day     = people covered × rice_kg_per_person_month / days_per_month   (15 / 30 = 0.5 kg)
    food_bag_kg_day = households covered × food_bag_kg_per_household_week / 7      (5 / 7 ≈ 0.714 kg)
    people covered = population 2019 × coverage_share; households covered = households 2019 ×
    coverage_share, households being the sum of the census ``hh_*`` columns (urban and rural, all sizes).

Drop points (:func:`generate_drop_points`)
    A drop point is a neighbourhood collection point where a ward's volunteers pick up the day's rice and
    food bags. Points sit on nodes of the truck network, inside their ward's polygon:

    1. Road per node: each OSM edge of a residential class (``PointSettings.road_classes``: residential,
       living_street, unclassified, service) gives half its length to each end node. A ward's residential km
       is the sum over its nodes (nodes inside its polygon, not approximate). A ward with less than
       ``min_residential_km`` of such roads (the tourist centre, Lộc Thọ) counts all its OSM roads instead.
    2. Number of points in a ward::

           n = max(ceil(total_kg / max_point_kg),
                   min(ceil(road_km × points_per_road_km), ceil(households / households_per_point)), 1)

       capped at the number of candidate nodes: one point per ~100 households (a residential group, tổ dân
       phố), no denser than 2 per km of residential street, and never more than 1,500 kg at one point.
    3. Placement: a weighted k-means on the candidate nodes (weights = residential road length; initial
       centres drawn with a generator seeded by ``(seed, ward_id)``, so the result is deterministic and
       does not depend on the order of wards), each centre moved to the nearest candidate node (distinct).
       Points are therefore spread in proportion to residential road length.
    4. Need per point: half of the ward's need is shared in proportion to the road length each point's
       neighbourhood (its Voronoi cell among the candidate nodes) holds and half equally (so a point at
       the ward's edge is not left with a few kilograms), capped at ``max_point_kg`` (the excess goes to
       the other points). For each commodity the last point receives the ward total minus the others, so
       the ward's sums are preserved exactly.

    Wards without OSM roads (all communes of Ninh Hòa and Vạn Ninh, which only have the national corridor,
    and any ward whose polygon holds no truck road) get ``ceil(total_kg / max_point_kg)`` points, all at
    the commune's access node (the network node at the commune's representative point), marked
    ``approximate=True`` and named "(vị trí gần đúng)". Several points at one place keep every point
    within one load of the smallest van; the routing may still merge them.

Service time
    ``service_s + service_s_per_kg × kg`` with the defaults of :class:`optimizer.scenario.TimeSettings`:
    5 min to park, meet the ward team and sign, plus 1 s per 10 kg unloaded by hand (a 500 kg drop takes
    5 min 50 s).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from optimizer import datasets
from optimizer.errors import InputError
from optimizer.network import RoadNetwork, load_network, to_metric
from optimizer.scenario.model import (
    LOCALITY_CODES,
    PRIORITY_OF_GRADE,
    DemandPoint,
    RationSettings,
    Scenario,
    Settings,
    TimeSettings,
    Zone,
)

__all__ = [
    "ward_daily_demand", "generate_drop_points", "points_per_ward", "ward_demand", "drop_points",
    "demand_by_locality", "demand_kg", "shortfall", "Shortfall", "network_digest",
]

DEMAND_COLUMNS = ["rice_kg_day", "food_bag_kg_day"]
COMMODITY_OF_COLUMN = {"rice_kg_day": "rice", "food_bag_kg_day": "food_bag"}
_KMEANS_ITERATIONS = 25
#: Generated drop-point sets kept (validation and planning ask for the same points on the same network).
_CACHED_POINT_SETS = 8


def _ration(settings: Settings | RationSettings | None) -> RationSettings:
    if settings is None:
        return RationSettings()
    return settings.ration if isinstance(settings, Settings) else settings


def ward_daily_demand(wards: gpd.GeoDataFrame, settings: Settings | RationSettings | None = None) -> gpd.GeoDataFrame:
    """Daily need of every ward.

    Parameters
    ----------
    wards
        :func:`optimizer.datasets.read_wards` (``ward_id``, ``ward_vn``, ``locality``, ``pop2019``, ``hh_*``).
    settings
        Ration norm (:class:`~optimizer.scenario.Settings` or :class:`~optimizer.scenario.RationSettings`).

    Returns
    -------
    GeoDataFrame
        One row per ward, in the census order: ``ward_id``, ``ward_name``, ``ward_type``, ``locality``,
        ``population_2019``, ``households_2019``, ``people_covered``, ``households_covered``,
        ``rice_kg_day``, ``food_bag_kg_day``, ``total_kg_day`` and the ward polygon.
    """
    ration = _ration(settings)
    missing = [c for c in ("ward_id", "ward_vn", "locality", "pop2019") if c not in wards.columns]
    if missing:
        raise InputError(f"ward table lacks column(s) {', '.join(missing)}")
    household_columns = [c for c in wards.columns if c.startswith("hh_")]
    households = wards[household_columns].fillna(0).sum(axis=1).astype("int64")
    population = pd.to_numeric(wards["pop2019"], errors="coerce").fillna(0).astype("int64")
    people = population * ration.coverage_share
    covered_households = households * ration.coverage_share
    rice = people * ration.rice_kg_per_person_day
    bags = covered_households * ration.food_bag_kg_per_household_day
    table = gpd.GeoDataFrame(
        {
            "ward_id": wards["ward_id"].astype(str).to_numpy(),
            "ward_name": wards["ward_vn"].astype(str).to_numpy(),
            "ward_type": wards.get("ward_type", pd.Series([""] * len(wards))).astype(str).to_numpy(),
            "locality": wards["locality"].astype(str).to_numpy(),
            "population_2019": population.to_numpy(),
            "households_2019": households.to_numpy(),
            "people_covered": people.to_numpy(dtype=float),
            "households_covered": covered_households.to_numpy(dtype=float),
            "rice_kg_day": rice.to_numpy(dtype=float),
            "food_bag_kg_day": bags.to_numpy(dtype=float),
        },
        geometry=wards.geometry.values,
        crs=wards.crs,
    )
    table["total_kg_day"] = table["rice_kg_day"] + table["food_bag_kg_day"]
    return table


def points_per_ward(points: list[DemandPoint]) -> dict[str, int]:
    """Ward id → number of drop points."""
    return dict(Counter(p.ward_id for p in points))


# --------------------------------------------------------------------------------------------------
# A scenario's demand
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shortfall:
    """Kilograms the stock or the fleet cannot cover (all figures per day; 0 = enough).

    Attributes
    ----------
    demand_kg, stock_kg, stock_short_kg
        Per commodity, over all localities.
    fleet_capacity_kg_per_day, demand_total_kg, fleet_short_kg
        Σ capacity × count × max_trips against the total demand.
    by_locality
        Locality → commodity → ``{"demand_kg", "stock_kg", "short_kg"}`` (stock of the depots in that
        locality; depots of one locality may still supply another).
    """

    demand_kg: dict[str, float]
    stock_kg: dict[str, float]
    stock_short_kg: dict[str, float]
    fleet_capacity_kg_per_day: float
    demand_total_kg: float
    fleet_short_kg: float
    by_locality: dict[str, dict[str, dict[str, float]]]

    @property
    def any(self) -> bool:
        """Something is short."""
        return self.fleet_short_kg > 1e-6 or any(v > 1e-6 for v in self.stock_short_kg.values())

    def lines(self) -> list[str]:
        """Human-readable lines, one per shortage (empty when there is none)."""
        out = []
        for commodity, short in self.stock_short_kg.items():
            if short > 1e-6:
                out.append(
                    f"stock of {commodity} is {short:,.0f} kg short: demand {self.demand_kg.get(commodity, 0):,.0f} kg, "
                    f"stock {self.stock_kg.get(commodity, 0):,.0f} kg"
                )
        if self.fleet_short_kg > 1e-6:
            out.append(
                f"fleet is {self.fleet_short_kg:,.0f} kg/day short: capacity {self.fleet_capacity_kg_per_day:,.0f} kg/day "
                f"for a demand of {self.demand_total_kg:,.0f} kg/day"
            )
        for locality, row in self.by_locality.items():
            for commodity, figures in row.items():
                if figures["short_kg"] > 1e-6:
                    out.append(
                        f"{datasets.LOCALITIES.get(locality, locality)}: local stock of {commodity} is "
                        f"{figures['short_kg']:,.0f} kg short (must come from another locality)"
                    )
        return out

    def as_dict(self) -> dict:
        """Plain dictionaries (for JSON)."""
        return dataclasses.asdict(self)


def ward_demand(scenario: Scenario) -> gpd.GeoDataFrame:
    """Daily need per ward of the scenario's ration norm, from the 2019 census (:func:`ward_daily_demand`)."""
    return ward_daily_demand(datasets.read_wards(), scenario.settings)


#: (settings, time, zones, network digest) → generated points; oldest dropped beyond _CACHED_POINT_SETS.
_DROP_POINTS: dict[tuple[Settings, TimeSettings, tuple[Zone, ...], str], tuple[DemandPoint, ...]] = {}


def drop_points(scenario: Scenario, network: RoadNetwork | None = None) -> list[DemandPoint]:
    """The day's drop points: the planner's own, or generated from the census on the truck network.

    Generated points are cached by the scenario's settings, time and zones and the content of the network
    (:func:`network_digest`), so validating and planning one day place them once.

    Parameters
    ----------
    scenario
        The day.
    network
        Truck network to place generated points on; ``None``: the shipped one.
    """
    if scenario.demand_points is not None:
        return list(scenario.demand_points)
    network = network if network is not None else _shipped_truck_network()
    key = (scenario.settings, scenario.time, scenario.zones, network_digest(network))
    if key not in _DROP_POINTS:
        _DROP_POINTS[key] = tuple(generate_drop_points(
            ward_demand(scenario), network, scenario.settings, time=scenario.time, zones=scenario.zones_by_ward,
            seed=scenario.settings.points.seed,
        ))
        while len(_DROP_POINTS) > _CACHED_POINT_SETS:
            del _DROP_POINTS[next(iter(_DROP_POINTS))]
    return list(_DROP_POINTS[key])


def network_digest(network: RoadNetwork) -> str:
    """A digest of what drop-point placement reads of a network: nodes and the OSM attributes of edges.

    Two networks with the same digest give the same drop points (closures, which only mark edges closed, do
    not change it).
    """
    digest = hashlib.sha256(network.profile.encode())
    digest.update(pd.util.hash_pandas_object(network.nodes[["x", "y", "approximate"]], index=False).to_numpy())
    columns = ["u", "v", "osm_id", "source", "fclass", "name", "length_m"]
    digest.update(pd.util.hash_pandas_object(network.edges[columns], index=False).to_numpy())
    return digest.hexdigest()


@functools.cache
def _shipped_truck_network() -> RoadNetwork:
    """The shipped truck network without closures (read once; the network is cached on disk)."""
    return load_network(profile="truck")


def demand_by_locality(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Locality → commodity → kg/day (from the planner's points, else from the census; no network needed)."""
    commodities = scenario.commodities
    out: dict[str, dict[str, float]] = {loc: {c: 0.0 for c in commodities} for loc in LOCALITY_CODES}
    if scenario.demand_points is not None:
        sums: dict[tuple[str, str], list[float]] = defaultdict(list)
        for point in scenario.demand_points:
            for commodity, kg in point.demand_kg.items():
                sums[(point.locality, commodity)].append(kg)
        for (locality, commodity), values in sums.items():
            out.setdefault(locality, {c: 0.0 for c in commodities})[commodity] = math.fsum(values)
    else:
        table = ward_demand(scenario)
        for locality, group in table.groupby("locality"):
            out[str(locality)]["rice"] = math.fsum(group["rice_kg_day"])
            out[str(locality)]["food_bag"] = math.fsum(group["food_bag_kg_day"])
    return out


def demand_kg(scenario: Scenario) -> dict[str, float]:
    """Commodity → total kg/day."""
    by_locality = demand_by_locality(scenario)
    return {c: math.fsum(row.get(c, 0.0) for row in by_locality.values()) for c in scenario.commodities}


def shortfall(scenario: Scenario) -> Shortfall:
    """What the stock and the fleet cannot cover (a report, never an error)."""
    demand_loc = demand_by_locality(scenario)
    stock_loc = scenario.stock_by_locality()
    commodities = scenario.commodities
    demand = {c: math.fsum(row.get(c, 0.0) for row in demand_loc.values()) for c in commodities}
    stock = scenario.stock_kg()
    total = math.fsum(demand.values())
    capacity = scenario.fleet_capacity_kg_per_day()
    by_locality: dict[str, dict[str, dict[str, float]]] = {}
    for locality in dict.fromkeys([*demand_loc, *stock_loc]):
        by_locality[locality] = {}
        for commodity in commodities:
            d = demand_loc.get(locality, {}).get(commodity, 0.0)
            s = stock_loc.get(locality, {}).get(commodity, 0.0)
            by_locality[locality][commodity] = {"demand_kg": d, "stock_kg": s, "short_kg": max(0.0, d - s)}
    return Shortfall(
        demand_kg=demand,
        stock_kg=stock,
        stock_short_kg={c: max(0.0, demand[c] - stock.get(c, 0.0)) for c in commodities},
        fleet_capacity_kg_per_day=capacity,
        demand_total_kg=total,
        fleet_short_kg=max(0.0, total - capacity),
        by_locality=by_locality,
    )


# --------------------------------------------------------------------------------------------------
# Drop points
# --------------------------------------------------------------------------------------------------


def _node_road_km(network: RoadNetwork, classes: tuple[str, ...] | None) -> np.ndarray:
    """Km of OSM road (of ``classes``; all when ``None``) per node: half of each undirected edge to each end."""
    edges = network.edges
    edges = edges[edges["source"].to_numpy() == "osm"]
    if classes is not None:
        edges = edges[edges["fclass"].isin(classes)]
    u = edges["u"].to_numpy()
    v = edges["v"].to_numpy()
    a, b = np.minimum(u, v), np.maximum(u, v)
    frame = pd.DataFrame({"a": a, "b": b, "osm": edges["osm_id"].to_numpy(), "km": edges["length_m"].to_numpy() / 1000})
    frame = frame.drop_duplicates(["a", "b", "osm"])
    n = len(network.nodes)
    return (np.bincount(frame["a"], weights=frame["km"] / 2, minlength=n)
            + np.bincount(frame["b"], weights=frame["km"] / 2, minlength=n))


def _street_names(network: RoadNetwork) -> dict[int, str]:
    """Node → the most common non-empty street name among its OSM edges."""
    edges = network.edges
    named = edges[(edges["source"].to_numpy() == "osm") & (edges["name"].astype(str).str.len() > 0)]
    frame = pd.DataFrame({"node": np.r_[named["u"].to_numpy(), named["v"].to_numpy()],
                          "name": np.r_[named["name"].to_numpy(), named["name"].to_numpy()]})
    if frame.empty:
        return {}
    counts = frame.groupby(["node", "name"]).size().reset_index(name="n")
    counts = counts.sort_values(["node", "n", "name"], ascending=[True, False, True]).drop_duplicates("node")
    return dict(zip(counts["node"].to_numpy().tolist(), counts["name"].tolist()))


def _weighted_kmeans(xy: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``k`` distinct rows of ``xy`` near the centres of a weighted k-means."""
    n = len(xy)
    if k >= n:
        return np.arange(n)
    p = weight / weight.sum()
    start = rng.choice(n, size=k, replace=False, p=p)
    centres = xy[start].copy()
    for _ in range(_KMEANS_ITERATIONS):
        _, label = cKDTree(centres).query(xy)
        sums = np.zeros_like(centres)
        np.add.at(sums, label, xy * weight[:, None])
        mass = np.bincount(label, weights=weight, minlength=k)
        moved = centres.copy()
        filled = mass > 0
        moved[filled] = sums[filled] / mass[filled, None]
        if np.allclose(moved, centres, atol=0.5):
            centres = moved
            break
        centres = moved
    # Move each centre to its nearest candidate node, keeping nodes distinct.
    tree = cKDTree(xy)
    chosen: list[int] = []
    taken: set[int] = set()
    for centre in centres:
        for m in (8, 32, n):
            _, idx = tree.query(centre, k=min(m, n))
            free = [int(i) for i in np.atleast_1d(idx) if int(i) not in taken]
            if free:
                chosen.append(free[0])
                taken.add(free[0])
                break
    return np.array(sorted(chosen))


def _capped_shares(weights: np.ndarray, cap: float) -> np.ndarray:
    """Shares ∝ ``weights`` (summing to 1) with none above ``cap``; the excess goes to the others."""
    n = len(weights)
    if weights.sum() <= 0:
        weights = np.ones(n)
    shares = weights / weights.sum()
    if cap * n < 1:
        return np.full(n, 1.0 / n)
    fixed = np.zeros(n, dtype=bool)
    for _ in range(n):
        over = ~fixed & (shares > cap + 1e-12)
        if not over.any():
            break
        fixed |= over
        shares[fixed] = cap
        free = ~fixed
        rest = 1.0 - cap * fixed.sum()
        if not free.any() or rest <= 0:
            break
        w = weights[free]
        shares[free] = (w / w.sum() if w.sum() > 0 else np.full(free.sum(), 1 / free.sum())) * rest
    return shares


def _split(total: float, shares: np.ndarray) -> list[float]:
    """``total × shares``, the last taking the remainder so the parts sum to ``total`` exactly (to rounding)."""
    parts = [float(total * s) for s in shares[:-1]]
    parts.append(max(0.0, float(total - math.fsum(parts))))
    return parts


def generate_drop_points(
    ward_demand: pd.DataFrame,
    network: RoadNetwork,
    settings: Settings | None = None,
    *,
    time: TimeSettings | None = None,
    zones: Mapping[str, Zone | str] | None = None,
    seed: int = 0,
) -> list[DemandPoint]:
    """Split each ward's daily need into drop points on the truck network (see the module docstring).

    Parameters
    ----------
    ward_demand
        :func:`ward_daily_demand` (with the ward polygons).
    network
        The truck network (``load_network(profile='truck')``).
    settings
        Drop-point parameters (``settings.points``).
    time
        Delivery window and service times of the points (defaults: 06:00–18:00, 5 min + 0.1 s/kg).
    zones
        Ward id → :class:`~optimizer.scenario.Zone` (or grade) for the points' priority; a ``grade`` or
        ``priority`` column of ``ward_demand`` is used otherwise; default 0.
    seed
        Placement seed; the same seed gives the same points.

    Returns
    -------
    list[DemandPoint]
        In census ward order; ids ``DP-<ward_id>-NN``.
    """
    settings = settings or Settings()
    params = settings.points
    time = time or TimeSettings()
    if not isinstance(ward_demand, gpd.GeoDataFrame) or "geometry" not in ward_demand:
        raise InputError("ward demand needs the ward polygons (use ward_daily_demand)")
    nodes = network.nodes
    node_x = nodes["x"].to_numpy(dtype=float)
    node_y = nodes["y"].to_numpy(dtype=float)
    node_approx = nodes["approximate"].to_numpy(dtype=bool)
    metric = np.column_stack(to_metric(node_x, node_y))
    residential_km = _node_road_km(network, tuple(params.road_classes))
    all_km = _node_road_km(network, None)
    streets = _street_names(network)
    tree = cKDTree(metric)
    commodity_columns = [c for c in DEMAND_COLUMNS if c in ward_demand.columns]

    def priority_of(row) -> int:
        if zones is not None:
            zone = zones.get(str(row["ward_id"]))
            if isinstance(zone, Zone):
                return zone.priority
            if isinstance(zone, str):
                return PRIORITY_OF_GRADE.get(zone, 0)
            return 0
        if "priority" in row and pd.notna(row["priority"]):
            return int(row["priority"])
        if "grade" in row:
            return PRIORITY_OF_GRADE.get(str(row["grade"]), 0)
        return 0

    points: list[DemandPoint] = []
    for _, row in ward_demand.iterrows():
        ward_id = str(row["ward_id"])
        polygon = row.geometry
        totals = {COMMODITY_OF_COLUMN[c]: float(row[c]) for c in commodity_columns}
        total = math.fsum(totals.values())
        n_by_weight = max(1, math.ceil(total / params.max_point_kg - 1e-9)) if total > 0 else 1
        inside = shapely.contains_xy(polygon, node_x, node_y) & ~node_approx
        candidates = np.flatnonzero(inside & (residential_km > 0))
        weights = residential_km[candidates]
        if weights.sum() < params.min_residential_km:
            candidates = np.flatnonzero(inside & (all_km > 0))
            weights = all_km[candidates]
        common: dict[str, Any] = dict(
            ward_id=ward_id, ward_name=str(row["ward_name"]), locality=str(row["locality"]),
            tw_start_s=time.operating_start_s, tw_end_s=time.operating_end_s, service_s=time.service_s,
            service_s_per_kg=time.service_s_per_kg, priority=priority_of(row),
        )
        if len(candidates):
            road_km = float(weights.sum())
            households = float(row.get("households_covered", row.get("households_2019", 0)) or 0)
            by_density = min(math.ceil(road_km * params.points_per_road_km),
                             max(1, math.ceil(households / params.households_per_point)))
            k = min(len(candidates), max(n_by_weight, by_density, 1))
            rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, _ward_seed(ward_id)])
            chosen = candidates[_weighted_kmeans(metric[candidates], weights, k, rng)]
            # Neighbourhood of each point: the candidate nodes nearest to it.
            _, cell = cKDTree(metric[chosen]).query(metric[candidates])
            cell_km = np.bincount(cell, weights=weights, minlength=len(chosen))
            # Half in proportion to the neighbourhood's road length, half equally: no point is left with a
            # few kilograms because its cell holds little road (e.g. at the ward's edge).
            blended = cell_km / cell_km.sum() + 1.0 / len(cell_km) if cell_km.sum() > 0 else np.ones(len(cell_km))
            shares = _capped_shares(blended, params.max_point_kg / total if total > 0 else 1.0)
            parts = {c: _split(kg, shares) for c, kg in totals.items()}
            for j, node in enumerate(chosen):
                street = streets.get(int(node), "")
                label = f"Điểm {j + 1:02d}" + (f" – {street}" if street else "") + f", {row['ward_name']}"
                points.append(
                    DemandPoint(
                        id=f"DP-{ward_id}-{j + 1:02d}", name=label, lon=float(node_x[node]), lat=float(node_y[node]),
                        demand_kg={c: parts[c][j] for c in totals}, approximate=False, **common,
                    )
                )
        else:
            # No real road in the ward: the commune's access node (at its representative point).
            rep = polygon.representative_point()
            rep_xy = np.column_stack(to_metric([rep.x], [rep.y]))[0]
            _, node = tree.query(rep_xy)
            node = int(node)
            k = n_by_weight
            shares = np.full(k, 1.0 / k)
            parts = {c: _split(kg, shares) for c, kg in totals.items()}
            for j in range(k):
                label = f"Điểm {j + 1:02d}/{k:02d} {row['ward_name']} (vị trí gần đúng)"
                points.append(
                    DemandPoint(
                        id=f"DP-{ward_id}-{j + 1:02d}", name=label, lon=float(node_x[node]), lat=float(node_y[node]),
                        demand_kg={c: parts[c][j] for c in totals}, approximate=True, **common,
                    )
                )
    return points


def _ward_seed(ward_id: str) -> int:
    digits = "".join(ch for ch in ward_id if ch.isdigit())
    if digits:
        return int(digits) & 0xFFFFFFFF
    return sum((i + 1) * ord(ch) for i, ch in enumerate(ward_id)) & 0xFFFFFFFF
