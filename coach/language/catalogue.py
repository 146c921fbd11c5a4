"""The catalogues: every phrase the coach adds to a routine's own texts, per language, with the
language's plural rule, its decimal sign and what speaks it (the eSpeak NG voice, the Piper
voices' language code, the ISO 639-2 code that files are tagged with); and the phone page's
labels.

One TOML file per language in catalogues/ (its name is the language's tag): adding a language
is adding a file; `tests/test_languages.py` checks that it has every phrase English has, with
the same placeholders. A phrase is looked up by key, never by its English text, and a missing
key is an error, never English in its place.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

DEFAULT_LANGUAGE = "en"
PLURAL_RULES = {
    "one-is-1": lambda n: n == 1,
    "one-below-2": lambda n: n < 2,  # French: 0 and 1 (and 1.5) take the singular
}
"""A language's rule: whether a count takes the singular form ("one") or the plural ("other")."""


class UnknownLanguageError(ValueError):
    """A tag with no catalogue; the message lists the known tags."""

    def __init__(self, tag: str) -> None:
        known = ", ".join(known_tags())
        super().__init__(f"unknown language {tag!r}; the known languages are {known}")
        self.tag = tag


@dataclass(frozen=True)
class Language:
    """One language, as a tag names it ("de", "en-GB"): its phrases and what speaks it."""

    tag: str
    """The canonical tag: "en", "en-GB", "de"."""
    name: str
    """The language's name in itself ("Deutsch")."""
    espeak_voice: str
    """eSpeak NG's voice for it ("de", "en-gb")."""
    piper_code: str
    """The language code of Piper voices for it ("de_DE"), or its prefix ("de" takes any)."""
    piper_example: str
    """A published Piper voice for it, named where the coach says how to get a better voice."""
    iso639_2: str
    """The three-letter code of ID3's TLAN and other file tags ("deu")."""
    decimal: str
    """The decimal sign of a number said aloud ("," in German: "1,5 Sekunden")."""
    plural_rule: str
    phrases: Mapping[str, str | Mapping[str, str]]
    """What the coach says."""
    page: Mapping[str, str]
    """What the phone page shows around it (its labels, with `{placeholders}`)."""

    def say(self, key: str, **values: object) -> str:
        """The phrase `key` with its placeholders filled: `say("next_up", name="Lunge")`."""
        phrase = self.phrases[key]
        if not isinstance(phrase, str):
            raise TypeError(f"{key} has plural forms: use count()")
        return phrase.format(**values)

    def count(self, key: str, n: float, **values: object) -> str:
        """The phrase `key` in the form for `n` (singular or plural), `{n}` said as a number of
        this language: `count("reps", 8)` -> "8 Wiederholungen"."""
        forms = self.phrases[key]
        if isinstance(forms, str):
            raise TypeError(f"{key} has no plural forms: use say()")
        form = forms["one"] if PLURAL_RULES[self.plural_rule](n) else forms["other"]
        return form.format(n=self.number(n), **values)

    def number(self, value: float) -> str:
        """`value` as said: a whole number plainly, else with this language's decimal sign."""
        return f"{value:g}".replace(".", self.decimal)


def file_language(tag: str) -> str | None:
    """The ISO 639-2 code that files of a session in `tag` are tagged with; None for the
    default language, whose files carry no language tag (as they did before there were
    others), so the built-in session's files stay byte for byte the same."""
    spoken = language(tag)
    return None if spoken.tag == DEFAULT_LANGUAGE else spoken.iso639_2


def known_tags() -> list[str]:
    """Every tag with a catalogue (a language's, and its regional variants'), sorted."""
    return sorted(_tags())


def language(tag: str) -> Language:
    """The language of `tag`, in any case ("en-gb" is "en-GB"); a region with no catalogue of
    its own is its language's ("de-AT" is "de"). UnknownLanguageError for a language with no
    catalogue."""
    known = {t.lower(): t for t in _tags()}
    wanted = str(tag).lower().replace("_", "-")
    canonical = known.get(wanted) or known.get(wanted.split("-")[0])
    if canonical is None:
        raise UnknownLanguageError(str(tag))
    return _language(canonical)


@functools.cache
def _tags() -> dict[str, str]:
    """{tag: the file of its catalogue}: each file's own tag, and its variants'."""
    tags = {}
    for entry in (resources.files("coach.language") / "catalogues").iterdir():
        if entry.name.endswith(".toml"):
            file_tag = entry.name.removesuffix(".toml")
            tags[file_tag] = file_tag
            for variant in _read(file_tag).get("variants", {}):
                tags[variant] = file_tag
    return tags


@functools.cache
def _read(file_tag: str) -> dict:
    path = resources.files("coach.language") / "catalogues" / f"{file_tag}.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _language(tag: str) -> Language:
    file_tag = _tags()[tag]
    catalogue = _read(file_tag)
    about = dict(catalogue["language"]) | dict(catalogue.get("variants", {}).get(tag, {}))
    return Language(
        tag=tag,
        name=about["name"],
        espeak_voice=about["espeak"],
        piper_code=about["piper"],
        piper_example=about["piper_example"],
        iso639_2=about["iso639_2"],
        decimal=about["decimal"],
        plural_rule=about["plural"],
        phrases=catalogue["phrases"],
        page=catalogue["page"],
    )
