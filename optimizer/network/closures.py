"""Roads closed for a day or a what-if: by OSM way id, by road name or ref, or by polygon."""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import shapely

from optimizer import datasets
from optimizer.errors import InputError


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", str(text)).strip().casefold()


@dataclass(frozen=True)
class Closure:
    """A road blocked for a what-if: by OSM way id, by road name (or ref), or by polygon.

    Attributes
    ----------
    kind
        ``"osm_id"``, ``"name"`` or ``"polygon"``.
    value
        The way id, the road name, or a shapely (Multi)Polygon in EPSG:4326.
    profiles
        Profiles the closure applies to; empty means all.
    label
        How reports name it (e.g. "Chốt kiểm soát QL1A Ninh Ích").
    """

    kind: Literal["osm_id", "name", "polygon"]
    value: object
    profiles: tuple[str, ...] = ()
    label: str = ""

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.kind == "polygon":
            return "polygon closure"
        return f"{self.kind} {self.value}"

    def applies_to(self, profile: str) -> bool:
        return not self.profiles or profile in self.profiles


def closures_from_geojson(path: str | Path, *, profiles: Sequence[str] = ()) -> list[Closure]:
    """Polygon closures from a GeoJSON file (one closure per polygon feature; ``name`` labels it)."""
    frame = datasets.read_vector(path)
    closures = []
    for row, (geom, label) in enumerate(zip(frame.geometry, frame.get("name", pd.Series([""] * len(frame))))):
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError("closure geometry must be a Polygon or MultiPolygon", file=path, row=row + 1,
                             field="geometry")
        closures.append(Closure("polygon", geom, tuple(profiles), str(label or "")))
    return closures


def closed_edge_mask(edges: pd.DataFrame, closures: Sequence[Closure], *, profile: str) -> np.ndarray:
    """Boolean mask of edges blocked by ``closures`` for ``profile``.

    Raises
    ------
    InputError
        A closure naming an OSM id or a road name that is not in the network, or one that is empty.
    """
    closed = np.zeros(len(edges), dtype=bool)
    names = None
    for closure in closures:
        if not closure.applies_to(profile):
            continue
        if closure.kind == "osm_id":
            hit = edges["osm_id"].to_numpy() == int(str(closure.value))
        elif closure.kind == "name":
            if names is None:
                names = edges["name"].map(_normalise).to_numpy()
                refs = edges["ref"].map(_normalise).to_numpy()
            wanted = _normalise(str(closure.value))
            hit = (names == wanted) | (refs == wanted)
        elif closure.kind == "polygon":
            hit = shapely.intersects(edges["geometry"].values, closure.value)
        else:
            raise InputError(f"unknown closure kind '{closure.kind}' (use osm_id, name or polygon)", field="kind")
        if not hit.any():
            raise InputError(f"closure '{closure.describe()}' matches no road of the {profile} network")
        closed |= hit
    return closed
