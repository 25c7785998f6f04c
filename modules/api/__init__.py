"""The AgenticAI API: the demo API this project creates, or an existing one found by name.

Both satisfy :class:`~modules.api.handle.ApiHandle`: ``refs`` (a :class:`modules.core.refs.ServiceRefs`,
all the hardening constructs wire to), ``code`` and ``managed_tables``. :func:`build_api` picks one
from ``ApiConfig.existing``. The parts:

* ``routes``: the routes as data, each owning its function spec;
* ``schema``: body models and the access-log format;
* ``function``: the generic :class:`~modules.api.function.PythonFunction` and its props;
* ``account_logging``: the account's API Gateway CloudWatch role;
* ``demo`` / ``existing``: the two APIs; ``handle``: the Protocols they share.
"""

from __future__ import annotations

from constructs import Construct

from environments.config.api import ApiConfig
from environments.config.monitoring import FunctionLoggingConfig
from modules.api.demo import DemoApi
from modules.api.existing import ExistingApi
from modules.api.handle import ApiHandle, FrontDoorFactory
from modules.core.kms import DataKey
from modules.core.naming import Naming
from modules.core.packaging import Package

__all__ = ["ApiHandle", "DemoApi", "ExistingApi", "build_api"]


def build_api(
    scope: Construct,
    id: str,
    *,
    config: ApiConfig,
    naming: Naming,
    package: Package,
    log_retention_days: int,
    region: str,
    data_key: DataKey,
    front_door: FrontDoorFactory | None = None,
    deletion_protection: bool = False,
    function_logging: FunctionLoggingConfig | None = None,
) -> ApiHandle:
    """The demo API, or references to ``config.existing`` when set (which encrypts nothing: it creates no data).

    front_door: called once with the REST API to build the front door (see :class:`DemoApi`). Default: none.
    deletion_protection: the demo's projects table refuses deletion. Default: off.
    function_logging: the demo functions' log levels and INFO sample rate. Default: FunctionProps' default.
    """
    if config.existing is not None:
        return ExistingApi(scope, id, config=config.existing, package=package, region=region, front_door=front_door)
    return DemoApi(
        scope,
        id,
        config=config,
        naming=naming,
        package=package,
        log_retention_days=log_retention_days,
        data_key=data_key,
        front_door=front_door,
        deletion_protection=deletion_protection,
        function_logging=function_logging,
    )
