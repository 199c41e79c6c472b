"""Human-friendly, unguessable identifiers (RMA and claim numbers)."""

import re
import secrets

# Crockford's base32 without I, L, O, U: nothing to misread on a label or over the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(prefix: str, groups: int = 2, group_size: int = 4) -> str:
    """E.g. `R-7KQ4-M9XP`: 40 random bits for the default size, so numbers cannot be guessed."""
    parts = ["".join(secrets.choice(ALPHABET) for _ in range(group_size)) for _ in range(groups)]
    return "-".join([prefix, *parts])


_SEPARATORS = re.compile(r"[\s\-_./]+")
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalize_code(raw: str) -> str:
    """Accept what a person or scanner types: any case, spaces or dashes between the groups, and
    the usual look-alikes. `r-7kq4 m9xp` and `R 7KQ4_M9XP` both give `R-7KQ4-M9XP`.

    Runs of separators become one dash (the printed form), so the result can be looked up as is;
    the prefixes in use (R, C, SC) contain none of the look-alikes.
    """
    parts = _SEPARATORS.split(raw.strip().upper())
    return "-".join(part for part in parts if part).translate(_LOOK_ALIKES)
