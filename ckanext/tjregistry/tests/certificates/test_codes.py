"""Registration codes: structure, ISO 7064 MOD 37-2 check character, randomness."""
from __future__ import annotations

import pytest

from ckanext.tjregistry.certificates import codes


def test_iso_7064_mod_37_2_reference_example():
    # The example of ISO/IEC 7064 for MOD 37-2.
    assert codes.mod37_2_check_char("G123498654321") == "H"
    assert codes.mod37_2_is_valid("G123498654321H")


def test_structure_and_printed_form():
    code = codes.make_code("120101", 2026, "R", 42, "K7Q3M")
    assert str(code) == f"TJ-120101-2026-R-00042-K7Q3M-{code.check}"
    assert code.compact == f"TJ1201012026R00042K7Q3M{code.check}"
    assert len(code.compact) == codes.CODE_LENGTH
    assert codes.mod37_2_is_valid(code.compact)


@pytest.mark.parametrize(
    "typed",
    [
        "{printed}",
        "{compact}",
        "{compact_lower}",
        " {spaced} ",
        "{printed_with_fullwidth_space}",
    ],
)
def test_parse_accepts_loose_typing(typed):
    code = codes.make_code("120119", 2027, "P", 7)
    text = typed.format(
        printed=str(code),
        compact=code.compact,
        compact_lower=code.compact.lower(),
        spaced=" ".join(code.compact),
        printed_with_fullwidth_space=str(code).replace("-", "\u3000"),
    )
    assert codes.parse(text) == code


def _sample_codes() -> list[codes.RegistrationCode]:
    return [
        codes.make_code(district, year, category, sequence)
        for district, year, category, sequence in [
            ("120000", 2025, "R", 1),
            ("120101", 2026, "P", 99999),
            ("120116", 2030, "R", 31337),
        ]
    ] + [codes.make_code("120104", 2026, "R", 500, random) for random in ("00000", "ZZZZZ")]


def test_every_single_character_typo_is_detected():
    alphabet = codes.CHECK_ALPHABET[:36]
    for code in _sample_codes():
        compact = code.compact
        for position, original in enumerate(compact):
            replacements = codes.CHECK_ALPHABET if position == len(compact) - 1 else alphabet
            for replacement in replacements:
                if replacement == original:
                    continue
                typo = compact[:position] + replacement + compact[position + 1 :]
                assert not codes.mod37_2_is_valid(typo), typo
                with pytest.raises(codes.InvalidCode):
                    codes.parse(typo)


def test_every_adjacent_transposition_is_detected():
    for code in _sample_codes():
        compact = code.compact
        for position in range(len(compact) - 1):
            a, b = compact[position], compact[position + 1]
            if a == b:
                continue
            swapped = compact[:position] + b + a + compact[position + 2 :]
            assert not codes.mod37_2_is_valid(swapped), swapped
            with pytest.raises(codes.InvalidCode):
                codes.parse(swapped)


def test_check_reason_is_reported_for_a_typo():
    code = codes.make_code("120101", 2026, "R", 12, "ABCDE")
    typo = code.compact.replace("ABCDE", "ABCDF")
    with pytest.raises(codes.InvalidCode) as caught:
        codes.parse(typo)
    assert caught.value.reason == "check"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "length"),
        ("TJ-120101-2026-R-00042", "length"),
        ("XX1201012026R00042ABCDE0", "format"),
        ("TJ1101012026R00042ABCDE0", "format"),  # not a Tianjin district
        ("TJ1201012026Q00042ABCDE0", "format"),  # unknown category
        ("TJ120101202GR00042ABCDE0", "format"),
    ],
)
def test_malformed_codes(text, reason):
    with pytest.raises(codes.InvalidCode) as caught:
        codes.parse(text)
    assert caught.value.reason == reason


def test_random_component_is_drawn_per_code():
    drawn = {codes.make_code("120101", 2026, "R", 1).random for _ in range(300)}
    # 32^5 values: 300 draws repeating more than a handful would mean no randomness.
    assert len(drawn) > 290
    assert all(set(part) <= set(codes.RANDOM_ALPHABET) for part in drawn)
    assert not set("ILOU") & set(codes.RANDOM_ALPHABET)


@pytest.mark.parametrize(
    ("district", "category", "sequence"),
    [("110101", "R", 1), ("120101", "X", 1), ("120101", "R", 0), ("120101", "R", 100000)],
)
def test_make_code_rejects_out_of_range_parts(district, category, sequence):
    with pytest.raises(ValueError):
        codes.make_code(district, 2026, category, sequence)


def test_category_letters_follow_dataset_types():
    assert codes.category_letter("data-resource") == "R"
    assert codes.category_letter("data-product") == "P"
    with pytest.raises(ValueError):
        codes.category_letter("dataset")
