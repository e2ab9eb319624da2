"""Road-network settings: speeds per road class, vehicle profiles, corridor approximation, snapping.

The defaults live here, in one table; a planner overrides any of them in a TOML file
(``network build --config FILE``), for example::

    [speeds_kph.residential]
    urban = 15
    rural = 25

    [profiles.truck]
    excluded_classes = ["track", "service"]
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.errors import InputError

#: Operating speeds (km/h) of a loaded vehicle by OSM road class, in urban wards (phường) and rural
#: communes (xã). Below the legal limits of Circular 31/2019/TT-BGTVT (50–60 km/h in built-up areas,
#: 70–80 km/h outside for trucks) because lockdown checkpoints, mixed motorbike traffic and narrow
#: alleys slow real trips; an OSM ``maxspeed`` lower than the table wins.
DEFAULT_SPEEDS_KPH: dict[str, dict[str, float]] = {
    "motorway": {"urban": 70, "rural": 80},
    "motorway_link": {"urban": 40, "rural": 50},
    "trunk": {"urban": 40, "rural": 55},
    "trunk_link": {"urban": 30, "rural": 40},
    "primary": {"urban": 35, "rural": 50},
    "primary_link": {"urban": 25, "rural": 35},
    "secondary": {"urban": 30, "rural": 45},
    "secondary_link": {"urban": 25, "rural": 30},
    "tertiary": {"urban": 25, "rural": 40},
    "tertiary_link": {"urban": 20, "rural": 30},
    "unclassified": {"urban": 20, "rural": 30},
    "road": {"urban": 20, "rural": 30},
    "residential": {"urban": 18, "rural": 25},
    "living_street": {"urban": 10, "rural": 10},
    "service": {"urban": 12, "rural": 15},
    "track": {"urban": 10, "rural": 15},
    "busway": {"urban": 30, "rural": 40},
    "pedestrian": {"urban": 8, "rural": 8},
    "footway": {"urban": 8, "rural": 10},
    "path": {"urban": 8, "rural": 10},
    "cycleway": {"urban": 10, "rural": 12},
    "steps": {"urban": 3, "rural": 3},
}

#: Classes no truck may use (the issue's list); planners add more per profile.
TRUCK_EXCLUDED = ["footway", "path", "steps", "pedestrian", "cycleway"]


@dataclass(frozen=True)
class ProfileSettings:
    """What a vehicle profile may drive on and how fast it goes at most."""

    excluded_classes: tuple[str, ...]
    max_speed_kph: float


def _default_profiles() -> dict[str, ProfileSettings]:
    return {
        "truck": ProfileSettings(excluded_classes=tuple(TRUCK_EXCLUDED), max_speed_kph=60.0),
        # Motorbikes reach alleys (hẻm) that OSM often tags footway/path/pedestrian; not stairs.
        "motorbike": ProfileSettings(excluded_classes=("steps", "motorway", "motorway_link"), max_speed_kph=50.0),
    }


@dataclass(frozen=True)
class NetworkSettings:
    """All settings that shape a road network; part of the network cache key.

    Attributes
    ----------
    speeds_kph
        Class → {"urban": km/h, "rural": km/h}; classes not listed use ``default_speed_kph``.
    profiles
        Profile name → :class:`ProfileSettings`.
    corridor_speeds_kph
        Speed on the national/provincial corridor lines (not OSM; approximate), by road name prefix.
    access_detour_factor
        Road length of a commune access link = straight-line distance × this factor.
    access_speed_kph
        Speed on commune access links (rural roads).
    connect_distance_m
        Corridor ends within this distance of an OSM node are joined to it by an approximate link.
    snap_max_distance_m
        Points farther than this from a reachable node are rejected, not silently snapped.
    """

    speeds_kph: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_SPEEDS_KPH.items()})
    default_speed_kph: float = 15.0
    profiles: dict[str, ProfileSettings] = field(default_factory=_default_profiles)
    corridor_speeds_kph: dict[str, float] = field(
        default_factory=lambda: {"Quốc lộ 1A": 50.0, "Quốc lộ 26": 45.0, "Tỉnh lộ": 35.0}
    )
    corridor_default_speed_kph: float = 35.0
    access_detour_factor: float = 1.4
    access_speed_kph: float = 25.0
    connect_distance_m: float = 5000.0
    corridor_vertex_spacing_m: float = 1000.0
    snap_max_distance_m: float = 1000.0

    def speed_for(self, fclass: str, *, rural: bool) -> float:
        """Table speed of a road class (km/h)."""
        row = self.speeds_kph.get(fclass)
        if row is None:
            return self.default_speed_kph
        return float(row["rural" if rural else "urban"])

    def corridor_speed_for(self, name: str) -> float:
        """Speed on a corridor line by its name (longest matching prefix wins)."""
        matches = [prefix for prefix in self.corridor_speeds_kph if name.startswith(prefix)]
        if not matches:
            return self.corridor_default_speed_kph
        return float(self.corridor_speeds_kph[max(matches, key=len)])

    def with_excluded(self, profile: str, classes: list[str]) -> NetworkSettings:
        """A copy where ``profile`` also excludes ``classes`` (the planner-set list)."""
        base = self.profiles[profile]
        merged = tuple(dict.fromkeys([*base.excluded_classes, *classes]))
        profiles = {**self.profiles, profile: dataclasses.replace(base, excluded_classes=merged)}
        return dataclasses.replace(self, profiles=profiles)

    def as_dict(self) -> dict:
        """Plain-data form (JSON/TOML friendly), also used for the cache key."""
        return dataclasses.asdict(self)


def load_network_settings(path: str | Path | None = None) -> NetworkSettings:
    """Defaults, overridden by a TOML file when given.

    Raises
    ------
    InputError
        Unreadable TOML, an unknown key, or a speed that is not a positive number.
    """
    settings = NetworkSettings()
    if path is None:
        return settings
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise InputError("settings file not found", file=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not valid UTF-8 TOML: {exc}", file=path) from None
    known = {f.name for f in dataclasses.fields(NetworkSettings)}
    updates: dict = {}
    for key, value in raw.items():
        if key not in known:
            raise InputError(f"unknown setting '{key}' (known: {', '.join(sorted(known))})", file=path, field=key)
        if key == "speeds_kph":
            speeds = {k: dict(v) for k, v in settings.speeds_kph.items()}
            for fclass, row in value.items():
                for area, kph in row.items():
                    if area not in ("urban", "rural") or not isinstance(kph, (int, float)) or kph <= 0:
                        raise InputError(
                            f"speed must be a positive number for 'urban' or 'rural', got {area} = {kph!r}",
                            file=path,
                            field=f"speeds_kph.{fclass}.{area}",
                        )
                    speeds.setdefault(fclass, {"urban": kph, "rural": kph})[area] = float(kph)
            updates[key] = speeds
        elif key == "profiles":
            profiles = dict(settings.profiles)
            for name, row in value.items():
                base = profiles.get(name, ProfileSettings(excluded_classes=(), max_speed_kph=60.0))
                profiles[name] = ProfileSettings(
                    excluded_classes=tuple(row.get("excluded_classes", base.excluded_classes)),
                    max_speed_kph=float(row.get("max_speed_kph", base.max_speed_kph)),
                )
            updates[key] = profiles
        elif key == "corridor_speeds_kph":
            updates[key] = {**settings.corridor_speeds_kph, **{k: float(v) for k, v in value.items()}}
        else:
            if not isinstance(value, (int, float)) or value <= 0:
                raise InputError(f"must be a positive number, got {value!r}", file=path, field=key)
            updates[key] = float(value)
    return dataclasses.replace(settings, **updates)
