from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.sitebuilder import ROOT, build_folder


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own example content, built at a fixed 'now' (28 November 2026, noon)."""
    return build_folder(ROOT / "content", tmp_path_factory.mktemp("example") / "output")


# --- tests write only to temporary folders ---------------------------------------------

LEFT_BY_TOOLS = ("__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache")
# Compiled templates every build keeps (pelicanconf's TEMPLATE_CACHE_PATH), like __pycache__.
TEMPLATE_CACHE = "var/cache/templates/"


def repository_files() -> set[str]:
    """Every path in the checkout that git reports (untracked and ignored included), less
    the caches Python's tools keep."""
    listed = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--untracked-files=all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return {
        line[3:]
        for line in listed
        if not any(part in LEFT_BY_TOOLS for part in Path(line[3:]).parts)
        and not line[3:].startswith(TEMPLATE_CACHE)
    }


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # once, in the controlling process
        session.config.stash[BEFORE] = repository_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(BEFORE, None)
    if before is None:
        return
    left = sorted(repository_files() - before)
    if left:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nTests left files in the repository (write to tmp_path instead): {left[:10]}")


BEFORE = pytest.StashKey[set[str]]()
