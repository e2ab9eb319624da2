"""Hot meals for quarantine camps: which kitchen cooks for which camp, and each kitchen van's run per meal.

A pure solver on plain data (:class:`MealProblem`: kitchens, camps and the travel times between them) giving a
:class:`MealResult`. Two steps:

1. **Shares.** Each camp's headcount is cooked by the nearest kitchens that reach it within their longest ride
   time, as far as each kitchen's meals per service go (the camps with the fewest kitchens in reach first,
   then the largest). The share stays the same for every meal of the day: a camp keeps its caterers. A share
   is cut into full van loads and small pieces of the rest (:func:`van_loads`), which vans may pack together.
2. **Runs.** For every meal of the day (breakfast, lunch, dinner) and kitchen, a small vehicle-routing problem
   with time windows is solved with OR-Tools: the kitchen's vans, each leaving once per meal with at most
   its capacity, hand the meals over at the camp gates within the meal's window and within the ride time
   from leaving the kitchen (a route's span, the return drive excluded). A van's pieces for one camp are one
   hand-over. A van is free for the next meal once back at its kitchen.

The search is a cheapest-insertion construction followed by local search to a local optimum: it stops by
itself, so the outcome does not depend on the machine's speed; the time limit is only a safety cap, and a
result cut by it says so. Meals that cannot be delivered are listed with the limit that stopped them
(:data:`optimizer.solve.reasons.MEAL_REASONS`).
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from optimizer.clock import DAY_S
from optimizer.scenario.model import Camp, Kitchen

__all__ = ["MealProblem", "MealDrop", "MealRun", "MealShort", "MealResult", "plan_meals", "kitchen_shares", "van_loads"]

#: Cost of leaving one meal undelivered, far above any ride time (seconds), so meals are dropped only when
#: no van can take them.
_DROP_PENALTY = 10**7
_DONE = (routing_enums_pb2.RoutingSearchStatus.ROUTING_SUCCESS, routing_enums_pb2.RoutingSearchStatus.ROUTING_OPTIMAL)


@dataclass(frozen=True)
class MealProblem:
    """Kitchens, camps and the road between them.

    ``time_s`` and ``dist_m`` are square matrices over the kitchens then the camps (``inf``: no road).
    """

    kitchens: tuple[Kitchen, ...]
    camps: tuple[Camp, ...]
    time_s: np.ndarray
    dist_m: np.ndarray

    def travel_s(self, kitchen: int, camp: int) -> float:
        """Drive from kitchen ``kitchen`` to camp ``camp`` (indices in the tuples)."""
        return float(self.time_s[kitchen, len(self.kitchens) + camp])


@dataclass(frozen=True)
class MealDrop:
    """Meals handed over at a camp gate: ``arrival_s`` (the hand-over starts), ``ride_s`` since leaving."""

    camp_id: str
    meals: int
    arrival_s: int
    ride_s: int
    leg_s: int
    leg_m: float


@dataclass(frozen=True)
class MealRun:
    """One van's run for one meal (``meal`` counts from 1): load, leave, drops in order, back at the kitchen."""

    kitchen_id: str
    van_id: str
    meal: int
    load_s: int
    depart_s: int
    return_s: int
    drops: tuple[MealDrop, ...]
    return_m: float

    @property
    def meals(self) -> int:
        """Meals on board when leaving."""
        return sum(d.meals for d in self.drops)


@dataclass(frozen=True)
class MealShort:
    """Meals of a camp's meal (from 1) not delivered, with a code of :data:`~optimizer.solve.reasons.MEAL_REASONS`."""

    camp_id: str
    meal: int
    meals: int
    reason_code: str


@dataclass
class MealResult:
    """The day's meal runs, what could not be delivered, and each camp's share per kitchen."""

    problem: MealProblem
    runs: list[MealRun] = field(default_factory=list)
    short: list[MealShort] = field(default_factory=list)
    shares: dict[str, dict[str, int]] = field(default_factory=dict)
    cut_by_time_limit: bool = False

    @property
    def meals_needed(self) -> int:
        """Headcount × meals of every camp."""
        return sum(c.headcount * len(c.meal_windows_s) for c in self.problem.camps)

    @property
    def meals_delivered(self) -> int:
        return sum(r.meals for r in self.runs)


def _in_reach(problem: MealProblem, j: int) -> list[int]:
    """Kitchens that reach camp ``j`` within their ride time, nearest first (then by id)."""
    times = [(problem.travel_s(i, j), kitchen.id, i) for i, kitchen in enumerate(problem.kitchens)]
    return [i for t, _, i in sorted(times) if t <= problem.kitchens[i].max_ride_s]


def kitchen_shares(problem: MealProblem) -> tuple[dict[str, dict[int, int]], dict[str, list[tuple[int, str]]]]:
    """Camp → kitchen index → meals per service, and camp → (meals, reason) not cooked (the module's step 1)."""
    left = [k.meals_per_service for k in problem.kitchens]
    in_reach = {camp.id: [i for i in _in_reach(problem, j) if problem.kitchens[i].vans]
                for j, camp in enumerate(problem.camps)}
    shares: dict[str, dict[int, int]] = {}
    short: dict[str, list[tuple[int, str]]] = {}
    for camp in sorted(problem.camps, key=lambda c: (len(in_reach[c.id]), -c.headcount, c.id)):
        need, shares[camp.id] = camp.headcount, {}
        for i in in_reach[camp.id]:
            take = min(need, left[i])
            if take > 0:
                shares[camp.id][i], left[i], need = take, left[i] - take, need - take
        if need > 0:
            short[camp.id] = [(need, _why_not_cooked(problem, camp, in_reach[camp.id]))]
    return shares, short


def _why_not_cooked(problem: MealProblem, camp: Camp, in_reach: list[int]) -> str:
    j = problem.camps.index(camp)
    if in_reach:
        return "kitchen_capacity"
    if _in_reach(problem, j):
        return "kitchen_vans"  # only kitchens without vans are near enough
    if any(math.isfinite(problem.travel_s(i, j)) for i in range(len(problem.kitchens))):
        return "meal_ride_time"
    return "meal_unreachable"


#: The part of a share that does not fill a van is cut into pieces of at most this share of a van, so that vans
#: can pack the remainders of several camps (a van's pieces for one camp are one hand-over).
PIECE_OF_VAN = 0.25


def van_loads(meals: int, van_capacity: int) -> list[int]:
    """``meals`` as full van loads, then the remainder in near-equal pieces of at most :data:`PIECE_OF_VAN` of
    a van."""
    full, rest = divmod(meals, van_capacity)
    count = -(-rest // max(1, int(van_capacity * PIECE_OF_VAN)))
    return [van_capacity] * full + [rest // count + (1 if k < rest % count else 0) for k in range(count)]


@dataclass(frozen=True)
class _Load:
    camp: int  # index in problem.camps
    meals: int
    window: tuple[int, int]


def _solve_service(problem: MealProblem, kitchen: int, loads: list[_Load], free_s: list[int],
                   deadline: float) -> tuple[list[tuple[int, list[int], list[int]]], set[int], bool]:
    """One kitchen's vans for one meal: per used van (van, load indices in order, hand-over times), the loads
    left undelivered, and whether the safety cap cut the search."""
    k = problem.kitchens[kitchen]
    nk = len(problem.kitchens)
    where = [kitchen] + [nk + load.camp for load in loads]  # node → matrix row
    service = [0] + [problem.camps[load.camp].service_s for load in loads]
    manager = pywrapcp.RoutingIndexManager(len(where), k.vans, 0)
    routing = pywrapcp.RoutingModel(manager)

    def ride(a: int, b: int) -> int:
        i, j = manager.IndexToNode(a), manager.IndexToNode(b)
        if j == 0 or (i and where[i] == where[j]):
            return 0  # the ride ends at the last camp; pieces for one camp are one hand-over
        t = problem.time_s[where[i], where[j]]
        return service[i] + int(math.ceil(t)) if math.isfinite(t) else DAY_S

    transit = routing.RegisterTransitCallback(ride)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    routing.AddDimension(transit, DAY_S, DAY_S, False, "time")
    clock = routing.GetDimensionOrDie("time")
    clock.SetSpanCostCoefficientForAllVehicles(1)  # meals wait as little as possible on board
    demand = routing.RegisterUnaryTransitCallback(lambda a: 0 if manager.IndexToNode(a) == 0
                                                  else loads[manager.IndexToNode(a) - 1].meals)
    routing.AddDimensionWithVehicleCapacity(demand, 0, [k.van_capacity_meals] * k.vans, True, "meals")
    for v in range(k.vans):
        clock.CumulVar(routing.Start(v)).SetRange(free_s[v] + k.load_s, DAY_S)
        clock.SetSpanUpperBoundForVehicle(k.max_ride_s, v)
    for node, load in enumerate(loads, start=1):
        index = manager.NodeToIndex(node)
        clock.CumulVar(index).SetRange(*load.window)
        routing.AddDisjunction([index], _DROP_PENALTY * load.meals)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.time_limit.FromNanoseconds(max(1, int((deadline - time.monotonic()) * 1e9)))
    solution = routing.SolveWithParameters(params)
    cut = routing.status() not in _DONE
    if solution is None:
        return [], set(range(len(loads))), cut
    routes, served = [], set()
    for v in range(k.vans):
        index, order, times = solution.Value(routing.NextVar(routing.Start(v))), [], []
        times_start = solution.Value(clock.CumulVar(routing.Start(v)))
        while not routing.IsEnd(index):
            order.append(manager.IndexToNode(index) - 1)
            times.append(solution.Value(clock.CumulVar(index)))
            index = solution.Value(routing.NextVar(index))
        if order:
            routes.append((v, order, [times_start, *times]))
            served.update(order)
    return routes, set(range(len(loads))) - served, cut


def _run(problem: MealProblem, kitchen: int, van: int, meal: int, loads: list[_Load], order: list[int],
         times: list[int]) -> MealRun:
    """The van's run from the solver's order and times (``times[0]``: leaving the kitchen)."""
    k, nk = problem.kitchens[kitchen], len(problem.kitchens)
    rows = [kitchen] + [nk + loads[i].camp for i in order]
    drops: list[MealDrop] = []
    for n, i in enumerate(order):
        if n and rows[n] == rows[n + 1]:  # another piece for the same camp: the same hand-over
            drops[-1] = dataclasses.replace(drops[-1], meals=drops[-1].meals + loads[i].meals)
            continue
        drops.append(MealDrop(camp_id=problem.camps[loads[i].camp].id, meals=loads[i].meals, arrival_s=times[n + 1],
                              ride_s=times[n + 1] - times[0],
                              leg_s=int(math.ceil(problem.time_s[rows[n], rows[n + 1]])),
                              leg_m=float(problem.dist_m[rows[n], rows[n + 1]])))
    last = problem.camps[loads[order[-1]].camp]
    back_s = int(math.ceil(problem.time_s[rows[-1], kitchen]))
    return MealRun(kitchen_id=k.id, van_id=k.van_ids()[van], meal=meal, load_s=times[0] - k.load_s,
                   depart_s=times[0], return_s=times[-1] + last.service_s + back_s, drops=tuple(drops),
                   return_m=float(problem.dist_m[rows[-1], kitchen]))


def plan_meals(problem: MealProblem, *, time_limit_s: float = 30.0) -> MealResult:
    """Plan the day's meal runs.

    Parameters
    ----------
    problem
        The kitchens, camps and travel matrices.
    time_limit_s
        Safety cap on the whole search (each search stops by itself long before on a real day).

    Returns
    -------
    MealResult
        The runs (by meal, kitchen and van), the meals not delivered with their reason, each camp's share.
    """
    deadline = time.monotonic() + time_limit_s
    shares, not_cooked = kitchen_shares(problem)
    result = MealResult(problem=problem, shares={c: {problem.kitchens[i].id: m for i, m in s.items()}
                                                 for c, s in shares.items()})
    free = {i: [0] * k.vans for i, k in enumerate(problem.kitchens)}
    meals = max((len(c.meal_windows_s) for c in problem.camps), default=0)
    for meal in range(meals):
        for camp in problem.camps:
            if meal < len(camp.meal_windows_s):
                result.short += [MealShort(camp.id, meal + 1, n, why) for n, why in not_cooked.get(camp.id, [])]
        for i, kitchen in enumerate(problem.kitchens):
            loads = [_Load(j, n, camp.meal_windows_s[meal])
                     for j, camp in enumerate(problem.camps) if meal < len(camp.meal_windows_s)
                     for n in van_loads(shares[camp.id].get(i, 0), kitchen.van_capacity_meals)]
            if not loads:
                continue
            routes, dropped, cut = _solve_service(problem, i, loads, free[i], deadline)
            result.cut_by_time_limit |= cut
            for van, order, times in routes:
                run = _run(problem, i, van, meal + 1, loads, order, times)
                result.runs.append(run)
                free[i][van] = run.return_s
            result.short += [MealShort(problem.camps[loads[n].camp].id, meal + 1, loads[n].meals, "kitchen_vans")
                             for n in sorted(dropped)]
    result.short = _merged(result.short)
    return result


def _merged(short: list[MealShort]) -> list[MealShort]:
    """One row per camp, meal and reason."""
    meals: dict[tuple[str, int, str], int] = {}
    for s in short:
        meals[(s.camp_id, s.meal, s.reason_code)] = meals.get((s.camp_id, s.meal, s.reason_code), 0) + s.meals
    return [MealShort(camp, meal, n, reason) for (camp, meal, reason), n in meals.items()]
