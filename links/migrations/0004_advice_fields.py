"""Advice settings on flows (following up another utility, the first touch's delay) and the
do-not-contact opt-out on links."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("links", "0003_link_search_trigram"),
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
    ]
