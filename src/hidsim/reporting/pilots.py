"""A pilot's state in words: planned, running, or kept and withdrawn where it ran.

One wording for ``hidsim run``'s summary and the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping


def pilot_state(kept: Mapping[str, bool] | None, *, week: int, start: int, end: int,
                operator_exit: int | None = None) -> str:
    """What has become of a pilot by ``week``.

    Args:
        kept: district to whether the service was kept there, once the pilot has ended
            (``AdoptionModel.pilot_outcomes[name]``); ``None`` before.
        week: the week the state is read at (the horizon, for a finished run).
        start: the pilot's first week.
        end: the week it ends.
        operator_exit: the week the operator it left behind left the market, if it did by
            ``week``.

    Returns:
        ``"kept in A, B; withdrawn in C"``, ``"running until week N"`` or
        ``"starts in week N"``.

    Examples:
        >>> pilot_state({"Malmi": True, "Pasila": False}, week=60, start=4, end=56)
        'kept in Malmi; withdrawn in Pasila'
        >>> pilot_state(None, week=10, start=4, end=56)
        'running until week 56'
    """
    if kept is not None:
        kept_in = [d for d, k in kept.items() if k]
        withdrawn = [d for d, k in kept.items() if not k]
        parts = [f"kept in {', '.join(kept_in)}"] if kept_in else []
        parts += [f"withdrawn in {', '.join(withdrawn)}"] if withdrawn else []
        if kept_in and operator_exit is not None and operator_exit <= week:
            parts.append(f"its operator left in week {operator_exit}")
        return "; ".join(parts)
    if week >= start:
        return f"running until week {end}"
    return f"starts in week {start}"
