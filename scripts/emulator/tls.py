"""moto over TLS, with three answers made AWS-exact for the hardened stacks (``make e2e``).

1. TLS-only bucket policies (below).
2. SQS ``RedrivePolicy``: moto returns it as ``json.dumps`` output with spaces, AWS returns compact
   JSON. The provider stores the string verbatim, so every plan after the first shows a
   "whitespace changes" update of the queue, which also defers every policy document that refers
   to it. Here it is returned compact, as AWS does.
3. API Gateway ``UpdateAccount``: destroying ``aws_api_gateway_account`` (``reset_on_delete``)
   sends a patch operation on ``/cloudwatchRoleArn`` without a value, which clears the role on
   AWS; moto 5.2 reads ``op["value"]``, fails with a 500 and the provider retries for many
   minutes. Here the operation clears the role, as AWS does.

Every bucket this project creates carries a TLS-only policy: ``Deny s3:*`` when
``aws:SecureTransport`` is ``false``. moto 5.2 evaluates bucket-policy conditions only for
``StringEquals``; any other operator (``Bool`` here) is ignored, so the Deny applies to *every*
object request and the state file, Lambda packages etc. become unreadable. AWS applies it only to
plain-HTTP requests.

So the e2e emulator is served over HTTPS (a throw-away self-signed certificate, trusted through
``AWS_CA_BUNDLE`` by the provider, the S3 backend and boto3), and before moto evaluates a bucket
policy, statements conditioned on ``aws:SecureTransport`` are resolved against the transport: this
server only speaks TLS, so ``aws:SecureTransport`` is ``true`` and the TLS-only Deny does not apply,
exactly as on AWS. The state bucket's Denies conditioned on the request's encryption headers
(``StringNotEquals`` on ``s3:x-amz-server-side-encryption`` and ``...-aws-kms-key-id``, see
``modules.data.state``) are resolved the same way, against the headers of the PutObject being authorized: a
state write under the state key passes, an AES256 one is refused, as on AWS. Every other statement goes to
moto unchanged.

    python -m scripts.emulator.tls -H 127.0.0.1 -p PORT -c CERT -k KEY
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import sys
import threading
from pathlib import Path

from scripts.emulator.moto_server import MotoServer

#: What this server's requests carry: it only accepts TLS connections.
REQUEST_CONTEXT = {"aws:SecureTransport": "true"}


#: Condition keys resolved from a PutObject's headers (absent header: the key is absent from the context).
SSE_HEADERS = {
    "s3:x-amz-server-side-encryption": "x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id": "x-amz-server-side-encryption-aws-kms-key-id",
}
_REQUEST = threading.local()


def _condition_holds(condition: dict, context: dict[str, str]) -> bool | None:
    """True/False for a condition made of Bool tests on keys in ``context`` or StringNotEquals tests on the
    encryption keys; None (left to moto) otherwise."""
    if not condition or not set(condition) <= {"Bool", "StringNotEquals"}:
        return None
    holds = True
    for key, expected in condition.get("Bool", {}).items():
        if key not in context:
            return None
        values = expected if isinstance(expected, list) else [expected]
        holds &= context[key].lower() in {str(v).lower() for v in values}
    for key, expected in condition.get("StringNotEquals", {}).items():
        if key not in SSE_HEADERS:
            return None
        values = expected if isinstance(expected, list) else [expected]
        # IAM: a negated operator on a key the request does not carry matches.
        holds &= context.get(key) not in {str(v) for v in values}
    return holds


def resolve_transport_conditions(policy: dict, context: dict[str, str] = REQUEST_CONTEXT) -> dict:
    """The policy without the statements whose transport condition does not hold for this request."""
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    kept = []
    for statement in statements:
        holds = _condition_holds(statement.get("Condition", {}), context) if statement.get("Condition") else None
        if holds is False:
            continue  # on AWS a statement whose condition is false does not apply
        if holds is True:
            statement = {k: v for k, v in statement.items() if k != "Condition"}
        kept.append(statement)
    return {**policy, "Statement": kept}


def patch_moto() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self, action: str, resource: str):
        if self.policy is None:
            return PermissionResult.NEUTRAL
        headers = getattr(_REQUEST, "headers", None) or {}
        context = dict(REQUEST_CONTEXT)
        if action == "s3:PutObject":
            context |= {key: headers[header] for key, header in SSE_HEADERS.items() if header in headers}
        policy = resolve_transport_conditions(json.loads(self.policy.decode()), context)
        if not policy["Statement"]:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps(policy)).is_action_permitted(action, resource)

    # Monkey-patching the emulator (setattr: mypy rightly refuses plain assignment to a method).
    setattr(FakeBucket, "get_permission", get_permission)  # noqa: B010

    from moto.s3.responses import S3Response

    key_response = S3Response._key_response

    def _key_response(self, request, full_url: str):  # the request's headers, for get_permission
        _REQUEST.headers = request.headers
        try:
            return key_response(self, request, full_url)
        finally:
            _REQUEST.headers = None

    setattr(S3Response, "_key_response", _key_response)  # noqa: B010

    from moto.sqs.models import Queue

    moto_attributes = vars(Queue)["attributes"].fget

    def attributes(self) -> dict:
        result = moto_attributes(self)
        if self.redrive_policy:
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    setattr(Queue, "attributes", property(attributes))  # noqa: B010

    from moto.apigateway.models import Account

    moto_account_patch = Account.apply_patch_operations

    def apply_patch_operations(self, patch_operations: list[dict]):
        rest = []
        for op in patch_operations:
            if op.get("path") == "/cloudwatchRoleArn" and "value" not in op:
                self.cloudwatch_role_arn = None
            else:
                rest.append(op)
        return moto_account_patch(self, rest)

    setattr(Account, "apply_patch_operations", apply_patch_operations)  # noqa: B010


def write_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (valid one day) and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "agenticai e2e emulator")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "emulator.crt", directory / "emulator.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


class TlsMotoServer(MotoServer):
    """:class:`MotoServer` over HTTPS with :func:`patch_moto` applied; clients trust it via AWS_CA_BUNDLE."""

    def __init__(self, cert_dir: Path, port: int | None = None, log_path: Path | None = None) -> None:
        super().__init__(port=port, log_path=log_path)
        self.cert, self.key = write_certificate(cert_dir)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def env(self, region: str = "us-east-1") -> dict[str, str]:
        return {**super().env(region), "AWS_CA_BUNDLE": str(self.cert)}

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "scripts.emulator.tls",
            "-H",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-c",
            str(self.cert),
            "-k",
            str(self.key),
        ]

    def process_env(self) -> dict[str, str]:
        # AWS has its managed policies in every account; moto loads them only when asked. The stack
        # attaches AmazonAPIGatewayPushToCloudWatchLogs to the API Gateway CloudWatch role.
        return {**super().process_env(), "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


if __name__ == "__main__":
    from scripts.emulator import fidelity

    fidelity.apply()  # what the plain MotoServer launcher applies too
    patch_moto()
    from moto.server import main

    main(sys.argv[1:])
