"""docs/testing.md: the example app, ``conftest.py`` and tests of "An example" run, as a host
would run them: in a folder of their own, the plugin registered by ``pytest_plugins``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "testing.md"
_FILE = re.compile(r'^```python title="([\w.]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)


def test_the_example_of_the_testing_page_passes(tmp_path: Path) -> None:
    files = dict(_FILE.findall(PAGE.read_text(encoding="utf-8")))
    assert sorted(files) == ["conftest.py", "test_accounts.py", "yourapp.py"]
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    # the project's rule for its own tests: a warning is an error
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         "-p", "no:randomly", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    test_count = files["test_accounts.py"].count("\ndef test_") + 1
    assert f"{test_count} passed" in done.stdout, done.stdout
