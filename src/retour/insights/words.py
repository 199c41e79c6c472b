"""The words shoppers use most in their comments, per language, stop words removed.

The stop-word lists are data (`stopwords/<language>.txt`); the tokenizer keeps letters (accents
included) and apostrophe-free words of at least `MIN_LENGTH` characters. No NLP library: counting
words is enough to surface "tight", "transparent" or "couleur" on a product's page.
"""

import re
from collections import Counter
from collections.abc import Iterable
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "fr")
MIN_LENGTH = 3
WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
STOPWORDS_DIR = Path(__file__).parent / "stopwords"


@cache
def stop_words(language: str) -> frozenset[str]:
    text = (STOPWORDS_DIR / f"{language}.txt").read_text(encoding="utf-8")
    lines = (line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(word for line in lines for word in line.split())


def language_of(locale: str) -> str:
    """The stop-word list for a shopper's locale ("fr-CA" → "fr"); English otherwise."""
    language = (locale or "").split("-")[0].split("_")[0].lower()
    return language if language in LANGUAGES else "en"


def words(text: str, language: str) -> list[str]:
    """The meaningful words of one comment, lower case, in order."""
    # An elision ("l'article", "qu'il") is split off so the word itself remains.
    stop = stop_words(language)
    return [
        word
        for word in WORD.findall(text.lower().replace("’", "'"))
        if len(word) >= MIN_LENGTH and word not in stop
    ]


def top_words(
    comments: Iterable[tuple[str, str]], limit: int = 5
) -> dict[str, list[tuple[str, int]]]:
    """The `limit` most frequent words per language among (text, locale) comments; ties are
    broken alphabetically so the answer does not depend on the comments' order."""
    counts: dict[str, Counter] = {language: Counter() for language in LANGUAGES}
    for text, locale in comments:
        language = language_of(locale)
        counts[language].update(words(text, language))
    return {
        language: sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]
        for language, counter in counts.items()
    }
