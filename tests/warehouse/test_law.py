"""The destruction rules as data: AGEC in France, the ESPR ban on apparel and footwear."""

from datetime import date

from retour.warehouse import law
from retour.warehouse.choices import Disposition, EnterpriseSize

BEFORE_ESPR = date(2026, 7, 18)
AFTER_ESPR = date(2026, 7, 19)


def _judge(
    disposition,
    *,
    country="FR",
    category="apparel/shirts",
    size="large",
    on=AFTER_ESPR,
    derogations=(),
):
    return law.judge(
        disposition, country=country, category=category, size=size, on=on, derogations=derogations
    )


def test_destroying_apparel_in_france_falls_under_both_rules():
    verdict = _judge(Disposition.DESTROY)

    assert not verdict.allowed
    assert {ban.code for ban in verdict.bans} == {"fr_agec", "eu_espr"}
    assert "L541-15-8" in verdict.citations
    assert "2024/1781" in verdict.citations


def test_a_derogation_under_each_rule_allows_it():
    verdict = _judge(Disposition.DESTROY, derogations=["fr_health_safety", "eu_health_safety"])

    assert verdict.allowed
    assert verdict.derogations == ("fr_health_safety", "eu_health_safety")


def test_a_derogation_under_one_rule_only_is_not_enough():
    verdict = _judge(Disposition.DESTROY, derogations=["eu_health_safety"])

    assert not verdict.allowed
    assert [ban.code for ban in verdict.missing()] == ["fr_agec"]


def test_the_espr_ban_starts_on_19_july_2026_for_large_enterprises():
    assert _judge(Disposition.DESTROY, country="DE", on=BEFORE_ESPR).allowed
    assert not _judge(Disposition.DESTROY, country="DE", on=AFTER_ESPR).allowed


def test_the_espr_ban_waits_until_2030_for_medium_and_spares_small_enterprises():
    assert _judge(Disposition.DESTROY, country="DE", size=EnterpriseSize.MEDIUM).allowed
    assert not _judge(
        Disposition.DESTROY, country="DE", size=EnterpriseSize.MEDIUM, on=date(2030, 7, 19)
    ).allowed
    assert _judge(Disposition.DESTROY, country="DE", size=EnterpriseSize.SMALL).allowed


def test_espr_counts_recycling_unsold_apparel_as_destruction_but_agec_does_not():
    assert not _judge(Disposition.RECYCLE, country="DE").allowed
    assert _judge(Disposition.RECYCLE, category="electronics/phones").allowed


def test_agec_spares_food_and_applies_only_in_france():
    assert _judge(Disposition.DESTROY, category="food/snacks").allowed
    assert _judge(Disposition.DESTROY, country="US", category="electronics").allowed
    assert not _judge(Disposition.DESTROY, category="electronics").allowed


def test_the_espr_ban_does_not_apply_outside_the_eea():
    assert _judge(Disposition.DESTROY, country="US").allowed


def test_every_derogation_has_a_citation():
    for ban in law.BANS:
        assert ban.derogations
        assert all(d.citation and d.code and str(d.label) for d in ban.derogations)
