from django.urls import path

from .views import flows, imports, landing, links, new

app_name = "links"
urlpatterns = [
    path("", links.link_list, name="list"),
    path("export.csv", links.link_export, name="export"),
    path("new/", new.link_new, name="new"),
    path("new/preview/", new.link_preview, name="preview"),
    path("<int:pk>/", links.link_detail, name="detail"),
    path("<int:pk>/sent/", links.link_mark_sent, name="mark_sent"),
    path("<int:pk>/do-not-contact/", links.link_do_not_contact, name="do_not_contact"),
    path("<int:pk>/qr.svg", links.link_qr, name="qr"),
    path("flows/", flows.flow_list, name="flows"),
    path("flows/new/", flows.flow_edit, name="flow_new"),
    path("flows/<int:pk>/", flows.flow_edit, name="flow_edit"),
    path("import/", imports.bulk_upload, name="upload"),
    path("import/<int:pk>/", imports.batch_detail, name="batch"),
    path("import/<int:pk>/confirm/", imports.batch_confirm, name="batch_confirm"),
    path("import/<int:pk>/discard/", imports.batch_discard, name="batch_discard"),
    path("import/<int:pk>/links.csv", imports.batch_result, name="batch_result"),
    # Public: Leap's final redirect lands here (see tests/test_access.py PUBLIC).
    path("done/", landing.landing, name="done"),
]
