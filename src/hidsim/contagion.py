"""Diffusion of one service on any networkx graph, with the model's own rules.

This is the model's adoption mechanics stripped of districts, awareness and
accounting: every node is aware, nobody gives up, and each step every non-adopter
decides from the share of its ties who adopted last step. It serves to validate
the engines against the analytic Bass curve and to study how network structure
alone changes diffusion. The equations come from :mod:`hidsim.rules`, so they are
the ones the engines use.

Examples:
    >>> import networkx as nx
    >>> from hidsim.contagion import simulate
    >>> curve = simulate(nx.path_graph(5), rule="threshold", thresholds=0.5,
    ...                  initial=[0], steps=4)
    >>> curve.tolist()
    [0.2, 0.4, 0.6, 0.8, 1.0]
"""

from __future__ import annotations

import difflib
import numbers

import networkx as nx
import numpy as np
import scipy.sparse as sp

from hidsim import rules

#: The adoption rules this simulator implements on a networkx graph.
RULES = ("bass", "threshold")

__all__ = ["exposure", "simulate", "tie_weights"]


def exposure(weights, adopted) -> np.ndarray:
    """Weighted share of each node's ties who adopted.

    Args:
        weights: row-normalised sparse matrix (CSR), ``weights[i, j]`` the weight of
            ``i``'s tie to ``j``; each row sums to 1, or is all zero for a node
            without ties (its exposure is then 0).
        adopted: bool or float array, one entry per column of ``weights``.

    Returns:
        Float64 array ``F`` with ``F[i] = sum_j weights[i, j] * adopted[j]``.

    Examples:
        >>> import scipy.sparse as sp
        >>> w = sp.csr_array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> exposure(w, [True, True, False]).tolist()
        [0.5, 1.0, 0.0]
    """
    # A bool vector times a float matrix is float in SciPy today, but casting first
    # keeps the result float64 whatever the caller's dtype.
    return np.asarray(weights @ np.asarray(adopted, dtype=np.float64), dtype=np.float64)


def tie_weights(graph, weight="weight"):
    """Row-normalised tie weights of a graph, in ``list(graph.nodes)`` order.

    Row ``i`` holds the weights of node ``i``'s ties divided by their sum, so
    ``exposure(tie_weights(G), adopted)`` is the weighted share of adopting ties.
    For a directed graph row ``i`` holds ``i``'s out-edges: the nodes ``i`` listens to.

    Args:
        graph: any networkx graph.
        weight: edge attribute holding the tie strength; edges without it weigh 1.

    Returns:
        ``scipy.sparse.csr_array`` of shape ``(n, n)``; rows of isolated nodes are zero.

    Raises:
        ValueError: if a tie weight is negative, NaN or infinite.

    Examples:
        >>> import networkx as nx
        >>> g = nx.Graph([(0, 1), (0, 2, {"weight": 3.0})])
        >>> tie_weights(g).toarray().tolist()
        [[0.0, 0.25, 0.75], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """
    matrix = nx.to_scipy_sparse_array(
        graph, nodelist=list(graph.nodes), weight=weight, dtype=np.float64, format="csr"
    )
    _check_weights(matrix, f"tie weights in edge attribute {weight!r}")
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    # Isolated nodes keep an all-zero row (exposure 0) instead of dividing by zero.
    scale = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return sp.csr_array(sp.diags_array(scale) @ matrix)


def simulate(
    graph,
    *,
    rule="bass",
    p=0.03,
    q=0.38,
    thresholds=0.5,
    initial=0.0,
    steps=100,
    rng=None,
    propensity=1.0,
    outreach=1.0,
    return_state=False,
    weights=None,
):
    """Simulate the spread of one service on a graph, all nodes updating at once.

    Each step every non-adopter decides from its exposure ``F`` (weighted share of
    its ties who had adopted at the end of the previous step); then all decisions
    take effect together (synchronous update). Every node is aware and adopters
    never give up the service.

    * ``rule="bass"``: adopt with probability
      ``rules.bass_hazard(propensity, p, outreach, q, F)``. ``p`` and ``q`` are
      **per step**: for annual coefficients and weekly steps use
      :func:`hidsim.rules.weekly_rate`.
    * ``rule="threshold"`` (complex contagion): adopt when ``F >= threshold``
      (``rules.threshold_hazard``) **and** ``F > 0``: at least one tie must have
      adopted, so threshold 0 spreads exactly over the connected components of
      the initial adopters, and a threshold above 1 never spreads.

    Args:
        graph: any networkx graph; a directed edge ``i -> j`` means ``i`` watches ``j``.
        rule: ``"bass"`` or ``"threshold"``.
        p: innovation coefficient per step (Bass rule).
        q: imitation coefficient per step (Bass rule).
        thresholds: threshold rule's ``theta``, one number or one per node in
            ``list(graph.nodes)`` order.
        initial: share of nodes drawn at random as initial adopters (rounded to a
            whole number of nodes), or a list of node labels.
        steps: number of steps to simulate.
        rng: seed for ``np.random.default_rng`` (int, SeedSequence or Generator).
        propensity: ``u``, one number or one per node (Bass rule).
        outreach: outreach intensity, one number or one per node (Bass rule).
        return_state: also return the final adoption state.
        weights: precomputed ``tie_weights(graph, ...)``; pass it to reuse across
            replications (building it is the slow part on dense graphs) or to use
            another edge attribute.

    Returns:
        Adopted fraction per step, array of length ``steps + 1`` (index 0 is the
        initial state). With ``return_state=True``, a tuple ``(fractions, state)``
        where ``state`` is a bool array in ``list(graph.nodes)`` order.

    Raises:
        ValueError: on an unknown rule, an empty graph, a per-node array of the wrong
            length, an ``initial`` share outside [0, 1] or unknown initial nodes; a
            negative, NaN or infinite ``p``, ``q``, ``propensity``, ``outreach`` or tie
            weight; a negative or NaN threshold (``inf`` is allowed: never adopt).

    Examples:
        >>> import networkx as nx
        >>> curve = simulate(nx.complete_graph(200), p=0.05, q=0.4, steps=30, rng=1)
        >>> len(curve), float(curve[0]), bool(curve[-1] > 0.99)
        (31, 0.0, True)
        >>> simulate(nx.cycle_graph(4), rule="threshold", thresholds=1.5,
        ...          initial=[0], steps=3).tolist()
        [0.25, 0.25, 0.25, 0.25]
    """
    if rule not in RULES:
        close = difflib.get_close_matches(str(rule), RULES, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown rule {rule!r}; choose one of {RULES}.{hint}")
    if not isinstance(steps, numbers.Real) or not np.isfinite(steps) or int(steps) != steps \
            or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0, got {steps!r}")
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        raise ValueError("the graph has no nodes")
    if weights is None:
        weights = tie_weights(graph)
    elif weights.shape != (n, n):
        raise ValueError(f"weights has shape {weights.shape}, expected ({n}, {n})")
    else:
        _check_weights(sp.csr_array(weights), "weights")
    # A NaN compares False everywhere, so a NaN rate or threshold would silently mean "never".
    p = _rate(p, "p")
    q = _rate(q, "q")
    generator = np.random.default_rng(rng)
    theta = _per_node(thresholds, n, "thresholds", finite=False)
    propensity = _per_node(propensity, n, "propensity")
    outreach = _per_node(outreach, n, "outreach")

    state = _initial_state(graph, nodes, initial, generator)
    fractions = np.empty(int(steps) + 1)
    fractions[0] = state.mean()
    for t in range(1, int(steps) + 1):
        F = exposure(weights, state)
        if rule == "bass":
            hazard = rules.bass_hazard(propensity, p, outreach, q, F)
            # One draw per node every step, adopters included, so a seed gives the
            # same stream of numbers whatever happened before.
            adopts = generator.random(n) < hazard
        else:
            # Complex contagion needs at least one adopting tie: without F > 0,
            # threshold 0 would make every node adopt out of nothing.
            adopts = (rules.threshold_hazard(F, theta) > 0) & (F > 0)
        state = state | adopts
        fractions[t] = state.mean()
    return (fractions, state) if return_state else fractions


def _check_weights(matrix, what):
    """Refuse negative, NaN or infinite weights: such a node would silently drop out."""
    data = np.asarray(matrix.data, dtype=np.float64)
    if data.size and not np.isfinite(data).all():
        raise ValueError(f"{what} must be finite numbers, got {data[~np.isfinite(data)][0]!r}")
    if data.size and data.min() < 0:
        raise ValueError(f"{what} must be >= 0, got {data.min()!r}")


def _rate(value, name):
    """A per-step Bass coefficient: a finite number >= 0."""
    try:
        rate = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number >= 0, got {value!r}") from None
    if not np.isfinite(rate) or rate < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return rate


def _per_node(value, n, name, finite=True):
    """A scalar, or a float array of length ``n``, for one per-node parameter (>= 0, not NaN).

    ``finite=False`` allows ``+inf`` (a threshold no exposure reaches).
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or one number per node, got {value!r}") from None
    if array.ndim != 0 and array.shape != (n,):
        raise ValueError(
            f"{name} must be a number or have one value per node ({n}), got shape {array.shape}"
        )
    bad = np.isnan(array) | (array < 0) | (np.isinf(array) if finite else False)
    if np.any(bad):
        first = array[bad].ravel()[0] if array.ndim else float(array)
        expected = "finite numbers >= 0" if finite else "numbers >= 0 (inf allowed)"
        raise ValueError(f"{name} must be {expected}, got {first!r}")
    return float(array) if array.ndim == 0 else array


def _initial_state(graph, nodes, initial, generator):
    """Bool array of initial adopters from a share of nodes or a list of labels."""
    n = len(nodes)
    state = np.zeros(n, dtype=bool)
    if isinstance(initial, numbers.Real) and not isinstance(initial, bool):
        if not 0.0 <= initial <= 1.0:
            raise ValueError(
                f"initial share must be in [0, 1], got {initial!r}; "
                "pass a list to name initial nodes"
            )
        count = int(round(initial * n))
        state[generator.choice(n, size=count, replace=False)] = True
        return state
    if isinstance(initial, str | bool):
        # list("ab") would silently seed nodes "a" and "b".
        raise ValueError(f"initial must be a share or a list of nodes, got {initial!r}")
    chosen = list(initial)
    unknown = [node for node in chosen if node not in graph]
    if unknown:
        raise ValueError(
            f"initial nodes not in the graph: {unknown[:5]!r}"
            + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        )
    index = {node: i for i, node in enumerate(nodes)}
    state[[index[node] for node in chosen]] = True
    return state
