from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from catalog.models import Genre, Movie, MovieTag, Tag
from catalog.selectors import with_rating_stats


class DecadeFilter(admin.SimpleListFilter):
    title = "decade"
    parameter_name = "decade"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        # No ordering: the model's default (sort_title) would make DISTINCT keep one row per movie, not per year
        # (59,000 rows read for a few dozen decades at 25M).
        years = Movie.objects.exclude(year__isnull=True).order_by().values_list("year", flat=True).distinct()
        decades = sorted({year // 10 * 10 for year in years}, reverse=True)
        return [(str(decade), f"{decade}s") for decade in decades]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Movie]) -> QuerySet[Movie]:
        if not self.value():
            return queryset
        try:
            decade = int(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(year__gte=decade, year__lt=decade + 10)


class MovieTagInline(admin.TabularInline):
    model = MovieTag
    extra = 1
    autocomplete_fields = ["tag"]


@admin.register(Movie)
class MovieAdmin(admin.ModelAdmin):
    list_display = ["title", "year", "genre_list", "rating_count", "rating_mean", "movielens_id", "imdb_id"]
    list_filter = ["genres", DecadeFilter]
    search_fields = ["title", "sort_title", "=movielens_id", "=imdb_id"]
    filter_horizontal = ["genres"]
    inlines = [MovieTagInline]
    readonly_fields = ["sort_title", "created", "updated"]
    fieldsets = [
        (None, {"fields": ["title", "year", "release_date", "genres"]}),
        ("External ids", {"fields": ["movielens_id", "imdb_id", "tmdb_id"]}),
        ("Bookkeeping", {"fields": ["sort_title", "created", "updated"], "classes": ["collapse"]}),
    ]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Movie]:
        # One query for the page: counts and means are joined from MovieRatingStats, genres prefetched.
        return with_rating_stats(super().get_queryset(request)).prefetch_related("genres")

    @admin.display(description="Genres")
    def genre_list(self, movie: Movie) -> str:
        return ", ".join(genre.name for genre in movie.genres.all())

    @admin.display(description="Ratings", ordering="rating_count")
    def rating_count(self, movie: Movie) -> int:
        return movie.rating_count

    @admin.display(description="Mean", ordering="rating_mean")
    def rating_mean(self, movie: Movie) -> str:
        return "–" if movie.rating_mean is None else f"{movie.rating_mean:.2f}"


@admin.register(Genre)
class GenreAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "movie_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Genre]:
        return super().get_queryset(request).annotate(_movie_count=Count("movies"))

    @admin.display(description="Movies", ordering="_movie_count")
    def movie_count(self, genre: Genre) -> int:
        return genre._movie_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
