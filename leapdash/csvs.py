"""CSV out: streamed responses whose cells cannot run as spreadsheet formulas."""

import csv
from collections.abc import Iterable, Iterator, Sequence
from typing import cast

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
