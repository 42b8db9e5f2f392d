"""Bulk CSV import: exact per-row errors, nothing written before confirmation, no duplicates."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from links.builder import PROHIBITED_RESOURCES_MESSAGE
from links.models import Link, LinkBatch
from tests.links.cases import problems

UPLOAD = "/links/import/"
HEADER = "ref_id,name,email,utility,customer_type\n"


def _upload(client, content, *, flow=None, kind="connect", extra=False, name="customers.csv"):
    data = {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv")}
    if flow is not None:
        data["flow"] = flow.pk
    if extra:
        data["use_extra_columns"] = "on"
    return client.post(UPLOAD, data)


def _batch_from(response):
    assert response.status_code == 302, response.content.decode()[:2000]
    return LinkBatch.objects.get(pk=int(response["Location"].rstrip("/").split("/")[-1]))


def _form_errors(response):
    return response.context["form"].errors["file"]


def _big_file():
    """10,000 customers, seven of them wrong in a known way."""
    lines = [HEADER]
    for n in range(1, 10_001):
        lines.append(f"cust-{n:05d},Customer {n},c{n}@example.com,pge,residential\n")
    bad = {
        # line number in the file (header is line 1) -> replacement row
        6: "a#,Five,five@example.com,pge,residential\n",
        101: "cust-bad-mail,Hundred,not-an-email,pge,residential\n",
        201: "cust-ny,Ny,ny@example.com,cecony-utilityapi,residential\n",
        301: "cust-00002,Copy,copy@example.com,pge,residential\n",
        401: "cust-type,Type,type@example.com,pge,industrial\n",
        501: ",Nobody,nobody@example.com,pge,residential\n",
        601: "cust-wide,Wide,wide@example.com,pge,residential,surprise\n",
    }
    for line, row in bad.items():
        lines[line - 1] = row
    return "".join(lines).encode()


EXPECTED_BIG_ERRORS = [
    {
        "line": 6,
        "column": "ref_id",
        "message": "The refId must be at least 3 characters long: Leap stores it as the meter's "
        "partner_reference, which needs 3 to 256 characters.",
    },
    {
        "line": 6,
        "column": "ref_id",
        "message": "The refId contains #, which Leap does not allow in a meter's "
        "partner_reference (none of / \\ ? [ ] { } ! # $ % ^ & * ( ) < > |).",
    },
    {"line": 101, "column": "email", "message": "not-an-email is not an email address."},
    {
        "line": 201,
        "column": "utility",
        "message": "cecony-utilityapi is not a CAISO utility Leap Connect supports "
        "(choose from pge, sce, sdge).",
    },
    {
        "line": 301,
        "column": "ref_id",
        "message": "The refId cust-00002 is also on line 3 of this file.",
    },
    {
        "line": 401,
        "column": "customer_type",
        "message": "The customer type must be residential or commercial, not industrial.",
    },
    {
        "line": 501,
        "column": "ref_id",
        "message": "A refId is required: without it Leap's records cannot be matched to the "
        "customer.",
    },
    {"line": 601, "column": "", "message": "The row has 6 fields; the header has 5."},
]


def test_a_10000_row_file_is_checked_row_by_row_and_imported_only_on_confirmation(pm_client, flow):
    batch = _batch_from(_upload(pm_client, _big_file(), flow=flow))
    assert problems(batch.errors) == EXPECTED_BIG_ERRORS
    assert (batch.total_rows, batch.error_count, len(batch.rows)) == (10_000, 8, 9_993)
    assert not Link.objects.exists()  # nothing written before confirmation

    page = pm_client.get(reverse("links:batch", args=[batch.pk])).content.decode()
    assert "Create 9993 links" in page
    assert "not-an-email is not an email address." in page

    response = pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    assert response.status_code == 302
    assert Link.objects.count() == 9_993
    assert Link.objects.filter(batch=batch, flow=flow, kind="connect").count() == 9_993
    link = Link.objects.get(ref_id="cust-00007")
    assert link.url == (
        "http://testserver/sandbox/connect/test-energy/spring-2025/"
        "?requestedUtilities=pge&refId=cust-00007"
    )
    assert (link.customer_name, link.customer_email) == ("Customer 7", "c7@example.com")

    # the same file again: every valid row already exists, nothing is created twice
    again = _batch_from(_upload(pm_client, _big_file(), flow=flow))
    assert problems(again.errors) == EXPECTED_BIG_ERRORS
    assert all(row["existing"] for row in again.rows)
    pm_client.post(reverse("links:batch_confirm", args=[again.pk]))
    assert Link.objects.count() == 9_993
    again.refresh_from_db()
    assert again.created_links == 0


def test_confirming_twice_creates_nothing_the_second_time(pm_client, flow):
    content = (HEADER + "cust-1,A,a@example.com,,\ncust-2,B,b@example.com,sce,\n").encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    confirm = reverse("links:batch_confirm", args=[batch.pk])
    pm_client.post(confirm)
    pm_client.post(confirm)
    assert Link.objects.count() == 2


def test_a_ref_id_taken_after_the_preview_aborts_the_whole_import(pm_client, flow, make_link):
    content = (HEADER + "cust-1,A,a@example.com,,\ncust-2,B,b@example.com,,\n").encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    make_link(flow, ref_id="cust-2", customer_email="someone@example.com")
    response = pm_client.post(reverse("links:batch_confirm", args=[batch.pk]), follow=True)
    assert "Nothing was imported" in response.content.decode()
    assert "cust-2" in response.content.decode()
    assert list(Link.objects.values_list("ref_id", flat=True)) == ["cust-2"]
    batch.refresh_from_db()
    assert batch.status == "preview"


def test_a_ref_id_of_another_customer_in_the_database_is_a_row_error(pm_client, flow, make_link):
    make_link(flow, ref_id="cust-1", customer_name="Bob", customer_email="bob@example.com")
    content = (HEADER + "cust-1,Ada,ada@example.com,,\n").encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    assert problems(batch.errors) == [
        {
            "line": 2,
            "column": "ref_id",
            "message": "The refId cust-1 is already used by another customer (Bob).",
        }
    ]
    identity = {k: batch.errors[0][k] for k in ("ref_id", "name", "email")}
    assert identity == {"ref_id": "cust-1", "name": "Ada", "email": "ada@example.com"}
    assert batch.rows == []


def test_the_result_csv_has_a_status_and_url_or_reason_per_line_with_formulas_neutralised(
    pm_client, flow, make_link
):
    make_link(flow, ref_id="cust-old", customer_email="old@example.com", url="http://x/old")
    content = (
        HEADER + "cust-new,New,new@example.com,,\n=cmd,+Sum,eq@example.com,,\n"
        "a/b,Bad,bad@example.com,,\ncust-old,Old,old@example.com,,\ncust-nomail,Nomail,,,\n"
    ).encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    response = pm_client.get(reverse("links:batch_result", args=[batch.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == [
        "line",
        "status",
        "ref_id",
        "name",
        "email",
        "url",
        "column",
        "message",
    ]
    assert [(r["line"], r["status"], r["ref_id"], r["name"], r["column"]) for r in rows] == [
        ("2", "created", "cust-new", "New", ""),
        ("3", "created", "'=cmd", "'+Sum", ""),  # '=' is a valid refId character, encoded in URLs
        ("4", "error", "a/b", "Bad", "ref_id"),  # whose line failed, as written
        ("5", "existing", "cust-old", "Old", ""),
        ("6", "warning", "cust-nomail", "Nomail", "email"),
    ]
    assert rows[0]["url"] == Link.objects.get(ref_id="cust-new").url
    assert rows[1]["url"].endswith("refId=%3Dcmd")
    assert rows[2]["message"].startswith("The refId contains /,")
    assert rows[2]["email"] == "bad@example.com"
    assert rows[3]["url"] == "http://x/old"
    assert rows[4]["url"] == Link.objects.get(ref_id="cust-nomail").url
    assert rows[4]["message"] == (
        "No email: no automated e-mail touch possible (the link is still created)."
    )


@pytest.mark.parametrize(
    ("imported", "expected"), [(False, ["to create", "warning"]), (True, ["created", "warning"])]
)
def test_before_confirmation_the_result_csv_says_to_create(pm_client, flow, imported, expected):
    content = (HEADER + "cust-1,A,a@example.com,,\ncust-2,B,,,\n").encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    if imported:
        pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    response = pm_client.get(reverse("links:batch_result", args=[batch.pk]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["status"] for r in rows] == expected


def test_there_is_no_separate_errors_file(pm_client, flow):
    batch = _batch_from(
        _upload(pm_client, (HEADER + "a/b,A,a@example.com,,\n").encode(), flow=flow)
    )
    page = pm_client.get(reverse("links:batch", args=[batch.pk])).content.decode()
    assert page.count(" download>") == 1
    assert pm_client.get(f"/links/import/{batch.pk}/errors.csv").status_code == 404


def test_extra_columns_become_redirect_params_only_when_ticked(pm_client, flow):
    content = (
        b"ref_id,name,email,utility,customer_type,campaign,state\n"
        b"cust-1,A,a@example.com,,,spring,ca\n"
    )
    ticked = _batch_from(_upload(pm_client, content, flow=flow, extra=True))
    assert ticked.param_columns == ["campaign", "state"]
    assert ticked.rows[0]["params"] == {"campaign": "spring", "state": "ca"}
    assert ticked.rows[0]["url"].endswith(
        "&additional_redirect_params=campaign%3Dspring%26state%3Dca"
    )
    plain = _batch_from(_upload(pm_client, content, flow=flow))
    assert plain.ignored_columns == ["campaign", "state"]
    assert "additional_redirect_params" not in plain.rows[0]["url"]


def test_an_extra_column_named_like_ref_id_is_reported(pm_client, flow):
    content = b"ref_id,name,email,refid \n"
    response = _upload(pm_client, content, flow=flow, extra=True)
    assert _form_errors(response) == ["The column ref_id appears more than once."]


def test_direct_imports_refuse_commercial_rows_and_need_a_utility(pm_client, settings):
    settings.LEAP_ORG_NAME = "test-energy"
    content = (
        HEADER + "home-1,Home,h@example.com,pge,residential\n"
        "shop-1,Shop,s@example.com,sce,Commercial\n"
        "far-1,Far,f@example.com,cecony-utilityapi,\n"
    ).encode()
    batch = _batch_from(_upload(pm_client, content, kind="direct"))
    assert [r["ref_id"] for r in batch.rows] == ["home-1"]
    assert batch.rows[0]["url"] == (
        "http://testserver/sandbox/direct/test-energy/pge/getting-started?refId=home-1"
    )
    assert problems(batch.errors)[0] == {
        "line": 3,
        "column": "customer_type",
        "message": PROHIBITED_RESOURCES_MESSAGE,
    }
    assert batch.errors[1]["line"] == 4
    assert batch.errors[1]["column"] == "utility"
    no_utility = _upload(pm_client, b"ref_id,name,email\nx-1,A,a@example.com\n", kind="direct")
    assert _form_errors(no_utility)[0].startswith("The file has no utility column.")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            b"",
            "The file is empty. Upload a CSV whose first row names the columns: "
            "ref_id, name, email, utility, customer_type.",
        ),
        (
            b"\n\n ,\n",
            "The file is empty. Upload a CSV whose first row names the columns: "
            "ref_id, name, email, utility, customer_type.",
        ),
        (
            b"refid;name;email\n",
            "The file has no ref_id, name, email columns. The first row must name the columns: "
            "ref_id, name, email, utility, customer_type (found: refid;name;email).",
        ),
        (
            b"ref_id,customer name\n",
            "The file has no email column. The first row must name the columns: ref_id, name, "
            "email, utility, customer_type (found: ref_id, customer name).",
        ),
        (
            HEADER.encode() + "cust-1,Zoë,z@example.com,,\n".encode("latin-1"),
            "The file is not UTF-8 text (line 2 cannot be read as UTF-8). Save it as "
            "“CSV UTF-8” and upload it again.",
        ),
    ],
    ids=["empty", "blank-lines", "wrong-delimiter", "missing-email", "latin-1"],
)
def test_unreadable_files_get_a_clear_error_and_no_batch(pm_client, flow, content, message):
    response = _upload(pm_client, content, flow=flow)
    assert response.status_code == 200
    assert _form_errors(response) == [message]
    assert not LinkBatch.objects.exists()


def test_a_file_over_10_mb_is_refused(pm_client, flow):
    content = HEADER.encode() + b"x" * (10 * 1024 * 1024)
    response = _upload(pm_client, content, flow=flow)
    assert _form_errors(response) == ["The file is 10.0 MB; the limit is 10 MB."]


def test_more_than_10000_rows_are_refused(pm_client, flow):
    rows = "".join(f"c-{n},N,n{n}@example.com,,\n" for n in range(10_001))
    response = _upload(pm_client, (HEADER + rows).encode(), flow=flow)
    assert _form_errors(response) == [
        "The file has more than 10,000 rows: split it into smaller files."
    ]


def test_a_bom_and_excel_style_headers_are_understood(pm_client, flow):
    content = "\ufeffRefId,Name,Email,Utility,Customer Type\r\ncust-1,A,a@example.com,PGE,\r\n"
    batch = _batch_from(_upload(pm_client, content.encode(), flow=flow))
    assert problems(batch.errors) == [
        {
            "line": 2,
            "column": "utility",
            "message": "PGE is not a CAISO utility Leap Connect supports "
            "(choose from pge, sce, sdge).",
        }
    ]


def test_a_large_upload_is_parsed_from_its_temporary_file(pm_client, flow, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # force the temporary-file upload handler
    rows = "".join(f"cust-{n},N {n},n{n}@example.com,sce,\n" for n in range(200))
    batch = _batch_from(_upload(pm_client, (HEADER + rows).encode(), flow=flow))
    assert len(batch.rows) == 200


def test_quoted_fields_keep_their_line_numbers(pm_client, flow):
    content = (HEADER + 'cust-1,"Multi\nline",a@example.com,,\ncust-2,B,bad,,\n').encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    assert problems(batch.errors) == [
        {"line": 4, "column": "email", "message": "bad is not an email address."}
    ]


def test_a_connect_import_needs_a_flow(pm_client, db):
    response = pm_client.post(
        UPLOAD, {"kind": "connect", "file": SimpleUploadedFile("a.csv", HEADER.encode())}
    )
    assert response.context["form"].errors["flow"] == [
        "Choose the Leap Connect flow these links are for."
    ]


def test_an_htmx_upload_is_sent_to_the_preview_page(pm_client, flow):
    content = (HEADER + "cust-1,A,a@example.com,,\n").encode()
    response = pm_client.post(
        UPLOAD,
        {"kind": "connect", "flow": flow.pk, "file": SimpleUploadedFile("a.csv", content)},
        headers={"HX-Request": "true"},
    )
    batch = LinkBatch.objects.get()
    assert response["HX-Redirect"] == reverse("links:batch", args=[batch.pk])


def test_discarding_a_preview_imports_nothing(pm_client, flow):
    batch = _batch_from(
        _upload(pm_client, (HEADER + "cust-1,A,a@example.com,,\n").encode(), flow=flow)
    )
    pm_client.post(reverse("links:batch_discard", args=[batch.pk]))
    pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    assert not Link.objects.exists()


# --- the flow's utilities and ASCII refIds --------------------------------------------------------


@pytest.mark.parametrize(
    ("flow_utilities", "cell", "message"),
    [
        (["pge"], "sce", "The flow does not offer sce (it offers pge)"),
        (["pge", "sce"], "sdge;pge", "The flow does not offer sdge (it offers pge, sce)"),
        (["sdge"], "pge sce sdge", "The flow does not offer pge, sce (it offers sdge)"),
        (["pge"], "pge", None),
        ([], "sdge", None),
    ],
)
def test_a_row_may_request_only_the_flows_utilities(pm_client, flow, flow_utilities, cell, message):
    flow.utilities = flow_utilities
    flow.save()
    content = (HEADER + f"cust-1,A,a@example.com,{cell},\n").encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    if message is None:
        assert problems(batch.errors) == []
        assert len(batch.rows) == 1
        return
    assert batch.rows == []
    (error,) = problems(batch.errors)
    assert (error["line"], error["column"]) == (2, "utility")
    assert error["message"].startswith(message)


@pytest.mark.parametrize(
    ("ref_id", "found"),
    [("josé-1", "'é' at position 4"), ("cust\u00a01", "'\\xa0' at position 5")],
)
def test_a_ref_id_outside_ascii_is_a_row_error(pm_client, flow, ref_id, found):
    content = (HEADER + f"{ref_id},A,a@example.com,,\ncust-2,B,b@example.com,,\n").encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    assert problems(batch.errors) == [
        {
            "line": 2,
            "column": "ref_id",
            "message": f"The refId must be plain ASCII (Leap's URL rules); found {found}.",
        }
    ]
    assert [r["ref_id"] for r in batch.rows] == ["cust-2"]


# --- the do_not_contact column --------------------------------------------------------------------

DNC_HEADER = "ref_id,name,email,utility,customer_type,do_not_contact\n"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("1", True),
        ("yes", True),
        ("YES", True),
        (" true ", True),
        ("True", True),
        ("y", True),
        ("Y", True),
        ("0", False),
        ("no", False),
        ("No", False),
        ("false", False),
        ("FALSE", False),
        ("n", False),
        ("", False),
        ("  ", False),
    ],
)
def test_the_do_not_contact_column_reads_yes_and_no_words(pm_client, flow, cell, expected):
    content = (DNC_HEADER + f"cust-1,Ada,ada@example.com,pge,,{cell}\n").encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    assert problems(batch.errors) == []
    assert batch.rows[0]["do_not_contact"] is expected
    pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    assert Link.objects.get().do_not_contact is expected


@pytest.mark.parametrize("cell", ["maybe", "2", "-1", "oui", "t", "f", "yes please", "ja"])
def test_any_other_do_not_contact_value_is_a_row_error_naming_it(pm_client, flow, cell):
    content = (
        DNC_HEADER + f"cust-1,Ada,ada@example.com,pge,,{cell}\ncust-2,Bob,bob@example.com,,,no\n"
    ).encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    assert problems(batch.errors) == [
        {
            "line": 2,
            "column": "do_not_contact",
            "message": "do_not_contact must be 1/0, yes/no, true/false, y/n or empty, "
            f"not {cell!r}.",
        }
    ]
    assert [r["ref_id"] for r in batch.rows] == ["cust-2"]


def test_a_file_without_the_column_imports_everyone_as_contactable(pm_client, flow):
    batch = _batch_from(
        _upload(pm_client, (HEADER + "cust-1,A,a@example.com,,\n").encode(), flow=flow)
    )
    assert batch.rows[0]["do_not_contact"] is False
    assert "do_not_contact" not in batch.ignored_columns
    pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    assert Link.objects.get().do_not_contact is False


def test_an_opt_out_in_the_file_reaches_a_customer_imported_before(pm_client, flow, make_link):
    old = make_link(flow, ref_id="cust-1", customer_email="ada@example.com")
    kept = make_link(flow, ref_id="cust-2", customer_email="bob@example.com", do_not_contact=True)
    content = (
        DNC_HEADER + "cust-1,Ada,ada@example.com,,,yes\n"
        "cust-2,Bob,bob@example.com,,,no\n"  # a file never lifts an opt-out
    ).encode()
    batch = _batch_from(_upload(pm_client, content, flow=flow))
    page = pm_client.get(reverse("links:batch", args=[batch.pk])).content.decode()
    assert "1 customer imported before is marked <strong>do not contact</strong>" in page
    # nothing new to create, yet confirming applies the opt-out: the button says so
    assert '<button type="submit">Mark 1 customer do not contact</button>' in page
    assert "Create 0 links" not in page
    pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    old.refresh_from_db()
    kept.refresh_from_db()
    assert (old.do_not_contact, kept.do_not_contact) == (True, True)


def test_a_preview_stored_before_the_column_existed_imports_as_contactable(pm_client, flow):
    batch = _batch_from(
        _upload(pm_client, (HEADER + "cust-1,A,a@example.com,,\n").encode(), flow=flow)
    )
    LinkBatch.objects.filter(pk=batch.pk).update(
        rows=[{k: v for k, v in batch.rows[0].items() if k != "do_not_contact"}]
    )
    pm_client.post(reverse("links:batch_confirm", args=[batch.pk]))
    assert Link.objects.get().do_not_contact is False
