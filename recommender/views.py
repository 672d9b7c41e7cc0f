"""The home page and its recommendation rows, and the model comparison on Insights.

A signed-in home page lists its rows as placeholders that load themselves when
scrolled into view (``hx-trigger="revealed"``). After a rating or feedback the
response carries an ``HX-Trigger`` event; the row list listens for it and
reloads from the fresh history, so keys that come and go ("Because you rated
...", "Your watchlist") stay right.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Movie
from movierec.web import page_or_partial, wants_partial
from ratings.selectors import card_tiles, preferences_context, profile_of
from ratings.services import profile_onboarded
from recommender import services as recommendations
from recommender.algorithms.groups import SHOWN
from recommender.insights import model_comparison
from recommender.rows import UnknownRowError

#: Cards per row. Every row of a page must use the same limit: rows are de-duplicated against the rows before
#: them as laid out for this limit.
ROW_LIMIT = 12
#: The one row a watchlist change reloads (see _rows.html).
WATCHLIST_ROW = "watchlist"


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        rows = [
            (row, card_tiles(user=user, cards=row.cards)) for row in recommendations.anonymous_rows(limit=ROW_LIMIT)
        ]
        return render(request, "home.html", {"rows": rows})
    profile = profile_of(user=user)
    context = {
        **_rows_context(user),
        **preferences_context(user=user),
        "onboarded": bool(profile and profile.onboarded_at),
    }
    return render(request, "home.html", context)


def _rows_context(user) -> dict[str, object]:
    specs = recommendations.row_specs(user=user)
    return {"specs": specs, "has_watchlist": any(key == WATCHLIST_ROW for key, _ in specs)}


@login_required
@require_GET
def rows(request: HttpRequest) -> HttpResponse:
    """The list of row placeholders, re-read after a change; the page itself without HTMX."""
    if not wants_partial(request):
        return redirect("home")
    context = {**_rows_context(request.user), "updated": request.GET.get("updated") == "1"}
    return render(request, "recommender/_rows.html", context)


@login_required
@require_GET
def row(request: HttpRequest, key: str) -> HttpResponse:
    # An unknown key raises UnknownRowError, which is an Http404; the watchlist's slot asks before it has a row.
    try:
        found = recommendations.recommend_row(user=request.user, key=key, limit=ROW_LIMIT)
    except UnknownRowError:
        if key != WATCHLIST_ROW or not wants_partial(request):
            raise
        return render(request, "recommender/_watchlist_slot.html")
    context = {
        "row": found,
        "tiles": card_tiles(user=request.user, cards=found.cards),
        "updated": request.GET.get("updated") == "1",
    }
    return page_or_partial(request, "recommender/row.html", "recommender/_row.html", context)


@require_GET
def models(request: HttpRequest) -> HttpResponse:
    return page_or_partial(request, "recommender/models.html", "recommender/_models.html", model_comparison())


#: How many groups onboarding asks for.
GROUPS_TO_PICK = (2, 3)


@login_required
@require_http_methods(["GET", "POST"])
def taste_groups(request: HttpRequest) -> HttpResponse:
    """Onboarding by groups of movies that belong together: pick two or three, get personal rows at once."""
    groups = recommendations.taste_groups()
    if request.method == "POST":
        try:
            keys = sorted({int(key) for key in request.POST.getlist("group")})
        except ValueError:
            keys = []
        low, high = GROUPS_TO_PICK
        if not low <= len(keys) <= high or not set(keys) <= {group.key for group in groups}:
            errors = [f"group: pick {low} or {high} of the groups shown (got {len(keys)})"]
            return render(request, "400.html", {"errors": errors}, status=400)
        recommendations.taste_groups_pick(user=request.user, keys=keys)
        profile_onboarded(user=request.user)
        messages.success(request, "Your first recommendations come from the groups you picked.")
        return redirect("home")
    shown = {movie_id for group in groups for movie_id in group.members[:SHOWN]}
    movies = Movie.objects.in_bulk(list(shown))
    cards = [(group, [movies[m] for m in group.members[:SHOWN] if m in movies]) for group in groups]
    return render(request, "recommender/_groups.html", {"cards": cards, "pick": GROUPS_TO_PICK})
