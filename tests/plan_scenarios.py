"""Small real scenarios cut from the embedded default day, for fast pipeline tests."""

from __future__ import annotations

import dataclasses
import functools

from optimizer.demand import drop_points
from optimizer.network import load_network
from optimizer.scenario import load_scenario

#: Three Nha Trang wards: Vĩnh Hải, Vĩnh Phước, Ngọc Hiệp.
SMALL_WARDS = frozenset({"5110101", "5110103", "5110107"})


@functools.cache
def small_scenario(*, fleet_scale: float = 1.0):
    """The default day restricted to three Nha Trang wards, three depots and their vehicles."""
    base = load_scenario(None)
    points = tuple(p for p in drop_points(base, load_network(profile="truck")) if p.ward_id in SMALL_WARDS)
    depots = tuple(d for d in base.depots if d.id in {"GO-NT", "CHO-VINH-HAI", "COOP-NT"})
    keep = {d.id for d in depots}
    fleet = tuple(
        dataclasses.replace(vt, count=max(1, round(vt.count * fleet_scale)))
        for vt in base.vehicle_types
        if vt.home_depot in keep
    )
    return dataclasses.replace(base, name="Thử nghiệm: 3 phường Nha Trang", depots=depots, vehicle_types=fleet,
                               demand_points=points)
