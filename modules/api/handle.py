"""What the stack and the hardening constructs read from an API, whichever kind it is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from cdktf_cdktf_provider_aws.dynamodb_table import DynamodbTable

from modules.api.function import CodeLocation
from modules.core.refs import RestApiRef, ServiceRefs


class ApiAuthorization(Protocol):
    """What an API's protected routes need from a front door (``modules.front_door.FrontDoor`` is one).

    authorizer_id: the CUSTOM authorizer protected methods use (they also require a usage-plan key).
    deployment_marker: a stable literal that changes whenever what the front door serves changes;
        it is folded into the deployment's redeployment trigger.
    deployment_dependencies: resources (gateway responses) a deployment must follow.
    """

    @property
    def authorizer_id(self) -> str: ...

    @property
    def deployment_marker(self) -> str: ...

    @property
    def deployment_dependencies(self) -> Sequence[Any]: ...


#: Builds the front door once the REST API exists: called once with the API (its stage
#: attributes may resolve only at synthesis) and the uploaded Lambda code.
FrontDoorFactory = Callable[[RestApiRef, CodeLocation], ApiAuthorization]


class ApiHandle(Protocol):
    """An API being hardened: ``DemoApi`` (created here) and ``ExistingApi`` (looked up) both satisfy it.

    refs: everything the hardening constructs wire to.
    code: where the Lambda package (the handlers, the authorizer's included) was uploaded.
    managed_tables: the table resources this project created (none for an existing API).
    """

    @property
    def refs(self) -> ServiceRefs: ...

    @property
    def code(self) -> CodeLocation: ...

    @property
    def managed_tables(self) -> tuple[DynamodbTable, ...]: ...
