""""Did you mean ...?": one way to name the closest of the known names to one that missed, for
every name a user types (engines, voices, drills, routine and config keys).

difflib's ratio is enough for typos of names this short; `fold` makes case and accents not count
("Glúteos" is "gluteos"), so a miss that differs only by them is always suggested.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable


def fold(text: str) -> str:
    """Lower case, accents dropped (NFKD, combining marks removed): "Puente de Glúteos" ->
    "puente de gluteos". Letters of scripts without accents (Cyrillic, Greek, CJK) stay."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def closest(wanted: str, known: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to `n` of `known`, the closest to `wanted` first, compared folded; none is close
    enough when its similarity is below `cutoff` (difflib's ratio)."""
    names = list(dict.fromkeys(known))
    by_fold: dict[str, str] = {}
    for name in names:
        by_fold.setdefault(fold(name), name)
    near = difflib.get_close_matches(fold(wanted), list(by_fold), n=n, cutoff=cutoff)
    return [by_fold[key] for key in near]


def did_you_mean(wanted: str, known: Iterable[str], n: int = 1, cutoff: float = 0.6) -> str:
    """" Did you mean 'x'?" (or "'x', 'y' or 'z'" for up to `n`), with its leading space so it
    follows a sentence; "" when nothing known is close."""
    near = closest(wanted, known, n, cutoff)
    if not near:
        return ""
    quoted = [f"'{name}'" for name in near]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f" Did you mean {listed}?"
