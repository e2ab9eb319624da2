"""The re-plan's input files (issue 16): ``delivered.csv``, ``events.csv``, ``requests.csv`` read by the real
readers, every mistake reported by file, row and field, and hotline requests turned into drop points."""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_fixture import small_plan

from optimizer.clock import parse_hhmm
from optimizer.errors import InputError
from optimizer.replan import Delivery, earlier_plan, read_delivered, read_events, read_requests, request_points
from optimizer.replan.state import day_state
from optimizer.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "replan"
PLANNED = [("QS-5T-NT-01", 1, "DP-5110101-01"), ("QS-5T-NT-01", 1, "DP-5110101-02"), ("QS-5T-NT-02", 2, "DP-5110103-04")]


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(None)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _problems(caught) -> set[tuple[int | None, str | None]]:
    return {(p.row, p.field) for p in caught.value.problems}


def test_delivery_reports_read_with_the_drivers_words(tmp_path):
    path = _write(tmp_path, "delivered.csv",
                  "vehicle_id,trip,stop_id,status,time,rice_kg,food_bag_kg,note\n"
                  "QS-5T-NT-01,1,DP-5110101-01,Đã giao,07:40,350,,\n"
                  "QS-5T-NT-01,1,DP-5110101-02,từ chối,08:05,,,tổ dân phố vắng\n")
    done, refused = read_delivered(path, planned=PLANNED)
    assert (done.status, done.time_s, done.kg) == ("done", parse_hhmm("07:40"), {"rice": 350.0})
    assert (refused.status, refused.note, refused.row) == ("refused", "tổ dân phố vắng", 3)


def test_every_bad_report_is_named_by_row_and_field(tmp_path):
    path = _write(tmp_path, "delivered.csv",
                  "vehicle_id,trip,stop_id,status,rice_kg\n"
                  "QS-5T-NT-01,1,DP-5110101-01,delivered,\n"  # unknown status
                  "QS-5T-NT-01,2,DP-5110101-01,done,\n"  # not a visit of the plan
                  "QS-5T-NT-02,2,DP-5110103-04,done,\n"
                  "QS-5T-NT-02,2,DP-5110103-04,failed,\n"  # reported twice
                  "QS-5T-NT-01,1,DP-5110101-02,refused,120\n")  # kilograms on a refusal
    with pytest.raises(InputError) as caught:
        read_delivered(path, planned=PLANNED)
    assert _problems(caught) == {(2, "status"), (3, "stop_id"), (5, "stop_id"), (6, "rice_kg")}
    assert all(p.file == str(path) for p in caught.value.problems)


def test_a_report_of_more_than_the_vehicle_carried_is_refused():
    plan = small_plan()
    visit = plan.routes.iloc[0]
    report = Delivery(vehicle_id=visit["vehicle_id"], trip=int(visit["trip"]), stop_id=visit["stop_id"], status="done",
                      time_s=None, kg={"rice": float(visit["rice_kg"]) + 100.0}, note="", row=7)
    earlier = earlier_plan(plan)
    stock = {d: {"rice": 1e6, "food_bag": 1e6} for d in plan.depots["depot_id"]}
    with pytest.raises(InputError) as caught:
        day_state(earlier, at_s=int(plan.routes["departure_s"].max()) + 60, deliveries=[report],
                  stock_kg=stock, fleet=plan.routes["vehicle_id"].unique())
    assert _problems(caught) == {(7, "rice_kg")} and "delivered.csv" in str(caught.value)


def test_events_of_every_kind(tmp_path, scenario):
    path = _write(tmp_path, "events.csv",
                  "time,kind,vehicle_id,last_stop,depot_id,profile,capacity_kg,max_trips,rice_kg,road_kind,road,"
                  "profiles,note\n"
                  "09:40,breakdown,QS-5T-NT-03,DP-5110101-02,,,,,,,,,hỏng hộp số\n"
                  "10:00,vehicle added,,,GO-NT,truck,2500,2,,,,,Xe quân đội tăng cường\n"
                  "10:05,depot_closed,,,CHO-VINH-HAI,,,,,,,,\n"
                  "10:10,stock_received,,,COOP-NT,,,,8000,,,,\n"
                  "10:20,road_closed,,,,,,,,name,Đường 2 Tháng 4,truck,Chốt Vĩnh Hải\n")
    events = read_events(path, vehicles=[v.id for v in scenario.vehicles()], depots=[d.id for d in scenario.depots])
    kinds = [e.kind for e in events]
    assert kinds == ["breakdown", "vehicle_added", "depot_closed", "stock_received", "road_closed"]
    broken, added, closed, stock, road = events
    assert (broken.vehicle_id, broken.stop_id, broken.time_s) == ("QS-5T-NT-03", "DP-5110101-02", parse_hhmm("09:40"))
    assert (added.vehicle_id, added.depot_id, added.capacity_kg, added.max_trips) == ("ADD-3", "GO-NT", 2500.0, 2)
    assert closed.depot_id == "CHO-VINH-HAI" and stock.kg == {"rice": 8000.0}
    assert (road.closure.kind, road.closure.value, road.closure.profiles) == ("name", "Đường 2 Tháng 4", ("truck",))


def test_every_bad_event_is_named_by_row_and_field(tmp_path, scenario):
    path = _write(tmp_path, "events.csv",
                  "time,kind,vehicle_id,depot_id,profile,capacity_kg,rice_kg,road_kind,road\n"
                  "09:40,explosion,,,,,,,\n"  # unknown kind
                  "09:40,breakdown,XE-99,,,,,,\n"  # unknown vehicle
                  "10:00,vehicle_added,QS-5T-NT-01,GO-NT,truck,2500,,,\n"  # id taken
                  "10:00,vehicle_added,,NOWHERE,bicycle,0,,,\n"  # depot, profile, capacity
                  "10:10,stock_received,,COOP-NT,,,,,\n"  # no kilograms
                  "10:20,road_closed,,,,,,street,Yersin\n"  # road kind
                  "25:00,depot_closed,,COOP-NT,,,,,\n")  # time
    with pytest.raises(InputError) as caught:
        read_events(path, vehicles=[v.id for v in scenario.vehicles()], depots=[d.id for d in scenario.depots])
    assert _problems(caught) == {(2, "kind"), (3, "vehicle_id"), (4, "vehicle_id"), (5, "depot_id"), (5, "profile"),
                                 (5, "capacity_kg"), (6, "rice_kg"), (7, "road_kind"), (8, "time")}


def test_requests_by_position_or_by_ward_name(tmp_path, scenario):
    path = _write(tmp_path, "requests.csv",
                  "id,ward_id,ward,lat,lon,rice_kg,food_bag_kg,priority,tw_end,name,phone,note\n"
                  "HL-001,,,12.2765,109.2003,60,10,,,Hẻm 12 Đặng Tất,0905 123 456,người già\n"
                  "HL-002,,vinh phuoc,,,30,,2,15:00,,,\n")
    by_position, by_name = read_requests(path, scenario=scenario)
    assert by_position.ward_id == "5110101" and by_position.kg == {"rice": 60.0, "food_bag": 10.0}
    assert by_position.priority is None and by_position.phone == "0905 123 456"
    assert by_name.ward_id == "5110103" and by_name.priority == 2 and by_name.tw_end_s == parse_hhmm("15:00")


def test_every_bad_request_is_named_by_row_and_field(tmp_path, scenario):
    path = _write(tmp_path, "requests.csv",
                  "id,ward_id,ward,lat,lon,rice_kg,tw_start,tw_end\n"
                  "HL-001,,,,,30,,\n"  # nowhere
                  "HL-002,5110103,,12.2765,109.2003,30,,\n"  # the position is in Vĩnh Hải
                  "HL-003,,,12.60,109.60,30,,\n"  # in the sea
                  "HL-004,9999999,,,,30,,\n"  # unknown ward
                  "HL-005,,Atlantis,,,30,,\n"  # unknown ward name
                  "HL-006,5110101,,,,,,\n"  # nothing asked
                  "HL-007,5110101,,,,30,14:00,13:00\n"  # window backwards
                  "DP-5110101-01,5110101,,,,30,,\n"  # a drop point's id
                  "HL-009,5110101,,,,30,,\n"
                  "HL-009,5110101,,,,30,,\n")  # duplicate id
    with pytest.raises(InputError) as caught:
        read_requests(path, scenario=scenario)
    assert _problems(caught) == {(2, "ward_id"), (3, "ward_id"), (4, "lat"), (5, "ward_id"), (6, "ward"),
                                 (7, "rice_kg"), (8, "tw_end"), (9, "id"), (11, "id")}


def test_requests_become_drop_points_of_the_rest_of_the_day(tmp_path, scenario, truck_network):
    path = _write(tmp_path, "requests.csv",
                  "id,ward_id,lat,lon,rice_kg,food_bag_kg,tw_end\n"
                  "HL-001,,12.2765,109.2003,60,10,\n"
                  "HL-002,5110103,,,30,,15:00\n")
    at_s = parse_hhmm("11:00")
    house, ward = request_points(read_requests(path, scenario=scenario), scenario=scenario, network=truck_network,
                                 at_s=at_s)
    assert (house.lon, house.lat, house.approximate) == (109.2003, 12.2765, False)
    assert house.priority == scenario.zone("5110101").priority == 3  # Vĩnh Hải is red
    assert (house.tw_start_s, house.tw_end_s) == (at_s, scenario.time.operating_end_s)
    assert house.demand_kg == {"rice": 60.0, "food_bag": 10.0} and house.ward_name == "Phường Vĩnh Hải"
    assert house.locality == "Nha Trang" and house.service_s == scenario.time.service_s
    assert ward.approximate and ward.ward_name == "Phường Vĩnh Phước" and ward.tw_end_s == parse_hhmm("15:00")
    node = truck_network.snap([ward.lon], [ward.lat])
    assert node.distance_m[0] == pytest.approx(0.0, abs=0.01)  # on a road node of the ward's network


def test_a_request_far_from_any_truck_road_names_its_row(tmp_path, scenario, truck_network):
    path = _write(tmp_path, "requests.csv", "id,lat,lon,rice_kg\nHL-001,12.2765,109.2003,60\n"
                  "HL-002,12.1959,109.33363,60\n")  # Hòn Tre, Phường Vĩnh Nguyên: no road
    with pytest.raises(InputError) as caught:
        request_points(read_requests(path, scenario=scenario), scenario=scenario, network=truck_network, at_s=0)
    assert _problems(caught) == {(3, "lat")} and "requests.csv" in str(caught.value)
    assert "from the nearest truck road" in str(caught.value)


def test_the_example_files_read_with_the_real_readers(scenario):
    delivered = read_delivered(EXAMPLES / "delivered.csv",
                               planned=[(r[0], int(r[1]), r[2]) for r in _rows(EXAMPLES / "delivered.csv")])
    events = read_events(EXAMPLES / "events.csv", vehicles=[v.id for v in scenario.vehicles()],
                         depots=[d.id for d in scenario.depots])
    requests = read_requests(EXAMPLES / "requests.csv", scenario=scenario)
    assert {d.status for d in delivered} == {"done", "refused", "failed"}
    assert {e.kind for e in events} >= {"breakdown", "road_closed"}
    assert all(e.time_s <= parse_hhmm("11:00") for e in events if e.kind != "vehicle_added")
    assert len(requests) >= 2 and all(r.ward_id for r in requests)
    wards = {p.ward_id for p in scenario.demand_points or ()} | {z.ward_id for z in scenario.zones}
    assert {d.stop_id.split("-")[1] for d in delivered} <= wards


def _rows(path: Path) -> list[list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [line.split(",") for line in lines if line.strip()]
