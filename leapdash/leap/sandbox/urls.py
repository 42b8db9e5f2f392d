"""The sandbox under /sandbox/: Leap's API under api/, its customer pages beside it."""

from django.urls import path

from . import api_connections, api_forms, api_meters, api_partner_refs, api_webhooks, journey
from .throttle import throttled

app_name = "sandbox"

api = [
    path("v1.1/connections", api_connections.connections, name="api-connections"),
    path("v2/meters/search", api_meters.search_meters, name="api-meters-search"),
    path(
        "v2/meters/enrollments/search",
        api_meters.search_enrollments,
        name="api-enrollments-search",
    ),
    path("v2/meters/<str:meter_id>", api_meters.meter_detail, name="api-meter"),
    path(
        "v2/meters/<str:meter_id>/enrollments",
        api_meters.meter_enrollments,
        name="api-meter-enrollments",
    ),
    path(
        "v1.1/meters/partner_meter_ref",
        api_partner_refs.update_many,
        name="api-partner-refs",
    ),
    path(
        "v1.1/meters/<str:meter_id>/partner_meter_ref",
        api_partner_refs.update_one,
        name="api-partner-ref",
    ),
    path("v2/forms/<str:form_uid>/test-submit", api_forms.test_submit, name="api-test-submit"),
    path("v1.1/webhooks", api_webhooks.webhook_list, name="api-webhooks"),
    path("v1.1/webhooks/<str:webhook_id>", api_webhooks.webhook_detail, name="api-webhook"),
    path("v1.1/webhooks/<str:webhook_id>/test", api_webhooks.webhook_test, name="api-webhook-test"),
]

pages = [
    path("", journey.index, name="index"),
    path("connect/<str:org>/<str:title>/", journey.connect_start, name="connect"),
    path("direct/<str:org>/<str:utility>/getting-started", journey.direct_start, name="direct"),
    path("s/<uuid:sid>/agreements/", journey.agreements, name="agreements"),
    path("s/<uuid:sid>/utilities/", journey.utilities, name="utilities"),
    path("s/<uuid:sid>/utility/<str:utility>/", journey.utility_login, name="utility-login"),
    path("s/<uuid:sid>/error/<str:utility>/<str:code>/", journey.error, name="error"),
    path("s/<uuid:sid>/finish/", journey.finish, name="finish"),
    path("thanks/", journey.thanks, name="thanks"),
]

# the customer pages are anonymous and write: limited per address (the API needs its key)
urlpatterns = [path(f"api/{p.pattern}", p.callback, name=p.name) for p in api]
urlpatterns += [path(str(p.pattern), throttled(p.callback), name=str(p.name)) for p in pages]
