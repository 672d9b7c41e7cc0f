from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from catalog.titles import sort_title


class Genre(models.Model):
    name = models.CharField(max_length=64, unique=True)
    slug = models.SlugField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(max_length=255, unique=True, help_text="Stored lower-case and trimmed.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Movie(models.Model):
    title = models.CharField(max_length=255, help_text="Display title, article first, without the year.")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    release_date = models.DateField(null=True, blank=True)
    sort_title = models.CharField(max_length=255, editable=False)
    movielens_id = models.PositiveIntegerField(unique=True, null=True, blank=True, verbose_name="MovieLens id")
    imdb_id = models.CharField(max_length=16, blank=True, verbose_name="IMDb id", help_text="Like tt0114709.")
    tmdb_id = models.PositiveIntegerField(null=True, blank=True, verbose_name="TMDB id")
    # Filled by the optional TMDB enrichment (catalog/enrichment.py); empty without a TMDB_API_KEY.
    overview = models.TextField(blank=True)
    runtime = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Minutes.")
    poster = models.FileField(upload_to="posters/", blank=True, help_text="A card-sized copy of the TMDB poster.")
    enriched_at = models.DateTimeField(null=True, blank=True, help_text="When TMDB was last asked about it.")
    enrichment_note = models.CharField(
        max_length=255, blank=True, help_text="Why the last enrichment found nothing (no match, an error)."
    )
    genres = models.ManyToManyField(Genre, related_name="movies", blank=True)
    tags = models.ManyToManyField(Tag, through="MovieTag", related_name="movies", blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_title", "year"]
        indexes = [
            models.Index(fields=["sort_title"]),
            models.Index(fields=["year"]),
            models.Index(fields=["-created"]),
            models.Index(Lower("title"), name="catalog_movie_title_lower"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__isnull=True) | models.Q(year__gte=1870, year__lte=2100),
                name="catalog_movie_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def save(self, *args, **kwargs) -> None:
        # sort_title is derived data; keeping it in save() means it can never drift.
        self.sort_title = sort_title(self.title)
        if kwargs.get("update_fields") is not None and "title" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "sort_title"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalog:movie_detail", args=[self.pk])


class MovieTag(models.Model):
    """How many times people applied a tag to a movie."""

    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="movie_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="movie_tags")
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["movie", "tag"], name="catalog_movietag_unique")]

    def __str__(self) -> str:
        return f"{self.movie} · {self.tag} ×{self.count}"


class Person(models.Model):
    """Someone who made movies: a director or an actor (from TMDB's credits)."""

    name = models.CharField(max_length=255)
    tmdb_id = models.PositiveIntegerField(unique=True, verbose_name="TMDB id")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        indexes = [models.Index(Lower("name"), name="catalog_person_name_lower")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:person_detail", args=[self.pk])


class Credit(models.Model):
    """One person's part in one movie: directed it, or played in it (``order`` is TMDB's billing)."""

    class Role(models.TextChoices):
        DIRECTOR = "director", "Director"
        ACTOR = "actor", "Actor"

    movie = models.ForeignKey(Movie, on_delete=models.CASCADE, related_name="credits")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="credits")
    role = models.CharField(max_length=16, choices=Role.choices)
    character = models.CharField(max_length=255, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["role", "order"]
        constraints = [
            models.UniqueConstraint(fields=["movie", "person", "role"], name="catalog_credit_once_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_role_display()}) in {self.movie}"
