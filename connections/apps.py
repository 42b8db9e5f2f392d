from django.apps import AppConfig
from django.db.models.signals import post_save


class ConnectionsConfig(AppConfig):
    name = "connections"

    def ready(self) -> None:
        from links.models import Flow, Link
        from links.signals import aliases_deleted, links_created

        from .reclassify import on_aliases_deleted, on_flow_saved, on_link_saved, on_links_created

        # a connection's verdict depends on its link and flow: classify it again when they change
        post_save.connect(on_link_saved, sender=Link, dispatch_uid="connections-link-saved")
        post_save.connect(on_flow_saved, sender=Flow, dispatch_uid="connections-flow-saved")
        links_created.connect(on_links_created, dispatch_uid="connections-links-created")
        aliases_deleted.connect(on_aliases_deleted, dispatch_uid="connections-aliases-deleted")
