"""OpenAPI schema tweaks for the HackSoft style of nested serializers."""

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """Names nested serializers after their API class: MeApi.OutputSerializer -> MeOutput.

    Every API class nests an `InputSerializer` / `OutputSerializer`; without this their
    components would all be called "Input"/"Output" and collide.
    """

    def _get_serializer_name(self, serializer, direction, bypass_extensions=False) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else type(serializer)
        parts = cls.__qualname__.split(".")
        if len(parts) > 1 and not name.startswith(parts[-2]):
            name = parts[-2].removesuffix("Api") + name
        return name
