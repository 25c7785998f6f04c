"""The front door: API-key REQUEST authorizer, usage plan, gateway responses, keys table, pepper.

How each status really happens on API Gateway (docs/API.md has the full story):

* 401: no ``X-API-Key`` -> the identity source is missing (API Gateway answers
  without calling the authorizer), or the authorizer raises ``Unauthorized``
  -> UNAUTHORIZED.
* 403: a Deny policy -> ACCESS_DENIED (body ``reason``: ``invalid_key`` or, in existing-API mode,
  ``rate_limited``); a key the usage plan does not know -> INVALID_API_KEY.
* 429: per-key hourly limit (demo API) -> the authorizer *allows* with ``rateLimited``
  in its context and the integration answers 429 with exact ``X-RateLimit-*``
  and ``Retry-After`` (an authorizer cannot pick a status code); usage-plan
  throttle -> THROTTLED. The plan has no quota unless configured (``UsagePlanConfig.quota_limit``),
  so those 429s burn nothing.
* 503: DynamoDB or Secrets Manager failing, or an unusable event -> the authorizer raises. AWS
  documents two types a failing authorizer may produce (AUTHORIZER_FAILURE and
  AUTHORIZER_CONFIGURATION_ERROR, docs/AWS-BEHAVIOUR.md); both are 503 with ``Retry-After``.

The pepper secret is created here with no value: ``scripts/manage_keys.py init-pepper`` writes it,
so it never passes through Terraform (no plan, no state). The usage plan meters keys under their
derived value (``functions.keys.metering_value``), never the key.

Caching of authorizer results is off (TTL 0): every request must be counted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.api_gateway_authorizer import ApiGatewayAuthorizer
from cdktf_cdktf_provider_aws.api_gateway_gateway_response import ApiGatewayGatewayResponse
from cdktf_cdktf_provider_aws.api_gateway_usage_plan import (
    ApiGatewayUsagePlan,
    ApiGatewayUsagePlanApiStages,
    ApiGatewayUsagePlanQuotaSettings,
    ApiGatewayUsagePlanThrottleSettings,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from constructs import Construct

from environments.config.auth import AuthConfig, UsagePlanConfig
from modules.api.function import CodeLocation, FunctionCode, FunctionProps, PythonFunction
from modules.core.iam import grant_read_secret, grant_table_items
from modules.core.kms import READ_ACTIONS, WRITE_ACTIONS, DataKey, KeyService
from modules.core.naming import Naming
from modules.core.refs import FunctionRef, RestApiRef, ServiceRefs, TableRef
from modules.core.retired import forget_retired
from modules.data.tables import TableProps, encrypted_table
from modules.front_door.names import AuthNames

#: The request header that carries the key. API Gateway matches header names case-insensitively.
API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class GatewayResponseSpec:
    """One gateway response. status_code None keeps API Gateway's own status (DEFAULT_4XX/5XX)."""

    response_type: str
    status_code: int | None
    message: str
    headers: tuple[tuple[str, str], ...] = ()
    #: Extra body fields -> API Gateway $context variables (e.g. the authorizer's context).
    fields: tuple[tuple[str, str], ...] = ()

    def template(self) -> str:
        # $context.* are substituted by API Gateway; the message is a fixed literal.
        extra = "".join(f',{json.dumps(name)}:"{variable}"' for name, variable in self.fields)
        return '{"error":' + json.dumps(self.message) + extra + ',"requestId":"$context.requestId"}'


def gateway_responses(usage_plan: UsagePlanConfig) -> tuple[GatewayResponseSpec, ...]:
    """Every gateway response the front door customizes. Header values are static (API Gateway allows
    only static values or request parameters here), so usage-plan 429s carry the plan's limits."""
    quota_retry_after = "3600"  # quotas reset at the period boundary; an hour is a polite retry hint
    quota = f"{usage_plan.quota_limit} per {usage_plan.quota_period.value}"
    # Every type a failing authorizer can produce (docs/AWS-BEHAVIOUR.md): 503, retry shortly.
    unavailable = "authorization is temporarily unavailable"
    return (
        GatewayResponseSpec(
            "UNAUTHORIZED",
            401,
            f"missing API key: send it in the {API_KEY_HEADER} header",
            (("WWW-Authenticate", f"ApiKey header={API_KEY_HEADER}"),),
        ),
        # A Deny: clientReason is "invalid_key" (never which kind) or "rate_limited" (existing-API mode);
        # $context.authorizer.* is available to gateway response templates.
        GatewayResponseSpec(
            "ACCESS_DENIED",
            403,
            "access denied",
            fields=(
                ("reason", "$context.authorizer.clientReason"),
                ("retryAfter", "$context.authorizer.retryAfter"),
            ),
        ),
        GatewayResponseSpec("INVALID_API_KEY", 403, "API key is not enabled for this API"),
        GatewayResponseSpec(
            "THROTTLED",
            429,
            "too many requests",
            (
                ("Retry-After", "1"),
                ("X-RateLimit-Limit", f"{usage_plan.rate_limit_per_second:g}"),
                ("X-RateLimit-Remaining", "0"),
            ),
        ),
        # Only reachable with a configured quota (none by default); customized anyway, like every type above.
        GatewayResponseSpec(
            "QUOTA_EXCEEDED",
            429,
            f"usage plan quota exceeded ({quota})" if usage_plan.quota_limit else "usage plan quota exceeded",
            (("Retry-After", quota_retry_after), ("X-RateLimit-Remaining", "0"))
            + ((("X-RateLimit-Limit", str(usage_plan.quota_limit)),) if usage_plan.quota_limit else ()),
        ),
        GatewayResponseSpec("AUTHORIZER_FAILURE", 503, unavailable, (("Retry-After", "5"),)),
        GatewayResponseSpec("AUTHORIZER_CONFIGURATION_ERROR", 503, unavailable, (("Retry-After", "5"),)),
        # The request validator's rejection: say which contract was broken, not just "rejected".
        GatewayResponseSpec(
            "BAD_REQUEST_BODY",
            400,
            "invalid request body: send JSON with the non-blank string fields name (at most 200 "
            "characters), type (at most 64) and description (at most 4000)",
        ),
        GatewayResponseSpec("DEFAULT_4XX", None, "request rejected"),
        GatewayResponseSpec("DEFAULT_5XX", None, "internal error"),
    )


class FrontDoor(Construct):
    """API keys, the REQUEST authorizer, the usage plan and JSON gateway responses for ``api``.

    Works on the demo API and on an existing one: it only needs the REST API id,
    stage and execution ARN. The demo API builds it (through the stack's factory) as soon as
    its REST API exists and puts its protected routes behind ``authorizer_id``; the
    deployment follows ``deployment_dependencies`` and redeploys when ``deployment_marker`` changes.

    api: the REST API and stage (the usage plan's stage). code: where the authorizer's package is.
    function_props: how the authorizer function runs (memory, concurrency: ``AuthConfig``;
        runtime, timeout, tracing: the API's).
    deletion_protection: the keys table refuses deletion. Default: off.
    over_limit_action: ``integration`` (the demo API: handlers answer 429 through
        ``functions.http.with_rate_limit``) or ``deny`` (an existing API, whose integrations know no such
        contract: the authorizer denies, ACCESS_DENIED with reason ``rate_limited``). Default: integration.

    The tables, secrets, the authorizer's log group and environment are encrypted
    with ``data_key``.

    Attributes: ``keys_table`` (key records and their hourly counters), ``pepper_secret``,
    ``canary_key_secret``, ``authorizer_function`` (a PythonFunction),
    ``authorizer``, ``usage_plan``, ``gateway_responses`` (type -> resource),
    ``names`` and ``function_refs`` / ``table_refs`` for ServiceRefs.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: AuthConfig,
        api: RestApiRef,
        code: CodeLocation,
        function_props: FunctionProps,
        naming: Naming,
        data_key: DataKey,
        deletion_protection: bool = False,
        over_limit_action: str = "integration",
    ) -> None:
        super().__init__(scope, id)
        if over_limit_action not in ("integration", "deny"):
            raise ValueError(f"over_limit_action: got {over_limit_action!r}; allowed: integration, deny")
        self._config = config
        self._over_limit_action = over_limit_action
        self.names = AuthNames.for_prefix(naming.prefix)
        self._tables(data_key, deletion_protection)
        self._secrets(data_key)
        self._authorizer(api, code, function_props, naming, data_key)
        self._usage_plan(config.usage_plan, api)
        self._gateway_responses(config.usage_plan, api)
        function = self.authorizer_function.function
        self.function_refs = (FunctionRef(role="authorizer", function_name=function.function_name, arn=function.arn),)
        self.table_refs = (TableRef(role="api_keys", name=self.keys_table.name, arn=self.keys_table.arn),)

    def _tables(self, data_key: DataKey, deletion_protection: bool) -> None:
        self.keys_table = encrypted_table(
            self,
            "keys-table",
            props=TableProps(
                name=self.names.keys_table,
                hash_key="key_id",
                kms_key_arn=data_key.arn,
                deletion_protection=deletion_protection,
            ),
        )

        # The hourly counters moved onto the key items: the table that held them is forgotten, not destroyed
        # (it is protected in prod); docs/KEYS.md "Upgrading" says how to delete it.
        forget_retired(self, (("aws_dynamodb_table", "rate-limits-table"),))

    def _secrets(self, data_key: DataKey) -> None:
        # No value here: `manage_keys.py init-pepper` writes it out of band (versioned JSON, keys.PepperSet), so
        # it is in no plan and no state (docs/KEYS.md "Pepper"). Until then the authorizer fails closed (503).
        self.pepper_secret = SecretsmanagerSecret(
            self,
            "pepper",
            name=self.names.pepper_secret,
            description="HMAC pepper versions for AgenticAI API key hashes (written by scripts/manage_keys.py)",
            kms_key_id=data_key.arn,
        )
        # Filled by `manage_keys.py create --name canary`; the canary reads it at run time.
        self.canary_key_secret = SecretsmanagerSecret(
            self,
            "canary-key",
            name=self.names.key_secret("canary"),
            description="API key used by the AgenticAI Synthetics canary (set by scripts/manage_keys.py)",
            kms_key_id=data_key.arn,
        )

    def _authorizer(
        self, api: RestApiRef, code: CodeLocation, props: FunctionProps, naming: Naming, data_key: DataKey
    ) -> None:
        self.authorizer_function = PythonFunction(
            self,
            "authorizer-function",
            code=FunctionCode(
                function_name=self.names.authorizer_function,
                role_name=naming.name("authorizer", "lambda", kind="iam_role"),
                handler="functions.authorizer.handler",
                description="AgenticAI: API-key REQUEST authorizer with per-key hourly limits",
                code=code,
                environment={
                    "API_KEYS_TABLE": self.keys_table.name,
                    "PEPPER_SECRET_ID": self.pepper_secret.arn,
                    "KEY_CACHE_SECONDS": f"{self._config.key_cache_seconds:g}",
                    "OVER_LIMIT_ACTION": self._over_limit_action,
                },
                permissions=(
                    # One conditional UpdateItem per request (key check, count, last_used); no reads.
                    grant_table_items(self.keys_table.arn, update=True),
                    grant_read_secret(self.pepper_secret.arn),
                    # The keys table is written (UpdateItem); the pepper is only read.
                    data_key.use(WRITE_ACTIONS, via=(KeyService.DYNAMODB,)),
                    data_key.use(READ_ACTIONS, via=(KeyService.SECRETS_MANAGER,)),
                ),
            ),
            props=props,
            data_key=data_key,
        )
        function = self.authorizer_function.function
        self.authorizer = ApiGatewayAuthorizer(
            self,
            "authorizer",
            name=naming.name("api-key-authorizer"),
            rest_api_id=api.rest_api_id,
            type="REQUEST",
            authorizer_uri=function.invoke_arn,
            identity_source=f"method.request.header.{API_KEY_HEADER}",
            # 0 = no caching: a cached Allow would skip the per-request count.
            authorizer_result_ttl_in_seconds=0,
        )
        LambdaPermission(
            self,
            "authorizer-invoke",
            function_name=function.function_name,
            action="lambda:InvokeFunction",
            principal="apigateway.amazonaws.com",
            source_arn=f"{api.execution_arn}/authorizers/{self.authorizer.id}",
        )

    def _usage_plan(self, plan: UsagePlanConfig, api: RestApiRef) -> None:
        self.usage_plan = ApiGatewayUsagePlan(
            self,
            "usage-plan",
            name=self.names.usage_plan,
            description=(
                f"{plan.rate_limit_per_second:g} rps, burst {plan.burst_limit}, "
                + (f"{plan.quota_limit} per {plan.quota_period.value} per key" if plan.quota_limit else "no quota")
            ),
            api_stages=[ApiGatewayUsagePlanApiStages(api_id=api.rest_api_id, stage=api.stage_name)],
            throttle_settings=ApiGatewayUsagePlanThrottleSettings(
                rate_limit=plan.rate_limit_per_second, burst_limit=plan.burst_limit
            ),
            # The per-key hourly limit is the authorizer's; a quota only if configured (UsagePlanConfig).
            quota_settings=(
                ApiGatewayUsagePlanQuotaSettings(limit=plan.quota_limit, period=plan.quota_period.value)
                if plan.quota_limit
                else None
            ),
        )

    def _gateway_responses(self, plan: UsagePlanConfig, api: RestApiRef) -> None:
        self.gateway_responses: dict[str, ApiGatewayGatewayResponse] = {}
        for spec in gateway_responses(plan):
            headers = {"Content-Type": "application/json", "Cache-Control": "no-store", **dict(spec.headers)}
            self.gateway_responses[spec.response_type] = ApiGatewayGatewayResponse(
                self,
                f"response-{spec.response_type.lower().replace('_', '-')}",
                rest_api_id=api.rest_api_id,
                response_type=spec.response_type,
                status_code=str(spec.status_code) if spec.status_code is not None else None,
                response_templates={"application/json": spec.template()},
                response_parameters={f"gatewayresponse.header.{k}": f"'{v}'" for k, v in headers.items()},
            )
        #: Changes whenever what API Gateway serves from the front door changes (a redeployment trigger).
        self.deployment_marker = hashlib.sha256(
            repr((gateway_responses(plan), API_KEY_HEADER, "REQUEST", 0, self._over_limit_action)).encode()
        ).hexdigest()

    @property
    def authorizer_id(self) -> str:
        """The authorizer protected methods use (``ApiAuthorization``)."""
        return self.authorizer.id

    @property
    def deployment_dependencies(self) -> tuple[ApiGatewayGatewayResponse, ...]:
        """The gateway responses: a deployment must follow them (``ApiAuthorization``)."""
        return tuple(self.gateway_responses.values())

    def extend(self, refs: ServiceRefs) -> ServiceRefs:
        """``refs`` plus the authorizer function and the keys/rate-limit tables."""
        return dataclasses.replace(
            refs, functions=refs.functions + self.function_refs, tables=refs.tables + self.table_refs
        )
