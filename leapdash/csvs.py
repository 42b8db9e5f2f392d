"""CSV in and out. In: uploads read record by record as UTF-8, with one error for a file that
cannot be read at all (FileProblem); each importer checks its own rows. Out: streamed
responses whose cells cannot run as spreadsheet formulas."""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, cast

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
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """A streamed CSV download.

    Typed as HttpResponse because the role decorators are typed for HttpResponse views; it is
    a StreamingHttpResponse, so the rows are never held in memory.
    """
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return cast(HttpResponse, response)


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
