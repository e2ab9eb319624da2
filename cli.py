"""Command line of the Khánh Hòa food-supply planner: parses arguments and calls ``optimizer``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import signal
import sys
import time
import warnings
from pathlib import Path

import click
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from optimizer.clock import parse_hhmm
from optimizer.demand import drop_points
from optimizer.errors import InputError, OptimizerError, OutputError
from optimizer.files import reserve_folder, staged_folder, write_csv
from optimizer.network import Closure, closures_from_geojson, load_network, load_network_settings
from optimizer.outputs.report import write_assignment_files, write_outputs, write_route_files
from optimizer.outputs.resources import labels
from optimizer.outputs.summary import summary_text
from optimizer.outputs.webmap import map_copy_name, render_map
from optimizer.period import Calendar, default_calendar, plan_period, read_calendar
from optimizer.period.calendar import MAX_DAYS
from optimizer.period.report import DayWriter, write_period_files
from optimizer.plan import DEFAULT_TIME_LIMIT_S, PlanOptions, plan_assignment, run_plan, validate_scenario
from optimizer.replan import plan_options, plan_scenario, read_delivered, read_events, read_plan, read_requests
from optimizer.replan import replan as replan_day
from optimizer.scenario import export_scenario, load_scenario, province_scenario
from optimizer.solve.routing import ENGINES
from optimizer.whatif import load_variants, run_variants

#: Exit codes, documented in the README.
EXIT_OK = 0
EXIT_PARTIAL = 1  # a plan was made but some demand is unserved
EXIT_INPUT = 2  # bad input: nothing was solved
EXIT_FAILURE = 3  # the run could not finish (output not writable or full, busy, interrupted, ...)


class Terminated(KeyboardInterrupt):
    """SIGTERM (e.g. ``kill`` or a stopped service), handled like Ctrl-C."""


#: The command's own process: forked workers (what-if runs) inherit the handler but die as usual on SIGTERM.
_MAIN_PID = os.getpid()


def _terminate(signum, frame):
    if os.getpid() != _MAIN_PID:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated


def _reported(command):
    """Turn library errors into one line each and an exit code; show warnings as ``warning:`` lines."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            previous = signal.signal(signal.SIGTERM, _terminate)
            try:
                code = command(*args, **kwargs)
            except OutputError as exc:
                code = EXIT_FAILURE
                click.echo(f"error: {exc}", err=True)
            except OptimizerError as exc:
                code = EXIT_INPUT
                for line in str(exc).splitlines():
                    click.echo(f"error: {line}", err=True)
            except click.ClickException:
                raise  # a bad option found after parsing: click reports it as a usage error (exit 2)
            except KeyboardInterrupt as exc:
                how = "terminated" if isinstance(exc, Terminated) else "interrupted"
                click.echo(f"{how}: stopped before finishing; output folders keep their previous files", err=True)
                code = EXIT_FAILURE
            except OSError as exc:
                click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
                code = EXIT_FAILURE
            except Exception as exc:  # a bug: one line for the planner, the traceback on request
                if os.environ.get("KHFOOD_DEBUG"):
                    raise
                click.echo(f"internal error: {type(exc).__name__}: {exc} (set KHFOOD_DEBUG=1 for details "
                           "and report it)", err=True)
                code = EXIT_FAILURE
            finally:
                signal.signal(signal.SIGTERM, previous)
                for warning in caught:
                    click.echo(f"warning: {warning.message}", err=True)
        sys.exit(code or EXIT_OK)

    return wrapper


def _holding_out(command):
    """Hold the command's ``--out`` folder (writable, not in use by another run) before any work starts."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with reserve_folder(kwargs["out"]):
            return command(*args, **kwargs)

    return wrapper


class _Steps:
    """Shows the library's progress reports ``(stage, done, total, detail)`` on stderr: a bar per stage on a
    terminal, one plain line per report otherwise (logs, pipes), nothing with ``--quiet``."""

    def __init__(self, *, quiet: bool) -> None:
        self.quiet = quiet
        self.started = time.monotonic()
        self.live: Progress | None = None
        self.task: TaskID | None = None
        self.stage = ""
        if not quiet and sys.stderr.isatty():
            self.live = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=Console(stderr=True))

    def __enter__(self) -> _Steps:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.live is not None:
            self._finish_stage()
            self.live.stop()

    def _finish_stage(self) -> None:
        if self.live is not None and self.task is not None:
            total = self.live.tasks[-1].total or 1
            self.live.update(self.task, total=total, completed=total)

    def __call__(self, stage: str, done: int = 0, total: int = 0, detail: str = "") -> None:
        if self.quiet:
            return
        text = f"{stage}: {detail}" if detail else stage
        if self.live is None:
            count = f" {done}/{total}" if total else ""
            click.echo(f"[{time.monotonic() - self.started:6.1f} s] {stage}{count}" + (f": {detail}" if detail else ""),
                       err=True)
            return
        if stage != self.stage or self.task is None:
            self._finish_stage()
            self.task = self.live.add_task(text, total=total or None)
            self.stage = stage
        self.live.update(self.task, description=text, completed=done, total=total or None)


_quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress display on stderr.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Plan daily food deliveries for Nha Trang, Ninh Hòa and Vạn Ninh under lockdown."""


# ----------------------------------------------------------------------------------------- network


@main.group()
def network() -> None:
    """Build and inspect the road network."""


def _network_options(command):
    command = click.option("--osm", type=click.Path(dir_okay=False, path_type=Path),
                           help="Build from your own OSM extract (.osm, .osm.bz2, .osm.pbf).")(command)
    command = click.option("--profile", default="truck", show_default=True,
                           help="Vehicle profile: truck or motorbike.")(command)
    command = click.option("--config", type=click.Path(dir_okay=False, path_type=Path),
                           help="TOML file overriding speeds, profiles and approximation settings.")(command)
    command = click.option("--exclude", "excluded", multiple=True, metavar="CLASS",
                           help="Further road class the profile may not use (repeatable).")(command)
    command = click.option("--close-osm-id", multiple=True, type=int, help="Close an OSM way (repeatable).")(command)
    command = click.option("--close-name", multiple=True, help="Close every road with this name or ref.")(command)
    command = click.option("--close-polygon", type=click.Path(dir_okay=False, path_type=Path),
                           help="GeoJSON of polygons: roads inside are closed.")(command)
    return command


def _load(osm, profile, config, excluded, close_osm_id, close_name, close_polygon, rebuild=False):
    settings = load_network_settings(config)
    if excluded:
        settings = settings.with_excluded(profile, list(excluded))
    closures = [Closure("osm_id", i) for i in close_osm_id] + [Closure("name", n) for n in close_name]
    if close_polygon:
        closures += closures_from_geojson(close_polygon)
    return load_network(profile=profile, osm=osm, settings=settings, closures=closures, rebuild=rebuild)


def _print_info(info: dict) -> None:
    click.echo(f"Road network ({info['profile']}) from {info['source']}")
    click.echo(f"  nodes {info['nodes']:,}   edges {info['edges']:,}   closed edges {info['closed_edges']:,}")
    click.echo(f"  road km {info['road_km']:,.1f}   of which APPROXIMATE (not OSM) {info['approximate_km']:,.1f} km "
               f"({info['approximate_share']:.1%})")
    click.echo(f"  connected share kept (largest strongly connected component) {info['connected_share']:.1%}")
    box = info["bbox"]
    click.echo(f"  bbox lon {box['min_lon']:.4f}–{box['max_lon']:.4f}, lat {box['min_lat']:.4f}–{box['max_lat']:.4f}")
    click.echo("  km by road class: " + ", ".join(f"{k} {v:,.1f}" for k, v in info["km_by_class"].items()))
    for locality, row in info["coverage"].items():
        flag = "  (approximate: corridor + access links only)" if row["approximate_km"] >= 0.9 * row["road_km"] > 0 else ""
        click.echo(f"  {locality}: {row['road_km']:,.1f} km, {row['nodes']:,} nodes, "
                   f"{row['wards_with_nodes']}/{row['wards']} wards reached{flag}")


@network.command("build")
@_network_options
@_reported
def network_build(osm, profile, config, excluded, close_osm_id, close_name, close_polygon):
    """Build (or rebuild) the network and store it in the cache."""
    net = _load(osm, profile, config, excluded, close_osm_id, close_name, close_polygon, rebuild=True)
    _print_info(net.info())


@network.command("info")
@_network_options
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@_reported
def network_info(osm, profile, config, excluded, close_osm_id, close_name, close_polygon, as_json):
    """Summarise the network: size, km by class, approximate km, coverage per locality."""
    info = _load(osm, profile, config, excluded, close_osm_id, close_name, close_polygon).info()
    if as_json:
        click.echo(json.dumps(info, ensure_ascii=False, indent=2, default=float))
    else:
        _print_info(info)


# ---------------------------------------------------------------------------------------- scenario

_scenario_argument = click.argument("scenario_dir", required=False, type=click.Path(file_okay=False, path_type=Path))
def _sheet_options(command):
    """``--lang`` and ``--offline`` of the commands that write a plan set (sheets and map)."""
    command = click.option("--offline", is_flag=True,
                           help="Self-contained map: no internet, no tile server needed.")(command)
    return click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
                        help="Language of maps and dispatch sheets.")(command)


_strict_option = click.option(
    "--strict", is_flag=True,
    help="Numbers that look written with thousands separators (55.000, \"1,500\") in the scenario's CSV files "
         "are errors (exit 2) instead of warnings.")


@main.group()
def scenario() -> None:
    """Export the embedded default scenario as editable files."""


@scenario.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--with-points", is_flag=True,
              help="Also write the generated drop points (demand_points.csv) so you can edit them.")
@click.option("--scale", type=click.IntRange(min=1), default=1, show_default=True,
              help="A synthetic province-sized day: N times the drop points and the vehicles (a load test; "
                   "5 gives some 5,000 points).")
@_reported
def scenario_export(folder, with_points, scale):
    """Write the embedded default day (26/07/2021) as CSV/TOML files into FOLDER."""
    day = province_scenario(scale=scale)
    written = export_scenario(day, folder, demand_points=drop_points(day) if with_points else None)
    click.echo(f"wrote the default scenario to {written}/")
    for path in sorted(Path(written).iterdir()):
        click.echo(f"  {path.name}")


@main.command()
@_scenario_argument
@_strict_option
@_reported
def validate(scenario_dir, strict):
    """Check a scenario folder (default: the embedded day) and summarise it, or list every problem."""
    loaded = load_scenario(scenario_dir, strict=strict)
    try:
        network = load_network(profile="truck", closures=[c for c in loaded.closures if c.applies_to("truck")])
    except InputError:
        # A closure that matches no road: the report names its file, row and field (checked on the open network).
        network = load_network(profile="truck")
    report = validate_scenario(loaded, network=network)
    click.echo(report.text())
    return EXIT_OK if report.ok else EXIT_INPUT


# -------------------------------------------------------------------------------------------- plans


def _plan_options(command):
    command = click.option("--time-limit", "time_limit", type=click.FloatRange(min=1), default=DEFAULT_TIME_LIMIT_S,
                           show_default=True,
                           help="Safety cap of the solve in seconds (assignment + routing).")(command)
    command = click.option("--seed", type=int, default=0, show_default=True,
                           help="Same scenario and seed give the same plan.")(command)
    command = click.option("--level", type=click.Choice(["point", "ward"]), default="ward", show_default=True,
                           help="Assign depots per drop point or per whole ward.")(command)
    command = click.option("--max-depots", type=click.IntRange(min=1), help="Open at most N depots.")(command)
    command = click.option("--close", "close", multiple=True, metavar="DEPOT_ID",
                           help="Close a depot for the day (repeatable).")(command)
    command = click.option("--idle-closed", "idle_closed", is_flag=True,
                           help="Vehicles of a closed depot stay idle (default: they move to the nearest open "
                                "depot of the same locality).")(command)
    command = click.option("--no-lending", "no_lending", is_flag=True,
                           help="Every depot works with its own vehicles only.")(command)
    command = click.option("--balance", is_flag=True, help="Even out route durations across vehicles.")(command)
    command = click.option("--engine", type=click.Choice(ENGINES), default="portfolio", show_default=True,
                           help="Routing engine of the sub-problems: 'portfolio' runs OR-Tools and PyVRP and keeps "
                                "the better routes of each depot (see the README for the measurements).")(command)
    command = click.option("--workers", type=click.IntRange(min=1),
                           help="Processes that search depots (and the portfolio's two engines) at once "
                                "[default: one per core]; the plan is the same for any number.")(command)
    command = click.option("--dask", "dask_address", metavar="ADDRESS",
                           help="Search on the Dask cluster at ADDRESS (tcp://host:8786) instead.")(command)
    return command


def _options(kwargs):
    return PlanOptions(time_limit_s=kwargs["time_limit"], seed=kwargs["seed"], level=kwargs["level"],
                       max_depots=kwargs["max_depots"], close_depots=tuple(kwargs["close"]),
                       idle_closed=kwargs["idle_closed"], lend=not kwargs["no_lending"], balance=kwargs["balance"],
                       engine=kwargs["engine"], workers=kwargs["workers"] or os.cpu_count() or 1,
                       dask_address=kwargs["dask_address"])


def _scenario(scenario_dir, date=None, strict=False):
    """The scenario to plan, with ``date`` (``YYYY-MM-DD``) when given."""
    loaded = load_scenario(scenario_dir, strict=strict)
    if date is not None:
        try:
            day = dt.date.fromisoformat(date)
        except ValueError as exc:
            raise click.BadParameter(f"'{date}' is not a day YYYY-MM-DD ({exc})", param_hint="'--date'") from None
        loaded = dataclasses.replace(loaded, date=day)
    return loaded


def _run(loaded, steps: _Steps, **kwargs):
    """Plan, reporting each step to ``steps``, and return the plan."""
    unknown = sorted(set(kwargs.get("close") or ()) - {d.id for d in loaded.depots})
    if unknown:
        raise click.BadParameter(f"unknown depot id(s) {', '.join(unknown)} (known: "
                                 f"{', '.join(d.id for d in loaded.depots)})", param_hint="'--close'")
    return run_plan(loaded, options=_options(kwargs), progress=steps)


def _print_summary(plan, lang: str) -> None:
    click.echo(summary_text(plan, lang))


_out_help = " Replaced as a whole by each run; checked (writable, not in use) before solving."


@main.command()
@_scenario_argument
@_plan_options
@_strict_option
@_quiet_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output/assign"),
              show_default=True, help="Output folder." + _out_help)
@_reported
@_holding_out
def assign(scenario_dir, out, strict, quiet, **kwargs):
    """Assign drop points (or wards) to depots within stock; write assignment.csv."""
    with _Steps(quiet=quiet) as steps:
        assignment = plan_assignment(load_scenario(scenario_dir, strict=strict), options=_options(kwargs),
                                     progress=steps)
        steps("outputs")
        write_assignment_files(assignment, out)
    summary = assignment.depots.pivot_table(index=["depot_id", "name"], columns="commodity",
                                            values=["load_kg", "stock_kg"], aggfunc="sum")
    click.echo(summary.round(0).to_string())
    click.echo(f"objective {assignment.objective:,.0f}, best bound {assignment.best_bound:,.0f}, "
               f"gap {assignment.gap:.3%}, {assignment.status}, {assignment.solve_time_s:.1f} s")
    click.echo(f"unassigned points: {len(assignment.unassigned)}; wrote {out / 'assignment.csv'}")
    return EXIT_PARTIAL if len(assignment.unassigned) else EXIT_OK


@main.command()
@_scenario_argument
@_plan_options
@_strict_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output/route"),
              show_default=True, help="Output folder." + _out_help)
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the printed summary.")
@_quiet_option
@_reported
@_holding_out
def route(scenario_dir, out, strict, lang, quiet, **kwargs):
    """Plan the routes; write routes.csv, plan.json and unserved.csv."""
    with _Steps(quiet=quiet) as steps:
        plan = _run(load_scenario(scenario_dir, strict=strict), steps, **kwargs)
        steps("outputs")
        write_route_files(plan, out)
    _print_summary(plan, lang)
    click.echo(f"wrote {out}/routes.csv, plan.json, unserved.csv")
    return EXIT_PARTIAL if len(plan.unserved) else EXIT_OK


@main.command()
@_scenario_argument
@_plan_options
@click.option("--date", help="Planning day YYYY-MM-DD (default: the scenario's).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: output/<date>)." + _out_help)
@_sheet_options
@_strict_option
@_quiet_option
@_reported
def plan(scenario_dir, date, out, lang, offline, strict, quiet, **kwargs):
    """The morning job: validate → network → demand → depots → routes → files, sheets and map."""
    loaded = _scenario(scenario_dir, date, strict)
    out = out or Path("output") / loaded.date.isoformat()
    maps_dir = Path(__file__).resolve().parent / "maps"
    with reserve_folder(out), _Steps(quiet=quiet) as steps:
        day = _run(loaded, steps, **kwargs)
        steps("outputs")
        write_outputs(day, out, lang=lang,
                      extra=lambda staging: render_map(day, staging / "map.html", lang=lang, offline=offline))
    copy = render_map(day, maps_dir / map_copy_name(day), lang=lang, offline=offline)
    _print_summary(day, lang)
    click.echo(f"wrote {out}/ (dispatch/ sheets and PDF, loading.csv/.html, plan.xlsx, gpx/, routes.csv, "
               f"summary.csv, unserved.csv, meals.csv, plan.json, routes.geojson, timeline.html, map.html) and {copy}")
    return EXIT_PARTIAL if len(day.unserved) or (day.meals["status"] != "delivered").any() else EXIT_OK


# ------------------------------------------------------------------------------------------- re-plan


def _road_closures(values) -> list[Closure]:
    """``--close-road`` values: ``osm:ID``, a GeoJSON file of polygons, or a road name (``name:`` optional)."""
    closures: list[Closure] = []
    for value in values:
        if value.lower().startswith("osm:"):
            try:
                closures.append(Closure("osm_id", int(value[4:]), label=f"OSM way {value[4:]} (re-plan)"))
            except ValueError:
                raise click.BadParameter(f"'{value}' is not osm:<way id>", param_hint="'--close-road'") from None
        elif value.lower().endswith((".geojson", ".json")):
            closures += closures_from_geojson(value)
        else:
            closures.append(Closure("name", value.removeprefix("name:")))
    return closures


def _at(value: str) -> int:
    try:
        return parse_hhmm(value)
    except ValueError as exc:
        raise click.BadParameter(f"'{value}' is not a time HH:MM ({exc})", param_hint="'--at'") from None


@main.command()
@click.argument("plan_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--at", "at", required=True, help="Re-plan time HH:MM: what is done by then stays done.")
@click.option("--delivered", type=click.Path(dir_okay=False, path_type=Path),
              help="delivered.csv: the stops' reports (done, refused, failed).")
@click.option("--events", type=click.Path(dir_okay=False, path_type=Path),
              help="events.csv: breakdowns, vehicles added, depots closed, stock received, roads closed.")
@click.option("--requests", type=click.Path(dir_okay=False, path_type=Path),
              help="requests.csv: the hotline's requests to add.")
@click.option("--close-road", "close_road", multiple=True, metavar="ROAD",
              help="Close a road from --at on: osm:<way id>, a road name, or a GeoJSON file of polygons "
                   "(repeatable).")
@click.option("--scenario", "scenario_dir", type=click.Path(file_okay=False, path_type=Path),
              help="The plan's scenario folder (default: the one recorded in its plan.json).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder of the new plan set." + _out_help)
@click.option("--engine", type=click.Choice(ENGINES), help="Routing engine (default: the earlier plan's).")
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: one per core).")
@_sheet_options
@_strict_option
@_quiet_option
@_reported
def replan(plan_dir, at, delivered, events, requests, close_road, scenario_dir, out, engine, workers, lang, offline,
           strict, quiet):
    """Re-plan the day of PLAN_DIR from --at on: keep what is done and each trip's next stop, re-plan the rest
    with the reports, events and requests; write a complete plan set and changes.csv into --out."""
    at_s = _at(at)
    earlier = read_plan(plan_dir)
    loaded = plan_scenario(earlier, scenario_dir, strict=strict)
    reports = read_delivered(delivered, planned=earlier.planned(), commodities=loaded.commodities,
                                  strict=strict) if delivered else []
    happened = read_events(events, vehicles=[v.id for v in loaded.vehicles()], depots=[d.id for d in loaded.depots],
                           commodities=loaded.commodities, strict=strict) if events else []
    asked = read_requests(requests, scenario=loaded, strict=strict) if requests else []
    options = plan_options(earlier, engine=engine, workers=workers or os.cpu_count() or 1)
    with reserve_folder(out), _Steps(quiet=quiet) as steps:
        again = replan_day(earlier, scenario=loaded, at_s=at_s, deliveries=reports, events=happened,
                           requests=asked, closures=_road_closures(close_road), options=options, progress=steps)
        steps("outputs")

        def extra(staging: Path) -> None:
            write_csv(again.changes, staging / "changes.csv")
            render_map(again.plan, staging / "map.html", lang=lang, offline=offline)

        write_outputs(again.plan, out, lang=lang, extra=extra)
    _print_summary(again.plan, lang)
    counts = again.changes["change"].value_counts()
    click.echo(f"re-planned at {at}: {again.plan.kpis['replan']['kept_visits']} visits kept, "
               + ", ".join(f"{counts.get(c, 0)} {c}" for c in ("added", "removed", "moved", "retimed"))
               + f" (changes.csv); wrote {out}/ (the same files as plan, sheets marked as replacing those of {at})")
    return EXIT_PARTIAL if len(again.plan.unserved) else EXIT_OK


# -------------------------------------------------------------------------------------------- period

#: Effort of each day's search in a period: 14 days × a third of the day's stops plan in minutes, and the
#: deliveries are already at the fleet's ceiling at this effort (benchmarks/period.py).
PERIOD_EFFORT = 0.3


def _print_period(result) -> None:
    days = result.days
    shown = pd.DataFrame({
        "date": days["date"], "points": days["points_due"], "due": days["due_kg"].map(lambda v: f"{v / 1000:,.1f} t"),
        "delivered": days["delivered_kg"].map(lambda v: f"{v / 1000:,.1f} t"),
        "stock (evening)": days["stock_end_kg"].map(lambda v: f"{v / 1000:,.0f} t"),
        "worst ward": days["worst_ward"], "days without": days["worst_ward_days"]})
    if days["meals_needed"].sum():
        shown["camp meals"] = [f"{d:,}/{n:,}" for d, n in zip(days["meals_delivered"], days["meals_needed"])]
    click.echo(shown.to_string(index=False))
    n = result.calendar.max_days_without
    late = result.wards[result.wards["days_since_delivery"] >= n]
    click.echo(f"every ward received food at least every {n} days" if not len(late) else
               f"{late['ward_id'].nunique()} ward(s) went {n} days or more without a delivery (period.csv)")
    cut = days[days["cut_by_time_limit"]]["date"].tolist()
    if cut:
        click.echo(f"warning: the plans of {', '.join(cut)} were cut by the time limit: they may differ on another run")
    hungry = result.wards_without_food()
    for row in hungry.itertuples():
        click.echo(f"  went without: {row.ward} ({row.locality}) {row.days} day(s) {row.first}–{row.last}, "
                   f"{row.short_kg / 1000:,.1f} t, because: {row.reasons or 'not due'}")


@main.command()
@_scenario_argument
@click.option("--days", type=click.IntRange(min=1, max=MAX_DAYS), help="Days to plan (default: the calendar's).")
@click.option("--calendar", "calendar_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Calendar TOML: cycles, each day's changes, resupply (default: the embedded 26/07–08/08/2021 "
                   "period for the default day; for a scenario folder, 7 days from its date with 3-day cycles "
                   "and no changes).")
@click.option("--delivered-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Folder of the drivers' reports, <YYYY-MM-DD>.csv per day: what was not delivered is due first "
                   "the next day.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output/period"),
              show_default=True, help="Output folder." + _out_help)
@click.option("--effort", type=click.FloatRange(min=0.05, max=4), default=PERIOD_EFFORT, show_default=True,
              help="Search budget of each day relative to a single day's plan.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same inputs and seed, same period.")
@click.option("--engine", type=click.Choice(ENGINES), default="portfolio", show_default=True, help="Routing engine.")
@click.option("--workers", type=click.IntRange(min=1), help="Processes (default: one per core).")
@click.option("--time-limit", "time_limit", type=click.FloatRange(min=1), default=DEFAULT_TIME_LIMIT_S,
              show_default=True, help="Safety cap of each day's solve in seconds.")
@_sheet_options
@_strict_option
@_quiet_option
@_reported
def period(scenario_dir, days, calendar_file, delivered_dir, out, effort, seed, engine, workers, time_limit, lang,
           offline, strict, quiet):
    """Plan a lockdown period day after day: only the drop points due each day (delivery cycles), what was not
    delivered due first the next day, stock carried over, the calendar's changes and resupply; one plan folder
    per day plus period.csv, days.csv, the period map and chart in --out."""
    loaded = load_scenario(scenario_dir, strict=strict)
    if calendar_file is not None:
        calendar = read_calendar(calendar_file, scenario=loaded)
    elif scenario_dir is None:
        calendar = default_calendar(loaded)
    else:
        calendar = Calendar(start=loaded.date, days=7)
    calendar = calendar.with_days(days or calendar.days)
    options = PlanOptions(effort=effort, seed=seed, engine=engine, workers=workers or os.cpu_count() or 1,
                          time_limit_s=time_limit)
    with reserve_folder(out), _Steps(quiet=quiet) as steps, staged_folder(out) as staging:
        with DayWriter(staging, lang=lang, offline=offline, workers=2) as writer:
            result = plan_period(loaded, calendar, options=options, delivered_dir=delivered_dir, strict=strict,
                                 on_day=writer, progress=steps)
            steps("outputs")
            write_period_files(result, staging, lang=lang)
    _print_period(result)
    click.echo(f"wrote {out}/ (one plan folder per day, period.csv, days.csv, stock.csv, without_food.csv, "
               "period.json, period_map.png, period_chart.png)")
    meals_short = int((result.days["meals_needed"] - result.days["meals_delivered"]).sum())
    if meals_short:
        click.echo(f"  camp meals not delivered: {meals_short:,} (each day's meals.csv says why)")
    return EXIT_PARTIAL if result.wards["short_kg"].sum() > 0 or meals_short else EXIT_OK


# ------------------------------------------------------------------------------------------- what-if

#: Columns the ``whatif`` command prints (comparison.csv has them all).
_WHATIF_PRINTED = ["variant", "km", "hours", "vehicles_used", "trips", "delivered_kg", "unserved_kg", "served_share"]


def _format_comparison(table: pd.DataFrame) -> str:
    shown = table[_WHATIF_PRINTED + [c for c in table.columns if c.startswith("served_share:")
                                     and table[c].notna().any()]].copy()
    for column in shown.columns:
        if column.startswith("served_share"):
            shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.1%}")
    for column in ("delivered_kg", "unserved_kg"):
        shown[column] = shown[column].map(lambda v: f"{v / 1000:,.1f} t")
    shown = shown.rename(columns={"delivered_kg": "delivered", "unserved_kg": "unserved", "served_share": "served",
                                  "vehicles_used": "vehicles"})
    shown.columns = [c.replace("served_share:", "served ") for c in shown.columns]
    return shown.to_string(index=False)


@main.command()
@click.argument("base_scenario", metavar="BASE_SCENARIO")
@click.option("--variant", "variant_files", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file of [[variant]] tables (repeatable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output/whatif"),
              show_default=True, help="Output folder." + _out_help)
@click.option("--time-limit", "time_limit", type=click.FloatRange(min=1), default=DEFAULT_TIME_LIMIT_S, show_default=True,
              help="Solver time of each plan in seconds (assignment + routing).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed for every plan.")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: one per core).")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run the plans on a Dask cluster (scheduler address, e.g. tcp://10.0.0.5:8786).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the maps and of the flows' reasons.")
@click.option("--offline", is_flag=True, help="Self-contained maps: no tile server needed.")
@click.option("--no-maps", is_flag=True, help="Skip the per-variant maps (faster).")
@_strict_option
@_quiet_option
@_reported
def whatif(base_scenario, variant_files, out, time_limit, seed, workers, dask_address, lang, offline, no_maps,
           strict, quiet):
    """Plan BASE_SCENARIO (a scenario folder, or 'default' for the embedded 26/07/2021) and every variant of
    the --variant files; write comparison.csv, flows.csv, a map per variant and comparison.png into --out, and
    print the comparison and each plan's flows between localities."""
    base = load_scenario(None if base_scenario.strip().lower() == "default" else Path(base_scenario), strict=strict)
    variants = [v for path in variant_files for v in load_variants(path, base=base)]
    with reserve_folder(out), _Steps(quiet=quiet) as steps:
        steps("plans", 0, len(variants) + 1, "the base day and every variant"
              + (f" on the Dask cluster {dask_address}" if dask_address else ""))
        comparison = run_variants(base, variants, options=PlanOptions(time_limit_s=time_limit, seed=seed),
                                  workers=workers, dask_address=dask_address)
        steps("outputs")
        comparison.write(out, maps=not no_maps, lang=lang, offline=offline)
    table = comparison.table
    click.echo(base.name)
    click.echo(_format_comparison(table))
    click.echo(labels(lang)["report"]["flows"] + ":")
    click.echo(comparison.flow_text(lang))
    cut = table.loc[table["routing_stopped_by"] == "time limit", "variant"].tolist()
    if cut:
        click.echo(f"note: the routing of {', '.join(cut)} was cut short by the time limit (best plan so far; "
                   "raise --time-limit for reproducible plans)")
    maps = "" if no_maps else ", maps/"
    click.echo(f"wrote {out}/ (comparison.csv, comparison_wards.csv, comparison_depots.csv, flows.csv, "
               f"comparison.png{maps})")
    return EXIT_OK


if __name__ == "__main__":
    main()
