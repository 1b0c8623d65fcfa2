from accounts.models import Profile, User


def profile_get(*, user: User) -> Profile:
    """The user's profile (created on first read for users made outside the services)."""
    profile, _ = Profile.objects.prefetch_related("favourite_singers").get_or_create(user=user)
    return profile


def favourite_singer_keys(*, user: User) -> set[str]:
    """Normalised names of the user's favourite singers."""
    return set(profile_get(user=user).favourite_singers.values_list("key", flat=True))
