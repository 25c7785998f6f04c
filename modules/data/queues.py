"""Resource policies of SQS queues: every queue this project creates denies requests without TLS.

A queue policy with only a Deny grants nothing: producers and consumers (the API's functions, Lambda's
event source mapping) keep the access their IAM roles give them, as before
(https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-security-best-practices.html#enforce-encryption-data-in-transit).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct


def deny_insecure_transport(scope: Construct, id: str, *, queue: SqsQueue) -> SqsQueuePolicy:
    """Attach a queue policy that denies every SQS action over plain HTTP (``aws:SecureTransport`` false).

    Created in ``scope`` as ``<id>`` (the policy) and ``<id>-document``, so the addresses belong to the caller.
    """
    document = DataAwsIamPolicyDocument(
        scope,
        f"{id}-document",
        statement=[
            DataAwsIamPolicyDocumentStatement(
                sid="DenyInsecureTransport",
                effect="Deny",
                principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="*", identifiers=["*"])],
                actions=["sqs:*"],
                resources=[queue.arn],
                condition=[
                    DataAwsIamPolicyDocumentStatementCondition(
                        test="Bool", variable="aws:SecureTransport", values=["false"]
                    )
                ],
            )
        ],
    )
    return SqsQueuePolicy(scope, id, queue_url=queue.url, policy=document.json)
