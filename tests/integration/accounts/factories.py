from accounts.models import User
from accounts.services import user_register

PASSWORD = "listen-to-the-echoes-42"


def make_user(name: str = "ann") -> User:
    return user_register(username=name, email=f"{name}@example.com", password=PASSWORD)
