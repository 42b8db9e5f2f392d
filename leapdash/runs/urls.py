from django.urls import path

from . import views

app_name = "runs"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("runs/<int:pk>/progress/", views.run_progress, name="progress"),
    path("refresh/<str:kind>/", views.refresh_status, name="refresh"),
]
