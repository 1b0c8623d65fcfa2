"""The OpenAPI schema describes every /api/v1/ route and method the URL configuration has,
so schemathesis (which fuzzes what the schema lists) reaches every operation."""

from __future__ import annotations

import re

from drf_spectacular.generators import SchemaGenerator

from tests.integration.api.routes import site_routes


def test_every_api_route_and_method_is_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {
        (path, method.upper())
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    }
    expected = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", "/" + route.route), method)
        for route in site_routes()
        if route.is_api and route.name != "api:not-found"
        for method in route.methods
    }
    assert expected, "no API routes found"
    assert expected <= documented, f"routes missing from the schema: {sorted(expected - documented)}"


def test_every_error_response_in_the_schema_uses_the_error_format():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    body = response["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/Error"}, (method, path, code)
