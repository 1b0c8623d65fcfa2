from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "catalogue"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from catalogue.caching import catalogue_changed
        from catalogue.models import ListeningEvent, Song

        # Songs saved or deleted one by one (admin, services) change the cached reads'
        # version; bulk writes call catalogue_changed themselves (no signals for those).
        post_save.connect(catalogue_changed, sender=Song, dispatch_uid="catalogue-song-saved")
        post_delete.connect(catalogue_changed, sender=Song, dispatch_uid="catalogue-song-deleted")
        m2m_changed.connect(
            _singers_changed, sender=Song.singers.through, dispatch_uid="catalogue-song-singers"
        )
        # One listening event saved or deleted (cascades too) changes its listener's
        # cached recommendations; bulk writes bump in ListeningEventQuerySet.
        post_save.connect(_listening_changed, sender=ListeningEvent, dispatch_uid="listening-saved")
        post_delete.connect(_listening_changed, sender=ListeningEvent, dispatch_uid="listening-deleted")


def _singers_changed(*, action: str, **_kwargs) -> None:
    if action.startswith("post_"):
        from catalogue.caching import catalogue_changed

        catalogue_changed()


def _listening_changed(*, instance, **_kwargs) -> None:
    from catalogue.results_cache import listening_changed

    listening_changed({instance.user_id})
