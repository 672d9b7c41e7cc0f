"""The Jinja2 environment for the templates under ``templates/jinja2/``: the movie cards and their controls.

A row draws a dozen cards, each with ten star buttons, five feedback buttons and their forms. In Django's
template engine a row of them took about 19 ms to draw, the largest part of a row's request; Jinja2
compiles templates to Python functions, and the same markup takes about 9 ms, CSRF field and URLs
included. Every other page stays in Django templates, which draw cards through the tags in
``catalog/templatetags/cards.py``.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.template.defaultfilters import floatformat
from django.urls import get_script_prefix, reverse
from jinja2 import Environment

from catalog.models import Movie
from catalog.templatetags.movies import feedback_buttons, initials, poster_hues, star_buttons, stars_text


def back(request: HttpRequest | None) -> str:
    """Where a form sends someone back to without JavaScript: the page HTMX was on, else this request's own."""
    if request is None:
        return ""
    htmx = getattr(request, "htmx", None)
    return (htmx.current_url_abs_path if htmx else None) or request.get_full_path()


def pluralize(count: int) -> str:
    return "" if count == 1 else "s"


def url(name: str) -> str:
    """The URL named ``name`` (one without arguments: each card asks for four), kept per script prefix."""
    return _fixed_url(get_script_prefix(), name)


@functools.lru_cache(maxsize=256)
def _fixed_url(prefix: str, name: str) -> str:
    return reverse(name)


def movie_url(movie: Movie) -> str:
    """``movie.get_absolute_url()``, kept per script prefix: each card links to its movie three times."""
    return _movie_url(get_script_prefix(), movie.pk)


@functools.lru_cache(maxsize=8192)
def _movie_url(prefix: str, pk: int) -> str:
    return Movie(pk=pk).get_absolute_url()


@receiver(setting_changed)
def _urls_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":  # a test's own URLs: Django empties its resolver caches then, and so do we
        _fixed_url.cache_clear()
        _movie_url.cache_clear()


def environment(**options: Any) -> Environment:
    env = Environment(**options)
    env.globals.update(url=url, movie_url=movie_url, star_buttons=star_buttons, feedback_buttons=feedback_buttons)
    env.filters.update(
        floatformat=floatformat, poster_hues=poster_hues, initials=initials, stars_text=stars_text, pluralize=pluralize
    )
    return env
