"""API token authentication: one lookup per request; expired tokens never sign in and are swept by the beat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from movierec.accounts.models import DeviceToken
from movierec.accounts.services import token_issue
from movierec.accounts.tasks import tokens_expired_delete_task
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def token_queries(token: str) -> list[str]:
    """The SQL that authenticating one request with ``token`` runs."""
    with CaptureQueriesContext(connection) as queries:
        assert with_token(token).get("/api/v1/me/").status_code == 200
    return [query["sql"] for query in queries if DeviceToken._meta.db_table in query["sql"]]


def test_a_request_looks_its_token_up_once_however_many_devices_the_person_has():
    # given a person signed in on three devices, one of them long expired
    person = UserFactory()
    _, phone = token_issue(user=person, device="Phone")
    token_issue(user=person, device="Tablet")
    token_issue(user=person, device="Old laptop", ttl=timedelta(seconds=-60))

    # when the phone calls the API, then its token is the only one read, and the expired one is left to the beat
    assert len(token_queries(phone)) == 1
    assert DeviceToken.objects.filter(user=person).count() == 3


def test_an_expired_token_is_refused_and_deleted_at_once():
    person = UserFactory()
    _, token = token_issue(user=person, ttl=timedelta(seconds=-1))

    response = with_token(token).get("/api/v1/me/")

    assert response.status_code == 401
    assert not DeviceToken.objects.exists()


def test_a_wrong_token_with_a_real_tokens_prefix_is_refused():
    _, token = token_issue(user=UserFactory())
    assert with_token(token[:-4] + "0000").get("/api/v1/me/").status_code == 401


def test_the_beat_deletes_the_expired_tokens_and_keeps_the_live_ones():
    # given live and expired tokens of two people
    ada, bob = UserFactory(), UserFactory()
    _, live = token_issue(user=ada)
    token_issue(user=ada, ttl=timedelta(seconds=-1))
    token_issue(user=bob, ttl=timedelta(seconds=-3600))
    DeviceToken.objects.filter(user=bob).update(expiry=timezone.now() - timedelta(days=1))

    # when the hourly task runs
    assert tokens_expired_delete_task() == 2

    # then only the live token is left, and it still signs in
    assert list(DeviceToken.objects.values_list("user", flat=True)) == [ada.pk]
    assert with_token(live).get("/api/v1/me/").status_code == 200


def test_the_beat_runs_the_sweep_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["tokens-expired-delete"]
    assert entry["task"] == tokens_expired_delete_task.name
    assert entry["schedule"] == 3600.0
