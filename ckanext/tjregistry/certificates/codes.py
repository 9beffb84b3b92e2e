"""Registration codes (登记编号) printed on certificates.

Structure (24 characters, printed in groups as ``TJ-120101-2026-R-00042-K7Q3M-8``)::

    TJ      2  platform prefix (天津)
    120101  6  GB/T 2260 district code of the issuing institution (120000: city-wide)
    2026    4  year of first issue
    R       1  object category: R 公共数据资源, P 公共数据产品和服务
    00042   5  sequence per district, year and category (allocated in the database)
    K7Q3M   5  random component: 32^5 (about 33.5 million) values, so codes cannot be
               enumerated from the public sequence alone
    8       1  ISO/IEC 7064 MOD 37-2 check character over the 23 characters before it

MOD 37-2 is the pure ISO 7064 system for alphanumeric data: the weighted sum uses
weights 2^i modulo the prime 37, so any single substitution changes the sum by
(a - b) * 2^i and any adjacent transposition by (a - b) * 2^i as well, neither of which
is 0 modulo 37 for a != b. It therefore detects every single-character typo and
every adjacent transposition. The check character is one of ``0-9``, ``A-Z`` or ``*``.
(The hybrid system MOD 37,36 avoids ``*`` but misses some adjacent transpositions.)

The national unified code (登记结果查询码) is assigned by the national platform and is
kept in a separate field; it never replaces this code.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

PREFIX = "TJ"
CITY_DISTRICT_CODE = "120000"
CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
# The random part avoids I, L, O and U, which are read as 1, 1, 0 and V on paper.
RANDOM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RANDOM_LENGTH = 5
SEQUENCE_LENGTH = 5
MAX_SEQUENCE = 10**SEQUENCE_LENGTH - 1
CODE_LENGTH = 24

CATEGORY_LETTERS: dict[str, str] = {
    "data-resource": "R",
    "data-product": "P",
}

_COMPACT = re.compile(
    r"^TJ(?P<district>12\d{4})(?P<year>\d{4})(?P<category>[A-Z])"
    r"(?P<sequence>\d{5})(?P<random>[0-9A-Z]{5})(?P<check>[0-9A-Z*])$"
)
_SEPARATORS = re.compile(r"[\s\-_\u2010-\u2015\u2212\u3000]+")


class InvalidCode(ValueError):
    """A code that is malformed or whose check character does not match."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def mod37_2_check_char(data: str) -> str:
    """The ISO/IEC 7064 MOD 37-2 check character for ``data`` (``0-9A-Z`` only)."""
    total = 0
    for char in data:
        value = CHECK_ALPHABET.index(char)
        if value > 35:
            raise ValueError(f"{char!r} is not allowed before the check character")
        total = ((total + value) * 2) % 37
    return CHECK_ALPHABET[(38 - total) % 37]


def mod37_2_is_valid(data_with_check: str) -> bool:
    """True when the last character is the MOD 37-2 check character of the rest."""
    if len(data_with_check) < 2 or any(c not in CHECK_ALPHABET for c in data_with_check):
        return False
    body, check = data_with_check[:-1], data_with_check[-1]
    if any(c == "*" for c in body):
        return False
    return mod37_2_check_char(body) == check


@dataclass(frozen=True)
class RegistrationCode:
    district: str
    year: int
    category: str
    sequence: int
    random: str
    check: str

    @property
    def compact(self) -> str:
        return (
            f"{PREFIX}{self.district}{self.year:04d}{self.category}"
            f"{self.sequence:0{SEQUENCE_LENGTH}d}{self.random}{self.check}"
        )

    def __str__(self) -> str:
        return (
            f"{PREFIX}-{self.district}-{self.year:04d}-{self.category}-"
            f"{self.sequence:0{SEQUENCE_LENGTH}d}-{self.random}-{self.check}"
        )


def category_letter(dataset_type: str) -> str:
    try:
        return CATEGORY_LETTERS[dataset_type]
    except KeyError:
        raise ValueError(f"no code category for dataset type {dataset_type!r}") from None


def sequence_scope(district: str, year: int, category: str) -> str:
    """The key under which sequence numbers are counted, e.g. ``TJ1201012026R``."""
    return f"{PREFIX}{district}{year:04d}{category}"


def make_code(
    district: str, year: int, category: str, sequence: int, random_part: str | None = None
) -> RegistrationCode:
    if not re.fullmatch(r"12\d{4}", district):
        raise ValueError(f"{district!r} is not a Tianjin GB/T 2260 district code")
    if category not in CATEGORY_LETTERS.values():
        raise ValueError(f"unknown category letter {category!r}")
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise ValueError(f"sequence {sequence} out of range")
    if random_part is None:
        random_part = "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(RANDOM_LENGTH))
    if len(random_part) != RANDOM_LENGTH or any(c not in RANDOM_ALPHABET for c in random_part):
        raise ValueError(f"bad random component {random_part!r}")
    body = f"{sequence_scope(district, year, category)}{sequence:0{SEQUENCE_LENGTH}d}{random_part}"
    return RegistrationCode(
        district, year, category, sequence, random_part, mod37_2_check_char(body)
    )


def normalize(text: str) -> str:
    """Upper-case ``text`` and drop spaces and dashes, as people type codes loosely."""
    return _SEPARATORS.sub("", text or "").upper()


def parse(text: str) -> RegistrationCode:
    """Parse a code typed or printed in any grouping; raise :class:`InvalidCode`."""
    compact = normalize(text)
    if len(compact) != CODE_LENGTH:
        raise InvalidCode(
            "length",
            f"a registration code has {CODE_LENGTH} letters and digits, not {len(compact)}",
        )
    match = _COMPACT.match(compact)
    if not match or match["category"] not in CATEGORY_LETTERS.values():
        raise InvalidCode("format", "this is not the structure of a registration code")
    if not mod37_2_is_valid(compact):
        raise InvalidCode("check", "the check character does not match: the code has a typo")
    return RegistrationCode(
        match["district"],
        int(match["year"]),
        match["category"],
        int(match["sequence"]),
        match["random"],
        match["check"],
    )
