"""The partner's own records: a CSV upload (preview, per-row errors, all-or-nothing) and the
records derived from the links leapdash built (one per refId)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

# The links import's CSV reader: UTF-8 with or without BOM, exact line of a bad byte.
from leapdash.csvs import FileProblem, column_key, read_records
from links.builder import ref_id_problems

from . import sql
from .models import PartnerImport, PartnerRecord

MAX_ROWS = 50_000
MAX_ERRORS_KEPT = 1_000
MAX_EXPECTED_METERS = 10_000
COLUMNS = ("reference", "name", "address", "program", "expected_meter_count")
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


@dataclass
class ParsedRecords:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def error(self, line: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"line": line, "column": column, "message": message})


def _key(name: str) -> str:
    return column_key(name, ALIASES)


def parse_partner_csv(binary: IO[bytes]) -> ParsedRecords:
    """Read and check every row; nothing is stored here."""
    records = read_records(binary)
    header: list[str] = []
    for _line, cells in records:
        if any(c.strip() for c in cells):
            header = cells
            break
    if not header:
        raise FileProblem(
            "The file is empty. The first row must name the columns: reference, name, "
            "address, program, expected_meter_count."
        )
    keys = [_key(h) for h in header]
    if "reference" not in keys:
        raise FileProblem(
            "The file has no reference column (also accepted: ref_id, partner_reference); "
            f"found: {', '.join(h.strip() for h in header) or 'nothing'}."
        )
    index = {k: i for i, k in enumerate(keys) if k in COLUMNS}
    parsed = ParsedRecords()
    first_line: dict[str, int] = {}
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue
        parsed.total += 1
        if parsed.total > MAX_ROWS:
            raise FileProblem(f"The file has more than {MAX_ROWS:,} rows: split it.")
        row = {k: (cells[i].strip() if i < len(cells) else "") for k, i in index.items()}
        ok = True
        for problem in ref_id_problems(row["reference"]):
            parsed.error(line, "reference", problem)
            ok = False
        for column, limit in LIMITS.items():
            if len(row.get(column, "")) > limit:
                parsed.error(line, column, f"At most {limit} characters.")
                ok = False
        expected = row.get("expected_meter_count", "")
        if expected:
            if not expected.isdigit() or not 1 <= int(expected) <= MAX_EXPECTED_METERS:
                parsed.error(
                    line,
                    "expected_meter_count",
                    f"Expected meter count must be a whole number from 1 to "
                    f"{MAX_EXPECTED_METERS:,} (or empty), not {expected[:20]!r}.",
                )
                ok = False
        if ok and row["reference"] in first_line:
            parsed.error(
                line,
                "reference",
                f"The reference {row['reference']} is also on line {first_line[row['reference']]}.",
            )
            ok = False
        if ok:
            first_line[row["reference"]] = line
            parsed.rows.append(
                {
                    "reference": row["reference"],
                    "name": row.get("name", ""),
                    "address": row.get("address", ""),
                    "program": row.get("program", ""),
                    "expected_meter_count": int(expected) if expected else None,
                }
            )
    return parsed


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
