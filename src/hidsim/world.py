"""The world: districts, residents, companies and the ties between them.

Everything here is made once per run, from a validated scenario and one seeded
NumPy generator, as plain arrays that both engines share. The social network
is a scipy CSR matrix: household ties, clustered ties inside each district with a
heavy-tailed number of ties per resident and homophily by income, ties across
districts weighted by the district network, and co-worker ties through employers.
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


#: Spread of a resident's local tie ends along the district's line of households, in
#: positions per local tie: smaller keeps ties among near neighbours (more clustering).
REACH = 0.5

COMMUTE_MODES = ("none", "car", "public_transport", "active")


@dataclass(frozen=True)
class SyntheticPopulation:
    """The synthetic population of one run: residents, companies and ties, as arrays.

    Attributes:
        districts: district names, in scenario order.
        graph: the district network (nodes are names; ``weight`` on edges).
        residents_per_agent: the scenario's scale.
        home: district index of each resident.
        income: income group index (0 low, 1 middle, 2 high), shared by a household.
        attitude: attitude towards low-carbon choices (mean about 1).
        footprint: baseline footprint by channel (:data:`hidsim.datasets.CHANNELS`),
            kgCO2e/year at the footprint data's year, shape (N, channels).
        threshold: adoption threshold for the threshold rule.
        employer: company index, or -1 when not employed.
        company_district: district index of each company.
        ties: symmetric CSR matrix of tie weights (N x N).
        influence: ``ties`` with rows normalised to sum to 1 (exposure weights).
        household: household index of each resident (members are adjacent indices).
        car: whether the resident's household has a car.
        commute: commute mode index (:data:`COMMUTE_MODES`; 0 = does not commute).
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
    household: np.ndarray | None = None
    car: np.ndarray | None = None
    commute: np.ndarray | None = None

    @property
    def size(self) -> int:
        """Number of resident agents."""
        return len(self.home)

    @property
    def degree(self) -> np.ndarray:
        """Number of ties of each resident."""
        return np.diff(self.ties.indptr)

    @property
    def employed(self) -> np.ndarray:
        """Whether each resident works (has an employer)."""
        return self.employer >= 0

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
    """Make the residents, households, companies and ties of a scenario.

    Households come from Helsinki's household-size distribution; a household shares
    its income group and its car. Employed residents commute by car (if their
    household has one, with the scenario's car-commute share) or else by public or
    active transport in the HSL trip proportions. Footprints follow the Finnish
    income gradient by domain (:func:`income_factors`). Every draw comes from ``rng``,
    with no loop over residents.

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

    household, income, car = make_households(sizes, pop, rng)
    attitude = (2.0 * rng.beta(pop.attitude.a, pop.attitude.b, size=n)).astype(np.float32)
    threshold = np.clip(rng.normal(pop.threshold_mean, pop.threshold_sd, size=n), 0.0, None)
    employed = rng.random(n) < pop.employment_rate
    commute = commute_modes(employed, car, pop, rng)
    footprint = baseline_footprint(income, car, commute, pop, rng)

    employer, company_district = assign_employers(graph, sizes, home, employed, scenario, rng)
    rows, cols = social_ties(graph, sizes, household, scenario, rng)
    hrow, hcol = household_ties(household)
    crow, ccol = coworker_ties(employer, pop.coworker_ties, rng)
    rows = np.concatenate([rows, hrow, crow])
    cols = np.concatenate([cols, hcol, ccol])
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
        household=household,
        car=car,
        commute=commute,
    )


def household_size_shares() -> np.ndarray:
    """Shares of Helsinki households with 1..5 persons (kaupunkitieto.hel.fi, 2022)."""
    return np.array([datasets.fact(f"household_size_{k}") for k in range(1, 6)])


def make_households(sizes: np.ndarray, pop, rng: np.random.Generator):
    """Cut each district's residents into households; give each an income group and a car.

    Households are laid out in order of a homophily key, so that with
    ``income_homophily`` > 0 residents of one income group sit next to each other
    and the local ties (:func:`social_ties`) link them more often.

    Returns:
        ``(household, income, car)`` per resident: household index (members adjacent),
        income group index and whether the household has a car.
    """
    shares = household_size_shares()
    shares = shares / shares.sum()
    mean_size = float(np.arange(1, 6) @ shares)
    incomes = np.array([pop.income_shares.get(g, 0.0) for g in INCOME_GROUPS])
    incomes = incomes / incomes.sum()
    with_car = (
        pop.households_with_car
        if pop.households_with_car is not None
        else datasets.fact("households_with_car")
    )
    household, income, car = [], [], []
    first = 0
    for size in sizes:
        if size == 0:
            continue
        count = int(size / mean_size * 1.3) + 10
        hh = rng.choice(5, size=count, p=shares) + 1
        total = np.cumsum(hh)
        keep = int(np.searchsorted(total, size)) + 1
        hh = hh[:keep]
        hh[-1] -= total[keep - 1] - size  # the last household takes what is left
        h_income = rng.choice(len(INCOME_GROUPS), size=keep, p=incomes)
        h_car = rng.random(keep) < with_car
        # Homophily: a share of households is placed by income group, the rest anywhere.
        placed = rng.random(keep) < pop.income_homophily
        key = np.where(placed, h_income, rng.integers(0, len(INCOME_GROUPS), keep))
        order = np.lexsort((rng.random(keep), key))
        hh, h_income, h_car = hh[order], h_income[order], h_car[order]
        household.append(first + np.repeat(np.arange(keep), hh))
        income.append(np.repeat(h_income, hh))
        car.append(np.repeat(h_car, hh))
        first += keep
    if not household:
        empty = np.empty(0, dtype=np.int32)
        return empty, empty.astype(np.int8), empty.astype(bool)
    return (
        np.concatenate(household).astype(np.int32),
        np.concatenate(income).astype(np.int8),
        np.concatenate(car),
    )


def commute_modes(employed: np.ndarray, car: np.ndarray, pop, rng: np.random.Generator):
    """Commute mode per resident: car, public transport or active (walk, bike); 0 if not working.

    An employed resident of a car household drives with the car-commute share
    (default: HSL's 39% car share of trips over the 48% of households with a car);
    everyone else who works goes by public transport or actively, in HSL's 22:38 ratio.
    """
    car_share = pop.car_commute_share
    if car_share is None:
        with_car = (
            pop.households_with_car
            if pop.households_with_car is not None
            else datasets.fact("households_with_car")
        )
        car_share = min(1.0, datasets.fact("trip_share_car") / max(with_car, 1e-9))
    public = datasets.fact("trip_share_public_transport")
    active = datasets.fact("trip_share_active")
    draw = rng.random(len(employed))
    drives = car & (draw < car_share)
    other = rng.random(len(employed)) < public / (public + active)
    mode = np.where(drives, 1, np.where(other, 2, 3))
    return np.where(employed, mode, 0).astype(np.int8)


def income_factors() -> np.ndarray:
    """Footprint factors by income group and domain, mean 1 over the three tertiles.

    Statistics Finland (Nurmela) gives the footprint of the lowest and highest
    income deciles by domain. The factor grows log-linearly with the income rank
    ``r``: ``exp(b_d r)`` with ``b_d = ln(D10_d / D1_d) / 0.9`` (deciles 1 and 10 sit at
    ranks 0.05 and 0.95), taken at the tertile midpoints 1/6, 1/2, 5/6 and normalised.

    Returns:
        Array of shape (3 income groups, 4 domains).

    Examples:
        >>> f = income_factors()
        >>> bool((f[2] > f[0]).all())
        True
    """
    ranks = np.array([1 / 6, 1 / 2, 5 / 6])
    slopes = np.array([
        np.log(datasets.fact(f"footprint_decile10_{d}") / datasets.fact(f"footprint_decile1_{d}"))
        / 0.9
        for d in datasets.DOMAINS
    ])
    factors = np.exp(ranks[:, None] * slopes[None, :])
    return factors / factors.mean(axis=0)


def baseline_footprint(income, car, commute, pop, rng: np.random.Generator) -> np.ndarray:
    """Per-resident footprints by channel at the footprint data's year (Sitra 2018 means).

    Housing splits into electricity (860 kg) and the rest; mobility into car trips
    and the rest (2,240 kg private car per Finn). Car trips belong to residents of
    car households: 2,240 kg over the 74% of Finnish households with a car, so
    about 3,030 kg each; residents without a car keep ``no_car_share`` of it (rides,
    taxis, rentals). A car commuter's car trips split ``car_work_share`` to work.
    Each domain follows the income gradient (:func:`income_factors`) and a
    lognormal spread of mean 1 (``footprint_spread``).

    Returns:
        kgCO2e/year, shape (N, channels), float32.
    """
    fp = datasets.footprint()["kgco2e_per_capita"].astype(float)
    n = len(income)
    factor = income_factors()[income.astype(np.int64)]  # (N, domains)
    spread = pop.footprint_spread
    if spread > 0:
        factor = factor * rng.lognormal(-(spread**2) / 2, spread, size=factor.shape)
    housing, mobility, food, goods = (factor[:, k] for k in range(4))
    per_car = fp["mobility:private_car"] / datasets.fact("households_with_car_finland")
    car_total = per_car * np.where(car, 1.0, pop.no_car_share) * mobility
    to_work = np.where(commute == 1, pop.car_work_share, 0.0)
    out = np.empty((n, len(datasets.CHANNELS)), dtype=np.float32)
    out[:, 0] = fp["housing:electricity"] * housing
    out[:, 1] = (fp["housing"] - fp["housing:electricity"]) * housing
    out[:, 2] = car_total * to_work
    out[:, 3] = car_total * (1.0 - to_work)
    out[:, 4] = (fp["mobility"] - fp["mobility:private_car"]) * mobility
    out[:, 5] = fp["food"] * food
    out[:, 6] = fp["goods_services"] * goods
    return out


def target_degrees(n: int, pop, rng: np.random.Generator) -> np.ndarray:
    """Each resident's number of influence ties: lognormal, mean ``ties_per_resident``.

    The log-sd defaults to the one derived from Hill & Dunbar's (2003) personal
    networks (``degree_log_sd`` in the shipped data): a few residents know many.
    """
    sigma = pop.degree_log_sd if pop.degree_log_sd is not None else datasets.fact("degree_log_sd")
    mean = float(pop.ties_per_resident)
    if mean <= 0:
        return np.zeros(n)
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size=n)


def stochastic_round(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Round down or up at random so that the mean is kept."""
    return np.floor(x + rng.random(len(x))).astype(np.int64)


def social_ties(graph: nx.Graph, sizes: np.ndarray, household: np.ndarray, scenario: Scenario,
                rng: np.random.Generator):
    """Tie end points: local ties in each district and ties across districts.

    Every resident gets a heavy-tailed number of ties (:func:`target_degrees`); a
    ``local_tie_share`` of them stays in the district (less the household members,
    who are tied anyway). Local tie ends ("stubs") are placed on the district's
    line of households near their owner, a ``clustering`` share of them within
    a reach that grows with the owner's ties and the rest anywhere in the district;
    stubs next to each other are paired. Nearby residents share neighbours, which
    gives clustering; the layout by income gives homophily. Ties across districts
    go to a district drawn by the district network's weight (distance decay, links)
    times its population, and a resident there at random.

    Returns:
        Two int32 arrays ``(rows, cols)`` of undirected ties (each tie once).
    """
    pop = scenario.population
    n = int(sizes.sum())
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    k = target_degrees(n, pop, rng)
    members = np.bincount(household, minlength=household.max() + 1 if n else 0)[household]
    local = stochastic_round(np.maximum(0.0, k * pop.local_tie_share - (members - 1)), rng)
    cross = stochastic_round(k * (1 - pop.local_tie_share) / 2, rng)
    rows, cols = [], []
    for d, size in enumerate(sizes):
        if size < 2:
            continue
        if pop.ties_per_resident * pop.local_tie_share >= size - 1:
            # Ties enough to know everyone: the district is a complete graph.
            a, b = np.triu_indices(size, 1)
            rows.append(offsets[d] + a)
            cols.append(offsets[d] + b)
            continue
        people = np.arange(offsets[d], offsets[d + 1])
        owner = np.repeat(people, local[people])
        if len(owner) < 2:
            continue
        position = (owner - offsets[d]).astype(np.float64)
        near = rng.random(len(owner)) < pop.clustering
        reach = np.maximum(1.0, local[owner] * REACH)
        spot = np.where(
            near, position + rng.normal(0.0, 1.0, len(owner)) * reach, rng.random(len(owner)) * size
        )
        order = owner[np.argsort(spot, kind="stable")]
        pairs = len(order) // 2
        rows.append(order[0 : 2 * pairs : 2])
        cols.append(order[1 : 2 * pairs : 2])
    if len(sizes) > 1 and cross.any():
        weights = nx.to_numpy_array(graph, weight="weight") * sizes[None, :]
        for d in range(len(sizes)):
            if weights[d].sum() == 0:
                continue
            people = np.arange(offsets[d], offsets[d + 1])
            a = np.repeat(people, cross[people])
            target = rng.choice(len(sizes), size=len(a), p=weights[d] / weights[d].sum())
            b = offsets[target] + (rng.random(len(a)) * sizes[target]).astype(np.int64)
            rows.append(a)
            cols.append(b)
    if not rows:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    return np.concatenate(rows).astype(np.int32), np.concatenate(cols).astype(np.int32)


def household_ties(household: np.ndarray):
    """Ties between every two members of a household (members have adjacent indices)."""
    if len(household) < 2:
        return np.empty(0, np.int32), np.empty(0, np.int32)
    rows, cols = [], []
    index = np.arange(len(household))
    for step in range(1, 5):  # households have at most 5 members
        a, b = index[:-step], index[step:]
        same = household[a] == household[b]
        rows.append(a[same])
        cols.append(b[same])
    return np.concatenate(rows).astype(np.int32), np.concatenate(cols).astype(np.int32)


def assign_employers(graph, sizes, home, employed, scenario: Scenario, rng: np.random.Generator):
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
    employed = np.flatnonzero(employed)
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
