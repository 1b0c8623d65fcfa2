from django.apps import AppConfig


class CompositionsConfig(AppConfig):
    name = "compositions"

    def ready(self) -> None:
        from compositions import signals  # noqa: F401  (connects the receivers)
