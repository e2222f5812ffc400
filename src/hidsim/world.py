"""The world: districts, residents, companies and the ties between them.

Everything here is made once per run, from a validated scenario and one seeded
NumPy generator, as plain arrays that both engines share. The social network
is a scipy CSR matrix: clustered ties inside each district (a Watts-Strogatz
ring lattice with part of its ties rewired), ties across districts weighted by
the district network, and co-worker ties through employers.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from hidsim import datasets
from hidsim.resolution import agents_for, district_populations
from hidsim.scenario import Scenario

INCOME_GROUPS = ("low", "middle", "high")


@dataclass(frozen=True)
class SyntheticPopulation:
    """The synthetic population of one run: residents, companies and ties, as arrays.

    Attributes:
        districts: district names, in scenario order.
        graph: the district network (nodes are names; ``weight`` on edges).
        residents_per_agent: the scenario's scale.
        home: district index of each resident.
        income: income group index (0 low, 1 middle, 2 high).
        attitude: attitude towards low-carbon choices (mean about 1).
        footprint: baseline footprint by domain, kgCO2e/year, shape (N, domains).
        threshold: adoption threshold for the threshold rule.
        employer: company index, or -1 when not employed.
        company_district: district index of each company.
        ties: symmetric CSR matrix of tie weights (N x N).
        influence: ``ties`` with rows normalised to sum to 1 (exposure weights).
    """

    districts: list[str]
    graph: nx.Graph
    residents_per_agent: int
    home: np.ndarray
    income: np.ndarray
    attitude: np.ndarray
    footprint: np.ndarray
    threshold: np.ndarray
    employer: np.ndarray
    company_district: np.ndarray
    ties: sp.csr_matrix
    influence: sp.csr_matrix

    @property
    def size(self) -> int:
        """Number of resident agents."""
        return len(self.home)

    @property
    def degree(self) -> np.ndarray:
        """Number of ties of each resident."""
        return np.diff(self.ties.indptr)

    def members(self, districts) -> np.ndarray:
        """Indices of the residents living in the given district indices."""
        return np.flatnonzero(np.isin(self.home, list(districts)))


def district_graph(scenario: Scenario) -> nx.Graph:
    """The weighted district network of a scenario.

    Every pair of districts is joined; the weight is the distance decay
    ``d^-decay`` (km) times ``link_bonus`` for directly linked districts, unless a
    link gives its weight explicitly. Nodes carry population, jobs, rail and
    position from the scenario and the shipped data.

    Args:
        scenario: a validated scenario.

    Returns:
        The district graph.
    """
    world, data = scenario.world, datasets.districts()
    populations = district_populations(scenario)
    g = nx.Graph()
    for d in world.districts:
        row = data.loc[d.name] if d.name in data.index else None
        population = populations[d.name]
        jobs = d.jobs
        if jobs is None:
            known = row is not None and row["jobs"] == row["jobs"]
            jobs = int(row["jobs"]) if known else round(world.jobs_per_resident * population)
        rail = (
            d.rail
            if d.rail is not None
            else bool(row is not None and row["rail"] in ("rail", "metro"))
        )
        g.add_node(d.name, population=population, jobs=jobs, rail=rail, lat=d.lat, lon=d.lon)
    linked = {frozenset(link.between): link for link in world.links}
    names = list(g.nodes)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            link = linked.get(frozenset((a, b)))
            if link is not None and link.weight is not None:
                weight = link.weight
            else:
                km = max(0.5, distance_km(g.nodes[a], g.nodes[b]))
                weight = km**-world.distance_decay * (world.link_bonus if link else 1.0)
            g.add_edge(a, b, weight=weight, link=link.mode if link else "")
    return g


def distance_km(a: dict, b: dict) -> float:
    """Distance between two nodes with ``lat``/``lon`` (equirectangular, fine at city scale)."""
    mean_lat = np.radians((a["lat"] + b["lat"]) / 2)
    dx = np.radians(b["lon"] - a["lon"]) * np.cos(mean_lat)
    dy = np.radians(b["lat"] - a["lat"])
    return float(6371.0 * np.hypot(dx, dy))


def build_population(scenario: Scenario, rng: np.random.Generator) -> SyntheticPopulation:
    """Make the residents, companies and ties of a scenario.

    Args:
        scenario: a validated scenario.
        rng: the generator for the world (one child of the run's SeedSequence).

    Returns:
        The population, ready for an engine.
    """
    pop, scale = scenario.population, scenario.world.scale
    graph = district_graph(scenario)
    names = list(graph.nodes)
    # Agents per district, rounded (hidsim.resolution refuses a scale that distorts one).
    sizes = np.array([agents_for(graph.nodes[d]["population"], scale) for d in names])
    home = np.repeat(np.arange(len(names), dtype=np.int16), sizes)
    n = len(home)

    shares = np.array([pop.income_shares.get(g, 0.0) for g in INCOME_GROUPS])
    income = rng.choice(len(INCOME_GROUPS), size=n, p=shares / shares.sum()).astype(np.int8)
    attitude = (2.0 * rng.beta(pop.attitude.a, pop.attitude.b, size=n)).astype(np.float32)
    footprint = baseline_footprint(n, pop.footprint_spread, rng)
    threshold = np.clip(rng.normal(pop.threshold_mean, pop.threshold_sd, size=n), 0.0, None)

    employer, company_district = assign_employers(graph, sizes, home, scenario, rng)
    rows, cols = social_ties(graph, sizes, scenario, rng)
    crow, ccol = coworker_ties(employer, pop.coworker_ties, rng)
    rows, cols = np.concatenate([rows, crow]), np.concatenate([cols, ccol])
    ties = symmetric_matrix(rows, cols, n)
    return SyntheticPopulation(
        districts=names,
        graph=graph,
        residents_per_agent=scale,
        home=home,
        income=income,
        attitude=attitude,
        footprint=footprint,
        threshold=threshold.astype(np.float32),
        employer=employer,
        company_district=company_district,
        ties=ties,
        influence=row_normalised(ties),
    )


def baseline_footprint(n: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """Per-resident footprints by domain: the Finnish means with lognormal spread.

    The lognormal has mean 1, so the population mean stays at the sourced value.
    """
    means = datasets.footprint().loc[list(datasets.DOMAINS), "kgco2e_per_capita"].to_numpy(float)
    noise = rng.lognormal(-(spread**2) / 2, spread, size=(n, len(means))) if spread > 0 else 1.0
    return (means * noise).astype(np.float32)


def social_ties(graph: nx.Graph, sizes: np.ndarray, scenario: Scenario, rng: np.random.Generator):
    """Tie end points: a rewired ring lattice in each district plus cross-district ties.

    Returns:
        Two int32 arrays ``(rows, cols)`` of undirected ties (each tie once).
    """
    pop = scenario.population
    local = round(pop.ties_per_resident * pop.local_tie_share / 2)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    rows, cols = [], []
    for d, size in enumerate(sizes):
        if size < 2:
            continue
        members = offsets[d] + rng.permutation(size)
        h = min(local, (size - 1) // 2)
        for step in range(1, h + 1):
            a, b = members, np.roll(members, -step)
            # Rewiring breaks clustering: a share of lattice ties goes to anyone in the district.
            rewire = rng.random(size) >= pop.clustering
            b = np.where(rewire, offsets[d] + rng.integers(0, size, size), b)
            rows.append(a)
            cols.append(b)
    cross = round(pop.ties_per_resident * (1 - pop.local_tie_share) / 2)
    if cross and len(sizes) > 1:
        weights = nx.to_numpy_array(graph, weight="weight") * sizes[None, :]
        for d in range(len(sizes)):
            if weights[d].sum() == 0:
                continue
            a = np.repeat(np.arange(offsets[d], offsets[d + 1]), cross)
            target = rng.choice(len(sizes), size=len(a), p=weights[d] / weights[d].sum())
            b = offsets[target] + (rng.random(len(a)) * sizes[target]).astype(np.int64)
            rows.append(a)
            cols.append(b)
    if not rows:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(rows).astype(np.int32), np.concatenate(cols).astype(np.int32)


def assign_employers(graph, sizes, home, scenario: Scenario, rng: np.random.Generator):
    """Give employed residents a company, choosing the work district by jobs and ties.

    The work district is drawn with probability proportional to its jobs times
    the district network weight from home (the own district counts as linked
    at 1 km). Companies have heavy-tailed sizes (Pareto weights).

    Returns:
        ``(employer, company_district)``: company index per resident (-1 if not
        employed) and district index per company.
    """
    pop, scale = scenario.population, scenario.world.scale
    names = list(graph.nodes)
    jobs = np.array([graph.nodes[d]["jobs"] / scale for d in names])
    companies = np.maximum(1, np.round(jobs / pop.company_size)).astype(int)
    company_district = np.repeat(np.arange(len(names)), companies)
    first = np.concatenate([[0], np.cumsum(companies)])
    pull = nx.to_numpy_array(graph, weight="weight")
    np.fill_diagonal(pull, scenario.world.link_bonus)  # own district: linked, at 1 km
    pull = pull * jobs[None, :]
    # Each company's size is drawn once (heavy-tailed), whoever commutes to it.
    size_weight = rng.pareto(1.5, first[-1]) + 1.0
    employer = np.full(len(home), -1, dtype=np.int32)
    employed = np.flatnonzero(rng.random(len(home)) < pop.employment_rate)
    for d in range(len(names)):
        who = employed[home[employed] == d]
        if len(who) == 0 or pull[d].sum() == 0:
            continue
        work = rng.choice(len(names), size=len(who), p=pull[d] / pull[d].sum())
        for w in np.unique(work):
            staff = who[work == w]
            weights = size_weight[first[w] : first[w + 1]]
            pick = rng.choice(companies[w], size=len(staff), p=weights / weights.sum())
            employer[staff] = first[w] + pick
    return employer, company_district


def coworker_ties(employer: np.ndarray, per_worker: int, rng: np.random.Generator):
    """Ties between colleagues: each worker to the next ones in a shuffled staff list."""
    workers = np.flatnonzero(employer >= 0)
    if per_worker == 0 or len(workers) < 2:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    order = workers[np.lexsort((rng.random(len(workers)), employer[workers]))]
    rows, cols = [], []
    for step in range(1, max(1, per_worker // 2) + 1):
        a, b = order[:-step], order[step:]
        same = employer[a] == employer[b]
        rows.append(a[same])
        cols.append(b[same])
    return np.concatenate(rows).astype(np.int32), np.concatenate(cols).astype(np.int32)


def symmetric_matrix(rows: np.ndarray, cols: np.ndarray, n: int) -> sp.csr_matrix:
    """Undirected ties as a symmetric 0/1 CSR matrix without self-ties or duplicates."""
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    data = np.ones(2 * len(rows), dtype=np.float32)
    m = sp.csr_matrix(
        (data, (np.concatenate([rows, cols]), np.concatenate([cols, rows]))), shape=(n, n)
    )
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return m


def row_normalised(ties: sp.csr_matrix) -> sp.csr_matrix:
    """Each row divided by its sum, so ``influence @ adopted`` is the adopting share of ties."""
    degree = np.diff(ties.indptr)
    totals = np.add.reduceat(ties.data, ties.indptr[:-1][degree > 0]) if ties.nnz else []
    row_sum = np.zeros(ties.shape[0])
    row_sum[degree > 0] = totals
    # Same sparsity as the ties; only the values change (no matrix product needed).
    data = ties.data / np.repeat(np.where(row_sum > 0, row_sum, 1.0), degree)
    return sp.csr_matrix((data, ties.indices.copy(), ties.indptr.copy()), shape=ties.shape)
