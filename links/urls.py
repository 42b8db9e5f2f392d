from django.urls import path

from . import bulk_views, views

app_name = "links"
urlpatterns = [
    path("", views.link_list, name="list"),
    path("export.csv", views.link_export, name="export"),
    path("new/", views.link_new, name="new"),
    path("new/preview/", views.link_preview, name="preview"),
    path("<int:pk>/", views.link_detail, name="detail"),
    path("<int:pk>/sent/", views.link_mark_sent, name="mark_sent"),
    path("<int:pk>/do-not-contact/", views.link_do_not_contact, name="do_not_contact"),
    path("<int:pk>/qr.svg", views.link_qr, name="qr"),
    path("flows/", views.flow_list, name="flows"),
    path("flows/new/", views.flow_edit, name="flow_new"),
    path("flows/<int:pk>/", views.flow_edit, name="flow_edit"),
    path("import/", bulk_views.bulk_upload, name="upload"),
    path("import/<int:pk>/", bulk_views.batch_detail, name="batch"),
    path("import/<int:pk>/confirm/", bulk_views.batch_confirm, name="batch_confirm"),
    path("import/<int:pk>/discard/", bulk_views.batch_discard, name="batch_discard"),
    path("import/<int:pk>/links.csv", bulk_views.batch_result, name="batch_result"),
    # Public: Leap's final redirect lands here (see tests/test_access.py PUBLIC).
    path("done/", views.landing, name="done"),
]
