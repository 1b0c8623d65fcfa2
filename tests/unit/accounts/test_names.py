import pytest

from accounts.languages import language_code
from accounts.names import normalise_name


@pytest.mark.parametrize(
    "spelling",
    ["A. R. Rahman", "a r rahman", "A.R. Rahman", "  A R   RAHMAN ", "A.R.Rahman"],
)
def test_spellings_of_one_singer_normalise_to_one_key(spelling):
    assert normalise_name(spelling) == "a r rahman"


def test_accents_are_folded_but_names_stay_distinct():
    assert normalise_name("Beyoncé") == "beyonce"
    assert normalise_name("K. S. Chithra") != normalise_name("K. J. Yesudas")


def test_non_latin_names_are_kept():
    assert normalise_name("இளையராஜா") == "இளையராஜா"


def test_blank_name_is_empty():
    assert normalise_name(" . ") == ""


def test_language_codes_accept_codes_and_names():
    assert language_code("te") == "te"
    assert language_code("Telugu") == "te"
    assert language_code("klingon") is None
