"""Loading and creating the shared PET key: environment first, then an owner-only key file."""

from __future__ import annotations

import stat

import pytest

from p20_platform.linkage.pet_key import KEY_ENV, KEY_FILE_ENV, PetKeyError, create_demo_key, load_pet_key
from p20_platform.settings import paths


@pytest.fixture(autouse=True)
def no_key_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


def test_demo_key_is_owner_only_and_loads(tmp_path):
    path = create_demo_key(paths(tmp_path))

    assert path == tmp_path / "pet.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = load_pet_key(paths(tmp_path))
    assert len(key) == 32
    assert key == bytes.fromhex(path.read_text())


def test_demo_key_refuses_to_overwrite(tmp_path):
    path = create_demo_key(paths(tmp_path))
    before = path.read_text()

    with pytest.raises(PetKeyError, match="refusing to overwrite"):
        create_demo_key(paths(tmp_path))
    assert path.read_text() == before


def test_two_demo_keys_differ(tmp_path):
    create_demo_key(paths(tmp_path / "a"))
    create_demo_key(paths(tmp_path / "b"))

    assert load_pet_key(paths(tmp_path / "a")) != load_pet_key(paths(tmp_path / "b"))


def test_environment_key_wins_over_file(tmp_path, monkeypatch):
    create_demo_key(paths(tmp_path))
    monkeypatch.setenv(KEY_ENV, "ab" * 32)

    assert load_pet_key(paths(tmp_path)) == bytes.fromhex("ab" * 32)


def test_key_file_from_environment(tmp_path, monkeypatch):
    path = create_demo_key(paths(tmp_path / "elsewhere"))
    monkeypatch.setenv(KEY_FILE_ENV, str(path))

    assert load_pet_key(paths(tmp_path / "empty-home")) == bytes.fromhex(path.read_text())


def test_missing_key_is_a_clear_error(tmp_path):
    with pytest.raises(PetKeyError, match="no PET key: set \\$P20_PET_KEY"):
        load_pet_key(paths(tmp_path))


@pytest.mark.parametrize("value, message", [("not-hex", "not hexadecimal"), ("abcd", "at least 16")])
def test_bad_environment_key_is_rejected_without_echoing_it(monkeypatch, tmp_path, value, message):
    monkeypatch.setenv(KEY_ENV, value)

    with pytest.raises(PetKeyError, match=message) as error:
        load_pet_key(paths(tmp_path))
    assert value not in str(error.value)


def test_key_file_readable_by_others_is_refused(tmp_path):
    path = create_demo_key(paths(tmp_path))
    path.chmod(0o644)

    with pytest.raises(PetKeyError, match="chmod 600"):
        load_pet_key(paths(tmp_path))
