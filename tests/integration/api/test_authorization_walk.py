"""Object-level authorization, walked over every route the URL configuration declares.

For each /api/v1/ and page route with an object in its path, user B owns such an object
(made through the app's services) and user A calls every HTTP method the view answers:
each must be 404, never 200/403/500, and B's object must be exactly as it was (same row,
files still in storage). Anonymous callers get 401 (API) or a redirect to the login page.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from rest_framework.permissions import AllowAny
from rest_framework.test import APIClient

from accounts.services import token_obtain
from tests.integration.api.objects import OWNED_OBJECTS, make_user, snapshot
from tests.integration.api.routes import WRITE_METHODS, Route, object_routes, site_routes

pytestmark = pytest.mark.django_db

# Pages anyone may open (the rest must send anonymous visitors to the login page).
# The SoundFont is a public asset like the static files (the same GM sounds for everyone).
PUBLIC_PAGES = {"frontend:home", "accounts:signup", "accounts:login", "accounts:logout", "frontend:soundfont"}

# A body that would pass validation on any of our write routes, so that a 404 cannot be
# mistaken for (or masked by) a 400.
WRITE_BODY = {"title": "Taken over", "favourite": True, "kind": "play", "languages": ["en"]}


def _call(client, method: str, url: str, *, json: bool):
    call = getattr(client, method.lower())
    if method == "GET":
        return call(url)
    if json:
        return call(url, WRITE_BODY, format="json")
    return call(url, {**WRITE_BODY, "favourite": "1"})


def _client_for(user, route: Route):
    if route.is_api:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_obtain(user=user).key}")
        return client
    client = Client()
    client.force_login(user)
    return client


def test_the_walk_finds_the_object_routes_of_every_app():
    names = {route.name for route in object_routes()}
    # A sample the walk must see; if routing changes shape, this says so.
    assert {"api:composition", "api:composition-audio", "api:listening-event-detail"} <= names
    assert {"api:mood-session-detail", "compositions:delete", "compositions:midi"} <= names


def test_every_object_route_has_a_factory_for_its_objects():
    missing = {
        f"{route.name} ({param})"
        for route in object_routes()
        for param in route.params
        if param not in OWNED_OBJECTS
    }
    assert not missing, (
        "These routes name objects the authorization walk cannot make; add a factory to "
        f"OWNED_OBJECTS in tests/integration/api/objects.py: {sorted(missing)}"
    )


@pytest.mark.parametrize("route", object_routes(), ids=lambda r: f"{r.name}:{r.route}")
def test_another_users_object_is_404_on_every_method_and_stays_unchanged(route: Route):
    owner, intruder = make_user(), make_user()
    objects = {param: OWNED_OBJECTS[param].factory(owner) for param in route.params}
    shared = all(OWNED_OBJECTS[param].shared for param in route.params)
    before = {param: snapshot(obj) for param, obj in objects.items()}
    client = _client_for(intruder, route)
    url = route.url(**{param: obj.pk for param, obj in objects.items()})
    assert route.methods, f"{route.name} answers no method the walk knows"

    for method in route.methods:
        response = _call(client, method, url, json=route.is_api)
        if shared and method == "GET":
            assert response.status_code == 200, f"GET {url}: shared object should be readable"
            continue
        assert not shared or method not in WRITE_METHODS, f"{method} {url} writes a shared object"
        assert response.status_code == 404, (
            f"{method} {url} as another user answered {response.status_code}, not 404: "
            f"{response.content[:300]!r}"
        )
        if route.is_api:
            assert response.json()["error"]["code"] == "not_found"

    after = {param: snapshot(obj) for param, obj in objects.items()}
    assert after == before, f"{route.name}: the owner's object changed under another user's calls"
    for param, state in after.items():
        assert state is not None and all(state["files"].values()), f"{param}: row or file gone"


@pytest.mark.parametrize("route", object_routes(), ids=lambda r: f"{r.name}:{r.route}")
def test_ones_own_object_is_found_on_its_read_routes(route: Route):
    """The other side of the walk: the 404s above are about ownership, not broken routes."""
    if "GET" not in route.methods:
        pytest.skip("no read method on this route")
    owner = make_user()
    objects = {param: OWNED_OBJECTS[param].factory(owner) for param in route.params}
    response = _client_for(owner, route).get(route.url(**{p: o.pk for p, o in objects.items()}))
    assert response.status_code == 200, (route.name, response.status_code, response.content[:300])


def _api_view_is_public(route: Route) -> bool:
    view_class = route.view_class
    return any(issubclass(p, AllowAny) for p in getattr(view_class, "permission_classes", []))


@pytest.mark.parametrize("route", [r for r in site_routes() if r.is_api], ids=lambda r: r.name)
def test_anonymous_api_calls_are_401_in_the_error_format(route: Route):
    if _api_view_is_public(route):
        pytest.skip("open to anonymous clients (register, token)")
    url = route.url(**{param: 1 for param in route.params})
    client = APIClient()
    for method in route.methods:
        response = _call(client, method, url, json=True)
        assert response.status_code == 401, (method, url, response.status_code)
        assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "route", [r for r in site_routes() if not r.is_api and r.name not in PUBLIC_PAGES], ids=lambda r: r.name
)
def test_anonymous_page_visits_are_sent_to_the_login_page(route: Route):
    url = route.url(**{param: 1 for param in route.params})
    login = reverse(settings.LOGIN_URL)
    for method in route.methods:
        response = _call(Client(), method, url, json=False)
        assert response.status_code == 302, (method, url, response.status_code)
        assert response["Location"].startswith(f"{login}?next="), (method, url, response["Location"])
