"""The environments this project deploys, and a loader with clear errors.

Each environment is a module in this package that defines ``CONFIG``, an
:class:`environments.config.EnvironmentConfig`. Loading is lazy so a broken
environment only fails the synth that asks for it, with a message naming it.
"""

from __future__ import annotations

import importlib

from pydantic import ValidationError

from environments.config import ConfigError, EnvironmentConfig
from environments.config.base import config_error

#: Every environment, in synth order.
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod", "local")


class UnknownEnvironmentError(LookupError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown environment {name!r}; valid environments: {', '.join(ENVIRONMENTS)}")


class EnvironmentConfigError(ValueError):
    """A ConfigError, prefixed with the environment whose file holds the bad value."""

    def __init__(self, environment: str, error: ConfigError) -> None:
        self.environment = environment
        self.error = error
        # One line per error (tier rules report every broken rule), each naming the environment.
        super().__init__("\n".join(f"environment {environment!r}: {line}" for line in str(error).splitlines()))


def load(name: str) -> EnvironmentConfig:
    """Return the validated configuration of one environment."""
    if name not in ENVIRONMENTS:
        raise UnknownEnvironmentError(name)
    try:
        module = importlib.import_module(f"environments.{name}")
    except ConfigError as error:
        raise EnvironmentConfigError(name, error) from None
    except ValidationError as error:  # a model built by model_validate() rather than by keywords
        raise EnvironmentConfigError(name, config_error(error)) from None
    config = module.CONFIG
    if not isinstance(config, EnvironmentConfig) or config.name != name:
        raise EnvironmentConfigError(
            name, ConfigError("CONFIG", config, f"an EnvironmentConfig whose name is {name!r}")
        )
    return config
