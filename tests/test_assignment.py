"""Depot assignment on scenario objects: stock and fleet limits, closures, priorities, ward mode, reasons."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer.errors import InputError
from optimizer.scenario import DemandPoint, Depot
from optimizer.solve.assignment import assign_depots


def _depot(depot_id: str, rice: float, food: float = 1e6) -> Depot:
    return Depot(id=depot_id, name=f"Kho {depot_id}", lon=109.19, lat=12.24, stock_kg={"rice": rice, "food_bag": food},
                 open_s=6 * 3600, close_s=18 * 3600, load_time_s=600)


def _point(point_id: str, ward: str, rice: float, *, priority: int = 0) -> DemandPoint:
    return DemandPoint(id=point_id, ward_id=ward, ward_name=f"Phường {ward}", locality="Nha Trang", name=point_id,
                       lon=109.19, lat=12.24, demand_kg={"rice": rice, "food_bag": 0.0}, tw_start_s=6 * 3600,
                       tw_end_s=18 * 3600, service_s=300, service_s_per_kg=0.1, priority=priority)


# Two depots A and B, five points; minutes A→p and B→p.
TRAVEL_MIN = np.array([[5, 10, 30, 40, 20], [40, 30, 10, 5, 20]], dtype=float)


def test_hand_checked_optimum():
    depots = [_depot("A", 1000), _depot("B", 1000)]
    points = [_point(f"p{i}", "w", 100) for i in range(5)]
    result = assign_depots(depots, points, TRAVEL_MIN * 60, time_limit_s=5)
    # Each point goes to its nearer depot; p4 is a tie (20 min both ways).
    assert result.depot_of()["p0"] == "A" and result.depot_of()["p1"] == "A"
    assert result.depot_of()["p2"] == "B" and result.depot_of()["p3"] == "B"
    assert result.objective == pytest.approx((5 + 10 + 10 + 5 + 20) * 100)
    assert result.gap < 1e-6 and result.status == "OPTIMAL"


def test_stock_limits_and_shortage_falls_on_green_points_first():
    depots = [_depot("A", 250), _depot("B", 0)]
    points = [_point("green", "w1", 100, priority=0), _point("red", "w2", 100, priority=3),
              _point("orange", "w3", 100, priority=2)]
    result = assign_depots(depots, points, np.array([[5, 30, 20], [1, 1, 1]], dtype=float) * 60, time_limit_s=5)
    assert set(result.depot_of()) == {"red", "orange"}
    assert result.unassigned["point_id"].tolist() == ["green"]
    assert "rice" in result.unassigned["reason"].iloc[0]
    rice = result.depots[(result.depots["commodity"] == "rice")].set_index("depot_id")
    assert (rice["load_kg"] <= rice["stock_kg"] + 1e-6).all()


def test_a_closed_depot_gets_nothing():
    depots = [_depot("A", 1000), _depot("B", 1000)]
    points = [_point(f"p{i}", "w", 100) for i in range(5)]
    closed = assign_depots(depots, points, TRAVEL_MIN * 60, close=["A"], time_limit_s=5)
    assert set(closed.depot_of().values()) == {"B"}
    assert closed.depots.set_index(["depot_id", "commodity"]).loc[("A", "rice"), "load_kg"] == 0


def test_unreachable_point_is_listed_with_a_reason():
    depots = [_depot("A", 1000), _depot("B", 1000)]
    points = [_point("ok", "w", 100), _point("cut-off", "w", 100)]
    travel = np.array([[10, np.inf], [20, np.inf]]) * 60
    result = assign_depots(depots, points, travel, time_limit_s=5)
    assert result.depot_of() == {"ok": "A"}
    assert result.unassigned.set_index("point_id").loc["cut-off", "reason"]


def test_ward_mode_keeps_a_ward_on_one_depot():
    depots = [_depot("A", 1000), _depot("B", 1000)]
    points = [_point(f"p{i}", "same-ward", 100) for i in range(5)]
    result = assign_depots(depots, points, TRAVEL_MIN * 60, level="ward", time_limit_s=5)
    assert len(set(result.depot_of().values())) == 1


def test_unknown_depot_id_is_an_input_error():
    with pytest.raises(InputError, match="Z"):
        assign_depots([_depot("A", 10)], [_point("p", "w", 1)], np.array([[60.0]]), close=["Z"])
