"""Key rotation: USERCORE_SECRET_KEY_FALLBACKS in the config, the secret box and code hashes."""

from __future__ import annotations

import pytest

from flask_usercore import ConfigError
from flask_usercore.config import load_config
from flask_usercore.security.codes import code_matches, hash_code, hash_code_all
from flask_usercore.security.crypto import SecretBox

OLD = "old-secret-key-0123456789abcdef"
OLDER = "older-secret-key-0123456789abcd"
NEW = "new-secret-key-0123456789abcdef"


class TestSecretBox:
    def test_decrypts_what_any_key_made_and_encrypts_with_the_current_one(self) -> None:
        old, older = SecretBox(OLD).encrypt("seed-1"), SecretBox(OLDER).encrypt("seed-2")
        box = SecretBox(NEW, (OLD, OLDER))
        assert box.decrypt(old) == "seed-1"
        assert box.decrypt(older) == "seed-2"
        new = box.encrypt("seed-3")
        assert SecretBox(NEW).decrypt(new) == "seed-3"
        with pytest.raises(ValueError, match="cannot be decrypted"):
            SecretBox(OLD).decrypt(new)

    def test_without_the_old_key_it_cannot_decrypt(self) -> None:
        with pytest.raises(ValueError, match="cannot be decrypted"):
            SecretBox(NEW, (OLDER,)).decrypt(SecretBox(OLD).encrypt("seed"))

    def test_rotated_reencrypts_only_what_an_old_key_made(self) -> None:
        box = SecretBox(NEW, (OLD,))
        assert box.rotated(box.encrypt("seed")) is None
        rotated = box.rotated(SecretBox(OLD).encrypt("seed"))
        assert rotated is not None
        assert SecretBox(NEW).decrypt(rotated) == "seed"

    @pytest.mark.parametrize("ciphertext", ["", "garbage", "ünïcode"])
    def test_rotated_refuses_garbage(self, ciphertext: str) -> None:
        with pytest.raises(ValueError):
            SecretBox(NEW, (OLD,)).rotated(ciphertext)

    def test_rotated_refuses_an_unknown_key(self) -> None:
        with pytest.raises(ValueError, match="cannot be decrypted"):
            SecretBox(NEW, (OLD,)).rotated(SecretBox(OLDER).encrypt("seed"))


class TestCodeHashes:
    def test_hash_under_each_key_current_first(self) -> None:
        assert hash_code_all((NEW, OLD), "recovery", "CODE") == [
            hash_code(NEW, "recovery", "CODE"), hash_code(OLD, "recovery", "CODE")]

    def test_a_hash_under_any_key_matches(self) -> None:
        stored = hash_code(OLD, "registration", "12345678")
        assert code_matches(stored, (NEW, OLD), "registration", "12345678")
        assert not code_matches(stored, (NEW,), "registration", "12345678")
        assert not code_matches(stored, (NEW, OLD), "registration", "12345679")
        assert not code_matches(stored, (NEW, OLD), "password-reset", "12345678")


class TestConfig:
    def test_no_fallbacks_by_default(self) -> None:
        config = load_config({"SECRET_KEY": NEW})
        assert config.secret_key_fallbacks == ()
        assert config.secret_keys == (NEW,)

    def test_usercore_fallbacks_from_a_list(self) -> None:
        config = load_config({"USERCORE_SECRET_KEY": NEW,
                              "USERCORE_SECRET_KEY_FALLBACKS": [OLD, OLDER]})
        assert config.secret_key_fallbacks == (OLD, OLDER)
        assert config.secret_keys == (NEW, OLD, OLDER)

    def test_flask_fallbacks_go_with_flask_secret_key(self) -> None:
        config = load_config({"SECRET_KEY": NEW, "SECRET_KEY_FALLBACKS": [OLD]})
        assert config.secret_keys == (NEW, OLD)

    def test_flask_fallbacks_are_not_used_with_usercore_secret_key(self) -> None:
        config = load_config({"SECRET_KEY": NEW, "SECRET_KEY_FALLBACKS": [OLD],
                              "USERCORE_SECRET_KEY": OLDER})
        assert config.secret_keys == (OLDER,)

    def test_usercore_fallbacks_win_over_flask_fallbacks(self) -> None:
        config = load_config({"SECRET_KEY": NEW, "SECRET_KEY_FALLBACKS": [OLD],
                              "USERCORE_SECRET_KEY_FALLBACKS": [OLDER]})
        assert config.secret_keys == (NEW, OLDER)

    @pytest.mark.parametrize("value", [OLD, [OLD, 5], None, 3])
    def test_not_a_list_of_strings(self, value: object) -> None:
        with pytest.raises(ConfigError, match="USERCORE_SECRET_KEY_FALLBACKS must be a list"):
            load_config({"SECRET_KEY": NEW, "USERCORE_SECRET_KEY_FALLBACKS": value})

    def test_flask_fallbacks_must_be_a_list(self) -> None:
        with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS must be a list"):
            load_config({"SECRET_KEY": NEW, "SECRET_KEY_FALLBACKS": OLD})

    @pytest.mark.parametrize("config", [
        {"USERCORE_SECRET_KEY_FALLBACKS": ["short"]},
        {"SECRET_KEY_FALLBACKS": ["short"]},
    ])
    def test_short_fallback_refused(self, config: dict[str, object]) -> None:
        with pytest.raises(ConfigError, match="at least 16 characters"):
            load_config({"SECRET_KEY": NEW, **config})
