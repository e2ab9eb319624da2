"""Running what-if plans: the base day and every variant, in local processes or on a Dask cluster.

Every plan uses the same options and seed; a plan does not depend on which process ran it or on how many
ran, as long as its searches end by their deterministic limits (``plan.kpis['routing']['stopped_by']`` is
``'solution limit'`` and the depot assignment is ``OPTIMAL``), not by the wall clock.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from optimizer.errors import InputError, OptimizerError
from optimizer.parallel import run_jobs
from optimizer.plan import Plan, PlanOptions, run_plan
from optimizer.scenario.model import Scenario
from optimizer.whatif.changes import BASE, Variant
from optimizer.whatif.compare import Comparison
from optimizer.whatif.variants import check_variants


def _plan_one(name: str, scenario: Scenario, options: PlanOptions) -> Plan:
    """Plan one variant (module level: runs in pool and Dask workers)."""
    try:
        return run_plan(scenario, options=options)
    except OptimizerError as exc:
        raise InputError(f"variant '{name}': {exc}") from None
    except Exception as exc:  # a fault of the planner itself: keep its traceback, say which variant
        exc.add_note(f"(while planning the what-if variant '{name}')")
        raise


def run_variants(
    base: Scenario,
    variants: Sequence[Variant],
    *,
    options: PlanOptions | None = None,
    workers: int | None = None,
    dask_address: Any = None,
    include_base: bool = True,
) -> Comparison:
    """Plan the base day and every variant, in parallel, and compare them.

    Parameters
    ----------
    base
        The base scenario.
    variants
        Variants of it (unique names; ``'base'`` is reserved).
    options
        Plan options for every plan (same seed and time limit). Keep the time limit high enough for the
        searches to end by their deterministic limits if plans must be reproducible across machines.
    workers
        Local processes (default: one per core, at most one per plan; 1 plans in this process). Each plan
        runs single-process inside its worker (the matrix code does not start its own pool there).
    dask_address
        A Dask scheduler address (``tcp://host:8786``), a ``distributed.Client`` or a cluster object: plans run
        on that cluster instead of local processes.
    include_base
        Plan the unchanged base day as the first row, named ``'base'``.

    Raises
    ------
    InputError
        A variant that does not fit the base, before anything is planned.
    """
    options = options or PlanOptions()
    names = [v.name for v in variants]
    dupes = sorted({n for n in names if names.count(n) > 1 or (include_base and n == BASE)})
    if dupes:
        raise InputError(f"variant names must be unique and not '{BASE}': {', '.join(dupes)}", field="name")
    applied = check_variants(base, variants, options=options)
    jobs = ([(BASE, base, options)] if include_base else []) + [
        (v.name, scenario, opts) for v, (scenario, opts) in zip(variants, applied)]
    all_variants = ([Variant(BASE, description=base.description or "")] if include_base else []) + list(variants)
    workers = workers or max(1, min(os.cpu_count() or 1, len(jobs)))
    plans = run_jobs(_plan_one, jobs, workers=workers, dask_address=dask_address, name="whatif")
    return Comparison(
        plans=dict(zip([j[0] for j in jobs], plans)),
        variants={v.name: v for v in all_variants},
        scenarios={j[0]: j[1] for j in jobs},
        options={j[0]: j[2] for j in jobs},
    )


