"""The demo API's routes, as data. Each route owns the spec of the function it calls.

Adding a route is one :class:`Route` entry in :data:`ROUTES`: its path, method, whether it is
behind the API-key authorizer, its JSON body model (``modules.api.schema.BODY_MODELS``) and
its :class:`FunctionSpec` (a new one, or one another route already uses). ``DemoApi`` creates
the API Gateway resources, method, integration and invoke permission of each route and one
:class:`~modules.api.function.PythonFunction` per distinct function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue

from modules.core.iam import Permission, grant_send_messages, grant_table_items
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

    path: the resource path (``/api/projects``). method: the HTTP method.
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
        """The construct-id suffix of its method, integration and permission (``get-api-projects``)."""
        return f"{self.method.lower()}{self.path.replace('/', '-')}"


PROJECTS = FunctionSpec(
    "projects",
    handler="functions.projects.handler",
    description="AgenticAI: GET/POST /api/projects",
    environment=lambda b: {"PROJECTS_TABLE": b.table.name, "PROJECTS_QUEUE_URL": b.queue.url},
    permissions=lambda b: (
        grant_table_items(b.table.arn, put=True, get=True, scan=True),
        grant_send_messages(b.queue.arn),
        b.data_key.use(WRITE_ACTIONS, via=(KeyService.DYNAMODB,)),
    ),
)
HEALTH = FunctionSpec(
    "health",
    handler="functions.health.handler",
    description="AgenticAI: GET /health",
    environment=lambda b: {"API_VERSION": b.stage_name},
)

#: The API's routes. /health stays open so load balancers and uptime checks need no key.
ROUTES: tuple[Route, ...] = (
    Route("/health", "GET", HEALTH, protected=False),
    Route("/api/projects", "GET", PROJECTS, protected=True),
    Route("/api/projects", "POST", PROJECTS, protected=True, body_model="CreateProject"),
)


def functions_of(routes: tuple[Route, ...]) -> tuple[FunctionSpec, ...]:
    """Each route's function once: those of protected (business) routes first, then the open ones,
    each group in route order. This is the order refs, alarms and dashboard rows list them."""
    ordered = [r.function for r in routes if r.protected] + [r.function for r in routes if not r.protected]
    unique: dict[str, FunctionSpec] = {}
    for spec in ordered:
        if unique.setdefault(spec.role, spec) is not spec:
            raise ValueError(f"FunctionSpec.role: got {spec.role!r} twice for different functions; allowed: unique")
    return tuple(unique.values())
