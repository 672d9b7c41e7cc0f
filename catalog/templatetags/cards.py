"""Movie cards, star controls and feedback buttons in Django templates, drawn by Jinja2 (``movierec/jinja2.py``).

{% load cards %}{% cards tiles %}   (a row: every card in one render)
{% for tile in tiles %}{% card tile %}{% empty %}...{% endfor %}
{% stars movie rating error %}   {% feedback tile in_card=False %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.middleware.csrf import get_token
from django.template import engines
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from catalog.templatetags.movies import StarHints
from movierec.jinja2 import back

register = template.Library()


def draw(name: str, context: template.Context, **values: Any) -> SafeString:
    """The Jinja2 template ``name`` with ``values``, the request (its CSRF field) and the viewer from ``context``.

    The person's star hints come from the context too (``catalog.context_processors.rating_examples``), read
    once per page however many cards it draws; so do the CSRF field, masked once per page rather than once
    per form (a row has two dozen forms, and masking a token was a sixth of drawing them), and the address the
    forms send back to without JavaScript (``back_url``).
    """
    request = context.get("request")
    shared = context.render_context.get(_SHARED)
    if shared is None:
        shared = {"back_url": back(request), "rating_examples": StarHints(context.get("rating_examples"))}
        if request is not None:  # without one (a test's bare render) the forms go without a token, as in Django's
            token = get_token(request)
            shared["csrf_input"] = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)
        context.render_context[_SHARED] = shared
    values = {"user": context.get("user"), **shared, **values}
    return mark_safe(engines["jinja2"].get_template(name).template.render(request=request, **values))


#: Where a page's render keeps what all its cards share.
_SHARED = object()


@register.simple_tag(takes_context=True)
def card(context: template.Context, tile: Any) -> SafeString:
    return draw("cards/card.html", context, tile=tile)


@register.simple_tag(takes_context=True)
def cards(context: template.Context, tiles: Any) -> SafeString:
    """Every card of ``tiles`` in one render: a row's dozen cards cost one template call, not twelve."""
    return draw("cards/cards.html", context, tiles=tiles)


@register.simple_tag(takes_context=True)
def stars(context: template.Context, movie: Any, rating: float | None, error: str = "") -> SafeString:
    return draw("cards/stars.html", context, movie=movie, rating=rating, error=error)


@register.simple_tag(takes_context=True)
def feedback(context: template.Context, tile: Any, in_card: bool = False) -> SafeString:
    return draw("cards/feedback.html", context, tile=tile, in_card=in_card)
