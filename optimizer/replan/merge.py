"""One complete plan of the day again: the visits kept from the earlier plan, the trips in progress as finished,
and the rest of the day's plan (its vehicles renamed back and its trips numbered after those already driven);
and ``changes.csv``, what changed for each vehicle.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import pandas as pd

from optimizer.clock import format_hhmm, parse_hhmm
from optimizer.plan.model import LEG_COLUMNS, STOP_COLUMNS, UNSERVED_COLUMNS, VEHICLE_COLUMNS, Plan, meal_kpis
from optimizer.plan.pipeline import frame_kpis, ward_frame
from optimizer.replan.rest import Tail
from optimizer.replan.state import DayState, EarlierPlan, trip_times
from optimizer.scenario.model import DemandPoint, Scenario

#: Columns of ``changes.csv``: one row per vehicle and stop whose future changed. ``change`` is ``added`` (a
#: stop new to the vehicle), ``removed`` (no longer on this vehicle: ``other_vehicle`` took it, or ``reason``
#: says why it is due again or left unserved), ``moved`` (same vehicle, another trip or order) or ``retimed``
#: (same trip, new time by more than :data:`RETIMED_MIN` minutes).
CHANGE_COLUMNS = ["vehicle_id", "change", "stop_id", "ward", "before_trip", "before_arrival", "after_trip",
                  "after_arrival", "other_vehicle", "reason"]
RETIMED_MIN = 5
#: Suffix the rest of the day's plan gives each vehicle (its fleet has one row per vehicle).
_REST_SUFFIX = "-01"


def _renamed(frame: pd.DataFrame, offset: Mapping[str, int], home: Mapping[str, str]) -> pd.DataFrame:
    """A frame of the rest of the day with the vehicles' own ids and trip numbers after those already driven."""
    if not len(frame):
        return frame
    out = frame.copy()
    out["vehicle_id"] = [v.removesuffix(_REST_SUFFIX) for v in out["vehicle_id"].astype(str)]
    if "trip" in out.columns:
        out["trip"] = [int(t) + offset.get(v, 0) for v, t in zip(out["vehicle_id"], out["trip"])]
    if "home_depot_id" in out.columns:
        out["home_depot_id"] = [home.get(v, h) for v, h in zip(out["vehicle_id"], out["home_depot_id"])]
    return out


def _tail_rows(earlier: EarlierPlan, tails: Mapping[str, Tail], state: DayState, located,
               escape) -> tuple[list, list]:
    """Dispatch rows and legs of the trips in progress after their next stop."""
    row_of = {(r["vehicle_id"], int(r["trip"]), r["stop_id"]): r for r in earlier.routes.to_dict("records")}
    rows, legs = [], []
    for vid, tail in tails.items():
        next_row = row_of[(vid, tail.trip, state.vehicles[vid].next_stop)]
        where = escape if tail.escaped else located
        matrix = where.matrices[next_row["profile"]]
        on_board = math.fsum(v.quantity_kg for v in tail.visits)
        here, seq = tail.from_location, int(next_row["seq"])
        for visit in tail.visits:
            seq += 1
            approximate = bool(matrix.leg_edges(here, visit.location)["approximate"].any())
            quantity = visit.quantity_kg
            rows.append({**row_of[(vid, tail.trip, visit.stop_id)], "seq": seq,
                         "arrival": format_hhmm(visit.arrival_s, exact=False),
                         "departure": format_hhmm(visit.departure_s, exact=False), "arrival_s": visit.arrival_s,
                         "departure_s": visit.departure_s, "quantity_kg": quantity,
                         **{f"{c}_kg": kg for c, kg in visit.kg.items()}, "load_kg": on_board,
                         "leg_km": round(visit.leg_dist_m / 1000, 3), "leg_min": round(visit.leg_time_s / 60, 2),
                         "approximate_leg": approximate})
            legs.append(_leg(vid, tail.trip, seq, here, visit.location, visit.leg_dist_m, visit.leg_time_s,
                             next_row["profile"], matrix, where))
            on_board -= quantity
            here = visit.location
        legs.append(_leg(vid, tail.trip, seq + 1, here, tail.depot_location, tail.return_leg_dist_m,
                         tail.return_leg_time_s, next_row["profile"], matrix, where))
    return rows, legs


def _leg(vid, trip, seq, a, b, dist_m, time_s, profile, matrix, located) -> dict:
    places = [*located.depots, *located.points]
    return {"vehicle_id": vid, "trip": trip, "seq": seq, "from_id": places[a].id, "to_id": places[b].id,
            "profile": profile, "leg_km": dist_m / 1000, "leg_min": time_s / 60,
            "approximate": bool(matrix.leg_edges(a, b)["approximate"].any()), "geometry": matrix.leg_geometry(a, b)}


def _kept_legs(earlier: EarlierPlan, state: DayState, tails: Mapping[str, Tail]) -> gpd.GeoDataFrame:
    """The earlier plan's legs driven or under way: whole trips that were done, and the legs up to each kept
    visit of a trip cut short (by the re-plan or by a breakdown)."""
    kept_seq = state.kept.groupby(["vehicle_id", "trip"])["seq"].max() if len(state.kept) else pd.Series(dtype=int)
    planned_seq = earlier.routes.groupby(["vehicle_id", "trip"])["seq"].max()
    cut = {(v, int(t)) for v, t in zip(state.kept["vehicle_id"], state.kept["trip"])}
    rows = []
    for key, group in earlier.legs.groupby(["vehicle_id", "trip"]):
        if key not in cut:
            continue
        whole = kept_seq[key] == planned_seq[key] and key[0] not in tails and \
            state.vehicles[key[0]].status != "broken"
        rows.append(group if whole else group[group["seq"] <= kept_seq[key]])
    legs = pd.concat(rows, ignore_index=True) if rows else earlier.legs.iloc[:0]
    return gpd.GeoDataFrame(legs[LEG_COLUMNS], geometry="geometry", crs=4326)


def _stops(earlier: EarlierPlan, routes: pd.DataFrame, rest: Plan | None, scenario: Scenario,
           requests: Sequence[DemandPoint]) -> pd.DataFrame:
    stops = earlier.stops[STOP_COLUMNS].copy()
    if requests and rest is not None:
        new = rest.stops[rest.stops["stop_id"].isin({p.id for p in requests})]
        stops = pd.concat([stops, new[STOP_COLUMNS]], ignore_index=True)
    zones = scenario.zones_by_ward
    stops["zone"] = [zones[w].grade if w in zones else z for w, z in zip(stops["ward_id"], stops["zone"])]
    stops["priority"] = [zones[w].priority if w in zones else p for w, p in zip(stops["ward_id"], stops["priority"])]
    stops["delivered_kg"] = stops["stop_id"].map(routes.groupby("stop_id")["quantity_kg"].sum()).fillna(0.0).round(3)
    if rest is not None:
        rest_depot = dict(zip(rest.stops["stop_id"], rest.stops["depot_id"]))
        stops["depot_id"] = [rest_depot.get(s) or d for s, d in zip(stops["stop_id"], stops["depot_id"])]
    return stops


def _depots(earlier: EarlierPlan, routes: pd.DataFrame, state: DayState, received: Mapping[str, float]) -> pd.DataFrame:
    depots = earlier.depots.copy()
    depots["stock_kg"] = depots["stock_kg"] + depots["depot_id"].map(received).fillna(0.0)
    depots["load_kg"] = depots["depot_id"].map(routes.groupby("depot_id")["quantity_kg"].sum()).fillna(0.0).round(3)
    depots["closed"] = depots["closed"].astype(bool) | depots["depot_id"].isin(state.closed_depots)
    return depots


def _transfers(earlier: EarlierPlan, rest: Plan | None, at_s: int, offset, home) -> pd.DataFrame:
    """Loans already under way at the re-plan time, and the rest of the day's flows."""
    frames = []
    if len(earlier.transfers):
        loans = earlier.transfers[earlier.transfers["kind"] == "vehicle"]
        frames.append(loans[[isinstance(t, str) and bool(t) and parse_hhmm(t) <= at_s for t in loans["depart"]]])
    if rest is not None and len(rest.transfers):
        frames.append(_renamed(rest.transfers, offset, home))
    columns = rest.transfers.columns if rest is not None else earlier.transfers.columns
    return pd.concat(frames, ignore_index=True)[list(columns)] if frames else pd.DataFrame(columns=columns)


def merge_plans(earlier: EarlierPlan, *, state: DayState, tails: Mapping[str, Tail], rest: Plan | None,
                scenario: Scenario, located, requests: Sequence[DemandPoint], at_s: int,
                received: Mapping[str, float] | None = None, escape=None) -> Plan:
    """The whole day as one plan: kept visits, trips in progress finished, then the rest of the day."""
    home = dict(zip(earlier.routes["vehicle_id"], earlier.routes["home_depot_id"]))
    offset = {v: s.trips_used for v, s in state.vehicles.items()}
    tail_rows, tail_legs = _tail_rows(earlier, tails, state, located, escape)
    columns = list(earlier.routes.columns)
    parts = [state.kept[columns], pd.DataFrame(tail_rows, columns=columns)]
    leg_parts = [_kept_legs(earlier, state, tails), gpd.GeoDataFrame(pd.DataFrame(tail_legs, columns=LEG_COLUMNS),
                                                                     geometry="geometry", crs=4326)]
    if rest is not None:
        parts.append(_renamed(rest.routes, offset, home)[columns])
        leg_parts.append(_renamed(rest.legs, offset, home)[LEG_COLUMNS])
    routes = pd.concat([p for p in parts if len(p)], ignore_index=True).sort_values(
        ["vehicle_id", "trip", "seq"], kind="stable").reset_index(drop=True)
    legs = gpd.GeoDataFrame(pd.concat([p for p in leg_parts if len(p)], ignore_index=True)[LEG_COLUMNS],
                            geometry="geometry", crs=4326)
    stops = _stops(earlier, routes, rest, scenario, requests)
    unserved = rest.unserved if rest is not None else pd.DataFrame(columns=UNSERVED_COLUMNS)
    depots = _depots(earlier, routes, state, received or {})
    transfers = _transfers(earlier, rest, at_s, offset, home)
    wards = ward_frame(stops, {z.ward_id: z.grade for z in scenario.zones})
    vehicles = _vehicles(scenario, rest, home)
    base = rest if rest is not None else earlier
    settings = {**base.settings, "scenario": earlier.settings.get("scenario", earlier.title),
                "replan": {"at": format_hhmm(at_s), "replaces": str(earlier.folder), "title": earlier.title}}
    plan = Plan(title=earlier.title, date=earlier.date, routes=routes, stops=stops, depots=depots,
                unserved=unserved, wards=wards, legs=legs,
                closed_roads=rest.closed_roads if rest is not None else gpd.GeoDataFrame(geometry=[], crs=4326),
                network_edges=rest.network_edges if rest is not None else gpd.GeoDataFrame(geometry=[], crs=4326),
                transfers=transfers, vehicles=vehicles, settings=settings, meals=earlier.meals.copy(),
                cut_by_time_limit=bool(rest.cut_by_time_limit) if rest is not None else False)
    plan.kpis = _kpis(plan, rest, state, tails, requests, at_s)
    if len(plan.meals):
        plan.kpis.update(meal_kpis(plan.meals))
    settings["replan"].update(plan.kpis["replan"])  # plan.json keeps the settings, not these counts' kpis
    return plan


def _vehicles(scenario: Scenario, rest: Plan | None, home: Mapping[str, str]) -> pd.DataFrame:
    rows = [{"vehicle_id": v.id, "name": v.name, "profile": v.profile, "capacity_kg": v.capacity_kg,
             "home_depot_id": home.get(v.id, v.home_depot), "driver": v.driver, "plate": v.plate, "phone": v.phone}
            for v in scenario.vehicles()]
    known = {r["vehicle_id"] for r in rows}
    if rest is not None:
        added = _renamed(rest.vehicles, {}, home)
        rows += [r for r in added.to_dict("records") if r["vehicle_id"] not in known]
    return pd.DataFrame(rows, columns=VEHICLE_COLUMNS)


def _kpis(plan: Plan, rest: Plan | None, state: DayState, tails, requests, at_s: int) -> dict:
    trips = trip_times(plan)  # type: ignore[arg-type]  # a Plan has the routes, legs and settings it reads
    days: dict[str, list[int]] = {}
    for t in trips.values():
        span = days.setdefault(t.vehicle_id, [t.load_start_s, t.end_s])
        span[0], span[1] = min(span[0], t.load_start_s), max(span[1], t.end_s)
    solver = {k: v for k, v in (rest.kpis if rest is not None else {}).items()
              if k in ("fair_share", "assignment", "routing", "cut_by_time_limit")}
    broken = [v for v, s in state.vehicles.items() if s.status == "broken"]
    return {
        **frame_kpis(plan.routes, plan.legs, plan.stops, plan.unserved, plan.depots, plan.transfers, plan.wards),
        "vehicles_available": len(plan.vehicles),  # a vehicle that broke down worked part of the day
        "vehicles_lent": int(plan.transfers.loc[plan.transfers["kind"] == "vehicle", "vehicle_id"].nunique())
        if len(plan.transfers) else 0,
        "trips": len(trips),
        "hours": round(sum(b - a for a, b in days.values()) / 3600, 1),
        **solver,
        "replan": {"at": format_hhmm(at_s), "kept_visits": len(state.kept), "trips_in_progress": len(tails),
                   "due_again_kg": round(float(state.due_again["kg"].sum()), 1) if len(state.due_again) else 0.0,
                   "requests": len(requests), "vehicles_broken": broken,
                   "lost_on_board_kg": round(math.fsum(state.lost_kg.values()), 1)},
    }


def changes_frame(earlier: EarlierPlan, plan: Plan, *, state: DayState, tails: Mapping[str, Tail],
                  at_s: int) -> pd.DataFrame:
    """What changed for each vehicle from the re-plan time on (:data:`CHANGE_COLUMNS`)."""
    kept = set(zip(state.kept["vehicle_id"], state.kept["trip"].astype(int), state.kept["stop_id"]))
    before = {(r["vehicle_id"], r["stop_id"]): r for r in earlier.routes.to_dict("records")
              if (r["vehicle_id"], int(r["trip"]), r["stop_id"]) not in kept}
    after = {(r["vehicle_id"], r["stop_id"]): r for r in plan.routes.to_dict("records")
             if (r["vehicle_id"], int(r["trip"]), r["stop_id"]) not in kept}
    due = {(r["vehicle_id"], r["stop_id"]): r["reason"] for r in state.due_again.to_dict("records")}
    now_on: dict[str, list[str]] = {}
    for vid, stop in after:
        now_on.setdefault(stop, []).append(vid)
    unserved = set(plan.unserved["stop_id"])
    rows = []
    for key in sorted(set(before) | set(after)):
        vid, stop = key
        b, a = before.get(key), after.get(key)
        if b is not None and a is not None:
            moved = int(b["trip"]) != int(a["trip"]) or int(b["seq"]) != int(a["seq"])
            shift_min = abs(float(a["arrival_s"]) - float(b["arrival_s"])) / 60
            if not moved and shift_min <= RETIMED_MIN:
                continue
            change, other, reason = ("moved" if moved else "retimed"), "", ""
        elif b is not None:
            others = [v for v in now_on.get(stop, []) if v != vid]
            change, other = "removed", ", ".join(others)
            reason = due.get(key, "re-planned" if others else
                             ("left unserved: see unserved.csv" if stop in unserved else "re-planned"))
        else:
            change, other, reason = "added", "", ""
        ward = (a if a is not None else b or {})["ward"]
        rows.append({"vehicle_id": vid, "change": change, "stop_id": stop, "ward": ward,
                     "before_trip": int(b["trip"]) if b is not None else None,
                     "before_arrival": b["arrival"] if b is not None else "",
                     "after_trip": int(a["trip"]) if a is not None else None,
                     "after_arrival": a["arrival"] if a is not None else "", "other_vehicle": other,
                     "reason": reason})
    frame = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    for column in ("before_trip", "after_trip"):
        frame[column] = frame[column].astype("Int64")
    return frame
