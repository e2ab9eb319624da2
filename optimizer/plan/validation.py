"""The checks of a scenario that need a road network, and the summary of the day they report."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from optimizer import datasets
from optimizer.demand import demand_by_locality, drop_points, shortfall
from optimizer.errors import InputError, Problem
from optimizer.network import RoadNetwork, closed_edge_mask
from optimizer.scenario import check_scenario
from optimizer.scenario.model import (
    CAMPS_FILE,
    CLOSURES_FILE,
    CLOSURES_GEOJSON,
    DEPOTS_FILE,
    KITCHENS_FILE,
    POINTS_FILE,
    DemandPoint,
    Scenario,
)

# --------------------------------------------------------------------------------------------------
# Validation (the checks that need a road network)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValidationReport:
    """Problems found and the day's figures.

    Attributes
    ----------
    problems
        Every problem (file, row, field); empty when the scenario is usable.
    summary
        ``depots``, ``stock_kg``, ``fleet``, ``demand_kg_per_day`` (per locality), ``points`` (count, per
        ward, approximate), ``approximate`` items and ``shortfall`` (see :func:`optimizer.demand.shortfall`).
    """

    problems: list[Problem]
    summary: dict

    @property
    def ok(self) -> bool:
        """No problem was found."""
        return not self.problems

    def raise_if_problems(self) -> None:
        """Raise :class:`~optimizer.errors.InputError` listing the problems, if any."""
        if self.problems:
            raise InputError(self.problems)

    def text(self) -> str:
        """A short plain-text report for the CLI."""
        s = self.summary
        lines = [f"Scenario: {s['scenario']} ({s['date']})"]
        lines.append(f"Depots: {s['depots']['count']} ({s['depots']['approximate']} approximate)")
        lines.append("Stock: " + ", ".join(f"{c} {kg / 1000:,.1f} t" for c, kg in s["stock_kg"].items()))
        fl = s["fleet"]
        lines.append(f"Fleet: {fl['vehicles']} vehicles in {fl['vehicle_types']} rows, "
                     f"{fl['capacity_kg_per_day'] / 1000:,.1f} t/day")
        for locality, row in s["demand_kg_per_day"].items():
            lines.append(f"Demand {datasets.LOCALITIES.get(locality, locality)}: "
                         + ", ".join(f"{c} {kg / 1000:,.1f} t" for c, kg in row.items()) + " per day")
        if s.get("points"):
            lines.append(f"Drop points: {s['points']['count']} ({s['points']['approximate']} approximate) in "
                         f"{len(s['points']['per_ward'])} wards")
        camps = s["camps"]
        if camps["count"]:
            lines.append(f"Quarantine camps: {camps['count']} ({camps['people']:,} people, {camps['meals_per_day']:,} "
                         f"meals a day); kitchens: {camps['kitchens']} ({camps['meals_per_service']:,} meals per "
                         f"service, {camps['vans']} vans)")
        lines += [f"Shortfall: {line}" for line in s["shortfall_lines"]] or ["Shortfall: none"]
        lines += [f"Problem: {p}" for p in self.problems]
        return "\n".join(lines)


def validate_scenario(scenario: Scenario, *, network: RoadNetwork | None = None) -> ValidationReport:
    """Check a scenario and summarise it.

    Parameters
    ----------
    scenario
        Loaded or built in code.
    network
        A truck (or motorbike) network: depots and drop points must then be within its snapping distance
        and every closure must match a road of it. Without a network only the checks of
        :func:`optimizer.scenario.check_scenario` run, and generated drop points are placed on the shipped
        truck network (cached on disk).

    Returns
    -------
    ValidationReport
        Problems are returned, not raised (:meth:`ValidationReport.raise_if_problems`).
    """
    problems = check_scenario(scenario)
    # Generated points always sit on the truck network (the shipped one unless a truck network is given).
    points = drop_points(scenario, network if network is not None and network.profile == "truck" else None)
    if network is not None:
        problems += _check_positions(scenario, network, points)
        if scenario.demand_points is None:
            problems += _check_generated_points(network, points)
        problems += _check_closures(scenario, network)
    return ValidationReport(problems=list(dict.fromkeys(problems)), summary=_summary(scenario, points))


def _summary(scenario: Scenario, points: Sequence[DemandPoint]) -> dict:
    """The figures of :attr:`ValidationReport.summary`."""
    short = shortfall(scenario)
    demand_loc = demand_by_locality(scenario)
    totals = {c: math.fsum(row.get(c, 0.0) for row in demand_loc.values()) for c in scenario.commodities}
    demand_summary = {loc: {**row, "total": math.fsum(row.values())} for loc, row in demand_loc.items()}
    demand_summary["total"] = {**totals, "total": math.fsum(totals.values())}
    vehicles = scenario.vehicles()
    per_ward = Counter(p.ward_id for p in points)
    return {
        "scenario": scenario.name,
        "date": scenario.date.isoformat(),
        "depots": {
            "count": len(scenario.depots),
            "approximate": sum(d.approximate for d in scenario.depots),
            "by_locality": dict(Counter(d.locality for d in scenario.depots)),
        },
        "stock_kg": scenario.stock_kg(),
        "fleet": {
            "vehicle_types": len(scenario.vehicle_types),
            "vehicles": len(vehicles),
            "by_profile": dict(Counter(v.profile for v in vehicles)),
            "capacity_kg_per_trip": math.fsum(v.capacity_kg for v in vehicles),
            "capacity_kg_per_day": scenario.fleet_capacity_kg_per_day(),
        },
        "demand_kg_per_day": demand_summary,
        "points": {
            "count": len(points),
            "approximate": sum(p.approximate for p in points),
            "generated": scenario.demand_points is None,
            "per_ward": dict(sorted(per_ward.items())),
            "by_locality": dict(Counter(p.locality for p in points)),
        },
        "approximate": {
            "depots": [d.id for d in scenario.depots if d.approximate],
            "points": sum(p.approximate for p in points),
            "wards_with_approximate_points": sorted({p.ward_id for p in points if p.approximate}),
        },
        "zones": dict(Counter(z.grade for z in scenario.zones)),
        "camps": {"count": len(scenario.camps), "people": sum(c.headcount for c in scenario.camps),
                  "meals_per_day": sum(c.headcount * len(c.meal_windows_s) for c in scenario.camps),
                  "kitchens": len(scenario.kitchens),
                  "meals_per_service": sum(k.meals_per_service for k in scenario.kitchens),
                  "vans": sum(k.vans for k in scenario.kitchens)},
        "shortfall": short.as_dict(),
        "shortfall_lines": short.lines(),
    }


def _check_positions(scenario: Scenario, network: RoadNetwork, points: Sequence[DemandPoint]) -> list[Problem]:
    """Depots, the planner's own points, camps and kitchens farther from the network than its snapping distance."""
    problems: list[Problem] = []
    limit = network.settings.snap_max_distance_m
    for file, items, label in ((DEPOTS_FILE, scenario.depots, "depot"),
                               (POINTS_FILE, points if scenario.demand_points is not None else (), "point"),
                               (CAMPS_FILE, scenario.camps, "camp"), (KITCHENS_FILE, scenario.kitchens, "kitchen")):
        lon = np.array([i.lon for i in items], dtype=float)
        lat = np.array([i.lat for i in items], dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if not ok.any():
            continue
        rows = scenario.row_numbers(file, len(items))
        snapped = network.snap(lon[ok], lat[ok], check_area=False, max_distance_m=math.inf)
        for index, distance in zip(np.flatnonzero(ok), snapped.distance_m):
            if distance > limit:
                item = items[int(index)]
                problems.append(
                    Problem(f"{label} '{item.id}' ({item.lat:.5f}, {item.lon:.5f}) is {distance:,.0f} m from the "
                            f"nearest {network.profile} road (limit {limit:,.0f} m): unreachable",
                            scenario.file_label(file), rows[index], "lon/lat")
                )
    return problems


def _check_generated_points(network: RoadNetwork, points: Sequence[DemandPoint]) -> list[Problem]:
    """Generated points are nodes of the network they were placed on; report any that is not reachable."""
    far = [p for p in points if not p.approximate]
    if not far:
        return []
    limit = network.settings.snap_max_distance_m
    snapped = network.snap([p.lon for p in far], [p.lat for p in far], check_area=False, max_distance_m=math.inf)
    return [Problem(f"generated point '{p.id}' is {distance:,.0f} m from the network", "generated demand points",
                    None, "lon/lat")
            for p, distance in zip(far, snapped.distance_m) if distance > limit]


def _check_closures(scenario: Scenario, network: RoadNetwork) -> list[Problem]:
    """Closures of the network's profile that match no road of it."""
    problems: list[Problem] = []
    plain = [c for c in scenario.closures if c.kind != "polygon"]
    polygons = [c for c in scenario.closures if c.kind == "polygon"]
    located = [(c, scenario.file_label(CLOSURES_FILE), row, "value")
               for c, row in zip(plain, scenario.row_numbers(CLOSURES_FILE, len(plain)))]
    located += [(c, scenario.file_label(CLOSURES_GEOJSON), row, "geometry")
                for c, row in zip(polygons, scenario.row_numbers(CLOSURES_GEOJSON, len(polygons), first=1))]
    for closure, file, row, fieldname in located:
        if not closure.applies_to(network.profile):
            continue
        try:
            closed_edge_mask(network.edges, [closure], profile=network.profile)
        except InputError as exc:
            problems.append(Problem("; ".join(p.message for p in exc.problems), file, row, fieldname))
    return problems
