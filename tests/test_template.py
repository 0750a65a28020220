"""template.yaml (AWS SAM) passes cfn-lint, pinned with the SAM translator it expands SAM
resources with, and a deliberately broken copy fails; the operational promises are checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from tests.sitebuilder import ROOT

TEMPLATE = ROOT / "template.yaml"


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    return subprocess.run([str(cfn_lint), str(path)], capture_output=True, text=True, check=False)


def resources() -> dict[str, Any]:
    loaded: dict[str, Any] = cfn_yaml.load(str(TEMPLATE))
    return loaded["Resources"]


def test_the_template_passes_cfn_lint() -> None:
    result = lint(TEMPLATE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        (("MemorySize: 512", "MemorySize: 512\n    NotAProperty: 1"), "NotAProperty"),
        (("maxReceiveCount: 5", "maxReceiveCount: five"), "five"),
        (
            (
                "Handler: subscriber_lambda.aws_entry.http_handler",
                "Handler: 42\n      Runtime: python2.7",
            ),
            "python2.7",
        ),
    ],
)
def test_a_broken_copy_fails(tmp_path: Path, breakage: tuple[str, str], expected: str) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text(TEMPLATE.read_text().replace(*breakage, 1))
    result = lint(broken)
    assert result.returncode != 0 and expected in result.stdout


def test_the_table_is_protected() -> None:
    table = resources()["SubscribersTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert (
        table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
        is True
    )


def test_queues_have_a_dead_letter_queue_and_workers_report_partial_failures() -> None:
    found = resources()
    for queue in ("AlertQueue", "RoutineQueue"):
        assert "DeadLetterQueue" in str(
            found[queue]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
        )
    for worker in ("AlertWorkerFunction", "RoutineWorkerFunction"):
        event = next(iter(found[worker]["Properties"]["Events"].values()))
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "SesMaxSendRate" in str(
        found["AlertWorkerFunction"]["Properties"]["ReservedConcurrentExecutions"]
    )


def test_the_sweeper_leaves_owed_deliveries_to_sqs_while_sqs_still_retries_them() -> None:
    from subscriber_lambda.aws_lambda import SQS_GIVES_UP_AFTER

    for queue in ("AlertQueue", "RoutineQueue"):
        properties = resources()[queue]["Properties"]
        retrying = properties["VisibilityTimeout"] * properties["RedrivePolicy"]["maxReceiveCount"]
        assert retrying <= SQS_GIVES_UP_AFTER.total_seconds(), queue


def test_the_http_function_cannot_send_email_and_only_queues_mail_jobs() -> None:
    policies = str(resources()["HttpFunction"]["Properties"]["Policies"])
    assert "ses:" not in policies
    assert "SQSSendMessagePolicy" in policies and "RoutineQueue" in policies


def test_used_confirmation_links_expire_from_the_table() -> None:
    ttl = resources()["SubscribersTable"]["Properties"]["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": "expires_at", "Enabled": True}


def test_the_api_is_throttled() -> None:
    settings = resources()["Api"]["Properties"]["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0


def test_policies_grant_no_wildcard_actions() -> None:
    for name, resource in resources().items():
        for policy in resource.get("Properties", {}).get("Policies", []) or []:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                assert all("*" not in action for action in statement["Action"]), name
                # SES sends are scoped by From address instead; a text names an origination
                # identity only when the council configures one.
                if statement["Resource"] == "*":
                    assert set(statement["Action"]) <= {
                        "ses:SendEmail",
                        "ses:SendRawEmail",
                        "ses:GetSendQuota",
                        "sms-voice:SendTextMessage",
                    }, name


def test_the_lambda_bundle_holds_the_backend_and_its_pinned_requirements(tmp_path: Path) -> None:
    import shutil
    from importlib.metadata import version

    result = subprocess.run(
        ["make", "-s", "lambda"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    bundle = ROOT / "build" / "lambda"
    assert (bundle / "subscriber_lambda" / "aws_entry.py").is_file()
    pins = dict(
        line.split("==")
        for line in (bundle / "requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert pins == {name: version(name) for name in pins}
    check = subprocess.run(
        [sys.executable, "-c", "import subscriber_lambda.aws_entry"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(bundle), "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stderr
    shutil.rmtree(ROOT / "build")


def test_reminders_go_at_six_in_the_evening_london_time_all_year() -> None:
    """The schedule keeps London's clock (18:00 in summer time too), not UTC's."""
    function = resources()["RemindersFunction"]["Properties"]
    assert function["Handler"] == "subscriber_lambda.aws_entry.reminders_handler"
    [event] = function["Events"].values()
    assert event["Type"] == "ScheduleV2"
    assert event["Properties"]["ScheduleExpression"] == "cron(0 18 * * ? *)"
    assert event["Properties"]["ScheduleExpressionTimezone"] == "Europe/London"
