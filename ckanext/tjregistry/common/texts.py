"""Which texts are written inline in both languages and which are translated.

The rule:

* What an action or auth function returns to a program (``ValidationError`` field
  messages, refusal reasons, history notes) is written inline as ``中文 / English``:
  API clients, logs, e-mails and the history read it without a request language.
* What a page shows goes through the translation catalogue (``_()`` in Python,
  ``{{ _('...') }}`` in templates; ``i18n/``), Chinese first and English complete.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk


def bilingual(zh: str, en: str) -> str:
    return f"{zh} / {en}"


class FieldError(tk.ValidationError):
    """A ``ValidationError`` on one field with one bilingual message."""

    def __init__(self, field: str, zh: str, en: str) -> None:
        super().__init__({field: [bilingual(zh, en)]})


def field_error(field: str, zh: str, en: str) -> FieldError:
    return FieldError(field, zh, en)


def in_language(message: object, lang: str) -> str:
    """The half of an inline bilingual message (or list of them) a page in ``lang``
    shows: ``诚信承诺不能为空 / pledge is required`` reads 诚信承诺不能为空 in Chinese."""
    messages = message if isinstance(message, list) else [message]
    halves = []
    for text in map(str, messages):
        zh, separator, en = text.partition(" / ")
        halves.append((en if lang.startswith("en") else zh) if separator else text)
    return "; ".join(halves)
