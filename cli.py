"""Command line of the Khánh Hòa food-supply planner: parses arguments and calls ``optimizer``."""

from __future__ import annotations

import functools
import json
import sys
import warnings
from pathlib import Path

import click

from optimizer.errors import OptimizerError

#: Exit codes, documented in the README.
EXIT_OK = 0
EXIT_PARTIAL = 1  # a plan was made but some demand is unserved
EXIT_INPUT = 2  # bad input: nothing was solved
EXIT_FAILURE = 3  # the run could not finish (output not writable, interrupted, ...)


def _reported(command):
    """Turn library errors into one line each and an exit code; show warnings as ``warning:`` lines."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            try:
                code = command(*args, **kwargs)
            except OptimizerError as exc:
                code = EXIT_INPUT
                for line in str(exc).splitlines():
                    click.echo(f"error: {line}", err=True)
            except KeyboardInterrupt:
                click.echo("interrupted: no output was written", err=True)
                code = EXIT_FAILURE
            except OSError as exc:
                click.echo(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
                code = EXIT_FAILURE
            finally:
                for warning in caught:
                    click.echo(f"warning: {warning.message}", err=True)
        sys.exit(code or EXIT_OK)

    return wrapper


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
    from optimizer.network import Closure, closures_from_geojson, load_network
    from optimizer.settings import load_network_settings

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


if __name__ == "__main__":
    main()
