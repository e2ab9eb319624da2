"""Running independent jobs in local processes or on a Dask cluster, with the results in job order.

Every job is a module-level function and its arguments, so it runs alike in this process, in a local worker
process or on a Dask worker; a job's result must not depend on where it ran (the planner's searches stop on
deterministic budgets, so it does not). A process that is itself a pool worker runs its jobs in turn: pool
workers are daemonic and may not start processes of their own.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from distributed import Client

from optimizer.errors import OptimizerError


def mark_single_process() -> None:
    """Pool initializer: mark the worker daemonic, so that work inside it runs in-process (no nested pools)."""
    process = multiprocessing.current_process()
    try:
        process.daemon = True
    except (AssertionError, AttributeError):  # pragma: no cover - not a multiprocessing child
        pass


def in_worker() -> bool:
    """Whether this process is a pool worker (which may not start processes)."""
    process = multiprocessing.current_process()
    return process.name != "MainProcess" and bool(process.daemon)


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else methods[0])


def run_jobs(function: Callable[..., Any], jobs: Sequence[tuple], *, workers: int = 1,
             dask_address: Any = None, name: str = "job") -> list[Any]:
    """``[function(*job) for job in jobs]``, in up to ``workers`` local processes or on a Dask cluster.

    Parameters
    ----------
    function
        A module-level function (it is pickled by reference).
    jobs
        Argument tuples, one per call.
    workers
        Local processes; 1 (or a call from inside a pool worker) runs the jobs here, in order.
    dask_address
        A Dask scheduler address, a ``distributed.Client`` or a cluster object with ``scheduler_address``;
        when given, the jobs run there instead.
    name
        Prefix of the Dask task keys.

    Raises
    ------
    OptimizerError
        If the Dask scheduler cannot be reached.
    """
    if dask_address is not None:
        return _on_dask(function, jobs, dask_address, name)
    if workers <= 1 or len(jobs) <= 1 or in_worker():
        return [function(*job) for job in jobs]
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=_context(),
                             initializer=mark_single_process) as pool:
        futures = [pool.submit(function, *job) for job in jobs]
        try:
            return [f.result() for f in futures]
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def background_pool(workers: int = 1) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes for work done beside the main computation (e.g. writing a day's
    files while the next day is planned); its workers run everything in-process."""
    return ProcessPoolExecutor(workers, mp_context=_context(), initializer=mark_single_process)


def _connect(address: Any) -> tuple[Client, bool]:
    """A client of the cluster at ``address`` and whether it is ours to close."""
    if isinstance(address, Client):
        return address, False
    address = str(getattr(address, "scheduler_address", address))
    try:
        return Client(address, timeout="20s", set_as_default=False), True
    except OSError as exc:
        raise OptimizerError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc


def _single_process_call(function: Callable[..., Any], *args: Any) -> Any:
    """Run a job on a Dask worker, marked as a pool worker so that it starts no processes of its own."""
    mark_single_process()
    return function(*args)


def _on_dask(function: Callable[..., Any], jobs: Sequence[tuple], address: Any, name: str) -> list[Any]:
    client, own = _connect(address)
    try:
        run = uuid.uuid4().hex[:8]
        futures = [client.submit(_single_process_call, function, *job, key=f"{name}-{run}-{i}", pure=False)
                   for i, job in enumerate(jobs)]
        return client.gather(futures)
    finally:
        if own:
            client.close()
