"""The embedded default scenario "Khánh Hòa — 26/07/2021 (Chỉ thị 16)", built from the shipped data.

Depot positions come from the OSM POIs of Nha Trang (by OSM id) and, in Ninh Hòa and Vạn Ninh, from the
representative point of the commune (the network's access node there; ``approximate=True``). Every number
below is documented, with its source or as an assumption, in ``data/README.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

from optimizer import datasets
from optimizer.clock import parse_hhmm
from optimizer.errors import InputError
from optimizer.scenario.model import (
    DEFAULT_REACH_KM,
    Camp,
    Depot,
    Kitchen,
    PointSettings,
    RationSettings,
    Scenario,
    Settings,
    TimeSettings,
    VehicleType,
    Zone,
    complete_zones,
)

__all__ = ["default_scenario", "default_zones", "default_depots", "default_fleet", "province_scenario"]

NAME = "Khánh Hòa — 26/07/2021 (Chỉ thị 16)"
DATE = dt.date(2021, 7, 26)
DESCRIPTION = (
    "Ngày 26/07/2021: giãn cách xã hội theo Chỉ thị 16 tại TP Nha Trang, TX Ninh Hòa và huyện Vạn Ninh; "
    "chợ truyền thống đóng cửa, siêu thị và một số chợ làm điểm tập kết/phân phối. Cung ứng gạo (15 kg/người/tháng) "
    "và túi thực phẩm thiết yếu (5 kg/hộ/tuần, không kể gạo) tới mọi phường, xã mỗi ngày, 06:00–18:00, "
    "không lưu thông 19:00–06:00. Nhu cầu tính từ Tổng điều tra dân số 2019; phân vùng dịch là giả định minh họa. "
    "| Directive 16 lockdown in Nha Trang, Ninh Hoa and Van Ninh; markets closed; daily rice and food-bag relief "
    "for every ward from the 2019 census; zone grades are an illustrative assumption."
)

# id, OSM POI id, display name, kind, stock rice kg, stock food_bag kg, open, close, load time (min)
NHA_TRANG_DEPOTS = [
    ("MM-MEGA", 3390816345, "MM Mega Market Nha Trang", "mall", 65_000, 22_000, "06:00", "18:00", 20),
    ("GO-NT", 3339009918, "GO! Market Nha Trang", "mall", 55_000, 18_000, "06:00", "18:00", 20),
    ("COOP-NT", 3394048955, "Co.opmart Nha Trang", "mall", 35_000, 13_000, "06:00", "18:00", 20),
    ("CHO-XOM-MOI", 1817686651, "Chợ Xóm Mới (điểm tập kết)", "market", 30_000, 10_000, "06:00", "18:00", 30),
    ("CHO-VINH-HAI", 4110471369, "Chợ Vĩnh Hải (điểm tập kết)", "market", 25_000, 9_000, "06:00", "18:00", 30),
    ("ST-101-TQK", 4913907121, "Siêu thị 101 Trần Quang Khải", "supermarket", 6_000, 2_500, "07:00", "17:00", 15),
    ("ST-NGOC-PHUOC", 4919957826, "Siêu thị Ngọc Phước", "supermarket", 6_000, 2_500, "07:00", "17:00", 15),
    ("ST-PERKRESTOK", 4943527222, "Siêu thị Perkrestok", "supermarket", 2_000, 1_000, "07:00", "17:00", 15),
    ("ST-MINIMART", 6209337786, "Siêu thị mini mart", "supermarket", 2_000, 1_000, "07:00", "17:00", 15),
    ("VM-WEST", 5609998731, "VinMart+ (phía tây, gần GO!)", "supermarket", 1_500, 1_000, "07:00", "17:00", 10),
    ("VM-CENTRE", 5609998783, "VinMart+ (trung tâm)", "supermarket", 1_500, 1_000, "07:00", "17:00", 10),
    ("VM-SOUTH", 5609999111, "VinMart+ (phía nam)", "supermarket", 1_500, 1_000, "07:00", "17:00", 10),
]

# id, ward id (GSO code) whose representative point is used, display name, rice kg, food_bag kg
APPROXIMATE_DEPOTS = [
    ("KHO-NINH-HOA", "5110501", "Kho Ninh Hòa – Phường Ninh Hiệp (vị trí gần đúng)", 125_000, 46_000),
    ("KHO-VAN-GIA", "5110301", "Kho Vạn Giã – Thị trấn Vạn Giã (vị trí gần đúng)", 72_000, 27_000),
]

# id, name, profile, capacity kg, count, home depot, shift start, shift end, max trips, max duration h,
# VND per km, VND per hour, fixed VND per day
FLEET = [
    ("QS-5T-NT", "Xe tải 5 t – Bộ CHQS tỉnh (Nha Trang)", "truck", 5000, 8, "MM-MEGA", "06:00", "17:30", 3, 10, 7000, 120_000, 300_000),
    ("QS-5T-NH", "Xe tải 5 t – Bộ CHQS tỉnh (Ninh Hòa)", "truck", 5000, 8, "KHO-NINH-HOA", "06:00", "17:30", 3, 10, 7000, 120_000, 300_000),
    ("QS-5T-VN", "Xe tải 5 t – Bộ CHQS tỉnh (Vạn Ninh)", "truck", 5000, 5, "KHO-VAN-GIA", "06:00", "17:30", 3, 10, 7000, 120_000, 300_000),
    ("GT-2.5T-NT", "Xe tải 2,5 t – Sở GTVT (Nha Trang)", "truck", 2500, 10, "GO-NT", "06:00", "17:30", 4, 10, 5000, 90_000, 250_000),
    ("GT-2.5T-NH", "Xe tải 2,5 t – Sở GTVT (Ninh Hòa)", "truck", 2500, 6, "KHO-NINH-HOA", "06:00", "17:30", 3, 10, 5000, 90_000, 250_000),
    ("GT-2.5T-VN", "Xe tải 2,5 t – Sở GTVT (Vạn Ninh)", "truck", 2500, 3, "KHO-VAN-GIA", "06:00", "17:30", 3, 10, 5000, 90_000, 250_000),
    ("DN-1.5T-COOP", "Xe van 1,5 t – doanh nghiệp (Co.opmart)", "truck", 1500, 6, "COOP-NT", "06:00", "17:30", 4, 10, 4000, 80_000, 200_000),
    ("DN-1.5T-XM", "Xe van 1,5 t – doanh nghiệp (Chợ Xóm Mới)", "truck", 1500, 6, "CHO-XOM-MOI", "06:00", "17:30", 4, 10, 4000, 80_000, 200_000),
    ("DN-1.5T-VH", "Xe van 1,5 t – doanh nghiệp (Chợ Vĩnh Hải)", "truck", 1500, 5, "CHO-VINH-HAI", "06:00", "17:30", 4, 10, 4000, 80_000, 200_000),
    ("XM-101", "Xe máy – tình nguyện viên (101 Trần Quang Khải)", "motorbike", 120, 8, "ST-101-TQK", "06:30", "17:30", 6, 9, 1500, 40_000, 50_000),
    ("XM-NP", "Xe máy – tình nguyện viên (Ngọc Phước)", "motorbike", 120, 8, "ST-NGOC-PHUOC", "06:30", "17:30", 6, 9, 1500, 40_000, 50_000),
    ("XM-PK", "Xe máy – shipper (Perkrestok)", "motorbike", 120, 3, "ST-PERKRESTOK", "06:30", "17:30", 6, 9, 1500, 40_000, 50_000),
    ("XM-MM", "Xe máy – shipper (mini mart)", "motorbike", 120, 3, "ST-MINIMART", "06:30", "17:30", 6, 9, 1500, 40_000, 50_000),
    ("XM-VMW", "Xe máy – shipper VinMart+ (tây)", "motorbike", 120, 6, "VM-WEST", "06:30", "17:30", 6, 9, 1500, 40_000, 50_000),
    ("XM-VMC", "Xe máy – shipper VinMart+ (trung tâm)", "motorbike", 120, 6, "VM-CENTRE", "06:30", "17:30", 6, 9, 1500, 40_000, 50_000),
    ("XM-VMS", "Xe máy – shipper VinMart+ (nam)", "motorbike", 120, 6, "VM-SOUTH", "06:30", "17:30", 6, 9, 1500, 40_000, 50_000),
]

#: The quarantine camp (illustrative assumption): returning citizens held in the dormitory of Nha Trang
#: University. id, OSM POI id, name, kind, headcount, ward id.
CAMPS = [("CL-KTX-NTU", 2403306427, "Khu cách ly tập trung – Ký túc xá Trường Đại học Nha Trang", "dormitory", 600,
          "5110105")]
#: Kitchens cooking its hot meals (illustrative assumption: restaurants closed to the public under Directive 16
#: cooking for the camp). id, OSM POI id, name, meals per service, vans, meals per van.
KITCHENS = [
    ("BEP-LAC-CANH", 3093670170, "Bếp Nhà hàng Lạc Cảnh (suất ăn cách ly)", 400, 2, 250),
    ("BEP-YENS", 4133480189, "Bếp Nhà hàng Yến's (suất ăn cách ly)", 300, 2, 200),
]

#: Zone grades (illustrative assumption, not the official map of 26/07/2021). Wards not listed are green.
RED = ["5110101", "5110149", "5110317"]  # P. Vĩnh Hải, X. Phước Đồng, X. Vạn Thắng
ORANGE = ["5110124", "5110131", "5110102", "5110137", "5110115", "5110301", "5110501", "5110529"]
# ^ P. Phước Long, P. Vĩnh Nguyên, P. Vĩnh Hòa, X. Vĩnh Phương, P. Vạn Thạnh, TT Vạn Giã, P. Ninh Hiệp, P. Ninh Đa
GREEN_NHA_TRANG = ["5110135", "5110145", "5110147"]  # X. Vĩnh Lương, X. Vĩnh Trung, X. Vĩnh Thái
YELLOW_OUTSIDE = ["5110511", "5110523", "5110525", "5110533", "5110539",  # Ninh Hòa wards (phường)
                  "5110321", "5110325", "5110315", "5110305"]  # Vạn Lương, Vạn Hưng, Vạn Phú, Vạn Long
#: Red zones were sealed (phong tỏa): relief came by truck to the checkpoint; no volunteer motorbikes.
RED_FORBIDDEN = ("motorbike",)


def _grade(ward_id: str, locality: str) -> str:
    if ward_id in RED:
        return "red"
    if ward_id in ORANGE:
        return "orange"
    if locality == "Nha Trang":
        return "green" if ward_id in GREEN_NHA_TRANG else "yellow"
    return "yellow" if ward_id in YELLOW_OUTSIDE else "green"


def default_zones() -> list[Zone]:
    """A zone for every census ward: the illustrative grades above."""
    wards = datasets.read_wards()
    zones = []
    for ward_id, name, locality in zip(wards["ward_id"], wards["ward_vn"], wards["locality"]):
        grade = _grade(ward_id, locality)
        zones.append(Zone(ward_id=ward_id, grade=grade, forbidden_profiles=RED_FORBIDDEN if grade == "red" else (),
                          ward_name=name))
    return complete_zones(zones)


def default_depots() -> list[Depot]:
    """The Nha Trang depots at their OSM POIs, then the two approximate warehouses of Ninh Hòa and Vạn Ninh."""
    pois = datasets.read_pois()
    pois = pois.set_index(pois["osm_id"].astype(str))
    wards = datasets.read_wards().set_index("ward_id")
    depots = []
    for depot_id, osm_id, name, kind, rice, bags, open_, close, load_min in NHA_TRANG_DEPOTS:
        poi_id = str(osm_id)
        if poi_id not in pois.index:
            raise InputError(f"POI {poi_id} ({name}) is not in the shipped POI file", file=datasets.POIS_FILE)
        point = pois.loc[poi_id].geometry
        depots.append(
            Depot(id=depot_id, name=name, lon=float(point.x), lat=float(point.y),
                  stock_kg={"rice": float(rice), "food_bag": float(bags)}, open_s=parse_hhmm(open_),
                  close_s=parse_hhmm(close), load_time_s=load_min * 60, approximate=False, locality="Nha Trang",
                  kind=kind)
        )
    for depot_id, ward_id, name, rice, bags in APPROXIMATE_DEPOTS:
        ward = wards.loc[ward_id]
        # The same point as the network's access node of the commune (network._corridor_edges).
        point = ward.geometry.representative_point()
        depots.append(
            Depot(id=depot_id, name=name, lon=float(point.x), lat=float(point.y),
                  stock_kg={"rice": float(rice), "food_bag": float(bags)}, open_s=parse_hhmm("06:00"),
                  close_s=parse_hhmm("18:00"), load_time_s=20 * 60, approximate=True,
                  locality=str(ward["locality"]), kind="warehouse")
        )
    return depots


def _poi_point(osm_id: int, name: str):
    pois = datasets.read_pois()
    found = pois[pois["osm_id"].astype(str) == str(osm_id)]
    if found.empty:
        raise InputError(f"POI {osm_id} ({name}) is not in the shipped POI file", file=datasets.POIS_FILE)
    return found.geometry.iloc[0]


def default_camps() -> tuple[list[Camp], list[Kitchen]]:
    """The camp of :data:`CAMPS` (breakfast, lunch and dinner in the default windows) and the kitchens of
    :data:`KITCHENS` (45-minute ride for hot meals), at their OSM POIs."""
    camps = []
    for camp_id, osm_id, name, kind, headcount, ward_id in CAMPS:
        point = _poi_point(osm_id, name)
        camps.append(Camp(id=camp_id, name=name, lon=float(point.x), lat=float(point.y), headcount=headcount,
                          kind=kind, ward_id=ward_id, locality="Nha Trang",
                          contact="Ban chỉ huy khu cách ly (giả định)"))
    kitchens = []
    for kitchen_id, osm_id, name, meals, vans, per_van in KITCHENS:
        point = _poi_point(osm_id, name)
        kitchens.append(Kitchen(id=kitchen_id, name=name, lon=float(point.x), lat=float(point.y),
                                meals_per_service=meals, vans=vans, van_capacity_meals=per_van, locality="Nha Trang"))
    return camps, kitchens


def default_fleet() -> list[VehicleType]:
    """The vehicle types of :data:`FLEET`, each reaching as far as its profile's :data:`DEFAULT_REACH_KM`."""
    return [
        VehicleType(id=vid, name=name, profile=profile, capacity_kg=float(cap), count=count, home_depot=home,
                    shift_start_s=parse_hhmm(start), shift_end_s=parse_hhmm(end), max_trips=trips,
                    max_duration_s=hours * 3600, cost_per_km_vnd=float(km), cost_per_hour_vnd=float(hour),
                    fixed_cost_vnd=float(fixed), max_reach_km=DEFAULT_REACH_KM[profile])
        for vid, name, profile, cap, count, home, start, end, trips, hours, km, hour, fixed in FLEET
    ]


@functools.cache
def default_scenario() -> Scenario:
    """"Khánh Hòa — 26/07/2021 (Chỉ thị 16)", built from the shipped data (see ``data/README.md``).

    Its drop points are generated from the census on the shipped truck network when first asked for
    (:func:`optimizer.demand.drop_points`).
    """
    camps, kitchens = default_camps()
    return Scenario(
        name=NAME,
        date=DATE,
        description=DESCRIPTION,
        settings=Settings(ration=RationSettings(), points=PointSettings()),
        time=TimeSettings(),
        depots=tuple(default_depots()),
        vehicle_types=tuple(default_fleet()),
        demand_points=None,
        zones=tuple(default_zones()),
        closures=(),
        camps=tuple(camps),
        kitchens=tuple(kitchens),
        source=None,
    )


#: Scale-up of :func:`province_scenario`: five times the drop points and the vehicles (some 5,900 points).
PROVINCE_SCALE = 5


def province_scenario(*, scale: int = PROVINCE_SCALE) -> Scenario:
    """A synthetic province-sized day: the default day with ``scale`` times its drop points and its fleet.

    The same households, ration, stock, zones and depots, split into ``scale`` times as many drop points
    (``households_per_point`` divided and ``points_per_road_km`` multiplied by ``scale``), and every vehicle
    type counted ``scale`` times, so that the fleet matches the ``scale`` times longer stop lists. A load test
    of the planner (``benchmarks/province.py``), not a claim about July 2021.

    Raises
    ------
    InputError
        If ``scale`` is not a whole number of at least 1.
    """
    if not isinstance(scale, int) or scale < 1:
        raise InputError(f"scale must be a whole number of at least 1, not {scale!r}", field="scale")
    day = default_scenario()
    points = day.settings.points
    settings = dataclasses.replace(day.settings, points=dataclasses.replace(
        points, households_per_point=points.households_per_point / scale,
        points_per_road_km=points.points_per_road_km * scale))
    fleet = tuple(dataclasses.replace(v, count=v.count * scale) for v in day.vehicle_types)
    name = NAME if scale == 1 else f"{NAME} — ×{scale}"
    return dataclasses.replace(day, name=name, settings=settings, vehicle_types=fleet)
