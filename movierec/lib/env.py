"""Typed readers for environment variables that fail loudly on a bad value.

Every setting comes from the environment. A value that cannot be parsed stops
the process at start with a message naming the variable, instead of turning
into a surprise later.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class EnvError(ValueError):
    """A variable is set to a value that cannot be used."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None else value.strip()


def env_str(name: str, default: str | None = None) -> str:
    value = _raw(name)
    if value is None or value == "":
        if default is None:
            raise EnvError(f"{name} must be set")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(f"{name} must be one of true/false/1/0/yes/no/on/off, got {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(f"{name} must be an integer, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise EnvError(f"{name} must be at least {minimum}, got {number}")
    return number


def env_float(name: str, default: float, *, minimum: float | None = None, maximum: float | None = None) -> float:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except ValueError:
        raise EnvError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number) or (minimum is not None and number < minimum):
        raise EnvError(f"{name} must be a finite number of at least {minimum}, got {value!r}")
    if maximum is not None and number > maximum:
        raise EnvError(f"{name} must be at most {maximum}, got {value!r}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


def env_path(name: str, default: Path) -> Path:
    value = _raw(name)
    if value is None or value == "":
        return default
    return Path(value).expanduser().resolve()


_RATE_PERIODS = {"second", "minute", "hour", "day"}


def env_rate(name: str, default: str) -> str:
    """A request rate like ``100/minute`` (the form Django REST framework's throttles parse)."""
    value = env_str(name, default)
    count, _, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in _RATE_PERIODS:
        raise EnvError(f"{name} must look like 100/minute (per second, minute, hour or day), got {value!r}")
    return value
