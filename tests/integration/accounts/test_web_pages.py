"""Signup, login, profile, password change and logout through the web forms."""

import pytest
from django.urls import reverse

from accounts.models import User
from tests.integration.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def signup(client, **overrides):
    data = {"username": "ravi", "email": "ravi@example.com", "password1": PASSWORD, "password2": PASSWORD}
    data.update(overrides)
    return client.post(reverse("accounts:signup"), data)


def test_signup_logs_in_and_profile_update_is_saved(client):
    response = signup(client)
    assert response.status_code == 302 and response.url == reverse("accounts:profile")
    response = client.post(
        reverse("accounts:profile"),
        {"languages": ["te", "hi"], "favourite_singers": "A. R. Rahman\nK. S. Chithra, a r rahman"},
    )
    assert response.status_code == 302
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "A. R. Rahman" in page and "K. S. Chithra" in page
    profile = User.objects.get(username="ravi").profile
    assert profile.languages == ["te", "hi"]
    assert [s.key for s in profile.favourite_singers.all()] == ["a r rahman", "k s chithra"]


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"username": "ann"}, "That username is taken."),
        ({"email": "ANN@example.com"}, "An account with that email already exists."),
        ({"password1": "12345678", "password2": "12345678"}, "This password is too common."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"password2": "something-else-entirely"}, "The two passwords differ."),
    ],
)
def test_bad_signup_shows_form_errors_and_creates_nothing(client, overrides, field_message):
    make_user("ann")
    response = signup(client, **overrides)
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert User.objects.count() == 1


def test_unknown_language_and_too_many_singers_are_form_errors(client):
    make_user("ann")
    client.login(username="ann", password=PASSWORD)
    response = client.post(reverse("accounts:profile"), {"languages": ["xx"]})
    assert (
        response.status_code == 400 and "xx is not one of the available choices" in response.content.decode()
    )
    singers = "\n".join(f"Singer {i}" for i in range(500))
    response = client.post(reverse("accounts:profile"), {"favourite_singers": singers})
    assert response.status_code == 400 and "At most 50 favourite singers" in response.content.decode()


def test_login_with_email_password_change_and_logout(client):
    make_user("ann")
    response = client.post(reverse("accounts:login"), {"username": "ann@example.com", "password": PASSWORD})
    assert response.status_code == 302
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-melody-7",
            "new_password2": "a-brand-new-melody-7",
        },
    )
    assert response.status_code == 302
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("accounts:profile")).status_code == 302
    assert client.login(username="ann", password="a-brand-new-melody-7")


def test_expired_session_redirects_to_login(client):
    make_user("ann")
    client.login(username="ann", password=PASSWORD)
    client.session.flush()
    client.cookies.clear()
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
