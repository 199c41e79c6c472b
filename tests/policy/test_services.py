"""Publishing a policy: validated, versioned, never edited, and never below the law."""

import pytest
from django.utils import translation

from retour.commerce.models import AuditEvent
from retour.policy.models import PolicyVersion
from retour.policy.selectors import compiled, current_version
from retour.policy.services import PolicyRefused, publish_policy
from tests.factories import SYSTEM, StoreFactory

pytestmark = pytest.mark.django_db


def test_publishing_creates_numbered_versions_and_never_edits_one(store_a):
    first = publish_policy(store=store_a, document={"window_days": 30}, actor=SYSTEM)
    second = publish_policy(store=store_a, document={"window_days": 45}, actor=SYSTEM)

    first.refresh_from_db()
    assert (first.number, first.document["window_days"]) == (1, 30)
    assert (second.number, second.document["window_days"]) == (2, 45)
    assert current_version(store_a) == second
    assert AuditEvent.objects.filter(verb="policy.published").count() == 2


def test_the_stored_document_is_the_validated_one(store_a):
    version = publish_policy(store=store_a, document={}, actor=SYSTEM)

    assert version.document["window_days"] == 30
    assert compiled(version).document.window_days == 30


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"window_days": 13}, "window_days"),
        ({"overrides": [{"category": "shoes", "window_days": 7}]}, "overrides.0.window_days"),
    ],
)
def test_an_eu_store_cannot_go_below_the_legal_floor(store_a, document, where):
    with pytest.raises(PolicyRefused) as refused:
        publish_policy(store=store_a, document=document, actor=SYSTEM)

    assert refused.value.details["field"] == where
    assert "Directive 2011/83/EU, art. 9" in refused.value.message
    assert not PolicyVersion.objects.exists()


def test_the_refusal_is_translated(store_a):
    with translation.override("fr"), pytest.raises(PolicyRefused) as refused:
        publish_policy(store=store_a, document={"window_days": 10}, actor=SYSTEM)

    assert "minimum légal de 14 jours" in refused.value.message


def test_a_non_returnable_category_is_not_a_short_window(store_a):
    document = {"overrides": [{"category": "food", "returnable": False, "window_days": 0}]}

    assert publish_policy(store=store_a, document=document, actor=SYSTEM).number == 1


def test_a_store_outside_the_eea_may_set_a_shorter_window(db):
    store = StoreFactory(country="US", currency="USD")

    assert publish_policy(store=store, document={"window_days": 7}, actor=SYSTEM).number == 1


def test_an_invalid_document_is_refused_with_every_problem(store_a):
    document = {"window_days": -1, "rules": [{"id": "x", "then": {"decision": "maybe"}}]}

    with pytest.raises(PolicyRefused) as refused:
        publish_policy(store=store_a, document=document, actor=SYSTEM)

    places = {error["loc"] for error in refused.value.details["errors"]}
    assert places == {"window_days", "rules.0.then.decision"}


def test_without_a_published_version_the_default_policy_applies(store_a):
    assert current_version(store_a) is None
    assert compiled(None).document.window_days == 30
