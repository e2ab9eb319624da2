"""The facility-location model's data and its solver backends (MIP through MathOpt, CP-SAT).

:func:`optimizer.solve.facility.solve_facility_location` validates the input into a :class:`_Problem`, calls one
backend here (started from the heuristic plan of :mod:`optimizer.solve.facility_heuristic`) and cleans
what it returns (a :class:`_Raw`). The backends are deterministic for a seed: they stop
on a node limit, the time limit being only a safety cap (``_Raw.cut`` says when it fired).
"""

from __future__ import annotations

import datetime
import math
import time
from dataclasses import dataclass

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.sat.python import cp_model

#: CP-SAT works on integers: the largest objective coefficient is scaled to about this many units.
_COST_RESOLUTION = 2.0**30

#: ... and the largest stock or total demand of a commodity to about this many units.
_KG_RESOLUTION = 2.0**30

#: Share of the model-building time kept back from the solver's time limit, for handing the model over
#: and reading the answer back (both grow with the model, like building it) and for the solver's
#: overshoot. Measured on capb, 100 x 1,000 (about 18 s to build on 2 shared cores): hand-over 2-2.5 s,
#: reading back 0.6 s, overshoot 0.8 s (HiGHS) to 4 s (SCIP).
_HANDOVER_SHARE = 0.4

#: Relative gap at which the MIP solvers stop and call it optimal; smaller gaps are reported as 0.0.
_GAP_TOLERANCE = 1e-7


@dataclass
class _Problem:
    """Validated arrays, and the units (points or groups) the model decides on."""

    cost: np.ndarray  # (P, D) float, inf where not usable
    demand: np.ndarray  # (P, C)
    capacity: np.ndarray  # (D, C), inf = unlimited
    fixed: np.ndarray  # (D,)
    penalty: np.ndarray  # (P,)
    closed: np.ndarray  # (D,) bool, force_closed
    forced: np.ndarray  # (D,) bool, force_open
    max_open: int | None
    need_y: bool
    splittable: bool
    names: list[str]
    members: list[np.ndarray]  # per unit: point indices
    unit_demand: np.ndarray  # (U, C)
    unit_cost: np.ndarray  # (U, D), inf where not an arc
    unit_penalty: np.ndarray  # (U,)
    arcs: list[np.ndarray]  # per unit: depots it may use in the model
    reach: list[np.ndarray]  # per unit: depots reachable and not force-closed (before stock pruning)
    pre_unassigned: dict[int, str]  # point -> reason, decided before solving


@dataclass
class _Raw:
    """What a backend returns, per unit."""

    share: np.ndarray  # (U, D)
    open: np.ndarray | None  # (D,) bool, None when the model has no opening variables
    status: str
    bound: float  # in caller's units, without the constant of pre-unassigned points
    backend: str
    cut: bool = False  # the time limit (not the node limit or optimality) ended the solve


def _pow2_scale(resolution: float, top: float) -> float:
    """Power of two that maps ``top`` to at most ``resolution`` (1.0 when ``top`` is 0)."""
    if not top > 0:
        return 1.0
    return 2.0 ** min(max(math.floor(math.log2(resolution / top)), -900), 900)


def _solve_cpsat(p: _Problem, deadline: float, seed: int, num_workers: int) -> _Raw:
    n_depots = p.capacity.shape[0]
    model = cp_model.CpModel()
    coefs = [p.unit_penalty.max(initial=0.0), p.fixed.max(initial=0.0)]
    coefs += [p.unit_cost[u, a].max() for u, a in enumerate(p.arcs)]
    scale = _pow2_scale(_COST_RESOLUTION, max(coefs))

    def icost(v: float) -> int:  # rounding down keeps the scaled bound a valid bound
        return int(math.floor(v * scale))

    x: list[dict[int, cp_model.IntVar]] = []
    drop: list[cp_model.IntVar] = []
    obj_vars: list[cp_model.IntVar] = []
    obj_coefs: list[int] = []
    for u, arcs in enumerate(p.arcs):
        row = {int(j): model.new_bool_var(f"x{u}_{j}") for j in arcs}
        d = model.new_bool_var(f"drop{u}")
        model.add_exactly_one([*row.values(), d])
        x.append(row)
        drop.append(d)
        for j, v in row.items():
            obj_vars.append(v)
            obj_coefs.append(icost(p.unit_cost[u, j]))
        obj_vars.append(d)
        obj_coefs.append(icost(p.unit_penalty[u]))
    y = _cpsat_openings(model, p, x)
    for j, v in y.items():
        if p.fixed[j] > 0:
            obj_vars.append(v)
            obj_coefs.append(icost(p.fixed[j]))
    _cpsat_stock(model, p, x, y)
    model.minimize(cp_model.LinearExpr.weighted_sum(obj_vars, obj_coefs))

    # No hint: with one worker CP-SAT 9.15 spent the whole limit in its hint search
    # (2000-point instance: 695 points left unserved at 10 s with the hint, 3 without).

    time_limit_s = _remaining(deadline)
    if time_limit_s <= 0:
        return _no_solution(p, "cp-sat", -math.inf, cut=True)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.random_seed = int(seed)
    solver.parameters.num_workers = int(num_workers)
    status = solver.solve(model)
    share = np.zeros((len(p.members), n_depots))
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for u, row in enumerate(x):
            for j, v in row.items():
                if solver.boolean_value(v):
                    share[u, j] = 1.0
        open_ = np.zeros(n_depots, dtype=bool)
        for j, v in y.items():
            open_[j] = solver.boolean_value(v)
        return _Raw(
            share=share,
            open=open_ if p.need_y else None,
            status="OPTIMAL" if status == cp_model.OPTIMAL else "FEASIBLE",
            bound=solver.best_objective_bound / scale,
            backend="cp-sat",
            cut=status != cp_model.OPTIMAL and solver.wall_time >= 0.99 * time_limit_s,
        )
    return _no_solution(p, "cp-sat", -math.inf, cut=solver.wall_time >= 0.99 * time_limit_s)


def _cpsat_openings(
    model: cp_model.CpModel, p: _Problem, x: list[dict[int, cp_model.IntVar]]
) -> dict[int, cp_model.IntVar]:
    """Opening variables of the depots that may open (none when the model needs none), linked to ``x``."""
    y: dict[int, cp_model.IntVar] = {}
    if not p.need_y:
        return y
    for j in range(p.capacity.shape[0]):
        if p.closed[j]:
            continue
        y[j] = model.new_bool_var(f"open{j}")
        if p.forced[j]:
            model.add(y[j] == 1)
    for row in x:
        for j, v in row.items():
            model.add_implication(v, y[j])
    if p.max_open is not None:
        model.add(sum(y.values()) <= p.max_open)
    return y


def _cpsat_stock(
    model: cp_model.CpModel, p: _Problem, x: list[dict[int, cp_model.IntVar]], y: dict[int, cp_model.IntVar]
) -> None:
    """Stock of every commodity at every depot, in integer units (demand rounded up, stock down)."""
    for c in range(p.demand.shape[1]):
        finite_cap = p.capacity[np.isfinite(p.capacity[:, c]), c]
        top_kg = max(float(p.unit_demand[:, c].sum()), float(finite_cap.max(initial=0.0)))
        kscale = _pow2_scale(_KG_RESOLUTION, top_kg)  # exact for values that are whole in it
        for j in range(p.capacity.shape[0]):
            if not np.isfinite(p.capacity[j, c]):
                continue
            terms = [(int(math.ceil(p.unit_demand[u, c] * kscale)), row[j]) for u, row in enumerate(x) if j in row]
            terms = [(w, v) for w, v in terms if w > 0]
            cap = int(math.floor(p.capacity[j, c] * kscale))
            if sum(w for w, _ in terms) <= cap:
                continue
            expr = cp_model.LinearExpr.weighted_sum([v for _, v in terms], [w for w, _ in terms])
            model.add(expr <= cap * y[j] if j in y else expr <= cap)


def _no_solution(p: _Problem, backend: str, bound: float, *, cut: bool) -> _Raw:
    """What a backend returns when it found no plan (the caller falls back to the heuristic's)."""
    return _Raw(share=np.zeros((len(p.members), p.capacity.shape[0])), open=None, status="NOT_SOLVED", bound=bound,
                backend=backend, cut=cut)


def _remaining(deadline: float) -> float:
    """Seconds left until ``deadline`` (a ``time.perf_counter`` value), capped for the solvers' parameters."""
    return min(deadline - time.perf_counter(), 1e7)


class _OutOfTime(Exception):
    """The deadline passed while the model was being built."""


def _check(deadline: float) -> None:
    """Stop building the model once ``deadline`` has passed (large models take seconds to build)."""
    if time.perf_counter() > deadline:
        raise _OutOfTime


_MIP_SOLVERS = {"highs": mathopt.SolverType.HIGHS, "scip": mathopt.SolverType.GSCIP}
#: Backends that take a solution hint through MathOpt.
_HINTED = frozenset({"scip", "highs"})


def _mip_model(
    p: _Problem, deadline: float
) -> tuple[mathopt.Model, list[dict[int, mathopt.Variable]], list[mathopt.Variable], dict[int, mathopt.Variable]]:
    """The MathOpt model and its variables (assignment, drop, opening); :class:`_OutOfTime` past ``deadline``."""
    model = mathopt.Model(name="cflp")
    integral = not p.splittable
    x: list[dict[int, mathopt.Variable]] = []
    drop: list[mathopt.Variable] = []
    obj_terms: dict[mathopt.Variable, float] = {}
    for u, arcs in enumerate(p.arcs):
        _check(deadline)
        row = {int(j): model.add_variable(lb=0.0, ub=1.0, is_integer=integral) for j in arcs}
        d = model.add_variable(lb=0.0, ub=1.0)  # 1 - sum(x): integral whenever x is
        model.add_linear_constraint(mathopt.fast_sum([*row.values(), d]) == 1.0)
        x.append(row)
        drop.append(d)
        for j, v in row.items():
            obj_terms[v] = float(p.unit_cost[u, j])
        obj_terms[d] = float(p.unit_penalty[u])
    y = _mip_openings(model, p, x, deadline)
    for j, v in y.items():
        if p.fixed[j] > 0:
            obj_terms[v] = float(p.fixed[j])
    _mip_stock(model, p, x, y, deadline)
    model.minimize(0.0)
    for v, coef in obj_terms.items():
        model.objective.set_linear_coefficient(v, coef)
    return model, x, drop, y


def _solve_mip(
    p: _Problem, deadline: float, seed: int, num_workers: int, engine: str, node_limit: int | None, start: _Raw
) -> _Raw:
    """Solve the MIP (splittable: x continuous) with the time left until ``deadline``, hinted with ``start``."""
    began = time.perf_counter()
    try:
        model, x, drop, y = _mip_model(p, deadline)
    except _OutOfTime:
        return _no_solution(p, engine, -math.inf, cut=True)
    n_depots = p.capacity.shape[0]
    integral = not p.splittable
    time_limit_s = _remaining(deadline) - _HANDOVER_SHARE * (time.perf_counter() - began)
    if time_limit_s <= 0:
        return _no_solution(p, engine, -math.inf, cut=True)
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=time_limit_s),
        random_seed=int(seed),
        threads=None if engine == "highs" else int(num_workers),  # HiGHS refuses the option
        relative_gap_tolerance=_GAP_TOLERANCE,
        absolute_gap_tolerance=0.0,
        node_limit=node_limit,
        heuristics=mathopt.Emphasis.HIGH if engine == "scip" and integral else None,
    )
    model_params = _mip_hint(start, x, drop, y) if engine in _HINTED else None
    result = mathopt.solve(model, _MIP_SOLVERS[engine], params=params, model_params=model_params)
    reason = result.termination.reason
    cut = reason != mathopt.TerminationReason.OPTIMAL and result.termination.limit == mathopt.Limit.TIME
    share = np.zeros((len(p.members), n_depots))
    if not result.has_primal_feasible_solution():
        return _no_solution(p, engine, float(result.termination.objective_bounds.dual_bound), cut=cut)
    values = result.variable_values()
    for u, row in enumerate(x):
        for j, v in row.items():
            share[u, j] = values[v]
    open_ = np.zeros(n_depots, dtype=bool)
    for j, v in y.items():
        open_[j] = values[v] > 0.5
    return _Raw(
        share=share,
        open=open_ if p.need_y else None,
        status="OPTIMAL" if reason == mathopt.TerminationReason.OPTIMAL else "FEASIBLE",
        bound=float(result.termination.objective_bounds.dual_bound),
        backend=engine,
        cut=cut,
    )


def _mip_openings(
    model: mathopt.Model, p: _Problem, x: list[dict[int, mathopt.Variable]], deadline: float
) -> dict[int, mathopt.Variable]:
    """Opening variables of the depots that may open (none when the model needs none), linked to ``x``."""
    y: dict[int, mathopt.Variable] = {}
    if not p.need_y:
        return y
    for j in range(p.capacity.shape[0]):
        if p.closed[j]:
            continue
        y[j] = model.add_binary_variable()
        if p.forced[j]:
            y[j].lower_bound = 1.0
    for row in x:
        _check(deadline)
        for j, v in row.items():
            model.add_linear_constraint(v <= y[j])
    if p.max_open is not None:
        model.add_linear_constraint(mathopt.fast_sum(y.values()) <= p.max_open)
    return y


def _mip_stock(
    model: mathopt.Model, p: _Problem, x: list[dict[int, mathopt.Variable]], y: dict[int, mathopt.Variable],
    deadline: float,
) -> None:
    """Stock of every commodity at every depot (only where the units that may use it could exceed it)."""
    for c in range(p.demand.shape[1]):
        for j in range(p.capacity.shape[0]):
            _check(deadline)
            if not np.isfinite(p.capacity[j, c]):
                continue
            terms = [(float(p.unit_demand[u, c]), row[j]) for u, row in enumerate(x) if j in row]
            terms = [(w, v) for w, v in terms if w > 0]
            if sum(w for w, _ in terms) <= p.capacity[j, c]:
                continue
            expr = mathopt.fast_sum(w * v for w, v in terms)
            cap = float(p.capacity[j, c])
            model.add_linear_constraint(expr - cap * y[j] <= 0.0 if j in y else expr <= cap)


def _mip_hint(
    start: _Raw, x: list[dict[int, mathopt.Variable]], drop: list[mathopt.Variable], y: dict[int, mathopt.Variable]
) -> mathopt.ModelSolveParameters:
    """The heuristic plan as a solution hint."""
    hint = {v: float(start.share[u, j]) for u, row in enumerate(x) for j, v in row.items()}
    hint.update({d: max(0.0, 1.0 - float(start.share[u].sum())) for u, d in enumerate(drop)})
    opened = start.share.sum(axis=0) > 0 if start.open is None else start.open
    hint.update({v: float(opened[j]) for j, v in y.items()})
    return mathopt.ModelSolveParameters(solution_hints=[mathopt.SolutionHint(variable_values=hint)])
