from django.urls import path

from . import views

app_name = "meters"
urlpatterns = [path("", views.meter_list, name="list")]
