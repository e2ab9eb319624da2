"""What-if analyses: variants of a base day, planned side by side and compared.

A :class:`Variant` is a name and a list of typed changes of a base scenario (:mod:`.changes`): a depot closed,
a road blocked, demand scaled, vehicles removed or added, the curfew moved, a ward regraded, ... Variants are
built in code, by the sweeps, or read from TOML files (:mod:`.variants`). :func:`run_variants` plans the base day
and every variant in parallel, in local processes or on a Dask cluster (:mod:`.runners`), and returns a
:class:`Comparison` of figures computed from the plans' own frames (:mod:`.compare`)::

    from optimizer import whatif as W

    variants = W.load_variants("variants.toml", base=base) + W.demand_sweep((0.25, 0.5))
    comparison = W.run_variants(base, variants, options=PlanOptions(time_limit_s=60))
    comparison.write("output/whatif")

:func:`run_incidents` re-plans a morning plan after incidents during the day (:mod:`.midday`: a truck breaks
down at 10:00, a ward is sealed at 11:00).

:func:`travel_table` (from :mod:`optimizer.network.travel`) shows the detour a road closure causes.
"""

from optimizer.network.travel import travel_table
from optimizer.whatif.changes import (
    BASE,
    AddVehicles,
    Change,
    CloseDepot,
    CloseRoad,
    CutStock,
    Regrade,
    Restrict,
    ScaleDemand,
    ScaleFleet,
    SetFleet,
    SetRation,
    SetTime,
    Variant,
    derive,
    materialise,
)
from optimizer.whatif.compare import (
    Comparison,
    compare,
    demand_fleet_grid,
    demand_sweep,
    depot_closure_sweep,
    fleet_sweep,
    plan_figures,
    vehicle_figures,
)
from optimizer.whatif.midday import Incident, breakdown, replan_incident, run_incidents, sealed
from optimizer.whatif.runners import run_variants
from optimizer.whatif.variants import check_variants, load_variants, parse_variants

__all__ = [
    "BASE", "Change", "CloseDepot", "CutStock", "CloseRoad", "Regrade", "ScaleDemand", "SetFleet", "ScaleFleet",
    "AddVehicles", "SetTime", "SetRation", "Restrict", "Variant", "derive", "materialise",
    "load_variants", "parse_variants", "check_variants", "run_variants",
    "Comparison", "compare", "plan_figures", "vehicle_figures",
    "depot_closure_sweep", "demand_sweep", "fleet_sweep", "demand_fleet_grid", "travel_table",
    "Incident", "breakdown", "sealed", "replan_incident", "run_incidents",
]
