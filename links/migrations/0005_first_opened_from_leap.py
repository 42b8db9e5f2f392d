"""Links count as opened only when Leap says so.

Until now the public thank-you landing set Link.first_opened_at, and anyone can forge that
request. From here on only the Connect sync sets it (Leap has an entry for a refId once the
customer opened the link), so the backfill below makes every stored value agree with Leap:
a link whose refId has a Connection gets that connection's start (or, without one, when the
sync first saw it); a link without one goes back to "never opened". The landing's visits stay,
named for what they are.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill_first_opened(link_model, connection_model):  # type: ignore[no-untyped-def]
    """Set first_opened_at from the Connection of the same refId; None where Leap has none.

    Two set-based UPDATEs, whatever the number of links. Returns (set from Leap, cleared).
    """
    same_ref = connection_model.objects.filter(ref_id=OuterRef("ref_id"))
    seen_at = same_ref.annotate(at=Coalesce("started_at", "first_synced_at")).values("at")[:1]
    from_leap = (
        link_model.objects.filter(Exists(same_ref))
        .exclude(first_opened_at=Subquery(seen_at))  # on a nullable column: also the NULLs
        .update(first_opened_at=Subquery(seen_at))
    )
    cleared = link_model.objects.filter(~Exists(same_ref), first_opened_at__isnull=False).update(
        first_opened_at=None
    )
    return from_leap, cleared


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    backfill_first_opened(apps.get_model("links", "Link"), apps.get_model("connections", "Connection"))


class Migration(migrations.Migration):

    dependencies = [
        ("links", "0004_advice_fields"),
        ("connections", "0005_table_indexes"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="landingvisit",
            options={
                "ordering": ["-created_at", "-pk"],
                "verbose_name": "thank-you page visit (unverified)",
                "verbose_name_plural": "thank-you page visits (unverified)",
            },
        ),
        # Data only: reversing leaves the values as they are (the landing's old ones are gone).
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
