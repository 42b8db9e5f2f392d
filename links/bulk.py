"""Bulk links from a CSV: a streaming parse into a LinkBatch preview (links/batches.py imports
it, all or none).

Nothing becomes a Link before the user confirms; the validated rows wait in the batch (JSON), so
confirming needs no second upload. Memory is bounded by the 10,000-row limit, never by the
file: the file is read line by line through a text wrapper.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from leapdash.csvs import FileProblem, ParsedRows, TableSpec, read_table

from . import builder
from .models import CustomerType, Flow, Link

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


def _missing(missing: list[str], found: str) -> str:
    return (
        f"The file has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}. "
        "The first row must name the columns: ref_id, name, email, utility, customer_type "
        f"(found: {found})."
    )


TABLE = TableSpec(
    aliases=ALIASES,
    required=REQUIRED_COLUMNS,
    empty=(
        "The file is empty. Upload a CSV whose first row names the columns: "
        "ref_id, name, email, utility, customer_type."
    ),
    missing=_missing,
    max_rows=MAX_ROWS,
    too_many=f"The file has more than {MAX_ROWS:,} rows: split it into smaller files.",
    max_errors=MAX_ERRORS_KEPT,
)


@dataclass
class Parsed:
    """The checked rows and problems of an upload, and what became of its extra columns."""

    table: ParsedRows
    param_columns: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Upload:
    """What every row of one upload is checked against."""

    kind: str
    flow: Flow | None
    org_name: str
    params: list[tuple[str, str]]  # (column, name) of the extra columns used as parameters


def parse_csv(
    binary: IO[bytes],
    *,
    kind: str,
    flow: Flow | None,
    org_name: str,
    use_extra_columns: bool,
) -> Parsed:
    """Read and check every row; rows already imported for the same customer are kept as such."""
    _check_target(kind, flow, org_name)
    required = (*REQUIRED_COLUMNS, "utility") if kind == Link.Kind.DIRECT else REQUIRED_COLUMNS
    table = read_table(binary, replace(TABLE, required=required))
    extra = table.other_columns(KNOWN_COLUMNS)
    names = [name for _, name in extra]
    if use_extra_columns:
        parsed = Parsed(table, param_columns=names)
    else:
        parsed, extra = Parsed(table, ignored_columns=names), []
    upload = _Upload(kind, flow, org_name, extra)
    for line, cells in table.rows():
        kept_before = len(table.errors)
        row = _check_row(upload, table, line, cells)
        if row is not None and (earlier := table.keep(line, row["ref_id"], row)) is not None:
            table.error(
                line, "ref_id", f"The refId {row['ref_id']} is also on line {earlier} of this file."
            )
        _identify(table.errors[kept_before:], cells)
    _mark_existing(table, org_name)
    table.errors.sort(key=lambda e: e["line"])
    return parsed


IDENTITY = ("ref_id", "name", "email")  # what the results file shows of a row in error


def _identify(errors: list[dict[str, Any]], cells: Mapping[str, str]) -> None:
    """Each error of a row keeps who the row was for, as written, so that the results file
    says whose line failed (cut to 200 characters: it is for recognising the row)."""
    for error in errors:
        error.update({key: cells.get(key, "").strip()[:200] for key in IDENTITY})


def _check_target(kind: str, flow: Flow | None, org_name: str) -> None:
    """The upload's flow and organisation, before any row is read."""
    if kind == Link.Kind.CONNECT and flow is None:
        raise FileProblem("Choose the Leap Connect flow these links are for.")
    org_problems = builder.name_problems("org", org_name)
    if org_problems:
        raise FileProblem(org_problems[0].message + " Set LEAP_ORG_NAME or fix the flow.")


def _check_row(
    upload: _Upload, table: ParsedRows, line: int, cells: dict[str, str]
) -> dict[str, Any] | None:
    """The row as stored in the batch, or None after recording its errors."""
    before = table.error_count
    customer = _customer(table, line, cells)
    customer_type = _customer_type(table, line, cells, upload.flow)
    utility_cell = cells.get("utility", "").strip()
    params = {name: cells[key] for key, name in upload.params if cells[key] != ""}
    try:
        url, requested = _row_url(
            upload, cells.get("ref_id", ""), utility_cell, customer_type, params
        )
    except builder.LinkError as err:
        for problem in err.problems:
            table.error(line, _column_of(problem.field), problem.message)
        return None
    if table.error_count > before:
        return None
    return {
        "line": line,
        "ref_id": cells.get("ref_id", ""),
        **customer,
        "customer_type": customer_type,
        "utility": utility_cell if upload.kind == Link.Kind.DIRECT else "",
        "requested": requested,
        "params": params,
        "url": url,
        "warning": "" if customer["email"] else NO_EMAIL_WARNING,
    }


def _customer(table: ParsedRows, line: int, cells: dict[str, str]) -> dict[str, Any]:
    """Name, email, external id and opt-out of the row, each error recorded."""
    name, email = cells.get("name", "").strip(), cells.get("email", "").strip()
    external_id = cells.get("external_id", "").strip()
    if len(name) > 200:
        table.error(line, "name", "The name is longer than 200 characters.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            table.error(line, "email", f"{email[:80]} is not an email address.")
    if len(external_id) > 100:
        table.error(line, "external_id", "The external id is longer than 100 characters.")
    opt_out = cells.get("do_not_contact", "").strip()
    do_not_contact = YES_NO.get(opt_out.lower())
    if do_not_contact is None:
        table.error(
            line,
            "do_not_contact",
            f"do_not_contact must be 1/0, yes/no, true/false, y/n or empty, not {opt_out[:40]!r}.",
        )
    return {
        "name": name,
        "email": email,
        "external_id": external_id,
        "do_not_contact": bool(do_not_contact),
    }


def _customer_type(table: ParsedRows, line: int, cells: dict[str, str], flow: Flow | None) -> str:
    """The row's customer type; an empty cell takes the flow's."""
    customer_type = cells.get("customer_type", "").strip().lower()
    if not customer_type:
        return flow.customer_type if flow else CustomerType.RESIDENTIAL
    if customer_type not in CustomerType.values:
        table.error(
            line,
            "customer_type",
            f"The customer type must be residential or commercial, not {customer_type[:40]}.",
        )
        return CustomerType.RESIDENTIAL
    return customer_type


def _row_url(
    upload: _Upload, ref_id: str, utility_cell: str, customer_type: str, params: dict[str, str]
) -> tuple[str, list[str]]:
    """The row's link and requested utilities, built by the same rules as the single form."""
    flow = upload.flow
    if upload.kind != Link.Kind.CONNECT:
        url = builder.direct_url(
            settings.LEAP_DIRECT_BASE_URL,
            upload.org_name,
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


def _mark_existing(table: ParsedRows, org_name: str) -> None:
    """Rows whose refId exists: the same customer's are 'existing', anyone else's an error."""
    kept = []
    for start in range(0, len(table.kept), LOOKUP_CHUNK):
        chunk = table.kept[start : start + LOOKUP_CHUNK]
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
                kept_before = len(table.errors)
                table.error(
                    row["line"],
                    "ref_id",
                    f"The refId {row['ref_id']} is already used by another customer "
                    f"({name or email or 'no name'}).",
                )
                _identify(table.errors[kept_before:], row)
    table.kept = kept
