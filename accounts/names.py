"""Normalisation of people's names, so "A. R. Rahman" and "a r rahman" are one singer."""

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalise_name(name: str) -> str:
    """Lower-case ASCII-folded words separated by single spaces ("" for a blank name).

    Letters outside Latin scripts are kept as they are (a Tamil name stays Tamil).
    """
    folded = unicodedata.normalize("NFKD", str(name))
    words: list[str] = []
    for chunk in folded.casefold().split():
        ascii_part = "".join(c for c in chunk if not unicodedata.combining(c))
        if ascii_part.isascii():
            words.extend(w for w in _NON_WORD.split(ascii_part) if w)
        else:
            words.append(re.sub(r"[\s.,'\"-]+", "", unicodedata.normalize("NFC", chunk)))
    return " ".join(w for w in words if w)
