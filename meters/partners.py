"""The partner's own records: a CSV upload (preview, per-row errors, all-or-nothing) and the
records derived from the links leapdash built (one per refId)."""

from __future__ import annotations

from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

from leapdash.csvs import FileProblem, ParsedRows, TableSpec, read_table
from links.builder import ref_id_problems

from . import sql
from .models import PartnerImport, PartnerRecord

MAX_ROWS = 50_000
MAX_ERRORS_KEPT = 1_000
MAX_EXPECTED_METERS = 10_000
ALIASES = {
    "ref_id": "reference",
    "refid": "reference",
    "partner_reference": "reference",
    "customer_name": "name",
    "expected_meters": "expected_meter_count",
    "meters": "expected_meter_count",
}
LIMITS = {"name": 256, "address": 600, "program": 128}

__all__ = ["FileProblem", "derive_from_links", "import_partner_records", "parse_partner_csv"]

TABLE = TableSpec(
    aliases=ALIASES,
    required=("reference",),
    empty=(
        "The file is empty. The first row must name the columns: reference, name, "
        "address, program, expected_meter_count."
    ),
    missing=lambda _missing, found: (
        "The file has no reference column (also accepted: ref_id, partner_reference); "
        f"found: {found}."
    ),
    max_rows=MAX_ROWS,
    too_many=f"The file has more than {MAX_ROWS:,} rows: split it.",
    max_errors=MAX_ERRORS_KEPT,
    # a column named twice: the last one counts; extra cells past the header are ignored
    unique_columns=False,
    strict_width=False,
)


def parse_partner_csv(binary: IO[bytes]) -> ParsedRows:
    """Read and check every row; nothing is stored here."""
    table = read_table(binary, TABLE)
    for line, cells in table.rows():
        row = _check_row(table, line, {k: v.strip() for k, v in cells.items()})
        if row is not None and (earlier := table.keep(line, row["reference"], row)) is not None:
            table.error(
                line, "reference", f"The reference {row['reference']} is also on line {earlier}."
            )
    return table


def _check_row(table: ParsedRows, line: int, row: dict[str, str]) -> dict[str, Any] | None:
    """The row as stored in the upload, or None after recording its errors."""
    before = table.error_count
    for problem in ref_id_problems(row["reference"]):
        table.error(line, "reference", problem)
    for column, limit in LIMITS.items():
        if len(row.get(column, "")) > limit:
            table.error(line, column, f"At most {limit} characters.")
    expected = row.get("expected_meter_count", "")
    if expected and (not expected.isdigit() or not 1 <= int(expected) <= MAX_EXPECTED_METERS):
        table.error(
            line,
            "expected_meter_count",
            f"Expected meter count must be a whole number from 1 to "
            f"{MAX_EXPECTED_METERS:,} (or empty), not {expected[:20]!r}.",
        )
    if table.error_count > before:
        return None
    return {
        "reference": row["reference"],
        "name": row.get("name", ""),
        "address": row.get("address", ""),
        "program": row.get("program", ""),
        "expected_meter_count": int(expected) if expected else None,
    }


class ImportRefused(ValueError):
    """The upload has errors (all-or-nothing) or was imported already."""


def import_partner_records(upload: PartnerImport) -> int:
    """Write every row of a previewed upload, or none: a file with errors is refused whole.
    Re-importing a reference updates its record (the CSV is the partner's truth)."""
    with transaction.atomic():
        locked = PartnerImport.objects.select_for_update().get(pk=upload.pk)
        if locked.status != PartnerImport.Status.PREVIEW:
            raise ImportRefused("This upload was imported already.")
        if locked.errors:
            raise ImportRefused("Fix the rows with errors and upload the file again.")
        PartnerRecord.objects.bulk_create(
            [PartnerRecord(source=PartnerRecord.Source.CSV, **row) for row in locked.rows],
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["reference"],
            update_fields=["name", "address", "program", "expected_meter_count", "source"],
        )
        locked.status = PartnerImport.Status.IMPORTED
        locked.imported_at = timezone.now()
        locked.save(update_fields=["status", "imported_at"])
    return len(locked.rows)


def derive_from_links() -> int:
    """One INSERT … SELECT: a partner record for every link refId that has none yet (records
    from a CSV are never overwritten by a link)."""
    with connection.cursor() as cursor:
        cursor.execute(*sql.insert_records_from_links(timezone.now()))
        return cursor.rowcount
