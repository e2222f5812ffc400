"""Located problems: what is wrong in a scenario or experiment file, where, and the fix.

Shared by every file hidsim validates, so errors look the same everywhere:
``file: key.path: message; did you mean 'x'?``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from hidsim.registry import did_you_mean  # noqa: F401  (re-exported: one did-you-mean for all)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a scenario or experiment file."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """A scenario file that cannot be used; lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        lines = [f"{source}: {len(problems)} problem(s)"] + [f"  {source}: {p}" for p in problems]
        super().__init__("\n".join(lines))


def key_path(loc: tuple) -> str:
    """Format a pydantic location as ``pilots[2].districts[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """Walk the schema to the pydantic model that holds ``loc[-1]`` (for key hints)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return None
        ann = field.annotation
        for candidate in (ann, *getattr(ann, "__args__", ())):
            inner = getattr(candidate, "__args__", (candidate,))
            found = next(
                (
                    c
                    for c in (candidate, *inner)
                    if isinstance(c, type) and issubclass(c, BaseModel)
                ),
                None,
            )
            if found:
                current = found
                break
        else:
            return None
    return current


def pydantic_problems(err: ValidationError, schema: type[BaseModel]) -> list[Problem]:
    """Turn a pydantic error into located problems with did-you-mean hints."""
    problems = []
    for e in err.errors():
        loc = tuple(e["loc"])
        if e["type"] == "extra_forbidden":
            owner = _model_at(schema, loc)
            hint = did_you_mean(loc[-1], owner.model_fields) if owner else ""
            msg = f"unknown key '{loc[-1]}'{hint}"
        elif loc and loc[-1] == "[key]":
            # A key of a fixed-keys table (income groups): name it, offer the right one.
            loc = loc[:-1]
            allowed = re.findall(r"'([^']+)'", str(e.get("ctx", {}).get("expected", "")))
            msg = f"unknown key '{loc[-1]}'" + did_you_mean(loc[-1], allowed)
            msg += f" (expected one of {', '.join(allowed)})" if allowed else ""
        elif e["type"] == "missing":
            msg = "required key is missing"
        else:
            # "Value error, " is pydantic's wrapper around our own validators' messages.
            msg = e["msg"].removeprefix("Value error, ")
            given = e.get("input")
            if isinstance(given, dict) and "value" in given:
                given = given["value"]  # a sourced value: the number is what is wrong
            if not isinstance(given, dict | list) and "got the boolean" not in msg:
                # A whole table (a service, a pilot) would only hide the message.
                msg += f" (got {_short(given)})"
        problems.append(Problem(key_path(loc), msg))
    return problems


def _short(value: Any, limit: int = 80) -> str:
    """A value for a message, cut to ``limit`` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
