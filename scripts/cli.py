"""Shared plumbing of the operator scripts: one contract for exit codes, the account check, ``--json``, progress.

Exit status, the same for every script under ``scripts/`` (this is the one place it is defined):

    0  ok: nothing to do
    1  action needed (a check failed, over budget, a key is due for rotation, the DR drill missed its target)
    2  usage or configuration error (bad argument, unknown environment, credentials for the wrong account)
    3  AWS unreachable or denied (no credentials, no network, an API call refused)

Every operator script that talks to AWS calls :func:`connect` first: it loads the environment's config,
calls STS ``GetCallerIdentity`` and refuses, with one line and exit 2, when the caller's account is not the
environment's ``account_id`` (the ``local`` environment's account is moto's 123456789012). ``--env`` is
always required: no script defaults to ``prod``. Errors are one ``error: ...`` line on stderr, never a
traceback; progress of long steps goes to stderr too, so stdout stays the report (text, ``--json`` or
``--markdown``).

Retries are botocore's: :func:`aws_config` returns ``Config(retries={"mode": "standard", "max_attempts": N})``
(https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html). Standard mode retries
throttling and transient errors with exponential backoff and jitter. In botocore's ``retries`` dict,
``max_attempts`` is the number of *retries* after the first request (``total_max_attempts`` counts the first
too), hence the name ``max_retries`` here.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

EXIT_OK = 0
EXIT_ACTION_NEEDED = 1
EXIT_USAGE = 2
EXIT_AWS = 3

#: Retries after the first request in botocore's standard retry mode, unless a script says otherwise.
DEFAULT_MAX_RETRIES = 4


class CliError(Exception):
    """A user-facing failure: printed as one ``error: ...`` line, exit status ``code``.

    Default: exit 2 (usage or configuration error).
    """

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def progress(message: str) -> None:
    """One progress line on stderr (stdout is reserved for the report)."""
    print(f"... {message}", file=sys.stderr, flush=True)


def aws_config(max_retries: int = DEFAULT_MAX_RETRIES):
    """botocore client config: standard retry mode, up to ``max_retries`` retries after the first request.

    Default: 4 retries (5 requests at most) of throttling or transient errors; 0 sends one request only.
    """
    from botocore.config import Config

    if max_retries < 0:
        raise ValueError(f"max_retries: got {max_retries!r}; allowed: an integer >= 0")
    return Config(retries={"mode": "standard", "max_attempts": max_retries})


def add_common_arguments(parser: argparse.ArgumentParser, *, json_help: str = "print JSON instead of text") -> None:
    """``--env`` (required: never a default environment) and ``--json``."""
    from environments import ENVIRONMENTS

    parser.add_argument("--env", required=True, help=f"environment, one of {', '.join(ENVIRONMENTS)} (required)")
    parser.add_argument("--json", action="store_true", help=json_help)


def load_config(env: str):
    """The environment's config, or a CliError (exit 2) naming the problem."""
    from environments import EnvironmentConfigError, UnknownEnvironmentError, load

    try:
        return load(env)
    except (UnknownEnvironmentError, EnvironmentConfigError) as error:
        raise CliError(str(error)) from None


@dataclass
class Connection:
    """The environment's config and a boto3 session whose account was checked."""

    config: Any
    session: Any
    account_id: str
    caller_arn: str

    def client(self, service: str, *, region: str | None = None, max_retries: int = DEFAULT_MAX_RETRIES):
        """A client in the environment's region (default) with botocore's standard retries."""
        return self.session.client(service, region_name=region or self.config.region, config=aws_config(max_retries))


def check_account(session, config) -> tuple[str, str]:
    """(account, caller ARN) from STS GetCallerIdentity; CliError(2) when it is not the environment's account."""
    sts = session.client("sts", region_name=config.region, config=aws_config(1))
    identity = sts.get_caller_identity()
    account = identity.get("Account", "")
    if account != config.account_id:
        raise CliError(
            f"--env {config.name}: the credentials are for account {account}, "
            f"but {config.name} is account {config.account_id}; refusing to run"
        )
    return account, identity.get("Arn", "")


def connect(env: str, *, session=None) -> Connection:
    """Load ``env``'s config and check that ``session`` (default: boto3's credential chain) is in its account."""
    config = load_config(env)
    if session is None:
        import boto3

        session = boto3.Session(region_name=config.region)
    account, arn = check_account(session, config)
    return Connection(config=config, session=session, account_id=account, caller_arn=arn)


def aws_error_line(error: BaseException) -> str:
    """One line for a botocore error: the service's code and message, or botocore's own message."""
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(error, NoCredentialsError):
        return "no AWS credentials found (configure a profile, SSO or environment credentials)"
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        operation = getattr(error, "operation_name", "") or "AWS"
        return f"{operation}: {info.get('Code', 'Error')}: {_one_line(info.get('Message', error))}"
    return _one_line(error)


def _one_line(message: object, limit: int = 120) -> str:
    """A message on one line: an HTML error page (an emulator's 500) reduced to its text, long ones cut."""
    text = str(message)
    if text.lstrip().startswith("<"):
        text = re.sub(r"<[^>]+>", " ", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def guarded(main: Callable[..., int]) -> Callable[..., int]:
    """Turn CliError and AWS errors raised by ``main`` into one stderr line and the contract's exit status."""

    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return main(*args, **kwargs)
        except CliError as error:
            print(f"error: {error}", file=sys.stderr)
            return error.code
        except (ClientError, BotoCoreError) as error:
            print(f"error: {aws_error_line(error)}", file=sys.stderr)
            return EXIT_AWS

    return wrapper


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """argparse, whose own usage errors already exit 2 (and ``--help`` exits 0 before anything runs)."""
    return parser.parse_args(argv)
