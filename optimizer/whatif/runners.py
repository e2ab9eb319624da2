"""Running what-if plans: the base day and every variant, in local processes or on a Dask cluster.

Every plan uses the same options and seed; a plan does not depend on which process ran it or on how many
ran, as long as its searches end by their deterministic limits (``plan.kpis['routing']['stopped_by']`` is
``'solution limit'`` and the depot assignment is ``OPTIMAL``), not by the wall clock.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from distributed import Client

from optimizer.errors import InputError, OptimizerError
from optimizer.plan import Plan, PlanOptions, run_plan
from optimizer.scenario.model import Scenario
from optimizer.whatif.changes import BASE, Variant
from optimizer.whatif.compare import Comparison
from optimizer.whatif.variants import check_variants


def _single_process_worker() -> None:
    """Pool initializer: mark the worker daemonic so the matrix code computes in-process (no nested pools)."""
    process = multiprocessing.current_process()
    try:
        process.daemon = True
    except (AssertionError, AttributeError):  # pragma: no cover - not a multiprocessing child
        pass


def _plan_one(name: str, scenario: Scenario, options: PlanOptions) -> Plan:
    """Plan one variant (module level: runs in pool and Dask workers)."""
    process = multiprocessing.current_process()
    if process.name != "MainProcess" and not process.daemon:
        _single_process_worker()
    try:
        return run_plan(scenario, options=options)
    except OptimizerError as exc:
        raise InputError(f"variant '{name}': {exc}") from None
    except Exception as exc:  # a fault of the planner itself: keep its traceback, say which variant
        exc.add_note(f"(while planning the what-if variant '{name}')")
        raise


def _pool_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def _run_local(jobs: list[tuple[str, Scenario, PlanOptions]], workers: int) -> list[Plan]:
    if workers <= 1 or len(jobs) <= 1:
        return [_plan_one(*job) for job in jobs]
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=_pool_context(),
                             initializer=_single_process_worker) as pool:
        futures = [pool.submit(_plan_one, *job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _run_dask(jobs: list[tuple[str, Scenario, PlanOptions]], address: Any) -> list[Plan]:
    if isinstance(address, Client):
        client, own = address, False
    else:
        address = getattr(address, "scheduler_address", address)
        try:
            client, own = Client(address, timeout="20s"), True
        except OSError as exc:
            raise OptimizerError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    try:
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(_plan_one, *job, key=f"whatif-{run}-{i}", pure=False)
                   for i, job in enumerate(jobs)]
        return client.gather(futures)
    finally:
        if own:
            client.close()


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
    if dask_address is not None:
        plans = _run_dask(jobs, dask_address)
    else:
        workers = workers or max(1, min(os.cpu_count() or 1, len(jobs)))
        plans = _run_local(jobs, workers)
    return Comparison(
        plans=dict(zip([j[0] for j in jobs], plans)),
        variants={v.name: v for v in all_variants},
        scenarios={j[0]: j[1] for j in jobs},
        options={j[0]: j[2] for j in jobs},
    )


