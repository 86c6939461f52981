"""zxcvbn over the shared, mapped dictionaries (``security/strength.py``, ``security/mapped.py``)
and the shipped data files (``flask_usercore/data/build.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from array import array
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from flask_usercore.data import build
from flask_usercore.security import mapped, strength

ROOT = Path(__file__).resolve().parents[2]

#: Passwords of every kind zxcvbn matches: dictionary words, l33t, reversed, keyboard
#: patterns, sequences, repeats, dates, years, user inputs, long and non-ASCII ones.
CORPUS = [
    "password", "Password1", "p@ssw0rd", "P4$$w0rd!", "drowssap", "tr0ub4dor&3",
    "Tr0ub4dor&3", "correcthorsebatterystaple", "Correct-Horse-Battery-Staple-42",
    "qwertyuiop", "qwertzuiop", "1qaz2wsx3edc", "zxcvbnm,./", "asdfghjkl;", "7896321",
    "abcdefgh", "zyxwvu", "13579", "aaaaaaaa", "abcabcabcabc", "mississippi",
    "01/02/1985", "19851231", "1.1.91", "2024-05-17", "31121999x", "1987", "july041776",
    "ada.lovelace@example.com", "AdaLovelace1815", "ecalevol-ada", "l0v3l4c3!",
    "jenniferjennifer", "smith1990", "Gandalf-the-grey", "iloveyou2", "letmein!!",
    "Vb7#kLm2!qXz", "aB3$kLm9!zQw2&xYpT7" * 3, "x" * 72, "Passwörter-sind-überall",
    "\u043f\u0430\u0440\u043e\u043b\u044c123", "\u5bc6\u7801password", "dragon" * 12,
    "batman1batman2batman3",
    "thequickbrownfoxjumpsoverthelazydog", "Monkey!Monkey!", "r0ck$t4r-2011",
]
USER_INPUTS = ["ada.lovelace@example.com", "ada.lovelace", "ada", "lovelace", "countess"]

SCRIPT = textwrap.dedent("""
    import json, sys
    corpus, inputs, mode = json.loads(sys.stdin.read())
    if mode == "plain":
        from zxcvbn import zxcvbn as run
    else:
        from flask_usercore.security.strength import estimate as run
    out = []
    for password in corpus:
        for words in ([], inputs):
            result = run(password, user_inputs=words)
            out.append([result["score"], str(result["guesses"]), [
                [m["pattern"], m["i"], m["j"], m["token"], m.get("dictionary_name"),
                 m.get("rank"), m.get("matched_word"), m.get("l33t"), m.get("reversed")]
                for m in result["sequence"]]])
    if mode == "mapped":
        from flask_usercore.security import strength
        assert strength._load().shared, "the shared file was not used"
    print(json.dumps(out))
""")


def run_in_subprocess(mode: str) -> list[Any]:
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, check=True,
                          capture_output=True, text=True,
                          input=json.dumps([CORPUS, USER_INPUTS, mode]))
    return list(json.loads(done.stdout))


def test_scores_equal_plain_zxcvbn_on_a_corpus() -> None:
    plain, shared = run_in_subprocess("plain"), run_in_subprocess("mapped")
    assert len(plain) == 2 * len(CORPUS)
    for index, (expected, found) in enumerate(zip(plain, shared, strict=True)):
        assert found == expected, (CORPUS[index // 2], index % 2)
    scores = {result[0] for result in plain}
    assert scores == {0, 1, 2, 3, 4}  # the corpus spans every score


def test_the_shipped_files_are_what_the_sources_build() -> None:
    data = files("flask_usercore.data")
    source = data.joinpath("leaked-passwords.txt.xz").read_bytes()
    assert data.joinpath("leaked-passwords.index.txt").read_bytes() \
        == build.leaked.build_index_from_resource(source)
    # the installed zxcvbn's lists (imported here in a subprocess: they weigh 13 MiB)
    script = ("import sys; from flask_usercore.data import build; "
              "sys.stdout.buffer.write(build.build_zxcvbn(*build.zxcvbn_source()))")
    built = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True,
                           capture_output=True).stdout
    assert data.joinpath(strength.RESOURCE).read_bytes() == built


def test_a_ranked_dictionary_answers_like_zxcvbns_dict() -> None:
    table = strength._Table(mapped.open_resource(strength.RESOURCE))
    passwords = strength.RankedDictionary(table, "passwords")
    names = strength.RankedDictionary(table, "male_names")
    assert passwords["123456"] == 1 and passwords["password"] == 2
    assert "password" in passwords and "password" not in names
    assert passwords.get("not-a-word-at-all") is None and 42 not in passwords  # type: ignore[comparison-overlap]
    with pytest.raises(KeyError):
        names["password"]
    assert len(passwords) == 30_000 and len(names) == 983
    assert list(names)[:2] == [w for w, _ in sorted(names.items(), key=lambda i: i[1])][:2]
    assert "x" * 100 not in passwords


def test_words_sharing_a_key_are_told_apart(monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setattr(strength, "word_key", lambda encoded: 7)
    monkeypatch.setattr(build, "word_key", lambda encoded: 7)
    path = tmp_path / "t.bin"
    path.write_bytes(build.build_zxcvbn({"a": ["one", "two"], "b": ["three"]}, "x"))
    table = strength._Table(mapped.MappedFile.open(path))
    assert [table.find(w) for w in ("one", "two", "three", "four")] \
        == [(0, 1), (0, 2), (1, 1), None]
    assert list(strength.RankedDictionary(table, "a")) == ["one", "two"]


def test_mapped_sections_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "t.bin"
    path.write_bytes(mapped.pack({"a": array("Q", [1, 2**63]), "b": b"xyz",
                                  "c": array("H", [7])}, note="n"))
    found = mapped.MappedFile.open(path)
    assert found.header["note"] == "n"
    assert list(found.section("a")) == [1, 2**63]
    assert bytes(found.section("b")) == b"xyz" and list(found.section("c")) == [7]
    with pytest.raises(ValueError):
        mapped.MappedFile(b"not a mapped file at all")


def test_user_inputs_of_concurrent_estimates_stay_apart() -> None:
    results: dict[str, int] = {}
    barrier = threading.Barrier(8)

    def score(name: str) -> None:
        barrier.wait()
        for _ in range(5):
            result = strength.estimate("zebulonquixotic77", user_inputs=[name])
            results[name] = min(results.get(name, 5), result["score"])

    names = ["zebulonquixotic", *[f"other{n}" for n in range(7)]]
    threads = [threading.Thread(target=score, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["zebulonquixotic"] <= 1  # its own input makes it guessable
    assert all(results[name] >= 3 for name in names[1:])


def test_first_load_is_once_under_concurrency(monkeypatch: pytest.MonkeyPatch) -> None:
    script = textwrap.dedent("""
        import threading
        from flask_usercore.security import leaked, mapped, strength
        opened = []
        real = strength.open_resource
        strength.open_resource = lambda name: opened.append(name) or real(name)
        barrier = threading.Barrier(8)
        found = []
        def work():
            barrier.wait()
            found.append((strength.estimate("password1")["score"], leaked.is_leaked("dragon"),
                          id(strength._load()), id(leaked._load())))
        threads = [threading.Thread(target=work) for _ in range(8)]
        [t.start() for t in threads]; [t.join() for t in threads]
        assert opened == [strength.RESOURCE], opened
        assert len(set(found)) == 1 and found[0][:2] == (0, True), found
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_nothing_heavy_is_loaded_at_start_up(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import sys
        from example_app import create_app
        app = create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / 'a.db'}",
                          "USERCORE_MAIL_OUTBOX": "{tmp_path / 'outbox'}",
                          "USERCORE_SMS_OUTBOX": "{tmp_path / 'sms'}"}})
        assert app.test_client().get("/v2/password-policies/mittwald").status_code == 200
        from flask_usercore.security import leaked, strength
        heavy = sorted(m for m in sys.modules if m.startswith("zxcvbn"))
        assert not heavy and strength._loaded is None and leaked._lines is None, heavy
        from flask_usercore.security.policy import MITTWALD
        assert MITTWALD.check("Correct-Horse-Battery-Staple-42") is None
        assert "zxcvbn.frequency_lists" not in sys.modules
        assert not any(len(d) == 30000 and isinstance(d, dict)
                       for d in sys.modules["zxcvbn.matching"].RANKED_DICTIONARIES.values())
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_zxcvbn_imported_before_keeps_its_own_dictionaries() -> None:
    script = textwrap.dedent("""
        import zxcvbn
        from flask_usercore.security import strength
        loaded = strength._load()
        assert not loaded.shared
        assert strength.estimate("password", ["x"])["score"] == 0
        assert zxcvbn.zxcvbn("adalovelace1", ["adalovelace"])["score"] == strength.estimate(
            "adalovelace1", ["adalovelace"])["score"]
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "ok", done.stderr


def test_a_too_long_password_is_refused_like_zxcvbn() -> None:
    with pytest.raises(ValueError):
        strength.estimate("x" * (strength.MAX_LENGTH + 1))


def test_other_zxcvbn_lists_fall_back_to_zxcvbns_own_dictionaries() -> None:
    script = textwrap.dedent("""
        import logging
        from flask_usercore.security import strength
        logging.basicConfig()
        strength._source_sha256 = lambda: "another zxcvbn"
        assert not strength._load().shared
        import zxcvbn.matching
        assert type(zxcvbn.matching.RANKED_DICTIONARIES["passwords"]) is dict
        assert strength.estimate("password1")["score"] == 0
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True)
    assert done.stdout.strip() == "ok", done.stderr
    assert "differ from zxcvbn-dictionaries.bin" in done.stderr
