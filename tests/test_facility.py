"""Tests of the capacitated facility-location solver (optimizer.solve.facility)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.errors import InputError
from optimizer.solve.facility import FacilityLocationResult, solve_facility_location

INF = np.inf

# Two depots (A=0, B=1), five points, one commodity. cost[i, j] = cost of serving all of i from j.
HAND_COST = np.array([[2.0, 10.0], [3.0, 6.0], [5.0, 1.0], [4.0, 8.0], [6.0, 2.0]])
HAND_DEMAND = np.array([[2.0], [3.0], [1.0], [4.0], [2.0]])
HAND_CAPACITY = np.array([[6.0], [6.0]])


def default_penalty(cost: np.ndarray) -> np.ndarray:
    return 10.0 * np.where(np.isfinite(cost), cost, 0.0).max(axis=1, initial=0.0) + 1.0


def recomputed_objective(r: FacilityLocationResult, cost, fixed=None, penalty=None) -> float:
    cost = np.asarray(cost, dtype=float)
    fixed = np.zeros(cost.shape[1]) if fixed is None else np.asarray(fixed, dtype=float)
    penalty = default_penalty(cost) if penalty is None else np.asarray(penalty, dtype=float)
    assigned = (np.where(r.flow > 0, cost, 0.0) * r.flow).sum()
    return float(assigned + fixed[r.open_depots].sum() + penalty @ (1.0 - r.flow.sum(axis=1)))


def check_invariants(r: FacilityLocationResult, cost, demand, capacity, *, groups=None, closed=(), max_open=None):
    """What must hold of every result, optimal or not."""
    demand = np.asarray(demand, dtype=float).reshape(len(cost), -1)
    capacity = np.asarray(capacity, dtype=float).reshape(cost.shape[1], -1)
    assert r.flow.shape == cost.shape
    assert (r.flow >= 0).all() and (r.flow.sum(axis=1) <= 1 + 1e-9).all()
    load = r.flow.T @ demand
    assert (load <= capacity * (1 + 1e-9) + 1e-9).all(), "stock exceeded"
    assert not r.flow[:, ~r.open_depots].any(), "a closed depot serves something"
    assert not r.flow[:, list(closed)].any() and not r.open_depots[list(closed)].any()
    assert not r.flow[~np.isfinite(cost)].any(), "flow on an unreachable arc"
    if max_open is not None:
        assert r.open_depots.sum() <= max_open
    unassigned = {i for i, _ in r.unassigned}
    for i in range(len(cost)):
        served = r.flow[i].sum()
        assert (served < 1 - 1e-7) == (i in unassigned)
        assert (r.depot_of_point[i] == -1) == (served == 0)
    assert all(isinstance(reason, str) and reason for _, reason in r.unassigned)
    if groups is not None:
        groups = np.asarray(groups)
        for g in np.unique(groups):
            rows = r.flow[groups == g]
            served = rows[rows.sum(axis=1) > 0]
            assert (served == served[0]).all() if len(served) else True, f"group {g} split"
    assert r.best_bound <= r.objective + 1e-9 * max(1.0, abs(r.objective))
    assert r.gap >= 0


# --- hand-checkable cases ------------------------------------------------------------------------


def test_hand_case_exact_assignment_and_objective():
    # A holds 6 kg, B 6 kg, demand 12 kg: each depot exactly full. The A-subsets of weight 6 are
    # {0,3} (6 + B: 6+1+2 = 15), {0,1,2} (10 + 10 = 20), {1,2,4} (14 + 18 = 32), {3,4} (10 + 17 = 27).
    r = solve_facility_location(HAND_COST, HAND_DEMAND, HAND_CAPACITY, time_limit_s=5)
    assert r.depot_of_point.tolist() == [0, 1, 1, 0, 1]
    assert r.objective == pytest.approx(15.0)
    assert r.best_bound == pytest.approx(15.0)
    assert r.status == "OPTIMAL" and r.gap == 0.0
    assert r.unassigned == []
    assert r.open_depots.tolist() == [True, True]
    check_invariants(r, HAND_COST, HAND_DEMAND, HAND_CAPACITY)

    best = min(
        sum(HAND_COST[i, j] for i, j in enumerate(a))
        for a in itertools.product(range(2), repeat=5)
        if all(sum(HAND_DEMAND[i, 0] for i in range(5) if a[i] == j) <= 6 for j in range(2))
    )
    assert best == 15.0


def test_splittable_matches_hand_lp():
    # Per kg: point 0 costs 1 at A, 3 at B; point 1 costs 1 at A, 2 at B. A (6 kg) takes all of
    # point 0 (saves 2/kg) and 2 kg of point 1; B takes the other 2 kg: 4 + 2 + 4 = 10.
    cost = np.array([[4.0, 12.0], [4.0, 8.0]])
    demand = np.array([4.0, 4.0])
    capacity = np.array([6.0, 6.0])
    r = solve_facility_location(cost, demand, capacity, splittable=True, time_limit_s=5)
    np.testing.assert_allclose(r.flow, [[1.0, 0.0], [0.5, 0.5]], atol=1e-9)
    assert r.objective == pytest.approx(10.0)
    assert r.best_bound == pytest.approx(10.0)
    assert r.status == "OPTIMAL" and r.unassigned == []
    assert r.depot_of_point[0] == 0
    # Single-source: point 0 -> A, point 1 -> B (12); both at A would need 8 kg.
    single = solve_facility_location(cost, demand, capacity, time_limit_s=5)
    assert single.depot_of_point.tolist() == [0, 1]
    assert single.objective == pytest.approx(12.0)


def test_closed_depot_receives_nothing():
    cost = np.vstack([HAND_COST, [1.0, INF]])  # point 5 reaches only A
    demand = np.vstack([HAND_DEMAND, [[1.0]]])
    r = solve_facility_location(cost, demand, HAND_CAPACITY, force_closed=[0], time_limit_s=5)
    check_invariants(r, cost, demand, HAND_CAPACITY, closed=[0])
    reasons = dict(r.unassigned)
    assert reasons[5] == "all reachable depots are closed"
    # B holds 6 kg: the default penalty (10 x max cost + 1) favours the points with the most
    # expensive rows, so the optimum is recomputable: enumerate the subsets that fit.
    pen = default_penalty(cost)
    best = min(
        (sum(cost[i, 1] for i in s) + sum(pen[i] for i in range(6) if i not in s), s)
        for k in range(6)
        for s in itertools.combinations(range(5), k)
        if sum(demand[i, 0] for i in s) <= 6
    )
    assert r.objective == pytest.approx(best[0])
    assert sorted(np.flatnonzero(r.depot_of_point == 1).tolist()) == list(best[1])
    for i in set(range(5)) - set(best[1]):
        assert reasons[i].startswith("not enough stock of commodity 0")


def test_max_open_respected_hand_case():
    # One depot may open, penalty 100 per unserved point. At most 3 points fit in 6 kg;
    # B with {1,2,4} costs 6+1+2 = 9 (+200), the best A set {0,1,2} costs 10 (+200).
    r = solve_facility_location(
        HAND_COST, HAND_DEMAND, HAND_CAPACITY, max_open=1, unassigned_penalty=np.full(5, 100.0), time_limit_s=5
    )
    assert r.open_depots.tolist() == [False, True]
    assert r.depot_of_point.tolist() == [-1, 1, 1, -1, 1]
    assert r.objective == pytest.approx(209.0)
    assert [i for i, _ in r.unassigned] == [0, 3]
    check_invariants(r, HAND_COST, HAND_DEMAND, HAND_CAPACITY, max_open=1)


def test_fixed_costs_and_force_open():
    fixed = np.array([100.0, 0.0])
    r = solve_facility_location(HAND_COST, HAND_DEMAND, HAND_CAPACITY * 2, fixed_cost=fixed, time_limit_s=5)
    assert r.open_depots.tolist() == [False, True]  # opening A costs more than it saves
    assert r.objective == pytest.approx(HAND_COST[:, 1].sum())
    forced = solve_facility_location(
        HAND_COST, HAND_DEMAND, HAND_CAPACITY * 2, fixed_cost=fixed, force_open=[0], time_limit_s=5
    )
    assert forced.open_depots.tolist() == [True, True]
    assert forced.objective == pytest.approx(100.0 + 2 + 3 + 1 + 4 + 2)


def test_ward_groups_never_split_and_oversized_group_is_reported():
    groups = np.array([7, 3, 7, 3, 9])  # group 3 = points 1, 3: 7 kg, more than any depot holds
    r = solve_facility_location(HAND_COST, HAND_DEMAND, HAND_CAPACITY, groups=groups, time_limit_s=5)
    check_invariants(r, HAND_COST, HAND_DEMAND, HAND_CAPACITY, groups=groups)
    assert r.depot_of_point.tolist() == [0, -1, 0, -1, 1]  # {0,2} -> A costs 7 < 11, 4 -> B
    reasons = dict(r.unassigned)
    assert set(reasons) == {1, 3}
    assert reasons[1] == reasons[3]
    assert reasons[1].startswith("not enough stock of commodity 0 at reachable depots (needs 7")


def test_group_uses_only_depots_all_members_reach():
    cost = HAND_COST.copy()
    cost[0, 0] = INF  # point 0 cannot reach A, so its group {0, 3} must go to B
    groups = np.array([0, 1, 2, 0, 4])
    r = solve_facility_location(cost, HAND_DEMAND, HAND_CAPACITY * 2, groups=groups, time_limit_s=5)
    assert r.depot_of_point[0] == r.depot_of_point[3] == 1
    check_invariants(r, cost, HAND_DEMAND, HAND_CAPACITY * 2, groups=groups)


def test_unreachable_and_short_stock_are_reported_rest_assigned():
    cost = np.vstack([HAND_COST, [INF, INF], [5.0, 5.0]])
    demand = np.vstack([HAND_DEMAND, [[1.0]], [[1.0]]])
    reachable = np.ones(cost.shape, dtype=bool)
    reachable[6] = False  # e.g. beyond the travel-time limit
    capacity = np.array([[4.0], [4.0]])  # 8 kg for 14 kg of demand
    r = solve_facility_location(cost, demand, capacity, reachable=reachable, time_limit_s=5)
    check_invariants(r, cost, demand, capacity)
    reasons = dict(r.unassigned)
    assert reasons[5] == "no depot within reach (no route)"
    assert reasons[6] == "no depot within reach (every depot beyond the reach limit)"
    stock = [i for i, why in reasons.items() if why.startswith("not enough stock")]
    assert stock and set(stock) | {5, 6} == set(reasons)
    assert (r.flow.T @ demand)[:, 0].sum() >= 7.0  # the stock is used, not abandoned
    assert r.objective == pytest.approx(recomputed_objective(r, cost))


def test_reason_names_the_short_commodity():
    cost = np.array([[1.0, 2.0], [1.0, 2.0]])
    demand = np.array([[10.0, 1.0], [10.0, 1.0]])  # rice, oil
    capacity = np.array([[50.0, 1.0], [50.0, 0.0]])
    r = solve_facility_location(cost, demand, capacity, commodity_names=["rice", "oil"], time_limit_s=5)
    assert len(r.unassigned) == 1
    assert "not enough stock of oil" in r.unassigned[0][1]


def test_zero_time_everything_unreachable():
    cost = np.full((3, 2), INF)
    r = solve_facility_location(cost, np.ones((3, 1)), np.ones((2, 1)), time_limit_s=1)
    assert r.depot_of_point.tolist() == [-1, -1, -1]
    assert r.status == "OPTIMAL" and len(r.unassigned) == 3
    assert r.objective == pytest.approx(3.0)  # default penalty of a row without finite cost is 1


# --- determinism -------------------------------------------------------------------------------


def random_instance(rng: np.random.Generator, n: int, m: int, c: int):
    pts, dep = rng.uniform(0, 10, (n, 2)), rng.uniform(0, 10, (m, 2))
    demand = rng.integers(1, 20, (n, c)).astype(float)
    cost = np.linalg.norm(pts[:, None] - dep[None], axis=2) * demand.sum(axis=1)[:, None]
    capacity = np.full((m, c), 0.9 * demand.sum(axis=0) / m * 1.5).round()
    return cost.round(2), demand, capacity


@pytest.mark.parametrize("kwargs", [{}, {"groups": np.arange(40) % 7}, {"splittable": True}])
def test_deterministic(kwargs):
    cost, demand, capacity = random_instance(np.random.default_rng(5), 40, 4, 2)
    runs = [
        solve_facility_location(cost, demand, capacity, fixed_cost=np.full(4, 500.0), seed=3, time_limit_s=20, **kwargs)
        for _ in range(2)
    ]
    a, b = runs
    assert a.status == b.status == "OPTIMAL"
    np.testing.assert_array_equal(a.flow, b.flow)
    np.testing.assert_array_equal(a.open_depots, b.open_depots)
    assert a.objective == b.objective and a.unassigned == b.unassigned
    check_invariants(a, cost, demand, capacity, groups=kwargs.get("groups"))
    assert a.objective == pytest.approx(recomputed_objective(a, cost, np.full(4, 500.0)), rel=1e-12)


@pytest.mark.parametrize("splittable", [False, True])
def test_time_limit_cut_still_gives_a_valid_plan(splittable):
    # Whatever the solver manages in 10 ms (maybe nothing: then the greedy start), the plan holds.
    cost, demand, capacity = random_instance(np.random.default_rng(11), 300, 6, 2)
    r = solve_facility_location(cost, demand, capacity, splittable=splittable, time_limit_s=0.01)
    assert r.status in {"OPTIMAL", "FEASIBLE", "NOT_SOLVED"}
    check_invariants(r, cost, demand, capacity)
    assert r.objective == pytest.approx(recomputed_objective(r, cost), rel=1e-12)


# --- input checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"demand": np.ones((4, 1))}, "demand has 4 rows"),
        ({"capacity": np.ones((3, 1))}, "capacity has 3 rows"),
        ({"capacity": np.ones((2, 2))}, "commodities"),
        ({"demand": -HAND_DEMAND}, "demand must be"),
        ({"capacity": -HAND_CAPACITY}, "capacity must be"),
        ({"fixed_cost": np.ones(3)}, "fixed_cost"),
        ({"groups": np.zeros(4)}, "groups"),
        ({"reachable": np.ones((5, 3), dtype=bool)}, "reachable"),
        ({"force_open": [0], "force_closed": [0]}, "both forced"),
        ({"force_open": [2]}, "force_open"),
        ({"max_open": -1}, "max_open"),
    ],
)
def test_input_errors(change, message):
    args = {"cost": HAND_COST, "demand": HAND_DEMAND, "capacity": HAND_CAPACITY, **change}
    with pytest.raises(InputError, match=message):
        solve_facility_location(args.pop("cost"), args.pop("demand"), args.pop("capacity"), **args)


# --- property test -----------------------------------------------------------------------------


@st.composite
def small_instances(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 3))
    c = draw(st.integers(1, 2))
    ints = lambda lo, hi, size: np.array(draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)), float)  # noqa: E731
    cost = ints(0, 30, n * m).reshape(n, m)
    cost[ints(0, 5, n * m).reshape(n, m) == 0] = INF
    demand = ints(0, 6, n * c).reshape(n, c)
    capacity = ints(0, 12, m * c).reshape(m, c)
    kwargs = {}
    if draw(st.booleans()):
        kwargs["fixed_cost"] = ints(0, 40, m)
    if draw(st.booleans()):
        kwargs["max_open"] = draw(st.integers(0, m))
    if draw(st.booleans()):
        kwargs["force_closed"] = [draw(st.integers(0, m - 1))]
    if draw(st.booleans()):
        kwargs["groups"] = ints(0, 2, n)
    if draw(st.booleans()):
        kwargs["unassigned_penalty"] = ints(0, 200, n)
    kwargs["splittable"] = draw(st.booleans())
    return cost, demand, capacity, kwargs


def brute_force(cost, demand, capacity, fixed=None, max_open=None, closed=(), groups=None, penalty=None):
    """Single-source optimum by enumerating every unit -> depot-or-nothing choice."""
    n, m = cost.shape
    fixed = np.zeros(m) if fixed is None else fixed
    penalty = default_penalty(cost) if penalty is None else penalty
    # A point that can use no depot at all is left out of its group (documented behaviour).
    open_able = np.isfinite(cost) & ~np.isin(np.arange(m), closed)[None, :]
    alone = np.arange(n) if groups is None else groups
    units = [[i for i in np.flatnonzero(alone == g) if open_able[i].any()] for g in np.unique(alone)]
    units = [u for u in units if u]
    best = INF
    for choice in itertools.product(range(-1, m), repeat=len(units)):
        flow = np.zeros((n, m))
        for u, j in zip(units, choice):
            if j >= 0:
                if j in closed or not np.isfinite(cost[u, j]).all():
                    break
                flow[u, j] = 1.0
        else:
            if ((flow.T @ demand) > capacity).any():
                continue
            used = flow.sum(axis=0) > 0
            if max_open is not None and used.sum() > max_open:
                continue
            value = (np.where(flow > 0, cost, 0) * flow).sum() + fixed[used].sum() + penalty @ (1 - flow.sum(axis=1))
            best = min(best, value)
    return best


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_property_random_small_instances(instance):
    cost, demand, capacity, kwargs = instance
    r = solve_facility_location(cost, demand, capacity, time_limit_s=10, **kwargs)
    check_invariants(
        r, cost, demand, capacity,
        groups=kwargs.get("groups"), closed=kwargs.get("force_closed", ()), max_open=kwargs.get("max_open"),
    )
    assert r.status == "OPTIMAL"
    objective = recomputed_objective(r, cost, kwargs.get("fixed_cost"), kwargs.get("unassigned_penalty"))
    assert r.objective == pytest.approx(objective, rel=1e-9, abs=1e-9)
    if not kwargs["splittable"]:
        assert set(np.unique(r.flow)) <= {0.0, 1.0}
        best = brute_force(
            cost, demand, capacity, kwargs.get("fixed_cost"), kwargs.get("max_open"),
            kwargs.get("force_closed", ()), kwargs.get("groups"), kwargs.get("unassigned_penalty"),
        )
        assert r.objective == pytest.approx(best, rel=1e-9, abs=1e-9)


# --- heuristic start (issue 14: facility location that always answers) -------------------------

#: A time limit no solver can use: the call returns the heuristic's plan.
NO_TIME = 1e-9


def constrained_instance(seed: int, n: int = 120, m: int = 8):
    """Random instance with fixed costs, reach limits, tight stock of two commodities and ward groups."""
    rng = np.random.default_rng(seed)
    cost, demand, capacity = random_instance(rng, n, m, 2)
    cost[rng.random(cost.shape) < 0.2] = INF
    return cost, demand, capacity, {
        "fixed_cost": rng.uniform(100, 2000, m).round(),
        "reachable": rng.random(cost.shape) > 0.05,
        "unassigned_penalty": rng.uniform(50, 500, n).round(),
    }


HEURISTIC_VARIANTS = [
    {},
    {"max_open": 3},
    {"force_open": [1, 6], "force_closed": [0, 2]},
    {"groups": "wards", "max_open": 5, "force_closed": [3]},
    {"splittable": True, "max_open": 4, "force_open": [5]},
    {"splittable": True, "groups": "wards"},
]


def _kwargs(variant: dict, n: int) -> dict:
    return {**variant, "groups": np.arange(n) % 13} if variant.get("groups") == "wards" else dict(variant)


@pytest.mark.parametrize("variant", HEURISTIC_VARIANTS)
@pytest.mark.parametrize("seed", [1, 2])
def test_heuristic_alone_is_feasible_and_respects_every_rule(seed, variant):
    cost, demand, capacity, base = constrained_instance(seed)
    kwargs = {**base, **_kwargs(variant, len(cost))}
    r = solve_facility_location(cost, demand, capacity, time_limit_s=NO_TIME, **kwargs)
    assert r.backend.endswith("+heuristic") and r.status == "FEASIBLE"
    check_invariants(
        r, cost, demand, capacity, groups=kwargs.get("groups"), closed=kwargs.get("force_closed", ()),
        max_open=kwargs.get("max_open"),
    )
    assert r.open_depots[list(kwargs.get("force_open", []))].all()
    assert not r.flow[~base["reachable"]].any(), "flow outside the reach mask"
    assert r.open_depots.any() and len(r.unassigned) < len(cost), "the heuristic served nothing"
    assert r.objective == pytest.approx(
        recomputed_objective(r, cost, kwargs["fixed_cost"], kwargs["unassigned_penalty"]), rel=1e-12
    )
    if not kwargs.get("splittable"):
        assert set(np.unique(r.flow)) <= {0.0, 1.0}


@pytest.mark.parametrize("variant", HEURISTIC_VARIANTS[:5])
def test_result_never_worse_than_heuristic(variant):
    cost, demand, capacity, base = constrained_instance(3, n=30, m=8)
    kwargs = {**base, **_kwargs(variant, len(cost))}
    heur = solve_facility_location(cost, demand, capacity, time_limit_s=NO_TIME, **kwargs)
    full = solve_facility_location(cost, demand, capacity, time_limit_s=20, node_limit=20, **kwargs)
    assert full.objective <= heur.objective * (1 + 1e-12)
    check_invariants(full, cost, demand, capacity, groups=kwargs.get("groups"), max_open=kwargs.get("max_open"))


def test_heuristic_deterministic():
    cost, demand, capacity, base = constrained_instance(4)
    a, b = (solve_facility_location(cost, demand, capacity, time_limit_s=NO_TIME, max_open=4, **base) for _ in range(2))
    np.testing.assert_array_equal(a.flow, b.flow)
    np.testing.assert_array_equal(a.open_depots, b.open_depots)


@pytest.mark.parametrize("splittable", [False, True])
def test_tiny_time_limit_still_opens_and_serves(splittable):
    # Whatever the limit cuts, the answer is at least the heuristic's: depots open, points served.
    cost, demand, capacity = random_instance(np.random.default_rng(11), 400, 10, 2)
    fixed = np.full(10, 50_000.0)
    r = solve_facility_location(cost, demand, capacity, fixed_cost=fixed, splittable=splittable, time_limit_s=0.01)
    check_invariants(r, cost, demand, capacity)
    assert r.open_depots.any() and len(r.unassigned) < len(cost) / 2
    assert r.status in {"OPTIMAL", "FEASIBLE"}
