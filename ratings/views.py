"""Rating and feedback controls, My ratings (list, export, delete), the hidden/watchlist page, and onboarding.

Every write is a POST that works as a plain form (redirect back with a
message) and as an HTMX request (the control re-rendered in place, plus an
``HX-Trigger`` event the recommendation rows listen to).
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from catalog.models import Movie
from movierec.accounts.selectors import account_export, account_export_csv
from movierec.web import bad_request, page_or_partial, redirect_back, wants_partial
from ratings import history_import as history_import_reader
from ratings import selectors, services
from ratings.forms import (
    DeleteDataForm,
    FeedbackForm,
    GenresForm,
    MovieForm,
    PreferencesForm,
    RatingForm,
    RatingListForm,
)
from ratings.models import Feedback

#: Rows re-render when they hear this event (see recommender/_row.html).
RATINGS_CHANGED = "ratings-changed"
#: Only the watchlist row cares when the watchlist changes.
WATCHLIST_CHANGED = "watchlist-changed"
#: Onboarding asks for this many ratings before it calls the profile ready (skippable).
ONBOARDING_TARGET = 10
RATINGS_PER_PAGE = 50

_FEEDBACK_DONE = {
    Feedback.Kind.WATCHLIST: ("Added {movie} to your watchlist.", "Removed {movie} from your watchlist."),
    Feedback.Kind.NOT_INTERESTED: ("{movie} is hidden from your recommendations.", "{movie} can be suggested again."),
    Feedback.Kind.MORE_LIKE_THIS: ("You will see more like {movie}.", "Cleared: more like {movie}."),
    Feedback.Kind.LESS_LIKE_THIS: ("You will see less like {movie}.", "Cleared: less like {movie}."),
    Feedback.Kind.SEEN: ("Marked {movie} as seen.", "Unmarked {movie} as seen."),
    Feedback.Kind.SNOOZED: ("{movie} is hidden for 30 days.", "{movie} can be suggested again."),
    Feedback.Kind.NOT_A_SEED: (
        "Your rating of {movie} stays, but it no longer shapes your recommendations.",
        "{movie} shapes your recommendations again.",
    ),
}


def _stars(request: HttpRequest, movie: Movie, *, error: str = "", status: int = 200) -> HttpResponse:
    rating = selectors.movie_state(user=request.user, movie=movie).rating
    context = {"movie": movie, "rating": rating, "error": error}
    return render(request, "ratings/_stars.html", context, status=status)


@login_required
@require_POST
def rate(request: HttpRequest) -> HttpResponse:
    form = RatingForm(request.POST)
    if not form.is_valid():
        movie = form.cleaned_data.get("movie")
        if movie and wants_partial(request):
            return _stars(request, movie, error=" ".join(form.errors.get("score", [])), status=400)
        return bad_request(request, form)
    movie, score = form.cleaned_data["movie"], form.cleaned_data["score"]
    services.rating_upsert(user=request.user, movie=movie, score=score)
    if not wants_partial(request):
        messages.success(request, f"You rated {movie} {score:g} stars.")
        return redirect_back(request, movie.get_absolute_url())
    return trigger_client_event(_stars(request, movie), RATINGS_CHANGED, {"movie": movie.pk})


@login_required
@require_POST
def unrate(request: HttpRequest) -> HttpResponse:
    form = MovieForm(request.POST)
    if not form.is_valid():
        return bad_request(request, form)
    movie = form.cleaned_data["movie"]
    services.rating_delete(user=request.user, movie=movie)
    if not wants_partial(request):
        messages.success(request, f"Removed your rating of {movie}.")
        return redirect_back(request, movie.get_absolute_url())
    return trigger_client_event(_stars(request, movie), RATINGS_CHANGED, {"movie": movie.pk})


def _feedback(request: HttpRequest, *, add: bool) -> HttpResponse:
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return bad_request(request, form)
    movie, kind = form.cleaned_data["movie"], form.cleaned_data["kind"]
    if add:
        services.feedback_add(user=request.user, movie=movie, kind=kind)
    else:
        services.feedback_remove(user=request.user, movie=movie, kind=kind)
    if not wants_partial(request):
        messages.success(request, _FEEDBACK_DONE[kind][0 if add else 1].format(movie=movie))
        return redirect_back(request, movie.get_absolute_url())

    tile = selectors.Tile(
        movie=movie,
        state=selectors.movie_state(user=request.user, movie=movie),
        reason=form.cleaned_data["reason"],
        predicted_rating=form.cleaned_data["predicted"],
    )
    if form.cleaned_data["card"]:
        response = render(request, "catalog/_card.html", {"tile": tile})
    else:
        response = render(request, "ratings/_feedback.html", {"tile": tile})
    # Not interested leaves its undo in place of the card, so it must not make the rows re-render under it.
    if kind in (Feedback.Kind.MORE_LIKE_THIS, Feedback.Kind.LESS_LIKE_THIS, Feedback.Kind.NOT_A_SEED):
        trigger_client_event(response, RATINGS_CHANGED, {"movie": movie.pk})
    elif kind == Feedback.Kind.WATCHLIST:
        trigger_client_event(response, WATCHLIST_CHANGED, {"movie": movie.pk})
    return response


@login_required
@require_POST
def feedback_add(request: HttpRequest) -> HttpResponse:
    return _feedback(request, add=True)


@login_required
@require_POST
def feedback_remove(request: HttpRequest) -> HttpResponse:
    return _feedback(request, add=False)


@login_required
@require_GET
def my_ratings(request: HttpRequest) -> HttpResponse:
    form = RatingListForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    sort = form.cleaned_data["sort"]
    paginator = Paginator(selectors.user_ratings(user=request.user, sort=sort), RATINGS_PER_PAGE)
    number = form.cleaned_data["page"] or 1
    if number > paginator.num_pages:
        form.add_error("page", f"Page {number} does not exist; the last page is {paginator.num_pages}.")
        return bad_request(request, form)
    page = paginator.page(number)
    not_seeds = set(
        Feedback.objects.filter(
            user=request.user, kind=Feedback.Kind.NOT_A_SEED, movie_id__in=[r.movie_id for r in page.object_list]
        ).values_list("movie_id", flat=True)
    )
    context = {
        "page": page,
        "not_seeds": not_seeds,
        "sort": sort,
        "sort_choices": form.fields["sort"].choices,
    }
    return page_or_partial(request, "ratings/my_ratings.html", "ratings/_rating_list.html", context)


@login_required
@require_GET
def export(request: HttpRequest, fmt: str) -> HttpResponse:
    data = account_export(user=request.user)
    filename = f"movierec-{request.user.get_username()}.{fmt}"
    if fmt == "json":
        response = HttpResponse(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json")
    else:
        response = HttpResponse(account_export_csv(data), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete_data(request: HttpRequest) -> HttpResponse:
    form = DeleteDataForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        ratings, feedback = services.user_data_delete(user=request.user)
        messages.success(request, f"Deleted {ratings} ratings and {feedback} feedback entries.")
        return redirect("ratings:my_ratings")
    context = {"form": form, "counts": selectors.user_counts(user=request.user)}
    return render(request, "ratings/delete_data.html", context, status=400 if form.errors else 200)


@login_required
@require_GET
def lists(request: HttpRequest) -> HttpResponse:
    user = request.user
    context = {
        "watchlist": selectors.movie_tiles(
            user=user, movies=selectors.feedback_movies(user=user, kind=Feedback.Kind.WATCHLIST)
        ),
        "hidden": selectors.movie_tiles(
            user=user, movies=selectors.feedback_movies(user=user, kind=Feedback.Kind.NOT_INTERESTED)
        ),
        "snoozed": selectors.movie_tiles(
            user=user, movies=selectors.feedback_movies(user=user, kind=Feedback.Kind.SNOOZED)
        ),
        "not_seeds": selectors.feedback_movies(user=user, kind=Feedback.Kind.NOT_A_SEED),
    }
    return render(request, "ratings/lists.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    """Onboarding, step 1: favourite genres."""
    profile = selectors.profile_of(user=request.user)
    initial = {"genres": list(profile.favourite_genres.all())} if profile else {}
    form = GenresForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.profile_genres_set(user=request.user, genres=form.cleaned_data["genres"])
        return redirect("ratings:welcome_rate")
    return render(request, "ratings/welcome.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_GET
def welcome_rate(request: HttpRequest) -> HttpResponse:
    """Onboarding, step 2: rate movies from diverse popular groups."""
    profile = selectors.profile_of(user=request.user)
    favourites = list(profile.favourite_genres.all()) if profile else []
    groups = [
        (title, selectors.movie_tiles(user=request.user, movies=movies))
        for title, movies in selectors.onboarding_groups(user=request.user, favourites=favourites)
    ]
    return render(request, "ratings/welcome_rate.html", {"groups": groups, **_progress(request)})


def _progress(request: HttpRequest) -> dict[str, int]:
    rated = selectors.user_counts(user=request.user)["ratings"]
    return {"rated": rated, "target": ONBOARDING_TARGET, "percent": min(100, rated * 100 // ONBOARDING_TARGET)}


@login_required
@require_GET
def welcome_progress(request: HttpRequest) -> HttpResponse:
    if not wants_partial(request):
        return redirect("ratings:welcome_rate")
    return render(request, "ratings/_progress_body.html", _progress(request))


@login_required
@require_POST
def welcome_done(request: HttpRequest) -> HttpResponse:
    services.profile_onboarded(user=request.user)
    messages.success(request, "You are all set. Here are your recommendations.")
    return redirect(reverse("home"))


@login_required
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """Save the recommender switcher and taste dials (or reset them); the rows re-render with them at once."""
    if request.POST.get("reset"):
        services.preferences_reset(user=request.user)
    else:
        form = PreferencesForm(request.POST)
        if not form.is_valid():
            return bad_request(request, form)
        services.preferences_set(user=request.user, **form.cleaned_data)
    if not wants_partial(request):
        messages.success(request, "Your Top picks settings are saved.")
        return redirect("home")
    response = render(request, "ratings/_preferences.html", selectors.preferences_context(user=request.user))
    return trigger_client_event(response, RATINGS_CHANGED, {})


@login_required
@require_http_methods(["GET", "POST"])
def history_import(request: HttpRequest) -> HttpResponse:
    """Bring my ratings from Letterboxd or IMDb: upload, see every match, then import in one transaction.

    The preview carries its plan (movie ids and scores, and each ambiguous line's candidates) signed, so the
    import writes exactly what was shown, plus the movie the person picked for each ambiguous line.
    """
    if request.method == "GET":
        return render(request, "ratings/import.html", {})
    if "plan" in request.POST:
        try:
            plan = history_import_reader.plan_read(request.POST["plan"])
        except history_import_reader.ImportFileError as error:
            return render(request, "400.html", {"errors": [f"plan: {error}"]}, status=400)
        picks = {key.removeprefix("pick-"): value for key, value in request.POST.items() if key.startswith("pick-")}
        try:
            scores = history_import_reader.resolve(plan, picks)
        except history_import_reader.ImportFileError as error:
            return render(request, "400.html", {"errors": [f"pick: {error}"]}, status=400)
        added, kept = services.ratings_import(user=request.user, scores=scores)
        messages.success(
            request, f"Imported {added} rating(s); {kept} movie(s) you had already rated kept your rating."
        )
        return redirect("ratings:my_ratings")
    upload = request.FILES.get("export")
    if upload is None:
        return render(request, "400.html", {"errors": ["export: choose your ratings.csv or IMDb export"]}, status=400)
    if upload.size > history_import_reader.MAX_BYTES:
        return render(request, "413.html", {"limit_mb": history_import_reader.MAX_BYTES // (1024 * 1024)}, status=413)
    try:
        source, rows = history_import_reader.read_export(upload.read())
    except history_import_reader.ImportFileError as error:
        return render(request, "400.html", {"errors": [f"export: {error}"]}, status=400)
    matches = history_import_reader.match(source, rows)
    plan = history_import_reader.plan_sign(matches)
    total = len(matches.found) + len(matches.ambiguous) + len(matches.unmatched)
    return render(request, "ratings/import.html", {"matches": matches, "plan": plan, "total": total})
