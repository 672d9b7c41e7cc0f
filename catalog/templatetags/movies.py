"""Template helpers for movie cards: the generated poster and star display (Django and Jinja2 templates)."""

from __future__ import annotations

import functools
import zlib
from collections.abc import Mapping, Sequence

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from catalog.models import Movie
from ratings.models import SCORES

register = template.Library()

_SKIP = {"the", "a", "an", "of", "and", "le", "la", "les", "el", "il", "der", "die", "das"}


@register.filter
def poster_hues(movie: Movie) -> str:
    """Two hues from a stable hash of the title (crc32: Python's hash() changes per process)."""
    digest = zlib.crc32(movie.title.encode("utf-8"))
    first = digest % 360
    second = (first + 40 + (digest >> 9) % 120) % 360
    return f"--hue-a: {first}; --hue-b: {second};"


@register.filter
def initials(movie: Movie) -> str:
    words = [word for word in movie.title.split() if word[:1].isalnum()]
    significant = [word for word in words if word.lower() not in _SKIP] or words
    return "".join(word[0] for word in significant[:2]).upper()


def star_buttons(rating: float | None, hints: StarHints) -> SafeString:
    """The ten half-star submit buttons of a star control, lit up to ``rating``.

    Rating support: each button's hint names one or two movies this person gave that score (``hints``,
    ``ratings.selectors.rating_examples``): the title on hover, and on keyboard focus the same words drawn
    from ``data-hint`` (a title shows only to the mouse), so ratings stay consistent. Built here rather
    than in a template loop: a row draws 120 of them.
    """
    # A page's cards share the person's examples and most share a rating (none yet): each control is built once.
    return _star_buttons(rating, hints.key)


class StarHints:
    """A person's star hints (score -> titles, possibly lazy), put in the hashable form that the built star
    controls are kept by when first needed, once for all the cards of a page (``cards.draw``)."""

    def __init__(self, examples: Mapping[float, Sequence[str]] | None) -> None:
        self.examples = examples

    @functools.cached_property
    def key(self) -> tuple[tuple[float, tuple[str, ...]], ...]:
        return tuple((score, tuple(titles)) for score, titles in sorted((self.examples or {}).items()))


@functools.lru_cache(maxsize=4096)
def _star_buttons(rating: float | None, examples: tuple[tuple[float, tuple[str, ...]], ...]) -> SafeString:
    hints = dict(examples)
    return format_html_join(
        "",
        '<button type="submit" name="score" value="{0}" class="half{1}{2}" title="{5}" data-hint="{5}"'
        ' aria-label="Rate {0} star{3}"{4}></button>',
        (
            (
                f"{score:g}",
                " half-right" if index % 2 else " half-left",
                " on" if rating and score <= rating else "",
                "" if score == 1 else "s",
                mark_safe(' aria-pressed="true"') if score == rating else "",
                _hint(score, hints.get(score)),
            )
            for index, score in enumerate(SCORES)
        ),
    )


#: The feedback toggles in a card's order: kind, the MovieState flag that lights it, icon and label off, and on.
_FEEDBACK = (
    ("watchlist", "watchlist", ("+", "Watchlist"), ("✓", "Watchlist")),
    ("more_like_this", "more", ("▲", "More like this"), ("▲", "More like this")),
    ("less_like_this", "less", ("▼", "Less like this"), ("▼", "Less like this")),
    ("snoozed", "snoozed", ("◔", "Not now"), ("◔", "Not now (undo)")),
    ("not_interested", "hidden", ("✕", "Not interested"), ("✕", "Hidden (undo)")),
)


def feedback_buttons(state: object, compact: bool, add_url: str, remove_url: str) -> SafeString:
    """The five feedback toggles of a card or a movie page: each adds its kind when off and removes it when on.

    Built here rather than by a template macro per button, like ``star_buttons``: a page draws a hundred
    cards, and five macro calls were two fifths of drawing one. The labels of all but the watchlist hide
    behind their icons when ``compact`` (in a card).
    """
    return _feedback_buttons(
        tuple(bool(getattr(state, flag)) for _, flag, _, _ in _FEEDBACK), compact, add_url, remove_url
    )


@functools.lru_cache(maxsize=1024)
def _feedback_buttons(flags: tuple[bool, ...], compact: bool, add_url: str, remove_url: str) -> SafeString:
    return format_html_join(
        "\n  ",
        '<button type="submit" name="kind" value="{0}" class="chip-button{1}" aria-pressed="{2}" title="{4}"'
        ' formaction="{5}" hx-post="{5}">{3}<span{6}> {4}</span></button>',
        (
            (
                kind,
                " active" if on else "",
                "true" if on else "false",
                *(lit if on else unlit),
                remove_url if on else add_url,
                mark_safe(' class="visually-hidden"') if compact and kind != "watchlist" else "",
            )
            for (kind, _, unlit, lit), on in zip(_FEEDBACK, flags, strict=True)
        ),
    )


def _hint(score: float, titles: list[str] | None) -> str:
    stars = f"{score:g} star{'' if score == 1 else 's'}"
    return f"{stars}, like your {' and '.join(titles)}" if titles else stars


@register.filter
def stars_text(score: float | None) -> str:
    """``4.0`` -> ``"4"``, ``3.5`` -> ``"3.5"``: how scores read in running text."""
    return "" if score is None else f"{score:g}"
