"""Which text provider, mailer and social accounts the environment configures
(``providers.py``), and the clear errors for what is missing or unsafe."""

from __future__ import annotations

from pathlib import Path

import pytest

from subscriber_lambda.adapters.bluesky import BlueskyAccount
from subscriber_lambda.adapters.govuk_notify import NotifyMailer, NotifyTexts
from subscriber_lambda.adapters.mastodon import MastodonAccount
from subscriber_lambda.adapters.sms_voice import AmazonTexts
from subscriber_lambda.config import Config, ConfigError
from subscriber_lambda.providers import Providers, read_secret
from tests.fake_notify import API_KEY, EMAIL_TEMPLATE, SMS_TEMPLATE


def secret(tmp_path: Path, value: str, name: str = "secret") -> str:
    path = tmp_path / name
    path.write_text(value + "\n")
    path.chmod(0o600)
    return path.as_uri()


def test_without_settings_there_are_no_texts_and_no_accounts() -> None:
    providers = Providers({})
    assert providers.texts() is None and not providers.offers_texts
    assert providers.social_accounts() == []
    assert providers.social_topics == {"alerts"}


def test_notify_for_texts_and_for_email(tmp_path: Path) -> None:
    env = {
        "SUBSCRIBER_TEXTS": "notify:",
        "SUBSCRIBER_MAILER": "notify:",
        "NOTIFY_API_KEY": secret(tmp_path, API_KEY),
        "NOTIFY_SMS_TEMPLATE": SMS_TEMPLATE,
        "NOTIFY_EMAIL_TEMPLATE": EMAIL_TEMPLATE,
    }
    assert isinstance(Providers(env).texts(), NotifyTexts)
    assert isinstance(Config.from_environment(env).mailer(), NotifyMailer)


def test_amazon_texts_take_boto3s_own_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    assert isinstance(Providers({"SUBSCRIBER_TEXTS": "sms-voice:"}).texts(), AmazonTexts)


@pytest.mark.parametrize(
    ("env", "says"),
    [
        (
            {"SUBSCRIBER_TEXTS": "twilio:"},
            "SUBSCRIBER_TEXTS: 'twilio:' is not notify: or sms-voice:",
        ),
        ({"SUBSCRIBER_TEXTS": "notify:"}, "NOTIFY_API_KEY is needed for SUBSCRIBER_TEXTS=notify:"),
        (
            {"SUBSCRIBER_TEXTS": "notify:", "NOTIFY_API_KEY": "file:///nowhere/key"},
            "NOTIFY_API_KEY: /nowhere/key cannot be read",
        ),
        (
            {"SUBSCRIBER_TEXTS": "notify:", "NOTIFY_API_KEY": "key-in-the-environment"},
            "is not file:///ABSOLUTE/PATH or ssm:///NAME",
        ),
    ],
)
def test_a_text_provider_misconfigured_says_what_to_set(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        Providers(env).texts()


def test_social_accounts_from_their_addresses_and_secrets(tmp_path: Path) -> None:
    env = {
        "SOCIAL_BLUESKY": "https://council.example.gov.uk@bsky.social",
        "SOCIAL_BLUESKY_PASSWORD": secret(tmp_path, "abcd-efgh-ijkl-mnop", "bluesky"),
        "SOCIAL_MASTODON": "https://social.example.gov.uk",
        "SOCIAL_MASTODON_TOKEN": secret(tmp_path, "token", "mastodon"),
        "SOCIAL_TOPICS": "alerts, bin-changes",
    }
    providers = Providers(env)
    bluesky, mastodon = providers.social_accounts()
    assert isinstance(bluesky, BlueskyAccount) and isinstance(mastodon, MastodonAccount)
    assert providers.social_topics == {"alerts", "bin-changes"}


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"SOCIAL_BLUESKY": "https://bsky.social"}, "give the account's handle"),
        ({"SOCIAL_BLUESKY": "http://council@bsky.social"}, "http:// only on loopback"),
        ({"SOCIAL_MASTODON": "ftp://social.example"}, "is not https://HOST"),
        ({"SOCIAL_MASTODON": "https://social.example"}, "SOCIAL_MASTODON_TOKEN is needed"),
    ],
)
def test_a_social_account_misconfigured_says_what_to_set(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        Providers(env).social_accounts()


def test_a_secret_file_must_hold_something(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is empty; put the secret in it"):
        read_secret("SOCIAL_MASTODON_TOKEN", secret(tmp_path, "  "))
    assert read_secret("X", secret(tmp_path, " value ")) == "value"
