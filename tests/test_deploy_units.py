"""The single-server set-up in deploy/: systemd's own checker passes every unit, each
timer and path starts a unit that is shipped, and the units run the commands as the
backend takes them."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sitebuilder import ROOT

UNITS = ROOT / "deploy" / "systemd"
SRV = "/srv/noticeboard"


def units(*suffixes: str) -> list[Path]:
    return sorted(p for p in UNITS.iterdir() if p.suffix in suffixes)


def read(unit: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit)
    return parser


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (make system-packages installs Debian's systemd)",
)
def test_systemd_analyze_verify_passes_on_every_shipped_unit(tmp_path: Path) -> None:
    """Verified as installed: /srv/noticeboard is a folder here with the virtual
    environment's Python in it (systemd checks that each command can be run)."""
    srv = tmp_path / "srv"
    (srv / ".venv" / "bin").mkdir(parents=True)
    (srv / ".venv" / "bin" / "python").symlink_to(sys.executable)
    installed = tmp_path / "system"
    installed.mkdir()
    for unit in units(".service", ".timer", ".path"):
        (installed / unit.name).write_text(unit.read_text().replace(SRV, str(srv)))
    result = subprocess.run(
        ["systemd-analyze", "verify", *sorted(str(p) for p in installed.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"},
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_every_timer_and_path_starts_a_shipped_service() -> None:
    services = {unit.name for unit in units(".service")}
    for trigger in units(".timer", ".path"):
        section = "Timer" if trigger.suffix == ".timer" else "Path"
        started = read(trigger)[section].get("Unit", f"{trigger.stem}.service")
        assert started in services, trigger.name
    assert {"noticeboard-notify.path", "noticeboard-notify.timer"} <= {
        unit.name for unit in units(".timer", ".path")
    }


def test_the_server_unit_replicates_stops_in_order_and_is_hardened() -> None:
    service = read(UNITS / "noticeboard.service")["Service"]
    assert " serve " in service["ExecStart"] and "--trusted-proxy 127.0.0.1" in service["ExecStart"]
    assert service["KillMode"] == "mixed"  # serve stops Litestream itself, after its requests
    assert service["Restart"] == "on-failure"
    for setting, value in {
        "User": "noticeboard",
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ReadWritePaths": f"{SRV}/var",
        "UMask": "0077",
    }.items():
        assert service[setting] == value, setting
    example = (ROOT / "deploy" / "subscriber.env.example").read_text()
    assert "\nSUBSCRIBER_REPLICA=s3://" in example


def test_the_rebuild_may_write_where_it_builds_and_the_set_up_lets_its_user() -> None:
    """The rebuild builds beside its output (.rebuild-* in the output's folder): that
    folder must be in its ReadWritePaths, and the documented set-up must give it to the
    user the unit runs as."""
    service = read(UNITS / "noticeboard-rebuild.service")["Service"]
    words = service["ExecStart"].split()
    output = Path(words[words.index("--output") + 1])
    writable = [Path(path) for path in service["ReadWritePaths"].split()]
    assert any(output.parent.is_relative_to(path) for path in writable)
    deploy = (ROOT / "docs" / "deploy.md").read_text()
    setup = deploy[deploy.index("sudo useradd") : deploy.index("sudo systemctl daemon-reload")]
    owner = f"sudo chown -R {service['User']}:{service['Group']} "
    assert any(
        output.parent.is_relative_to(line.removeprefix(owner).split()[0])
        for line in setup.splitlines()
        if line.startswith(owner)
    ), "the set-up does not give the rebuild's user the folder it builds in"


@pytest.mark.parametrize("unit", units(".service"), ids=lambda p: p.name)
def test_each_unit_runs_a_command_the_backend_has(unit: Path) -> None:
    """Each ExecStart's module and subcommand, asked for its help, answers (a renamed
    command or option breaks this test, not a council's server at night)."""
    words = read(unit)["Service"]["ExecStart"].split()
    assert words[0] == f"{SRV}/.venv/bin/python" and words[1] == "-m"
    module, command = words[2], words[3]
    subcommand = [] if command.startswith("--") else [command]
    helped = subprocess.run(
        [sys.executable, "-m", module, *subcommand, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert helped.returncode == 0, helped.stderr
    for option in (w.split("=")[0] for w in words[4:] if w.startswith("--")):
        assert option in helped.stdout, f"{unit.name}: {option}"
