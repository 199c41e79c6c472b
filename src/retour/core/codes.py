"""Human-friendly, unguessable identifiers (RMA and claim numbers)."""

import secrets

# Crockford's base32 without I, L, O, U: nothing to misread on a label or over the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def random_code(prefix: str, groups: int = 2, group_size: int = 4) -> str:
    """E.g. `R-7KQ4-M9XP`: 40 random bits for the default size, so numbers cannot be guessed."""
    parts = ["".join(secrets.choice(ALPHABET) for _ in range(group_size)) for _ in range(groups)]
    return "-".join([prefix, *parts])


def normalize_code(raw: str) -> str:
    """Accept what a person or scanner types: any case, spaces, and the usual look-alikes."""
    cleaned = raw.strip().upper().replace(" ", "")
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
