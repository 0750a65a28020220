"""The backend's configuration: file: URLs as RFC 8089 reads them, and a signing key that
is never silently made up when one was configured."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from subscriber_lambda.config import Config, ConfigError, file_url_path
from tests.sitebuilder import ROOT

KEY_HEX = "ab" * 32


def secret_config(url: str) -> Config:
    return Config.from_environment({"SUBSCRIBER_SECRET": url})


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("file:///srv/noticeboard/secret", "/srv/noticeboard/secret"),
        ("file://localhost/srv/noticeboard/secret", "/srv/noticeboard/secret"),
        ("file://LocalHost/srv/noticeboard/secret", "/srv/noticeboard/secret"),
        ("file:/srv/noticeboard/secret", "/srv/noticeboard/secret"),
        ("file:///srv/my%20keys/s%23cret", "/srv/my keys/s#cret"),
        ("file:///srv/caf%C3%A9", "/srv/café"),
    ],
)
def test_a_file_url_is_the_absolute_path_rfc_8089_says(url: str, path: str) -> None:
    assert file_url_path("SUBSCRIBER_SECRET", url) == Path(path)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file://var/subscriber-secret", "names the host 'var'.*file:///var/subscriber-secret"),
        ("file://example.org/srv/secret", "names the host 'example.org'"),
        ("file:var/subscriber-secret", "is a relative path.*file:///.*/var/subscriber-secret"),
        ("file:////srv/secret", "four slashes.*write file:///srv/secret"),
        ("file:///srv/a#b", "%23"),
        ("file:///srv/a?b", "%3F"),
        ("file:///", "names no file"),
        ("file:///srv/a%00b", "NUL"),
    ],
)
def test_other_file_urls_are_refused_with_the_form_to_write(url: str, says: str) -> None:
    with pytest.raises(ConfigError, match=f"^SUBSCRIBER_SECRET: '{re.escape(url)}' .*{says}"):
        file_url_path("SUBSCRIBER_SECRET", url)
    with pytest.raises(ConfigError, match="SUBSCRIBER_SECRET"):
        secret_config(url).secret()


def test_a_configured_absolute_file_url_reads_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "keys here"
    folder.mkdir()
    secret = folder / "subscriber-secret"
    secret.write_text(KEY_HEX + "\n")
    secret.chmod(0o600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert secret_config(secret.as_uri()).secret() == bytes.fromhex(KEY_HEX)
    assert secret_config(f"file://localhost{secret.as_uri()[7:]}").secret() == bytes.fromhex(
        KEY_HEX
    )
    assert list(elsewhere.iterdir()) == []  # nothing made under the working directory


@pytest.mark.parametrize("umask", [0o022, 0o000, 0o077])
def test_the_default_key_is_made_on_first_run_under_var(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    monkeypatch.chdir(tmp_path)
    config = Config.from_environment({})
    made = tmp_path / "var" / "subscriber-secret"
    assert config.secret_url == made.as_uri()
    old = os.umask(umask)
    try:
        key = config.secret()
    finally:
        os.umask(old)
    assert len(key) == 32 and oct(made.stat().st_mode & 0o777) == "0o600"
    assert Config.from_environment({}).secret() == key  # kept, not made again
    assert sorted(p.name for p in made.parent.iterdir()) == ["subscriber-secret"]


def test_the_default_is_worked_out_when_the_configuration_is_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = Config.from_environment({})
    monkeypatch.chdir(ROOT)
    config.secret()
    assert (tmp_path / "var" / "subscriber-secret").is_file()


def test_a_configured_key_that_is_missing_is_an_error_and_not_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "etc" / "subscriber-secret"
    with pytest.raises(ConfigError) as raised:
        secret_config(missing.as_uri()).secret()
    message = str(raised.value)
    assert message.startswith(f"SUBSCRIBER_SECRET: {missing} does not exist.")
    assert "has run before" in message
    assert f'print(secrets.token_hex(32))" > {missing}); chmod 600 {missing}' in message
    assert not missing.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "is empty"),
        ("\n", "is empty"),
        ("not a key at all", "is not a key written in hex"),
        ("ab" * 31, "holds 31 bytes of key; at least 32 are needed"),
    ],
)
def test_a_configured_key_that_is_not_a_key_is_an_error(
    tmp_path: Path, content: str, says: str
) -> None:
    secret = tmp_path / "subscriber-secret"
    secret.write_text(content)
    secret.chmod(0o600)
    with pytest.raises(ConfigError, match=f"^SUBSCRIBER_SECRET: {secret} {says}.*token_hex"):
        secret_config(secret.as_uri()).secret()
    assert secret.read_text() == content  # left alone


def test_a_broken_default_key_is_not_replaced_either(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "subscriber-secret").write_text("")
    with pytest.raises(ConfigError, match="subscriber-secret is empty"):
        Config.from_environment({}).secret()


def test_the_old_reading_of_three_slashes_is_pointed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if Path("/var/subscriber-secret").exists():
        pytest.skip("this machine has a /var/subscriber-secret")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "subscriber-secret").write_text(KEY_HEX)
    with pytest.raises(ConfigError) as raised:
        secret_config("file:///var/subscriber-secret").secret()
    assert "/var/subscriber-secret does not exist" in str(raised.value)
    assert f"set SUBSCRIBER_SECRET={tmp_path.as_uri()}/var/subscriber-secret" in str(raised.value)


def test_a_key_others_can_read_is_used_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "subscriber-secret"
    secret.write_text(KEY_HEX)
    secret.chmod(0o644)
    with caplog.at_level(logging.WARNING, logger="subscriber_lambda.config"):
        assert secret_config(secret.as_uri()).secret() == bytes.fromhex(KEY_HEX)
    assert [r.getMessage() for r in caplog.records] == [
        f"SUBSCRIBER_SECRET: {secret} can be read or changed by users other than its owner"
        f" (mode 0644), and the key signs every subscriber's links: chmod 600 {secret}"
    ]
    caplog.clear()
    secret.chmod(0o600)
    with caplog.at_level(logging.WARNING, logger="subscriber_lambda.config"):
        secret_config(secret.as_uri()).secret()
    assert caplog.records == []


def test_a_command_with_a_missing_key_stops_before_doing_anything(tmp_path: Path) -> None:
    missing = tmp_path / "subscriber-secret"
    env = {
        **os.environ,
        "SUBSCRIBER_STORE": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "SUBSCRIBER_SECRET": missing.as_uri(),
    }
    result = subprocess.run(
        [sys.executable, "-m", "subscriber_lambda", "erase", "p@example.net"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"SUBSCRIBER_SECRET: {missing} does not exist.")
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []  # neither a key nor a store was made
