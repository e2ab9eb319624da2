"""The PyVRP engine on the small instances of ``test_routing``: every plan goes through the independent checker."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from checker import check_plan
from test_routing import HOUR, euclid, fleet_problem, problem_on, reasons, ring, two_depot_problem, visited

from optimizer.errors import InputError
from optimizer.solve.routing import Depot, RoutingOptions, RoutingProblem, RoutingResult, Stop, Vehicle, solve

#: Small deterministic budget (iterations per priority level).
PYVRP = RoutingOptions(time_limit_s=20, solution_limit=300, engine="pyvrp")


def run(problem: RoutingProblem, options: RoutingOptions = PYVRP, *, cross_depot: bool = False) -> RoutingResult:
    """Solve with PyVRP and assert the independent checker finds nothing wrong."""
    result = solve(problem, options)
    assert check_plan(problem, result, cross_depot=cross_depot) == []
    assert result.strategy_used == "pyvrp iterated local search"
    return result


def test_single_vehicle_finds_the_brute_force_optimum():
    rng = np.random.default_rng(7)
    points = [(5000.0, 5000.0)] + [tuple(p) for p in rng.uniform(0, 10_000, size=(6, 2))]
    dist, _ = euclid(points)
    stops = [Stop(f"s{i}", i, 10.0) for i in range(1, 7)]
    best = min(
        dist[0, p[0]] + sum(dist[a, b] for a, b in zip(p, p[1:])) + dist[p[-1], 0]
        for p in itertools.permutations(range(1, 7))
    )
    result = run(problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 100, 0)]))
    assert result.status == "complete"
    assert result.objective == pytest.approx(best / 1000, rel=1e-9)


def test_capacity_and_bags_limit_each_trip():
    stops = [Stop(f"s{i}", i, 60.0) for i in range(1, 7)]
    result = run(problem_on(ring(6), [Depot("D", 0)], stops, [Vehicle(f"v{k}", 130, 0) for k in range(3)]))
    assert result.status == "complete" and all(t.load_kg <= 130 for t in result.trips)
    stops = [Stop(f"s{i}", i, 40.0, bags=30) for i in range(1, 5)]
    vehicles = [Vehicle(f"v{k}", 1000, 0, capacity_bags=60) for k in range(2)]
    result = run(problem_on(ring(4), [Depot("D", 0)], stops, vehicles))
    assert result.status == "complete"
    assert sorted(len(t.visits) for t in result.trips) == [2, 2]
    bags_only = [Stop("kits", 1, 0.0, bags=40), Stop("food", 2, 10.0, bags=40)]
    result = run(problem_on(ring(2), [Depot("D", 0)], bags_only, vehicles))
    assert result.status == "complete" and len(result.trips) == 2


def test_reloads_make_trips_within_the_limit():
    depot = Depot("D", 0, load_time_s=900)
    problem = problem_on(ring(1), [depot], [Stop("camp", 1, 3000.0, service_s=600)], [Vehicle("truck", 1000, 0, max_trips=3)])
    result = run(problem)
    assert [t.trip for t in result.trips] == [1, 2, 3]
    assert [t.load_kg for t in result.trips] == pytest.approx([1000.0] * 3)
    for before, after in zip(result.trips, result.trips[1:]):
        assert after.load_start_s >= before.end_s and after.start_s - after.load_start_s >= 900
    fewer = replace(problem, vehicles=[Vehicle("truck", 1000, 0, max_trips=2)])
    result = run(fewer)
    assert len(result.trips) == 2
    assert result.unserved == [("camp", pytest.approx(1000.0), "no capacity")]


def test_depot_hours_load_time_and_shift():
    stops = [Stop(f"s{i}", i, 30.0, service_s=300) for i in range(1, 5)]
    depot = Depot("D", 0, open_s=8 * HOUR, close_s=12 * HOUR, load_time_s=1800)
    vehicles = [Vehicle("v", 60, 0, shift_start_s=6 * HOUR, shift_end_s=11 * HOUR, max_trips=2)]
    result = run(problem_on(ring(4), [depot], stops, vehicles))
    assert len(result.trips) == 2 and result.status == "complete"
    assert result.trips[0].load_start_s >= 8 * HOUR and result.trips[-1].end_s <= 11 * HOUR


def test_time_windows_and_curfew():
    points = [(0.0, 0.0), (1000.0, 0.0), (2000.0, 0.0), (300_000.0, 0.0), (5000.0, 0.0)]
    stops = [
        Stop("near", 1, 1.0, tw_start_s=10 * HOUR, tw_end_s=11 * HOUR),
        Stop("far", 2, 1.0, tw_start_s=8 * HOUR, tw_end_s=9 * HOUR),
        Stop("too far", 3, 1.0),
        Stop("night", 4, 1.0, tw_start_s=20 * HOUR, tw_end_s=22 * HOUR),
    ]
    vehicles = [Vehicle("v", 10, 0, shift_start_s=6 * HOUR, shift_end_s=19 * HOUR)]
    result = run(problem_on(points, [Depot("D", 0)], stops, vehicles))
    assert visited(result) == {"v": ["far", "near"]}
    assert reasons(result) == {"too far": "outside shift", "night": "time window"}


def test_max_duration_splits_work():
    stops = [Stop(f"s{i}", i, 1.0) for i in range(1, 5)]
    vehicles = [Vehicle(f"v{k}", 100, 0, max_duration_s=3 * HOUR) for k in range(4)]
    result = run(problem_on(ring(4, radius=18_000), [Depot("D", 0)], stops, vehicles))
    assert result.status == "complete" and result.stats.vehicles_used >= 2


def test_profiles_zones_and_depots():
    vehicles = [Vehicle("truck", 500, 0), Vehicle("bike", 50, 0, profile="motorbike", cost_per_km=5.0)]
    result = run(fleet_problem(vehicles=vehicles))
    assert visited(result) == {"truck": ["road"], "bike": ["alley"]}
    result = run(fleet_problem(vehicles=vehicles, allowed=frozenset({"motorbike"})))
    assert visited(result) == {"bike": ["road", "alley"]} or visited(result) == {"bike": ["alley", "road"]}
    routes = visited(run(two_depot_problem()))
    assert sorted(routes["vw"]) == ["w1", "w2"] and sorted(routes["ve"]) == ["e1", "e2"]


def test_reach_keeps_far_stops_for_vehicles_that_may_go():
    points = ring(4, radius=2000) + [(20_000.0, 0.0)]
    stops = [Stop(f"s{i}", i, 10.0) for i in range(1, 6)]
    # The cheap local vehicle may not go beyond 5 km; the dear one may.
    vehicles = [Vehicle("local", 100, 0, max_reach_m=5000), Vehicle("long", 100, 0, cost_per_km=10.0)]
    result = run(problem_on(points, [Depot("D", 0)], stops, vehicles))
    assert result.status == "complete"
    assert "s5" in visited(result)["long"] and "s5" not in visited(result).get("local", [])
    alone = run(problem_on(points, [Depot("D", 0)], stops, vehicles[:1]))
    assert reasons(alone) == {"s5": "out of reach"}


def test_higher_priority_is_never_dropped_for_a_lower_one():
    points = [(0.0, 0.0), (1000.0, 0.0), (0.0, 1000.0), (30_000.0, 0.0), (0.0, -30_000.0)]
    stops = [
        Stop("green1", 1, 50.0, priority=0),
        Stop("green2", 2, 50.0, priority=0),
        Stop("red", 3, 60.0, priority=3),
        Stop("orange", 4, 40.0, priority=2),
    ]
    result = run(problem_on(points, [Depot("D", 0)], stops, [Vehicle("v", 100, 0)]))
    assert sorted(visited(result)["v"]) == ["orange", "red"]
    assert reasons(result) == {"green1": "no capacity", "green2": "no capacity"}


def random_problem(seed: int, n: int = 12) -> RoutingProblem:
    """Two depots, trucks and a motorbike, windows, bags, priorities, zones and gaps in the truck matrix."""
    rng = np.random.default_rng(seed)
    points = [(0.0, 0.0), (8000.0, 8000.0)] + [tuple(p) for p in rng.uniform(0, 10_000, size=(n, 2))]
    dist, time_s = euclid(points)
    blocked = rng.random(dist.shape) < 0.05
    np.fill_diagonal(blocked, False)
    stops = [
        Stop(f"s{i}", i + 2, float(rng.uniform(1, 400)), bags=int(rng.integers(0, 20)),
             tw_start_s=int(rng.integers(6, 14)) * HOUR, tw_end_s=int(rng.integers(14, 20)) * HOUR,
             service_s=int(rng.integers(0, 600)), service_s_per_kg=float(rng.uniform(0, 2)),
             priority=int(rng.integers(0, 4)), depot=int(rng.integers(0, 2)),
             allowed_profiles=frozenset({"motorbike"}) if rng.random() < 0.2 else None)
        for i in range(n)
    ]
    vehicles = [
        Vehicle("t0", 200.0, 0, shift_start_s=6 * HOUR, shift_end_s=19 * HOUR, max_trips=3, capacity_bags=30,
                cost_per_km=1.0, cost_per_hour=5.0, fixed_cost=20.0),
        Vehicle("t1", 100.0, 1, shift_start_s=7 * HOUR, shift_end_s=17 * HOUR, max_trips=2, max_duration_s=6 * HOUR),
        Vehicle("b0", 40.0, 1, profile="motorbike", shift_start_s=6 * HOUR, shift_end_s=19 * HOUR, max_trips=2,
                max_reach_m=9000),
    ]
    depots = [Depot("D0", 0, open_s=6 * HOUR, close_s=18 * HOUR, load_time_s=600), Depot("D1", 1, load_time_s=300)]
    return RoutingProblem(
        depots, stops, vehicles,
        {"truck": np.where(blocked, np.inf, time_s), "motorbike": time_s * 0.8},
        {"truck": np.where(blocked, np.inf, dist), "motorbike": dist},
    )


@pytest.mark.parametrize("seed", range(4))
def test_random_plans_pass_the_checker_and_repeat(seed):
    problem = random_problem(seed)
    options = replace(PYVRP, seed=seed)
    first = run(problem, options)
    again = solve(problem, options)
    assert (again.trips, again.unserved) == (first.trips, first.unserved)


def test_same_plan_with_either_engine_on_a_trivial_problem():
    problem = problem_on(ring(2), [Depot("D", 0)], [Stop("a", 1, 5.0), Stop("b", 2, 5.0)], [Vehicle("v", 10, 0)])
    pyvrp = run(problem)
    ortools = solve(problem, replace(PYVRP, engine="ortools"))
    assert pyvrp.objective == pytest.approx(ortools.objective)


def test_unknown_engine_is_an_input_error():
    problem = problem_on(ring(1), [Depot("D", 0)], [Stop("a", 1, 5.0)], [Vehicle("v", 10, 0)])
    with pytest.raises(InputError, match="engine"):
        solve(problem, RoutingOptions(engine="gurobi"))
