from django.urls import path

from . import webhooks

urlpatterns = [path("leap/", webhooks.leap_webhook, name="leap_webhook")]
