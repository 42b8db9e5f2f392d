"""Bulk links from a CSV: a streaming parse into a LinkBatch preview, then one atomic import.

Nothing becomes a Link before the user confirms; the validated rows wait in the batch (JSON), so
confirming needs no second upload. Memory is bounded by the 10,000-row limit, never by the
file: the file is read line by line through a text wrapper.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from leapdash.csvs import FileProblem, column_key, read_records

from . import builder
from .models import CustomerType, Flow, Link, LinkBatch
from .signals import links_created

MAX_ROWS = 10_000
MAX_BYTES = 10 * 1024 * 1024
MAX_ERRORS_KEPT = 10_000
REQUIRED_COLUMNS = ("ref_id", "name", "email")
KNOWN_COLUMNS = (*REQUIRED_COLUMNS, "utility", "customer_type", "external_id", "do_not_contact")
# The optional do_not_contact column (the customer opted out of re-engagement touches).
YES_NO = {
    **dict.fromkeys(("1", "yes", "true", "y"), True),
    **dict.fromkeys(("0", "no", "false", "n", ""), False),
}
# A row without an email is kept: the link can still go out by hand, by SMS or on paper.
NO_EMAIL_WARNING = "No email: no automated e-mail touch possible (the link is still created)."
ALIASES = {"refid": "ref_id", "customer_name": "name", "customer_email": "email"}
LOOKUP_CHUNK = 1000
UTILITY_SPLIT = re.compile(r"[,;|\s]+")


class ImportConflict(Exception):
    """Between preview and confirmation another link took some of the batch's refIds."""

    def __init__(self, ref_ids: list[str]) -> None:
        self.ref_ids = ref_ids
        super().__init__(f"{len(ref_ids)} refIds were taken since the preview")


@dataclass
class Parsed:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    param_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    total: int = 0
    error_count: int = 0

    def error(self, line: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append({"line": line, "column": column, "message": message})


def _column_key(name: str) -> str:
    return column_key(name, ALIASES)


def parse_csv(
    binary: IO[bytes],
    *,
    kind: str,
    flow: Flow | None,
    org_name: str,
    use_extra_columns: bool,
) -> Parsed:
    """Read and check every row; rows already imported for the same customer are kept as such."""
    if kind == Link.Kind.CONNECT and flow is None:
        raise FileProblem("Choose the Leap Connect flow these links are for.")
    org_problems = builder.name_problems("org", org_name)
    if org_problems:
        raise FileProblem(org_problems[0].message + " Set LEAP_ORG_NAME or fix the flow.")
    records = read_records(binary)
    header_line, header = _header(records)
    keys = [_column_key(name) for name in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in keys]
    if kind == Link.Kind.DIRECT and "utility" not in keys:
        missing.append("utility")
    if missing:
        raise FileProblem(
            f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}. "
            "The first row must name the columns: ref_id, name, email, utility, customer_type "
            f"(found: {', '.join(h.strip() for h in header) or 'nothing'})."
        )
    repeated = sorted({k for k in keys if k and keys.count(k) > 1})
    if repeated:
        raise FileProblem(f"The column {', '.join(repeated)} appears more than once.")
    parsed = Parsed()
    extra = [(i, header[i].strip()) for i, k in enumerate(keys) if k not in KNOWN_COLUMNS]
    extra = [(i, name) for i, name in extra if name]
    if use_extra_columns:
        parsed.param_columns = [name for _, name in extra]
    else:
        parsed.ignored_columns = [name for _, name in extra]
    index = {k: i for i, k in enumerate(keys)}
    first_line: dict[str, int] = {}
    for line, cells in records:
        if not any(c.strip() for c in cells):
            continue  # blank lines and rows of empty cells are not customers
        parsed.total += 1
        if parsed.total > MAX_ROWS:
            raise FileProblem(
                f"The file has more than {MAX_ROWS:,} rows: split it into smaller files."
            )
        row = _check_row(parsed, line, cells, len(header), index, extra, kind, flow, org_name)
        if row is None:
            continue
        if row["ref_id"] in first_line:
            parsed.error(
                line,
                "ref_id",
                f"The refId {row['ref_id']} is also on line {first_line[row['ref_id']]} "
                "of this file.",
            )
            continue
        first_line[row["ref_id"]] = line
        parsed.rows.append(row)
    _mark_existing(parsed, org_name)
    parsed.errors.sort(key=lambda e: e["line"])
    return parsed


def _header(records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    for line, cells in records:
        if any(c.strip() for c in cells):
            return line, cells
    raise FileProblem(
        "The file is empty. Upload a CSV whose first row names the columns: "
        "ref_id, name, email, utility, customer_type."
    )


def _check_row(
    parsed: Parsed,
    line: int,
    cells: list[str],
    width: int,
    index: dict[str, int],
    extra: list[tuple[int, str]],
    kind: str,
    flow: Flow | None,
    org_name: str,
) -> dict[str, Any] | None:
    """The row as stored in the batch, or None after recording its errors."""
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        parsed.error(line, "", f"The row has {len(cells)} fields; the header has {width}.")
        return None
    before = parsed.error_count

    def cell(key: str) -> str:
        i = index.get(key)
        return cells[i] if i is not None and i < len(cells) else ""

    ref_id = cell("ref_id")
    name, email = cell("name").strip(), cell("email").strip()
    external_id = cell("external_id").strip()
    if len(name) > 200:
        parsed.error(line, "name", "The name is longer than 200 characters.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            parsed.error(line, "email", f"{email[:80]} is not an email address.")
    if len(external_id) > 100:
        parsed.error(line, "external_id", "The external id is longer than 100 characters.")
    do_not_contact = YES_NO.get(cell("do_not_contact").strip().lower())
    if do_not_contact is None:
        parsed.error(
            line,
            "do_not_contact",
            f"do_not_contact must be 1/0, yes/no, true/false, y/n or empty, not "
            f"{cell('do_not_contact').strip()[:40]!r}.",
        )
    customer_type = cell("customer_type").strip().lower()
    if not customer_type:
        customer_type = flow.customer_type if flow else CustomerType.RESIDENTIAL
    elif customer_type not in CustomerType.values:
        parsed.error(
            line,
            "customer_type",
            f"The customer type must be residential or commercial, not {customer_type[:40]}.",
        )
        customer_type = CustomerType.RESIDENTIAL
    utility_cell = cell("utility").strip()
    params = {name: cells[i] for i, name in extra if i < len(cells) and cells[i] != ""}
    if not parsed.param_columns:
        params = {}
    try:
        url, requested = _row_url(kind, flow, org_name, ref_id, utility_cell, customer_type, params)
    except builder.LinkError as err:
        for problem in err.problems:
            parsed.error(line, _column_of(problem.field), problem.message)
        return None
    if parsed.error_count > before:
        return None
    return {
        "line": line,
        "ref_id": ref_id,
        "name": name,
        "email": email,
        "external_id": external_id,
        "customer_type": customer_type,
        "utility": utility_cell if kind == Link.Kind.DIRECT else "",
        "requested": requested,
        "params": params,
        "url": url,
        "do_not_contact": bool(do_not_contact),
        "warning": "" if email else NO_EMAIL_WARNING,
    }


def _row_url(
    kind: str,
    flow: Flow | None,
    org_name: str,
    ref_id: str,
    utility_cell: str,
    customer_type: str,
    params: dict[str, str],
) -> tuple[str, list[str]]:
    """The row's link and requested utilities, built by the same rules as the single form."""
    if kind != Link.Kind.CONNECT:
        url = builder.direct_url(
            settings.LEAP_DIRECT_BASE_URL,
            org_name,
            utility_cell,
            ref_id,
            customer_type=customer_type,
            redirect_params=params,
        )
        return url, []
    assert flow is not None
    requested = [u for u in UTILITY_SPLIT.split(utility_cell) if u]
    url = builder.connect_url(
        settings.LEAP_CONNECT_BASE_URL,
        flow.org_name,
        flow.title,
        ref_id,
        region=flow.region,
        requested_utilities=requested,
        redirect_params=params,
        offered_utilities=flow.utilities,
        customer_type=customer_type,
        flow_customer_type=flow.customer_type,
    )
    return url, requested


def _column_of(problem_field: str) -> str:
    return {
        "ref_id": "ref_id",
        "requested_utilities": "utility",
        "utility": "utility",
        "customer_type": "customer_type",
        "redirect_params": "extra columns",
    }.get(problem_field, "")


def _mark_existing(parsed: Parsed, org_name: str) -> None:
    """Rows whose refId exists: the same customer's are 'existing', anyone else's an error."""
    kept = []
    for start in range(0, len(parsed.rows), LOOKUP_CHUNK):
        chunk = parsed.rows[start : start + LOOKUP_CHUNK]
        stored = {
            ref: (email, name, url)
            for ref, email, name, url in Link.objects.filter(
                org_name=org_name, ref_id__in=[r["ref_id"] for r in chunk]
            ).values_list("ref_id", "customer_email", "customer_name", "url")
        }
        for row in chunk:
            if row["ref_id"] not in stored:
                kept.append(row)
                continue
            email, name, url = stored[row["ref_id"]]
            if builder.same_customer(email, name, row["email"], row["name"]):
                # nothing is created for it, so there is nothing to warn about
                kept.append({**row, "existing": True, "url": url, "warning": ""})
            else:
                parsed.error(
                    row["line"],
                    "ref_id",
                    f"The refId {row['ref_id']} is already used by another customer "
                    f"({name or email or 'no name'}).",
                )
    parsed.rows = kept


def import_batch(batch_id: int) -> int:
    """Create the batch's new links, all or none; returns how many were created.

    Raises ImportConflict (nothing written) if another link took one of the refIds since the
    preview. A batch already imported creates nothing again.
    """
    with transaction.atomic():
        batch = LinkBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != LinkBatch.Status.PREVIEW:
            return 0
        new_rows = [r for r in batch.rows if not r.get("existing")]
        taken = set()
        for start in range(0, len(new_rows), LOOKUP_CHUNK):
            refs = [r["ref_id"] for r in new_rows[start : start + LOOKUP_CHUNK]]
            taken |= set(
                Link.objects.filter(org_name=batch.org_name, ref_id__in=refs).values_list(
                    "ref_id", flat=True
                )
            )
        if taken:
            raise ImportConflict(sorted(taken))
        links = [
            Link(
                flow=batch.flow,
                kind=batch.kind,
                org_name=batch.org_name,
                ref_id=r["ref_id"],
                customer_name=r["name"],
                customer_email=r["email"],
                customer_external_id=r["external_id"],
                customer_type=r["customer_type"],
                utility=r["utility"],
                requested_utilities=r["requested"],
                redirect_params=r["params"],
                url=r["url"],
                do_not_contact=r.get("do_not_contact", False),
                batch=batch,
                created_by_id=batch.created_by_id,
            )
            for r in new_rows
        ]
        try:
            with transaction.atomic():
                Link.objects.bulk_create(links, batch_size=1000)
        except IntegrityError:
            # a concurrent import won the race on a refId; ours writes nothing
            raise ImportConflict([]) from None
        # An opt-out in the file holds for a customer imported before too (never lifted here).
        opted_out = [
            r["ref_id"] for r in batch.rows if r.get("existing") and r.get("do_not_contact")
        ]
        for start in range(0, len(opted_out), LOOKUP_CHUNK):
            Link.objects.filter(
                org_name=batch.org_name, ref_id__in=opted_out[start : start + LOOKUP_CHUNK]
            ).update(do_not_contact=True)
        batch.status = LinkBatch.Status.IMPORTED
        batch.created_links = len(links)
        batch.imported_at = timezone.now()
        batch.save(update_fields=["status", "created_links", "imported_at"])
        links_created.send(Link, ref_ids=[link.ref_id for link in links])
    return len(links)
