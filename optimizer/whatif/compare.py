"""Comparing what-if plans: one row of figures per plan, ward and depot tables, a chart, the files; and the
sweeps that build lists of variants.

:class:`Comparison` holds the plans of a base day and its variants. Its table has one row per plan with km,
hours, vehicles, trips, kilograms, open depots, the share of demand served per locality and zone, the smallest
ward share per zone, unserved kilograms per reason code, kilograms carried across localities and the depots'
loads, all computed from the plans' own frames (:func:`plan_figures`). :meth:`Comparison.flows` lists every
vehicle lent and every stock delivered across depots or localities, per variant, with why: it shows how more
trucks in one place change the service elsewhere. :meth:`Comparison.write` writes ``comparison.csv``,
``flows.csv``, one map per variant and a chart. Sweeps
(:func:`depot_closure_sweep`, :func:`demand_sweep`, :func:`fleet_sweep`, :func:`demand_fleet_grid`) build lists
of variants.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from optimizer import datasets
from optimizer.clock import format_hhmm
from optimizer.files import staged_folder, write_csv
from optimizer.outputs.kpis import closed_depots, commodity_columns, plan_kpis
from optimizer.outputs.resources import reason_words
from optimizer.outputs.style import ZONE_COLOURS
from optimizer.outputs.summary import flow_lines
from optimizer.outputs.webmap import file_slug, render_map
from optimizer.plan import TRANSFER_COLUMNS, Plan, PlanOptions
from optimizer.scenario.model import GRADES, Scenario
from optimizer.whatif.changes import BASE, CloseDepot, ScaleDemand, ScaleFleet, Variant


def _rounded(value: float, digits: int) -> float:
    return round(value, digits) if math.isfinite(value) else float("nan")


def plan_figures(plan: Plan) -> dict[str, Any]:
    """One comparison row: the plan's key figures (:func:`optimizer.outputs.kpis.plan_kpis`) spread into columns
    per locality, zone (``served_share:`` and the smallest ward share ``min_share:``), unserved reason code,
    flow across localities (``transfers_kg:<from> → <to>``) and depot."""
    k = plan_kpis(plan)
    row: dict[str, Any] = {
        "km": round(k.km, 1),
        "hours": k.vehicle_hours,
        "vehicles_used": k.vehicles_used,
        "vehicles_available": k.vehicles_available,
        "trips": k.trips,
        "drop_points": k.drop_points,
        "demand_kg": round(k.demand_kg, 1),
        "delivered_kg": round(k.delivered_kg, 1),
        "unserved_kg": round(k.unserved_kg, 1),
        "served_share": _rounded(k.served_share, 4),
        "depots_open": k.depots_open,
    }
    for locality in datasets.LOCALITIES:
        row[f"served_share:{locality}"] = _rounded(k.served_share_by_locality.get(locality, math.nan), 4)
    for zone in GRADES:
        row[f"served_share:{zone}"] = _rounded(k.served_share_by_zone.get(zone, math.nan), 4)
    for zone in GRADES:
        row[f"min_share:{zone}"] = _rounded(k.fairness_by_grade.get(zone, {}).get("min_share", math.nan), 4)
    for reason, kg in k.unserved_kg_by_reason.items():
        row[f"unserved_kg:{reason}"] = round(kg, 1)
    for flow, kg in k.transfers_kg.items():
        row[f"transfers_kg:{flow}"] = round(kg, 1)
    for depot_id, kg in k.load_kg_by_depot.items():
        row[f"load_kg:{depot_id}"] = round(kg, 1)
    row["routing_stopped_by"] = k.routing.get("stopped_by", "")
    row["assignment_status"] = k.assignment.get("status", "")
    return row


def vehicle_figures(plan: Plan) -> pd.DataFrame:
    """One row per vehicle that drove: ``vehicle_id, vehicle_name, profile, depot_id, trips, stops, kg,
    capacity_kg, load_share`` (kg over capacity × trips), ``km``, ``start``/``end`` (leaves the depot the
    first time, back the last time, ``HH:MM``) and ``hours`` on the road between them."""
    routes, legs = plan.routes, plan.legs
    columns = ["vehicle_id", "vehicle_name", "profile", "depot_id", "trips", "stops", "kg", "capacity_kg",
               "load_share", "km", "start", "end", "hours"]
    if routes.empty:
        return pd.DataFrame(columns=columns)
    first = routes[routes["seq"] == 1].set_index(["vehicle_id", "trip"])
    leave = first["arrival_s"] - first["leg_min"] * 60
    last = routes.sort_values("seq").groupby(["vehicle_id", "trip"]).tail(1).set_index(["vehicle_id", "trip"])
    # After the last stop: the drive back to the depot and, for a lent vehicle's last trip, on to its home depot.
    home_legs = legs[(legs["seq"] > 0) & legs["to_id"].isin(set(plan.depots["depot_id"]))]
    back_min = home_legs.groupby(["vehicle_id", "trip"])["leg_min"].sum()
    back = last["departure_s"] + back_min.reindex(last.index).fillna(0.0) * 60
    per_trip = pd.DataFrame({"leave": leave, "back": back})
    grouped = routes.groupby("vehicle_id", sort=False)
    out = pd.DataFrame({
        "vehicle_name": grouped["vehicle_name"].first(),
        "profile": grouped["profile"].first(),
        "depot_id": grouped["depot_id"].first(),
        "trips": grouped["trip"].nunique(),
        "stops": grouped.size(),
        "kg": grouped["quantity_kg"].sum().round(1),
        "capacity_kg": grouped["capacity_kg"].first(),
        "km": legs.groupby("vehicle_id")["leg_km"].sum().round(1),
    })
    out["load_share"] = (out["kg"] / (out["capacity_kg"] * out["trips"])).round(3)
    span = per_trip.groupby(level="vehicle_id").agg(leave=("leave", "min"), back=("back", "max"))
    out["start"] = span["leave"].map(lambda s: format_hhmm(int(round(s / 60)) * 60))
    out["end"] = span["back"].map(lambda s: format_hhmm(int(round(s / 60)) * 60))
    out["hours"] = ((span["back"] - span["leave"]) / 3600).round(2)
    return out.reset_index(names="vehicle_id")[columns]


@dataclass(frozen=True)
class Comparison:
    """Plans of a base day and its variants, and the figures that compare them.

    Attributes
    ----------
    plans
        Variant name → :class:`~optimizer.plan.Plan`, the base (``'base'``) first.
    variants, scenarios, options
        What each plan was made from.
    """

    plans: dict[str, Plan]
    variants: dict[str, Variant] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    options: dict[str, PlanOptions] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return list(self.plans)

    def __repr__(self) -> str:
        return f"Comparison({len(self.plans)} plans: {', '.join(self.plans)})"

    def _repr_html_(self) -> str:  # a notebook shows the table, not the plans' frames
        return self.table.to_html(index=False, na_rep="")

    @property
    def table(self) -> pd.DataFrame:
        """One row per plan: ``variant``, ``changes``, the sweep tags, then :func:`plan_figures`' columns and,
        against the base when there is one, ``km_vs_base`` and ``delivered_kg_vs_base``."""
        rows = []
        tag_keys = list(dict.fromkeys(k for v in self.variants.values() for k, _ in v.tags))
        for name, plan in self.plans.items():
            variant = self.variants.get(name, Variant(name))
            row: dict[str, Any] = {"variant": name, "changes": variant.describe() if name != BASE else "—"}
            tags = variant.tag_dict
            for key in tag_keys:
                row[key] = tags.get(key)
            row.update(plan_figures(plan))
            rows.append(row)
        frame = pd.DataFrame(rows)
        fixed = [c for c in frame.columns if ":" not in c and c not in ("routing_stopped_by", "assignment_status")]
        shares = [c for c in frame.columns if c.startswith(("served_share:", "min_share:"))]
        reasons = sorted(c for c in frame.columns if c.startswith("unserved_kg:"))
        flows = sorted(c for c in frame.columns if c.startswith("transfers_kg:"))
        loads = [c for c in frame.columns if c.startswith("load_kg:")]
        frame = frame[fixed + shares + reasons + flows + loads + ["routing_stopped_by", "assignment_status"]]
        for column in reasons + flows + loads:
            frame[column] = frame[column].fillna(0.0)
        if BASE in self.plans:
            base = frame.loc[frame["variant"] == BASE].iloc[0]
            frame.insert(frame.columns.get_loc("km") + 1, "km_vs_base", (frame["km"] - base["km"]).round(1))
            frame.insert(frame.columns.get_loc("delivered_kg") + 1, "delivered_kg_vs_base",
                         (frame["delivered_kg"] - base["delivered_kg"]).round(1))
        return frame

    def wards(self) -> pd.DataFrame:
        """Long table: one row per plan and ward (``variant, ward_id, ward, locality, zone, demand_kg,
        delivered_kg, served_share``), with ``served_share_vs_base`` when there is a base."""
        frames = []
        for name, plan in self.plans.items():
            w = pd.DataFrame(plan.wards.drop(columns="geometry"))
            w.insert(0, "variant", name)
            frames.append(w)
        out = pd.concat(frames, ignore_index=True)
        out.loc[out["demand_kg"] <= 0, "served_share"] = np.nan
        if BASE in self.plans:
            base = out[out["variant"] == BASE].set_index("ward_id")["served_share"]
            out["served_share_vs_base"] = (out["served_share"] - out["ward_id"].map(base)).round(4)
        return out

    def depots(self) -> pd.DataFrame:
        """Long table: one row per plan and depot: locality, ``closed``, stock, load, vehicles based there,
        vehicles lent out to other depots and lent in from them, vehicles used, trips and km driven by the
        vehicles loading there."""
        frames = []
        for name, plan in self.plans.items():
            d = plan.depots.reindex(columns=["depot_id", "name", "locality", "stock_kg", "load_kg", "vehicles"])
            d.insert(3, "closed", closed_depots(plan.depots))
            lent = plan.transfers[plan.transfers["kind"] == "vehicle"]
            d["lent_out"] = d["depot_id"].map(lent.groupby("from_depot")["vehicle_id"].nunique()).fillna(0).astype(int)
            d["lent_in"] = d["depot_id"].map(lent.groupby("to_depot")["vehicle_id"].nunique()).fillna(0).astype(int)
            routes = plan.routes
            used = routes.groupby("depot_id")["vehicle_id"].nunique()
            trips = routes[["depot_id", "vehicle_id", "trip"]].drop_duplicates().groupby("depot_id").size()
            depot_of_vehicle = routes.drop_duplicates("vehicle_id").set_index("vehicle_id")["depot_id"]
            legs = plan.legs.assign(depot_id=plan.legs["vehicle_id"].map(depot_of_vehicle))
            km = legs.groupby("depot_id")["leg_km"].sum()
            d["vehicles_used"] = d["depot_id"].map(used).fillna(0).astype(int)
            d["trips"] = d["depot_id"].map(trips).fillna(0).astype(int)
            d["km"] = d["depot_id"].map(km).fillna(0.0).round(1)
            d.insert(0, "variant", name)
            frames.append(d)
        return pd.concat(frames, ignore_index=True)

    def flows(self, lang: str = "vi") -> pd.DataFrame:
        """Long table: every row of each plan's :attr:`~optimizer.plan.Plan.transfers` (``variant, kind,
        vehicle_id, from_depot, from_locality, to_depot, to_locality, depart, arrive, kg``, kg per commodity,
        ``reason_code``) with ``reason`` in ``lang``, and ``cross_locality`` (the flow leaves its locality)."""
        frames = [plan.transfers.assign(variant=name) for name, plan in self.plans.items() if len(plan.transfers)]
        commodities = list(dict.fromkeys(c for plan in self.plans.values() for c in commodity_columns(plan.transfers)))
        columns = ["variant", *TRANSFER_COLUMNS, *commodities, "reason_code", "reason", "cross_locality"]
        if not frames:
            return pd.DataFrame(columns=columns)
        out = pd.concat(frames, ignore_index=True).reindex(columns=columns)
        out["reason"] = [reason_words(code, text, lang) for code, text in zip(out["reason_code"], out["reason"])]
        out["cross_locality"] = out["from_locality"].astype(str) != out["to_locality"].astype(str)
        return out

    def flow_text(self, lang: str = "vi") -> str:
        """Per plan, its flows across localities in words (:func:`optimizer.outputs.summary.flow_lines`)."""
        lines = []
        for name, plan in self.plans.items():
            flows = flow_lines(plan, lang)
            lines.append(f"{name}:" if flows else f"{name}: –")
            lines += [f"  {line}" for line in flows]
        return "\n".join(lines)

    def lost_service(self, variant: str, *, min_drop: float = 0.005) -> pd.DataFrame:
        """Wards whose served share in ``variant`` is lower than in the base by more than ``min_drop``."""
        if BASE not in self.plans:
            raise ValueError("the comparison has no base plan")
        w = self.wards()
        w = w[(w["variant"] == variant) & (w["served_share_vs_base"] < -min_drop)]
        return w.sort_values("served_share_vs_base").reset_index(drop=True)

    def pivot(self, index: str, columns: str, values: str = "served_share") -> pd.DataFrame:
        """A grid of one figure, e.g. ``pivot('demand_factor', 'fleet_factor')`` for a demand × fleet sweep."""
        table = self.table
        missing = [c for c in (index, columns, values) if c not in table.columns]
        if missing:
            raise KeyError(f"the comparison has no column(s) {', '.join(missing)}")
        table = table[table[index].notna() & table[columns].notna()]
        return table.pivot_table(index=index, columns=columns, values=values, aggfunc="first")

    def chart(self, path: str | Path | None = None, *, title: str | None = None):
        """Horizontal bars: share of demand served per zone for every plan (overall as a black tick).

        Returns the matplotlib Figure (also written as PNG to ``path`` when given).
        """
        table = self.table
        zones = [z for z in GRADES if table[f"served_share:{z}"].notna().any()]
        n = len(table)
        # A plain Figure (no pyplot): no GUI backend is touched, and a notebook shows it as the cell's value.
        fig = Figure(figsize=(9, 1.5 + 0.22 * n * max(2, len(zones))), dpi=110)
        ax = fig.add_subplot(1, 1, 1)
        height = 0.8 / max(1, len(zones))
        y = np.arange(n)[::-1].astype(float)
        for k, zone in enumerate(zones):
            values = table[f"served_share:{zone}"].to_numpy(dtype=float) * 100
            ax.barh(y + 0.4 - height * (k + 0.5), np.nan_to_num(values), height=height,
                    color=ZONE_COLOURS[zone], label=zone)
        ax.scatter(table["served_share"].to_numpy(dtype=float) * 100, y, marker="|", s=400, color="black",
                   zorder=3, label="overall")
        ax.set_yticks(y)
        ax.set_yticklabels([str(v) for v in table["variant"]])
        ax.set_xlim(0, 105)
        ax.set_xlabel("share of demand served (%) — by zone")
        ax.set_title(title or "What-if: share of demand served by zone")
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09 - 0.5 / fig.get_figheight()), fontsize=8,
                  ncol=len(zones) + 1, frameon=False)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig

    def write(self, folder: str | Path, *, maps: bool = True, lang: str = "vi", offline: bool = False) -> Path:
        """Write ``comparison.csv``, ``comparison_wards.csv``, ``comparison_depots.csv``, ``flows.csv`` (reasons in
        ``lang``), ``comparison.png`` and ``maps/NN-<variant>.html`` (one map per plan, in ``lang``) into
        ``folder``, all or nothing."""
        folder = Path(folder)
        with staged_folder(folder) as staging:
            write_csv(self.table, staging / "comparison.csv")
            write_csv(self.flows(lang), staging / "flows.csv")
            write_csv(self.wards(), staging / "comparison_wards.csv")
            write_csv(self.depots(), staging / "comparison_depots.csv")
            self.chart(staging / "comparison.png")
            if maps:
                for path, plan in zip(self.map_files(), self.plans.values()):
                    render_map(plan, staging / path, lang=lang, offline=offline)
        return folder

    def map_files(self) -> list[str]:
        """Relative paths of the maps :meth:`write` writes, in plan order."""
        return [f"maps/{i:02d}-{file_slug(name, fallback='variant')}.html" for i, name in enumerate(self.plans)]


def compare(plans: Mapping[str, Plan], variants: Iterable[Variant] = ()) -> Comparison:
    """A comparison of plans made elsewhere (name → plan; name a base ``'base'`` to get ``*_vs_base``)."""
    return Comparison(plans=dict(plans), variants={v.name: v for v in variants})


# --------------------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------------------


def depot_closure_sweep(base: Scenario, depots: Sequence[str] | None = None, *, min_stock_kg: float = 0.0
                        ) -> list[Variant]:
    """Every depot (or the listed ones) closed in turn; ``min_stock_kg`` skips small depots."""
    ids = list(depots) if depots is not None else [
        d.id for d in base.depots if math.fsum(d.stock_kg.values()) >= min_stock_kg]
    return [Variant(f"đóng {d}", (CloseDepot(d),), tags=(("closed_depot", d),)) for d in ids]


def _pct(factor: float) -> str:
    return f"{(factor - 1) * 100:+.0f}%"


def demand_sweep(increases: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0), *, ward: str | None = None,
                 locality: str | None = None) -> list[Variant]:
    """Demand +0 % … +100 % (``increases`` as fractions: 0.5 = +50 %) everywhere, in a locality or a ward."""
    where = f" {locality or ward}" if (locality or ward) else ""
    return [Variant(f"nhu cầu {_pct(1 + x)}{where}", (ScaleDemand(1.0 + x, ward=ward, locality=locality),),
                    tags=(("demand_factor", round(1.0 + x, 6)),)) for x in increases]


def fleet_sweep(factors: Sequence[float] = (0.75, 1.0, 1.25, 1.5), *, profile: str | None = None) -> list[Variant]:
    """Fleet size × each factor (every type's count, rounded half up)."""
    return [Variant(f"đội xe ×{f:g}", (ScaleFleet(f, profile=profile),), tags=(("fleet_factor", f),))
            for f in factors]


def demand_fleet_grid(demand_factors: Sequence[float], fleet_factors: Sequence[float], *,
                      locality: str | None = None, profile: str | None = None) -> list[Variant]:
    """Every pair of demand × fleet factors (tags ``demand_factor`` and ``fleet_factor`` for
    :meth:`Comparison.pivot`)."""
    out = []
    for d in demand_factors:
        for f in fleet_factors:
            out.append(Variant(
                f"nhu cầu {_pct(d)}, đội xe ×{f:g}",
                (ScaleDemand(d, locality=locality), ScaleFleet(f, profile=profile)),
                tags=(("demand_factor", d), ("fleet_factor", f)),
            ))
    return out
