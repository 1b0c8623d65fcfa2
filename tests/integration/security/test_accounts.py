"""Accounts under attack: parallel same-name signups, names that differ only in case or
by look-alike letters, and the migration that makes existing duplicates unique."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from accounts.services import user_register
from tests.integration.accounts.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_parallel_signups_with_one_name_give_one_account_and_clean_400s(start_server):
    server = start_server(THROTTLE_LOGIN="100000/min")
    spellings = ["racer", "Racer", "RACER", "rAcer", "racEr", "RaCeR", "raceR", "RACer"] * 2

    def sign_up(args):
        index, name = args
        return requests.post(
            f"{server.url}/api/v1/auth/register/",
            json={"username": name, "email": f"racer{index}@example.com", "password": PASSWORD},
            timeout=120,
        )

    with ThreadPoolExecutor(len(spellings)) as pool:
        answers = list(pool.map(sign_up, enumerate(spellings)))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201] + [400] * (len(spellings) - 1), codes
    for answer in answers:
        if answer.status_code == 400:
            assert answer.json()["error"]["fields"]["username"] == ["That username is taken."]
    assert User.objects.filter(username__iexact="racer").count() == 1


@pytest.mark.parametrize(
    "name",
    [
        "\u0430nn",  # Cyrillic а + "nn": looks like "ann"
        "p\u0430ypal",
        "ann\u200b",  # zero-width space
        "ann smith",
        "ann@home",
    ],
)
def test_look_alike_and_unsafe_usernames_are_refused(name):
    with pytest.raises(ValidationError) as error:
        user_register(username=name, email="x@example.com", password=PASSWORD)
    assert "username" in error.value.message_dict


def test_full_width_letters_are_the_same_name_and_sign_in_ignores_case(client):
    user_register(username="ann", email="ann@example.com", password=PASSWORD)
    with pytest.raises(ValidationError, match="taken"):
        user_register(username="\uff21\uff4e\uff4e", email="ann2@example.com", password=PASSWORD)  # "Ａｎｎ"
    with pytest.raises(ValidationError, match="already exists"):
        user_register(username="ann2", email="ANN@Example.com", password=PASSWORD)
    assert (
        client.post(
            "/api/v1/auth/token/", {"username": "ANN", "password": PASSWORD}, content_type="application/json"
        ).status_code
        == 200
    )


def test_the_migration_renames_existing_duplicates_and_then_the_database_refuses_them():
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0001_initial")])
    old_user = executor.loader.project_state([("accounts", "0001_initial")]).apps.get_model(
        "accounts", "User"
    )
    first = old_user.objects.create(username="Ann", email="ann@example.com")
    second = old_user.objects.create(username="ann", email="ANN@example.com")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    names = dict(User.objects.values_list("id", "username"))
    emails = dict(User.objects.values_list("id", "email"))
    assert names == {first.id: "Ann", second.id: f"ann-{second.id}"}
    assert emails == {first.id: "ann@example.com", second.id: f"ANN+{second.id}@example.com"}
    with pytest.raises(IntegrityError):
        User.objects.create(username="ANN", email="other@example.com")
