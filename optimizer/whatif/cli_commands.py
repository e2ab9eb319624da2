"""The ``whatif`` command: plan a base day and its variants side by side and compare them.

Registered in ``cli.py``; the callback returns an exit code and raises
:class:`~optimizer.errors.OptimizerError` on bad input, so ``cli._reported`` turns errors into one line each::

    from optimizer.whatif.cli_commands import whatif
    whatif.callback = _reported(whatif.callback)
    main.add_command(whatif)
"""

from __future__ import annotations

from pathlib import Path

import click

from optimizer.errors import InputError

#: Columns printed by the command (the CSV has them all).
_PRINTED = ["variant", "km", "hours", "vehicles_used", "trips", "delivered_kg", "unserved_kg", "served_share"]


def _format_table(table) -> str:
    import pandas as pd

    shown = table[_PRINTED + [c for c in table.columns if c.startswith("served_share:")
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


@click.command("whatif")
@click.argument("base_scenario", metavar="BASE_SCENARIO")
@click.option("--variant", "variant_files", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="TOML file of [[variant]] tables (repeatable).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output/whatif"),
              show_default=True, help="Output folder.")
@click.option("--time-limit", "time_limit", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Solver time of each plan in seconds (assignment + routing).")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed for every plan.")
@click.option("--workers", type=click.IntRange(min=1), help="Local processes (default: one per core).")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run the plans on a Dask cluster (scheduler address, e.g. tcp://10.0.0.5:8786).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help="Language of the maps.")
@click.option("--offline", is_flag=True, help="Self-contained maps: no tile server needed.")
@click.option("--no-maps", is_flag=True, help="Skip the per-variant maps (faster).")
def whatif(base_scenario, variant_files, out, time_limit, seed, workers, dask_address, lang, offline, no_maps):
    """Plan BASE_SCENARIO (a scenario folder, or 'default' for the embedded 26/07/2021) and every variant of
    the --variant files; write comparison.csv, a map per variant and comparison.png into --out, and print
    the comparison."""
    from optimizer.plan import PlanOptions
    from optimizer.scenario import load_scenario
    from optimizer.whatif.core import load_variants, run_variants

    base = load_scenario(None if base_scenario.strip().lower() == "default" else Path(base_scenario))
    variants = []
    for path in variant_files:
        variants += load_variants(path)
    names = [v.name for v in variants]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InputError(f"variant names used in several files: {', '.join(dupes)}", field="name")
    options = PlanOptions(time_limit_s=time_limit, seed=seed)
    click.echo(f"planning the base day and {len(variants)} variant(s)"
               + (f" on the Dask cluster {dask_address}" if dask_address else "") + " …", err=True)
    comparison = run_variants(base, variants, options=options, workers=workers, dask_address=dask_address)
    comparison.write(out, maps=not no_maps, lang=lang, offline=offline)
    table = comparison.table
    click.echo(base.name)
    click.echo(_format_table(table))
    cut = table.loc[table["routing_stopped_by"] == "time limit", "variant"].tolist()
    if cut:
        click.echo(f"note: the routing of {', '.join(cut)} was cut short by the time limit (best plan so far; "
                   "raise --time-limit for reproducible plans)")
    maps = "" if no_maps else ", maps/"
    click.echo(f"wrote {out}/ (comparison.csv, comparison_wards.csv, comparison_depots.csv, comparison.png{maps})")
    return 0
