"""The language of a Spotify track, derived from genre labels and artist genre tags.

Neither Spotify dataset has a language column (see ../shared/data/catalogue/*.SOURCE.md),
so the language is derived, and "unknown" is an answer: a wrong language is worse for a
listener than none. docs/catalogue.md states the rule for people; in short:

1. **No words.** Spotify's `instrumentalness` >= 0.75 (Spotify: "values above 0.5 are
   intended to represent instrumental tracks"; 0.75 to be surer) -> `zxx` (ISO 639-2
   "no linguistic content"); such songs suit a listener of any language.
2. **The track's own evidence**: the genre labels the track was filed under (in either
   file: `track_genre`, `search_genre`) and the Spotify artist genre tags of any of its
   artists (`artist_genres`, from the 2024 file, matched by artist name for the other
   file). Each label or tag word that names a language counts (`k-pop` -> Korean,
   `kollywood` -> Tamil, `sertanejo` -> Portuguese, `canadian pop` -> English ...);
   an artist who also appears under an Indian genre of no stated language (`indian`,
   `pop-film`, `carnatic`, `hindustani`, `sufi`) adds "Indian, language not stated".
3. **The lead artist's other tracks**: when the track itself names no language, the
   language-bearing genre labels of every track of its lead artist decide the same way.
4. Otherwise `und` (ISO 639-2 "undetermined").

How the evidence of one step resolves (`resolve`):
- one named Indian regional language (Tamil, Telugu, Kannada, Malayalam, Bengali, Marathi,
  Punjabi, Gujarati) wins over Hindi/Urdu/"Indian" (film songs are tagged `filmi` whatever
  their language, so the regional tag is the more specific one); two of them: unknown;
- Hindi wins over Urdu (`filmi` + `pakistani pop` is Bollywood playback by a Pakistani singer);
- "Indian, language not stated" alone, or next to a non-Indian language: unknown (456 of the
  1,000 `k-pop` rows of the 114k file are Tamil film songs; their artists also sing under `pop-film`);
- English is only named by nationality or British labels (`uk`, `british`, `canadian` ...):
  any other language wins over it;
- two other languages (`latin` + `k-pop`): unknown.
"""

from __future__ import annotations

from collections.abc import Iterable

INSTRUMENTAL = "zxx"
UNKNOWN = "und"
INSTRUMENTALNESS_MIN = 0.75
INDIAN_UNSTATED = "in?"  # evidence: Indian music, language not stated
_CONFLICT = "conflict"

REGIONAL_INDIAN = frozenset({"ta", "te", "kn", "ml", "bn", "mr", "pa", "gu"})
# Languages a tag can name that the product does not offer: evidence against a guess.
OTHER = "other"

# Whole genre labels (the 114k file writes multi-word genres with hyphens).
LABELS: dict[str, str] = {
    "pop-film": INDIAN_UNSTATED,
    "world-music": "",
    "afrobeat": OTHER,
    "highlife": OTHER,
    "klezmer": OTHER,
}

# Words of labels and tags (split on spaces), and the language each one names.
WORDS: dict[str, str] = {}
for _code, _words in {
    "ta": "tamil kollywood",
    "te": "telugu tollywood",
    "kn": "kannada sandalwood",
    "ml": "malayalam mollywood",
    "bn": "bengali bangla rabindrasangeet",
    "mr": "marathi",
    "pa": "punjabi bhangra",
    "gu": "gujarati garba",
    "hi": "filmi bollywood hindi desi ghazal bhajan",
    "ur": "pakistani urdu qawwali",
    INDIAN_UNSTATED: "indian carnatic hindustani sufi",
    "ko": "korean",
    "ja": "japanese anime vocaloid enka kayokyoku",
    "zh": "chinese mandopop cantopop c-pop mandarin cantonese taiwanese",
    "es": (
        "latin latino latina reggaeton spanish espanol mexican mexicana mexicano colombian colombiano "
        "cumbia bachata merengue salsa flamenco tango urbano argentine argentino chilean chileno "
        "peruvian ranchera banda corrido corridos norteno dominicana dominican cubano cuban puerto bolero"
    ),
    "pt": "brazilian brazil brasileiro sertanejo mpb samba pagode forro bossa axe carioca portuguese fado",
    "fr": "french chanson francais quebecois",
    "de": "german deutsch deutschrap schlager austropop",
    "it": "italian italiano",
    "ar": "arabic arab egyptian lebanese khaleeji",
    "sv": "swedish svensk",
    "tr": "turkish turk arabesk",
    "fa": "persian iranian",
    "ms": "malay malaysian",
    "en": "british britpop uk english australian aussie canadian irish scottish nz kiwi american",
    OTHER: (
        "dutch finnish norwegian danish polish russian icelandic greek czech hungarian romanian "
        "ukrainian indonesian thai vietnamese filipino opm pinoy nigerian afrobeats hebrew israeli "
        "bhojpuri nepali sinhala swahili zulu amharic"
    ),
}.items():
    for _word in _words.split():
        WORDS[_word] = _code
# Word prefixes: k-pop, k-rap, k-indie ... ; j-pop, j-rock, j-idol ...
PREFIXES = {"k-": "ko", "j-": "ja"}


def evidence_of(label: str) -> set[str]:
    """The languages one genre label or artist tag names ("tamil pop" -> {"ta"})."""
    text = label.strip().lower()
    if text in LABELS:
        return {LABELS[text]} - {""}
    found: set[str] = set()
    for word in text.split():
        if word in WORDS:
            found.add(WORDS[word])
        elif word[:2] in PREFIXES and len(word) > 2:
            found.add(PREFIXES[word[:2]])
        else:
            # "samba-jazz", "latin-jazz": the first part of a hyphenated word counts.
            head = word.split("-", 1)[0]
            if head != word and head in WORDS:
                found.add(WORDS[head])
    return found


def resolve(evidence: Iterable[str]) -> str | None:
    """One language code from a step's evidence; UNKNOWN when it conflicts; None when silent."""
    found = set(evidence)
    if not found:
        return None
    regional = found & REGIONAL_INDIAN
    if len(regional) == 1:
        return next(iter(regional))
    if len(regional) > 1:
        return UNKNOWN
    others = found - {"en", INDIAN_UNSTATED}
    if {"hi", "ur"} <= others:
        others.discard("ur")
    if INDIAN_UNSTATED in found and (not others or not others <= {"hi", "ur"}):
        return UNKNOWN
    if len(others) > 1 or OTHER in others:
        return UNKNOWN
    if others:
        return next(iter(others))
    return "en" if "en" in found else None


def derive_language(
    *,
    track_genres: Iterable[str],
    artist_tags: Iterable[str] = (),
    artist_indian: bool = False,
    lead_artist_genres: Iterable[str] = (),
    instrumentalness: float | None = None,
) -> str:
    """The language code of a track by the rule in the module docstring (UNKNOWN, never a guess)."""
    if instrumentalness is not None and instrumentalness >= INSTRUMENTALNESS_MIN:
        return INSTRUMENTAL
    own: set[str] = set()
    for label in (*track_genres, *artist_tags):
        own |= evidence_of(label)
    if artist_indian:
        own.add(INDIAN_UNSTATED)
    language = resolve(own)
    if language is not None:
        return language
    inherited: set[str] = set()
    for label in lead_artist_genres:
        inherited |= evidence_of(label)
    return resolve(inherited) or UNKNOWN
