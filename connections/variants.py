"""Cadence experiments on a flow and their variants (the rules: connections/experiments.py).
Registered with the app through models.py."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q

from .experiments import Arm


def _salt() -> str:
    return secrets.token_hex(8)


class Experiment(models.Model):
    """A split of a flow's new customers between cadence variants, from start to end."""

    flow = models.ForeignKey("links.Flow", on_delete=models.CASCADE, related_name="experiments")
    name = models.CharField(max_length=100)
    # with the refId, decides each customer's variant: a new experiment splits afresh
    salt = models.CharField(max_length=32, default=_salt, editable=False)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["flow"], condition=Q(ended_at__isnull=True), name="one_running_per_flow"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def running(self) -> bool:
        return self.ended_at is None

    def add_variants(self, arms: list[Arm]) -> list[Variant]:
        """Store `arms` as this experiment's variants, the first being the baseline (each arm's
        key is its name)."""
        return Variant.objects.bulk_create(
            Variant(
                experiment=self,
                position=i,
                name=arm.key,
                share=arm.share,
                holdout=arm.holdout,
                first_touch_delay_minutes=arm.first_delay_minutes,
                second_touch_hours=arm.second_touch_hours,
                third_touch_hours=arm.third_touch_hours,
                template_set=arm.template_set,
            )
            for i, arm in enumerate(arms)
        )


class Variant(models.Model):
    """One arm of an experiment: its share of customers and its cadence (or the holdout)."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="variants")
    position = models.PositiveSmallIntegerField(default=0, help_text="The first is the baseline.")
    name = models.CharField(max_length=50)
    share = models.PositiveSmallIntegerField("share (%)")
    holdout = models.BooleanField(
        default=False, help_text="Gets no automated touch: measures re-engagement's own lift."
    )
    first_touch_delay_minutes = models.PositiveSmallIntegerField(default=15)
    second_touch_hours = models.PositiveSmallIntegerField(default=24)
    third_touch_hours = models.PositiveSmallIntegerField(default=72)
    template_set = models.CharField(
        max_length=50,
        blank=True,
        default="",
        help_text="Message texts of this set where it has them; empty for the standard texts.",
    )

    class Meta:
        ordering = ["experiment", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="variant_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def arm(self) -> Arm:
        return Arm(
            key=str(self.pk),
            share=self.share,
            holdout=self.holdout,
            first_delay_minutes=self.first_touch_delay_minutes,
            second_touch_hours=self.second_touch_hours,
            third_touch_hours=self.third_touch_hours,
            template_set=self.template_set,
        )
