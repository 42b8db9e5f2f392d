"""Stored message templates and their version history (the rules: connections/templates.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .choices import TemplateChannel


class MessageTemplate(models.Model):
    """The text of one message key at one touch on one channel, as program managers edit it:
    in the standard set (empty name) or in a named set a cadence variant may send instead."""

    template_set = models.CharField(
        max_length=50,
        blank=True,
        default="",
        help_text="Empty for the standard texts; a named set's missing texts are the standard.",
    )
    key = models.CharField(max_length=64)
    touch = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=16, choices=TemplateChannel.choices)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    body = models.TextField()
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["template_set", "key", "touch", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["template_set", "key", "touch", "channel"], name="messagetemplate_key"
            ),
            models.CheckConstraint(condition=Q(touch__in=[1, 2, 3]), name="messagetemplate_touch"),
        ]

    def __str__(self) -> str:
        where = f" ({self.template_set})" if self.template_set else ""
        return f"{self.key} touch {self.touch} {self.channel}{where}"


class MessageTemplateVersion(models.Model):
    """One saved state of a template: who saved it, when, and its texts (the history)."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True, help_text="What changed, in words.")

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="messagetemplateversion"),
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.version}"
