"""The risk score's column: copied from the stored decision by migration 0006 for older returns."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from retour.returns.models import Return
from tests.factories import ReturnFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "retour.returns.migrations.0006_return_risk_score_queue_indexes"
)


def test_the_migration_copies_each_decision_risk_score_and_leaves_the_others_empty(store_a):
    scored, unscored, without = (ReturnFactory(order__store=store_a) for _ in range(3))
    Return.objects.filter(pk=scored.pk).update(decision={"risk": {"score": 70, "signals": []}})
    Return.objects.filter(pk=unscored.pk).update(decision={"outcome": "approve", "risk": None})

    migration.copy_risk_scores(apps, SimpleNamespace(connection=connection))

    scores = dict(Return.objects.values_list("pk", "risk_score"))
    assert scores == {scored.pk: 70, unscored.pk: None, without.pk: None}
