"""python manage.py register_webhook https://leapdash.example.com/webhooks/leap/

Subscribes our receiver to Leap's connect-session and meter events, with the shared secret as
a custom header Leap sends back on every delivery. An existing subscription for the same URL
is updated instead of duplicated (Leap's PUT replaces all of its settings).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from connections.models import WebhookEvent
from connections.webhooks import SECRET_HEADER
from leapdash.leap.client import LeapClient


class Command(BaseCommand):
    help = "Register (or update) leapdash's webhook subscription with Leap."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("receiver_url", help="Public URL of /webhooks/leap/ (https).")

    def handle(self, *args: Any, receiver_url: str, **options: Any) -> None:
        if not settings.LEAP_WEBHOOK_SECRET:
            raise CommandError("Set LEAP_WEBHOOK_SECRET first: deliveries are refused without it.")
        if not receiver_url.startswith(("https://", "http://")):
            raise CommandError("receiver_url must be an absolute http(s) URL.")
        client = LeapClient.from_settings()
        events = list(WebhookEvent.EventType.values)
        headers = {SECRET_HEADER: settings.LEAP_WEBHOOK_SECRET}
        existing = [w for w in client.list_webhooks() if w.receiver_url == receiver_url]
        if existing:
            webhook_id = client.update_webhook(
                existing[0].webhook_id, receiver_url, events, headers
            )
            self.stdout.write(self.style.SUCCESS(f"Updated webhook {webhook_id}."))
        else:
            webhook_id = client.create_webhook(receiver_url, events, headers)
            self.stdout.write(self.style.SUCCESS(f"Registered webhook {webhook_id}."))
