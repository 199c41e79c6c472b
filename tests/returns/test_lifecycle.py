"""The return state machine: every (from, to) pair of statuses, legal or not."""

import itertools

import pytest
from django.db import transaction

from retour.core.actors import Actor, ActorKind
from retour.returns.choices import ReturnStatus
from retour.returns.lifecycle import TRANSITIONS, IllegalTransition, record_event, transition
from retour.returns.models import Return, ReturnEvent
from tests.factories import ReturnFactory

ALL_PAIRS = list(itertools.product(ReturnStatus.values, repeat=2))
LEGAL = [(a, b) for a, b in ALL_PAIRS if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a, b in ALL_PAIRS if b not in TRANSITIONS[a]]
CLERK = Actor(ActorKind.STAFF, label="clerk@example.com")


def _pair_id(pair) -> str:
    return f"{pair[0]}->{pair[1]}"


def test_every_status_has_an_entry_in_the_transition_table():
    assert set(TRANSITIONS) == set(ReturnStatus.values)


def test_transitions_only_lead_to_known_statuses():
    assert set().union(*TRANSITIONS.values()) <= set(ReturnStatus.values)


@pytest.mark.parametrize(
    "status", [ReturnStatus.REJECTED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED, "closed"]
)
def test_terminal_statuses_lead_nowhere(status):
    assert TRANSITIONS[status] == frozenset()


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), LEGAL, ids=map(_pair_id, LEGAL))
def test_a_legal_transition_changes_the_status_and_writes_one_event(current, target):
    return_request = ReturnFactory(status=current)

    with transaction.atomic():
        transition(return_request, target, actor=CLERK, data={"note": "n"})

    assert Return.objects.get(pk=return_request.pk).status == target
    event = ReturnEvent.objects.get(return_request=return_request)
    assert (event.from_status, event.to_status) == (current, target)
    assert (event.actor_kind, event.actor_label) == (ActorKind.STAFF, "clerk@example.com")
    assert event.data == {"note": "n"}


@pytest.mark.django_db
@pytest.mark.parametrize(("current", "target"), ILLEGAL, ids=map(_pair_id, ILLEGAL))
def test_an_illegal_transition_raises_and_writes_nothing(current, target):
    return_request = ReturnFactory(status=current)

    with pytest.raises(IllegalTransition), transaction.atomic():
        transition(return_request, target, actor=CLERK)

    assert Return.objects.get(pk=return_request.pk).status == current
    assert return_request.status == current
    assert not ReturnEvent.objects.filter(return_request=return_request).exists()


@pytest.mark.django_db
def test_an_illegal_transition_error_names_both_statuses():
    return_request = ReturnFactory(status=ReturnStatus.CLOSED)

    with pytest.raises(IllegalTransition) as caught, transaction.atomic():
        transition(return_request, ReturnStatus.APPROVED, actor=CLERK)

    assert caught.value.code == "illegal_transition"
    assert caught.value.details == {"current": "closed", "target": "approved"}


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_transition_outside_a_transaction():
    return_request = ReturnFactory(status=ReturnStatus.REQUESTED)

    with pytest.raises(RuntimeError):
        transition(return_request, ReturnStatus.APPROVED, actor=CLERK)

    assert Return.objects.get(pk=return_request.pk).status == ReturnStatus.REQUESTED


@pytest.mark.django_db
def test_record_event_keeps_the_status_on_both_sides():
    return_request = ReturnFactory(status=ReturnStatus.RECEIVED)

    event = record_event(return_request, "note", actor=CLERK, data={"text": "box dented"})

    assert (event.from_status, event.to_status) == ("received", "received")
    assert Return.objects.get(pk=return_request.pk).status == ReturnStatus.RECEIVED
