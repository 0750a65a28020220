from __future__ import annotations

from pathlib import Path

import pytest

from tests.sitebuilder import ROOT, build_folder


@pytest.fixture(scope="session")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own example content, built at a fixed 'now' (28 November 2026, noon)."""
    return build_folder(ROOT / "content", tmp_path_factory.mktemp("example") / "output")
