"""The Synthetics canary: packaging, the Terraform it synthesizes, per-environment values, validation."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from environments import ENVIRONMENTS, load
from environments.config import BackupConfig, CanaryConfig, ConfigError
from environments.config.canary import MIN_RUNTIME_MAJOR
from modules.core.naming import Naming
from modules.synthetics.canary import CANARY_FILES, HANDLER, canary_name, canary_zip_bytes, package_canary
from tests.support.rejects import rejects

ROOT = Path(__file__).resolve().parent.parent
CANARY_DIR = ROOT / "canary"
WITH_CANARY = [env for env in ENVIRONMENTS if load(env).canary.enabled]


def test_some_environments_run_a_canary_and_local_does_not(stacks) -> None:
    assert {"dev", "staging", "prod"} <= set(WITH_CANARY)
    # moto's CreateCanary is broken, so the emulator profile switches it off explicitly.
    assert load("local").canary.enabled is False
    assert stacks["local"].count("aws_synthetics_canary") == 0


def test_zip_has_the_layout_the_synthetics_node_runtime_loads() -> None:
    with zipfile.ZipFile(package_canary(CANARY_DIR, ROOT / "build" / "test-canary").path) as archive:
        names = archive.namelist()
        assert names == sorted(f"nodejs/node_modules/{name}" for name in CANARY_FILES)
        handler_file, handler_export = HANDLER.split(".")
        wrapper = archive.read(f"nodejs/node_modules/{handler_file}.js").decode()
        assert f"exports.{handler_export} = " in wrapper
        assert "require('./apiCheck')" in wrapper
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
        assert not any(name.endswith(".test.js") for name in names)


def test_zip_is_deterministic(tmp_path: Path) -> None:
    copy = tmp_path / "canary"
    copy.mkdir()
    for name in CANARY_FILES:
        (copy / name).write_bytes((CANARY_DIR / name).read_bytes())
    assert canary_zip_bytes(copy) == canary_zip_bytes(CANARY_DIR)
    (copy / "apiCheck.js").write_text((CANARY_DIR / "apiCheck.js").read_text() + "\n// changed\n")
    assert canary_zip_bytes(copy) != canary_zip_bytes(CANARY_DIR)


@pytest.mark.parametrize("env", WITH_CANARY)
def test_canary_resource(env: str, stacks, synth_dir: Path) -> None:
    config = load(env)
    stack = stacks[env]
    canary = stack.resource("aws_synthetics_canary")
    assert canary["name"] == canary_name(Naming(config.name_prefix))
    assert re.fullmatch(r"[0-9a-z_-]{1,21}", canary["name"])
    assert re.fullmatch(r"syn-nodejs-puppeteer-\d+\.\d+", canary["runtime_version"])
    assert canary["runtime_version"] == config.canary.runtime_version
    assert canary["handler"] == HANDLER
    assert canary["schedule"] == {"expression": config.canary.schedule_expression}  # rate(...) or business-hours cron
    assert 5 <= config.canary.schedule_minutes <= 15
    assert canary["start_canary"] is config.canary.start_canary
    assert canary["delete_lambda"] is True
    assert canary["success_retention_period"] == config.canary.success_retention_days
    assert canary["failure_retention_period"] == config.canary.failure_retention_days
    run = canary["run_config"]
    assert run["timeout_in_seconds"] == config.canary.run_timeout_seconds
    assert run["memory_in_mb"] == 960
    # The zip referenced by the JSON is the one the synth wrote next to it.
    zip_path = synth_dir / "stacks" / env / canary["zip_file"]
    assert canary["zip_file"].startswith("assets/")
    assert zip_path.is_file()
    assert zip_path.read_bytes() == canary_zip_bytes(CANARY_DIR)


@pytest.mark.parametrize("env", WITH_CANARY)
def test_api_key_is_read_at_run_time_never_in_terraform(env: str, stacks) -> None:
    stack = stacks[env]
    variables = stack.resource("aws_synthetics_canary")["run_config"]["environment_variables"]
    assert set(variables) == {"API_BASE_URL", "API_KEY_SECRET_ID", "REQUEST_TIMEOUT_MS"}
    assert re.fullmatch(r"\$\{aws_api_gateway_stage\.[^.]+\.invoke_url\}", variables["API_BASE_URL"])
    secret_ref = re.fullmatch(r"\$\{aws_secretsmanager_secret\.([^.]+)\.arn\}", variables["API_KEY_SECRET_ID"])
    assert secret_ref, "the canary gets the secret's ARN, not its value"
    secret = stack.document["resource"]["aws_secretsmanager_secret"][secret_ref.group(1)]
    assert "canary" in secret["name"]
    # Terraform manages the canary key's container only, never a value.
    versions = stack.resources("aws_secretsmanager_secret_version")
    assert not [v for v in versions if secret_ref.group(1) in v["secret_id"]]


def secret_of(stack, canary: dict) -> dict:
    """The secret resource whose ARN the canary reads its key from."""
    key = re.fullmatch(
        r"\$\{aws_secretsmanager_secret\.([^.]+)\.arn\}",
        canary["run_config"]["environment_variables"]["API_KEY_SECRET_ID"],
    ).group(1)
    return stack.document["resource"]["aws_secretsmanager_secret"][key]


@pytest.mark.parametrize("env", WITH_CANARY)
def test_role_is_least_privilege(env: str, stacks) -> None:
    stack = stacks[env]
    canary = stack.resource("aws_synthetics_canary")
    role_key = re.fullmatch(r"\$\{aws_iam_role\.([^.]+)\.arn\}", canary["execution_role_arn"]).group(1)
    role = stack.document["resource"]["aws_iam_role"][role_key]
    policy = next(p for p in stack.resources("aws_iam_role_policy") if p["role"] == f"${{aws_iam_role.{role_key}.id}}")
    doc_key = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}", policy["policy"]).group(1)
    statements = {s["sid"]: s for s in stack.document["data"]["aws_iam_policy_document"][doc_key]["statement"]}
    trust_key = re.fullmatch(r"\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}", role["assume_role_policy"])
    trust = stack.document["data"]["aws_iam_policy_document"][trust_key.group(1)]["statement"]
    assert trust == [
        {"actions": ["sts:AssumeRole"], "principals": [{"identifiers": ["lambda.amazonaws.com"], "type": "Service"}]}
    ]
    assert set(statements) == {
        "WriteArtifacts",
        "LocateArtifactBucket",
        "ListBucketsForSynthetics",
        "WriteLogs",
        "PublishCanaryMetrics",
        "ReadApiKey",
        "DecryptApiKey",
    }
    for statement in statements.values():
        assert statement["effect"] == "Allow"
        assert not any(a.endswith(":*") or a == "*" for a in statement["actions"]), statement
    assert statements["WriteArtifacts"]["resources"][0].endswith(".arn}/runs/*")
    assert statements["ReadApiKey"]["actions"] == ["secretsmanager:GetSecretValue"]
    assert statements["ReadApiKey"]["resources"] == [canary["run_config"]["environment_variables"]["API_KEY_SECRET_ID"]]
    assert statements["WriteLogs"]["resources"][0].endswith(f":log-group:/aws/lambda/cwsyn-{canary['name']}-*")
    assert statements["WriteLogs"]["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents"]  # never creates one
    # The secret is encrypted with the data key: decrypt with that key only, and only through Secrets Manager.
    decrypt = statements["DecryptApiKey"]
    assert decrypt["actions"] == ["kms:Decrypt"]
    assert decrypt["resources"] == ["${aws_kms_key.data-key_5D719C34.arn}"]
    assert secret_of(stack, canary)["kms_key_id"] == decrypt["resources"][0]
    [condition] = decrypt["condition"]
    assert condition["variable"] == "kms:ViaService"
    assert len(condition["values"]) == 1
    assert condition["values"][0].startswith("secretsmanager.${data.aws_region.")
    # Only the two actions with no resource-level permissions get "*", and metrics are namespace-scoped.
    star = {sid for sid, s in statements.items() if s["resources"] == ["*"]}
    assert star == {"ListBucketsForSynthetics", "PublishCanaryMetrics"}
    assert statements["PublishCanaryMetrics"]["condition"] == [
        {"test": "StringEquals", "variable": "cloudwatch:namespace", "values": ["CloudWatchSynthetics"]}
    ]


@pytest.mark.parametrize("env", WITH_CANARY)
def test_artifact_bucket_is_encrypted_and_expires_runs(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[env]
    canary = stack.resource("aws_synthetics_canary")
    bucket_key = re.fullmatch(r"s3://\$\{aws_s3_bucket\.([^.]+)\.id\}/runs/", canary["artifact_s3_location"]).group(1)
    ref = f"${{aws_s3_bucket.{bucket_key}.id}}"
    sse = stack.resource("aws_s3_bucket_server_side_encryption_configuration", bucket=ref)
    assert sse["rule"][0]["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    rules = {r["id"]: r for r in stack.resource("aws_s3_bucket_lifecycle_configuration", bucket=ref)["rule"]}
    assert rules["expire-current-versions"]["expiration"] == [{"days": config.canary.artifact_retention_days}]
    assert rules["expire-noncurrent-versions"]["noncurrent_version_expiration"] == [{"noncurrent_days": 1}]
    assert stack.resource("aws_s3_bucket_public_access_block", bucket=ref)["block_public_policy"] is True


@pytest.mark.parametrize("env", WITH_CANARY)
def test_canary_alarm_fires_after_two_failed_runs(env: str, stacks) -> None:
    config = load(env)
    stack = stacks[env]
    name = stack.resource("aws_synthetics_canary")["name"]
    alarms = [
        a
        for a in stack.resources("aws_cloudwatch_metric_alarm")
        if a.get("namespace") == "CloudWatchSynthetics" and a.get("dimensions", {}).get("CanaryName") == name
    ]
    assert len(alarms) == 1
    alarm = alarms[0]
    assert alarm["metric_name"] == "SuccessPercent"
    assert alarm["comparison_operator"] == "LessThanThreshold"
    assert alarm["threshold"] == 100
    assert alarm["evaluation_periods"] == config.canary.alarm_consecutive_failed_runs
    assert alarm["period"] == config.canary.schedule_minutes * 60


def test_the_stack_passes_the_configured_failed_run_count_to_the_canary_alarm() -> None:
    """The stack wires ``canary.alarm_consecutive_failed_runs`` (not the default 2) into the alarm."""
    import json

    from cdktf import Testing

    from modules.stack import AgenticAiStack

    base = load("dev")
    config = base.replace(canary=base.canary.replace(alarm_consecutive_failed_runs=3))
    document = json.loads(Testing.synth(AgenticAiStack(Testing.app(), "dev", config=config)))
    alarms = [
        a
        for a in document["resource"]["aws_cloudwatch_metric_alarm"].values()
        if a.get("namespace") == "CloudWatchSynthetics" and a.get("metric_name") == "SuccessPercent"
    ]
    assert [(a["evaluation_periods"], a["datapoints_to_alarm"]) for a in alarms] == [(3, 3)]


def test_start_canary_is_configurable() -> None:
    from modules.core.kms import DataKey
    from modules.core.refs import RestApiRef
    from modules.synthetics.canary import ApiCanary
    from tests.synth import synth_scope

    package = package_canary(CANARY_DIR, ROOT / "build" / "test-canary")
    api = RestApiRef("id", "api", "v1", "arn:stage", "arn:exec", "https://id.execute-api.us-east-1.amazonaws.com/v1")

    def build(scope):
        ApiCanary(
            scope,
            "canary",
            config=CanaryConfig(start_canary=False, schedule_minutes=15, request_timeout_seconds=3),
            abort_incomplete_multipart_upload_days=BackupConfig().abort_incomplete_multipart_upload_days,
            naming=Naming("agenticai-test"),
            api=api,
            package=package,
            data_key=DataKey(scope, "data-key", naming=Naming("agenticai-test")),
        )

    stack = synth_scope(build)
    canary = stack.resource("aws_synthetics_canary")
    assert canary["start_canary"] is False
    assert canary["schedule"] == {"expression": "rate(15 minutes)"}
    assert canary["run_config"]["environment_variables"]["API_BASE_URL"] == api.invoke_url
    assert canary["run_config"]["environment_variables"]["REQUEST_TIMEOUT_MS"] == "3000"
    # Without a secret from the front door, the construct creates the empty container itself.
    secret = stack.resource("aws_secretsmanager_secret")
    assert secret["name"] == "agenticai-test/canary/api-key"
    assert secret["kms_key_id"] == "${aws_kms_key.data-key_5D719C34.arn}"
    assert "secret_string" not in json.dumps(stack.document)


def test_canary_name_fits_21_characters() -> None:
    assert canary_name(Naming("agenticai-prod")) == "agenticai-prod-api"
    long = canary_name(Naming("agenticai-staging-eu1"))
    assert len(long) <= 21
    assert re.fullmatch(r"[0-9a-z_-]+", long)
    assert long == canary_name(Naming("agenticai-staging-eu1"))  # stable
    assert long != canary_name(Naming("agenticai-staging-eu2"))


def test_runs_per_month() -> None:
    assert CanaryConfig(schedule_minutes=5).runs_per_month == 8640
    assert CanaryConfig(schedule_minutes=15).runs_per_month == 2880


def test_rejects_schedule_faster_than_5_minutes() -> None:
    rejects(
        r"^canary.schedule_minutes: got 1; allowed: an integer >= 5 and <= 15", lambda: CanaryConfig(schedule_minutes=1)
    )


def test_rejects_schedule_slower_than_15_minutes() -> None:
    rejects(
        r"^canary.schedule_minutes: got 60; allowed: an integer >= 5 and <= 15",
        lambda: CanaryConfig(schedule_minutes=60),
    )


def test_rejects_a_non_puppeteer_runtime() -> None:
    rejects(
        r"^canary.runtime_version: got 'syn-python-selenium-5.0'; allowed: a ",
        lambda: CanaryConfig(runtime_version="syn-python-selenium-5.0"),
    )


def test_rejects_a_deprecated_puppeteer_runtime() -> None:
    with pytest.raises(
        ConfigError,
        match=rf"^canary.runtime_version: got 'syn-nodejs-puppeteer-7.0'; allowed: syn-nodejs-puppeteer-"
        rf"{MIN_RUNTIME_MAJOR}.0 or later",
    ):
        CanaryConfig(runtime_version="syn-nodejs-puppeteer-7.0")


def test_rejects_run_timeout_longer_than_the_schedule() -> None:
    with pytest.raises(
        ConfigError, match=r"^canary.run_timeout_seconds: got 400; allowed: an integer >= 15 and <= 300"
    ):
        CanaryConfig(schedule_minutes=5, run_timeout_seconds=400)


def test_rejects_request_timeout_that_two_steps_cannot_fit() -> None:
    with pytest.raises(
        ConfigError, match=r"^canary.request_timeout_seconds: got 30; allowed: an integer >= 1 and <= 27"
    ):
        CanaryConfig(run_timeout_seconds=60, request_timeout_seconds=30)


def test_rejects_artifacts_expiring_before_failed_runs() -> None:
    rejects(
        r"^canary.artifact_retention_days: got 7; allowed: an integer >= 31",
        lambda: CanaryConfig(artifact_retention_days=7),
    )


def test_rejects_start_canary_that_is_not_a_bool() -> None:
    rejects(r"^canary.start_canary: got 'no'; allowed: True or False", lambda: CanaryConfig(start_canary="no"))


def test_rejects_zero_consecutive_failed_runs() -> None:
    rejects(r"^canary.alarm_consecutive_failed_runs: got 0", lambda: CanaryConfig(alarm_consecutive_failed_runs=0))


def test_canary_and_lambda_packages_share_the_zip_writer() -> None:
    import io
    import zipfile

    infos = zipfile.ZipFile(io.BytesIO(canary_zip_bytes(CANARY_DIR))).infolist()
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_rejects_zero_abort_days() -> None:
    from modules.core.kms import DataKey
    from modules.core.refs import RestApiRef
    from modules.synthetics.canary import ApiCanary
    from tests.synth import synth_scope

    package = package_canary(CANARY_DIR, ROOT / "build" / "test-canary")
    api = RestApiRef("id", "api", "v1", "arn:stage", "arn:exec", "https://id.execute-api.us-east-1.amazonaws.com/v1")

    def build(scope):
        ApiCanary(
            scope,
            "canary",
            config=CanaryConfig(),
            abort_incomplete_multipart_upload_days=0,
            naming=Naming("agenticai-test"),
            api=api,
            package=package,
            data_key=DataKey(scope, "data-key", naming=Naming("agenticai-test")),
        )

    with pytest.raises(ValueError, match=r"^ApiCanary.abort_incomplete_multipart_upload_days: got 0; allowed"):
        synth_scope(build)


@pytest.mark.parametrize("env", WITH_CANARY)
def test_canary_log_group_is_created_up_front_with_retention_and_the_data_key(env: str, stacks) -> None:
    config, stack = load(env), stacks[env]
    groups = [g for g in stack.resources("aws_cloudwatch_log_group") if "engine_arn" in str(g["name"])]
    (group,) = groups
    assert group["name"].startswith('/aws/lambda/${element(split(":", aws_synthetics_canary.')
    assert group["name"].endswith(".engine_arn), 6)}")
    assert group["retention_in_days"] == config.log_retention_days
    assert group["kms_key_id"] == "${aws_kms_key.data-key_5D719C34.arn}"


def test_business_hours_schedule_is_a_utc_cron_and_priced_as_such() -> None:
    from environments.config.canary import BusinessHours, Weekday, cron_runs_per_month
    from scripts.estimate_costs import canary_line

    config = CanaryConfig(schedule_minutes=5, business_hours=BusinessHours())
    assert config.schedule_expression == "cron(0/5 8-17 ? * MON-FRI *)"
    # 10 hours x 12 runs x 5 of 7 days of a 30-day month.
    assert config.runs_per_month == cron_runs_per_month(config.schedule_expression) == round(120 * 30 * 5 / 7)
    assert canary_line("c", config.schedule_expression).quantity == config.runs_per_month
    assert config.runs_per_month < CanaryConfig(schedule_minutes=5).runs_per_month / 3
    weekend = BusinessHours(start_hour_utc=0, end_hour_utc=24, first_day=Weekday.SAT, last_day=Weekday.SAT)
    assert CanaryConfig(schedule_minutes=15, business_hours=weekend).schedule_expression == (
        "cron(0/15 0-23 ? * SAT-SAT *)"
    )


def test_business_hours_schedule_reaches_the_canary() -> None:
    from cdktf import Testing

    from environments.config.canary import BusinessHours
    from modules.stack import AgenticAiStack

    dev = load("dev")
    config = dev.model_copy(update={"canary": dev.canary.model_copy(update={"business_hours": BusinessHours()})})
    stack = AgenticAiStack(Testing.app(), "hours", config=config)
    assert stack.canary.runs_continuously is False  # its alarm must not treat off-hours silence as failure
    (canary,) = json.loads(Testing.synth(stack))["resource"]["aws_synthetics_canary"].values()
    assert canary["schedule"]["expression"] == "cron(0/15 8-17 ? * MON-FRI *)"


def test_rejects_business_hours_ending_before_they_start() -> None:
    from environments.config.canary import BusinessHours

    with pytest.raises(ValueError, match=r"canary\.business_hours\.end_hour_utc: got 8; allowed: an hour after"):
        BusinessHours(start_hour_utc=8, end_hour_utc=8)


def test_rejects_business_days_in_reverse_order() -> None:
    from environments.config.canary import BusinessHours, Weekday

    with pytest.raises(ValueError, match=r"canary\.business_hours\.last_day: got 'MON'; allowed: a day from"):
        BusinessHours(first_day=Weekday.FRI, last_day=Weekday.MON)
