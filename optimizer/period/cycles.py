"""Delivery cycles: which drop points are due on a day, how much they need, and what they hold afterwards.

A drop point receives rations for several days at a time (``cycle_days``; ``cycle_days_red`` in a red zone), so
each day only the points that are due are delivered. The rules, per drop point and commodity:

Balanced delivery days (:func:`first_days`)
    A periodic-routing heuristic: points are taken heaviest first and each goes to the first delivery day of
    its cycle where its locality's daily kilograms are lowest so far (each locality's own fleet does the work),
    ties to the day where its ward has the fewest points (a ward's points alternate, so the ward receives food
    more often), then the earliest. Illustrative assumption: when the period starts each point holds food until
    its first delivery day.
Due (:func:`due_points`)
    A point is due on its delivery day, when yesterday's delivery fell short (carry-over: due first today),
    when it would run out today, or when its ward would otherwise go more than ``max_days_without`` days
    without supply. A due point receives what tops it up to ``cycle`` days of rations.
Priority
    The zone's priority, one level higher (at most red's) when the delivery is carry-over or the ward has gone
    ``max_days_without`` days without supply: priority rises with days without supply.
After the day (:meth:`PeriodState.settle`)
    What was delivered is added, one day's ration eaten; a point that cannot eat its ration went without
    (``short_kg``). A point that received less than was due is due again tomorrow; one that received it all
    is next due ``cycle`` days later.
"""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from optimizer.scenario.model import PRIORITY_OF_GRADE, DemandPoint

__all__ = ["KG_TOLERANCE", "first_days", "PointState", "PeriodState", "due_points"]

#: Kilograms below which a shortfall is rounding (routes carry whole kilograms per commodity and visit, and a
#: point may be split over several visits).
KG_TOLERANCE = 5.0
_TOP = max(PRIORITY_OF_GRADE.values())


def first_days(points: Sequence[DemandPoint], cycle_of: Callable[[DemandPoint], int]) -> dict[str, int]:
    """Point id → its first delivery day (0 = the period's first day), balancing each locality's daily kg."""
    horizon = math.lcm(*(cycle_of(p) for p in points)) if points else 1
    load: dict[str, list[float]] = defaultdict(lambda: [0.0] * horizon)
    in_ward: dict[tuple[str, int], int] = defaultdict(int)
    out = {}
    for point in sorted(points, key=lambda p: (-p.total_kg, p.id)):
        cycle = cycle_of(point)
        days = load[point.locality]

        def peak(first: int, days=days, cycle=cycle) -> float:
            return max(days[t] for t in range(first, horizon, cycle))

        first = min(range(cycle), key=lambda f: (round(peak(f), 3), in_ward[point.ward_id, f], f))
        for t in range(first, horizon, cycle):
            days[t] += point.total_kg * cycle
        in_ward[point.ward_id, first] += 1
        out[point.id] = first
    return out


@dataclass
class PointState:
    """A drop point during the period: what it holds (kg per commodity) and when it is next due."""

    point: DemandPoint
    held_kg: dict[str, float]
    next_due: int
    carried: bool = False


@dataclass(frozen=True)
class Due:
    """A point due today: the kilograms that top it up and whether its priority was raised."""

    point: DemandPoint
    raised: bool
    carried: bool


@dataclass
class PeriodState:
    """Every point's state and each ward's last delivery day (day indices from 0)."""

    points: dict[str, PointState]
    last_delivery: dict[str, int]
    max_days_without: int

    @classmethod
    def start(cls, points: Sequence[DemandPoint], cycle_of: Callable[[DemandPoint], int], *,
              max_days_without: int) -> PeriodState:
        """The state on the first morning: each point holds food until its first delivery day; every ward's
        last delivery was the day before (illustrative assumptions, see the module docstring)."""
        first = first_days(points, cycle_of)
        states = {p.id: PointState(point=p, held_kg={c: kg * first[p.id] for c, kg in p.demand_kg.items()},
                                   next_due=first[p.id]) for p in points}
        return cls(points=states, last_delivery={p.ward_id: -1 for p in points}, max_days_without=max_days_without)

    def days_without(self, ward_id: str, day: int) -> int:
        """Days since the ward last received food, in the morning of ``day``."""
        return day - self.last_delivery[ward_id]

    def settle(self, day: int, delivered: Mapping[str, Mapping[str, float]], due: Mapping[str, Mapping[str, float]],
               cycle_of: Callable[[DemandPoint], int]) -> dict[str, dict[str, float]]:
        """Book the day: ``delivered`` and ``due`` are point id → commodity → kg. Returns point id → ``short_kg``
        (what its people could not eat today) and ``held_kg`` (left in the evening)."""
        out = {}
        for pid, state in self.points.items():
            got, wanted = delivered.get(pid, {}), due.get(pid, {})
            if sum(got.values()) > KG_TOLERANCE:
                self.last_delivery[state.point.ward_id] = day
            short = 0.0
            for commodity, need in state.point.demand_kg.items():
                held = state.held_kg.get(commodity, 0.0) + got.get(commodity, 0.0) - need
                short += max(0.0, -held)
                state.held_kg[commodity] = max(0.0, held)
            if wanted:
                state.carried = sum(wanted.values()) - sum(got.values()) > KG_TOLERANCE
                state.next_due = day + 1 if state.carried else day + cycle_of(state.point)
            out[pid] = {"short_kg": short if short > KG_TOLERANCE else 0.0, "held_kg": sum(state.held_kg.values())}
        return out


def _top_up(state: PointState, cycle: int) -> dict[str, float]:
    return {c: max(0.0, need * cycle - state.held_kg.get(c, 0.0)) for c, need in state.point.demand_kg.items()}


def due_points(state: PeriodState, day: int, *, cycle_of: Callable[[DemandPoint], int],
               priority_of: Callable[[DemandPoint], int]) -> list[Due]:
    """The points due on ``day``, each with ``demand_kg`` = what it needs delivered and its day's priority.

    ``priority_of`` gives a point's zone priority on that day (zones are regraded during a period).
    """
    wanted: dict[str, PointState] = {}
    for pid, ps in state.points.items():
        runs_out = any(ps.held_kg.get(c, 0.0) < need - KG_TOLERANCE for c, need in ps.point.demand_kg.items())
        if ps.next_due <= day or runs_out:
            wanted[pid] = ps
    by_ward: dict[str, list[PointState]] = defaultdict(list)
    for ps in state.points.values():
        by_ward[ps.point.ward_id].append(ps)
    for ward_id, members in by_ward.items():
        late = state.days_without(ward_id, day) >= state.max_days_without
        if late and not any(ps.point.id in wanted for ps in members):
            soonest = min(members, key=lambda ps: (ps.next_due, ps.point.id))
            wanted[soonest.point.id] = soonest
    out = []
    for pid in sorted(wanted):
        ps = wanted[pid]
        kg = _top_up(ps, cycle_of(ps.point))
        if sum(kg.values()) <= KG_TOLERANCE:
            continue
        raised = ps.carried or state.days_without(ps.point.ward_id, day) >= state.max_days_without
        priority = min(_TOP, priority_of(ps.point) + (1 if raised else 0))
        point = dataclasses.replace(ps.point, demand_kg={c: round(v, 3) for c, v in kg.items()}, priority=priority)
        out.append(Due(point=point, raised=raised and priority > priority_of(ps.point), carried=ps.carried))
    return out
