"""Shared test helpers: engines to test, scenario dicts, a tiny TOML writer, model cleanup."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import pytest

import hidsim.engines
from hidsim.scenario import read_toml, resolve_scenario_path

#: Engines every engine-agnostic test runs on; "vectorized" joins when it is registered.
ENGINE_NAMES = [e for e in ("agents", "vectorized") if e in hidsim.engines.ENGINES]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_value(value) -> str:
    """One TOML value on one line (dicts become inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON escapes (\", \\, \uXXXX) are valid in TOML basic strings.
        return json.dumps(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def dumps_toml(data: dict) -> str:
    """Write a dict as TOML: every top-level key on one line, nested values inline."""
    return "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in data.items())


@pytest.fixture(scope="session", params=ENGINE_NAMES)
def engine(request) -> str:
    """Each registered engine in turn (session scope, so module fixtures can run per engine)."""
    return request.param


@pytest.fixture
def write_toml(tmp_path):
    """Write a scenario dict to a TOML file in tmp_path and return its path."""

    def write(data: dict, name: str = "scenario.toml") -> Path:
        path = tmp_path / name
        path.write_text(dumps_toml(data), encoding="utf-8")
        return path

    return write


@pytest.fixture
def scenario_raw():
    """A fresh, mutable copy of a built-in scenario as read from TOML."""
    cache: dict[str, dict] = {}

    def raw(name: str = "helsinki") -> dict:
        if name not in cache:
            cache[name] = read_toml(resolve_scenario_path(name))
        return copy.deepcopy(cache[name])

    return raw


@pytest.fixture
def release_models():
    """Collect models built in a test and release them afterwards (Mesa's Agent._ids leaks)."""
    models = []
    yield models.append
    for model in models:
        model.release()
