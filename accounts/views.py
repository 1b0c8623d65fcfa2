"""Account pages: signup, profile; login/logout/password change use Django's own views."""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.forms import PreferencesForm, SignupForm
from accounts.selectors import profile_get
from accounts.serializers import PreferencesSerializer
from accounts.services import profile_update, user_logout_everywhere


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("frontend:home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if user is not None:
            login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
            messages.success(request, "Welcome! Tell us what you like to listen to.")
            return redirect("accounts:profile")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    current = PreferencesSerializer.from_profile(profile_get(user=request.user))
    initial = {
        "languages": current["languages"],
        "favourite_singers": "\n".join(current["favourite_singers"]),
    }
    form = PreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        profile_update(user=request.user, **form.cleaned_data)
        messages.success(request, "Preferences saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["POST"])
def logout_everywhere(request):
    """The profile page's "Log out everywhere": every session, token and socket ends."""
    user_logout_everywhere(user=request.user)
    logout(request)
    messages.success(request, "You are logged out everywhere: every browser, app and live session.")
    return redirect("accounts:login")
