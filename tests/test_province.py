"""The synthetic province-sized day: five times the drop points and the vehicles of the default day, the
same households, ration and stock (planned end to end in ``benchmarks/province.py``)."""

from __future__ import annotations

import pytest

from optimizer.demand import drop_points
from optimizer.errors import InputError
from optimizer.scenario import default_scenario, province_scenario


def test_province_day_has_five_times_the_points_and_vehicles_for_the_same_need(truck_network):
    day, big = default_scenario(), province_scenario()
    points, many = drop_points(day, truck_network), drop_points(big, truck_network)
    assert len(many) >= 4 * len(points) and len(many) >= 5000
    assert sum(p.total_kg for p in many) == pytest.approx(sum(p.total_kg for p in points), rel=1e-6)
    assert {p.ward_id for p in many} == {p.ward_id for p in points}
    assert len(big.vehicles()) == 5 * len(day.vehicles())
    assert big.depots == day.depots and big.zones == day.zones and "×5" in big.name


@pytest.mark.parametrize("scale", [0, 2.5, -1])
def test_scale_must_be_a_whole_number(scale):
    with pytest.raises(InputError, match="scale"):
        province_scenario(scale=scale)
