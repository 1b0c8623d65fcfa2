"""Migrate the anchor's database, make its 40 rows and its user once; print the token."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.anchor.settings")

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from bench.anchor.models import Item  # noqa: E402

call_command("migrate", "--noinput", verbosity=0)
if not Item.objects.exists():
    Item.objects.bulk_create(Item(name=f"item {i}", value=i / 40) for i in range(40))
user, _ = User.objects.get_or_create(username="anchor")
print(Token.objects.get_or_create(user=user)[0].key)
