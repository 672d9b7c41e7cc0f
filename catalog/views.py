from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from catalog.models import Movie


@require_GET
def movie_detail(request: HttpRequest, pk: int) -> HttpResponse:
    movie = get_object_or_404(Movie.objects.prefetch_related("genres"), pk=pk)
    return render(request, "catalog/movie_detail.html", {"movie": movie})
