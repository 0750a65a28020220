"""The workflow and the pre-commit hook run what they say, with secrets only from the
repository's secret store."""

from __future__ import annotations

import re

import yaml

from tests.sitebuilder import ROOT

WORKFLOW = (ROOT / ".github" / "workflows" / "publish.yml").read_text()


def test_the_workflow_validates_tests_builds_and_publishes() -> None:
    loaded = yaml.safe_load(WORKFLOW)
    triggers = loaded[True]  # YAML reads the key 'on' as True
    assert set(triggers) >= {"push", "pull_request", "schedule"}
    steps = [step.get("run", "") for job in loaded["jobs"].values() for step in job["steps"]]
    for command in ("make validate", "make html", "make test", "make publish"):
        assert command in steps
    assert loaded["jobs"]["publish"]["if"].startswith("github.ref == 'refs/heads/main'")


def test_secrets_come_only_from_the_secret_store() -> None:
    for value in re.findall(
        r"(AWS_ROLE_ARN|PUBLISH_BUCKET|CLOUDFRONT_DISTRIBUTION_ID|SITE_URL): (.+)", WORKFLOW
    ):
        assert value[1].strip().startswith("${{ secrets.")
    assert "aws_secret_access_key" not in WORKFLOW.lower()


def test_the_pre_commit_hook_runs_the_validator_on_content_files() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hooks[0]["entry"].endswith("noticeboard-validate")
    assert re.match(hooks[0]["files"], "content/notices/plan.md")
