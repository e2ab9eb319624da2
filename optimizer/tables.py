"""The one reader of planner-edited tables (CSV files) that collects problems instead of stopping.

A planner edits tables in a spreadsheet (and settings in TOML, :func:`parse_toml`); every mistake of every file should be reported at once, naming
the file, the spreadsheet row and the column. :func:`read_csv_table` reads one file and records each
structural problem (not UTF-8, empty, duplicate, unknown or missing columns, rows longer than the header)
in a list of :class:`~optimizer.errors.Problem`; a :class:`Row` then gives typed access to the cells and
turns every bad cell into a problem.

Conventions
    Text is UTF-8 (a byte-order mark, as Excel's "CSV UTF-8" writes it, is fine). The delimiter is ``,``,
    ``;`` or a tab, whichever the header uses most; with ``;`` (Excel in a Vietnamese locale) ``1,5`` reads
    as 1.5. A number that looks written with thousands separators (``55.000``, ``12.500.000``, a quoted
    ``"1,500"`` in a ``,`` file; ``1.500`` in a ``;`` file) is ambiguous: it is read as :func:`read_number`
    says and listed in one warning per file, or, in a strict table, reported as a problem. Column names are case-insensitive; columns whose name starts with ``note``, ``comment``,
    ``ghi chu`` / ``ghi_chu`` or ``_`` are ignored. Rows are numbered as a spreadsheet shows them: the
    header is row 1, the first data row row 2; empty rows are skipped.
"""

from __future__ import annotations

import csv
import io
import math
import re
import tomllib
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from optimizer.clock import parse_hhmm
from optimizer.errors import InputError, Problem

__all__ = ["Table", "Row", "read_csv_table", "InputLimits", "DEFAULT_LIMITS", "decode_text", "parse_toml", "fold_text", "parse_number",
           "read_number", "capped_list", "split_words", "ward_id_text", "TRUE_WORDS", "FALSE_WORDS", "IGNORED_PREFIXES", "MAX_LISTED_AMBIGUOUS"]

#: Cell values read as true / false by :meth:`Row.flag` (after :func:`fold_text`).
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "x", "co", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "khong", "f", ""})
#: Columns starting with one of these are notes, not data.
IGNORED_PREFIXES = ("note", "comment", "ghi chu", "ghi_chu", "_")
#: Ambiguous numbers listed by name in a file's warning; the rest are counted.
MAX_LISTED_AMBIGUOUS = 5
_DELIMITERS = (",", ";", "\t")
#: An integer grouped by thousands with ``.`` or ``,``: ``55.000``, ``12.500.000``, ``1,500``.
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*")
#: Unit of a column by the end of its name, for messages.
_UNITS = (("_kg", " kg"), ("_km", " km"), ("_vnd", " VND"), ("_min", " min"), ("_h", " h"))


@dataclass(frozen=True)
class InputLimits:
    """Largest input a planner file may be; far above what Khánh Hòa needs, low enough to refuse a runaway file fast.

    The size is checked with ``stat`` before the file is read; rows are counted while the CSV records are
    read, and reading stops at the first row past the limit.

    Attributes
    ----------
    max_file_mb
        Largest file, in MB (10**6 bytes).
    max_rows
        Largest number of data rows by file name; ``default_rows`` for any other file.
    """

    max_file_mb: float = 50.0
    max_rows: tuple[tuple[str, int], ...] = (
        ("demand_points.csv", 50_000), ("depots.csv", 5_000), ("fleet.csv", 5_000), ("zones.csv", 5_000),
        ("closures.csv", 10_000),
    )
    default_rows: int = 50_000

    def rows_for(self, name: str) -> int:
        """The row limit of file ``name``."""
        return dict(self.max_rows).get(name, self.default_rows)


#: The limits every reader uses unless told otherwise.
DEFAULT_LIMITS = InputLimits()


def fold_text(text: str) -> str:
    """Lower-case ASCII form for tolerant matching of names (Ninh Hòa → ninh hoa)."""
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold().strip()


def decode_text(data: bytes, file: str, problems: list[Problem]) -> str | None:
    """UTF-8 text (byte-order mark removed, NFC), or ``None`` with a problem naming the file and line.

    Parameters
    ----------
    data
        The file's bytes.
    file
        The file's name, for the problem.
    problems
        Where a problem is appended.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(
            Problem(
                f"file is not UTF-8 text (byte 0x{data[exc.start]:02X} at line {line}; it looks saved as "
                "Windows-1258/Latin-1): save it as 'CSV UTF-8' and load again",
                file, line, None,
            )
        )
        return None
    return unicodedata.normalize("NFC", text)


def read_text_file(path: Path, *, what: str) -> str:
    """The text of a file a planner wrote (:func:`decode_text`).

    Raises
    ------
    InputError
        ``<what> not found`` naming the file, or the decoding problem with its line.
    """
    if not path.is_file():
        raise InputError(f"{what} not found", file=path)
    problems: list[Problem] = []
    text = decode_text(path.read_bytes(), str(path), problems)
    if text is None:
        raise InputError(problems)
    return text


def parse_toml(text: str, file: str, problems: list[Problem]) -> dict[str, Any] | None:
    """The TOML document, or ``None`` with a problem naming the file and the line of the syntax error.

    Parameters
    ----------
    text
        The file's text (:func:`decode_text`).
    file
        The file's name, for the problem.
    problems
        Where a problem is appended.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        problems.append(Problem(f"not valid TOML: {exc}", file, int(match[1]) if match else None))
        return None


def parse_number(raw: str, *, decimal_comma: bool) -> float | None:
    """A finite number written by a person (spaces and ``_`` allowed), or ``None``.

    Parameters
    ----------
    raw
        The cell's text.
    decimal_comma
        ``1,5`` means 1.5 (files delimited by ``;``); otherwise a comma makes the text not a number.
    """
    text = _compact(raw)
    if "," in text:
        if not decimal_comma or "." in text:
            return None
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_number(raw: str, *, decimal_comma: bool, unit: str = "") -> tuple[float | None, str]:
    """A number as a person wrote it, and a note when the text looks written with thousands separators.

    A cell that looks like an integer grouped by thousands (``55.000``, ``12.500.000``, ``1,500``) is
    ambiguous. With one group whose separator is a decimal mark of the file (``.`` always; ``,`` in a file
    delimited by ``;``) it is read as a decimal (``55.000`` → 55); otherwise the separator can only group
    thousands and it is read so (``12.500.000`` → 12500000; a quoted ``"1,500"`` in a ``,`` file → 1500).
    Any other text is read by :func:`parse_number`.

    Parameters
    ----------
    raw
        The cell's text.
    decimal_comma
        The file is delimited by ``;``, so ``1,5`` is 1.5.
    unit
        Unit for the note (``" kg"``).

    Returns
    -------
    tuple[float | None, str]
        The value (``None``: not a number) and the note ("'55.000' read as 55 kg; write 55000 if you meant
        55000 kg"), empty when the text is not ambiguous.
    """
    text = _compact(raw)
    match = _GROUPED.fullmatch(text)
    if match is None:
        return parse_number(raw, decimal_comma=decimal_comma), ""
    separator = match[1]
    grouped = float(text.replace(separator, ""))
    if text.count(separator) > 1:
        return grouped, (f"'{raw}' read as {_format_number(grouped)}{unit} ('{separator}' taken as a thousands "
                         f"separator); write {_format_number(grouped)}")
    decimal = float(text.replace(separator, "."))
    value, other = (decimal, grouped) if separator == "." or decimal_comma else (grouped, decimal)
    shown, meant = _format_number(value), _format_number(other)
    return value, f"'{raw}' read as {shown}{unit}; write {meant} if you meant {meant}{unit}"


def ward_id_text(raw: str) -> str:
    """GSO codes as text; ``5110101.0`` (a spreadsheet turned it into a number) → ``5110101``."""
    text = str(raw).strip()
    match = re.fullmatch(r"(\d+)\.0*", text)
    return match[1] if match else text


def split_words(raw: str) -> tuple[str, ...]:
    """Lower-case items of a list cell separated by ``;``, ``,``, ``|`` or spaces (``truck; motorbike``)."""
    return tuple(p for p in re.split(r"[;,|\s]+", raw.strip().lower()) if p)


def capped_list(items: Sequence[str], limit: int) -> str:
    """``a; b; c`` with at most ``limit`` items shown, then ``and N more``."""
    shown = "; ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}; and {len(items) - limit} more"


def _compact(raw: str) -> str:
    """The cell's text without the spaces and ``_`` a person may put in a number."""
    return raw.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")


def _format_number(value: float) -> str:
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.15g}"


def _unit(column: str) -> str:
    return next((unit for suffix, unit in _UNITS if column.endswith(suffix)), "")


@dataclass(frozen=True)
class Table:
    """The usable content of one CSV file.

    Attributes
    ----------
    file
        The file's name, as problems show it.
    columns
        Lower-cased header names in file order (an empty name for an unnamed column).
    rows
        ``(spreadsheet row, cells by column)`` of every non-empty data row; cells are stripped text.
    decimal_comma
        The file is delimited by ``;``, so ``1,5`` is 1.5.
    strict
        An ambiguous number (:func:`read_number`) is a problem, not a warning.
    """

    file: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    decimal_comma: bool
    strict: bool = False

    def iter_rows(self, problems: list[Problem]) -> Iterator[Row]:
        """A :class:`Row` for each data row, recording its problems in ``problems``.

        The ambiguous numbers the rows read (not strict) are listed in one ``UserWarning`` once the last
        row has been read: the first :data:`MAX_LISTED_AMBIGUOUS` by row and field, the others counted.
        """
        ambiguous: list[Problem] = []
        for line, cells in self.rows:
            yield Row(self, line, cells, problems, ambiguous)
        if ambiguous:
            listed = capped_list([str(p) for p in ambiguous], MAX_LISTED_AMBIGUOUS)
            warnings.warn(f"{self.file}: {len(ambiguous)} number(s) written with what looks like a thousands "
                          f"separator: {listed} (strict mode makes these errors)", UserWarning, stacklevel=2)


class Row:
    """Typed access to one row of a :class:`Table`; every bad cell becomes a problem and marks the row bad.

    Parameters
    ----------
    table
        The table the row belongs to.
    line
        Its spreadsheet row.
    cells
        Column → stripped text.
    problems
        Where problems are appended.
    ambiguous
        Where ambiguous numbers are noted (without the file) when the table is not strict.
    """

    def __init__(self, table: Table, line: int, cells: dict[str, str], problems: list[Problem],
                 ambiguous: list[Problem] | None = None):
        self.table, self.line, self.cells, self.problems = table, line, cells, problems
        self.ambiguous = [] if ambiguous is None else ambiguous
        self.bad = False

    def problem(self, message: str, column: str | None) -> None:
        """Record a problem of this row (and mark it bad)."""
        self.problems.append(Problem(message, self.table.file, self.line, column))
        self.bad = True

    def text(self, column: str, *, required: bool = False, default: str = "") -> str:
        """The cell's text; ``default`` when empty (a problem when ``required``)."""
        value = self.cells.get(column, "")
        if not value:
            if required:
                self.problem("value is missing", column)
            return default
        return value

    def identifier(self, column: str) -> str:
        """A required id (text)."""
        return self.text(column, required=True)

    @overload
    def number(
        self, column: str, *, required: bool = ..., default: float = ..., minimum: float | None = ...,
        strictly_positive: bool = ..., integer: bool = ..., maximum: float | None = ..., thousands: bool = ...,
    ) -> float: ...

    @overload
    def number(
        self, column: str, *, required: bool = ..., default: None, minimum: float | None = ...,
        strictly_positive: bool = ..., integer: bool = ..., maximum: float | None = ..., thousands: bool = ...,
    ) -> float | None: ...

    def number(
        self, column: str, *, required: bool = True, default: float | None = math.nan, minimum: float | None = None,
        strictly_positive: bool = False, integer: bool = False, maximum: float | None = None, thousands: bool = True,
    ) -> float | None:
        """The cell as a number (an ``int`` when ``integer``).

        Parameters
        ----------
        column
            Column name.
        required
            An empty cell is a problem.
        default
            Returned for an empty or bad cell (NaN unless given; a bad cell also marks the row bad).
        minimum, maximum, strictly_positive, integer
            Bounds and wholeness; a value outside is a problem.
        thousands
            The value may be large enough to be written with thousands separators, so a cell that looks
            so is ambiguous (:func:`read_number`): noted for the file's warning, or a problem in a strict
            table. ``False`` (coordinates: ``109.195``) reads the cell by :func:`parse_number` alone.
        """
        raw = self.cells.get(column, "")
        if not raw:
            if required:
                self.problem("value is missing", column)
            return default
        if thousands:
            value, note = read_number(raw, decimal_comma=self.table.decimal_comma, unit=_unit(column))
        else:
            value, note = parse_number(raw, decimal_comma=self.table.decimal_comma), ""
        if note and self.table.strict:
            self.problem(f"ambiguous number (an error in strict mode): {note}", column)
        elif note:
            self.ambiguous.append(Problem(note, None, self.line, column))
        message = _number_problem(value, raw, minimum=minimum, maximum=maximum,
                                  strictly_positive=strictly_positive, integer=integer)
        if value is None or message:
            self.problem(message or f"'{raw}' is not a number", column)
            return default
        return int(value) if integer else value

    def time(self, column: str, *, default: int | None = None) -> int:
        """A time of day ``HH:MM`` in seconds since midnight.

        ``default`` is returned for an empty cell; without one the cell is required. A missing or bad
        required time is a problem and gives 0 (the row is marked bad).
        """
        raw = self.cells.get(column, "")
        fallback = 0 if default is None else default
        if not raw:
            if default is None:
                self.problem("value is missing (a time HH:MM)", column)
            return fallback
        try:
            return parse_hhmm(raw)
        except ValueError as exc:
            self.problem(str(exc), column)
            return fallback

    def flag(self, column: str, *, default: bool = False) -> bool:
        """A yes/no cell (:data:`TRUE_WORDS`, :data:`FALSE_WORDS`); ``default`` when empty."""
        raw = self.cells.get(column, "")
        if not raw:
            return default
        folded = fold_text(raw)
        if folded in TRUE_WORDS:
            return True
        if folded in FALSE_WORDS:
            return False
        self.problem(f"'{raw}' is not true/false", column)
        return default


def _number_problem(
    value: float | None, raw: str, *, minimum: float | None, maximum: float | None, strictly_positive: bool,
    integer: bool,
) -> str:
    """What is wrong with a parsed number (empty when nothing is)."""
    if value is None:
        return f"'{raw}' is not a number"
    if integer and value != int(value):
        return f"'{raw}' is not a whole number"
    if strictly_positive and value <= 0:
        return f"must be greater than 0, got {raw}"
    if minimum is not None and value < minimum:
        return f"must be {minimum:g} or more, got {raw}"
    if maximum is not None and value > maximum:
        return f"must be {maximum:g} or less, got {raw}"
    return ""


def read_csv_table(
    path: Path,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    prefixes: Sequence[str] = (),
    must_exist: bool = True,
    problems: list[Problem],
    limits: InputLimits = DEFAULT_LIMITS,
    strict: bool = False,
) -> Table | None:
    """Read one CSV file, recording every structural problem.

    Parameters
    ----------
    path
        The file.
    required, optional
        Column names (lower case); a missing required column is a problem.
    prefixes
        Further columns allowed by prefix (``stock_`` for ``stock_<commodity>_kg``).
    must_exist
        A missing file is a problem; otherwise it gives ``None`` silently.
    problems
        Where problems are appended.
    limits
        Largest file and number of rows; a larger file is one problem, and it is not read further.
    strict
        Ambiguous numbers are problems, not a warning (:attr:`Table.strict`).

    Returns
    -------
    Table or None
        ``None`` when the file is absent or its rows cannot be used.
    """
    text = _read_text(path, must_exist=must_exist, problems=problems, limits=limits)
    if text is None:
        return None
    file = str(path)
    first_line = text.splitlines()[0]
    delimiter = max(_DELIMITERS, key=lambda d: (first_line.count(d), d == ","))
    records = _records(text, delimiter, file, limits.rows_for(path.name), problems)
    if records is None:
        return None
    columns = [h.strip().lower() for h in records[0]]
    header_problems = _header_problems(file, columns, required=required, optional=optional, prefixes=prefixes)
    if header_problems:
        problems.extend(header_problems)
        return None
    rows = _data_rows(file, columns, records[1:], problems)
    if not rows and not any(cell.strip() for record in records[1:] for cell in record):
        problems.append(Problem(f"{path.name} has a header but no rows", file, 2))
        return None
    return Table(file, tuple(columns), tuple(rows), decimal_comma=delimiter == ";", strict=strict)


def _records(text: str, delimiter: str, file: str, max_rows: int, problems: list[Problem]) -> list[list[str]] | None:
    """The CSV records (header first), read lazily and stopped at the first data row past ``max_rows``."""
    records: list[list[str]] = []
    try:
        for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            records.append(record)
            if len(records) > max_rows + 1:
                problems.append(Problem(
                    f"more than {max_rows:,} data rows (the limit for this file): split the file, or raise the "
                    "limit (optimizer.tables.InputLimits)", file, len(records)))
                return None
    except csv.Error as exc:
        problems.append(Problem(f"not a readable CSV file ({exc})", file, len(records) + 1))
        return None
    return records


def _read_text(path: Path, *, must_exist: bool, problems: list[Problem],
               limits: InputLimits = DEFAULT_LIMITS) -> str | None:
    """The file's non-empty text, or ``None`` (with a problem unless an optional file is absent or too large)."""
    file = str(path)
    if not path.exists():
        if must_exist:
            problems.append(Problem("file not found", file))
        return None
    try:
        size = path.stat().st_size
        if size > limits.max_file_mb * 1e6:
            problems.append(Problem(
                f"file is {size / 1e6:,.1f} MB, more than the limit of {limits.max_file_mb:g} MB: split the file, "
                "or raise the limit (optimizer.tables.InputLimits)", file))
            return None
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(f"cannot read file ({exc.strerror or exc})", file))
        return None
    text = decode_text(data, file, problems)
    if text is None:
        return None
    if not text.strip():
        problems.append(Problem("file is empty (a header row is needed)", file, 1))
        return None
    return text


def _header_problems(
    file: str, columns: Sequence[str], *, required: Sequence[str], optional: Sequence[str], prefixes: Sequence[str]
) -> list[Problem]:
    """Duplicate, unknown and missing columns."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in columns:
        if name in seen and name:
            problems.append(Problem(f"column '{name}' appears twice", file, 1, name))
        seen.add(name)
    known = set(required) | set(optional)
    expected = ", ".join(list(required) + list(optional))
    if prefixes:
        expected += f", {', '.join(p + '*' for p in prefixes)}"
    for name in columns:
        if not name or name in known or name.startswith(tuple(prefixes)) or _is_note(name):
            continue
        problems.append(
            Problem(f"unknown column '{name}' (expected {expected}; prefix it with 'note' to keep it)", file, 1, name)
        )
    problems += [Problem(f"missing column '{name}'", file, 1, name) for name in required if name not in columns]
    return problems


def _is_note(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES) or fold_text(name).startswith(IGNORED_PREFIXES)


def _data_rows(
    file: str, columns: Sequence[str], records: Sequence[Sequence[str]], problems: list[Problem]
) -> list[tuple[int, dict[str, str]]]:
    """Non-empty rows by spreadsheet row; a row with more cells than the header is a problem."""
    rows = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(columns) and any(cell.strip() for cell in record[len(columns):]):
            problems.append(
                Problem(f"row has {len(record)} cells but the header has {len(columns)} columns", file, number)
            )
            continue
        cells = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(columns) if name}
        rows.append((number, cells))
    return rows
