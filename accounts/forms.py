from django import forms
from django.core.exceptions import ValidationError

from accounts.languages import LANGUAGE_CHOICES
from accounts.services import MAX_FAVOURITE_SINGERS, clean_singers, user_register


class SignupForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(max_length=254)
    password1 = forms.CharField(label="Password", widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label="Password again", widget=forms.PasswordInput, max_length=128)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data

    def save(self):
        """Create the account through the service; its errors land on the form's fields."""
        try:
            return user_register(
                username=self.cleaned_data["username"],
                email=self.cleaned_data["email"],
                password=self.cleaned_data["password1"],
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error("password1" if field == "password" else field, messages)
            return None


class PreferencesForm(forms.Form):
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    favourite_singers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"One per line or separated by commas (at most {MAX_FAVOURITE_SINGERS}).",
        max_length=10_000,
    )

    def clean_favourite_singers(self) -> list[str]:
        raw = self.cleaned_data["favourite_singers"].replace(",", "\n")
        names = [line for line in raw.splitlines() if line.strip()]
        try:
            clean_singers(names)
        except ValidationError as error:
            raise ValidationError(error.message_dict["favourite_singers"]) from error
        return names
