"""The routes of the site as the URL configuration declares them, and who may call what.

Everything here is read from `echoes_site.urls` at test time, so a route added by any app
is walked by the authorization tests without anyone listing it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# The parts of the site the walk covers: the REST API and the pages of our apps.
API_PREFIX = "api/v1/"
PAGE_NAMESPACES = ("accounts", "catalogue", "moods", "compositions", "frontend")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
ALL_METHODS = ("GET", *WRITE_METHODS)

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern, flattened: its full route string, name and view."""

    route: str
    name: str
    callback: Callable

    @property
    def params(self) -> tuple[str, ...]:
        """The object parameters in the path (`composition_id`, ...)."""
        return tuple(match["name"] for match in _PARAM.finditer(self.route))

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)

    def url(self, **values: object) -> str:
        """The path with each parameter replaced by its value."""
        return "/" + _PARAM.sub(lambda m: str(values[m["name"]]), self.route)

    @property
    def view_class(self) -> type | None:
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)

    @property
    def methods(self) -> tuple[str, ...]:
        """The HTTP methods the view answers (besides HEAD/OPTIONS), read from the view.

        Class-based views: the handlers the class defines. Function views: the list given
        to require_http_methods/require_GET/require_POST, found in the decorator's
        closure; a function view without one answers every method.
        """
        view_class = self.view_class
        if view_class is not None:
            return tuple(m for m in ALL_METHODS if hasattr(view_class, m.lower()))
        function: Callable | None = self.callback
        while function is not None:
            code = getattr(function, "__code__", None)
            if code is not None and "request_method_list" in code.co_freevars:
                cell = function.__closure__[code.co_freevars.index("request_method_list")]
                return tuple(m for m in ALL_METHODS if m in cell.cell_contents)
            function = getattr(function, "__wrapped__", None)
        return ALL_METHODS


def _flatten(patterns: Iterable, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _flatten(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield Route(prefix + str(pattern.pattern), namespace + (pattern.name or ""), pattern.callback)


def site_routes() -> list[Route]:
    """Every /api/v1/ route and every page route of our apps."""
    routes = []
    for route in _flatten(get_resolver().url_patterns):
        if route.is_api or route.name.split(":")[0] in PAGE_NAMESPACES:
            # A re_path() with groups would hide its parameters from the walk.
            assert "(?P<" not in route.route, f"{route.name}: use path(), not a regex route"
            routes.append(route)
    return routes


def object_routes() -> list[Route]:
    """The routes whose path names an object (`<int:composition_id>` and the like)."""
    return [route for route in site_routes() if route.params]
