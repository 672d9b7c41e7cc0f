"""factory_boy factories shared by every test layer."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from django.utils.text import slugify

from catalog.models import Genre, Movie, MovieTag, Tag
from ratings.models import Feedback, Profile, Rating


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    # Hashed before the insert: a set_password() after it would not be saved (skip_postgeneration_save).
    password = factory.django.Password("a-good-passphrase-42")

    @factory.post_generation
    def permissions(user, create: bool, names, **kwargs) -> None:
        """``UserFactory(permissions=["catalog.add_movie", ...])``: grant these model permissions."""
        if create and names:
            for name in names:
                app_label, codename = name.split(".")
                user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory)


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Genre {n}")
    slug = factory.LazyAttribute(lambda genre: slugify(genre.name))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag {n}")


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Movie {n}")
    year = 1995
    movielens_id = factory.Sequence(lambda n: 100_000 + n)

    @factory.post_generation
    def genres(self, create: bool, extracted: list[Genre] | None, **kwargs) -> None:
        if create and extracted:
            self.genres.set(extracted)


class MovieTagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MovieTag

    movie = factory.SubFactory(MovieFactory)
    tag = factory.SubFactory(TagFactory)
    count = 1


class RatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rating

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    score = 4.0
    created = factory.LazyFunction(timezone.now)


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    user = factory.SubFactory(UserFactory)
    movie = factory.SubFactory(MovieFactory)
    kind = Feedback.Kind.WATCHLIST
