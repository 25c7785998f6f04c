"""Resource policies of queues: every queue this project creates denies requests without TLS."""

from __future__ import annotations

import re

import pytest

from environments import ENVIRONMENTS


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_queue_has_a_policy_that_denies_plain_http(env: str, stacks) -> None:
    stack = stacks[env]
    queues = stack.document["resource"].get("aws_sqs_queue", {})
    assert queues  # the demo API's queue and its dead-letter queue
    policies = {p["queue_url"]: p for p in stack.resources("aws_sqs_queue_policy")}
    documents = stack.document["data"]["aws_iam_policy_document"]
    for address in queues:
        policy = policies.get(f"${{aws_sqs_queue.{address}.url}}")
        assert policy is not None, f"aws_sqs_queue.{address} has no queue policy"
        document = documents[re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}", policy["policy"])[1]]
        [statement] = document["statement"]
        assert statement["effect"] == "Deny"
        assert statement["actions"] == ["sqs:*"]
        assert statement["principals"] == [{"type": "*", "identifiers": ["*"]}]
        assert statement["resources"] == [f"${{aws_sqs_queue.{address}.arn}}"]
        assert statement["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_a_deny_only_queue_policy_grants_nothing() -> None:
    from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

    from modules.data.queues import deny_insecure_transport
    from tests.synth import synth_scope

    stack = synth_scope(lambda scope: deny_insecure_transport(scope, "q-policy", queue=SqsQueue(scope, "q", name="q")))
    [document] = stack.data_sources("aws_iam_policy_document")
    assert all(statement["effect"] == "Deny" for statement in document["statement"])
