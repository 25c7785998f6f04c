"""scripts/manage_keys.py against a real moto server: create, list, disable, rotate, delete, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from modules.functions import keys
from scripts import manage_keys
from scripts.emulator import front_door as front_door_aws
from tests.support.emulator import use_emulator

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def aws(moto_server, monkeypatch):
    use_emulator(moto_server, monkeypatch)
    return front_door_aws.create()


def cli(aws, capsys, *args: str) -> tuple[int, str, str]:
    code = manage_keys.main(["--env", "local", "--name-prefix", aws.names.prefix, *args])
    out, err = capsys.readouterr()
    return code, out, err


def _field(output: str, name: str) -> str:
    return next(line.split(":", 1)[1].strip() for line in output.splitlines() if line.startswith(f"{name}:"))


def _item(aws, key_id: str) -> dict:
    return boto3.client("dynamodb").get_item(TableName=aws.names.keys_table, Key={"key_id": {"S": key_id}})["Item"]


def test_create_prints_the_key_once_and_stores_only_its_hash(aws, capsys) -> None:
    code, out, err = cli(aws, capsys, "create", "--name", "canary", "--rate-limit", "250")
    assert code == 0, err
    key, key_id = _field(out, "api_key"), _field(out, "key_id")
    assert keys.key_id_of(key) == key_id
    assert "shown only this once" in err
    assert "only its hash is stored" not in err + out  # the old, false message
    assert "Secrets Manager " + aws.names.key_secret("canary") + ": the key itself" in out

    item = _item(aws, key_id)
    assert item["key_hash"]["S"] == keys.hash_key(key, aws.pepper.encode())
    assert key not in json.dumps(item)
    assert item["rate_limit"] == {"N": "250"}
    assert item["enabled"] == {"BOOL": True}
    assert item["usage_plan_id"] == {"S": aws.usage_plan_id}
    assert set(item) >= {"key_id", "name", "created_at", "usage_plan_id", "enabled", "rate_limit"}

    secret = boto3.client("secretsmanager").get_secret_value(SecretId=aws.names.key_secret("canary"))
    assert secret["SecretString"] == key

    apigw = boto3.client("apigateway")
    plan_keys = apigw.get_usage_plan_keys(usagePlanId=aws.usage_plan_id)["items"]
    assert [k["id"] for k in plan_keys] == [item["apigw_key_id"]["S"]]
    value = apigw.get_api_key(apiKey=item["apigw_key_id"]["S"], includeValue=True)["value"]
    assert value == item["metering_value"]["S"] == keys.metering_value(item["key_hash"]["S"], aws.pepper.encode())
    assert keys.METERING_PATTERN.fullmatch(value)
    described = boto3.client("secretsmanager").describe_secret(SecretId=aws.names.key_secret("canary"))
    assert described["KmsKeyId"] in (aws.data_key_arn, aws.names.data_key_alias)
    assert {"Key": "ManagedBy", "Value": "scripts/manage_keys.py"} in described["Tags"]


def test_create_uses_the_environment_default_rate_limit(aws, capsys) -> None:
    code, out, _ = cli(aws, capsys, "create", "--name", "partner", "--no-secret")
    assert code == 0
    from environments import load

    assert _item(aws, _field(out, "key_id"))["rate_limit"] == {
        "N": str(load("local").auth.default_key_rate_limit_per_hour)
    }


def test_list_never_shows_values_or_hashes(aws, capsys) -> None:
    _, out, _ = cli(aws, capsys, "create", "--name", "a", "--no-secret")
    key = _field(out, "api_key")
    cli(aws, capsys, "create", "--name", "b", "--no-secret")
    code, out, _ = cli(aws, capsys, "list", "--json")
    assert code == 0
    rows = json.loads(out)
    assert sorted(r["name"] for r in rows) == ["a", "b"]
    assert key not in out
    assert "key_hash" not in out
    code, table, _ = cli(aws, capsys, "list")
    assert code == 0
    assert table.splitlines()[0].split()[:3] == ["key_id", "name", "enabled"]


def test_disable_turns_off_the_record_and_the_gateway_key(aws, capsys) -> None:
    _, out, _ = cli(aws, capsys, "create", "--name", "gone", "--no-secret")
    key_id = _field(out, "key_id")
    code, out, _ = cli(aws, capsys, "disable", "--key-id", key_id)
    assert code == 0
    assert f"disabled {key_id}" in out
    item = _item(aws, key_id)
    assert item["enabled"] == {"BOOL": False}
    assert boto3.client("apigateway").get_api_key(apiKey=item["apigw_key_id"]["S"])["enabled"] is False


def test_rotate_issues_a_new_key_and_keeps_the_old_one_for_the_grace_period(aws, capsys) -> None:
    _, out, _ = cli(aws, capsys, "create", "--name", "rotating", "--rate-limit", "77", "--store-secret")
    old_id = _field(out, "key_id")
    code, out, _ = cli(aws, capsys, "rotate", "--key-id", old_id, "--grace-hours", "2")
    assert code == 0
    assert f"Secrets Manager {aws.names.key_secret('rotating')}: the key itself" in out
    new_id, new_key = _field(out, "key_id"), _field(out, "api_key")
    assert new_id != old_id
    old, new = _item(aws, old_id), _item(aws, new_id)
    assert old["enabled"] == {"BOOL": True}
    assert old["replaced_by"] == {"S": new_id}
    assert 0 < int(old["expires_at"]["N"]) - int(__import__("time").time()) <= 2 * 3600
    assert new["rate_limit"] == {"N": "77"}
    assert new["name"] == {"S": "rotating"}
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=aws.names.key_secret("rotating"))
    assert secret["SecretString"] == new_key  # the canary picks up the new key


def test_delete_removes_the_record_and_the_gateway_key(aws, capsys) -> None:
    _, out, _ = cli(aws, capsys, "create", "--name", "temp", "--no-secret")
    key_id = _field(out, "key_id")
    apigw_key = _item(aws, key_id)["apigw_key_id"]["S"]
    assert cli(aws, capsys, "delete", "--key-id", key_id, "--yes")[0] == 0
    assert "Item" not in boto3.client("dynamodb").get_item(
        TableName=aws.names.keys_table, Key={"key_id": {"S": key_id}}
    )
    assert apigw_key not in [k["id"] for k in boto3.client("apigateway").get_api_keys()["items"]]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("create", "--name", "Bad Name"), 2, "error: name: got 'Bad Name'; allowed: 1-63 lowercase"),
        (("create", "--name", "ok", "--rate-limit", "0"), 2, "error: rate-limit: got 0; allowed: an integer >= 1"),
        (("disable", "--key-id", "xyz"), 2, "error: key-id: got 'xyz'; allowed: 16 lowercase hex characters"),
        (("rotate", "--key-id", "0123456789abcdef", "--grace-hours", "-1"), 2, "error: grace-hours: got -1"),
        (("disable", "--key-id", "0123456789abcdef"), 2, "error: key-id: got '0123456789abcdef'; no such key"),
        (("delete", "--key-id", "0123456789abcdef"), 2, "no such key"),
    ],
)
def test_bad_input_is_a_clear_error_and_non_zero_exit(aws, capsys, args, code, message) -> None:
    result, out, err = cli(aws, capsys, *args)
    assert result == code
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_missing_stack_resources_are_reported(moto_server, monkeypatch, capsys) -> None:
    use_emulator(moto_server, monkeypatch)
    code = manage_keys.main(["--env", "local", "--name-prefix", "not-applied-yet", "create", "--name", "x"])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: pepper secret 'not-applied-yet/auth/pepper' not found; apply the stack first" in err


def test_command_line_unknown_environment_and_no_traceback(moto_server) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/manage_keys.py", "--env", "qa", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**moto_server.env(), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 2
    assert "unknown environment 'qa'; valid environments: dev, staging, prod, local" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_before_the_subcommand_covers_create_and_disable(aws, capsys) -> None:
    code, out, _ = cli(aws, capsys, "--json", "create", "--name", "robot", "--no-secret")
    created = json.loads(out)
    assert code == 0
    assert set(created) == {"key_id", "rate_limit", "secret", "api_key"}
    assert created["secret"] is None
    code, out, _ = cli(aws, capsys, "--json", "disable", "--key-id", created["key_id"])
    assert code == 0
    assert json.loads(out) == {"key_id": created["key_id"], "disabled": True}
    code, out, _ = cli(aws, capsys, "--json", "list")
    assert code == 0
    assert created["key_id"] in [row["key_id"] for row in json.loads(out)]


def test_wrong_account_exits_2_with_one_line(aws, capsys) -> None:
    """dev is account 111111111111; moto's credentials are 123456789012: refused before any key operation."""
    code = manage_keys.main(["--env", "dev", "--name-prefix", aws.names.prefix, "list"])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        "error: --env dev: the credentials are for account 123456789012, but dev is account 111111111111; "
        "refusing to run"
    ]


def test_unreachable_aws_exits_3(monkeypatch, capsys) -> None:
    from botocore.config import Config

    from scripts.emulator.moto_server import TEST_CREDENTIALS, free_port

    for name, value in {**TEST_CREDENTIALS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}.items():
        monkeypatch.setenv(name, value)
    # No retries: connecting to a closed port would only be retried with backoff.
    monkeypatch.setattr("scripts.cli.aws_config", lambda *_args, **_kwargs: Config(retries={"max_attempts": 0}))
    code = manage_keys.main(["--env", "local", "list"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("error: Could not connect to the endpoint URL")
    assert len(err.splitlines()) == 1


# --- derived metering values, a key tool that cannot overwrite secrets ----


def _unreachable(monkeypatch) -> None:
    """Any AWS call would now fail with exit 3: an exit 2 proves the check ran before any call."""
    from botocore.config import Config

    from scripts.emulator.moto_server import TEST_CREDENTIALS, free_port

    for name, value in {**TEST_CREDENTIALS, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("scripts.cli.aws_config", lambda *_args, **_kwargs: Config(retries={"max_attempts": 0}))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("create", "--name", "x", "--store-secret", "--secret-name", "agenticai-local/auth/pepper"),
            "error: secret-name: got 'agenticai-local/auth/pepper'; allowed: agenticai-local/api-keys/<name>",
        ),
        (
            ("create", "--name", "x", "--store-secret", "--secret-name", "agenticai-local/api-keys/a/b"),
            "error: secret-name: got 'agenticai-local/api-keys/a/b'",
        ),
        (("create", "--name", "x", "--secret-name", "agenticai-local/api-keys/x"), "only with --store-secret"),
        (("create", "--name", "canary", "--no-secret"), "error: no-secret: not allowed for the canary key"),
        (("create", "--name", "x", "--usage-plan-id", "../plan"), "error: usage-plan-id: got '../plan'"),
        (("--region", "mars-1", "list"), "error: region: got 'mars-1'; allowed: a commercial AWS region"),
        (("--name-prefix", "Bad_Prefix", "list"), "error: name-prefix: got 'Bad_Prefix'; allowed: 3-24 lowercase"),
        (("rotate-pepper", "--grace-hours", "0"), "error: grace-hours: got 0; allowed: an integer >= 1"),
        (("delete", "--key-id", "XYZ"), "error: key-id: got 'XYZ'"),
    ],
)
def test_bad_arguments_exit_2_before_any_aws_call(monkeypatch, capsys, args, message) -> None:
    _unreachable(monkeypatch)
    argv = ["--env", "local", *args] if args[0].startswith("--") else ["--env", "local", *args]
    code = manage_keys.main(argv)
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err.splitlines() == [err.strip()]
    assert err.startswith(message) or message in err


def test_the_pepper_secret_cannot_be_overwritten(aws, capsys) -> None:
    before = boto3.client("secretsmanager").get_secret_value(SecretId=aws.names.pepper_secret)["SecretString"]
    code, _, err = cli(aws, capsys, "create", "--name", "x", "--store-secret", "--secret-name", aws.names.pepper_secret)
    assert code == 2
    assert "secret-name" in err
    after = boto3.client("secretsmanager").get_secret_value(SecretId=aws.names.pepper_secret)["SecretString"]
    assert after == before
    assert boto3.client("dynamodb").scan(TableName=aws.names.keys_table)["Items"] == []  # nothing half-written


def test_partner_keys_are_stored_in_secrets_manager_only_when_asked(aws, capsys) -> None:
    _, out, _ = cli(aws, capsys, "create", "--name", "partner-a")
    assert "not in Secrets Manager: this output is the only copy of the key" in out
    _, out, _ = cli(aws, capsys, "create", "--name", "partner-b", "--store-secret")
    assert f"Secrets Manager {aws.names.key_secret('partner-b')}: the key itself" in out
    names = [s["Name"] for s in boto3.client("secretsmanager").list_secrets()["SecretList"]]
    assert aws.names.key_secret("partner-b") in names
    assert aws.names.key_secret("partner-a") not in names


def test_delete_without_yes_and_without_a_terminal_deletes_nothing(aws, capsys) -> None:
    _, out, _ = cli(aws, capsys, "create", "--name", "keep")
    key_id = _field(out, "key_id")
    code, out, err = cli(aws, capsys, "delete", "--key-id", key_id)
    assert code == 2
    assert "pass --yes" in err
    assert _item(aws, key_id)["enabled"] == {"BOOL": True}


def test_delete_asks_and_proceeds_only_on_yes(aws, capsys, monkeypatch) -> None:
    _, out, _ = cli(aws, capsys, "create", "--name", "asked")
    key_id = _field(out, "key_id")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda _prompt: "no")
    assert cli(aws, capsys, "delete", "--key-id", key_id)[0] == 2
    assert _item(aws, key_id)
    monkeypatch.setattr("builtins.input", lambda _prompt: "yes")
    assert cli(aws, capsys, "delete", "--key-id", key_id)[0] == 0


def test_no_api_gateway_key_value_equals_or_contains_an_issued_key(aws, capsys) -> None:
    issued = []
    for args in (("create", "--name", "canary"), ("create", "--name", "p1"), ("create", "--name", "p2")):
        _, out, _ = cli(aws, capsys, *args)
        issued.append((_field(out, "key_id"), _field(out, "api_key")))
    _, out, _ = cli(aws, capsys, "rotate", "--key-id", issued[1][0], "--grace-hours", "1")
    issued.append((_field(out, "key_id"), _field(out, "api_key")))
    listed = boto3.client("apigateway").get_api_keys(includeValues=True, limit=500)["items"]
    values = [k["value"] for k in listed if k["name"].startswith(aws.names.prefix + "-")]
    assert len(values) == 4
    for value in values:
        assert keys.METERING_PATTERN.fullmatch(value)
        for _, key in issued:
            assert key not in value
            assert key[19:] not in value
            assert value not in key


def test_migrate_metering_replaces_raw_key_values(aws, capsys) -> None:
    """A key issued by the previous tool (API Gateway value = the key, no metering_value) is migrated."""
    manager = manage_keys.KeyManager(names=aws.names, region="us-east-1")
    key_id, key = manager.create(name="legacy", rate_limit=5)
    apigw, ddb = boto3.client("apigateway"), boto3.client("dynamodb")
    # Re-create the old state: the raw key as the API Gateway value, no metering_value in the record.
    old = apigw.create_api_key(name="legacy-raw", value=key, enabled=True)
    apigw.create_usage_plan_key(usagePlanId=aws.usage_plan_id, keyId=old["id"], keyType="API_KEY")
    new_id = _item(aws, key_id)["apigw_key_id"]["S"]
    apigw.delete_usage_plan_key(usagePlanId=aws.usage_plan_id, keyId=new_id)
    apigw.delete_api_key(apiKey=new_id)
    ddb.update_item(
        TableName=aws.names.keys_table,
        Key={"key_id": {"S": key_id}},
        UpdateExpression="SET apigw_key_id = :id REMOVE metering_value, pepper_version",
        ExpressionAttributeValues={":id": {"S": old["id"]}},
    )
    code, out, _ = cli(aws, capsys, "migrate-metering")
    assert code == 0
    assert "1 key(s) now metered" in out
    assert key_id in out
    listed = apigw.get_api_keys(includeValues=True, limit=500)["items"]
    values = [k["value"] for k in listed if k["name"].startswith(aws.names.prefix + "-")]
    assert key not in [k["value"] for k in listed]
    item = _item(aws, key_id)
    assert values == [item["metering_value"]["S"]]
    assert item["apigw_key_id"]["S"] != old["id"]
    plan_keys = [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=aws.usage_plan_id)["items"]]
    assert plan_keys == [item["apigw_key_id"]["S"]]
    assert cli(aws, capsys, "migrate-metering")[1].startswith("0 key(s)")  # idempotent


def test_init_pepper_once_then_rotate_pepper(moto_server, monkeypatch, capsys) -> None:
    use_emulator(moto_server, monkeypatch)
    aws = front_door_aws.create(pepper_value=False)
    code, out, _ = cli(aws, capsys, "create", "--name", "early")
    assert code == 2  # no pepper yet: nothing can be hashed
    code, out, _ = cli(aws, capsys, "init-pepper")
    assert code == 0
    assert "pepper version 1 written" in out
    stored = boto3.client("secretsmanager").get_secret_value(SecretId=aws.names.pepper_secret)["SecretString"]
    peppers = keys.parse_pepper_secret(stored)
    assert peppers.current == 1
    assert peppers.current_pepper().value.decode() not in out
    code, _, err = cli(aws, capsys, "init-pepper")
    assert code == 2
    assert "already has a value; use rotate-pepper" in err
    code, out, _ = cli(aws, capsys, "rotate-pepper", "--grace-hours", "2")
    assert code == 0
    assert "pepper version 2 written" in out
    rotated = keys.parse_pepper_secret(
        boto3.client("secretsmanager").get_secret_value(SecretId=aws.names.pepper_secret)["SecretString"]
    )
    assert rotated.current == 2
    assert rotated.get(1).value == peppers.get(1).value
    assert rotated.get(1).refuse_after is not None
    for pepper in rotated.versions:
        assert pepper.value.decode() not in out
