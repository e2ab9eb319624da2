"""Primal heuristic for the facility-location model: a feasible plan before (and without) any MIP.

Works on the units of a :class:`~optimizer.solve.facility_backends._Problem` (points, or groups that
share a depot), so groups, reachability, force-closed depots and the stock a unit needs whole are
already in ``unit_cost`` (``inf`` = not an arc). Steps:

1. Opening (only when the model has opening variables, i.e. fixed costs or ``max_open``): forced
   depots; then, while units that could be served are dropped, the depot whose fixed cost plus the
   cost of the dropped units it would take (cheapest per kg first, as many as fit its stock) is
   least per kg taken; then ADD: the depot whose estimated saving is largest, the saving being what
   the units gain by moving to it, counted only for as many as fit its stock (best gain first),
   minus its fixed cost; stop when no saving is positive, or at ``max_open``.
2. Assignment, in rounds: every unit proposes to its cheapest open depot with room; each depot
   takes its proposers by regret (second-best option, or the penalty, minus the best) while they
   fit; the rest propose again. A unit whose cheapest option costs its penalty or more is dropped.
3. Local search: shift (a unit to a cheaper open depot with room, a dropped unit into one) and
   swap (two units exchange depots), best gains first; with opening variables also close, open
   and swap-depot moves (close one, open one of its ten closest closed depots by cost profile),
   first improvement, each evaluated by steps 2 and a few shift rounds.
4. On the final open set, step 2 and the rounded transportation LP (largest shares first, each unit
   where it fits; the LP balances scarce commodities across depots, which the greedy cannot) are
   both polished by step 3; the cheaper plan is kept.

Budgets are counts fixed from the sizes (``_MOVE_EVALS_PER_DEPOT``, ``_SHIFT_ROUNDS``), never the
clock, and every order has a stable tie-break, so the plan is deterministic. In splittable mode the
open set is then given to a transportation LP (HiGHS through SciPy), which is optimal for that set;
while it leaves demand unserved that a closed depot could take, such a depot opens too
(:func:`split_plan`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from optimizer.solve.facility_backends import _Problem

__all__ = ["heuristic_plan", "split_plan"]

#: Shift rounds of the final polish and inside each open-set evaluation.
_SHIFT_ROUNDS = 50
_EVAL_SHIFT_ROUNDS = 3
#: Swap rounds of a polish: at most ``_SWAP_ROUNDS``, and at most ``_SWAP_WORK`` pair-commodity
#: comparisons in all (each round compares (served units)^2 x commodities); none if one round exceeds it.
_SWAP_ROUNDS = 20
_SWAP_WORK = 1.0e7
#: Open-set moves evaluated, per depot that may open (plus a constant).
_MOVE_EVALS_PER_DEPOT = 20
_MOVE_EVALS_BASE = 40
#: Closed depots tried in place of an open one (closest by cost profile).
_NEIGHBOURS = 10
#: Relative improvement a move must bring.
_REL_TOL = 1e-9


def _load(dem: np.ndarray, assign: np.ndarray, n_depots: int) -> np.ndarray:
    """Stock used per depot and commodity by a single-source assignment."""
    load = np.zeros((n_depots, dem.shape[1]))
    served = assign >= 0
    np.add.at(load, assign[served], dem[served])
    return load


def _unit_costs(p: _Problem, assign: np.ndarray) -> np.ndarray:
    """Cost per unit: its arc cost, or its penalty when dropped."""
    rows = np.arange(len(assign))
    return np.where(assign >= 0, p.unit_cost[rows, np.maximum(assign, 0)], p.unit_penalty)


def _assign(p: _Problem, open_: np.ndarray) -> np.ndarray:
    """Regret-ordered proposals (module docstring, step 2): depot per unit, -1 = dropped."""
    cost, dem = p.unit_cost, p.unit_demand
    n_units, n_depots = cost.shape
    allowed = np.isfinite(cost) & open_[None, :] & (cost < p.unit_penalty[:, None])
    residual = p.capacity.copy()
    assign = np.full(n_units, -1)
    todo = allowed.any(axis=1)
    while todo.any():
        idx = np.flatnonzero(todo)
        allowed[idx] &= (dem[idx, None, :] <= residual[None, :, :]).all(axis=2)  # residual only shrinks
        live = allowed[idx].any(axis=1)
        todo[idx[~live]] = False
        idx = idx[live]
        if idx.size == 0:
            break
        masked = np.where(allowed[idx], cost[idx], np.inf)
        best = masked.argmin(axis=1)
        first = masked[np.arange(idx.size), best]
        second = np.partition(masked, 1, axis=1)[:, 1] if n_depots > 1 else np.full(idx.size, np.inf)
        regret = np.minimum(second, p.unit_penalty[idx]) - first
        order = np.lexsort((idx, -regret, best))
        units, depots = idx[order], best[order]
        cums = np.cumsum(dem[units], axis=0)
        starts = np.flatnonzero(np.r_[True, depots[1:] != depots[:-1]])
        before = np.repeat((cums - dem[units])[starts], np.diff(np.r_[starts, idx.size]), axis=0)
        ok = (cums - before <= residual[depots]).all(axis=1)  # a prefix per depot: demands are >= 0
        assign[units[ok]] = depots[ok]
        todo[units[ok]] = False
        np.subtract.at(residual, depots[ok], dem[units[ok]])
    return assign


def _shift(p: _Problem, open_: np.ndarray, assign: np.ndarray, rounds: int) -> np.ndarray:
    """Move units (dropped ones included) to cheaper open depots with room, best gains first."""
    cost, dem = p.unit_cost, p.unit_demand
    target_ok = np.isfinite(cost) & open_[None, :]
    assign = assign.copy()
    for _ in range(rounds):
        residual = p.capacity - _load(dem, assign, len(open_))
        cur = _unit_costs(p, assign)
        fits = target_ok & (dem[:, None, :] <= residual[None, :, :]).all(axis=2)
        delta = np.where(fits, cost - cur[:, None], np.inf)
        target = delta.argmin(axis=1)
        gain = delta[np.arange(len(assign)), target]
        movers = np.flatnonzero(gain < -_REL_TOL * np.maximum(np.abs(cur), 1.0))
        if movers.size == 0:
            break
        for u in movers[np.lexsort((movers, gain[movers]))]:
            j = target[u]
            if (dem[u] <= residual[j]).all():
                residual[j] -= dem[u]
                if assign[u] >= 0:
                    residual[assign[u]] += dem[u]
                assign[u] = j
    return assign


def _swap(p: _Problem, assign: np.ndarray, rounds: int) -> np.ndarray:
    """Exchange the depots of two served units when it is cheaper and both fit, best gains first."""
    dem = p.unit_demand
    assign = assign.copy()
    served = np.flatnonzero(assign >= 0)
    if served.size < 2:
        return assign
    for _ in range(min(rounds, int(_SWAP_WORK // (served.size**2 * dem.shape[1])))):
        a = assign[served]
        residual = p.capacity - _load(dem, assign, p.capacity.shape[0])
        cur = p.unit_cost[served, a]
        cross = p.unit_cost[np.ix_(served, a)]  # cross[s, t]: unit s at t's depot
        with np.errstate(invalid="ignore"):
            gain = cur[:, None] + cur[None, :] - cross - cross.T
        diff = dem[served][:, None, :] - dem[served][None, :, :]  # s in, t out of t's depot
        ok = (diff <= residual[a][None, :, :]).all(axis=2) & (-diff <= residual[a][:, None, :]).all(axis=2)
        gain = np.where(ok & np.isfinite(gain), np.triu(gain, 1), 0.0)
        flat = np.flatnonzero(gain > _REL_TOL * np.maximum(cur[:, None] + cur[None, :], 1.0))
        if flat.size == 0:
            break
        flat = flat[np.lexsort((flat, -gain.ravel()[flat]))][: 2 * served.size]
        used = np.zeros(served.size, dtype=bool)
        for s, t in zip(*np.unravel_index(flat, gain.shape)):
            u, v = served[s], served[t]
            ju, jv = assign[u], assign[v]
            if used[s] or used[t] or not ((dem[u] - dem[v] <= residual[jv]).all() and (dem[v] - dem[u] <= residual[ju]).all()):
                continue
            residual[jv] -= dem[u] - dem[v]
            residual[ju] -= dem[v] - dem[u]
            assign[u], assign[v] = jv, ju
            used[s] = used[t] = True
    return assign


def _round_shares(p: _Problem, share: np.ndarray) -> np.ndarray:
    """Single-source assignment from splittable shares: largest shares first, each unit where it fits."""
    dem = p.unit_demand
    residual = p.capacity.copy()
    assign = np.full(len(share), -1)
    units, depots = np.nonzero(share > 0)
    for u, j in zip(units[np.lexsort((depots, units, -share[units, depots]))],
                    depots[np.lexsort((depots, units, -share[units, depots]))]):
        if assign[u] < 0 and (dem[u] <= residual[j]).all() and np.isfinite(p.unit_cost[u, j]):
            assign[u] = j
            residual[j] -= dem[u]
    return assign


def _polish(p: _Problem, open_: np.ndarray, assign: np.ndarray) -> np.ndarray:
    """Shift, swap, shift."""
    assign = _shift(p, open_, assign, _SHIFT_ROUNDS)
    return _shift(p, open_, _swap(p, assign, _SWAP_ROUNDS), _SHIFT_ROUNDS)


def _evaluate(p: _Problem, open_: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """(total cost, assignment, depots kept open) of an open set; unused depots close unless forced."""
    assign = _shift(p, open_, _assign(p, open_), _EVAL_SHIFT_ROUNDS)
    kept = p.forced.copy()
    kept[assign[assign >= 0]] = True
    return float(_unit_costs(p, assign).sum() + p.fixed[kept].sum()), assign, kept


def _add_savings(p: _Problem, cur: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Estimated saving of opening each candidate depot (module docstring, step 1)."""
    cost = p.unit_cost[:, candidates]
    gain = np.where(np.isfinite(cost), np.maximum(cur[:, None] - cost, 0.0), 0.0)
    order = np.argsort(-gain, axis=0, kind="stable")
    sorted_gain = np.take_along_axis(gain, order, axis=0)
    cums = np.cumsum(p.unit_demand[order], axis=0)  # (U, K, C)
    fits = (cums <= p.capacity[candidates][None, :, :]).all(axis=2)
    return (sorted_gain * fits).sum(axis=0) - p.fixed[candidates]


def _cover_ratios(p: _Problem, dropped: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Cost per kg of opening each candidate for the dropped units it would take (cheapest per kg first)."""
    cost = p.unit_cost[np.ix_(dropped, candidates)]
    dem = p.unit_demand[dropped]
    weight = dem.sum(axis=1)
    takes = np.isfinite(cost) & (cost < p.unit_penalty[dropped, None])
    per_kg = np.where(takes, cost / np.maximum(weight, 1e-12)[:, None], np.inf)
    order = np.argsort(per_kg, axis=0, kind="stable")
    fits = (np.cumsum(dem[order], axis=0) <= p.capacity[candidates][None, :, :]).all(axis=2)
    fits &= np.take_along_axis(takes, order, axis=0)
    served_kg = (weight[order] * fits).sum(axis=0)
    total = (np.take_along_axis(np.where(takes, cost, 0.0), order, axis=0) * fits).sum(axis=0) + p.fixed[candidates]
    return np.where(served_kg > 0, total / np.maximum(served_kg, 1e-12), np.inf)


def _initial_open(p: _Problem) -> np.ndarray:
    """Forced depots; while servable units are dropped, the depot of least cost per kg it takes; then ADD.

    ADD opens the depot with the largest estimated saving while it is positive; both stop at ``max_open``.
    """
    n_depots = p.capacity.shape[0]
    limit = n_depots if p.max_open is None else p.max_open
    open_ = p.forced.copy()
    assign = _assign(p, open_)
    while open_.sum() < limit:
        candidates = np.flatnonzero(~open_ & ~p.closed)
        if candidates.size == 0:
            break
        ratio = _cover_ratios(p, np.flatnonzero(assign < 0), candidates)
        if np.isfinite(ratio).any():
            k = int(np.argmin(ratio))
        else:
            saving = _add_savings(p, _unit_costs(p, assign), candidates)
            k = int(np.argmax(saving))
            if not saving[k] > 0:
                break
        open_[candidates[k]] = True
        assign = _shift(p, open_, _assign(p, open_), _EVAL_SHIFT_ROUNDS)
    return open_


def _profile_neighbours(p: _Problem) -> np.ndarray:
    """Per depot, all depots ordered by mean absolute cost difference over the units (closest first)."""
    cost = p.unit_cost
    finite = np.isfinite(cost)
    top = np.where(finite, cost, 0.0).max(axis=1, initial=0.0)
    filled = np.where(finite, cost, 2.0 * top[:, None] + 1.0)
    dist = np.array([np.abs(filled - filled[:, [j]]).mean(axis=0) for j in range(cost.shape[1])])
    dist[np.diag_indices_from(dist)] = np.inf
    return np.argsort(dist, axis=1, kind="stable")


def _moves(p: _Problem, open_: np.ndarray, neighbours: np.ndarray, cur: np.ndarray) -> list[np.ndarray]:
    """Candidate open sets next to ``open_``: closes, swaps with close closed depots, best estimated opens."""
    limit = p.capacity.shape[0] if p.max_open is None else p.max_open
    free = ~open_ & ~p.closed
    out: list[np.ndarray] = []
    for j in np.flatnonzero(open_ & ~p.forced):
        closed_j = open_.copy()
        closed_j[j] = False
        out.append(closed_j)
        for k in [k for k in neighbours[j] if free[k]][:_NEIGHBOURS]:
            swapped = closed_j.copy()
            swapped[k] = True
            out.append(swapped)
    candidates = np.flatnonzero(free)
    if candidates.size and open_.sum() < limit:
        saving = _add_savings(p, cur, candidates)
        for k in candidates[np.argsort(-saving, kind="stable")][:_NEIGHBOURS]:
            opened = open_.copy()
            opened[k] = True
            out.append(opened)
    return out


def _improve_open(p: _Problem, open_: np.ndarray) -> np.ndarray:
    """First-improvement local search on the open set within a fixed number of evaluations."""
    budget = _MOVE_EVALS_PER_DEPOT * int((~p.closed).sum()) + _MOVE_EVALS_BASE
    neighbours = _profile_neighbours(p)
    best, assign, open_ = _evaluate(p, open_)
    improved = True
    while improved and budget > 0:
        improved = False
        for candidate in _moves(p, open_, neighbours, _unit_costs(p, assign)):
            if budget <= 0:
                break
            budget -= 1
            value, cand_assign, kept = _evaluate(p, candidate)
            if value < best - _REL_TOL * max(abs(best), 1.0):
                best, assign, open_ = value, cand_assign, kept
                improved = True
                break
    return open_


def heuristic_plan(p: _Problem) -> tuple[np.ndarray, np.ndarray]:
    """A feasible single-source plan: (depot per unit, -1 = dropped; depots open).

    Parameters
    ----------
    p
        The validated problem.

    Returns
    -------
    tuple of numpy.ndarray
        Depot index per unit and the open mask per depot (forced depots always open, force-closed
        ones never, at most ``max_open``; without opening variables every usable depot is open).
    """
    if p.need_y:
        open_ = _improve_open(p, _initial_open(p))
    else:
        open_ = ~p.closed
    assign = _polish(p, open_, _assign(p, open_))
    share = _transport_shares(p, open_)
    if share is not None:  # the LP balances scarce commodities across depots, which the greedy cannot
        rounded = _polish(p, open_, _round_shares(p, share))
        if _unit_costs(p, rounded).sum() < _unit_costs(p, assign).sum():
            assign = rounded
    if p.need_y:
        open_ = p.forced.copy()
        open_[assign[assign >= 0]] = True
    return assign, open_


def _transport_shares(p: _Problem, open_: np.ndarray) -> np.ndarray | None:
    """Optimal splittable shares ``(U, D)`` given the open depots (a transportation LP), or None if it failed.

    Parameters
    ----------
    p
        The validated problem.
    open_
        Depots that may serve.

    Returns
    -------
    numpy.ndarray or None
        Share of each unit's demand served by each depot; ``1 - row sum`` is dropped.
    """
    n_units, n_depots = p.unit_cost.shape
    units, depots = np.nonzero(np.isfinite(p.unit_cost) & open_[None, :])
    n_arcs = units.size
    cols = np.arange(n_arcs)
    a_eq = sp.csr_matrix(
        (np.ones(n_arcs + n_units), (np.r_[units, np.arange(n_units)], np.r_[cols, n_arcs + np.arange(n_units)])),
        shape=(n_units, n_arcs + n_units),
    )
    limits = [(j, c) for c in range(p.unit_demand.shape[1]) for j in np.flatnonzero(np.isfinite(p.capacity[:, c]) & open_)]
    row_of = np.full((n_depots, p.unit_demand.shape[1]), -1)
    for r, (j, c) in enumerate(limits):
        row_of[j, c] = r
    entries = [(row_of[depots, c], cols, p.unit_demand[units, c]) for c in range(p.unit_demand.shape[1])]
    keep = [(r >= 0) & (v > 0) for r, _, v in entries]
    a_ub = sp.csr_matrix(
        (np.concatenate([v[k] for (_, _, v), k in zip(entries, keep)]),
         (np.concatenate([r[k] for (r, _, _), k in zip(entries, keep)]),
          np.concatenate([a[k] for (_, a, _), k in zip(entries, keep)]))),
        shape=(len(limits), n_arcs + n_units),
    )
    caps = np.array([p.capacity[j, c] for j, c in limits])
    res = linprog(
        np.r_[p.unit_cost[units, depots], p.unit_penalty],
        A_ub=a_ub if limits else None, b_ub=caps if limits else None,
        A_eq=a_eq, b_eq=np.ones(n_units), bounds=(0.0, 1.0), method="highs",
    )
    if res.status != 0:
        return None
    share = np.zeros((n_units, n_depots))
    share[units, depots] = res.x[:n_arcs]
    return share


def _top_up_ratio(p: _Problem, missing: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Per candidate depot: (fixed cost + cost of the missing demand it could take) per kg it could take."""
    cost = p.unit_cost[:, candidates]
    reach = np.isfinite(cost)
    kg = (missing * p.unit_demand.sum(axis=1)) @ reach  # missing kg within reach
    stock = np.where(np.isfinite(p.capacity[candidates]), p.capacity[candidates], np.inf).sum(axis=1)
    takes = np.minimum(kg, stock)
    spend = np.where(reach, cost, 0.0).T @ missing * np.divide(takes, kg, out=np.zeros_like(kg), where=kg > 0)
    return np.where(takes > 0, (p.fixed[candidates] + spend) / np.maximum(takes, 1e-12), np.inf)


def split_plan(p: _Problem, assign: np.ndarray, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Splittable shares ``(U, D)`` and open depots from a single-source plan.

    The transportation LP on the plan's open depots; while it leaves demand unserved that a depot still
    closed could take (and ``max_open`` allows), the depot of least cost per kg it could take opens too
    (units too large for any one depot are what the single-source plan cannot place).

    Parameters
    ----------
    p
        The validated problem.
    assign, open_
        The single-source plan of :func:`heuristic_plan`.

    Returns
    -------
    tuple of numpy.ndarray
        Share of each unit's demand per depot (``1 - row sum`` is dropped), and the open mask.
    """
    share = np.zeros(p.unit_cost.shape)
    served = np.flatnonzero(assign >= 0)
    share[served, assign[served]] = 1.0
    limit = p.capacity.shape[0] if p.max_open is None else p.max_open
    open_ = open_.copy()
    while True:
        lp = _transport_shares(p, open_)
        if lp is None:
            return share, open_
        share = lp
        missing = np.clip(1.0 - share.sum(axis=1), 0.0, 1.0)
        candidates = np.flatnonzero(~open_ & ~p.closed)
        if not missing.any() or candidates.size == 0 or open_.sum() >= limit:
            return share, open_
        ratio = _top_up_ratio(p, missing, candidates)
        if not np.isfinite(ratio).any():
            return share, open_
        open_[candidates[int(np.argmin(ratio))]] = True
