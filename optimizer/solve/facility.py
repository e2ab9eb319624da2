"""Capacitated facility location with OR-Tools: which depot serves which point, within stock.

The model, per *unit* u (a point, or a ward group whose points share one depot) and depot j::

    min  sum c[u,j] x[u,j] + sum f[j] y[j] + sum pen[u] drop[u]
    s.t. sum_j x[u,j] + drop[u] = 1                  every unit served or dropped (never infeasible)
         x[u,j] <= y[j]                              only open depots serve (strong linking)
         sum_u d[u,k] x[u,j] <= K[j,k] y[j]          stock of every commodity k
         sum_j y[j] <= max_open,  y[j] = 1 if forced open
    x binary (single-source) or in [0, 1] (splittable); y binary, and only modelled when there
    are fixed costs or ``max_open``. Arcs exist only where the cost is finite, ``reachable``
    allows, the depot is not force-closed and (single-source) the unit fits the depot's stock.

Backend, chosen by measurement (ortools 9.15, 1 thread, seed 0, 2 shared cores; wall times
include model building; ``python benchmarks/facility_location.py --synthetic --backends
scip,highs,cp-sat`` reproduces them):

* OR-Library cap41/71/101/131, splittable (LP + binary opening): HiGHS 0.06-0.14 s and SCIP
  0.05-0.15 s, both at the published optimum. Single-source: SCIP 0.06-0.22 s and HiGHS
  0.06-0.15 s, all proven optimal; CP-SAT 0.03-2.8 s on the 16/25-facility files but on cap131
  (50 x 50) still 4 % above the optimum with a 20 % gap after 60 s.
* Synthetic 2,000 points x 12 depots x 2 commodities, single-source, tight stock
  (``benchmarks.facility_location.synthetic``), 60 s, objective / gap:

  ========================  ================  ================  ================
  variant                   SCIP              HiGHS             CP-SAT
  ========================  ================  ================  ================
  2,000 points              77.01e6 / 1.9 %   87.67e6 / 13.8 %  78.21e6 / 3.4 %
  points, max_open=8        513.03e6 / 0.25 % 513.23e6 / 0.28 % 514.27e6 / 0.48 %
  67 ward groups            627.90e6 / 2.4 %  625.95e6 / 2.1 %  647.16e6 / 5.3 %
  groups, max_open=8        1025.2e6 / 0.56 % 1032.1e6 / 1.25 % 1031.0e6 / 1.33 %
  ========================  ================  ================  ================

  None proves optimality there: the LP bound serves every point fractionally, the integer
  plans must leave a few points (or whole wards) unserved, and their penalties make the gap.
  SCIP got ``heuristics`` emphasis HIGH (at 30 s: 77.4e6 with it, 80.3e6 at 60 s without).

So: single-source -> SCIP (MathOpt ``GSCIP``), splittable -> HiGHS (its LP is 4x faster than
SCIP's on the 2,000-point instance: 1.1 s vs 4.9 s, both optimal). Both start from the plan of
:mod:`optimizer.solve.facility_heuristic` (greedy opening and assignment, then local search; in
splittable mode a transportation LP on its open depots), given as a solution hint, and the answer
is never worse than that plan. On OR-Library ``capb`` (100 depots x 1,000 customers, splittable,
60 s; ``benchmarks/results/facility_location.txt``) the MIP alone returned an empty plan after 70 s;
now the heuristic takes 0.6-1.4 s and is 0.32-0.59 % above the published optima, and the MIP
(its strong LP alone needs about 55 s here) does not improve on it within the limit.
CP-SAT stays available (``_BACKEND_SINGLE = "cp-sat"``) for
re-measurement; with one worker its hint search swallowed the whole time limit, so it gets
no hint. Its costs are scaled to integers by a power of two so the largest coefficient is
about 2**30 (sum far below 2**63), rounded *down* so its bound stays a valid bound, and
demands are rounded up / stocks down (exact for whole kg), so its plans never exceed stock.

The reported objective is recomputed from the returned arrays in the caller's units; the
bound is the solver's. Determinism: the MIP backends stop on a deterministic budget, the
branch-and-bound ``node_limit``, and with ``num_workers=1`` a solve that ends by it (or by
optimality) is repeatable for the same input and seed; the time limit is only a safety cap,
and a solve it cuts returns whatever the solver had at that moment, which depends on machine
speed (``cut_by_time_limit`` says so). HiGHS ignores ``num_workers``; CP-SAT has no node
limit here and with more than one worker is not deterministic.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimizer.errors import InputError
from optimizer.solve.facility_backends import (
    _GAP_TOLERANCE,
    _Problem,
    _Raw,
    _solve_cpsat,
    _solve_mip,
)
from optimizer.solve.facility_heuristic import heuristic_plan, split_plan

__all__ = ["FacilityLocationResult", "solve_facility_location"]

#: Flow shares below this are treated as zero (solver tolerances).
_SHARE_EPS = 1e-7
#: Backend per mode, chosen by measurement (module docstring): 'scip' | 'highs' | 'cp-sat'.
_BACKEND_SINGLE = "scip"
_BACKEND_SPLIT = "highs"


@dataclass(frozen=True)
class FacilityLocationResult:
    """The solver's answer: which depot serves which point, which depots open, and how good it is.

    Attributes
    ----------
    depot_of_point
        Depot index per point, ``-1`` when unassigned. In splittable mode: the depot serving
        the largest share of the point (``-1`` when nothing of it is served).
    flow
        ``(n_points, n_depots)`` share of each point's demand served by each depot: rows of 0/1
        in single-source mode, fractions in splittable mode. ``1 - flow.sum(axis=1)`` is unserved.
    open_depots
        Bool per depot. A depot with no fixed cost that serves nothing is reported closed
        (unless forced open).
    objective
        Assignment cost + fixed costs of open depots + penalties of unserved demand, in the
        caller's units, computed from the returned arrays (so it can be recomputed exactly).
    best_bound
        The solver's proven lower bound on the objective, in the caller's units (or the weaker
        bound computed without the solver, when the solver proved less).
    gap
        ``(objective - best_bound) / max(|objective|, 1e-9)``; 0.0 when proven optimal.
    status
        ``'OPTIMAL'`` (proven: the gap is within the solver tolerance) or ``'FEASIBLE'`` (a limit
        ended the solve, ``gap`` says how far). Never empty-handed: when the solver found no plan
        or a costlier one, the heuristic's plan is returned (``backend`` ``'<solver>+heuristic'``)
        with whatever bound the solver proved, or the bound of the LP without ``x <= y`` links
        (a per-kg share of fixed costs) when that is higher.
    solve_time_s
        Wall time of the whole call (model building included).
    unassigned
        ``(point index, reason)`` for every point left (wholly or partly) unserved, by index.
    backend
        Which solver produced the answer (``'cp-sat'``, ``'highs'``, ``'scip'``), or
        ``'<solver>+heuristic'`` when the heuristic's plan was kept.
    cut_by_time_limit
        Whether the time limit (rather than optimality or the node limit) ended the solve: the answer may
        then differ on another run.
    """

    depot_of_point: np.ndarray
    flow: np.ndarray
    open_depots: np.ndarray
    objective: float
    best_bound: float
    gap: float
    status: str
    solve_time_s: float
    unassigned: list[tuple[int, str]] = field(default_factory=list)
    backend: str = ""
    cut_by_time_limit: bool = False


def _as_float_array(value: object, name: str, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be numeric: {exc}") from None
    if arr.ndim != ndim:
        raise InputError(f"{name} must be {ndim}-D, got shape {arr.shape}")
    return arr


def _indices(values: Sequence[int], n: int, name: str) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for v in values:
        if not (isinstance(v, (int, np.integer)) and 0 <= v < n):
            raise InputError(f"{name}: {v!r} is not a depot index in [0, {n})")
        mask[int(v)] = True
    return mask


def _prepare(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    fixed_cost: np.ndarray | None,
    max_open: int | None,
    force_open: Sequence[int],
    force_closed: Sequence[int],
    reachable: np.ndarray | None,
    groups: np.ndarray | None,
    splittable: bool,
    unassigned_penalty: np.ndarray | None,
    commodity_names: Sequence[str] | None,
) -> _Problem:
    cost, demand, capacity = _check_arrays(cost, demand, capacity)
    n_points, n_depots = cost.shape
    n_comm = demand.shape[1]
    fixed = _check_fixed(fixed_cost, n_depots)
    if max_open is not None and (not isinstance(max_open, (int, np.integer)) or max_open < 0):
        raise InputError(f"max_open must be a non-negative integer, got {max_open!r}")
    forced = _indices(force_open, n_depots, "force_open")
    closed = _indices(force_closed, n_depots, "force_closed")
    if (forced & closed).any():
        raise InputError(f"depots both forced open and closed: {np.flatnonzero(forced & closed).tolist()}")
    if max_open is not None and forced.sum() > max_open:
        raise InputError(f"force_open names {int(forced.sum())} depots but max_open is {max_open}")
    if reachable is None:
        reach_mask = np.ones(cost.shape, dtype=bool)
    else:
        reach_mask = np.asarray(reachable, dtype=bool)
        if reach_mask.shape != cost.shape:
            raise InputError(f"reachable has shape {reach_mask.shape}, expected {cost.shape}")
    finite = np.isfinite(cost)
    penalty = _check_penalty(unassigned_penalty, cost, finite)
    if commodity_names is None:
        names = [f"commodity {c}" for c in range(n_comm)]
    else:
        names = [str(n) for n in commodity_names]
        if len(names) != n_comm:
            raise InputError(f"commodity_names has {len(names)} names for {n_comm} commodities")

    # Per point: depots it may use at all.
    reach_raw = finite & reach_mask
    usable = reach_raw & ~closed[None, :]
    pre: dict[int, str] = {}
    for i in np.flatnonzero(~usable.any(axis=1)):
        if reach_raw[i].any():
            pre[int(i)] = "all reachable depots are closed"
        elif finite[i].any():
            pre[int(i)] = "no depot within reach (every depot beyond the reach limit)"
        else:
            pre[int(i)] = "no depot within reach (no route)"
    members = _members(groups, n_points, pre)
    units = _units(members, cost, demand, capacity, penalty, usable, splittable, names, pre)
    return _Problem(
        cost=np.where(usable, cost, np.inf),
        demand=demand,
        capacity=capacity,
        fixed=fixed,
        penalty=penalty,
        closed=closed,
        forced=forced,
        max_open=None if max_open is None else int(max_open),
        need_y=bool((fixed > 0).any() or max_open is not None),
        splittable=bool(splittable),
        names=names,
        pre_unassigned=pre,
        **units,
    )


def _check_arrays(cost: object, demand: object, capacity: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost ``(P, D)``, demand ``(P, C)`` and capacity ``(D, C)`` as validated float arrays."""
    cost = _as_float_array(cost, "cost", 2)
    n_points, n_depots = cost.shape
    demand = np.asarray(demand, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    if demand.ndim == 1 and capacity.ndim == 1:  # one commodity
        demand, capacity = demand[:, None], capacity[:, None]
    demand = _as_float_array(demand, "demand", 2)
    capacity = _as_float_array(capacity, "capacity", 2)
    if demand.shape[0] != n_points:
        raise InputError(f"demand has {demand.shape[0]} rows but cost has {n_points} points")
    if capacity.shape[0] != n_depots:
        raise InputError(f"capacity has {capacity.shape[0]} rows but cost has {n_depots} depots")
    if demand.shape[1] != capacity.shape[1]:
        raise InputError(f"demand has {demand.shape[1]} commodities but capacity has {capacity.shape[1]}")
    if np.isnan(cost).any() or (cost < 0).any():
        raise InputError("cost must be >= 0 (np.inf = unreachable), without NaN")
    if not np.isfinite(demand).all() or (demand < 0).any():
        raise InputError("demand must be finite and >= 0")
    if np.isnan(capacity).any() or (capacity < 0).any():
        raise InputError("capacity must be >= 0 (np.inf = unlimited)")
    return cost, demand, capacity


def _check_fixed(fixed_cost: np.ndarray | None, n_depots: int) -> np.ndarray:
    """Fixed opening cost per depot (zeros when not given)."""
    if fixed_cost is None:
        return np.zeros(n_depots)
    fixed = _as_float_array(fixed_cost, "fixed_cost", 1)
    if fixed.shape != (n_depots,):
        raise InputError(f"fixed_cost has shape {fixed.shape}, expected ({n_depots},)")
    if not np.isfinite(fixed).all() or (fixed < 0).any():
        raise InputError("fixed_cost must be finite and >= 0")
    return fixed


def _check_penalty(unassigned_penalty: np.ndarray | None, cost: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """Penalty per point for leaving it unserved (default: ten times its dearest finite cost, plus one)."""
    n_points = cost.shape[0]
    if unassigned_penalty is None:
        return 10.0 * np.where(finite, cost, 0.0).max(axis=1, initial=0.0) + 1.0
    penalty = _as_float_array(unassigned_penalty, "unassigned_penalty", 1)
    if penalty.shape != (n_points,):
        raise InputError(f"unassigned_penalty has shape {penalty.shape}, expected ({n_points},)")
    if not np.isfinite(penalty).all() or (penalty < 0).any():
        raise InputError("unassigned_penalty must be finite and >= 0")
    return penalty


def _members(groups: np.ndarray | None, n_points: int, pre: dict[int, str]) -> list[np.ndarray]:
    """Point indices of every unit: one per point, or one per group (points that reach nothing left out)."""
    if groups is None:
        return [np.array([i]) for i in range(n_points) if i not in pre]
    g = np.asarray(groups)
    if g.shape != (n_points,):
        raise InputError(f"groups has shape {g.shape}, expected ({n_points},)")
    keep = np.array([i not in pre for i in range(n_points)], dtype=bool)
    _, inverse = np.unique(g, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    members = [m[keep[m]] for m in np.split(order, bounds)]
    return [m for m in members if m.size]


def _units(
    members: list[np.ndarray],
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    penalty: np.ndarray,
    usable: np.ndarray,
    splittable: bool,
    names: list[str],
    pre: dict[int, str],
) -> dict:
    """The units the model decides on, with their demand, cost, penalty and depots; the others go to ``pre``."""
    n_depots, n_comm = capacity.shape
    unit_demand = np.array([demand[m].sum(axis=0) for m in members]).reshape(len(members), n_comm)
    unit_penalty = np.array([penalty[m].sum() for m in members], dtype=float)
    arcs: list[np.ndarray] = []  # depots the model may use (single-source: where the unit fits)
    reach: list[np.ndarray] = []  # depots every member reaches, open-able
    rows: list[np.ndarray] = []
    kept: list[int] = []
    for u, m in enumerate(members):
        depots = np.flatnonzero(usable[m].all(axis=0))
        if depots.size == 0:
            for i in m:
                pre[int(i)] = "no single depot is within reach of every point of its group"
            continue
        fits = depots
        if not splittable:  # a unit must fit whole in one depot
            fits = depots[(unit_demand[u][None, :] <= capacity[depots]).all(axis=1)]
        if fits.size == 0:
            need, stock = unit_demand[u], capacity[depots]
            reason = _stock_reason(need, stock, need[None, :] > stock, names, whole=True)
            for i in m:
                pre[int(i)] = reason
            continue
        row = np.full(n_depots, np.inf)
        row[fits] = cost[np.ix_(m, fits)].sum(axis=0)
        kept.append(u)
        arcs.append(fits)
        reach.append(depots)
        rows.append(row)
    return {
        "members": [members[u] for u in kept],
        "unit_demand": unit_demand[kept].reshape(len(kept), n_comm),
        "unit_cost": np.array(rows).reshape(len(kept), n_depots),
        "unit_penalty": unit_penalty[kept],
        "arcs": arcs,
        "reach": reach,
    }


def _stock_reason(need: np.ndarray, stock: np.ndarray, short: np.ndarray, names: list[str], *, whole: bool) -> str:
    """Why ``need`` (per commodity) fits in none of the ``stock`` rows; ``short`` marks (depot, commodity) lacking."""
    counts = short.sum(axis=0)
    which = [int(c) for c in np.argsort(-counts, kind="stable") if counts[c] > 0] or [0]
    text = f"not enough stock of {', '.join(names[c] for c in which)} at reachable depots"
    if whole and len(which) == 1 and short[:, which[0]].all():
        c = which[0]
        text += f" (needs {need[c]:.6g}, largest reachable stock {float(np.max(stock[:, c], initial=0.0)):.6g})"
    return text


def _clean(p: _Problem, raw: _Raw) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Round the solver's values, repair tolerance-level stock excess: (share per unit, available, open)."""
    share = raw.share.copy()
    n_depots = p.capacity.shape[0]
    if p.splittable:
        share[share < _SHARE_EPS] = 0.0
        share = np.clip(share, 0.0, 1.0)
        total = share.sum(axis=1)
        snap = (total > 1.0) | ((total > 1.0 - _SHARE_EPS) & (total < 1.0))  # rows served in full
        share[snap] /= total[snap, None]
    else:
        best = share.argmax(axis=1)
        took = share.max(axis=1, initial=0.0) > 0.5 if share.size else np.zeros(len(share), dtype=bool)
        share = np.zeros_like(share)
        share[np.flatnonzero(took), best[took]] = 1.0
    if raw.open is None:
        open_ = ~p.closed.copy()
    else:
        open_ = raw.open.copy() & ~p.closed
    share[:, ~open_] = 0.0
    # Stock: solver tolerances may overshoot by a hair; scale down (splittable) or drop (single-source).
    for j in range(n_depots):
        for c in range(p.demand.shape[1]):
            cap = p.capacity[j, c]
            load = float(share[:, j] @ p.unit_demand[:, c])
            if load <= cap:
                continue
            if p.splittable:
                share[:, j] *= cap / load * (1.0 - 1e-12)
            else:
                users = np.flatnonzero(share[:, j] > 0)
                for u in users[np.argsort(p.unit_penalty[users], kind="stable")]:
                    if float(share[:, j] @ p.unit_demand[:, c]) <= cap:
                        break
                    share[u, j] = 0.0
    used = share.sum(axis=0) > 0
    return share, open_, open_ & (used | p.forced | (p.fixed > 0))


def _drop_reason(p: _Problem, u: int, share: np.ndarray, available: np.ndarray, status: str) -> str:
    reach = p.reach[u]
    live = reach[available[reach]]
    if live.size == 0:
        if p.max_open is not None and available.sum() >= p.max_open:
            return f"all reachable depots are closed (max_open={p.max_open})"
        if status != "OPTIMAL":
            return "all reachable depots are closed (none opened within the time limit)"
        return "all reachable depots are closed (opening one costs more than leaving it unserved)"
    loads = share.T @ p.unit_demand  # (D, C)
    residual = p.capacity[live] - loads[live]
    missing = 1.0 - share[u].sum()
    need = p.unit_demand[u] * missing
    tol = 1e-9 * np.maximum(need[None, :], 1.0)
    if p.splittable:  # short: nothing left of a commodity it needs
        short = (residual <= tol) & (need[None, :] > 0)
    else:  # short: not enough left for all of it
        short = need[None, :] > residual + tol
    if short.any(axis=1).all():
        return _stock_reason(need, residual, short, p.names, whole=False)
    if status == "OPTIMAL":
        return "serving it costs more than its unassigned penalty"
    return "left unserved by the solver within the time limit"


def _heuristic_raw(p: _Problem) -> _Raw:
    """The heuristic plan (splittable: the transportation LP on its open depots) as a backend answer."""
    assign, opened = heuristic_plan(p)
    if p.splittable:
        share, opened = split_plan(p, assign, opened)
    else:
        share = np.zeros((len(p.members), p.capacity.shape[0]))
        served = np.flatnonzero(assign >= 0)
        share[served, assign[served]] = 1.0
    return _Raw(share, opened if p.need_y else None, "FEASIBLE", -np.inf, "heuristic")


def _unit_objective(p: _Problem, share: np.ndarray, open_: np.ndarray) -> float:
    """Objective of cleaned unit shares (without the constant of pre-unassigned points)."""
    assigned = float((np.where(share > 0, p.unit_cost, 0.0) * share).sum())
    return assigned + float(p.fixed[open_].sum()) + float(p.unit_penalty @ np.clip(1.0 - share.sum(axis=1), 0.0, 1.0))


def _weak_bound(p: _Problem) -> float:
    """A lower bound in no time: every unit pays its cheapest arc plus its share of the depot's fixed cost, or its penalty.

    Valid because a depot that is not forced open satisfies ``y[j] >= sum_u d[u,c] x[u,j] / K[j,c]``
    for each commodity ``c`` (here the one with the largest demand-to-stock ratio at ``j``), so its
    fixed cost is at least ``f[j] d[u,c] / K[j,c]`` per unit it serves; forced depots pay in full.
    It is the bound of the LP without the ``x <= y`` links, for when the solver proves nothing.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.isfinite(p.capacity), p.unit_demand.sum(axis=0)[None, :] / p.capacity, 0.0)
        c_star = np.nan_to_num(ratio, nan=np.inf).argmax(axis=1)
        stock = p.capacity[np.arange(len(c_star)), c_star]
        per_kg = np.where(p.forced | ~np.isfinite(stock), 0.0, p.fixed / stock)
    with np.errstate(invalid="ignore"):  # 0 kg x inf per kg (no stock of it): no share, the unit needs none
        share_of_fixed = p.unit_demand[:, c_star] * per_kg[None, :]
    cheapest = np.min(p.unit_cost + np.nan_to_num(share_of_fixed, nan=0.0, posinf=np.inf), axis=1, initial=np.inf)
    return float(np.minimum(cheapest, p.unit_penalty).sum() + p.fixed[p.forced].sum())


def _solve(
    p: _Problem, backend: str, deadline: float, seed: int, num_workers: int, node_limit: int | None
) -> tuple[_Raw, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Heuristic plan, then the MIP from it until ``deadline``; the better of the two, cleaned.

    The heuristic's plan is kept when the solver found none or a costlier one (its backend is then
    ``'<solver>+heuristic'``, also when no time was left for the solver); the bound is the solver's,
    or :func:`_weak_bound` when that is higher (the solver proved little or nothing).
    """
    start = _heuristic_raw(p)
    if backend == "cp-sat":
        raw = _solve_cpsat(p, deadline, seed, num_workers)
    else:
        raw = _solve_mip(p, deadline, seed, num_workers, backend, node_limit, start)
    raw.bound = max(raw.bound, _weak_bound(p))
    fallback = _clean(p, start)
    if raw.status != "NOT_SOLVED":
        cleaned = _clean(p, raw)
        if _unit_objective(p, *cleaned[::2]) <= _unit_objective(p, *fallback[::2]):
            return raw, cleaned
    return _Raw(start.share, start.open, "FEASIBLE", raw.bound, f"{raw.backend}+heuristic", raw.cut), fallback


def solve_facility_location(
    cost: np.ndarray,
    demand: np.ndarray,
    capacity: np.ndarray,
    *,
    fixed_cost: np.ndarray | None = None,
    max_open: int | None = None,
    force_open: Sequence[int] = (),
    force_closed: Sequence[int] = (),
    reachable: np.ndarray | None = None,
    groups: np.ndarray | None = None,
    splittable: bool = False,
    unassigned_penalty: np.ndarray | None = None,
    commodity_names: Sequence[str] | None = None,
    time_limit_s: float = 30.0,
    node_limit: int | None = None,
    seed: int = 0,
    num_workers: int = 1,
) -> FacilityLocationResult:
    """Choose which depots open and which depot serves each point, within stock.

    Minimises assignment cost + fixed costs of open depots + penalties of unserved points.
    Never raises for an infeasible plan: points that cannot be served are left unassigned
    (their penalty is paid) and listed with a reason.

    Parameters
    ----------
    cost
        ``(n_points, n_depots)`` cost of serving the *whole* demand of point ``i`` from depot
        ``j`` (e.g. travel time × kg); ``np.inf`` = unreachable.
    demand
        ``(n_points, n_commodities)`` kg, >= 0 (1-D together with a 1-D ``capacity`` = one commodity).
    capacity
        ``(n_depots, n_commodities)`` kg of stock, >= 0; ``np.inf`` = unlimited.
    fixed_cost
        Per-depot cost of opening it; ``None`` = free (every depot may serve).
    max_open
        At most this many depots open.
    force_open, force_closed
        Depot indices that must open / may serve nothing.
    reachable
        Bool ``(n_points, n_depots)`` extra exclusion mask (e.g. travel time over a limit),
        combined with ``np.isfinite(cost)``.
    groups
        Group id per point: all served points of a group share one depot (ward-level mode).
        The group may only use depots every one of its points can reach; a point that can
        reach no depot at all is left out of its group (unassigned), the rest is still served.
    splittable
        A point's (group's) demand may be split across depots (the OR-Library CFLP convention);
        otherwise single-source.
    unassigned_penalty
        Per-point cost of leaving it unserved (larger = higher priority). Default
        ``10 × max finite cost of the point + 1``: everything that can be served is.
    commodity_names
        Names used in the reasons of ``unassigned`` (default ``'commodity 0'``, ...).
    time_limit_s
        Wall-clock cap of the whole call: the solver gets what is left after validation, the
        heuristic and model building (the heuristic itself always runs to the end, about a second
        for 1,000 x 100); when it ends the solve, ``cut_by_time_limit`` says so.
    node_limit
        Branch-and-bound nodes the MIP backends may explore: the deterministic budget, so that a solve it
        ends is reproducible (one that the time limit ends is not). CP-SAT has only the time limit.
    seed
        Solver random seed.
    num_workers
        Solver threads (passed to SCIP and CP-SAT; HiGHS refuses the option and ignores it).
        With 1 (default) the result is deterministic for a given input and seed whenever the
        solve finishes before ``time_limit_s``. When the limit cuts a solve short, the
        incumbent depends on machine speed; CP-SAT with several workers is not deterministic.

    Notes
    -----
    Single-source problems go to SCIP, splittable ones to HiGHS (both through MathOpt); the
    measurements behind that choice are in the module docstring. The heuristic plan
    (:mod:`optimizer.solve.facility_heuristic`) is handed to them as a hint, and returned instead of
    the solver's when the solver found none or a costlier one.

    Returns
    -------
    FacilityLocationResult

    Raises
    ------
    InputError
        On shape mismatches, negative or NaN values, or contradictory options.
    """
    start = time.perf_counter()
    if not time_limit_s > 0:
        raise InputError(f"time_limit_s must be > 0, got {time_limit_s!r}")
    if not (isinstance(num_workers, (int, np.integer)) and num_workers >= 1):
        raise InputError(f"num_workers must be a positive integer, got {num_workers!r}")
    p = _prepare(
        cost, demand, capacity, fixed_cost, max_open, force_open, force_closed, reachable,
        groups, splittable, unassigned_penalty, commodity_names,
    )
    n_points, n_depots = p.cost.shape
    backend = _BACKEND_SPLIT if p.splittable else _BACKEND_SINGLE
    if not p.members:
        raw = _Raw(np.zeros((0, n_depots)), p.forced.copy() if p.need_y else None, "OPTIMAL", 0.0, backend)
        share, available, open_ = _clean(p, raw)
    else:
        raw, (share, available, open_) = _solve(p, backend, start + time_limit_s, seed, num_workers, node_limit)

    flow = np.zeros((n_points, n_depots))
    for u, m in enumerate(p.members):
        flow[m] = share[u]
    served = flow.sum(axis=1)
    depot_of_point = np.where(served > 0, flow.argmax(axis=1), -1)
    unassigned = dict(p.pre_unassigned)
    for u, m in enumerate(p.members):
        missing = 1.0 - share[u].sum()
        if missing <= _SHARE_EPS:
            continue
        reason = _drop_reason(p, u, share, available, raw.status)
        if missing < 1.0 - _SHARE_EPS:
            reason += f" ({missing:.0%} of its demand unserved)"
        for i in m:
            unassigned[int(i)] = reason

    objective = _objective(p.cost, p.fixed, p.penalty, flow, open_)
    constant = float(sum(p.penalty[i] for i in p.pre_unassigned))
    bound = min(raw.bound + constant, objective)
    gap = (objective - bound) / max(abs(objective), 1e-9)
    status = raw.status
    if gap <= _GAP_TOLERANCE or objective - bound <= 1e-9:
        gap, status = 0.0, "OPTIMAL"
    return FacilityLocationResult(
        depot_of_point=depot_of_point.astype(int),
        flow=flow,
        open_depots=open_,
        objective=objective,
        best_bound=bound,
        gap=float(gap),
        status=status,
        solve_time_s=time.perf_counter() - start,
        unassigned=sorted(unassigned.items()),
        backend=raw.backend,
        cut_by_time_limit=raw.cut,
    )


def _objective(cost: np.ndarray, fixed: np.ndarray, penalty: np.ndarray, flow: np.ndarray, open_: np.ndarray) -> float:
    """Cost of a plan in the caller's units (what the tests recompute)."""
    assigned = float(np.where(flow > 0, cost, 0.0).__mul__(flow).sum())
    unserved = float(penalty @ np.clip(1.0 - flow.sum(axis=1), 0.0, 1.0))
    return assigned + float(fixed[open_].sum()) + unserved


