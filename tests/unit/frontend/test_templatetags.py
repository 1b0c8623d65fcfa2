"""The navigation's template helpers: links that survive a missing page, the current section."""

from django.template import Context, Template
from django.test import RequestFactory

from frontend.templatetags.frontend import first_url


def test_first_url_takes_the_first_route_that_exists():
    assert first_url("no-such:page", "accounts:login", fallback="/x/") == "/accounts/login/"


def test_first_url_falls_back_when_no_route_exists():
    assert first_url("no-such:page", "nor:this", fallback="/somewhere/") == "/somewhere/"


def render(template: str, path: str) -> str:
    request = RequestFactory().get(path)
    return Template("{% load frontend %}" + template).render(Context({"request": request}))


def test_nav_current_marks_the_section_of_the_page():
    html = render('<a {% nav_current "/compositions/" %}>Library</a>', "/compositions/12/")
    assert html == '<a aria-current="page">Library</a>'


def test_nav_current_leaves_other_sections_alone():
    assert render('<a {% nav_current "/compositions/" %}>Library</a>', "/session/") == "<a >Library</a>"
