"""Registries: the one list of each family that a scenario, the CLI and the docs read.

Each extension point of hidsim (seeding strategies, adoption rules, engines,
result tables, outputs, sensitivity methods) is a :class:`Registry`. Adding a
member is one registration in one module; the scenario schema validates names
against the registry (with a did-you-mean), and the command line offers its
names as choices. The registries are filled when ``hidsim`` is imported, so a
name registered in any module imported before a scenario is loaded is accepted.

Examples:
    >>> from hidsim.registry import Registry
    >>> colours = Registry("colour")
    >>> @colours.register("red")
    ... def red():
    ...     return "#f00"
    >>> colours.names()
    ['red']
    >>> colours.check("rde")
    "unknown colour 'rde'; did you mean 'red'? (choose one of: red)"
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def did_you_mean(name: Any, choices) -> str:
    """A ``; did you mean 'x'?`` hint, or an empty string.

    Args:
        name: what the user wrote.
        choices: the valid names.

    Returns:
        The hint, starting with ``"; "``, or ``""`` when nothing is close.
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Registry(Mapping[str, T], Generic[T]):
    """Members of one family by name, in registration order.

    Args:
        kind: what a member is, for messages (``"seeding strategy"``).
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._members: dict[str, T] = {}

    def register(self, name: str, member: T | None = None) -> Callable[[T], T] | T:
        """Register a member under a name, directly or as a decorator.

        Args:
            name: the name scenarios and the command line use.
            member: the member; omit it to use the method as a decorator.

        Returns:
            The member (so the decorated function or class is unchanged).

        Raises:
            ValueError: if the name is empty or not a string.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"a {self.kind} needs a non-empty name, got {name!r}")

        def add(obj: T) -> T:
            self._members[name] = obj
            return obj

        return add if member is None else add(member)

    def unregister(self, name: str) -> None:
        """Remove a member (tests that register a member of their own clean up with this)."""
        self._members.pop(name, None)

    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._members)

    def check(self, name: Any) -> str | None:
        """Why a name is not a member, or ``None`` when it is.

        Args:
            name: the name to look up.

        Returns:
            A message with a did-you-mean and the choices, or ``None``.
        """
        if isinstance(name, str) and name in self._members:
            return None
        return (
            f"unknown {self.kind} {name!r}{did_you_mean(name, self._members)} "
            f"(choose one of: {', '.join(self._members)})"
        )

    def __getitem__(self, name: str) -> T:
        try:
            return self._members[name]
        except (KeyError, TypeError):
            raise KeyError(self.check(name)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}: {', '.join(self._members)})"


#: How a pilot picks its initial users (:mod:`hidsim.seeding`).
SEEDING_STRATEGIES: Registry = Registry("seeding strategy")
#: Adoption rules: the hazard of an aware resident (:mod:`hidsim.rules`).
ADOPTION_RULES: Registry = Registry("adoption rule")
#: Engines that advance the two branches of a run (:mod:`hidsim.engines`).
ENGINES: Registry = Registry("engine")
