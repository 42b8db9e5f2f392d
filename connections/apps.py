from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ConnectionsConfig(AppConfig):
    name = "connections"

    def ready(self) -> None:
        from links.models import Flow, Link, RefIdAlias
        from links.signals import aliases_deleted, links_created

        from .models import Touchpoint
        from .overview import forget, forget_all
        from .reclassify import on_aliases_deleted, on_flow_saved, on_link_saved, on_links_created

        # a connection's verdict depends on its link and flow: classify it again when they change
        post_save.connect(on_link_saved, sender=Link, dispatch_uid="connections-link-saved")
        post_save.connect(on_flow_saved, sender=Flow, dispatch_uid="connections-flow-saved")
        links_created.connect(on_links_created, dispatch_uid="connections-links-created")
        aliases_deleted.connect(on_aliases_deleted, dispatch_uid="connections-aliases-deleted")
        # the home page's kept counts: a touch, a link or an alias changes what they count
        # (and a link's, the funnel's)
        for model, receiver in ((Touchpoint, forget), (RefIdAlias, forget), (Link, forget_all)):
            for signal in (post_save, post_delete):
                signal.connect(receiver, sender=model, dispatch_uid=f"overview-{model.__name__}")
        links_created.connect(forget_all, dispatch_uid="overview-links-created")
        aliases_deleted.connect(forget, dispatch_uid="overview-aliases-deleted")
