"""Languages a listener can prefer (ISO 639-1 codes), shared with the catalogue."""

LANGUAGES: dict[str, str] = {
    "en": "English",
    "hi": "Hindi",
    "te": "Telugu",
    "ta": "Tamil",
    "kn": "Kannada",
    "ml": "Malayalam",
    "bn": "Bengali",
    "mr": "Marathi",
    "pa": "Punjabi",
    "gu": "Gujarati",
    "ur": "Urdu",
    "es": "Spanish",
    "pt": "Portuguese",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "ko": "Korean",
    "ja": "Japanese",
    "zh": "Chinese",
    "ar": "Arabic",
    "sv": "Swedish",
    "tr": "Turkish",
    "fa": "Persian",
    "ms": "Malay",
}
LANGUAGE_CHOICES = list(LANGUAGES.items())
_BY_NAME = {name.lower(): code for code, name in LANGUAGES.items()}


def language_code(value: str) -> str | None:
    """The code for a code or an English name ("te", "Telugu"); None when unknown."""
    key = str(value).strip().lower()
    if key in LANGUAGES:
        return key
    return _BY_NAME.get(key)
