"""The base of every configuration model (pydantic v2), its one-line errors, and shared field types.

Every failure, a misspelt field included, becomes one ``<path>: got <value>; allowed: <allowed>`` line.
"""

from __future__ import annotations

import difflib
import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, NamedTuple

import annotated_types
from botocore.loaders import Loader
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    PlainSerializer,
    ValidationError,
)
from pydantic import InstanceOf as InstanceOf  # re-exported: nested models are passed as instances, never dicts
from pydantic.fields import FieldInfo
from pydantic_core import core_schema


class ConfigError(ValueError):
    """An invalid configuration value: ``<field>: got <value>; allowed: <allowed>``."""

    def __init__(self, field: str, value: Any, allowed: str) -> None:
        self.field, self.value, self.allowed = field, value, allowed
        super().__init__(f"{field}: got {value!r}; allowed: {allowed}")


class ConfigErrors(ConfigError):
    """Several invalid values found together (e.g. tier rules): one ``<field>: got ...`` line each.

    ``field``, ``value`` and ``allowed`` are the first error's, so code that reads one error still works.
    """

    def __init__(self, errors: tuple[ConfigError, ...]) -> None:
        self.errors = errors
        first = errors[0]
        self.field, self.value, self.allowed = first.field, first.value, first.allowed
        ValueError.__init__(self, "\n".join(str(error) for error in errors))


@functools.cache
def aws_regions() -> tuple[str, ...]:
    """The commercial AWS regions (partition ``aws``), from the endpoint data botocore ships."""
    partitions = Loader().load_data("endpoints")["partitions"]
    return tuple(sorted(next(p for p in partitions if p["partition"] == "aws")["regions"]))


#: The only values CloudWatch Logs accepts for retention_in_days (0, never expire, is not allowed here).
_RETENTIONS = "1 3 5 7 14 30 60 90 120 150 180 365 400 545 731 1096 1827 2192 2557 2922 3288 3653"
LOG_RETENTION_DAYS = tuple(int(days) for days in _RETENTIONS.split())


class Severity(enum.Enum):
    """The seed's AlertSeverity. Each severity has its own SNS topic; ``rank`` orders them."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Described(NamedTuple):
    """Field metadata: the allowed values as errors and docs state them, instead of a text derived from the type."""

    allowed: str


class Pattern(NamedTuple):
    """String metadata (``Annotated[str, Pattern(...)]``): the whole value matches ``regex``."""

    regex: str
    description: str
    show_pattern: bool = True

    @property
    def allowed(self) -> str:
        return f"{self.description} (pattern {self.regex})" if self.show_pattern else self.description

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return {**handler(source), "pattern": f"^(?:{self.regex})$"}


class OneOf(NamedTuple):
    """Metadata: the value is one of ``values`` (a list computed at import, e.g. from botocore's data)."""

    values: tuple[Any, ...]

    @property
    def allowed(self) -> str:
        return "one of " + ", ".join(repr(value) for value in self.values)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.literal_schema(list(self.values))


Region = Annotated[str, OneOf(aws_regions())]
LogRetentionDays = Annotated[int, OneOf(LOG_RETENTION_DAYS)]
_EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
Email = Annotated[str, Pattern(_EMAIL, "an email address like ops@example.com", show_pattern=False)]
BucketName = Annotated[str, Pattern(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name")]
TableName = Annotated[str, Pattern(r"[A-Za-z0-9_.-]{3,255}", "a DynamoDB table name")]
Slug = Annotated[str, Pattern(r"[a-z][a-z0-9-]{0,62}", "a lowercase slug (letters, digits, hyphens)")]
#: A mapping that is read-only once validated (and serializes, e.g. into the JSON Schema, as a dict).
Tags = Annotated[
    Mapping[Annotated[str, Pattern(r"[\w.:/=+@ -]{1,128}", "a tag key")], Annotated[str, Field(max_length=256)]],
    AfterValidator(types.MappingProxyType),
    PlainSerializer(dict),
]


class ConfigModel(BaseModel):
    """Base of every configuration model: frozen, no unknown fields, strict types, finite numbers.

    ``config_path`` is where the model sits in an environment (``"canary"``, ``"monitoring.thresholds"``), so
    a bad value gives the same one line wherever the model is built; ``key_field`` names the field that names
    an item in that path (``waf.managed_rules[COMMON]``). Validators raise :class:`ConfigError` with a path
    relative to the model. As with dataclasses, fields may be passed positionally, in declaration order.
    Field docstrings are the field descriptions (docs, schema).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        validate_default=True,
        use_attribute_docstrings=True,
    )
    config_path: ClassVar[str] = ""
    key_field: ClassVar[str | None] = None

    def __init__(self, *args: Any, **data: Any) -> None:
        data = dict(zip(type(self).model_fields, args, strict=False)) | data
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise config_error(error, prefix=self.error_path(data), model=type(self)) from None

    @classmethod
    def error_path(cls, data: Mapping[str, Any]) -> str:
        """The path that errors of this item name: ``config_path``, with the item's key when it has one."""
        if (key := data.get(cls.key_field or "")) is None:
            return cls.config_path
        return f"{cls.config_path.removesuffix('[]')}[{key.name if isinstance(key, enum.Enum) else repr(key)}]"

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> typing.Self:
        """Itself: a frozen model is immutable (and may hold read-only mappings, which cannot be copied)."""
        return self

    def replace(self, **changes: Any) -> typing.Self:
        """A validated copy with ``changes`` applied (what ``dataclasses.replace`` did)."""
        return type(self)(**{**dict(self), **changes})


def unique(path: str, values: typing.Iterable[Any], allowed: str) -> None:
    """Reject ``values`` (as a tuple, at ``path``) if one occurs twice."""
    values = tuple(values)
    if len(set(values)) != len(values):
        raise ConfigError(path, values, allowed)


def config_error(error: ValidationError, *, prefix: str = "", model: type[BaseModel] | None = None) -> ConfigError:
    """The first error of a pydantic ValidationError as one ``<path>: got X; allowed: Y`` ConfigError.

    A validator's ConfigError gets ``prefix``. With ``model`` (the model being validated), the path and the
    allowed values come from the failing field's declaration.
    """
    # A misspelt field also makes the real one "missing": report the misspelling, and a missing field last.
    first = min(error.errors(include_url=False), key=lambda e: _ERROR_ORDER.get(e["type"], 1))
    if isinstance(raised := first.get("ctx", {}).get("error"), ConfigErrors):
        return ConfigErrors(
            tuple(
                ConfigError(".".join(filter(None, [prefix, e.field])).replace(".[", "["), e.value, e.allowed)
                for e in raised.errors
            )
        )
    if isinstance(raised, ConfigError):
        path = ".".join(filter(None, [prefix, raised.field])).replace(".[", "[")
        return ConfigError(path, raised.value, raised.allowed)
    path, info, loc = prefix, None, first["loc"]
    known: tuple[str, ...] = ()
    annotation: Any = model
    for index, item in enumerate(loc):
        fields = _model_fields(annotation)
        if isinstance(item, str) and fields is not None:  # a field, or a misspelt name (annotation None)
            info, known = fields.get(item), tuple(fields)
            path, annotation = f"{path}.{item}".lstrip("."), info and info.annotation
        elif loc[index + 1 :] == ("[key]",):
            path, annotation, info = f"{path} key", _element(annotation, key=True), None
        elif isinstance(item, int) or (isinstance(item, str) and _is_mapping(annotation)):
            path, annotation, info = f"{path}[{item!r}]", _element(annotation), None
    fixed = _FIXED_TEXTS.get(first["type"])
    allowed = fixed or (allowed_text(annotation, info) if annotation is not None else first["msg"])
    if first["type"] == "extra_forbidden" and (close := difflib.get_close_matches(str(loc[-1]), known, n=1)):
        allowed = f"{allowed}; did you mean {close[0]!r}?"
    value = _NO_VALUE if first["type"] == "missing" else first.get("input")
    return ConfigError(path or "config", value, allowed)


class _NoValue:
    def __repr__(self) -> str:
        return "no value"


_NO_VALUE = _NoValue()
_ERROR_ORDER = {"extra_forbidden": 0, "missing": 2}


_FIXED_TEXTS = {
    "extra_forbidden": "no such field (check its spelling)",
    "missing": "a value (this field is required)",
    "finite_number": "a finite number (not NaN or infinity)",
}


def allowed_text(annotation: Any, info: FieldInfo | None = None) -> str:
    """What a value of this declared type may be, e.g. ``an integer >= 1 and <= 10``."""
    annotation, metadata = _unwrap(annotation, list(info.metadata) if info else [])
    origin, name = typing.get_origin(annotation), getattr(annotation, "__name__", "")
    if described := next((m.allowed for m in metadata if isinstance(m, Described | Pattern | OneOf)), None):
        return described
    if annotation is bool:
        return "True or False"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f"{name}.{member.name}" for member in annotation)
    if origin is Literal:
        return OneOf(typing.get_args(annotation)).allowed
    if _is_mapping(annotation):
        return "a mapping of strings to strings"
    if origin is tuple:
        element = _unwrap(_element(annotation), [])[0].__name__ if _model_fields(_element(annotation)) else ""
        sizes = [f"{m.min_length}" for m in metadata if isinstance(m, annotated_types.MinLen)]
        sizes += [f"{m.max_length}" for m in metadata if isinstance(m, annotated_types.MaxLen)]
        of = " ".join(filter(None, [" to ".join(sizes), element or ("items" if sizes else "")]))
        return f"a tuple{f' of {of}' if of else ''} (configs are immutable: use (...) not [...])"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"{'an' if name[0] in 'AEIO' else 'a'} {name}"  # 'a UsagePlanConfig'
    if annotation is str:
        limit = next((m.max_length for m in metadata if isinstance(m, annotated_types.MaxLen)), None)
        return f"a string of at most {limit} characters" if limit else "a string"
    symbols = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}
    bounds = [f"{symbol} {getattr(m, key)}" for m in metadata for key, symbol in symbols.items() if hasattr(m, key)]
    bounds += [f"a multiple of {m.multiple_of}" for m in metadata if isinstance(m, annotated_types.MultipleOf)]
    kind = {int: "an integer", float: "a number"}.get(annotation, str(annotation))
    return " and ".join([f"{kind} {bounds[0]}", *bounds[1:]]) if bounds else kind


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """The annotation without ``Annotated``/``InstanceOf``/``X | None``, and the metadata collected."""
    while True:
        origin = typing.get_origin(annotation)
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if origin is Annotated:
            annotation, *extra = typing.get_args(annotation)
            metadata += [m for item in extra for m in (item.metadata if isinstance(item, FieldInfo) else [item])]
        elif origin in (typing.Union, types.UnionType) and len(members) == 1:
            annotation = members[0]
        else:
            return annotation, metadata


def _model_fields(annotation: Any) -> dict[str, FieldInfo] | None:
    annotation, _ = _unwrap(annotation, [])
    return annotation.model_fields if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _is_mapping(annotation: Any) -> bool:
    origin = typing.get_origin(_unwrap(annotation, [])[0])
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _element(annotation: Any, *, key: bool = False) -> Any:
    """The element type of ``tuple[X, ...]``, or the value (or ``key``) type of ``Mapping[K, V]``."""
    args = typing.get_args(_unwrap(annotation, [])[0]) or (None,)
    return args[0] if key or args[-1] is Ellipsis else args[-1]
