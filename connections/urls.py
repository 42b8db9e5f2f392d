from django.urls import path

from .views import attention, connections, experiments, exports, funnel, hook, messages, queue

app_name = "connections"
urlpatterns = [
    path("", connections.connection_list, name="list"),
    path("export.csv", exports.connection_export, name="export"),
    path("<int:pk>/", connections.connection_detail, name="detail"),
    path("queue/", queue.queue, name="queue"),
    path("queue/export.csv", queue.queue_export_csv, name="queue_csv"),
    path("queue/export.json", queue.queue_export_json, name="queue_json"),
    path("<int:pk>/touch/", queue.touch, name="touch"),
    path("queue/mark-sent/", queue.touch_bulk, name="touch_bulk"),
    path("hook/", hook.hook_settings, name="hook"),
    path("attention/", attention.attention, name="attention"),
    path("<int:pk>/alias/", attention.confirm_alias, name="alias"),
    path("funnel/", funnel.funnel, name="funnel"),
    path("funnel.csv", funnel.funnel_csv, name="funnel_csv"),
    path("messages/", messages.message_list, name="messages"),
    path(
        "messages/<str:key>/<int:touch>/<str:channel>/", messages.message_edit, name="message_edit"
    ),
    path(
        "messages/<str:key>/<int:touch>/<str:channel>/preview/",
        messages.message_preview,
        name="message_preview",
    ),
    path(
        "messages/<str:key>/<int:touch>/<str:channel>/revert/",
        messages.message_revert,
        name="message_revert",
    ),
    path("funnel/variants.csv", funnel.funnel_variants_csv, name="funnel_variants_csv"),
    path("experiments/", experiments.experiment_list, name="experiments"),
    path("experiments/<int:pk>/end/", experiments.experiment_end, name="experiment_end"),
    path("sync/", connections.sync_now, name="sync_now"),
]
