"""Why a kilogram was not delivered: the documented list of reason codes, with Vietnamese and English text.

Every unserved row of a plan carries one code. The code names the *binding limit*: the one limit whose
lifting alone would let some vehicle serve the point (see :mod:`optimizer.solve.diagnosis`). Texts are kept
apart by language, so a Vietnamese document never mixes in English words and the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Reason", "REASONS", "REASON_CODES", "TRANSFER_REASONS", "MEAL_REASONS", "reason_text"]


@dataclass(frozen=True)
class Reason:
    """A reason code and its text in each language."""

    code: str
    vi: str
    en: str


#: The binding limits, in the order the diagnosis tests them.
REASONS: dict[str, Reason] = {r.code: r for r in (
    Reason("unreachable", "Không có đường tới điểm (ngoài mạng lưới đường)",
           "No road reaches the point (off the road network)"),
    Reason("closed_road", "Chỉ tới được qua đường đang bị phong tỏa",
           "Reachable only over a closed road"),
    Reason("zone_access", "Quy định vùng dịch cấm loại xe có thể tới điểm này",
           "The zone's access rule bars every vehicle type that could reach it"),
    Reason("reach", "Ngoài bán kính hoạt động của các xe có thể chở",
           "Beyond the reach of every vehicle type that could carry it"),
    Reason("time_window", "Không kịp khung giờ nhận hàng của điểm",
           "No vehicle can arrive within the point's delivery window"),
    Reason("stock", "Không đủ hàng trong kho (gạo hoặc túi thực phẩm)",
           "Not enough stock (rice or food bags) at the depots"),
    Reason("shift", "Không đủ thời gian trong ca làm việc trước giờ giới nghiêm",
           "No time left in the shifts before the curfew"),
    Reason("trip_cap", "Các xe đã chạy đủ số chuyến tối đa trong ngày (vẫn còn thời gian)",
           "The vehicles have made their maximum trips of the day (with shift time left)"),
    Reason("vehicles", "Không đủ xe: mọi xe có thể chở đều đã kín lịch",
           "Not enough vehicles: every vehicle that could carry it is busy all day"),
)}
#: The codes, in order.
REASON_CODES = tuple(REASONS)

#: Why a vehicle or stock crosses into another locality (:attr:`optimizer.plan.Plan.transfers`).
TRANSFER_REASONS: dict[str, Reason] = {r.code: r for r in (
    Reason("own_locality_served", "Địa phương của xe đã được phục vụ hết phần xe này có thể chở",
           "The vehicle's own locality is served as far as this vehicle can serve it"),
    Reason("same_locality", "Hỗ trợ kho khác trong cùng địa phương",
           "Helps another depot of the same locality"),
    Reason("stock_short", "Kho trong địa phương không đủ hàng",
           "The locality's own depots lack the stock"),
)}

#: Why a camp's meals could not be delivered (:attr:`optimizer.plan.Plan.meals`), in the order they are tested.
MEAL_REASONS: dict[str, Reason] = {r.code: r for r in (
    Reason("meal_unreachable", "Không có đường từ bếp nào tới khu cách ly",
           "No road leads from any kitchen to the camp"),
    Reason("meal_ride_time", "Không bếp nào tới kịp trong thời gian tối đa để suất ăn còn nóng",
           "No kitchen reaches the camp within the longest ride time for hot meals"),
    Reason("kitchen_capacity", "Các bếp trong tầm đã nấu hết công suất cho bữa này",
           "The kitchens within reach cook no more meals for this service"),
    Reason("kitchen_vans", "Không đủ xe của bếp để giao kịp khung giờ bữa ăn",
           "Not enough kitchen vans to arrive within the meal's window"),
)}


def reason_text(code: str, lang: str = "vi") -> str:
    """The text of a reason (transfer or meal reason) code in ``lang`` (``'vi'`` or ``'en'``)."""
    reason = REASONS.get(code) or TRANSFER_REASONS.get(code) or MEAL_REASONS[code]
    return reason.en if lang == "en" else reason.vi
