"""Tests of the routing core on small hand-built instances; every plan goes through the independent checker."""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from checker import check_plan, plan_cost
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.solve.routing import (
    Depot,
    RoutingOptions,
    RoutingProblem,
    RoutingResult,
    Stop,
    Vehicle,
    solve,
)

HOUR = 3600
#: Small deterministic budget: every test plan is reproducible and quick.
FAST = RoutingOptions(time_limit_s=3, solution_limit=200)


def euclid(points: list[tuple[float, float]], speed_m_s: float = 10.0) -> tuple[np.ndarray, np.ndarray]:
    """Distance (m) and time (s) matrices between points given in metres."""
    xy = np.asarray(points, dtype=float)
    dist = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1))
    return dist, dist / speed_m_s


def problem_on(points, depots, stops, vehicles, *, speed_m_s: float = 10.0, **matrices) -> RoutingProblem:
    """A truck-only problem on Euclidean points unless matrices are given."""
    dist, time_s = euclid(points, speed_m_s)
    return RoutingProblem(
        depots, stops, vehicles, matrices.get("time_s", {"truck": time_s}), matrices.get("dist_m", {"truck": dist})
    )


def run(problem: RoutingProblem, options: RoutingOptions = FAST, *, cross_depot: bool = False) -> RoutingResult:
    """Solve and assert the independent checker finds nothing wrong."""
    result = solve(problem, options)
    assert check_plan(problem, result, cross_depot=cross_depot) == []
    return result


def visited(result: RoutingResult) -> dict[str, list[str]]:
    """Stop ids per vehicle, in order."""
    out: dict[str, list[str]] = {}
    for trip in result.trips:
        out.setdefault(trip.vehicle_id, []).extend(v.stop_id for v in trip.visits)
    return out


def reasons(result: RoutingResult) -> dict[str, str]:
    return {row.stop_id: row.reason for row in result.unserved}


def ring(n: int, radius: float = 5000.0) -> list[tuple[float, float]]:
    """Depot at the origin, then ``n`` points on a circle."""
    return [(0.0, 0.0)] + [
        (radius * math.cos(2 * math.pi * k / n), radius * math.sin(2 * math.pi * k / n)) for k in range(n)
    ]


# --- the plan is optimal where the optimum is known -------------------------------------------------------


@pytest.mark.parametrize("metaheuristic", ["ruin_recreate", "guided_local_search"])
def test_single_vehicle_matches_brute_force_optimum(metaheuristic):
    rng = np.random.default_rng(7)
    points = [(5000.0, 5000.0)] + [tuple(p) for p in rng.uniform(0, 10_000, size=(6, 2))]
    dist, _ = euclid(points)
    stops = [Stop(f"s{i}", i, 10.0) for i in range(1, 7)]
    problem = problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 100, 0)])
    best = min(
        dist[0, p[0]] + sum(dist[a, b] for a, b in zip(p, p[1:])) + dist[p[-1], 0]
        for p in itertools.permutations(range(1, 7))
    )
    result = run(problem, replace(FAST, metaheuristic=metaheuristic))
    assert result.status == "complete"
    assert result.strategy_used.endswith(metaheuristic)
    assert result.objective == pytest.approx(best / 1000, rel=1e-9)  # cost_per_km = 1
    assert plan_cost(problem, result) == pytest.approx(result.objective)


# --- capacity ----------------------------------------------------------------------------------------------


def test_capacity_limits_each_vehicle():
    points = ring(6)
    stops = [Stop(f"s{i}", i, 60.0) for i in range(1, 7)]
    vehicles = [Vehicle(f"v{k}", 130, 0) for k in range(3)]
    result = run(problem_on(points, [Depot("D", 0)], stops, vehicles))
    assert result.status == "complete"
    assert all(t.load_kg <= 130 for t in result.trips)
    assert result.stats.vehicles_used == 3


def test_second_dimension_bags_limits_a_trip():
    points = ring(4)
    # 40 kg each fits one vehicle by weight, but 30 bags each allow only two stops per vehicle.
    stops = [Stop(f"s{i}", i, 40.0, bags=30) for i in range(1, 5)]
    vehicles = [Vehicle(f"v{k}", 1000, 0, capacity_bags=60) for k in range(2)]
    result = run(problem_on(points, [Depot("D", 0)], stops, vehicles))
    assert result.status == "complete"
    assert sorted(len(t.visits) for t in result.trips) == [2, 2]
    assert all(sum(v.bags for v in t.visits) <= 60 for t in result.trips)


# --- several depots ----------------------------------------------------------------------------------------


def two_depot_problem(**stop_overrides) -> RoutingProblem:
    points = [(0.0, 0.0), (20_000.0, 0.0), (1000.0, 0.0), (19_000.0, 0.0), (2000.0, 500.0), (18_000.0, 500.0)]
    depots = [Depot("west", 0), Depot("east", 1)]
    stops = [
        Stop("w1", 2, 10.0, depot=0),
        Stop("e1", 3, 10.0, depot=1),
        Stop("w2", 4, 10.0, depot=stop_overrides.get("w2_depot", 0)),
        Stop("e2", 5, 10.0, depot=None),
    ]
    vehicles = [Vehicle("vw", 100, 0), Vehicle("ve", 100, 1)]
    return problem_on(points, depots, stops, vehicles)


def test_each_depot_serves_its_own_stops():
    result = run(two_depot_problem())
    routes = visited(result)
    assert sorted(routes["vw"]) == ["w1", "w2"]
    assert sorted(routes["ve"]) == ["e1", "e2"]  # e2 has no depot: the nearest one serves it
    assert all(t.depot == (0 if t.vehicle_id == "vw" else 1) for t in result.trips)


def test_cross_depot_lets_any_vehicle_serve():
    # w2 is assigned to the far depot; only cross_depot lets the near vehicle take it.
    problem = two_depot_problem(w2_depot=1)
    assert "w2" in visited(run(problem))["ve"]
    result = run(problem, replace(FAST, cross_depot=True), cross_depot=True)
    assert "w2" in visited(result)["vw"]


def test_stop_of_a_depot_without_vehicles_is_unserved_for_capacity():
    points = ring(2)
    problem = problem_on(points, [Depot("A", 0), Depot("B", 0)], [Stop("s", 1, 5.0, depot=1)], [Vehicle("v", 10, 0)])
    result = run(problem)
    assert reasons(result) == {"s": "no capacity"}


# --- mixed fleet and reachability --------------------------------------------------------------------------


def fleet_problem(*, vehicles, allowed=None) -> RoutingProblem:
    points = [(0.0, 0.0), (3000.0, 0.0), (0.0, 3000.0)]
    dist, time_s = euclid(points)
    truck_dist, truck_time = dist.copy(), time_s.copy()
    # Location 2 (an alley) has no truck path at all.
    truck_dist[:, 2] = truck_dist[2, :] = np.inf
    truck_time[:, 2] = truck_time[2, :] = np.inf
    truck_dist[2, 2] = truck_time[2, 2] = 0
    stops = [Stop("road", 1, 20.0, allowed_profiles=allowed), Stop("alley", 2, 20.0)]
    return RoutingProblem(
        [Depot("D", 0)],
        stops,
        vehicles,
        {"truck": truck_time, "motorbike": time_s * 1.5},
        {"truck": truck_dist, "motorbike": dist},
    )


def test_profiles_use_their_own_matrices_and_costs():
    vehicles = [
        Vehicle("truck", 500, 0, profile="truck", cost_per_km=1.0),
        Vehicle("bike", 50, 0, profile="motorbike", cost_per_km=5.0),
    ]
    problem = fleet_problem(vehicles=vehicles)
    result = run(problem)
    assert visited(result) == {"truck": ["road"], "bike": ["alley"]}
    bike = next(t for t in result.trips if t.vehicle_id == "bike")
    assert bike.visits[0].leg_time_s == pytest.approx(3000 / 10 * 1.5)
    assert result.objective == pytest.approx(6.0 * 1.0 + 6.0 * 5.0)


def test_unreachable_stop_gets_reason():
    result = run(fleet_problem(vehicles=[Vehicle("truck", 500, 0)]))
    assert reasons(result) == {"alley": "unreachable"}
    assert result.status == "partial"


def test_zone_restriction():
    allowed = frozenset({"motorbike"})
    result = run(fleet_problem(vehicles=[Vehicle("truck", 500, 0)], allowed=allowed))
    assert reasons(result) == {"road": "zone restriction", "alley": "unreachable"}
    bike = Vehicle("bike", 50, 0, profile="motorbike")
    result = run(fleet_problem(vehicles=[Vehicle("truck", 500, 0), bike], allowed=allowed))
    assert set(visited(result)) == {"bike"} and sorted(visited(result)["bike"]) == ["alley", "road"]
    assert not result.unserved


def test_one_way_gap_in_a_matrix_is_never_driven():
    points = ring(3)
    dist, time_s = euclid(points)
    dist[1, 2] = time_s[1, 2] = np.inf  # no path from 1 to 2, the rest is fine
    stops = [Stop(f"s{i}", i, 1.0) for i in range(1, 4)]
    problem = problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 10, 0)], time_s={"truck": time_s},
                         dist_m={"truck": dist})
    result = run(problem)
    assert result.status == "complete"
    order = visited(result)["v"]
    assert order.index("s2") != order.index("s1") + 1


# --- time ---------------------------------------------------------------------------------------------------


def test_time_windows_decide_the_order():
    points = [(0.0, 0.0), (1000.0, 0.0), (2000.0, 0.0)]
    # Distance alone says near then far; the windows say far first.
    stops = [Stop("near", 1, 1.0, tw_start_s=10 * HOUR, tw_end_s=11 * HOUR),
             Stop("far", 2, 1.0, tw_start_s=8 * HOUR, tw_end_s=9 * HOUR)]
    result = run(problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 10, 0)]))
    assert visited(result) == {"v": ["far", "near"]}
    far, near = result.trips[0].visits
    assert far.start_s >= 8 * HOUR and near.start_s >= 10 * HOUR


def test_service_time_grows_with_quantity():
    points = ring(1)
    stops = [Stop("s", 1, 200.0, service_s=300, service_s_per_kg=1.5)]
    result = run(problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 500, 0)]))
    visit = result.trips[0].visits[0]
    assert visit.departure_s - visit.start_s == 300 + 300


def test_curfew_shift_and_reasons():
    # Vehicles may work 06:00-19:00 only (curfew outside). Speed 10 m/s.
    points = [(0.0, 0.0), (36_000.0, 0.0), (300_000.0, 0.0), (5000.0, 0.0)]
    stops = [
        Stop("ok", 1, 1.0, tw_start_s=17 * HOUR, tw_end_s=19 * HOUR),  # 1 h drive back: must start by 18:00
        Stop("too far", 2, 1.0),  # 8.3 h each way: no round trip fits 13 h
        Stop("night", 3, 1.0, tw_start_s=20 * HOUR, tw_end_s=22 * HOUR),  # window inside the curfew
    ]
    vehicles = [Vehicle("v", 10, 0, shift_start_s=6 * HOUR, shift_end_s=19 * HOUR)]
    result = run(problem_on(points, [Depot("D", 0)], stops, vehicles))
    assert reasons(result) == {"too far": "outside shift", "night": "time window"}
    trip = result.trips[0]
    assert trip.load_start_s >= 6 * HOUR and trip.end_s <= 19 * HOUR
    assert trip.visits[0].start_s <= 18 * HOUR


def test_depot_hours_and_load_time():
    points = ring(2)
    stops = [Stop("a", 1, 1.0), Stop("b", 2, 1.0)]
    depot = Depot("D", 0, open_s=8 * HOUR, close_s=12 * HOUR, load_time_s=1800)
    vehicles = [Vehicle("v", 10, 0, shift_start_s=6 * HOUR, shift_end_s=19 * HOUR)]
    result = run(problem_on(points, [depot], stops, vehicles))
    trip = result.trips[0]
    assert trip.load_start_s >= 8 * HOUR
    assert trip.start_s - trip.load_start_s >= 1800
    assert trip.end_s <= 12 * HOUR


def test_max_duration_splits_work():
    points = ring(4, radius=18_000)  # 30 min out, 42 min between neighbours: one tour takes over 3 h
    stops = [Stop(f"s{i}", i, 1.0) for i in range(1, 5)]
    vehicles = [Vehicle(f"v{k}", 100, 0, max_duration_s=3 * HOUR) for k in range(4)]
    result = run(problem_on(points, [Depot("D", 0)], stops, vehicles))
    assert result.status == "complete"
    assert result.stats.vehicles_used >= 2


# --- several trips and split deliveries ---------------------------------------------------------------------


def test_three_truckloads_need_three_trips():
    points = ring(1)
    depot = Depot("D", 0, load_time_s=900)
    stops = [Stop("camp", 1, 3000.0, service_s=600)]
    vehicles = [Vehicle("truck", 1000, 0, max_trips=3)]
    result = run(problem_on(points, [depot], stops, vehicles))
    assert result.status == "complete"
    assert [t.trip for t in result.trips] == [1, 2, 3]
    assert [t.load_kg for t in result.trips] == pytest.approx([1000.0] * 3)
    assert sum(v.quantity_kg for t in result.trips for v in t.visits) == 3000.0
    for before, after in zip(result.trips, result.trips[1:]):
        assert after.load_start_s >= before.end_s
        assert after.start_s - after.load_start_s >= 900


def test_trips_beyond_the_limit_leave_quantity_unserved():
    points = ring(1)
    stops = [Stop("camp", 1, 3000.0)]
    result = run(problem_on(points, [Depot("D", 0)], stops, [Vehicle("truck", 1000, 0, max_trips=2)]))
    assert len(result.trips) == 2
    assert result.unserved == [("camp", pytest.approx(1000.0), "no capacity")]


def test_split_demand_adds_up_exactly():
    points = ring(2)
    stops = [Stop("big", 1, 2500.3, bags=101), Stop("small", 2, 100.0, bags=4)]
    vehicles = [Vehicle(f"t{k}", 1000, 0, capacity_bags=50) for k in range(4)]
    result = run(problem_on(points, [Depot("D", 0)], stops, vehicles))
    assert result.status == "complete"
    parts = [v for t in result.trips for v in t.visits if v.stop_id == "big"]
    assert len(parts) == 3
    assert sum(v.quantity_kg for v in parts) == pytest.approx(2500.3, abs=1e-9)
    assert sum(v.bags for v in parts) == 101


# --- priorities -------------------------------------------------------------------------------------------


def test_priorities_keep_red_and_orange_before_green():
    points = [(0.0, 0.0), (1000.0, 0.0), (0.0, 1000.0), (30_000.0, 0.0), (0.0, -30_000.0)]
    stops = [
        Stop("green1", 1, 50.0, priority=0),
        Stop("green2", 2, 50.0, priority=0),
        Stop("red", 3, 60.0, priority=3),  # far away and heavy: cheaper to drop if priority were ignored
        Stop("orange", 4, 40.0, priority=2),
    ]
    result = run(problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 100, 0)]))
    assert sorted(visited(result)["v"]) == ["orange", "red"]
    assert reasons(result) == {"green1": "no capacity", "green2": "no capacity"}


# --- balance -------------------------------------------------------------------------------------------------


def test_balance_reduces_the_longest_route():
    points = ring(8, radius=10_000)
    stops = [Stop(f"s{i}", i, 1.0, service_s=600) for i in range(1, 9)]
    vehicles = [Vehicle(f"v{k}", 100, 0, cost_per_km=1.0) for k in range(4)]
    problem = problem_on(points, [Depot("D", 0)], stops, vehicles)

    def longest(result: RoutingResult) -> int:
        return max(t.end_s - t.load_start_s for t in result.trips)

    plain, balanced = run(problem), run(problem, replace(FAST, balance=True))
    assert balanced.status == plain.status == "complete"
    assert longest(balanced) < longest(plain)
    assert balanced.stats.vehicles_used > plain.stats.vehicles_used


# --- search control -----------------------------------------------------------------------------------------


def plan_rows(result: RoutingResult) -> list[tuple]:
    return [(t.vehicle_id, t.trip, t.start_s, tuple((v.stop_id, v.start_s, v.quantity_kg) for v in t.visits))
            for t in result.trips]


def random_problem(seed: int, n: int = 25) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    points = [(5000.0, 5000.0)] + [tuple(p) for p in rng.uniform(0, 10_000, size=(n, 2))]
    stops = [
        Stop(f"s{i}", i, float(rng.integers(20, 300)), tw_start_s=int(rng.integers(6, 12)) * HOUR,
             tw_end_s=int(rng.integers(13, 18)) * HOUR, service_s=300, priority=int(rng.integers(0, 4)))
        for i in range(1, n + 1)
    ]
    vehicles = [Vehicle(f"v{k}", 800, 0, shift_start_s=6 * HOUR, shift_end_s=19 * HOUR, max_trips=2,
                        cost_per_hour=10.0, fixed_cost=50.0) for k in range(3)]
    return problem_on(points, [Depot("D", 0, load_time_s=600)], stops, vehicles)


def test_same_seed_same_plan():
    problem = random_problem(3)
    first, second = run(problem), run(problem)
    assert first.stopped_by == "solution limit"
    assert plan_rows(first) == plan_rows(second)
    other = run(problem, replace(FAST, seed=5))
    assert other.status in ("complete", "partial")


def large_problem(n: int = 170) -> RoutingProblem:
    """Above the size where the search works part by part."""
    rng = np.random.default_rng(11)
    points = [(10_000.0, 10_000.0)] + [tuple(p) for p in rng.uniform(0, 20_000, size=(n, 2))]
    stops = [Stop(f"s{i}", i, float(rng.integers(10, 120)), service_s=120, priority=int(rng.integers(0, 2)))
             for i in range(1, n + 1)]
    vehicles = [Vehicle(f"v{k}", 600, 0, shift_start_s=6 * HOUR, shift_end_s=19 * HOUR, max_trips=2)
                for k in range(12)]
    return problem_on(points, [Depot("D", 0, load_time_s=600)], stops, vehicles)


def test_large_problem_improved_by_parts_is_feasible_and_reproducible():
    problem = large_problem()
    options = RoutingOptions(time_limit_s=30, solution_limit=60)
    first, second = run(problem, options), run(problem, options)
    assert first.stopped_by == "solution limit"
    assert plan_rows(first) == plan_rows(second)
    assert first.status == "complete"
    assert any(t.trip == 2 for t in first.trips)


def test_same_plan_when_both_cores_are_busy():
    # The default budgets (scaled down) depend on the problem only, never on how fast the machine runs.
    problem = large_problem(120)
    options = RoutingOptions(effort=0.3, seed=2)
    quiet = run(problem, options)
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        loaded = run(problem, options)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert not quiet.cut_by_time_limit and not loaded.cut_by_time_limit
    assert quiet.stopped_by == loaded.stopped_by == "solution limit"
    assert plan_rows(quiet) == plan_rows(loaded)
    assert quiet.objective == loaded.objective


def test_a_tiny_time_limit_is_recorded_as_a_cut():
    problem = random_problem(3)
    result = run(problem, RoutingOptions(time_limit_s=1e-6))
    assert result.cut_by_time_limit
    assert result.stopped_by == "time limit"
    assert not run(problem).cut_by_time_limit


def test_fallback_strategy_is_recorded():
    problem = random_problem(4, n=10)
    # SWEEP needs node coordinates, which a matrix-only model lacks, so it finds nothing.
    result = run(problem, replace(FAST, first_solution="SWEEP"))
    assert not result.strategy_used.startswith("SWEEP")
    assert result.status == "complete"


def test_metaheuristic_follows_binding_windows_and_balance():
    points = ring(8)
    vehicles = [Vehicle(f"v{k}", 100, 0, shift_start_s=6 * HOUR, shift_end_s=18 * HOUR) for k in range(2)]

    def used(stops, **options) -> str:
        return run(problem_on(points, [Depot("D", 0)], stops, vehicles), replace(FAST, **options)).strategy_used

    # A window equal to the working day binds no more than the shifts.
    day = [Stop(f"s{i}", i, 10.0, tw_start_s=6 * HOUR, tw_end_s=18 * HOUR) for i in range(1, 9)]
    narrow = [replace(day[0], tw_start_s=9 * HOUR, tw_end_s=10 * HOUR), *day[1:]]
    assert used(day) == "PARALLEL_SAVINGS + ruin_recreate"
    assert used(narrow) == "PARALLEL_CHEAPEST_INSERTION + guided_local_search"
    assert used(day, balance=True).endswith("guided_local_search")
    assert used(narrow, metaheuristic="ruin_recreate").endswith("ruin_recreate")


def test_fractional_matrices_are_rounded_safely():
    points = ring(5, radius=1234.567)
    stops = [Stop(f"s{i}", i, 1.5, tw_start_s=0, tw_end_s=HOUR, service_s=7) for i in range(1, 6)]
    result = run(problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 10, 0)], speed_m_s=7.3))
    assert result.status == "complete"


def test_nothing_to_deliver():
    result = run(problem_on(ring(1), [Depot("D", 0)], [Stop("s", 1, 0.0)], [Vehicle("v", 10, 0)]))
    assert result.trips == [] and result.unserved == [] and result.status == "complete"
    assert result.stopped_by == "nothing to search" and not result.cut_by_time_limit


def test_invalid_problem_lists_every_fault():
    points = ring(1)
    problem = problem_on(points, [Depot("D", 0)], [Stop("s", 5, 1.0, tw_start_s=10, tw_end_s=5)],
                         [Vehicle("v", 10, 3, profile="boat")])
    with pytest.raises(InputError) as error:
        solve(problem, RoutingOptions(metaheuristic="tabu"))
    fields = {p.field for p in error.value.problems}
    assert {"stops[0].location", "stops[0].tw_start_s", "vehicles[0].depot", "time_s[boat]",
            "options.metaheuristic"} <= fields


# --- the checker itself ---------------------------------------------------------------------------------------


def test_checker_catches_violations():
    problem = random_problem(3, n=8)
    result = run(problem)
    trip = result.trips[0]
    heavy = replace(trip, visits=(replace(trip.visits[0], quantity_kg=5000.0),) + trip.visits[1:])
    early = replace(trip, visits=(replace(trip.visits[0], arrival_s=trip.start_s),) + trip.visits[1:])
    for broken in (heavy, early):
        assert check_plan(problem, replace(result, trips=[broken, *result.trips[1:]]))
    assert check_plan(problem, replace(result, trips=result.trips[1:]))  # quantities no longer add up


# --- random instances stay feasible ------------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A single visit once sent OR-Tools' ruin-and-recreate into a loop past every limit.
@example(seed=4756, n=1, trips=1, capacity=1000.0, metaheuristic="ruin_recreate")
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 12),
    trips=st.integers(1, 3),
    capacity=st.sampled_from([50.0, 200.0, 1000.0]),
    metaheuristic=st.sampled_from(["ruin_recreate", "guided_local_search"]),
)
def test_random_plans_pass_the_checker(seed, n, trips, capacity, metaheuristic):
    rng = np.random.default_rng(seed)
    points = [(0.0, 0.0), (8000.0, 8000.0)] + [tuple(p) for p in rng.uniform(0, 10_000, size=(n, 2))]
    dist, time_s = euclid(points)
    bike_time = time_s * 0.8
    blocked = rng.random(dist.shape) < 0.05
    np.fill_diagonal(blocked, False)
    stops = [
        Stop(f"s{i}", i + 2, float(rng.uniform(1, 400)), bags=int(rng.integers(0, 20)),
             tw_start_s=int(rng.integers(6, 14)) * HOUR, tw_end_s=int(rng.integers(14, 20)) * HOUR,
             service_s=int(rng.integers(0, 600)), service_s_per_kg=float(rng.uniform(0, 2)),
             priority=int(rng.integers(0, 4)), depot=int(rng.integers(0, 2)) if rng.random() < 0.8 else None,
             allowed_profiles=frozenset({"motorbike"}) if rng.random() < 0.2 else None)
        for i in range(n)
    ]
    vehicles = [
        Vehicle("t0", capacity, 0, shift_start_s=6 * HOUR, shift_end_s=19 * HOUR, max_trips=trips,
                capacity_bags=30, cost_per_km=1.0, cost_per_hour=5.0, fixed_cost=20.0),
        Vehicle("t1", capacity / 2, 1, shift_start_s=7 * HOUR, shift_end_s=17 * HOUR, max_trips=trips,
                max_duration_s=6 * HOUR),
        Vehicle("b0", 40.0, 1, profile="motorbike", shift_start_s=6 * HOUR, shift_end_s=19 * HOUR, max_trips=2),
    ]
    depots = [Depot("D0", 0, open_s=6 * HOUR, close_s=18 * HOUR, load_time_s=600), Depot("D1", 1, load_time_s=300)]
    problem = RoutingProblem(
        depots, stops, vehicles,
        {"truck": np.where(blocked, np.inf, time_s), "motorbike": bike_time},
        {"truck": np.where(blocked, np.inf, dist), "motorbike": dist},
    )
    cross = bool(rng.random() < 0.3)
    options = RoutingOptions(
        time_limit_s=2, solution_limit=50, cross_depot=cross, seed=seed % 3, metaheuristic=metaheuristic
    )
    result = solve(problem, options)
    assert check_plan(problem, result, cross_depot=cross) == []
