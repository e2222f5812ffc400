"""Dotted scenario keys (``dynamics.q``, ``pilots[0].districts``): checked against the schema.

An experiment names scenario parameters by dotted keys. Every key is checked
here against the scenario schema (:class:`hidsim.scenario.Scenario`) before a
run starts, with a did-you-mean for a misspelled part; values are left to each
run, where pydantic validates the whole scenario.
"""

from __future__ import annotations

import copy
import math
import re
import types
import typing
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel

from hidsim.scenario import Problem, Scenario, did_you_mean, set_key

if TYPE_CHECKING:
    from hidsim.experiments.spec import Experiment

STRATEGY_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def flatten_overrides(table: dict, prefix: str = "") -> dict[str, Any]:
    """Turn nested override tables into dotted keys, stopping at schema leaves.

    ``[fixed] dynamics.q = 0.4`` (a nested table in TOML) and ``"dynamics.q" = 0.4``
    mean the same; a table whose key is a leaf of the schema (such as
    ``population.income_shares`` or a sourced ``{value = ..}``) is kept whole. A key
    given both ways is refused by :func:`repeated_overrides`, not settled here.
    """
    return dict(_flat_items(table, prefix))


def _flat_items(table: dict, prefix: str = "") -> list[tuple[str, Any]]:
    """The dotted ``(key, value)`` pairs of nested override tables, repeats kept."""
    items: list[tuple[str, Any]] = []
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        kind, _ = schema_type(dotted)
        if isinstance(value, dict) and is_model(kind) and "value" not in value:
            items += _flat_items(value, dotted)
        else:
            items.append((dotted, value))
    return items


def repeated_overrides(table: dict, section: str = "fixed") -> list[Problem]:
    """Keys set twice in one override table, e.g. ``"dynamics.q"`` and ``[fixed.dynamics] q``.

    Which one would win depends on the order in the file: refuse it instead.
    """
    seen: set[str] = set()
    problems = []
    for key, _ in _flat_items(table):
        if key in seen:
            problems.append(Problem(quoted(section, key),
                                    f"'{key}' is given twice (once dotted, once as a nested "
                                    "table); keep one"))
        seen.add(key)
    return problems


def schema_type(dotted: str) -> tuple[Any, str | None]:
    """The scenario schema's type at a dotted key, or an explanation of why there is none.

    Args:
        dotted: a key such as ``dynamics.q`` or ``pilots[0].seeding.size``.

    Returns:
        ``(type, None)`` when the key exists, else ``(None, message)`` with a did-you-mean.
    """
    current: Any = Scenario
    walked = ""
    for token in re.findall(r"\[\d+\]|[^.\[\]]+", dotted):
        current = _unwrap_type(current)
        if token.startswith("["):
            if typing.get_origin(current) not in (list, tuple):
                return None, f"'{walked}' is not a list, so '{token}' cannot index it"
            current = typing.get_args(current)[0]
        elif is_model(current):
            fields = current.model_fields
            if token not in fields:
                where = f" in '{walked}'" if walked else ""
                return None, f"unknown scenario key '{token}'{where}{did_you_mean(token, fields)}"
            current = fields[token].annotation
        elif typing.get_origin(current) is dict:
            key_type, current = typing.get_args(current)
            allowed = typing.get_args(key_type) if typing.get_origin(key_type) is Literal else ()
            if allowed and token not in allowed:
                return None, (f"unknown key '{token}' in '{walked}'{did_you_mean(token, allowed)}"
                              f" (keys: {', '.join(allowed)})")
        else:
            return None, f"'{walked}' is a value, not a table"
        walked += token if token.startswith("[") or not walked else f".{token}"
    return _unwrap_type(current), None


def _unwrap_type(kind: Any) -> Any:
    """Strip ``Annotated`` and ``| None`` from a type."""
    while True:
        origin = typing.get_origin(kind)
        if origin is Annotated:
            kind = typing.get_args(kind)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            kind = args[0] if len(args) == 1 else kind
            if len(args) != 1:
                return kind
        else:
            return kind


def is_model(kind: Any) -> bool:
    """Whether a type is a pydantic model (a table of the schema)."""
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def quoted(section: str, key: str) -> str:
    """A key's location as TOML writes it, e.g. ``fixed."dynamics.q"``."""
    return f'{section}."{key}"' if "." in key or "[" in key else f"{section}.{key}"


def key_problems(spec: Experiment, fixed: dict[str, Any]) -> list[Problem]:
    """Check every dotted key of an experiment against the scenario schema and each other."""
    problems: list[Problem] = []
    sections: list[tuple[str, list[str]]] = [
        ("fixed", list(fixed)),
        ("vary.grid", list(spec.vary.grid)),
        ("vary.sample.bounds", list(spec.vary.sample.bounds) if spec.vary.sample else []),
    ]
    sections += [(f"vary.points[{i}]", list(p)) for i, p in enumerate(spec.vary.points)]
    for section, keys in sections:
        for key in keys:
            kind, message = schema_type(key)
            if message:
                problems.append(Problem(quoted(section, key), message))
            elif section == "vary.sample.bounds" and kind not in (int, float):
                problems.append(Problem(quoted(section, key),
                                        f"only numbers can be sampled; '{key}' is not a number"))
    for key, values in spec.vary.grid.items():
        if not values:
            problems.append(Problem(quoted("vary.grid", key), "a grid needs at least one value"))
    sample = spec.vary.sample
    if sample is not None:
        for key, (low, high) in sample.bounds.items():
            if not (math.isfinite(low) and math.isfinite(high)):
                problems.append(Problem(quoted("vary.sample.bounds", key),
                                        f"bounds must be finite numbers (got [{low}, {high}])"))
            elif not low < high:
                problems.append(Problem(quoted("vary.sample.bounds", key),
                                        f"low must be below high (got [{low}, {high}])"))
        if sample.method == "sobol" and sample.n & (sample.n - 1):
            lower = 1 << (sample.n.bit_length() - 1)
            problems.append(Problem("vary.sample.n", (
                f"a Sobol sample keeps its balance only for n a power of 2 (got {sample.n}; "
                f"use {lower} or {lower * 2}, or method = \"lhs\")")))
    problems += _overlap_problems(spec)
    for name in spec.strategies:
        if not STRATEGY_NAME.match(name):
            problems.append(Problem(f"strategies.{name}",
                                    "strategy names may use letters, digits, '_' and '-' only"))
    return problems


def _overlap_problems(spec: Experiment) -> list[Problem]:
    """A key varied in two places would be ambiguous: refuse it."""
    owners: dict[str, str] = {}
    problems = []
    sample = list(spec.vary.sample.bounds) if spec.vary.sample else []
    point_keys = sorted({k for p in spec.vary.points for k in p})
    for section, keys in (("vary.grid", spec.vary.grid), ("vary.sample.bounds", sample),
                          ("vary.points", point_keys)):
        for key in keys:
            if key in owners:
                problems.append(Problem(quoted(section, key),
                                        f"'{key}' is already varied in {owners[key]}"))
            owners.setdefault(key, section)
    return problems


def integer_keys(spec: Experiment) -> set[str]:
    """Sampled keys whose schema type is an integer (their values are rounded)."""
    keys = spec.vary.sample.bounds if spec.vary.sample else {}
    return {k for k in keys if schema_type(k)[0] is int}


def try_set(raw: dict, dotted: str, value: Any) -> str | None:
    """Set a dotted key in a raw scenario, returning an error message instead of raising."""
    try:
        set_key(raw, dotted, copy.deepcopy(value))
    except (IndexError, KeyError, TypeError) as err:
        return f"cannot set '{dotted}' in this scenario ({type(err).__name__}: {err})"
    return None
