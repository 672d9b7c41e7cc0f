"""WSGI entry point (gunicorn movierec.wsgi, and runserver through WSGI_APPLICATION)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "movierec.settings")
application = get_wsgi_application()


def _load_models_in_background() -> None:
    """A web process loads the active models as it starts, and each newly activated one, in a thread of its own:
    a request never waits for a load (until the first has finished, the rows fall back to popularity). Imported
    here, once the app registry is ready."""
    from recommender.artifacts import serve_in_background

    serve_in_background()


_load_models_in_background()
