"""Stacks: composition only. Each concern lives in its own construct module."""

from __future__ import annotations

import functools
from pathlib import Path

from cdktf import LocalBackend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole
from constructs import Construct

from environments.config import EnvironmentConfig
from modules.api import ApiHandle, build_api
from modules.api.function import CodeLocation, FunctionProps
from modules.core.kms import DataKey
from modules.core.naming import Naming
from modules.core.packaging import Package, build_package
from modules.core.refs import RestApiRef, ServiceRefs
from modules.data.backups import DataProtection
from modules.data.state import StateBucket, use_remote_state
from modules.edge.waf import WebAcl
from modules.front_door.front_door import FrontDoor
from modules.monitoring.monitoring import CanaryMetrics, Monitoring
from modules.synthetics.canary import ApiCanary, CanaryPackage, package_canary

FUNCTIONS_DIR = Path(__file__).resolve().parent / "functions"
CANARY_DIR = Path(__file__).resolve().parent.parent / "canary"


@functools.cache
def lambda_package() -> Package:
    """The handlers' deterministic zip (``functions/`` inside), built once per process."""
    return build_package(FUNCTIONS_DIR, prefix="functions")


@functools.cache
def canary_package() -> CanaryPackage:
    """The canary's deterministic zip (``nodejs/node_modules/`` inside), built once per process."""
    return package_canary(CANARY_DIR)


def _provider(
    stack: TerraformStack, config: EnvironmentConfig, *, region: str, alias: str | None = None
) -> AwsProvider:
    return AwsProvider(
        stack,
        f"aws-{alias}" if alias else "aws",
        region=region,
        alias=alias,
        allowed_account_ids=[config.account_id],
        default_tags=[{"tags": config.default_tags}],
        assume_role=_assume_role(config),
    )


def _assume_role(config: EnvironmentConfig) -> list[AwsProviderAssumeRole] | None:
    """The provider's ``assume_role`` block from ``config.assume_role`` (docs/PIPELINE.md, multi-account).

    Every provider of every stack gets it, the billing alias included; ``allowed_account_ids`` stays as the
    safety net. https://registry.terraform.io/providers/hashicorp/aws/5.100.0/docs#assume_role
    """
    if config.assume_role is None:
        return None
    role = config.assume_role
    return [AwsProviderAssumeRole(role_arn=role.role_arn, session_name=role.session_name, external_id=role.external_id)]


class AgenticAiStack(TerraformStack):
    """One environment of the hardened AgenticAI API, with its state in S3."""

    def __init__(self, scope: Construct, id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id)
        self.config = config
        self.naming = Naming(config.name_prefix)
        self.provider = _provider(self, config, region=config.region)
        use_remote_state(self, config=config.state)
        #: The customer-managed key of every log group, table, secret and function environment we create.
        self.data_key = DataKey(self, "data-key", naming=self.naming)
        # The demo API, or references to an existing one (config.api.existing). It builds the
        # front door through _build_front_door as soon as its REST API exists, before its methods.
        self.front_door: FrontDoor | None = None
        self.api: ApiHandle = build_api(
            self,
            "api",
            config=config.api,
            naming=self.naming,
            package=lambda_package(),
            log_retention_days=config.log_retention_days,
            region=config.region,
            data_key=self.data_key,
            front_door=self._build_front_door,
            deletion_protection=config.backups.table_protection.deletion_protection,
            function_logging=config.monitoring.function_logging,
        )
        front_door = self._built_front_door()
        #: What every hardening construct wires to (same shape in both modes), including the
        #: authorizer function and the api_keys table.
        self.refs: ServiceRefs = front_door.extend(self.api.refs)
        #: The Synthetics canary (None when config.canary.enabled is off); its alarm uses canary.name.
        self.canary: ApiCanary | None = None
        if config.canary.enabled:
            self.canary = ApiCanary(
                self,
                "canary",
                config=config.canary,
                abort_incomplete_multipart_upload_days=config.backups.abort_incomplete_multipart_upload_days,
                log_retention_days=config.log_retention_days,
                naming=self.naming,
                api=self.refs.api,
                package=canary_package(),
                api_key_secret=front_door.canary_key_secret,
                data_key=self.data_key,
            )
        #: The regional web ACL on the API stage (None when config.waf.enabled is off).
        self.waf: WebAcl | None = None
        if config.waf.enabled:
            self.waf = WebAcl(
                self,
                "waf",
                config=config.waf,
                api=self.refs.api,
                naming=self.naming,
                log_retention_days=config.log_retention_days,
                data_key=self.data_key,
            )
        # Billing metrics exist only in us-east-1, and an alarm can only notify a topic in its
        # own region: the billing alarm, its topics and the budget use this aliased provider.
        self.billing_provider = _provider(self, config, region="us-east-1", alias="billing")
        # Alarms, SLO alarms, alert topics, dashboard and budget. Pass waf=WafMetrics(...) and
        # canary=CanaryMetrics(...) (modules.monitoring.metrics) to alarm on and chart them.
        self.monitoring = Monitoring(
            self,
            "monitoring",
            config=config.monitoring,
            naming=self.naming,
            refs=self.refs,
            region=config.region,
            billing_provider=self.billing_provider,
            waf=self.waf.metrics if self.waf else None,
            canary=(
                CanaryMetrics(
                    canary_name=self.canary.name,
                    run_interval_seconds=self.canary.alarm_period_seconds,
                    consecutive_failed_runs=config.canary.alarm_consecutive_failed_runs,
                    runs_continuously=self.canary.runs_continuously,
                )
                if self.canary
                else None
            ),
        )
        # Versioning, SSE, TLS-only... on every bucket; the tables we create are built protected.
        self.backups = DataProtection(self, "backups", config=config.backups, refs=self.refs)
        self._outputs()

    def _build_front_door(self, api: RestApiRef, code: CodeLocation) -> FrontDoor:
        """API keys, the REQUEST authorizer, usage plan and JSON gateway responses: the stack's
        ``front-door``, built once by the API from its REST API (``modules.api.handle.FrontDoorFactory``)."""
        if self.front_door is not None:
            raise RuntimeError("the front door is built once; the API called its factory twice")
        config = self.config
        self.front_door = FrontDoor(
            self,
            "front-door",
            config=config.auth,
            api=api,
            code=code,
            # The authorizer's own memory and concurrency; the API's runtime, timeout and tracing.
            function_props=FunctionProps(
                runtime=config.api.runtime,
                memory_mb=config.auth.authorizer_memory_mb,
                timeout_seconds=config.api.timeout_seconds,
                reserved_concurrency=config.auth.authorizer_reserved_concurrency,
                tracing=config.api.tracing,
                log_retention_days=config.log_retention_days,
                # Never sampled: the authorizer's one INFO line per request is its decision, which the
                # decision metric filters count (modules/monitoring/log_metrics.py); sampling it would
                # undercount every outcome.
                logging=config.monitoring.function_logging.model_copy(update={"info_sample_rate": 1.0}),
            ),
            naming=self.naming,
            data_key=self.data_key,
            deletion_protection=config.backups.table_protection.deletion_protection,
            # An existing API's integrations do not turn rateLimited into 429: the authorizer denies instead.
            over_limit_action="deny" if config.api.existing is not None else "integration",
        )
        return self.front_door

    def _built_front_door(self) -> FrontDoor:
        if self.front_door is None:
            raise RuntimeError("the API did not build the front door (it must call its front_door factory once)")
        return self.front_door

    def _outputs(self) -> None:
        """What operators and ``scripts/verify_deployment.py`` read with ``terraform output -json``."""
        api = self.refs.api
        buckets = [b.name for b in self.refs.buckets]
        if self.canary is not None:
            buckets.append(self.canary.artifact_bucket.id)
        topics = [*self.monitoring.topics.topics.values(), *self.monitoring.cost_topics.topics.values()]
        outputs = {
            "rest_api_id": (api.rest_api_id, "The REST API being hardened"),
            "stage_name": (api.stage_name, "The hardened stage"),
            "invoke_url": (api.invoke_url, "The stage's base URL"),
            "table_names": ([t.name for t in self.refs.tables], "DynamoDB tables (PITR on each)"),
            "bucket_names": (buckets, "S3 buckets (versioned and encrypted)"),
            "usage_plan_ids": ([self._built_front_door().usage_plan.id], "The front door's usage plan"),
            "alert_topic_arns": ([t.arn for t in topics], "KMS-encrypted SNS alert topics"),
        }
        if self.waf is not None:
            outputs["web_acl_arn"] = (self.waf.web_acl.arn, "The regional web ACL on the stage")
        for name, (value, description) in outputs.items():
            TerraformOutput(self, name, value=value, description=description)


class BootstrapStack(TerraformStack):
    """Creates one environment's state bucket. Its own state is local.

    The local state file lives outside ``cdktf.out/`` (which every synth
    replaces) at ``bootstrap-state/<env>/terraform.tfstate`` in the project
    root; ``terraform init -backend-config=path=...`` can move it elsewhere.
    """

    def __init__(self, scope: Construct, id: str, *, config: EnvironmentConfig) -> None:
        super().__init__(scope, id)
        # Relative to cdktf.out/stacks/<stack>/, so no machine path is synthesized.
        LocalBackend(self, path=f"../../../bootstrap-state/{config.name}/terraform.tfstate")
        _provider(self, config, region=config.state.region or config.region)
        self.state_bucket = StateBucket(self, "state", config=config.state)
        TerraformOutput(
            self,
            "state_bucket",
            value=self.state_bucket.bucket.bucket,
            description="Terraform state bucket for this environment",
        )
        TerraformOutput(
            self,
            "state_kms_key_arn",
            value=self.state_bucket.kms_key.arn,
            description="KMS key that encrypts the state bucket",
        )
        TerraformOutput(
            self,
            "state_kms_key_alias",
            value=self.state_bucket.kms_alias.name if self.state_bucket.kms_alias else "",
            description="The alias the environment's S3 backend names as kms_key_id",
        )
        TerraformOutput(
            self,
            "state_access_log_bucket",
            value=self.state_bucket.log_bucket.bucket,
            description="Server access logs of the state bucket",
        )
