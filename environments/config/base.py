"""Shared validation helpers and enums for environment configuration.

Every check raises :class:`ConfigError`, whose message always names the field,
the value received and what is allowed, so one bad value gives one clear line.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any


class ConfigError(ValueError):
    """An invalid configuration value: ``<field>: got <value>; allowed: <allowed>``."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")


# Commercial AWS regions (partition "aws").
AWS_REGIONS: tuple[str, ...] = (
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)

# The only values CloudWatch Logs accepts for retention_in_days (0 = never expire, not allowed here).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def require_choice(field: str, value: Any, allowed: Iterable[Any]) -> None:
    allowed = tuple(allowed)
    if value not in allowed:
        raise ConfigError(field, value, "one of " + ", ".join(repr(a) for a in allowed))


def require_enum(field: str, value: Any, enum_type: type[enum.Enum]) -> None:
    if not isinstance(value, enum_type):
        names = ", ".join(f"{enum_type.__name__}.{m.name}" for m in enum_type)
        raise ConfigError(field, value, f"one of {names}")


def require_int(field: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(field, value, _range_text("an integer", minimum, maximum))
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ConfigError(field, value, _range_text("an integer", minimum, maximum))


def require_number(
    field: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(field, value, _range_text("a number", minimum, maximum, exclusive_minimum))
    too_low = minimum is not None and (value <= minimum if exclusive_minimum else value < minimum)
    if too_low or (maximum is not None and value > maximum):
        raise ConfigError(field, value, _range_text("a number", minimum, maximum, exclusive_minimum))


def require_pattern(field: str, value: Any, pattern: str, description: str) -> None:
    if not isinstance(value, str) or re.fullmatch(pattern, value) is None:
        raise ConfigError(field, value, f"{description} (pattern {pattern})")


def require_email(field: str, value: Any) -> None:
    if not isinstance(value, str) or _EMAIL.fullmatch(value) is None:
        raise ConfigError(field, value, "an email address like ops@example.com")


def require_tuple(field: str, value: Any) -> None:
    if not isinstance(value, tuple):
        raise ConfigError(field, value, "a tuple (configs are immutable: use (...) not [...])")


def frozen_mapping(field: str, value: Any, *, key_pattern: str = r".+", max_value_len: int = 256) -> Mapping[str, str]:
    """Validate a str->str mapping and return a read-only copy."""
    if not isinstance(value, Mapping):
        raise ConfigError(field, value, "a mapping of strings to strings")
    for key, item in value.items():
        if not isinstance(key, str) or re.fullmatch(key_pattern, key) is None:
            raise ConfigError(f"{field} key", key, f"a string matching {key_pattern}")
        if not isinstance(item, str) or len(item) > max_value_len:
            raise ConfigError(f"{field}[{key!r}]", item, f"a string of at most {max_value_len} characters")
    return MappingProxyType(dict(value))


def _range_text(kind: str, minimum: float | None, maximum: float | None, exclusive_minimum: bool = False) -> str:
    low = ">" if exclusive_minimum else ">="
    if minimum is not None and maximum is not None:
        return f"{kind} {low} {minimum} and <= {maximum}"
    if minimum is not None:
        return f"{kind} {low} {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind


# --------------------------------------------------------------------------- pydantic models
from typing import ClassVar  # noqa: E402

from pydantic import BaseModel, ConfigDict, ValidationError  # noqa: E402


class ConfigModel(BaseModel):
    """Base of every configuration model: frozen, no unknown fields, strict types, finite numbers.

    ``config_path`` is where the model sits in an environment (``"canary"``,
    ``"monitoring.thresholds"``); errors raised while it is built name fields under it,
    so a bad value gives the same one line wherever the model is constructed.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        validate_default=True,
        use_attribute_docstrings=True,
        arbitrary_types_allowed=False,
    )
    config_path: ClassVar[str] = ""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise config_error(error, prefix=type(self).config_path) from None


def config_error(error: ValidationError, *, prefix: str = "") -> ConfigError:
    """The first error of a pydantic ValidationError as one ``<path>: got X; allowed: Y`` ConfigError."""
    first = error.errors(include_url=False)[0]
    parts = [prefix] if prefix else []
    for item in first["loc"]:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1] if parts else ''}[{item}]"]
        else:
            parts.append(str(item))
    path = ".".join(parts) or "config"
    if isinstance(first.get("ctx", {}).get("error"), ConfigError):
        return first["ctx"]["error"]
    return ConfigError(path, first.get("input"), _allowed_text(first))


def _allowed_text(detail: dict[str, Any]) -> str:
    kind, ctx = detail["type"], detail.get("ctx", {})
    if kind == "extra_forbidden":
        return "no such field (check its spelling)"
    if kind == "missing":
        return "a value (this field is required)"
    if kind == "finite_number":
        return "a finite number (not NaN or infinity)"
    if kind in {"enum", "is_instance_of"} and "expected" in ctx:
        return f"one of {ctx['expected']}"
    bounds = [f"{symbol} {ctx[key]}" for key, symbol in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")) if key in ctx]
    if bounds:
        return " and ".join(bounds)
    return detail["msg"]
