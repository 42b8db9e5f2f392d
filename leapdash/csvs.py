"""CSV in and out. In: one reader for every upload (read_table): UTF-8 read record by record,
the header matched to the importer's columns, and one error model, a FileProblem for a file
that cannot be read at all and row problems (line, column, message) for the rest; each
importer applies only its own row rules. Out: streamed responses whose cells cannot run as
spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, cast

from django.http import HttpResponse, StreamingHttpResponse

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The cell as text, prefixed with ' if a spreadsheet would treat it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """Each CSV line, ended by \n as PostgreSQL's COPY ends them (leapdash.exports writes the
    same bytes). The writer keeps its \r\n terminator, so that a cell holding a lone \r is
    quoted as COPY quotes it, and each line's \r\n becomes \n."""
    writer = csv.writer(_Echo())
    yield writer.writerow(header)[:-2] + "\n"
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])[:-2] + "\n"


def csv_download(filename: str, chunks: Iterable[str | bytes]) -> HttpResponse:
    """A streamed CSV attachment of ready chunks (csv_lines, or COPY's bytes).

    Typed as HttpResponse because the role decorators are typed for HttpResponse views; it is
    a StreamingHttpResponse, so the rows are never held in memory.
    """
    response = StreamingHttpResponse(chunks, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return cast(HttpResponse, response)


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """A streamed CSV download of Python rows, each cell neutralised."""
    return csv_download(filename, csv_lines(header, rows))


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says what to fix."""


def column_key(name: str, aliases: Mapping[str, str]) -> str:
    """A header cell as a column key: lower case, spaces and dashes as _, aliases resolved."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return aliases.get(key, key)


def read_records(binary: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) per CSV record, decoding UTF-8 (with or without BOM)."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        line = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError:
                bad_line = _first_undecodable_line(binary)
                raise FileProblem(
                    f"The file is not UTF-8 text (line {bad_line} cannot be read as UTF-8). "
                    "Save it as “CSV UTF-8” and upload it again."
                ) from None
            except csv.Error as err:
                raise FileProblem(f"Line {line} cannot be read as CSV: {err}.") from None
            if any("\x00" in cell for cell in cells):
                # a NUL byte means a binary or mis-saved file (and PostgreSQL refuses it)
                raise FileProblem(
                    f"Line {line} contains a NUL byte, so the file is not plain text. "
                    "Save it as “CSV UTF-8” and upload it again."
                )
            yield line, cells
            line = reader.line_num + 1
    finally:
        text.detach()  # leave the upload open for its owner to close


def _first_undecodable_line(binary: IO[bytes]) -> int:
    """The text wrapper decodes in blocks, so find the exact line in a second, bounded pass."""
    binary.seek(0)
    line = 0
    for line, raw in enumerate(binary, start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return line
    return line


def _blank(cells: list[str]) -> bool:
    return not any(c.strip() for c in cells)


def _found(header: list[str]) -> str:
    return ", ".join(h.strip() for h in header) or "nothing"


@dataclass(frozen=True)
class TableSpec:
    """What an importer expects of its file, and what it says when the file falls short."""

    aliases: Mapping[str, str]
    required: tuple[str, ...]
    empty: str  # the message for a file without a header row
    # the message for missing required columns, given them and the header as found
    missing: Callable[[list[str], str], str]
    max_rows: int
    too_many: str  # the message for a file past max_rows
    max_errors: int  # row problems kept (all are counted)
    unique_columns: bool = True  # a column named twice is a FileProblem
    strict_width: bool = True  # filled cells past the header are a row problem


@dataclass
class ParsedRows:
    """An upload read against its spec: the header, the rows the importer kept and every row
    problem by line. rows() reads the file on demand, so memory is bounded by the rows kept."""

    spec: TableSpec
    header: list[str]
    keys: list[str]  # the canonical column of each header cell
    records: Iterator[tuple[int, list[str]]]
    kept: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    total: int = 0
    first_line: dict[str, int] = field(default_factory=dict)

    def error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.spec.max_errors:
            self.errors.append({"line": line, "column": column, "message": message})

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line, cells by canonical column) per filled row; blank rows are not counted."""
        index = {k: i for i, k in enumerate(self.keys)}
        width = len(self.header)
        for line, cells in self.records:
            if _blank(cells):
                continue  # blank lines and rows of empty cells are not records
            self.total += 1
            if self.total > self.spec.max_rows:
                raise FileProblem(self.spec.too_many)
            if self.spec.strict_width and not _blank(cells[width:]):
                self.error(line, "", f"The row has {len(cells)} fields; the header has {width}.")
                continue
            yield line, {k: (cells[i] if i < len(cells) else "") for k, i in index.items()}

    def keep(self, line: int, unique: str, row: dict[str, Any]) -> int | None:
        """Keep the row unless its unique value was kept before: then the earlier line."""
        if unique in self.first_line:
            return self.first_line[unique]
        self.first_line[unique] = line
        self.kept.append(row)
        return None

    def other_columns(self, known: Iterable[str]) -> list[tuple[str, str]]:
        """(canonical column, name as written) of each named column not among the known."""
        known = set(known)
        return [
            (key, name.strip())
            for key, name in zip(self.keys, self.header, strict=True)
            if key not in known and name.strip()
        ]


def read_table(binary: IO[bytes], spec: TableSpec) -> ParsedRows:
    """Read the header and check it against the spec; the rows follow through rows()."""
    records = read_records(binary)
    header = next((cells for _line, cells in records if not _blank(cells)), None)
    if header is None:
        raise FileProblem(spec.empty)
    keys = [column_key(name, spec.aliases) for name in header]
    missing = [c for c in spec.required if c not in keys]
    if missing:
        raise FileProblem(spec.missing(missing, _found(header)))
    repeated = sorted({k for k in keys if k and keys.count(k) > 1})
    if repeated and spec.unique_columns:
        raise FileProblem(f"The column {', '.join(repeated)} appears more than once.")
    return ParsedRows(spec, header, keys, records)
