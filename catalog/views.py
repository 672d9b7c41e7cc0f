"""Catalog pages: browse and live search, the movie page, the similar-movies finder, and Insights."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog import insights, selectors
from catalog.forms import BrowseForm, FinderForm, SimilarKindForm
from catalog.insights import svg
from catalog.models import Credit, Movie, Person
from movierec.lib.charts import bar_chart
from movierec.web import bad_request, page_or_partial, wants_partial
from ratings.selectors import Tile, card_tiles, movie_state, movie_tiles
from recommender import services as recommendations

MOVIES_PER_PAGE = 24
SIMILAR_LIMIT = 12


@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    data = form.cleaned_data
    movies = selectors.movie_list(
        q=data["q"],
        genre=data["genre"],
        year_min=data["year_min"],
        year_max=data["year_max"],
        ordering=data["sort"],
        user=request.user,
    )
    paginator = Paginator(movies, MOVIES_PER_PAGE)
    number = data["page"] or 1
    if number > paginator.num_pages:
        form.add_error("page", f"Page {number} does not exist; the last page is {paginator.num_pages}.")
        return bad_request(request, form)
    page = paginator.page(number)
    # The pagination links keep every filter but the page number.
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "tiles": movie_tiles(user=request.user, movies=page.object_list),
        "query": query.urlencode(),
    }
    return page_or_partial(request, "catalog/browse.html", "catalog/_results.html", context)


@require_GET
def movie_detail(request: HttpRequest, pk: int) -> HttpResponse:
    movie = get_object_or_404(Movie.objects.prefetch_related("genres"), pk=pk)
    form = SimilarKindForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    kind = form.cleaned_data["similar"]
    similar = recommendations.similar_movies(movie=movie, kind=kind, limit=SIMILAR_LIMIT, user=request.user)
    context = {
        "movie": movie,
        "kind": kind,
        "kinds": form.fields["similar"].choices,
        "tab_base": f"{movie.get_absolute_url()}?",
        "similar": card_tiles(user=request.user, cards=similar),
    }
    if wants_partial(request):
        return render(request, "catalog/_similar.html", context)
    stats = selectors.movie_stats(movie=movie)
    state = movie_state(user=request.user, movie=movie)
    credits = list(movie.credits.select_related("person"))
    context |= {
        "directors": [credit for credit in credits if credit.role == Credit.Role.DIRECTOR],
        "cast": [credit for credit in credits if credit.role == Credit.Role.ACTOR],
        "stats": stats,
        "histogram": svg(
            bar_chart(
                [(f"{score:g}★", count) for score, count in stats.histogram],
                label=f"How people rated {movie.title}",
                width=360,
                height=170,
            )
        ),
        "state": state,
        "detail_tile": Tile(movie=movie, state=state),
        "tags": selectors.movie_tags(movie=movie),
        "reason": recommendations.explain(user=request.user, movie=movie),
    }
    return render(request, "catalog/movie_detail.html", context)


@require_GET
def similar_finder(request: HttpRequest) -> HttpResponse:
    """Type a title, pick one of the suggestions, see similar movies at once.

    As HTMX it answers the part that changed: the suggestions while typing, the results once a movie is picked.
    Without JavaScript the same GET parameters render the whole page.
    """
    form = FinderForm(request.GET)
    if not form.is_valid():
        return bad_request(request, form)
    movie, kind, query = form.cleaned_data["movie"], form.cleaned_data["similar"], form.cleaned_data["q"]
    context = {"form": form, "movie": movie, "kind": kind, "kinds": form.fields["similar"].choices, "q": query}
    if movie is None:
        context["suggestions"] = selectors.title_suggestions(user=request.user, query=query)
        return page_or_partial(request, "catalog/similar_finder.html", "catalog/_suggestions.html", context)
    similar = recommendations.similar_movies(movie=movie, kind=kind, limit=SIMILAR_LIMIT, user=request.user)
    context["similar"] = card_tiles(user=request.user, cards=similar)
    context["tab_base"] = f"{reverse('catalog:similar_finder')}?movie={movie.pk}&"
    return page_or_partial(request, "catalog/similar_finder.html", "catalog/_finder_results.html", context)


@require_GET
def insights_page(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/insights.html", {"charts": insights.charts()})


@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A director's or an actor's films in the catalog, newest first."""
    person = get_object_or_404(Person, pk=pk)
    credits = person.credits.select_related("movie").order_by("-movie__year", "movie__sort_title")
    sections = [
        (title, movie_tiles(user=request.user, movies=[c.movie for c in credits if c.role == role]))
        for role, title in ((Credit.Role.DIRECTOR, "Directed"), (Credit.Role.ACTOR, "Played in"))
    ]
    context = {"person": person, "sections": [(title, tiles) for title, tiles in sections if tiles]}
    return render(request, "catalog/person_detail.html", context)
