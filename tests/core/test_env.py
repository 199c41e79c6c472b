import os
import stat

import pytest

from retour.core.env import env_bool, env_int, env_list, env_str, persistent_secret


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("true", True), ("YES", True), (" on ", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("RETOUR_FLAG", raw)

    assert env_bool("RETOUR_FLAG") is expected


def test_env_bool_uses_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("RETOUR_FLAG", raising=False)

    assert env_bool("RETOUR_FLAG", True) is True


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_env_bool_refuses_junk(monkeypatch, raw):
    monkeypatch.setenv("RETOUR_FLAG", raw)

    with pytest.raises(ValueError, match="RETOUR_FLAG"):
        env_bool("RETOUR_FLAG")


def test_env_int_refuses_junk(monkeypatch):
    monkeypatch.setenv("RETOUR_PORT", "eighty")

    with pytest.raises(ValueError, match="RETOUR_PORT"):
        env_int("RETOUR_PORT", 80)


def test_env_int_uses_the_default_when_empty(monkeypatch):
    monkeypatch.setenv("RETOUR_PORT", " ")

    assert env_int("RETOUR_PORT", 80) == 80


def test_env_str_reads_a_secret_from_the_file_named_by_name_file(monkeypatch, tmp_path):
    secret = tmp_path / "password"
    secret.write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("RETOUR_DB_PASSWORD", "from-env")
    monkeypatch.setenv("RETOUR_DB_PASSWORD_FILE", str(secret))

    assert env_str("RETOUR_DB_PASSWORD") == "s3cret"


def test_env_str_falls_back_to_the_variable(monkeypatch):
    monkeypatch.delenv("RETOUR_NAME_FILE", raising=False)
    monkeypatch.setenv("RETOUR_NAME", "value")

    assert env_str("RETOUR_NAME") == "value"


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("RETOUR_HOSTS", " a.example , ,b.example,")

    assert env_list("RETOUR_HOSTS") == ["a.example", "b.example"]


def test_persistent_secret_creates_an_owner_only_file(tmp_path):
    path = tmp_path / "data" / "secret_key"

    secret = persistent_secret(path)

    assert path.read_text(encoding="utf-8") == secret
    assert len(secret) >= 50
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_persistent_secret_reads_the_same_secret_again(tmp_path):
    path = tmp_path / "secret_key"
    first = persistent_secret(path)

    assert persistent_secret(path) == first
