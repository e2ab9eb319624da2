"""Bad-input corpus: every kind of broken scenario file, variant file, OSM file and command-line option
exits with code 2, prints no traceback, and names the file (and, for a bad cell, the row and the column).

The cases run in-process with click's CliRunner against one exported copy of the default day (with drop
points), so the road network is loaded once per session.
"""

from __future__ import annotations

import bz2
import csv
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cli
from optimizer.demand import drop_points
from optimizer.errors import InputError, Problem
from optimizer.scenario import default_scenario, export_scenario, load_scenario
from optimizer.tables import MAX_LISTED_AMBIGUOUS, InputLimits, Table, read_csv_table

# ------------------------------------------------------------------------------------------- helpers


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(path: Path, rows: list[list[str]], *, delimiter: str = ",") -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)


def set_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Mutator: cell ``column`` of spreadsheet row ``row`` (header = row 1) of file ``name`` becomes ``value``."""

    def mutate(folder: Path) -> None:
        rows = read_rows(folder / name)
        rows[row - 1][rows[0].index(column)] = value
        write_rows(folder / name, rows)

    return mutate


def set_row(name: str, row: int, values: dict[str, str]) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / name)
        for column, value in values.items():
            rows[row - 1][rows[0].index(column)] = value
        write_rows(folder / name, rows)

    return mutate


def copy_row(name: str, source: int, target_row: int) -> Callable[[Path], None]:
    """Mutator: row ``source`` is repeated as row ``target_row`` (a duplicate id)."""

    def mutate(folder: Path) -> None:
        rows = read_rows(folder / name)
        rows.insert(target_row - 1, list(rows[source - 1]))
        write_rows(folder / name, rows)

    return mutate


def header_only(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        write_rows(folder / name, read_rows(folder / name)[:1])

    return mutate


def rename_column(name: str, old: str, new: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / name)
        rows[0][rows[0].index(old)] = new
        write_rows(folder / name, rows)

    return mutate


def drop_column(name: str, column: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / name)
        i = rows[0].index(column)
        write_rows(folder / name, [r[:i] + r[i + 1:] for r in rows])

    return mutate


def write_text(name: str, text: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).write_text(text, encoding="utf-8")

    return mutate


def write_bytes(name: str, data: bytes) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).write_bytes(data)

    return mutate


def remove(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        (folder / name).unlink()

    return mutate


def latin1(name: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        text = (folder / name).read_text(encoding="utf-8-sig")
        (folder / name).write_bytes(text.encode("cp1258", errors="replace"))

    return mutate


def semicolon_header_comma_rows(name: str) -> Callable[[Path], None]:
    """The header delimited by ';' but the rows by ',' (two spreadsheets' exports mixed)."""

    def mutate(folder: Path) -> None:
        rows = read_rows(folder / name)
        text = ";".join(rows[0]) + "\n" + "".join(",".join(r) + "\n" for r in rows[1:3])
        (folder / name).write_text(text, encoding="utf-8")

    return mutate


def toml_replace(old: str, new: str) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        path = folder / "scenario.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return mutate


def too_large(name: str, megabytes: int) -> Callable[[Path], None]:
    """Mutator: the file grows (sparsely) past ``megabytes`` MB; the reader must refuse it by its size alone."""

    def mutate(folder: Path) -> None:
        with (folder / name).open("r+b") as fh:
            fh.truncate(megabytes * 1_000_000)

    return mutate


def many_rows(name: str, count: int) -> Callable[[Path], None]:
    def mutate(folder: Path) -> None:
        rows = read_rows(folder / name)
        write_rows(folder / name, [rows[0]] + [rows[1]] * count)

    return mutate


def nothing(folder: Path) -> None:
    """No change to the folder (the defect is in the command line or an extra file)."""


# ------------------------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    """One kind of bad input: how to break a copy of the default folder, the command, the expected words.

    ``args`` may use ``{dir}`` (the scenario folder) and ``{tmp}`` (a scratch folder for extra files).
    ``extra`` writes further files into ``{tmp}`` (variant files, OSM files).
    """

    id: str
    mutate: Callable[[Path], None]
    expect: tuple[str, ...]
    args: tuple[str, ...] = ("validate", "{dir}")
    extra: dict[str, bytes] | None = None


D, F, Z, P, S = "depots.csv", "fleet.csv", "zones.csv", "demand_points.csv", "scenario.toml"

CLOSURES_HEADER = "kind,value,profiles,label\n"

VARIANT_OK_HEAD = '[[variant]]\nname = "v"\n'

OSM_NO_ROADS = (b"<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6'>\n"
                b"<node id='1' lat='12.25' lon='109.19'/><node id='2' lat='12.26' lon='109.19'/>\n"
                b"<way id='10'><nd ref='1'/><nd ref='2'/><tag k='building' v='yes'/></way>\n</osm>\n")

CASES: list[Case] = [
    # ---- scenario files: whole-file defects
    Case("missing-depots", remove(D), (D, "not found")),
    Case("missing-fleet", remove(F), (F, "not found")),
    Case("missing-scenario-toml", remove(S), (S, "not found")),
    Case("empty-depots", write_text(D, ""), (D, "empty")),
    Case("header-only-depots", header_only(D), (D, "has a header but no rows")),
    Case("header-only-fleet", header_only(F), (F, "no rows")),
    Case("header-only-points", header_only(P), (P, "no rows")),
    Case("missing-column", drop_column(F, "capacity_kg"), (F, "row 1", "capacity_kg", "missing")),
    Case("duplicate-column", rename_column(D, "name", "lon"), (D, "row 1", "lon", "twice")),
    Case("unknown-column", rename_column(D, "name", "nmae"), (D, "row 1", "nmae", "unknown column")),
    Case("not-utf8", latin1(D), (D, "UTF-8")),
    Case("binary-garbage", write_bytes(Z, bytes(range(256)) * 4), (Z,)),
    Case("mixed-delimiters", semicolon_header_comma_rows(D), (D,)),
    Case("row-longer-than-header", write_text(Z, "ward_id,grade\n5110101,red,extra\n"), (Z, "row 2", "cells")),
    Case("file-too-large", too_large(P, 51), (P, "MB", "limit")),
    Case("too-many-rows", many_rows(D, 5_001), (D, "row 5002", "5,000 data rows", "limit")),
    # ---- scenario files: bad cells
    Case("text-in-number", set_cell(F, 2, "capacity_kg", "năm tấn"), (F, "row 2", "capacity_kg")),
    Case("negative-capacity", set_cell(F, 3, "capacity_kg", "-5000"), (F, "row 3", "capacity_kg")),
    Case("zero-count", set_cell(F, 2, "count", "0.5"), (F, "row 2", "count")),
    Case("nan-coordinate", set_cell(D, 2, "lat", "nan"), (D, "row 2", "lat")),
    Case("inf-coordinate", set_cell(D, 3, "lon", "inf"), (D, "row 3", "lon")),
    Case("outside-province", set_row(D, 2, {"lon": "106.70", "lat": "10.78"}), (D, "row 2", "lon")),
    Case("lat-lon-swapped", set_row(D, 2, {"lon": "12.25", "lat": "109.19"}), (D, "row 2")),
    Case("point-outside", set_row(P, 5, {"lon": "105.0", "lat": "21.0"}), (P, "row 5")),
    Case("duplicate-depot-id", copy_row(D, 2, 4), (D, "row 4", "id", "MM-MEGA")),
    Case("duplicate-point-id", copy_row(P, 2, 3), (P, "row 3", "id")),
    Case("unknown-home-depot", set_cell(F, 2, "home_depot", "KHO-MA"), (F, "row 2", "home_depot", "KHO-MA")),
    Case("bad-time", set_cell(D, 2, "open", "25:00"), (D, "row 2", "open", "25:00")),
    Case("time-text", set_cell(F, 2, "shift_start", "sáng"), (F, "row 2", "shift_start")),
    Case("shift-end-before-start", set_row(F, 2, {"shift_start": "17:00", "shift_end": "06:00"}),
         (F, "row 2", "shift_end")),
    Case("depot-close-before-open", set_row(D, 2, {"open": "18:00", "close": "06:00"}), (D, "row 2", "close")),
    Case("unknown-profile", set_cell(F, 2, "profile", "tank"), (F, "row 2", "profile", "tank")),
    Case("unknown-grade", set_cell(Z, 2, "grade", "purple"), (Z, "row 2", "grade", "purple")),
    Case("unknown-ward", set_cell(Z, 3, "ward_id", "9999999"), (Z, "row 3", "ward_id", "9999999")),
    Case("point-unknown-ward", set_cell(P, 2, "ward_id", "123"), (P, "row 2", "ward_id")),
    Case("bad-boolean", set_cell(D, 2, "approximate", "maybe"), (D, "row 2", "approximate", "maybe")),
    Case("forbidden-unknown-profile", set_cell(Z, 2, "forbidden_profiles", "bicycle"),
         (Z, "row 2", "forbidden_profiles")),
    Case("negative-stock", set_cell(D, 2, "stock_rice_kg", "-1"), (D, "row 2", "stock_rice_kg")),
    Case("point-window-reversed", set_row(P, 2, {"tw_start": "18:00", "tw_end": "06:00"}), (P, "row 2", "tw_end")),
    Case("point-negative-demand", set_cell(P, 2, "demand_rice_kg", "-3"), (P, "row 2", "demand_rice_kg")),
    Case("empty-required-cell", set_cell(F, 2, "id", ""), (F, "row 2", "id")),
    Case("closure-unknown-kind", write_text("closures.csv", CLOSURES_HEADER + "tunnel,x,,\n"),
         ("closures.csv", "row 2", "kind", "tunnel")),
    Case("closure-name-no-road", write_text("closures.csv", CLOSURES_HEADER + "name,Đường Không Có,,\n"),
         ("closures.csv", "row 2", "value", "Đường Không Có")),
    Case("closure-bad-osm-id", write_text("closures.csv", CLOSURES_HEADER + "osm_id,mười hai,,\n"),
         ("closures.csv", "row 2", "value")),
    # ---- scenario.toml
    Case("toml-syntax", toml_replace('name = "', 'name = "unterminated\nx'), (S, "TOML")),
    Case("toml-wrong-type", toml_replace('operating_start = "06:00"', "operating_start = 6"),
         (S, "operating_start")),
    Case("toml-unknown-key", toml_replace("[ration]", "[ration]\nrice_per_day = 1"), (S, "rice_per_day")),
    Case("toml-bad-date", toml_replace('date = "2021-07-26"', 'date = "2021-02-30"'), (S, "date")),
    Case("toml-negative-ration", toml_replace("coverage_share = 1.0", "coverage_share = -1.0"),
         (S, "coverage_share")),
    Case("toml-bad-clock", toml_replace('curfew_start = "19:00"', 'curfew_start = "7pm"'), (S, "curfew_start")),
    # ---- variant files
    Case("variant-unknown-change", nothing, ("variants.toml", "close_depot"),
         ("whatif", "{dir}", "--variant", "{tmp}/variants.toml", "--no-maps", "--out", "{tmp}/out"),
         {"variants.toml": (VARIANT_OK_HEAD + 'close_depot = ["GO-NT"]\n').encode()}),
    Case("variant-unknown-depot", nothing, ("variants.toml", "KHO-MA"),
         ("whatif", "{dir}", "--variant", "{tmp}/variants.toml", "--no-maps", "--out", "{tmp}/out"),
         {"variants.toml": (VARIANT_OK_HEAD + 'close_depots = ["KHO-MA"]\n').encode()}),
    Case("variant-bad-number", nothing, ("variants.toml", "factor"),
         ("whatif", "{dir}", "--variant", "{tmp}/variants.toml", "--no-maps", "--out", "{tmp}/out"),
         {"variants.toml": (VARIANT_OK_HEAD + 'scale_demand = [{ locality = "Ninh Hòa", factor = "x" }]\n')
          .encode()}),
    Case("variant-toml-syntax", nothing, ("variants.toml", "TOML"),
         ("whatif", "{dir}", "--variant", "{tmp}/variants.toml", "--no-maps", "--out", "{tmp}/out"),
         {"variants.toml": b"[[variant]\nname = 'v'\n"}),
    Case("variant-missing-file", nothing, ("nope.toml",),
         ("whatif", "{dir}", "--variant", "{tmp}/nope.toml", "--no-maps", "--out", "{tmp}/out")),
    # ---- OSM files
    Case("osm-not-osm", nothing, ("notes.osm",), ("network", "info", "--osm", "{tmp}/notes.osm"),
         {"notes.osm": b"this is not xml at all\n"}),
    Case("osm-empty", nothing, ("empty.osm",), ("network", "info", "--osm", "{tmp}/empty.osm"), {"empty.osm": b""}),
    Case("osm-no-roads", nothing, ("noroads.osm",), ("network", "info", "--osm", "{tmp}/noroads.osm"),
         {"noroads.osm": OSM_NO_ROADS}),
    Case("osm-bad-bz2", nothing, ("broken.osm.bz2",), ("network", "info", "--osm", "{tmp}/broken.osm.bz2"),
         {"broken.osm.bz2": bz2.compress(OSM_NO_ROADS)[:40]}),
    Case("osm-missing", nothing, ("missing.osm",), ("network", "build", "--osm", "{tmp}/missing.osm")),
    # ---- command-line options
    Case("cli-bad-date", nothing, ("--date", "2021-13-01"), ("plan", "{dir}", "--date", "2021-13-01", "--out", "{tmp}/o")),
    Case("cli-negative-time-limit", nothing, ("--time-limit",),
         ("plan", "{dir}", "--time-limit", "-1", "--out", "{tmp}/o")),
    Case("cli-seed-text", nothing, ("--seed",), ("plan", "{dir}", "--seed", "x", "--out", "{tmp}/o")),
    Case("cli-bad-lang", nothing, ("--lang",), ("plan", "{dir}", "--lang", "xx", "--out", "{tmp}/o")),
    Case("cli-close-unknown-depot", nothing, ("--close", "KHO-MA"),
         ("plan", "{dir}", "--close", "KHO-MA", "--out", "{tmp}/o")),
    Case("cli-missing-folder", nothing, ("no-such-folder",), ("validate", "{tmp}/no-such-folder")),
    Case("cli-folder-is-file", nothing, ("depots.csv",), ("validate", "{dir}/depots.csv")),
    Case("cli-assign-bad-level", nothing, ("--level",), ("assign", "{dir}", "--level", "street")),
    Case("plan-bad-scenario", set_cell(F, 2, "capacity_kg", "-1"), (F, "row 2", "capacity_kg"),
         ("plan", "{dir}", "--out", "{tmp}/o")),
    Case("assign-bad-scenario", set_cell(D, 2, "open", "25:00"), (D, "row 2", "open"),
         ("assign", "{dir}", "--out", "{tmp}/o")),
    # ---- ambiguous numbers in strict mode
    Case("strict-thousands-stock", set_cell(D, 2, "stock_rice_kg", "55.000"),
         (D, "row 2", "stock_rice_kg", "ambiguous", "55.000"), ("validate", "{dir}", "--strict")),
    Case("strict-quoted-thousands", set_cell(F, 3, "capacity_kg", "1,500"), (F, "row 3", "capacity_kg", "1,500"),
         ("plan", "{dir}", "--strict", "--out", "{tmp}/o")),
    Case("strict-point-demand", set_cell(P, 4, "demand_rice_kg", "12.500.000"), (P, "row 4", "demand_rice_kg"),
         ("route", "{dir}", "--strict", "--out", "{tmp}/o")),
]


@pytest.fixture(scope="session")
def base_folder(tmp_path_factory) -> Path:
    """The default day exported once, drop points included."""
    scenario = default_scenario()
    return export_scenario(scenario, tmp_path_factory.mktemp("bad_input_base"), demand_points=drop_points(scenario))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_and_names_the_place(case: Case, base_folder: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(base_folder, tmp_path / "scenario"))
    case.mutate(folder)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    for name, data in (case.extra or {}).items():
        (scratch / name).write_bytes(data)
    args = [a.format(dir=folder, tmp=scratch) for a in case.args]
    result = CliRunner().invoke(cli.main, args, catch_exceptions=True)
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, output
    missing = [fragment for fragment in case.expect if fragment not in output]
    assert not missing, f"{missing} not in:\n{output}"


def test_corpus_is_broad() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 40


def test_header_only_depots_is_one_line_without_follow_on(base_folder: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(base_folder, tmp_path / "scenario"))
    header_only(D)(folder)
    result = CliRunner().invoke(cli.main, ["validate", str(folder)])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {folder / D}, row 2: depots.csv has a header but no rows"]


def test_limits_are_settings(tmp_path: Path) -> None:
    path = tmp_path / "zones.csv"
    path.write_text("ward_id,grade\n" + "5110101,red\n" * 3, encoding="utf-8")
    problems: list[Problem] = []
    assert read_csv_table(path, required=["ward_id", "grade"], problems=problems) is not None
    tight = InputLimits(max_rows=(("zones.csv", 2),))
    assert read_csv_table(path, required=["ward_id", "grade"], problems=problems, limits=tight) is None
    assert [(p.file, p.row) for p in problems] == [(str(path), 4)] and "2 data rows" in problems[0].message
    problems.clear()
    assert read_csv_table(path, required=["ward_id", "grade"], problems=problems,
                          limits=InputLimits(max_file_mb=0.00001)) is None
    assert "MB" in problems[0].message and problems[0].file == str(path)


def test_ambiguous_number_is_a_warning_line_without_strict(base_folder: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(base_folder, tmp_path / "scenario"))
    set_cell(D, 2, "stock_rice_kg", "55.000")(folder)
    result = CliRunner().invoke(cli.main, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1
    assert f"{folder / D}" in warned[0] and "row 2, field 'stock_rice_kg': '55.000' read as 55 kg" in warned[0]


def test_many_ambiguous_cells_give_one_warning_per_file(tmp_path: Path) -> None:
    path = tmp_path / "depots.csv"
    path.write_text("id,stock_rice_kg,lon\n" + "".join(f"D{k},1.500,109.195\n" for k in range(500)), encoding="utf-8")
    problems: list[Problem] = []
    table = read_csv_table(path, required=["id"], optional=["stock_rice_kg", "lon"], problems=problems)
    assert table is not None
    with pytest.warns(UserWarning) as caught:
        values = [(row.number("stock_rice_kg"), row.number("lon", thousands=False)) for row in table.iter_rows(problems)]
    assert not problems and values == [(1.5, 109.195)] * 500
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(f"{path}: 500 number(s)")
    assert message.count("read as 1.5 kg") == MAX_LISTED_AMBIGUOUS and "and 495 more" in message
    strict = read_csv_table(path, required=["id"], optional=["stock_rice_kg", "lon"], problems=problems, strict=True)
    assert strict is not None
    for row in strict.iter_rows(problems):
        row.number("stock_rice_kg")
    assert len(problems) == 500
    assert (problems[0].file, problems[0].row, problems[0].field) == (str(path), 2, "stock_rice_kg")


# ------------------------------------------------------------------------------------------- fuzzing

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CELL = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["nan", "inf", "-1", "1e400", "06:00", "25:00", "", " ", "1,5", "x", "\x00", '"', "true", "Phường Vĩnh Hải"])


def _check_table(path: Path) -> None:
    """Read the file and every typed cell; only problems may come out, never another exception."""
    problems: list[Problem] = []
    table = read_csv_table(path, required=["id", "lon"], optional=["open", "flag"], problems=problems)
    assert table is None or isinstance(table, Table)
    assert all(isinstance(p, Problem) and p.file == str(path) for p in problems)
    for row in table.iter_rows(problems) if table else ():
        row.identifier("id")
        row.number("lon")
        row.time("open", default=0)
        row.flag("flag")


@pytest.mark.filterwarnings("ignore:.*thousands separator:UserWarning")
@FUZZ
@given(data=st.binary(max_size=400))
def test_csv_reader_takes_any_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    _check_table(path)


@pytest.mark.filterwarnings("ignore:.*thousands separator:UserWarning")
@FUZZ
@given(rows=st.lists(st.lists(CELL, min_size=0, max_size=6), max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_csv_reader_takes_any_cells(tmp_path: Path, rows: list[list[str]], delimiter: str) -> None:
    path = tmp_path / "fuzz.csv"
    write_rows(path, [["id", "lon", "open", "flag"], *rows], delimiter=delimiter)
    _check_table(path)


@pytest.fixture(scope="module")
def small_folder(tmp_path_factory) -> Path:
    """The default day without drop points (they are generated): loading it takes milliseconds."""
    return export_scenario(default_scenario(), tmp_path_factory.mktemp("fuzz_toml"))


TOML_VALUE = st.recursive(
    st.none().map(lambda _: '""') | st.integers().map(str) | st.floats().map(repr) | CELL.map(repr)
    | st.sampled_from(['"06:00"', '"25:00"', "true", "1979-05-27", "[1, 2]", "{}", "inf", "nan"]),
    lambda inner: st.lists(inner, max_size=3).map(lambda v: "[" + ", ".join(v) + "]"),
    max_leaves=4,
)
TOML_KEY = st.sampled_from(["name", "date", "description", "operating_start", "curfew_end", "service_min",
                            "rice_kg_per_person_month", "coverage_share", "seed", "road_classes", "x"])


@FUZZ
@given(lines=st.lists(st.tuples(st.sampled_from(["", "[time]", "[ration]", "[demand]", "[x]"]), TOML_KEY,
                                TOML_VALUE), max_size=8))
def test_toml_settings_reader_takes_any_values(small_folder: Path, tmp_path: Path,
                                               lines: list[tuple[str, str, str]]) -> None:
    folder = tmp_path / "toml"
    if not folder.exists():
        shutil.copytree(small_folder, folder)
    text = "".join(f"{section}\n{key} = {value}\n" for section, key, value in lines)
    (folder / "scenario.toml").write_text(text, encoding="utf-8")
    try:
        load_scenario(folder)
    except InputError as exc:
        assert exc.problems and all(isinstance(p, Problem) for p in exc.problems)


@FUZZ
@given(text=st.text(max_size=300))
def test_toml_reader_takes_any_text(small_folder: Path, tmp_path: Path, text: str) -> None:
    folder = tmp_path / "toml"
    if not folder.exists():
        shutil.copytree(small_folder, folder)
    (folder / "scenario.toml").write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_scenario(folder)
    except InputError as exc:
        assert exc.problems
