"""Who may open the site's personal and new pages: anonymous, the owner, another person, staff with and without
the permissions. Every "me" page is the signed-in person's own, so another person sees their own data there."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from catalog.models import Credit, Person
from recommender.models import Experiment, ModelVersion
from tests.factories import MovieFactory, RatingFactory, UserFactory

ANON, OWNER, OTHER, STAFF, PERMITTED = "anonymous", "owner", "other", "staff", "staff with the permission"
WHO = (ANON, OWNER, OTHER, STAFF, PERMITTED)
PERMISSIONS = (
    "catalog.add_movie",
    "catalog.change_movie",
    "recommender.view_modelversion",
    "recommender.inspect_recommendations",
    "recommender.view_experiment",
    "recommender.change_experiment",
)


def everyone(code: int) -> dict[str, int]:
    return dict.fromkeys(WHO, code)


def signed_in(code: int) -> dict[str, int]:
    return {ANON: 302, OWNER: code, OTHER: code, STAFF: code, PERMITTED: code}  # anonymous: to the login page


#: Staff pages: anonymous people log in first, for people who are not staff they do not exist, staff need the right.
STAFF_ONLY = {ANON: 302, OWNER: 404, OTHER: 404, STAFF: 403, PERMITTED: 200}


PAGES = [
    ("get", "home", {}, everyone(200)),
    ("get", "ratings:my_ratings", {}, signed_in(200)),
    ("get", "ratings:lists", {}, signed_in(200)),
    ("get", "ratings:history_import", {}, signed_in(200)),
    ("post", "ratings:history_import", {}, signed_in(400)),  # no file: a 400 naming the field
    ("post", "ratings:preferences", {"reset": "1"}, signed_in(302)),  # without HTMX: back home
    ("get", "ratings:preferences", {}, {**signed_in(405), ANON: 302}),
    ("get", "recommender:taste_groups", {}, signed_in(200)),
    ("post", "recommender:taste_groups", {"group": ["0"]}, signed_in(400)),
    ("get", "person", {}, everyone(200)),
    ("get", "poster", {}, everyone(200)),
    ("get", "recommender:models", {}, everyone(200)),
    ("get", "recommender:inspector", {"person": "own", "movie": "he"}, STAFF_ONLY),
    ("get", "inspect_person", {}, STAFF_ONLY),
    ("get", "inspect_movie", {}, STAFF_ONLY),
    ("get", "experiment", {}, STAFF_ONLY),
    ("post", "experiment", {}, {**STAFF_ONLY, PERMITTED: 302}),  # stops it, then shows the results
]


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = UserFactory(username="owner")
    movie = MovieFactory(title="Heat")
    movie.poster.save("heat.jpg", ContentFile(b"\xff\xd8poster"))
    RatingFactory(user=owner, movie=movie, score=4.0)
    person = Person.objects.create(name="Michael Mann", tmdb_id=1)
    Credit.objects.create(movie=movie, person=person, role=Credit.Role.DIRECTOR)
    a, b = (
        ModelVersion.objects.create(family="blend", algorithms=["blend"], artifact_path=f"blend/{n}") for n in (1, 2)
    )
    experiment = Experiment.objects.create(name="test", arm_a=a, arm_b=b)
    return {
        "owner": owner,
        "person": person.get_absolute_url(),
        "poster": movie.poster.url,
        "inspect_person": reverse("recommender:inspect_person", args=[owner.pk]),
        "inspect_movie": reverse("recommender:inspect_movie", args=[movie.pk]),
        "experiment": reverse("recommender:experiment", args=[experiment.pk]),
    }


def signed(client, who: str, world) -> None:
    people = {
        OWNER: lambda: world["owner"],
        OTHER: UserFactory,
        STAFF: lambda: UserFactory(is_staff=True),
        PERMITTED: lambda: UserFactory(is_staff=True, permissions=PERMISSIONS),
    }
    if who != ANON:
        client.force_login(people[who]())


@pytest.mark.parametrize(
    ("method", "page", "data", "who", "expected"),
    [
        pytest.param(method, page, data, who, codes[who], id=f"{method.upper()} {page} as {who}")
        for method, page, data, codes in PAGES
        for who in WHO
    ],
)
def test_page_access(client, world, method, page, data, who, expected):
    signed(client, who, world)
    url = world[page] if page in world else reverse(page)

    response = getattr(client, method)(url, data)

    assert response.status_code == expected
    if expected == 302 and who == ANON:
        assert response["Location"].startswith(reverse("login"))
