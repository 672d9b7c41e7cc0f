"""The home page and its recommendation rows, and the model comparison on Insights.

A signed-in home page lists its rows as placeholders that load themselves when
scrolled into view (``hx-trigger="revealed"``). After a rating or feedback the
response carries an ``HX-Trigger`` event; the row list listens for it and
reloads from the fresh history, so keys that come and go ("Because you rated
...", "Your watchlist") stay right.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Movie
from movierec.permissions import INSPECT
from movierec.web import page_or_partial, staff_permission_required, wants_partial
from ratings.selectors import card_tiles, preferences_context, profile_of
from ratings.services import profile_onboarded
from recommender import inspector as inspection
from recommender import online
from recommender import services as recommendations
from recommender.algorithms.groups import SHOWN
from recommender.insights import model_comparison
from recommender.models import Experiment
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
    online.row_shown(request.user, found)
    context = {
        "row": found,
        "tiles": card_tiles(user=request.user, cards=found.cards, states=found.said),
        "updated": request.GET.get("updated") == "1",
    }
    if found.star_hints is not None:  # read with the row's state, instead of by the context processor
        context["rating_examples"] = found.star_hints
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


# -- the recommendation inspector (staff with recommender.inspect_recommendations) --------------------------------

#: Matches listed when looking a person or a movie up.
LOOKUP_MATCHES = 20


@require_GET
@staff_permission_required(INSPECT)
def inspector(request: HttpRequest) -> HttpResponse:
    """Look up a person (by username) or a movie (by title) to inspect."""
    who, what = request.GET.get("person", "").strip(), request.GET.get("movie", "").strip()
    people = (
        get_user_model().objects.filter(username__icontains=who).order_by("username")[:LOOKUP_MATCHES] if who else []
    )
    movies = Movie.objects.filter(title__icontains=what).order_by("title")[:LOOKUP_MATCHES] if what else []
    return render(request, "recommender/inspector.html", {"who": who, "what": what, "people": people, "movies": movies})


@require_GET
@staff_permission_required(INSPECT)
def inspect_person(request: HttpRequest, user_id: int) -> HttpResponse:
    """A person's page as they see it, every card scored by every model, and what drove it (read only)."""
    person = get_object_or_404(get_user_model(), pk=user_id)
    page = inspection.person_page(person, limit=ROW_LIMIT)
    inspection.log_visit(staff=request.user, subject="person", subject_id=person.pk, label=person.get_username())
    return render(request, "recommender/inspect_person.html", {"page": page})


@require_GET
@staff_permission_required(INSPECT)
def inspect_movie(request: HttpRequest, movie_id: int) -> HttpResponse:
    """A movie's nearest neighbours in each model, and the recently active people whose page shows it."""
    movie = get_object_or_404(Movie, pk=movie_id)
    try:
        people = int(request.GET.get("people", inspection.AUDIENCE))
    except ValueError:
        people = 0
    if not 1 <= people <= inspection.MAX_AUDIENCE:
        errors = [f"people: a whole number from 1 to {inspection.MAX_AUDIENCE}"]
        return render(request, "400.html", {"errors": errors}, status=400)
    report = inspection.movie_report(movie, people=people, limit=ROW_LIMIT)
    inspection.log_visit(staff=request.user, subject="movie", subject_id=movie.pk, label=movie.title)
    return render(request, "recommender/inspect_movie.html", {"report": report, "people": people})


@require_http_methods(["GET", "POST"])
@staff_permission_required("recommender.view_experiment")
def experiment(request: HttpRequest, experiment_id: int) -> HttpResponse:
    """An experiment's results per arm, with intervals and whether the difference is significant; POST stops it
    (with the change permission)."""
    found = get_object_or_404(Experiment.objects.select_related("arm_a", "arm_b"), pk=experiment_id)
    if request.method == "POST":
        if not request.user.has_perm("recommender.change_experiment"):
            raise PermissionDenied("You need the recommender.change_experiment permission.")
        online.experiment_stop(found)
        messages.success(request, f"Stopped {found.name}: everyone sees the active model again.")
        return redirect("recommender:experiment", experiment_id=found.pk)
    online.flush_impressions()
    context = {"experiment": found, **online.experiment_results(found)}
    context["arms"] = [("a", found.arm_a, context["rates"]["a"]), ("b", found.arm_b, context["rates"]["b"])]
    return render(request, "recommender/experiment.html", context)
