"""Template helpers of the shared layout."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def first_url(*names: str, fallback: str = "") -> str:
    """The URL of the first route name that exists, else `fallback`.

    The navigation links to pages other apps own; this keeps base.html rendering while a
    page is renamed or not there yet, instead of failing every page of the site.
    """
    for name in names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return fallback


@register.simple_tag(takes_context=True)
def nav_current(context, *prefixes: str) -> str:
    """`aria-current="page"` when the request path starts with one of `prefixes`."""
    request = context.get("request")
    path = getattr(request, "path", "")
    if any(prefix and path.startswith(prefix) for prefix in prefixes):
        return mark_safe('aria-current="page"')  # a constant: nothing user-given in it
    return ""
