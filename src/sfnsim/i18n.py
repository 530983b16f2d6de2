"""Languages for what sfnsim tells people: English (the source text) and Simplified Chinese.

The standard gettext machinery: messages are written in English in the code and in the exercise
files, and ``locale/<code>/LC_MESSAGES/sfnsim.mo`` (compiled from the ``.po`` next to it) holds
their translations. Field names, state names and values are never translated: they are what the
learner types into a definition and what AWS prints.

The Python API speaks English until ``use_language()`` is called; the command line calls it with
``--lang`` or, without it, with the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``).
"""

from __future__ import annotations

import contextlib
import gettext
import os
from pathlib import Path
from typing import Iterator

from sfnsim.errors import SfnSimError

DOMAIN = "sfnsim"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENGLISH = "en"
CHINESE = "zh-CN"
LANGUAGES: dict[str, str] = {ENGLISH: "English", CHINESE: "简体中文"}
# BCP 47 tag (what --lang takes and HTML's lang attribute wants) -> gettext catalogue directory.
_CATALOGUES = {ENGLISH: None, CHINESE: "zh_CN"}
_ENVIRONMENT = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


class UnknownLanguage(SfnSimError):
    """A language sfnsim has no text for."""


_translation: gettext.NullTranslations = gettext.NullTranslations()
_language = ENGLISH


def _(message: str) -> str:
    """``message`` in the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translation.ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Marks a message for translation where it is defined; ``_()`` translates it where it is used."""
    return message


def current_language() -> str:
    """The BCP 47 tag of the language in use: ``en`` or ``zh-CN``."""
    return _language


def normalise(tag: str) -> str:
    """``zh-CN``, ``zh_CN.UTF-8``, ``zh``, ``zh-Hans`` → ``zh-CN``; ``en_US`` → ``en``.

    Raises ``UnknownLanguage`` for a language sfnsim has no text for.
    """
    code = tag.strip().split(".", 1)[0].split("@", 1)[0].replace("_", "-").lower()
    if code in ("en", "c", "posix") or code.startswith("en-"):
        return ENGLISH
    if code in ("zh", "zh-cn", "zh-hans", "zh-sg") or code.startswith("zh-hans"):
        return CHINESE
    raise UnknownLanguage(f"no text in language {tag!r}; sfnsim speaks: {', '.join(LANGUAGES)}")


def from_environment() -> str:
    """The language the locale asks for, or English when it asks for one sfnsim does not speak."""
    for variable in _ENVIRONMENT:
        value = os.environ.get(variable, "")
        for tag in value.split(":") if variable == "LANGUAGE" else [value]:
            if tag:
                try:
                    return normalise(tag)
                except UnknownLanguage:
                    continue
        if value and variable != "LANGUAGE":
            break  # the first locale variable that is set decides, as in the C library
    return ENGLISH


def use_language(tag: str | None) -> str:
    """Speak ``tag`` from now on (``None``: the locale's language). Returns the tag in use."""
    global _translation, _language
    language = from_environment() if tag is None else normalise(tag)
    catalogue = _CATALOGUES[language]
    if catalogue is None:
        _translation = gettext.NullTranslations()
    else:
        _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[catalogue])
    _language = language
    return language


@contextlib.contextmanager
def language(tag: str | None) -> Iterator[str]:
    """Speak ``tag`` inside the ``with`` block, then the previous language again."""
    saved = (_translation, _language)
    try:
        yield use_language(tag)
    finally:
        _restore(*saved)


def _restore(translation: gettext.NullTranslations, tag: str) -> None:
    global _translation, _language
    _translation, _language = translation, tag


def aws_docs_url(page: str) -> str:
    """The AWS Step Functions Developer Guide page ``page`` (``state-choice.html#anchor``), in the
    current language where AWS publishes it (the Chinese pages are AWS's own translations)."""
    prefix = "https://docs.aws.amazon.com/zh_cn/" if _language == CHINESE else "https://docs.aws.amazon.com/"
    return f"{prefix}step-functions/latest/dg/{page}"
