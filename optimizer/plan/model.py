"""The plan as plain data: :class:`Plan` and its frames' columns, and the figures every output derives from it
(fairness per grade, flows between localities), each defined once here."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from optimizer.scenario.model import (
    PRIORITY_OF_GRADE,
)

#: Columns of :attr:`Plan.routes`: the dispatch sheet, one row per visit in driving order; a ``<commodity>_kg``
#: column per commodity (whole kilograms of the visit) follows ``quantity_kg``.
ROUTE_COLUMNS = [
    "vehicle_id", "vehicle_name", "profile", "home_depot_id", "depot_id", "depot_name", "trip", "seq", "stop_id", "ward_id", "ward",
    "locality", "zone", "name", "lat", "lon", "arrival", "departure", "arrival_s", "departure_s", "quantity_kg",
    "load_kg", "capacity_kg", "leg_km", "leg_min", "approximate_leg",
    "contact", "phone",
]
#: Columns of :attr:`Plan.vehicles`: every vehicle of the day, with its home depot after a closed depot's
#: vehicles moved, and its crew for the dispatch sheet ('' where ``fleet.csv`` gives none).
VEHICLE_COLUMNS = ["vehicle_id", "name", "profile", "capacity_kg", "home_depot_id", "driver", "plate", "phone"]
#: Columns of :attr:`Plan.stops`: every drop point of the day.
STOP_COLUMNS = [
    "stop_id", "ward_id", "ward", "locality", "zone", "priority", "name", "lat", "lon", "demand_kg",
    "delivered_kg", "depot_id", "approximate",
]
#: Columns of :attr:`Plan.depots`; ``vehicles`` counts the vehicles based there after a closed depot's
#: vehicles moved, ``closed`` marks a depot closed for the day.
DEPOT_COLUMNS = ["depot_id", "name", "locality", "lat", "lon", "stock_kg", "load_kg", "vehicles", "closed",
                 "approximate"]
#: Columns of :attr:`Plan.unserved`: ``reason_code`` is one of :data:`optimizer.solve.reasons.REASON_CODES`,
#: ``reason`` its English text (documents in Vietnamese use :func:`optimizer.solve.reasons.reason_text`).
UNSERVED_COLUMNS = ["stop_id", "ward_id", "ward", "locality", "zone", "lat", "lon", "quantity_kg", "reason_code",
                    "reason"]
#: Columns of :attr:`Plan.transfers` before the ``<commodity>_kg`` columns (one per commodity, after ``kg``) and
#: the reason: ``kind`` is ``vehicle`` (a vehicle lent to another depot: it drives there at ``depart``, arrives
#: at ``arrive``, loads that depot's stock and delivers ``kg``) or ``stock`` (a depot's stock delivered into
#: another locality by the depot's own vehicles).
TRANSFER_COLUMNS = ["kind", "vehicle_id", "from_depot", "from_locality", "to_depot", "to_locality", "depart",
                    "arrive", "kg"]
#: Columns of :attr:`Plan.wards` (a GeoDataFrame with the ward polygon).
WARD_COLUMNS = ["ward_id", "ward", "locality", "zone", "demand_kg", "delivered_kg", "served_share", "geometry"]
#: Columns of :attr:`Plan.legs` (a GeoDataFrame, road-following LineStrings in EPSG:4326).
LEG_COLUMNS = ["vehicle_id", "trip", "seq", "from_id", "to_id", "profile", "leg_km", "leg_min", "approximate",
               "geometry"]
#: Columns of :attr:`Plan.meals`: one row per hand-over of hot meals at a camp gate (``status`` delivered: the
#: kitchen's van, when it loads, leaves, hands over and is back, the ride since leaving) and one per share of a
#: camp's meal not delivered (``status`` not delivered, with the reason). ``meal`` counts the camp's meals
#: of the day from 1; ``window`` is its ``HH:MM-HH:MM``.
MEAL_COLUMNS = ["meal", "window", "camp_id", "camp", "kind", "ward_id", "ward", "locality", "lat", "lon", "headcount",
                "status", "kitchen_id", "kitchen", "van_id", "seq", "load", "depart", "arrival", "back", "meals",
                "ride_min", "max_ride_min", "leg_km", "leg_min", "return_km", "window_start_s", "window_end_s",
                "depart_s", "arrival_s", "return_s", "reason_code", "reason", "contact", "phone"]


@dataclass
class Plan:
    """A day's delivery plan as plain frames.

    Attributes
    ----------
    title
        Scenario name shown on maps and sheets (e.g. "Khánh Hòa — 26/07/2021 (Chỉ thị 16)").
    date
        Planning day, ``YYYY-MM-DD``.
    routes
        Dispatch rows (:data:`ROUTE_COLUMNS`); times ``arrival``/``departure`` as ``HH:MM``; ``contact`` and
        ``phone`` of the drop point ('' where the scenario gives none).
    stops
        Every drop point (:data:`STOP_COLUMNS`).
    depots
        Depots with stock and planned load (:data:`DEPOT_COLUMNS`; ``stock_kg``/``load_kg`` are totals over
        commodities).
    unserved
        What could not be delivered and why (:data:`UNSERVED_COLUMNS`).
    wards
        Ward polygons with zone colour and share of demand served (:data:`WARD_COLUMNS`).
    legs
        Road geometry of each driven leg (:data:`LEG_COLUMNS`), ``approximate`` where it uses non-OSM roads.
    closed_roads
        Closed road edges (LineStrings) to draw in red.
    network_edges
        The truck road network (LineStrings, column ``approximate``), the base layer of offline maps.
    transfers
        Every flow across depots or localities (:data:`TRANSFER_COLUMNS`, then ``<commodity>_kg`` columns,
        ``reason_code`` and ``reason``): vehicles lent to another depot and stock delivered into another
        locality, each with why.
    vehicles
        Every vehicle of the fleet (:data:`VEHICLE_COLUMNS`), with its driver, plate and phone.
    meals
        The quarantine camps' hot meals (:data:`MEAL_COLUMNS`): every kitchen van's hand-overs and the meals
        not delivered (empty when the scenario has no camps).
    kpis
        Totals: km, hours, vehicles used, trips, kg demanded/delivered, served share, solve figures.
    settings
        Everything that produced the plan (scenario source, seed, time limit, options), for ``plan.json``;
        ``curfew`` is ``{"start": "HH:MM", "end": "HH:MM"}`` (``None``: no curfew).
    cut_by_time_limit
        Whether the time limit cut the depot assignment or any routing search short: the plan may then
        differ on another run (also in ``kpis``).
    """

    title: str
    date: str
    routes: pd.DataFrame
    stops: pd.DataFrame
    depots: pd.DataFrame
    unserved: pd.DataFrame
    wards: gpd.GeoDataFrame
    legs: gpd.GeoDataFrame
    closed_roads: gpd.GeoDataFrame
    network_edges: gpd.GeoDataFrame
    transfers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TRANSFER_COLUMNS))
    vehicles: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=VEHICLE_COLUMNS))
    meals: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MEAL_COLUMNS))
    kpis: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    cut_by_time_limit: bool = False


def meal_kpis(meals: pd.DataFrame) -> dict:
    """The camps' figures: camps, meals needed and delivered, meals not delivered by reason, longest ride."""
    delivered = meals[meals["status"] == "delivered"]
    short = meals[meals["status"] != "delivered"]
    needed = int(meals.drop_duplicates(["camp_id", "meal"])["headcount"].sum())
    return {
        "camps": int(meals["camp_id"].nunique()),
        "meals_needed": needed,
        "meals_delivered": int(delivered["meals"].sum()),
        "meals_not_delivered_by_reason": {str(k): int(v) for k, v in short.groupby("reason_code")["meals"].sum().items()},
        "meal_runs": int(delivered[["meal", "van_id"]].drop_duplicates().shape[0]),
        "longest_ride_min": float(delivered["ride_min"].max()) if len(delivered) else 0.0,
    }


def fairness_by_grade(wards: pd.DataFrame | None) -> dict[str, dict[str, float]]:
    """Per zone grade (green first), over wards with demand: the smallest ward share, the grade's share of its
    demand delivered (``mean_share``, weighted by demand) and the spread (largest minus smallest ward share)."""
    if wards is None or not len(wards):
        return {}
    with_demand = wards[pd.to_numeric(wards["demand_kg"], errors="coerce") > 0]
    out = {}
    for grade in sorted(set(with_demand["zone"].astype(str)), key=lambda g: (PRIORITY_OF_GRADE.get(g, 9), g)):
        group = with_demand[with_demand["zone"].astype(str) == grade]
        share = pd.to_numeric(group["served_share"], errors="coerce")
        mean = float(group["delivered_kg"].sum() / group["demand_kg"].sum())
        out[grade] = {"min_share": float(share.min()), "mean_share": mean,
                      "spread": float(share.max() - share.min())}
    return out


def cross_locality(transfers: pd.DataFrame | None) -> pd.DataFrame:
    """The rows of :attr:`Plan.transfers` that cross from one locality into another."""
    if transfers is None or not len(transfers) or not {"from_locality", "to_locality"} <= set(transfers.columns):
        return pd.DataFrame(columns=TRANSFER_COLUMNS)
    return transfers[transfers["from_locality"].astype(str) != transfers["to_locality"].astype(str)]


def transfers_by_locality(transfers: pd.DataFrame | None) -> dict[str, float]:
    """Kilograms of every flow between localities, keyed ``"<from> → <to>"``."""
    cross = cross_locality(transfers)
    if not len(cross):
        return {}
    keys = cross["from_locality"].astype(str) + " → " + cross["to_locality"].astype(str)
    kg = pd.to_numeric(cross["kg"], errors="coerce").fillna(0.0)
    return {str(k): round(float(v), 1) for k, v in kg.groupby(keys, sort=False).sum().items()}
