"""Movie cards drawn by Jinja2 inside Django pages (catalog/templatetags/cards.py, templates/jinja2/cards/)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django_htmx.middleware import HtmxDetails

from ratings.models import Rating
from ratings.selectors import MovieState, Tile, rating_examples
from tests.factories import MovieFactory, RatingFactory, UserFactory

pytestmark = pytest.mark.django_db

ROW = Template("{% load cards %}{% for tile in tiles %}{% card tile %}{% endfor %}")


def _draw(tiles, *, user, path="/"):
    request = RequestFactory().get(path)
    request.user = user
    return ROW.render(Context({"tiles": tiles, "user": user, "request": request}))


def test_every_form_of_a_page_carries_the_same_csrf_token_and_the_server_accepts_it():
    # given a signed-in person whose page draws three cards (a star control and a feedback form each)
    person = UserFactory()
    movies = [MovieFactory(title=title) for title in ("Alien", "Brazil", "Cats")]
    client = Client(enforce_csrf_checks=True)
    client.force_login(person)
    page = client.get(reverse("catalog:browse")).content.decode()
    assert page.count('class="movie-card"') == 3

    # then one masked token serves the cards' six forms, and a rating posted with it is saved
    cards = [part.split("</article>")[0] for part in page.split('class="movie-card"')[1:]]
    tokens = [token for card in cards for token in re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', card)]
    assert len(tokens) == 6 and len(set(tokens)) == 1
    response = client.post(
        reverse("ratings:rate"), {"movie": movies[0].pk, "score": "4", "csrfmiddlewaretoken": tokens[0]}
    )
    assert response.status_code in (200, 302)
    assert Rating.objects.filter(user=person, movie=movies[0], score=4).exists()


def test_a_card_shows_what_the_viewer_said_and_rounds_stars_as_the_rest_of_the_site():
    person = UserFactory()
    rated = Tile(MovieFactory(title="Heat"), MovieState(rating=3.5, kinds=frozenset({"watchlist"})), "", 3.25)
    average = Tile(MovieFactory(title="Ran"), average=(4.05, 1))
    body = _draw([rated, average], user=person)

    heat, ran = body.split('id="card-')[1:]
    assert "3.3 <span" in heat and "predicted for you" in heat  # half up, as Django's floatformat
    assert heat.count('class="half half-left on"') + heat.count('class="half half-right on"') == 7
    assert 'value="watchlist" class="chip-button active" aria-pressed="true"' in heat
    assert 'name="predicted" value="3.25"' in heat
    assert "4.1 <span" in ran and "average of 1 rating</span>" in ran


def test_titles_and_reasons_are_escaped_and_a_visitor_is_sent_to_log_in_and_back():
    tile = Tile(MovieFactory(title="<script>alert(1)</script>"), reason="Because <b>you</b> rated")
    body = _draw([tile], user=AnonymousUser(), path="/browse/?genre=drama&page=2")

    assert "<script>" not in body and "&lt;script&gt;" in body
    assert "Because &lt;b&gt;you&lt;/b&gt; rated" in body
    assert f'href="{reverse("login")}?next=/browse/%3Fgenre%3Ddrama%26page%3D2"' in body
    assert 'class="stars"' not in body


def test_a_hidden_or_snoozed_card_offers_its_undo():
    person = UserFactory()
    hidden = Tile(MovieFactory(title="Heat"), MovieState(kinds=frozenset({"not_interested"})))
    snoozed = Tile(MovieFactory(title="Ran"), MovieState(kinds=frozenset({"snoozed"})))
    body = _draw([hidden, snoozed], user=person)

    heat, ran = body.split('id="card-')[1:]
    assert "is hidden and will not be suggested again" in heat and 'value="not_interested"' in heat
    assert "is hidden for 30 days" in ran and 'value="snoozed"' in ran
    assert f'action="{reverse("ratings:feedback_remove")}"' in heat


def test_the_cards_urls_follow_the_url_configuration():
    movie = MovieFactory(title="Heat")
    plain = _draw([Tile(movie)], user=UserFactory())
    with override_settings(ROOT_URLCONF="tests.unit.catalog.prefixed_urls"):
        body = _draw([Tile(movie)], user=UserFactory())
        link = movie.get_absolute_url()
    assert 'action="/prefixed/me/rate/"' in body
    assert link.startswith("/prefixed/") and body.count(f'href="{link}"') == 2
    assert f'href="{link}"' not in plain and plain.count(f'href="{movie.get_absolute_url()}"') == 2


def test_a_row_drawn_in_one_go_is_the_cards_drawn_one_by_one():
    # given a person with star hints, and tiles in every state a card can show
    person = UserFactory()
    RatingFactory(user=person, movie=MovieFactory(title="Alien"), score=4.0)
    tiles = [
        Tile(MovieFactory(title="Heat"), MovieState(rating=3.5, kinds=frozenset({"watchlist"})), "Because", 3.25),
        Tile(MovieFactory(title="Ran"), average=(4.05, 12)),
        Tile(MovieFactory(title="Gone"), MovieState(kinds=frozenset({"not_interested"}))),
        Tile(MovieFactory(title="Later"), MovieState(kinds=frozenset({"snoozed"}))),
    ]
    request = RequestFactory().get("/recommendations/rows/top-picks/", headers={"HX-Request": "true"})
    request.META["HTTP_HX_CURRENT_URL"] = "http://testserver/?page=2"
    request.user = person
    request.htmx = HtmxDetails(request)
    context = {"tiles": tiles, "user": person, "request": request, "rating_examples": rating_examples(user=person)}

    # when the row is drawn by the cards tag, and card by card
    at_once = Template("{% load cards %}{% cards tiles %}").render(Context(context))
    one_by_one = ROW.render(Context(context))

    # then the markup is the same (each render masks the CSRF token afresh), star hints and way back included
    def unmasked(body: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', body)

    assert unmasked(at_once) == unmasked(one_by_one)
    assert at_once.count('id="card-') == 4 and "like your Alien" in at_once
    assert at_once.count('name="next" value="/?page=2"') == 6  # each form: stars, feedback and two undos


def test_a_card_drawn_without_a_request_has_no_csrf_field():
    tile = Tile(MovieFactory(title="Heat"))
    body = ROW.render(Context({"tiles": [tile], "user": UserFactory()}))
    assert 'id="card-' in body and 'class="stars"' in body and "csrfmiddlewaretoken" not in body


@pytest.mark.parametrize("kind", ["watchlist", "more_like_this", "less_like_this", "snoozed", "not_interested"])
def test_each_feedback_toggle_is_lit_by_its_own_kind_alone_and_posts_where_it_undoes_it(kind):
    # Given a card whose viewer gave one kind of feedback (the toggles are built once per state and kept)
    person = UserFactory()
    body = _draw([Tile(MovieFactory(), MovieState(kinds=frozenset({kind})))], user=person)
    if kind in ("snoozed", "not_interested"):  # a hidden card shows its undo instead of the toggles
        assert reverse("ratings:feedback_remove") in body and "chip-button" not in body
        return
    found = re.findall(r'name="kind" value="(\w+)" class="chip-button([^"]*)"[^>]*formaction="([^"]+)"', body)
    buttons = {name: (lit, action) for name, lit, action in found}
    add, remove = reverse("ratings:feedback_add"), reverse("ratings:feedback_remove")
    assert len(buttons) == 5
    for other in buttons:
        assert buttons[other] == ((" active", remove) if other == kind else ("", add))
    # And in a card only the watchlist keeps its label in sight
    assert body.count('<span class="visually-hidden">') == 4
