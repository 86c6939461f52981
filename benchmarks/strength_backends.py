"""Memory and time of one password strength check, per zxcvbn backend, one process each.

    python benchmarks/strength_backends.py [--repeat 200]

For each backend a fresh Python process builds the example app (SQLite file in a temporary
directory, migrated first), checks one password with the user's e-mail and names as user
inputs, and reports its ``VmRSS``, ``VmHWM`` (peak), USS (``Private_Clean + Private_Dirty``)
and PSS from ``/proc/self`` (Linux only); then it times ``--repeat`` estimates of each password
of :data:`PASSWORDS` and prints the median per check. The backends:

* ``bare``: the bare Flask + Flask-SQLAlchemy app of ``bare_app.py`` (no check): the
  baseline of the worker-memory target (at most 1.2x its RSS, issue 19);
* ``app``: the example app started, no check yet (zxcvbn not imported);
* ``usercore``: the library's own estimate (``flask_usercore.security.strength.estimate``:
  zxcvbn 4.5 over the shared mapped dictionaries), its word-lookup cache emptied before each
  estimate (the cost for a password never seen before);
* ``zxcvbn``: zxcvbn 4.5 imported as it comes (``zxcvbn.zxcvbn``, its dictionaries as Python
  dicts in the process);
* ``zxcvbn-rs-py``: ``zxcvbn_rs_py.zxcvbn`` (the Rust port), when the running Python can
  import it (run the script with an interpreter that has it: skipped otherwise).

The first check's wall time (imports and dictionaries loaded) is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

EMAIL = "ada.lovelace@example.com"
NAMES = ("Ada", "Lovelace")
#: (password, with the user inputs?) timed per backend: short, common, long, personal.
PASSWORDS = [
    ("password1", False),
    ("Vb7#kLm2!qXz", False),
    ("Correct-Horse-Battery-Staple-42", False),
    ("LovelaceAda1815", True),
    ("aB3$kLm9!zQw2&xYpT7" * 3, False),
]
BACKENDS = ("bare", "app", "usercore", "zxcvbn", "zxcvbn-rs-py")

CHILD = """
import json, statistics, sys, time
from pathlib import Path
backend, repeat, passwords, email, names = json.loads(sys.argv[1])

def memory():
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    rollup = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        rollup[key] = float(value.split()[0])
    return {"rss": float(status["VmRSS"].split()[0]), "peak": float(status["VmHWM"].split()[0]),
            "uss": rollup["Private_Clean"] + rollup["Private_Dirty"], "pss": rollup["Pss"]}

if backend == "bare":
    import bare_app
    bare_app.create_app()
    print(json.dumps({"memory": memory()}))
    sys.exit()
from example_app import create_app
create_app()
if backend == "app":
    print(json.dumps({"memory": memory()}))
    sys.exit()
from flask_usercore.security.policy import _user_words
words = _user_words(email, names)
start = time.perf_counter()  # the first check: imports and dictionaries included
if backend == "usercore":
    from flask_usercore.security import strength
    def check(password, inputs):
        # a cold lookup cache each time, as for a password never seen before
        if strength._loaded is not None and strength._loaded.shared:
            strength._loaded.matching.RANKED_DICTIONARIES["passwords"]._table.find.cache_clear()
        return strength.estimate(password, inputs)["score"]
    check("LovelaceAda1815", words)
elif backend == "zxcvbn":
    from zxcvbn import zxcvbn
    check = lambda password, inputs: zxcvbn(password, inputs)["score"]
    check("LovelaceAda1815", words)
else:
    from zxcvbn_rs_py import zxcvbn
    check = lambda password, inputs: int(zxcvbn(password, inputs).score)
    check("LovelaceAda1815", words)
first_ms = (time.perf_counter() - start) * 1000
found = memory()
times, scores = {}, {}
for password, personal in passwords:
    inputs = words if personal else []
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        scores[password] = check(password, inputs)
        samples.append(time.perf_counter() - start)
    times[password] = statistics.median(samples) * 1000
print(json.dumps({"memory": found, "first_ms": first_ms, "times": times, "scores": scores}))
"""


def child(code: str, arguments: list[str], tmp: Path) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (this one's), on the temporary SQLite file."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'strength.db'}",
           "USERCORE_MAIL_OUTBOX": str(tmp / "outbox"), "SECRET_KEY": "x" * 32,
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}
    return subprocess.run([sys.executable, "-c", code, *arguments], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def run(backend: str, repeat: int, tmp: Path) -> dict[str, Any] | None:
    """One backend in a fresh process: its measurements, or None when it cannot run."""
    done = child(CHILD, [json.dumps([backend, repeat, PASSWORDS, EMAIL, NAMES])], tmp)
    if done.returncode != 0:
        if backend == "zxcvbn-rs-py" and "No module named 'zxcvbn_rs_py'" in done.stderr:
            return None
        raise RuntimeError(f"{backend}: {done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200, help="estimates per password (200)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="usercore-strength-") as name:
        tmp = Path(name)
        # migrate first, so that every measured process starts on a database at head
        migrated = child("from example_app import create_app; create_app()", [], tmp)
        if migrated.returncode != 0:
            raise RuntimeError(migrated.stderr)
        results = {backend: run(backend, args.repeat, tmp) for backend in BACKENDS}
    bare = results["bare"]
    assert bare is not None
    bare_rss = bare["memory"]["rss"]
    print(f"python {sys.version.split()[0]}; per process, MiB; ratio = RSS / bare app's RSS")
    print(f"  {'backend':<14} {'RSS':>7} {'peak':>7} {'USS':>7} {'PSS':>7} {'ratio':>6} "
          f"{'first check':>12}")
    for backend, found in results.items():
        if found is None:
            print(f"  {backend:<14} not importable by {sys.executable}")
            continue
        mem = found["memory"]
        first = f"{found['first_ms']:9.1f} ms" if "first_ms" in found else ""
        print(f"  {backend:<14} {mem['rss'] / 1024:7.1f} {mem['peak'] / 1024:7.1f} "
              f"{mem['uss'] / 1024:7.1f} {mem['pss'] / 1024:7.1f} "
              f"{mem['rss'] / bare_rss:6.2f} {first:>12}")
    print(f"\nmedian ms per estimate ({args.repeat} each; score in brackets)")
    timed = {k: v for k, v in results.items() if v is not None and "times" in v}
    print(f"  {'password':<60}" + "".join(f"{name:>16}" for name in timed))
    for password, personal in PASSWORDS:
        label = password + (" (+ user inputs)" if personal else "")
        cells = "".join(f"{v['times'][password]:10.3f} [{v['scores'][password]}]"
                        for v in timed.values())
        print(f"  {label:<60}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
