"""The sdist and the wheel, built here (``python -m build --no-isolation``, no network).

The sdist carries the test suite whole (its conftest files and data, the docs, the example
app and the benchmarks it reads), so that its tests run from the unpacked sdist; the
metadata names the licence (PEP 639) and the Python versions. Needs setuptools >= 77 (the
``test`` extra), which reads the licence expression; ``.ci/run`` also builds with isolation.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.host_support import REPOSITORY, TIMEOUT

if int(version("setuptools").split(".")[0]) < 77:
    pytest.skip("needs setuptools >= 77 (the test extra) to build without network",
                allow_module_level=True)


#: What a checkout holds beside its sources: not copied (the build writes into its copy).
_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", "*.py[cod]", "*.egg-info", "build", "dist", "site",
    "instance", "outbox", ".*_cache", ".hypothesis", ".schemathesis", ".benchmarks", "*.db")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built from a copy of the checkout (the build writes
    ``build/`` and ``*.egg-info`` beside the sources)."""
    source = tmp_path_factory.mktemp("source") / "flask-usercore"
    shutil.copytree(REPOSITORY, source, ignore=_NOT_SOURCES)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out),
                    str(source)], check=True, capture_output=True, timeout=5 * TIMEOUT)
    return out


def _repository_files(folder: str) -> set[str]:
    return {str(path.relative_to(REPOSITORY)) for path in (REPOSITORY / folder).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts
            and path.suffix not in (".pyc", ".db")}


def test_the_sdist_carries_the_whole_test_suite_which_runs_from_it(
        dist: Path, tmp_path: Path) -> None:
    [sdist] = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    [root] = tmp_path.iterdir()
    names = {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}
    for folder in ("tests", "docs", "example_app", "benchmarks"):
        missing = _repository_files(folder) - names
        assert not missing, f"the sdist lacks {sorted(missing)}"
    assert {"tests/conftest.py", "tests/contract/conftest.py", "tests/contract/openapi-user.json",
            "CHANGELOG.md", "LICENSE", "README.md", "pyproject.toml"} <= names
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=root, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert "tests collected" in collected.stdout.splitlines()[-1]


def test_the_metadata_names_the_licence_and_the_python_versions(dist: Path) -> None:
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        [metadata_name] = [name for name in names if name.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(metadata_name).decode())
    assert [name for name in names
            if not name.startswith(("flask_usercore/", "flask_usercore-"))] == []
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Requires-Python"] == ">=3.11"
    classifiers = metadata.get_all("Classifier")
    assert {"Programming Language :: Python :: 3 :: Only",
            "Programming Language :: Python :: 3.11", "Framework :: Flask",
            "Typing :: Typed"} <= set(classifiers)
    # the URLs the changelog speaks of are the ones there are
    urls = metadata.get_all("Project-URL")
    assert urls == ["API contract, https://developer.mittwald.de/docs/v2/reference/"]
