import re

from retour.core.codes import ALPHABET, normalize_code, random_code


def test_random_code_has_a_prefix_and_two_groups_of_four():
    assert re.fullmatch(r"R-[0-9A-Z]{4}-[0-9A-Z]{4}", random_code("R"))


def test_random_code_uses_only_the_unambiguous_alphabet():
    codes = [random_code("R", groups=4) for _ in range(200)]
    characters = set("".join(code.removeprefix("R-").replace("-", "") for code in codes))

    assert characters <= set(ALPHABET)
    assert not characters & set("ILOU")


def test_random_code_honours_groups_and_size():
    assert re.fullmatch(r"C(-[0-9A-Z]{3}){3}", random_code("C", groups=3, group_size=3))


def test_random_codes_do_not_repeat():
    assert len({random_code("R") for _ in range(1000)}) == 1000


def test_the_alphabet_is_crockford_base32_without_look_alikes():
    assert len(ALPHABET) == 32
    assert len(set(ALPHABET)) == 32


def test_normalize_code_accepts_what_a_person_types():
    assert normalize_code(" r-7kq4 m9xp ") == "R-7KQ4-M9XP"


def test_normalize_code_turns_any_separator_into_one_dash():
    assert normalize_code("R 7KQ4__M9XP") == "R-7KQ4-M9XP"
    assert normalize_code("sc-abcd-efgh-jkmn") == "SC-ABCD-EFGH-JKMN"


def test_normalize_code_maps_look_alikes_to_digits():
    assert normalize_code("r-o1l1") == "R-0111"
