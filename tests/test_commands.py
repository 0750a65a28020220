"""The officer's commands: a refused build leaves the site as it was; the validator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.sitebuilder import EXAMPLE_NOW, ROOT, item, write_content

PY = sys.executable


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NOTICEBOARD_NOW": EXAMPLE_NOW}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def pelican(content: Path, output: Path) -> subprocess.CompletedProcess[str]:
    return run(PY, "-m", "pelican", str(content), "-s", "pelicanconf.py", "-o", str(output), "-q")


def test_a_refused_build_exits_non_zero_and_leaves_the_old_site_alone(tmp_path: Path) -> None:
    content = write_content(
        tmp_path,
        {
            "alerts/one.md": item("alerts", Severity="huge"),
            "notices/two.md": item("notices", Wards="atlantis"),
        },
    )
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("the live site")

    result = pelican(content, output)

    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].endswith(
        "alerts/one.md: Severity: 'huge' is not allowed; "
        "use one of: extreme, severe, moderate, minor"
    )
    assert lines[1].endswith("notices/two.md: Wards: 'atlantis' is not a ward in the wards file")
    assert (
        lines[2]
        == "2 problems in 2 of 2 content files; nothing was built. Fix them and build again."
    )
    assert "Traceback" not in result.stderr
    assert [p.name for p in output.iterdir()] == ["index.html"]
    assert (output / "index.html").read_text() == "the live site"


def test_a_good_build_replaces_the_old_site(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"notices/plan.md": item("notices")})
    output = tmp_path / "output"
    output.mkdir()
    (output / "stale.html").write_text("an old page")

    result = pelican(content, output)

    assert result.returncode == 0, result.stderr
    assert not (output / "stale.html").exists()
    assert (output / "notices" / "planning-application-1-high-street" / "index.html").is_file()


def test_validate_reports_on_one_file_using_the_whole_folder(tmp_path: Path) -> None:
    content = write_content(
        tmp_path,
        {
            "notices/first.md": item("notices"),
            "notices/second.md": item("notices", Title="Second"),  # same Reference
            "alerts/other.md": item("alerts", Severity="huge"),
        },
    )
    second = content / "notices" / "second.md"

    result = run(PY, "-m", "noticeboard.validate", "--content", str(content), str(second))

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{second}: Reference: 'DOV/26/00001' is already the reference of "
        f"{content}/notices/first.md; references must be unique",
        "1 problem in 1 of 3 content files. Fix them before publishing.",
    ]


def test_validate_passes_good_content(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"notices/first.md": item("notices")})
    result = run(PY, "-m", "noticeboard.validate", str(content))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1 content file checked; no problems."


def test_the_example_content_is_valid() -> None:
    result = run(PY, "-m", "noticeboard.validate", "content")
    assert result.returncode == 0, result.stderr


def test_validate_names_a_missing_file(tmp_path: Path) -> None:
    result = run(PY, "-m", "noticeboard.validate", str(tmp_path / "nope.md"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.md'}: file: not found"


def test_a_new_file_is_refused_until_its_placeholders_are_replaced(tmp_path: Path) -> None:
    content = write_content(tmp_path, {})
    made = run(
        PY,
        "-m",
        "noticeboard.new",
        "notice",
        "--content",
        str(content),
        "--title",
        "Road closure: Mill Lane",
        "--wards",
        "walmer",
        "--field",
        "Notice-Type=traffic-regulation-order",
        "--field",
        "Reference=TRO/2026/099",
        "--field",
        "Legislation=Road Traffic Regulation Act 1984, section 14",
    )
    assert made.returncode == 0, made.stderr
    notice = content / "notices" / "road-closure-mill-lane.md"

    result = run(PY, "-m", "noticeboard.validate", str(content))

    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        f"{notice}: Summary: still has the placeholder 'FILL IN ...' from make new; replace it "
        "with the Summary",
        f"{notice}: Text: line 10: still has the placeholder 'Write the notice here ...' from "
        "make new; replace it with the notice itself",
    ]
    written = notice.read_text()
    summary = next(line for line in written.splitlines() if line.startswith("Summary:"))
    written = written.replace(summary, "Summary: Mill Lane closes for a week in January.")
    notice.write_text(written.split("\n\n")[0] + "\n\nMill Lane will be closed.\n")
    assert run(PY, "-m", "noticeboard.validate", str(content)).returncode == 0


def test_the_validator_outside_the_sites_folder_says_what_to_do(tmp_path: Path) -> None:
    result = run(
        PY, "-c", "from noticeboard.validate import main; raise SystemExit(main())", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("pelicanconf.py: file: not found; run this in the noticeboard")


def make_variable(folder: Path, name: str, *args: str, **env: str) -> str:
    """The value make gives ``name`` for ``make html`` run in ``folder`` (-p prints the
    variables; -n runs nothing)."""
    result = subprocess.run(
        ["make", "-f", str(ROOT / "Makefile"), "-pn", "html", *args],
        cwd=folder,
        env={**{k: v for k, v in os.environ.items() if k != name}, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    found = [line for line in result.stdout.splitlines() if line.startswith(f"{name} ")]
    return found[0].split("=", 1)[1].strip()


def test_builds_keep_the_address_make_run_serves_at(tmp_path: Path) -> None:
    """After `make run PORT=8131`, `make html` keeps links, calendars and emails on 8131."""
    assert make_variable(tmp_path, "SITE_URL") == "http://127.0.0.1:8000"
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "site-url").write_text("http://127.0.0.1:8131\n")
    assert make_variable(tmp_path, "SITE_URL") == "http://127.0.0.1:8131"
    given = make_variable(tmp_path, "SITE_URL", SITE_URL="https://noticeboard.example.org")
    assert given == "https://noticeboard.example.org"
