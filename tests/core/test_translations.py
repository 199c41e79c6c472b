"""French ships with English: every catalogue is complete, and its compiled file is current."""

import gettext
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

import retour

CATALOGUES = sorted(Path(retour.__file__).parent.glob("**/locale/fr/LC_MESSAGES/django.po"))


def _messages(po: Path):
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    return [message for message in catalogue if message.id]


def test_there_are_catalogues():
    assert len(CATALOGUES) >= 5


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: str(po.parents[3].name))
def test_every_message_is_translated_and_none_is_fuzzy(po):
    untranslated = [
        message.id
        for message in _messages(po)
        if message.fuzzy
        or not all(message.string if isinstance(message.string, tuple) else [message.string])
    ]
    assert untranslated == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda po: str(po.parents[3].name))
def test_the_compiled_catalogue_matches_its_source(po):
    with po.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for message in _messages(po):
        if isinstance(message.id, tuple):
            singular = message.id[0]
            expected = message.string[0]
            got = (
                compiled.npgettext(message.context, *message.id, 1)
                if message.context
                else compiled.ngettext(*message.id, 1)
            )
        else:
            singular, expected = message.id, message.string
            got = (
                compiled.pgettext(message.context, singular)
                if message.context
                else compiled.gettext(singular)
            )
        if got != expected:
            stale.append(singular)
    assert stale == []
