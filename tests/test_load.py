"""A busy morning, as the issue that asked for it describes: 1,000 residents sign up with
up to 200 requests in flight, through HTTP to ``serve`` (its own process) with a real
SMTP server; then all 1,000 confirm at once. No errors, exactly one email each, each
carrying its own recipient's link, and everyone (only they) confirmed. Timings are
bench/signup_load.py's business (docs/performance.md), not this test's."""

from __future__ import annotations

from pathlib import Path

from bench.signup_load import run


def test_a_thousand_sign_ups_at_once_each_get_their_own_link(
    example_site: Path, tmp_path: Path
) -> None:
    result = run(example_site, residents=1000, in_flight=200, work=tmp_path)
    assert result["problems"] == []
    assert result["emails"] == 1000
    for phase in result["phases"]:
        assert (phase["requests"], phase["errors"]) == (1000, 0), phase
