"""The demo API's routes, as data. Each route owns the spec of the function it calls.

Adding a route is one :class:`Route` entry in :data:`ROUTES`: its path, method, whether it is
behind the API-key authorizer, its JSON body model (``modules.api.schema.BODY_MODELS``) and
its :class:`FunctionSpec` (a new one, or one another route already uses). ``DemoApi`` creates
the API Gateway resources, method, integration and invoke permission of each route and one
:class:`~modules.api.function.PythonFunction` per distinct function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from environments.config.api import MAX_BODY_BYTES
from modules.core.iam import Permission, grant_consume_messages, grant_send_messages, grant_table_items
from modules.core.kms import WRITE_ACTIONS, DataKey, KeyService

#: HTTP methods API Gateway methods accept.
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})


@dataclass(frozen=True)
class Backends:
    """What the demo API creates for its functions to use: the projects table and queue, the data key, the stage."""

    table: DynamodbTable
    queue: SqsQueue
    data_key: DataKey
    stage_name: str


def _no_environment(_: Backends) -> dict[str, str]:
    return {}


def _no_permissions(_: Backends) -> tuple[Permission, ...]:
    return ()


@dataclass(frozen=True)
class FunctionSpec:
    """A demo API function.

    role: its logical role (``refs.function(role)``; names ``<prefix>-<role>`` and the construct id
        ``<role>-function``).
    handler: ``module.function`` in the Lambda package (``modules/functions/`` zipped as ``functions/``).
    description: the Lambda description.
    environment: its environment variables, from the API's backends. Default: none.
    permissions: what its role may do on those backends (use the grants of ``modules.core.iam``).
        Default: nothing beyond its own logs, X-Ray and its environment's key.
    """

    role: str
    handler: str
    description: str
    environment: Callable[[Backends], dict[str, str]] = field(default=_no_environment, compare=False)
    permissions: Callable[[Backends], tuple[Permission, ...]] = field(default=_no_permissions, compare=False)


@dataclass(frozen=True)
class Route:
    """One API route.

    path: the resource path (``/api/projects``, ``/api/projects/{id}`` with a path parameter).
    method: the HTTP method.
    function: the function API Gateway proxies the request to.
    protected: behind the API-key authorizer (and a usage-plan key) when the API has a front door.
    body_model: the name of the JSON body model API Gateway validates before calling the function.
        Default: none; only request parameters are validated.
    """

    path: str
    method: str
    function: FunctionSpec
    protected: bool
    body_model: str | None = None

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or self.path == "/" or "//" in self.path:
            raise ValueError(f"Route.path: got {self.path!r}; allowed: a path such as /api/projects")
        if self.method not in HTTP_METHODS:
            raise ValueError(f"Route.method: got {self.method!r}; allowed: one of {', '.join(sorted(HTTP_METHODS))}")

    @property
    def function_role(self) -> str:
        return self.function.role

    @property
    def route_id(self) -> str:
        """The construct-id suffix of its method, integration and permission (``get-api-projects``,
        ``get-api-projects-id`` for ``/api/projects/{id}``)."""
        return f"{self.method.lower()}{path_slug(self.path)}"

    @property
    def path_parameters(self) -> tuple[str, ...]:
        """The names of its ``{name}`` path parameters."""
        return tuple(_PATH_PARAMETER.findall(self.path))

    @property
    def arn_path(self) -> str:
        """The path as execute-api ARNs match it: each path parameter is ``*``."""
        return _PATH_PARAMETER.sub("*", self.path)


_PATH_PARAMETER = re.compile(r"\{([A-Za-z0-9_]+)\}")


def path_slug(path: str) -> str:
    """A path as a construct-id fragment: ``/api/projects/{id}`` -> ``-api-projects-id``."""
    return path.replace("{", "").replace("}", "").replace("/", "-")


PROJECTS = FunctionSpec(
    "projects",
    handler="functions.projects.handler",
    description="AgenticAI: /api/projects (list, create, get, delete)",
    environment=lambda b: {
        "PROJECTS_TABLE": b.table.name,
        "PROJECTS_QUEUE_URL": b.queue.url,
        "MAX_BODY_BYTES": str(MAX_BODY_BYTES),
    },
    permissions=lambda b: (
        # Query on the by-key index only; no Scan: a key lists its own projects.
        grant_table_items(b.table.arn, put=True, get=True, delete=True, query=True, indexes=(PROJECTS_INDEX,)),
        grant_send_messages(b.queue.arn),
        b.data_key.use(WRITE_ACTIONS, via=(KeyService.DYNAMODB,)),
    ),
)
#: Drains the projects queue (``project.created``): marks each project ready.
WORKER = FunctionSpec(
    "worker",
    handler="functions.worker.handler",
    description="AgenticAI: project.created queue worker",
    environment=lambda b: {"PROJECTS_TABLE": b.table.name},
    permissions=lambda b: (
        grant_table_items(b.table.arn, update=True),
        grant_consume_messages(b.queue.arn),
        b.data_key.use(WRITE_ACTIONS, via=(KeyService.DYNAMODB,)),
    ),
)
HEALTH = FunctionSpec(
    "health",
    handler="functions.health.handler",
    description="AgenticAI: GET /health",
    environment=lambda b: {"API_VERSION": b.stage_name},
)

#: The projects table's index of each key's projects (``modules.functions.projects.INDEX_NAME``).
PROJECTS_INDEX = "by-key"

#: The API's routes. /health is behind the key like the seed's tests and canary expect; a public
#: liveness route is the per-environment opt-in ``ApiConfig.public_liveness`` (:func:`routes_for`).
ROUTES: tuple[Route, ...] = (
    Route("/api/projects", "GET", PROJECTS, protected=True),
    Route("/api/projects", "POST", PROJECTS, protected=True, body_model="CreateProject"),
    Route("/api/projects/{id}", "GET", PROJECTS, protected=True),
    Route("/api/projects/{id}", "DELETE", PROJECTS, protected=True),
    Route("/health", "GET", HEALTH, protected=True),
)
#: The keyless liveness route an environment may opt into (same handler: no data, no dependencies).
LIVENESS_ROUTE = Route("/health/live", "GET", HEALTH, protected=False)


def routes_for(public_liveness: bool) -> tuple[Route, ...]:
    """:data:`ROUTES`, plus :data:`LIVENESS_ROUTE` when the environment opts into a keyless liveness check."""
    return (*ROUTES, LIVENESS_ROUTE) if public_liveness else ROUTES


@dataclass(frozen=True)
class QueueConsumer:
    """A function fed by the projects queue through an event source mapping (partial batch responses on).

    batch_size: messages per invocation (1-10 for a standard queue without a batching window).
    """

    function: FunctionSpec
    batch_size: int = 10

    def __post_init__(self) -> None:
        if isinstance(self.batch_size, bool) or not 1 <= self.batch_size <= 10:
            raise ValueError(f"QueueConsumer.batch_size: got {self.batch_size!r}; allowed: an integer from 1 to 10")


#: The projects queue's consumers: every non-DLQ queue has one (an unread queue only ages).
CONSUMERS: tuple[QueueConsumer, ...] = (QueueConsumer(WORKER),)


def functions_of(routes: tuple[Route, ...]) -> tuple[FunctionSpec, ...]:
    """Each route's function once: those of protected (business) routes first, then the open ones,
    each group in route order. This is the order refs, alarms and dashboard rows list them."""
    ordered = [r.function for r in routes if r.protected] + [r.function for r in routes if not r.protected]
    unique: dict[str, FunctionSpec] = {}
    for spec in ordered:
        if unique.setdefault(spec.role, spec) is not spec:
            raise ValueError(f"FunctionSpec.role: got {spec.role!r} twice for different functions; allowed: unique")
    return tuple(unique.values())
