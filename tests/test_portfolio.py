"""Sub-problems searched in other processes or on Dask give the serial plan; the portfolio keeps, per
sub-problem, the better checked routes of the two engines; the guard catches broken routes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from checker import check_plan
from distributed import LocalCluster
from plan_scenarios import small_scenario
from test_routing import HOUR, problem_on

from optimizer.errors import InputError
from optimizer.outputs.report import plan_to_json
from optimizer.plan import PlanOptions, run_plan
from optimizer.solve.routing import Depot, RoutingOptions, RoutingProblem, RoutingResult, Stop, Vehicle, solve
from optimizer.solve.routing.model import Route, make_chunks, sub_problems
from optimizer.solve.routing.portfolio import restrict, route_faults
from optimizer.solve.routing.split import split_large

#: Deterministic budgets small enough for a test, large enough for the engines to differ.
BUDGET = {"ortools": 300, "pyvrp": 400}


def three_depots(seed: int = 3) -> RoutingProblem:
    """Three depots on a 20 km square with 45 stops of mixed priority and windows, a mixed fleet too small
    for everything: the engines must choose what to drop."""
    rng = np.random.default_rng(seed)
    points = [(4000.0, 4000.0), (16000.0, 5000.0), (10000.0, 16000.0)]
    points += [tuple(p) for p in rng.uniform(0, 20000, size=(45, 2))]
    depots = [Depot(f"D{d}", d, open_s=6 * HOUR, close_s=20 * HOUR, load_time_s=600) for d in range(3)]
    stops = []
    for k in range(45):
        late = 11 * HOUR if k % 9 == 0 else 19 * HOUR
        stops.append(Stop(f"s{k}", 3 + k, float(rng.integers(80, 700)), priority=int(rng.integers(0, 4)),
                          depot=k % 3, service_s=300, tw_start_s=7 * HOUR, tw_end_s=late))
    vehicles = [Vehicle(f"v{d}{k}", 1500.0 if k else 2500.0, d, shift_start_s=6 * HOUR, shift_end_s=13 * HOUR,
                        max_trips=2, cost_per_hour=50.0, fixed_cost=100.0) for d in range(3) for k in range(2)]
    return problem_on(points, depots, stops, vehicles)


def plan(problem: RoutingProblem, engine: str, **options) -> RoutingResult:
    limit = options.pop("solution_limit", BUDGET.get(engine, 300))
    result = solve(problem, RoutingOptions(time_limit_s=120, engine=engine, solution_limit=limit, **options))
    assert check_plan(problem, result) == []
    assert not result.cut_by_time_limit
    return result


def routes_of(result: RoutingResult) -> list[tuple]:
    return [(t.vehicle_id, t.trip, tuple((v.stop_id, round(v.quantity_kg, 6)) for v in t.visits))
            for t in result.trips]


@pytest.fixture(scope="module")
def problem() -> RoutingProblem:
    return three_depots()


@pytest.fixture(scope="module")
def alone(problem) -> dict[str, RoutingResult]:
    return {engine: plan(problem, engine) for engine in ("ortools", "pyvrp")}


def test_portfolio_keeps_the_better_engine_of_every_sub_problem(problem, alone):
    both = plan(problem, "portfolio", solution_limit=None)
    assert len(both.engines) == 3
    for choice in both.engines:
        assert set(choice.candidates) == {"ortools", "pyvrp"} and choice.reason
        figures = choice.candidates
        best = min(figures, key=lambda e: (figures[e]["dropped_weight"], figures[e]["cost"], e != "ortools"))
        assert choice.engine == best
        # The kept routes are exactly that engine's own routes of the depot, as when it runs alone.
        depot_of = {v.id: problem.depots[v.depot].id for v in problem.vehicles}
        mine = [r for r in routes_of(both) if depot_of[r[0]] == choice.depots]
        assert mine == [r for r in routes_of(alone[choice.engine]) if depot_of[r[0]] == choice.depots]
    # Never worse than either engine alone: per depot no more dropped weight.
    for engine in alone:
        for choice in both.engines:
            assert choice.candidates[choice.engine]["dropped_weight"] <= choice.candidates[engine]["dropped_weight"]


def test_engines_differ_on_this_instance(alone):
    # Otherwise the portfolio test above would prove little.
    assert routes_of(alone["ortools"]) != routes_of(alone["pyvrp"])


def test_processes_give_the_serial_plan(problem, alone):
    for engine in ("ortools", "pyvrp"):
        assert routes_of(plan(problem, engine, workers=2)) == routes_of(alone[engine])
    serial = plan(problem, "portfolio", solution_limit=None)
    assert routes_of(plan(problem, "portfolio", solution_limit=None, workers=2)) == routes_of(serial)


def test_dask_cluster_gives_the_serial_plan(problem, alone):
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = plan(problem, "ortools", dask_address=cluster.scheduler_address)
    assert routes_of(on_dask) == routes_of(alone["ortools"])


def test_balance_runs_or_tools_alone(problem):
    result = plan(problem, "portfolio", balance=True, solution_limit=200)
    assert {c.engine for c in result.engines} == {"ortools"}
    assert all("balance" in c.reason and set(c.candidates) == {"ortools"} for c in result.engines)


def test_restrict_keeps_only_the_sub_problem(problem):
    chunks = make_chunks(problem, False)
    (chunk_ids, vehicle_ids), *_ = sub_problems(problem, chunks, False, None)
    cut = restrict(problem, chunks, chunk_ids, vehicle_ids)
    assert [d.id for d in cut.problem.depots] == ["D0"]
    assert {s.id for s in cut.problem.stops} == {problem.stops[chunks[c].stop].id for c in chunk_ids}
    assert cut.problem.time_s["truck"].shape == (1 + len(cut.problem.stops),) * 2
    first = cut.problem.stops[0]
    day = next(s for s in problem.stops if s.id == first.id)
    assert cut.problem.dist_m["truck"][0, first.location] == problem.dist_m["truck"][0, day.location]


def test_guard_finds_overload_forbidden_vehicle_and_late_service(problem):
    chunks = make_chunks(problem, False)
    (chunk_ids, vehicle_ids), *_ = sub_problems(problem, chunks, False, None)
    cut = restrict(problem, chunks, chunk_ids, vehicle_ids)
    small = next(k for k, v in enumerate(cut.problem.vehicles) if v.capacity_kg == 1500.0)
    heavy = sorted(range(len(cut.chunks)), key=lambda c: -cut.chunks[c].kg)[:4]
    at = 8 * HOUR
    overloaded = Route(small, heavy, [at] + [at + 60 * k for k in range(1, 6)])
    assert any("carries" in f for f in route_faults(cut.problem, cut.chunks, overloaded))
    late = Route(small, heavy[:1], [at, 23 * HOUR, 23 * HOUR + 60])
    faults = route_faults(cut.problem, cut.chunks, late)
    assert any("window" in f for f in faults) and any("shift" in f for f in faults)
    forbidden = list(cut.chunks)
    forbidden[heavy[0]] = replace(forbidden[heavy[0]], vehicles=())
    assert any("may not serve" in f for f in route_faults(cut.problem, forbidden, late))


def test_workers_must_be_positive(problem):
    with pytest.raises(InputError, match="workers"):
        solve(problem, RoutingOptions(workers=0))


def test_a_large_depot_is_cut_into_parts_of_nearby_stops(problem):
    rng = np.random.default_rng(11)
    points = [(0.0, 0.0)] + [tuple(p) for p in rng.uniform(-20000, 20000, size=(700, 2))]
    stops = [Stop(f"s{k}", 1 + k, 100.0, priority=3 if k % 50 == 0 else 0,
                  allowed_profiles=frozenset({"truck"}) if k % 50 == 0 else None) for k in range(700)]
    vehicles = [Vehicle(f"t{k}", 2000.0, 0, max_trips=3) for k in range(12)]
    vehicles += [Vehicle(f"m{k}", 120.0, 0, profile="motorbike", max_trips=6) for k in range(8)]
    big = problem_on(points, [Depot("D", 0)], stops, vehicles)
    big = replace(big, time_s={**big.time_s, "motorbike": big.time_s["truck"]},
                  dist_m={**big.dist_m, "motorbike": big.dist_m["truck"]})
    chunks = make_chunks(big, False)
    groups = split_large(big, chunks, sub_problems(big, chunks, False, None), max_chunks=300)
    assert len(groups) >= 3 and all(150 <= len(c) <= 300 for c, _ in groups)
    assert sorted(c for part, _ in groups for c in part) == list(range(len(chunks)))
    fleets = [set(v) for _, v in groups]
    assert sum(map(len, fleets)) == len(vehicles) and set().union(*fleets) == set(range(len(vehicles)))
    for part, fleet in groups:  # trucks in every part (its red stops need them), parts of nearby stops
        assert any(big.vehicles[v].profile == "truck" for v in fleet)
        xy = np.array([points[big.stops[chunks[c].stop].location] for c in part])
        assert np.ptp(xy, axis=0).min() < 40000 * 0.9
    result = solve(big, RoutingOptions(solution_limit=100, time_limit_s=120))
    assert check_plan(big, result) == [] and result.stats.kg_delivered > 0.9 * 70000
    assert len(result.engines) == len(groups)


def test_a_day_planned_in_processes_is_the_serial_day_and_names_its_engines():
    day = small_scenario()
    serial = run_plan(day, options=PlanOptions(engine="portfolio", effort=0.5))
    parallel = run_plan(day, options=PlanOptions(engine="portfolio", effort=0.5, workers=2))
    pd.testing.assert_frame_equal(serial.routes, parallel.routes)
    pd.testing.assert_frame_equal(serial.unserved, parallel.unserved)
    rounds = plan_to_json(parallel)["kpis"]["routing"]["rounds"]
    choices = [c for r in rounds for c in r["engines"]]
    assert choices and all(c["engine"] in ("ortools", "pyvrp") and c["reason"] for c in choices)
    assert all(set(c["candidates"]) == {"ortools", "pyvrp"} for c in choices)
