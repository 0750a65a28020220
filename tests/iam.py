"""template.yaml's IAM policies as AWS applies them, for tests.

- ``expanded()``: the template as CloudFormation gets it, expanded by the pinned SAM
  translator that cfn-lint uses (so SAM's policy templates, DynamoDBCrudPolicy and the
  rest, become the statements AWS sees).
- ``Deployment``: the intrinsic functions resolved with the names one test deployment
  gave the resources; each function's environment and its role's inline policies.
- ``needs(call)``: what IAM checks for one API call: actions, resource ARNs and condition
  keys. The mapping follows the Service Authorization Reference; an SESv2 SendEmail of raw
  MIME is checked as both ses:SendEmail and ses:SendRawEmail (AWS's error messages name
  the latter), and a GetObject of a missing key needs s3:ListBucket to be answered
  NoSuchKey rather than AccessDenied.

Only what the template uses is implemented (no Deny, NotAction or NotResource; the
condition operators below). Anything else fails loudly, so the test is never quietly
wrong. A missing condition key fails every operator here, even ForAllValues (which IAM
would let pass): stricter, never looser, than AWS.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from cfnlint.data import Serverless
from cfnlint.decode import cfn_yaml
from cfnlint.decode.utils import convert_dict
from cfnlint.helpers import load_resource
from samtranslator.parser import parser
from samtranslator.translator.translator import Translator

from tests.aws_calls import Call
from tests.sitebuilder import ROOT

ACCOUNT = "123456789012"  # moto's account
REGION = "eu-west-2"
PARTITION = "aws"


@cache
def expanded() -> dict[str, Any]:
    """template.yaml after the SAM transform (CodeUri made an S3 location, as cfn-lint does)."""
    template = convert_dict(cfn_yaml.load(str(ROOT / "template.yaml")))
    template["Globals"]["Function"]["CodeUri"] = "s3://code/lambda.zip"
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # the translator's region for ARNs
    translator = Translator(
        managed_policy_map=load_resource(Serverless, "ManagedPolicies.json"),
        sam_parser=parser.Parser(),
    )
    result: dict[str, Any] = translator.translate(sam_template=template, parameter_values={})
    return result


@dataclass(frozen=True)
class Need:
    """One thing IAM checks for a call: may this action be done on this resource?"""

    action: str
    resource: str
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _holds(operator: str, key: str, wanted: Any, context: Mapping[str, tuple[str, ...]]) -> bool:
    patterns = wanted if isinstance(wanted, list) else [wanted]
    given = context.get(key)
    if given is None:
        return False
    if operator == "StringEquals":
        return any(value in patterns for value in given)
    if operator == "StringLike":
        return any(fnmatchcase(value, p) for value in given for p in patterns)
    if operator == "ForAllValues:StringLike":
        return all(any(fnmatchcase(value, p) for p in patterns) for value in given)
    raise NotImplementedError(f"condition operator {operator}: teach tests/iam.py")


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: Mapping[str, Mapping[str, Any]]

    @classmethod
    def of(cls, statement: Mapping[str, Any]) -> Statement:
        unsupported = {"NotAction", "NotResource", "NotPrincipal"} & statement.keys()
        assert statement["Effect"] == "Allow" and not unsupported, statement

        def listed(value: Any) -> tuple[str, ...]:
            return tuple(value) if isinstance(value, list) else (value,)

        return cls(
            listed(statement["Action"]),
            listed(statement["Resource"]),
            statement.get("Condition", {}),
        )

    def grants(self, action: str, need: Need) -> bool:
        """Whether ``action`` (one of this statement's, maybe a wildcard) allows ``need``."""
        return (
            fnmatchcase(need.action.lower(), action.lower())
            and any(fnmatchcase(need.resource, resource) for resource in self.resources)
            and all(
                _holds(operator, key, wanted, need.context)
                for operator, keys in self.conditions.items()
                for key, wanted in keys.items()
            )
        )

    def allows(self, need: Need) -> bool:
        return any(self.grants(action, need) for action in self.actions)


PSEUDO = {
    "AWS::AccountId": ACCOUNT,
    "AWS::Region": REGION,
    "AWS::Partition": PARTITION,
    "AWS::URLSuffix": "amazonaws.com",
}


@dataclass
class Deployment:
    """The template deployed as a stack: its parameters, and what ``Ref`` and
    ``Fn::GetAtt`` give for each resource the test made."""

    stack: str
    parameters: dict[str, str]
    refs: dict[str, str]
    attributes: dict[str, str]  # "Logical.Attribute" -> value

    def _ref(self, name: str) -> str:
        known = {**PSEUDO, "AWS::StackName": self.stack, **self._defaults(), **self.refs}
        return known[name]

    def _defaults(self) -> dict[str, str]:
        declared = expanded().get("Parameters", {})
        defaults = {name: str(p["Default"]) for name, p in declared.items() if "Default" in p}
        return {**defaults, **self.parameters}

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {name: self.resolve(value) for name, value in variables.items()}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in values:
                return str(values[name])
            return self.attributes[name] if "." in name else self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", value, text)

    def resolve(self, node: Any) -> Any:
        """``node`` with every intrinsic function replaced by its value."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            (name, argument), *_ = node.items()
            function = self._functions().get(name)
            if function is not None:
                return function(argument)
        return {key: self.resolve(value) for key, value in node.items()}

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": lambda a: self.attributes[".".join(a) if isinstance(a, list) else a],
            "Fn::Sub": self._sub,
            "Fn::Join": lambda a: str(a[0]).join(self.resolve(a[1])),
            "Fn::Select": lambda a: self.resolve(a[1])[int(self.resolve(a[0]))],
            "Fn::Split": lambda a: str(self.resolve(a[1])).split(a[0]),
        }

    def environment(self, function: str) -> dict[str, str]:
        variables = expanded()["Resources"][function]["Properties"]["Environment"]["Variables"]
        return {name: str(self.resolve(value)) for name, value in variables.items()}

    def policies(self, function: str) -> dict[str, list[Statement]]:
        """The function role's inline policies, each a list of statements. (Its managed
        policies are the Lambda service's own: logs, and polling the SQS queue.)"""
        resources = expanded()["Resources"]
        role = resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
        return {
            policy["PolicyName"]: [
                Statement.of(self.resolve(statement))
                for statement in policy["PolicyDocument"]["Statement"]
            ]
            for policy in resources[role]["Properties"].get("Policies", [])
        }


def functions() -> dict[str, str]:
    """Each Lambda function in the template, with its handler."""
    return {
        name: resource["Properties"]["Handler"]
        for name, resource in expanded()["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    }


# --- what IAM checks for each call ------------------------------------------------------


def _table(name: str) -> str:
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def _batch_keys(requests: Any) -> tuple[str, ...]:
    """The partition keys of a BatchGetItem's or a BatchWriteItem's requests to one table."""
    if isinstance(requests, dict):  # BatchGetItem: {"Keys": [...]}
        return tuple(str(key["PK"]) for key in requests["Keys"])
    return tuple(
        str(r["PutRequest"]["Item"]["PK"] if "PutRequest" in r else r["DeleteRequest"]["Key"]["PK"])
        for r in requests
    )


def _dynamodb(call: Call) -> list[Need]:
    """dynamodb:LeadingKeys is given for requests that name their items' keys."""
    action, params = f"dynamodb:{call.operation}", call.params
    if "RequestItems" in params:  # BatchGetItem, BatchWriteItem
        return [
            Need(action, _table(table), {"dynamodb:LeadingKeys": _batch_keys(requests)})
            for table, requests in params["RequestItems"].items()
        ]
    resource = _table(params["TableName"])
    if "IndexName" in params:
        resource += f"/index/{params['IndexName']}"
    named = params.get("Key") or params.get("Item")
    return [Need(action, resource, {"dynamodb:LeadingKeys": (str(named["PK"]),)} if named else {})]


def _s3(call: Call) -> list[Need]:
    assert call.operation in ("GetObject", "HeadObject"), f"s3.{call.operation}: teach tests/iam.py"
    bucket, key = call.params["Bucket"], call.params["Key"]
    found = [Need("s3:GetObject", f"arn:{PARTITION}:s3:::{bucket}/{key}")]
    if call.error in ("NoSuchKey", "404"):
        found.append(Need("s3:ListBucket", f"arn:{PARTITION}:s3:::{bucket}"))
    return found


def _sqs(call: Call) -> list[Need]:
    assert call.operation in ("SendMessage", "SendMessageBatch"), call.operation
    account, name = urlsplit(call.params["QueueUrl"]).path.strip("/").split("/")[-2:]
    return [Need("sqs:SendMessage", f"arn:{PARTITION}:sqs:{REGION}:{account}:{name}")]


def _ssm(call: Call) -> list[Need]:
    assert call.operation == "GetParameter", call.operation
    name = str(call.params["Name"]).lstrip("/")
    return [Need("ssm:GetParameter", f"arn:{PARTITION}:ssm:{REGION}:{ACCOUNT}:parameter/{name}")]


def _ses(call: Call) -> list[Need]:
    assert call.operation == "GetSendQuota", call.operation
    return [Need("ses:GetSendQuota", "*")]


def _sesv2(call: Call) -> list[Need]:
    assert call.operation == "SendEmail", call.operation
    params = call.params
    sender = params.get("FromEmailAddress")
    context = {"ses:FromAddress": (sender,)} if sender else {}
    actions = ["ses:SendEmail"] + (["ses:SendRawEmail"] if "Raw" in params["Content"] else [])
    identity = str(sender).rpartition("@")[2]
    resources = [f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}:identity/{identity}"]
    if "ConfigurationSetName" in params:
        name = params["ConfigurationSetName"]
        resources.append(f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}:configuration-set/{name}")
    return [Need(action, resource, context) for action in actions for resource in resources]


def _sms_voice(call: Call) -> list[Need]:
    """End User Messaging SMS authorises a text against the origination identity and
    configuration set it names, and against "*" when it names neither."""
    assert call.operation == "SendTextMessage", call.operation
    named = [call.params.get(key) for key in ("OriginationIdentity", "ConfigurationSetName")]
    resources = [str(value) for value in named if value] or ["*"]
    return [Need("sms-voice:SendTextMessage", resource) for resource in resources]


NEEDS: dict[str, Callable[[Call], list[Need]]] = {
    "dynamodb": _dynamodb,
    "s3": _s3,
    "sqs": _sqs,
    "ssm": _ssm,
    "ses": _ses,
    "sesv2": _sesv2,
    "pinpoint-sms-voice-v2": _sms_voice,
}


def needs(call: Call) -> list[Need]:
    mapping = NEEDS.get(call.service)
    assert mapping is not None, f"{call.service}.{call.operation}: teach tests/iam.py its IAM"
    return mapping(call)
