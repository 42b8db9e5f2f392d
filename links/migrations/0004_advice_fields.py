"""Advice settings on flows, the do-not-contact opt-out on links, and "opened" from Leap only.

Until now the public thank-you landing set Link.first_opened_at, and anyone can forge that
request. From here on only the Connect sync sets it (Leap has an entry for a refId once the
customer opened the link), so the backfill below makes every stored value agree with Leap:
a link whose refId has a Connection gets that connection's start (or, without one, when the
sync first saw it); a link without one goes back to "never opened".
"""

import django.core.validators
from django.db import migrations, models
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
        ("links", "0003_link_search_trigram"),
        ("connections", "0005_table_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="flow",
            name="first_touch_delay_minutes",
            field=models.PositiveSmallIntegerField(
                default=15,
                help_text="When Leap's webhook shows a customer abandoned, the first "
                "re-engagement touch goes this long after. Leap recommends 5 to 60 minutes and "
                "A/B-testing the delay.",
                validators=[
                    django.core.validators.MinValueValidator(5),
                    django.core.validators.MaxValueValidator(60),
                ],
                verbose_name="First touch delay (minutes)",
            ),
        ),
        migrations.AddField(
            model_name="flow",
            name="follow_up_other_utility",
            field=models.BooleanField(
                default=False,
                help_text="Leap's rule: a residential customer who connected a different "
                "utility than the requested one stays PARTIAL, and by default is not followed "
                "up (they may have no meter with the requested utility). Tick to follow them "
                "up anyway.",
                verbose_name="Follow up a customer who connected another utility",
            ),
        ),
        migrations.AddField(
            model_name="link",
            name="do_not_contact",
            field=models.BooleanField(
                default=False,
                help_text="The customer opted out: leapdash never queues or posts "
                "re-engagement touches for them.",
                verbose_name="Do not contact",
            ),
        ),
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
