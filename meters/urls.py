from django.urls import path

from .views import fixes, meters, partners, reconciliation

app_name = "meters"
urlpatterns = [
    path("", meters.meter_list, name="list"),
    path("export.csv", meters.meter_export, name="export"),
    path("overdue/", meters.overdue_list, name="overdue"),
    path("fix/", fixes.fix_references, name="fix"),
    path("sync/", meters.sync_now, name="sync_now"),
    path("reconciliation/", reconciliation.reconciliation, name="reconciliation"),
    path(
        "reconciliation/export.csv",
        reconciliation.reconciliation_export,
        name="reconciliation_export",
    ),
    path("reconciliation/run/", reconciliation.reconciliation_run, name="reconciliation_run"),
    path("partners/", partners.partner_list, name="partners"),
    path("partners/upload/", partners.partner_upload, name="partner_upload"),
    path("partners/imports/<int:pk>/", partners.partner_import, name="partner_import"),
    path(
        "partners/imports/<int:pk>/confirm/",
        partners.partner_import_confirm,
        name="partner_import_confirm",
    ),
    path("partners/from-links/", partners.partner_from_links, name="partner_from_links"),
    path("<str:meter_id>/", meters.meter_detail, name="detail"),
]
