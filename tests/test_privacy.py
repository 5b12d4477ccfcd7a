import pytest

from rettidig_cli.domain import fields, privacy


@pytest.mark.parametrize("text", [
    "010203-1234", "0102031234", "CPR 311299-0001 står her", "barnet (150617 4321) er", "Født 010101-4000.",
])
def test_cpr_like_numbers_are_found(text):
    assert privacy.contains_cpr(text)


@pytest.mark.parametrize("text", [
    "tlf. 30 67 04 07", "sag 2026-001", "12345678901", "320101-1234", "011301-1234", "1. marts 2026 kl. 14",
    "0102031234567",
])
def test_other_numbers_are_not_cpr(text):
    assert not privacy.contains_cpr(text)


def test_cpr_that_fails_modulus_11_is_still_refused():
    # 010203-1235 does not pass the old modulus-11 check; numbers since 2007 need not.
    assert privacy.contains_cpr("010203-1235")


def test_free_text_with_cpr_is_refused_with_reason():
    with pytest.raises(ValueError, match="CPR-nummer"):
        fields.text("Barnets nr er 010203-1234", "Bekymringen")


def test_clean_text_removes_escapes_and_control_characters():
    assert privacy.clean_text("a\x1b[31mrød\x1b[0m\x07b\r\nc\x00") == "arødb\nc"


def test_required_and_length():
    with pytest.raises(ValueError, match="skal udfyldes"):
        fields.text("   ", "Hvad")
    with pytest.raises(ValueError, match="for langt"):
        fields.text("x" * 61, "Navn", max_length=60)


def test_cpr_typed_into_a_date_field_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as err:
        fields.date("010203-1234", "Dato")
    assert "CPR" in str(err.value) and "1234" not in str(err.value)
