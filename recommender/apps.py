from __future__ import annotations

import logging

from django.apps import AppConfig
from django.core.checks import register
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

logger = logging.getLogger(__name__)

# The handlers import the training services when called: at import time the app registry is not ready.


def ratings_changed(user_id: int) -> None:
    """A person's ratings or feedback changed (called after commit): count it for every family."""
    from recommender.training import RATING_FAMILIES, training_mark_dirty

    try:
        training_mark_dirty(families=RATING_FAMILIES)
    except Exception:
        # The rating is committed; a failed bookkeeping write must not turn the person's response into an error.
        logger.exception("Could not count the rating change of user %s for retraining", user_id)


def interacted(user_id: int, movie_id: int, kind: str) -> None:
    """A rating or feedback was committed: credit it to the impression that showed the movie, if any."""
    from recommender.online import interaction_record

    try:
        interaction_record(user_id, movie_id, kind)
    except Exception:
        logger.exception("Could not attribute the %s of user %s on movie %s", kind, user_id, movie_id)


def catalog_changed(sender: type, **kwargs: object) -> None:
    """A movie, its genres or its tags changed: this process draws its cards afresh, and the content family must
    learn the new catalog."""
    from recommender.selectors import forget_movies
    from recommender.training import CATALOG_FAMILIES, training_mark_dirty

    if kwargs.get("raw"):  # loaddata: fixtures are not edits
        return

    def committed() -> None:
        forget_movies()
        training_mark_dirty(families=CATALOG_FAMILIES)

    transaction.on_commit(committed)


def movielens_imported(sender: object, **kwargs: object) -> None:
    """A bulk import committed ratings and movies without per-row signals: every family must relearn."""
    from recommender.training import IMPORT_FAMILIES, training_mark_dirty

    training_mark_dirty(families=IMPORT_FAMILIES)


class RecommenderConfig(AppConfig):
    name = "recommender"
    verbose_name = "Recommender"

    def ready(self) -> None:
        from catalog.importers.signals import movielens_imported as imported
        from catalog.models import Movie, MovieTag
        from ratings.services import change_listeners, interaction_listeners
        from recommender.checks import model_dir_readable

        register(model_dir_readable)
        if ratings_changed not in change_listeners:
            change_listeners.append(ratings_changed)
        if interacted not in interaction_listeners:
            interaction_listeners.append(interacted)
        for model in (Movie, MovieTag):
            post_save.connect(catalog_changed, sender=model, dispatch_uid=f"recommender-{model.__name__}-saved")
            post_delete.connect(catalog_changed, sender=model, dispatch_uid=f"recommender-{model.__name__}-deleted")
        m2m_changed.connect(catalog_changed, sender=Movie.genres.through, dispatch_uid="recommender-movie-genres")
        imported.connect(movielens_imported, dispatch_uid="recommender-movielens-imported")
