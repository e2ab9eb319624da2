"""Output safety: an output folder is always the previous complete set or the new one (failed swap, failed
write, full disk, SIGTERM, read-only folder, a second run at once), per-vehicle files never collide, and no CSV
cell is run as a spreadsheet formula."""

from __future__ import annotations

import csv
import dataclasses
import errno
import hashlib
import html
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from plan_fixture import small_plan
from plan_scenarios import small_scenario

import cli
from optimizer import files
from optimizer.demand import drop_points
from optimizer.errors import OutputError
from optimizer.files import neutralise_formula, reserve_folder, safe_file_names, spreadsheet_safe
from optimizer.outputs.kpis import plan_kpis
from optimizer.outputs.pdf import chromium_path
from optimizer.outputs.report import write_outputs, write_route_files
from optimizer.scenario import export_scenario

ROOT = Path(__file__).resolve().parent.parent
HOSTILE_NAME = '=HYPERLINK("http://evil.example","bấm vào")'
HOSTILE_CMD = "=cmd|' /C calc'!A0"
HOSTILE_ID = "=1+1"


@pytest.fixture(scope="module")
def plan():
    return small_plan()


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory):
    scenario = small_scenario()
    return export_scenario(scenario, tmp_path_factory.mktemp("scenario"), demand_points=drop_points(scenario))


def _checksums(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if ".staging-" in p.name or ".old-" in p.name)


def _cli(*args, timeout=300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout, env=None if env is None else {**os.environ, **env})


@pytest.fixture
def tmpfs(tmp_path):
    """A real 2 MB tmpfs (needs root; skipped elsewhere)."""
    mount = tmp_path / "mnt"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


# ------------------------------------------------------------------------------------- file names


def test_vehicle_file_names_never_collide():
    ids = ["A/B-01", "A_B-01", "a_b-01", "V01", "DN-1.5T-01", "index", "all_sheets", "Xe tải 1", "",
           "../../etc/passwd", "..", ".hidden", "CON", "x" * 80]
    names = safe_file_names(ids)
    assert list(names) == [str(i) for i in ids]
    assert len({n.lower() for n in names.values()}) == len(ids), names
    assert names["V01"] == "V01" and names["DN-1.5T-01"] == "DN-1.5T-01", "a plain id is its own name"
    assert not [n for n in names.values() if n.startswith(".")]
    assert all(n and set(n) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
               for n in names.values())
    assert names["index"] != "index" and names["all_sheets"] != "all_sheets" and len(names["x" * 80]) < 80
    assert safe_file_names(reversed(ids)) == names, "deterministic, whatever the order"


def test_dispatch_sheets_of_colliding_ids_are_distinct_and_linked(plan, tmp_path):
    renamed = {"V01": "A/B-01", "V02": "A_B-01", "V03": "a_b-01"}
    routes = plan.routes.assign(vehicle_id=plan.routes["vehicle_id"].map(renamed))
    legs = plan.legs.assign(vehicle_id=plan.legs["vehicle_id"].map(renamed))
    clash = dataclasses.replace(plan, routes=routes, legs=legs)
    write_outputs(clash, tmp_path / "out", lang="en")
    dispatch = tmp_path / "out" / "dispatch"
    sheets = sorted(p.name for p in dispatch.glob("*.html") if p.name not in ("index.html", "all_sheets.html"))
    assert len(sheets) == 3
    index = (dispatch / "index.html").read_text(encoding="utf-8")
    for vehicle_id, name in safe_file_names(renamed.values()).items():
        assert f"href='{name}.html'>{html.escape(vehicle_id)}</a>" in index
        sheet = (dispatch / f"{name}.html").read_text(encoding="utf-8")
        assert f"<td colspan=3>{html.escape(vehicle_id)} (" in sheet


# ------------------------------------------------------------------------------------- formulas


def test_formula_cells_are_neutralised_numbers_untouched():
    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise_formula(text) == "'" + text
    for value in (-5, -2.5, 0, "Vĩnh Hải", "", None, "a=b"):
        assert neutralise_formula(value) == value
    frame = spreadsheet_safe(pd.DataFrame({"name": ["=x", "ok"], "kg": [-1.5, 2.0], "n": [-3, 4]}))
    assert frame["name"].tolist() == ["'=x", "ok"] and frame["kg"].tolist() == [-1.5, 2.0]
    assert frame["n"].tolist() == [-3, 4]


def test_hostile_names_in_csv_json_and_html(plan, tmp_path):
    routes = plan.routes.copy()
    routes.loc[0, "name"], routes.loc[1, "name"], routes.loc[0, "stop_id"] = HOSTILE_NAME, HOSTILE_CMD, HOSTILE_ID
    stops = plan.stops.copy()
    stops.loc[0, "name"] = HOSTILE_NAME
    wards = plan.wards.copy()
    wards.loc[wards.index[0], "ward"] = HOSTILE_CMD
    hostile = dataclasses.replace(plan, routes=routes, stops=stops, wards=wards)
    write_outputs(hostile, tmp_path / "out")
    with open(tmp_path / "out" / "routes.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["name"] == "'" + HOSTILE_NAME and rows[1]["name"] == "'" + HOSTILE_CMD
    assert rows[0]["stop_id"] == "'" + HOSTILE_ID
    assert float(rows[0]["lat"]) == pytest.approx(routes.loc[0, "lat"]), "numbers stay numbers"
    every_cell = [cell for row in rows for cell in row.values()]
    assert not [c for c in every_cell if c and c[0] in "=+@\t\r"], "no cell a spreadsheet would evaluate"
    with open(tmp_path / "out" / "summary.csv", encoding="utf-8-sig", newline="") as handle:
        assert "'" + HOSTILE_CMD in [row["name"] for row in csv.DictReader(handle)]
    data = json.loads((tmp_path / "out" / "plan.json").read_text(encoding="utf-8"))
    assert data["routes"][0]["name"] == HOSTILE_NAME and data["routes"][0]["stop_id"] == HOSTILE_ID
    geojson = json.loads((tmp_path / "out" / "routes.geojson").read_text(encoding="utf-8"))
    assert HOSTILE_NAME in [f["properties"].get("name") for f in geojson["features"]]
    sheet = next(p for p in (tmp_path / "out" / "dispatch").glob("*.html") if p.name != "index.html"
                 and html.escape(HOSTILE_NAME) in p.read_text(encoding="utf-8"))
    assert HOSTILE_NAME not in sheet.read_text(encoding="utf-8"), "raw quotes are escaped in HTML"


# ------------------------------------------------------------------------------------- all or nothing


def test_a_failed_swap_keeps_the_previous_set(plan, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(plan, out)
    before = _checksums(out)
    rename = os.rename

    def failing(src, dst):
        if ".staging-" in str(src):
            raise OSError(errno.EXDEV, "Invalid cross-device link", str(src))
        return rename(src, dst)

    monkeypatch.setattr(files.os, "rename", failing)
    with pytest.raises(OutputError, match=str(out)):
        write_route_files(plan, out)
    assert _checksums(out) == before and _leftovers(out) == []


def test_a_failed_write_keeps_the_previous_set(plan, tmp_path):
    out = tmp_path / "out"
    write_outputs(plan, out)
    before = _checksums(out)

    def full(staging):
        (staging / "map.html").write_text("half", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device", str(staging / "map.html"))

    with pytest.raises(OutputError, match=f"no space left.*{out}"):
        write_outputs(plan, out, extra=full)
    assert _checksums(out) == before and _leftovers(out) == []


def test_sigterm_while_writing_keeps_the_previous_set(plan, tmp_path):
    out = tmp_path / "out"
    write_route_files(plan, out)
    before = _checksums(out)
    previous = signal.signal(signal.SIGTERM, cli._terminate)
    try:
        with pytest.raises(cli.Terminated):
            write_outputs(plan, out, extra=lambda staging: os.kill(os.getpid(), signal.SIGTERM))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert _checksums(out) == before and _leftovers(out) == []


def test_a_new_set_replaces_the_old_one_as_a_whole(plan, tmp_path):
    out = tmp_path / "out"
    write_outputs(plan, out)
    (out / "summary.csv").unlink()
    (out / "summary.csv").mkdir()  # something in the old set that a file-by-file move could not replace
    (out / "summary.csv" / "x").write_text("x", encoding="utf-8")
    one = plan.routes["vehicle_id"] == "V02"
    smaller = dataclasses.replace(plan, routes=plan.routes[one], legs=plan.legs[plan.legs["vehicle_id"] == "V02"])
    write_outputs(smaller, out)
    assert (out / "summary.csv").is_file()
    pdf = ["all_sheets.pdf"] if chromium_path() else []
    assert sorted(p.name for p in (out / "dispatch").iterdir()) == ["V02.html", "all_sheets.html", *pdf,
                                                                    "index.html"], "no stale sheets"
    write_route_files(plan, out)
    assert sorted(p.name for p in out.iterdir()) == [files.MARKER, "plan.json", "routes.csv", "unserved.csv"]
    assert _leftovers(out) == []


def test_leftovers_of_interrupted_runs_are_cleaned(plan, tmp_path):
    out = tmp_path / "out"
    write_route_files(plan, out)
    before = _checksums(out)
    (tmp_path / ".out.staging-999999").mkdir()
    (tmp_path / ".out.staging-999999" / "routes.csv").write_text("partial", encoding="utf-8")
    os.rename(out, tmp_path / ".out.old-999999")  # a run killed between the two renames of its swap
    with reserve_folder(out):
        assert _checksums(out) == before, "the previous set is put back"
    assert _leftovers(out) == []


def test_a_folder_of_other_files_is_never_replaced(plan, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="did not write"):
        write_route_files(plan, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_full_disk_on_a_real_tmpfs(plan, tmpfs, scenario_dir):
    out = tmpfs / "out"
    write_route_files(plan, out)
    before = _checksums(out)
    with open(tmpfs / "filler", "wb") as handle:  # fill the disk
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    with pytest.raises(OutputError, match="no space left"):
        write_outputs(plan, out)
    assert _checksums(out) == before and _leftovers(out) == []
    result = _cli("route", scenario_dir, "--time-limit", "2", "--out", out)
    assert result.returncode == 3, result.stderr
    assert "no space left" in result.stderr and str(out) in result.stderr and "Traceback" not in result.stderr
    assert _checksums(out) == before and _leftovers(out) == []


def test_read_only_out_is_refused_before_solving(plan, tmpfs, scenario_dir, tmp_path):
    out = tmpfs / "out"
    write_route_files(plan, out)
    before = _checksums(out)
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    # A fresh network cache: planning starts by loading the network, which fills it.
    cache = tmp_path / "cache"
    cache.mkdir()
    result = _cli("plan", scenario_dir, "--out", out, env={"KHFOOD_CACHE": str(cache)})
    assert result.returncode == 3, result.stderr
    assert not any(cache.iterdir()), "refused before planning"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(out) in lines[0], lines
    assert "Read-only" in lines[0] and not result.stdout
    assert _checksums(out) == before


def test_a_second_run_on_the_same_folder_is_refused(plan, tmp_path, scenario_dir):
    out = tmp_path / "out"
    write_route_files(plan, out)
    before = _checksums(out)
    with reserve_folder(out):  # a first run holding the folder
        result = _cli("route", scenario_dir, "--time-limit", "2", "--out", out)
    assert result.returncode == 3 and "another run is using the output folder" in result.stderr, result.stderr
    assert _checksums(out) == before


def _wait_until_open(process: subprocess.Popen, path: Path, timeout_s: float = 300.0) -> None:
    """Wait until ``process`` has ``path`` open (Linux ``/proc``): then its signal handlers are in place.

    A fixed sleep is not enough on a busy machine, where the imports alone can outlast it.
    """
    deadline = time.monotonic() + timeout_s
    fds = Path(f"/proc/{process.pid}/fd")
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if any(os.path.realpath(fd) == str(path.resolve()) for fd in fds.iterdir()):
                return
        except OSError:
            pass  # a descriptor closed while we looked
        time.sleep(0.05)
    raise AssertionError(f"the run never opened {path} (exit code {process.poll()})")


def test_sigterm_during_a_real_run(plan, tmp_path, scenario_dir):
    out = tmp_path / "out"
    write_route_files(plan, out)
    before = _checksums(out)
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "route", str(scenario_dir), "--time-limit",
                                "20", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    _wait_until_open(process, out.parent / f".{out.name}.lock")  # the run holds --out: it is solving
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stderr
    assert stderr.strip().splitlines()[-1].startswith("terminated:") and "Traceback" not in stderr
    assert _checksums(out) == before and _leftovers(out) == []


# ------------------------------------------------------------------------------------- figures


def test_plan_kpis_of_a_hand_built_plan(plan):
    k = plan_kpis(plan)
    assert k.vehicles_used == 3 and k.trips == 4 and k.unserved_points == 1
    assert k.delivered_kg == pytest.approx(plan.routes["quantity_kg"].sum())
    assert k.km == pytest.approx(plan.legs["leg_km"].sum()) and k.approximate_legs > 0
    assert k.vehicles_available is None and k.vehicle_hours != k.vehicle_hours  # not recorded: None / NaN
    assert sum(k.load_kg_by_depot.values()) == pytest.approx(k.delivered_kg)
