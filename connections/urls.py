from django.urls import path

from . import views

app_name = "connections"
urlpatterns = [
    path("", views.connection_list, name="list"),
    path("sync/", views.sync_now, name="sync_now"),
]
