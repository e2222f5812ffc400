"""Issue 14 done-when: a corpus of malformed inputs, generated from the shipped files.

Every shipped scenario (``scenarios/*.toml``) and experiment (``experiments/*.toml``) is
mutated by code: a required key deleted, a value of the wrong type, out of range, NaN or
infinite, a misspelled name or key, a list or a table where a name goes, duplicates, a
byte-order mark, bytes that are not UTF-8, broken TOML; and the command line gets option
values it cannot use. Each input goes through the CLI in-process (``hidsim validate`` for
files, which checks experiments down to every design point without running them) and must
end with exit code 2, a line naming the file, the key and what was expected, and no traceback.
"""

from __future__ import annotations

import copy
import math
import random
import re
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import dumps_toml
from typer.testing import CliRunner

from hidsim.cli import app
from hidsim.experiments.keys import is_model, schema_type
from hidsim.scenario import key_path, read_toml

ROOT = Path(__file__).parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.toml"))
runner = CliRunner()

# What each kind of message must say it expected.
BAD_VALUE = r"Input should|must|finite|valid|limit"
UNKNOWN_NAME = r"unknown .*did you mean"
UNKNOWN_KEY = r"unknown (scenario )?key .*did you mean"
MISSING = r"required key is missing"
TWICE = r"listed twice|used twice|given twice"
NOT_A_NAME = r"valid string"
AT_LEAST_0 = r"greater than or equal to 0|not in the range"
AT_LEAST_1 = r"greater than or equal to 1|not in the range"


@dataclass(frozen=True)
class Case:
    """One malformed input and what the answer must contain.

    Attributes:
        id: a readable, stable name (the test id).
        args: CLI arguments; ``{file}`` stands for the written input file.
        content: the input file's bytes, or ``None`` for a command-line case.
        key: the key path (or option) the answer must name; empty for whole-file problems.
        expected: a regex the same line must match (what was expected).
    """

    id: str
    args: tuple[str, ...]
    content: bytes | None
    key: str
    expected: str


def leaves(node, path=()):
    """``(path, value)`` of every leaf; a sourced ``{value = ..}`` table is one leaf."""
    if isinstance(node, dict) and "value" not in node:
        for key, value in node.items():
            yield from leaves(value, (*path, key))
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        for i, value in enumerate(node):
            yield from leaves(value, (*path, i))
    else:
        yield path, node


def tables(node, path=()):
    """``(path, table)`` of every table that is not a sourced value."""
    if isinstance(node, dict) and "value" not in node:
        yield path, node
        for key, value in node.items():
            yield from tables(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from tables(value, (*path, i))


def put(raw: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(raw)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


def drop(raw: dict, path: tuple) -> dict:
    out = copy.deepcopy(raw)
    node = out
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return out


def number_of(value) -> float | None:
    value = value["value"] if isinstance(value, dict) and "value" in value else value
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def misspell(name: str) -> str:
    """A near miss of a name: its last letter doubled (did-you-mean must find it)."""
    return name + name[-1]


def schema_field(path: tuple):
    """The pydantic field at a raw scenario path, or None (for dict-typed tables)."""
    if not path or not isinstance(path[-1], str):
        return None
    parent = key_path(path[:-1])
    kind, _ = schema_type(parent) if parent else (None, None)
    if not parent:
        from hidsim.scenario import Scenario

        kind = Scenario
    return kind.model_fields.get(path[-1]) if is_model(kind) else None


def literal_choices(field) -> tuple:
    kind = field.annotation if field is not None else None
    return typing.get_args(kind) if typing.get_origin(kind) is typing.Literal else ()


NAME_PATHS = re.compile(r"^(world\.districts\[\d+\]\.name|services\[\d+\]\.id|pilots\[\d+\]\."
                        r"service|pilots\[\d+\]\.districts\[\d+\]|world\.links\[\d+\]\."
                        r"between\[\d+\])$")


def name_leaves(raw: dict):
    """Paths of the names that refer to something (districts, services)."""
    out = []
    for path, value in leaves(raw):
        if isinstance(value, list):
            out += [((*path, i), v) for i, v in enumerate(value) if isinstance(v, str)]
        elif isinstance(value, str):
            out.append((path, value))
    return [(p, v) for p, v in out if NAME_PATHS.match(key_path(p))]


def scenario_cases(file: Path, rng: random.Random) -> list[Case]:
    raw = read_toml(file)
    stem = file.stem
    cases: list[Case] = []

    def add(kind: str, mutated: dict, key: str, expected: str) -> None:
        cases.append(Case(f"{stem}-{kind}-{key}", ("validate", "{file}"),
                          dumps_toml(mutated).encode(), key, expected))

    numbers = [(p, v) for p, v in leaves(raw) if number_of(v) is not None]
    for op, bad in (("nan", math.nan), ("inf", math.inf), ("negative", -1e9),
                    ("text", "abc")):
        for path, _ in rng.sample(numbers, min(6, len(numbers))):
            add(op, put(raw, path, bad), key_path(path), BAD_VALUE)
    for path, name in rng.sample(name_leaves(raw), min(6, len(name_leaves(raw)))):
        key = key_path(path)
        add("list-for-name", put(raw, path, [name]), key, NOT_A_NAME)
        add("table-for-name", put(raw, path, {"name": name}), key, NOT_A_NAME)
        add("number-for-name", put(raw, path, 42), key, NOT_A_NAME)
        if not key.startswith("world.districts"):
            add("misspelled-name", put(raw, path, misspell(name)), key, UNKNOWN_NAME)
    for path, table in tables(raw):
        for name in table:
            field = schema_field((*path, name))
            if field is not None and field.is_required():
                add("missing", drop(raw, (*path, name)), key_path((*path, name)), MISSING)
            if field is not None and literal_choices(field) and isinstance(table[name], str):
                add("bad-choice", put(raw, (*path, name), misspell(table[name])),
                    key_path((*path, name)), r"Input should be")
    keys = [(path, name) for path, table in tables(raw) for name in table
            if schema_field((*path, name)) is not None]
    for path, name in rng.sample(keys, min(6, len(keys))):
        renamed = copy.deepcopy(raw)
        node = renamed
        for part in path:
            node = node[part]
        node[misspell(name)] = node.pop(name)
        add("misspelled-key", renamed, key_path((*path, misspell(name))), UNKNOWN_KEY)
    districts = raw["world"]["districts"]
    add("duplicate-district", put(raw, ("world", "districts"), [*districts, districts[0]]),
        f"world.districts[{len(districts)}].name", TWICE)
    services = raw["services"]
    add("duplicate-service", put(raw, ("services",), [*services, services[0]]),
        f"services[{len(services)}].id", TWICE)
    if raw.get("pilots"):
        pilot = raw["pilots"][0]
        add("duplicate-pilot", put(raw, ("pilots",), [*raw["pilots"], pilot]),
            f"pilots[{len(raw['pilots'])}].name", TWICE)
        add("district-twice-in-pilot",
            put(raw, ("pilots", 0, "districts"), [*pilot["districts"], pilot["districts"][0]]),
            f"pilots[0].districts[{len(pilot['districts'])}]", TWICE)
    # The same inputs through `hidsim run`, which must refuse them the same way before running.
    cases += [Case(f"run-{c.id}", ("run", "{file}", "--weeks", "1"), c.content, c.key,
                   c.expected) for c in cases[::8]]
    cases += file_level_cases(file, rng, cases)
    return cases


def file_level_cases(file: Path, rng: random.Random, mutated: list[Case]) -> list[Case]:
    """Byte-level damage: a BOM before a broken file, bytes that are not UTF-8, broken TOML."""
    text = file.read_bytes()
    lines = text.split(b"\n")
    cases = []
    for case in rng.sample(mutated, min(3, len(mutated))):
        cases.append(Case(f"bom-{case.id}", case.args, b"\xef\xbb\xbf" + case.content,
                          case.key, case.expected))
    for n in sorted(rng.sample(range(len(lines)), 2)):
        bad = lines[:n] + [b"# caf\xe9 \xff"] + lines[n:]
        cases.append(Case(f"{file.stem}-not-utf8-line{n + 1}", ("validate", "{file}"),
                          b"\n".join(bad), "",
                          rf"not UTF-8 text: byte 0x(e9|ff) on line {n + 1} cannot be read; "
                          "save the file as UTF-8"))
    for n in sorted(rng.sample(range(len(lines)), 2)):
        bad = lines[:n] + [b"= = ["] + lines[n:]
        cases.append(Case(f"{file.stem}-bad-toml-line{n + 1}", ("validate", "{file}"),
                          b"\n".join(bad), "", rf"not valid TOML: .*line {n + 1}"))
    return cases


def experiment_cases(file: Path, rng: random.Random) -> list[Case]:
    raw = read_toml(file)
    stem = file.stem
    cases: list[Case] = []

    def add(kind: str, mutated: dict, key: str, expected: str) -> None:
        cases.append(Case(f"{stem}-{kind}-{key}", ("validate", "{file}"),
                          dumps_toml(mutated).encode(), key, expected))

    for key in ("replications", "seed", "weeks", "scale"):
        for op, bad in (("negative", -5), ("text", "abc"), ("nan", math.nan)):
            add(op, put(raw, (key,), bad), key, BAD_VALUE)
    add("period-zero", put(raw, ("metrics",), {**raw.get("metrics", {}), "period": 0}),
        "metrics.period", BAD_VALUE)
    add("unknown-table", put(raw, ("metrics",), {**raw.get("metrics", {}),
                                                 "tables": ["modell"]}),
        "metrics.tables[0]", r"Input should be")
    add("missing", drop(raw, ("name",)), "name", MISSING)
    for op, bad in (("dotdot", "../../x"), ("absolute", "/tmp/x"), ("list", ["x"]),
                    ("table", {"a": "x"})):
        add(f"name-{op}", put(raw, ("name",), bad), "name", r"output folder|valid string")
    add("scenario-typo", put(raw, ("scenario",), misspell(raw["scenario"])), "scenario",
        r"no such scenario file; did you mean")
    add("scenario-list", put(raw, ("scenario",), [raw["scenario"]]), "scenario", NOT_A_NAME)
    add("engine-typo", put(raw, ("engine",), "vectorised"), "engine",
        r"unknown engine 'vectorised'; did you mean 'vectorized'")
    add("key-typo", drop(put(raw, (misspell("replications"),), 2), ("replications",))
        if "replications" in raw else put(raw, (misspell("replications"),), 2),
        misspell("replications"), UNKNOWN_KEY)
    fixed = dict(raw.get("fixed", {})) or {"dynamics.q": 0.4}
    for key in list(fixed)[:2]:
        for op, bad in (("negative", -1e9), ("nan", math.nan), ("text", "abc")):
            add(f"fixed-{op}", put(raw, ("fixed",), {**fixed, key: bad}), f'fixed."{key}"',
                BAD_VALUE)
        typo = key[:-1] + key[-1] * 2
        add("fixed-key-typo", put(raw, ("fixed",), {typo: fixed[key]}), f'fixed."{typo}"',
            UNKNOWN_KEY)
    add("fixed-twice", put(raw, ("fixed",), {"dynamics.q": 0.4, "dynamics": {"q": 0.5}}),
        'fixed."dynamics.q"', TWICE)
    grid = dict(raw.get("vary", {}).get("grid", {}))
    vary = dict(raw.get("vary", {}))
    for op, key, values, expected in (
            ("grid-out-of-range", "dynamics.rebound", [0.1, 2.0], BAD_VALUE),
            ("grid-nan", "dynamics.word_of_mouth", [math.nan], BAD_VALUE),
            ("grid-text", "dynamics.time_value", ["abc"], BAD_VALUE),
            ("grid-pilot-past-the-end", "pilots[5].budget_eur", [100.0], r"no pilots\[5\]"),
            ("grid-district-typo", "pilots[0].districts", [["Malmii"]],
             r"unknown district 'Malmii'"),
            ("grid-key-typo", "dynamics.qq", [0.1], UNKNOWN_KEY),
            ("grid-empty", "dynamics.employer_reach", [], r"at least one value")):
        add(op, put(raw, ("vary",), {**vary, "grid": {**grid, key: values}}),
            f'vary.grid."{key}"', expected)
    sample = raw.get("vary", {}).get("sample")
    if sample:
        key = next(iter(sample["bounds"]))
        low, high = sample["bounds"][key]
        for op, bounds, expected in (("inf", [low, math.inf], r"finite"),
                                     ("nan", [math.nan, high], r"finite"),
                                     ("reversed", [high, low], r"low must be below high"),
                                     ("out-of-range", [-5.0, -1.0], BAD_VALUE)):
            add(f"bounds-{op}", put(raw, ("vary",), {**vary, "sample": {
                **sample, "bounds": {**sample["bounds"], key: bounds}}}),
                f'vary.sample.bounds."{key}"', expected)
        add("sample-too-large", put(raw, ("vary",), {**vary, "sample": {**sample, "n": 2**40}}),
            "vary.sample.n", BAD_VALUE)
        add("sobol-not-power-of-2", put(raw, ("vary",), {**vary, "sample": {
            **sample, "method": "sobol", "n": 100}}), "vary.sample.n", r"power of 2")
        add("sample-missing-n", put(raw, ("vary",), {**vary, "sample": {
            k: v for k, v in sample.items() if k != "n"}}), "vary.sample.n", MISSING)
    add("too-many-runs", put(raw, ("replications",), 999_999), "vary",
        r"the sweep would make .* runs .* the limit is")
    for name, strategy in list(raw.get("strategies", {}).items())[:2]:
        if not strategy.get("pilots"):
            continue
        pilot = strategy["pilots"][0]
        where = f"strategies.{name}.pilots[0]"
        base = ("strategies", name, "pilots", 0)
        add("pilot-district-typo", put(raw, (*base, "districts"), [misspell(
            pilot["districts"][0])]), f"{where}.districts[0]", UNKNOWN_NAME)
        add("pilot-district-list", put(raw, (*base, "districts"), [pilot["districts"]]),
            f"{where}.districts[0]", NOT_A_NAME)
        add("pilot-district-twice", put(raw, (*base, "districts"), pilot["districts"] * 2),
            f"{where}.districts[1]", TWICE)
        add("pilot-service-typo", put(raw, (*base, "service"), misspell(pilot["service"])),
            f"{where}.service", UNKNOWN_NAME)
        add("pilot-service-table", put(raw, (*base, "service"), {"id": pilot["service"]}),
            f"{where}.service", NOT_A_NAME)
        add("pilot-missing-service", drop(raw, (*base, "service")), f"{where}.service",
            MISSING)
        add("pilot-negative-budget", put(raw, (*base, "budget_eur"), -1e9),
            f"{where}.budget_eur", BAD_VALUE)
        add("strategy-bad-name", put(raw, ("strategies",), {
            **raw["strategies"], "a/b": strategy}), "strategies.a/b", r"letters, digits")
    cases += file_level_cases(file, rng, cases)
    return cases


def cli_cases(tmp: str) -> list[Case]:
    """Option values the commands cannot use; the key is the option."""
    experiment = str(EXPERIMENTS[0])
    rows = [
        (("run", "toy", "--engine", "fast"), "--engine", r"not one of"),
        (("run", "toy", "--seed", "-1"), "--seed", AT_LEAST_0),
        (("run", "toy", "--seed", "abc"), "--seed", r"valid integer"),
        (("run", "toy", "--weeks", "0"), "--weeks", AT_LEAST_1),
        (("run", "toy", "--scale", "0"), "--scale", AT_LEAST_1),
        (("run", "toy", "--scale", "1.5"), "--scale", r"valid integer"),
        (("run", "toy", "--bogus"), "--bogus", r"No such option"),
        (("run", "helsinkii"), "helsinkii", r"no such scenario file; did you mean 'helsinki'"),
        (("run", "toy", "--csv", "x"), "x", r"unexpected extra argument|Got unexpected"),
        (("data", "toy", "--kind", "sauce"), "--kind", r"not one of"),
        (("data", "tyo"), "tyo", r"no such scenario file; did you mean 'toy'"),
        (("validate",), "files", r"Missing argument"),
        (("validate", f"{tmp}/missing.toml"), "missing.toml", r"no such scenario file"),
        (("sweep", experiment, "--workers", "0"), "--workers", AT_LEAST_1),
        (("sweep", experiment, "--replications", "0"), "--replications",
         AT_LEAST_1),
        (("sweep", experiment, "--replications", "many"), "--replications",
         r"valid integer"),
        (("sweep", experiment, "--weeks", "-1"), "--weeks", AT_LEAST_1),
        (("sweep", experiment, "--scale", "0"), "--scale", AT_LEAST_1),
        (("sweep", f"{tmp}/none.toml"), "none.toml", r"no such experiment file"),
        (("sweep", experiment, "--replications", "10000000", "--out", f"{tmp}/o"),
         "--replications", r"the sweep would make .* the limit is"),
        (("sweep", experiment, "--out", f"{tmp}/a-file/out", "--weeks", "1",
          "--replications", "1", "--workers", "1", "--no-progress"), "--out",
         r"cannot write the results"),
        (("compare", f"{tmp}/nowhere"), "nowhere", r"no sweep here"),
        (("compare", tmp, "--bass-bootstrap", "-1"), "--bass-bootstrap",
         AT_LEAST_0),
        (("report", f"{tmp}/nowhere"), "nowhere", r"no sweep here"),
        (("app", "toy", "--engine", "fast"), "--engine", r"unknown engine 'fast'"),
        (("app", "toy", "--port", "http"), "--port", r"valid integer"),
        (("app", "toy", "--scale", "0"), "--scale", AT_LEAST_1),
        (("app", "tyo"), "tyo", r"no such scenario file"),
        (("sensitivity", f"{tmp}/nowhere"), "nowhere", r"no sweep here|no such|not"),
        (("nonsense",), "nonsense", r"No such command"),
    ]
    return [Case(f"cli-{'-'.join(a[:1] + a[2:4])}-{i}", a, None, key, expected)
            for i, (a, key, expected) in enumerate(rows)]


def corpus(tmp: str) -> list[Case]:
    rng = random.Random(14)  # issue 14: a fixed seed, so the corpus is the same every run
    cases = [c for f in SCENARIOS for c in scenario_cases(f, rng)]
    cases += [c for f in EXPERIMENTS for c in experiment_cases(f, rng)]
    return cases + cli_cases(tmp)


@pytest.fixture
def built_once(monkeypatch):
    """Build the click command of the app once, not per invocation (60 ms each)."""
    import typer.testing

    if hasattr(typer.testing, "_get_command"):
        command = typer.testing._get_command(app)
        monkeypatch.setattr(typer.testing, "_get_command", lambda _: command)


def test_the_corpus_is_large_and_every_input_is_refused_with_a_located_message(tmp_path,
                                                                               built_once):
    (tmp_path / "a-file").write_text("a file where --out wants a folder")
    cases = corpus(str(tmp_path))
    assert len(cases) >= 300, len(cases)
    assert len({c.id for c in cases}) > 0.9 * len(cases)
    failures = []
    for i, case in enumerate(cases):
        file = tmp_path / f"case{i}.toml"
        if case.content is not None:
            file.write_bytes(case.content)
        args = [a.replace("{file}", str(file)) for a in case.args]
        result = runner.invoke(app, args)
        output = result.output
        if case.content is not None:
            # A file's problem: one line names the file, the key and what was expected.
            lines = [line for line in output.splitlines() if str(file) in line
                     and (case.key in line or not case.key) and re.search(case.expected, line)]
        else:
            # Typer draws usage errors in a box that wraps lines: read it as one text.
            text = re.sub(r"[│╭╮╰╯─\s]+", " ", output)
            lines = [text] if case.key in text and re.search(case.expected, text) else []
        if (result.exit_code != 2 or "Traceback" in output or not lines
                or not isinstance(result.exception, SystemExit | type(None))):
            failures.append(f"{case.id}: exit {result.exit_code}; {output.strip()[:600]!r}"
                            f"{'; ' + repr(result.exception) if result.exception else ''}")
    passed = len(cases) - len(failures)
    print(f"corpus: {len(cases)} inputs, {passed} refused with a located message")
    assert not failures, f"{len(failures)} of {len(cases)}:\n" + "\n".join(failures[:40])


@pytest.mark.parametrize("file", SCENARIOS + EXPERIMENTS, ids=lambda p: p.name)
def test_the_shipped_files_themselves_are_valid(file):
    result = runner.invoke(app, ["validate", str(file)])
    assert result.exit_code == 0, result.output
