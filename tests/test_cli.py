"""The command line: ``hidsim run``, ``hidsim validate`` and ``hidsim data``."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from hidsim.cli import app
from hidsim.io import write_atomic, write_table
from hidsim.model import AdoptionModel

runner = CliRunner()

# A two-district world small enough to run in a second, with a pilot that ends in the run.
TINY = """
name = "tiny"
horizon_weeks = 20
seed = 5

[world]
scale = 10

[[world.districts]]
name = "Kalasatama"
population = 3000
lat = 60.1875
lon = 24.978

[[world.districts]]
name = "Malmi"
population = 2000
lat = 60.251
lon = 25.011

[[world.links]]
between = ["Kalasatama", "Malmi"]

[[services]]
id = "green_electricity"
on_market = true
market_outreach = 0.3

[[services]]
id = "parcel_lockers"
reduction_kg = { value = 20, assumption = "a test value" }
time_saved_min_per_week = 15

[[pilots]]
name = "Lockers in Kalasatama"
service = "parcel_lockers"
districts = ["Kalasatama"]
start_week = 2
duration_weeks = 10
budget_eur = 5000
outreach = 1.0
seeding = { strategy = "random", size = 300 }

[dynamics]
p = { value = 0.5, source = "a test value" }
q = 3.0
"""

TABLES = ("model", "districts", "services", "income", "pilots")
PLOTS = ("adoption_by_district.png", "emissions_per_capita.png", "time_saved.png")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_run(tiny, engine, tmp_path_factory):
    """``hidsim run`` of the tiny scenario with each engine (``engine`` is in conftest.py)."""
    out = tmp_path_factory.mktemp("run") / "out"
    result = runner.invoke(app, ["run", str(tiny), "--engine", engine, "--seed", "11",
                                 "--weeks", "16", "--out", str(out)])
    return result, out


def test_run_prints_the_summary(tiny_run):
    result, _ = tiny_run
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Adopters at week 16" in out
    for label in ("Renewable electricity contract", "Parcel lockers instead of home delivery"):
        assert label in out
    assert "tCO2e/year" in out and "EUR per credited tCO2e, city budget" in out
    assert "crediting period" in out and "society" in out
    assert "1.5-degree lifestyle target 2030" in out and "2.5 t" in out
    # The pilot ended at week 12, so its outcome in Kalasatama is known.
    assert "Lockers in Kalasatama" in out
    assert "kept in Kalasatama" in out or "withdrawn in Kalasatama" in out
    assert "weeks:" in result.stderr  # the progress bar goes to stderr, not into the report


def test_run_writes_tables_plots_and_provenance(tiny_run, tiny, engine):
    result, out = tiny_run
    assert result.exit_code == 0, result.output
    for name in TABLES:
        assert (out / f"{name}.parquet").is_file()
    for name in PLOTS:
        data = (out / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
    assert not list(out.glob(".*.tmp")), "temporary files were left behind"
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["scenario"]["sha256"] == hashlib.sha256(tiny.read_bytes()).hexdigest()
    assert meta["scenario"]["file"] == str(tiny.resolve())
    assert (meta["seed"], meta["engine"], meta["scale"], meta["weeks"]) == (11, engine, 10, 16)
    assert set(meta["software"]) >= {"hidsim", "mesa", "numpy", "python", "git_commit"}
    assert meta["wall_time_s"] > 0
    assert meta["summary"]["weeks"] == 16
    assert meta["pilots"][0]["status"] == "ended"


def test_parquet_tables_equal_the_model_results(tiny_run, tiny, engine):
    _, out = tiny_run
    model = AdoptionModel(tiny, engine=engine, rng=11, weeks=16)
    model.run()
    expected = model.results()
    model.release()
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(out / f"{name}.parquet"), expected[name])


def test_csv_option_writes_csv_with_the_same_numbers(tiny, tiny_run, engine, tmp_path):
    _, parquet_out = tiny_run
    out = tmp_path / "csv"
    result = runner.invoke(app, ["run", str(tiny), "--engine", engine, "--seed", "11",
                                 "--weeks", "16", "--out", str(out), "--csv"])
    assert result.exit_code == 0, result.output
    assert not list(out.glob("*.parquet"))
    for name in TABLES:
        pd.testing.assert_frame_equal(pd.read_csv(out / f"{name}.csv"),
                                      pd.read_parquet(parquet_out / f"{name}.parquet"),
                                      check_dtype=False)


def test_default_output_directory_names_scenario_and_seed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", "--scale", "100", "--weeks", "2", "--seed", "7"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "results" / "helsinki-seed7" / "run.json").read_text("utf-8"))
    assert meta["engine"] == "vectorized"  # the default


def test_run_bad_scenario_exits_2_with_located_problems(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace('districts = ["Kalasatama"]', 'districts = ["Malmo"]')
                   .replace("[dynamics]", "[dynamics]\nqq = 1"), encoding="utf-8")
    result = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{bad}: dynamics.qq: unknown key 'qq'; did you mean 'q'?",
        f"{bad}: pilots[0].districts[0]: unknown district 'Malmo'; did you mean 'Malmi'?",
    ]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_run_missing_file_exits_2(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path / "nowhere.toml")])
    assert result.exit_code == 2
    assert "no such scenario file" in result.stderr
    assert "Traceback" not in result.output


def test_validate_ok(tiny):
    result = runner.invoke(app, ["validate", str(tiny), "helsinki"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"OK: {tiny}", "OK: helsinki"]


BROKEN = {
    "unknown key": (("[dynamics]", "[dynamics]\nimitation = 0.4"),
                    "dynamics.imitation: unknown key 'imitation'"),
    "wrong type": (("horizon_weeks = 20", 'horizon_weeks = "twenty"'), "horizon_weeks:"),
    "misspelled district": (('districts = ["Kalasatama"]', 'districts = ["Malmo"]'),
                            "pilots[0].districts[0]: unknown district 'Malmo'; "
                            "did you mean 'Malmi'?"),
    "negative duration": (("duration_weeks = 10", "duration_weeks = -3"),
                          "pilots[0].duration_weeks:"),
    "pilot beyond the horizon": (("start_week = 2", "start_week = 15"),
                                 "pilots[0].duration_weeks: pilot runs to week 25, beyond the "
                                 "horizon of 20 weeks"),
}


@pytest.mark.parametrize("case", BROKEN)
def test_validate_names_the_key_path(case, tmp_path):
    (old, new), expected = BROKEN[case]
    assert old in TINY
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace(old, new, 1), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: {expected}" in result.stdout
    assert "OK:" not in result.stdout and "Traceback" not in result.output


def test_validate_reports_every_problem_of_every_file(tiny, tmp_path):
    text = TINY
    for (old, new), _ in BROKEN.values():
        text = text.replace(old, new, 1)
    bad = tmp_path / "all.toml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(tiny), str(bad), str(tmp_path / "missing.toml")])
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[0] == f"OK: {tiny}"
    for key in ("dynamics.imitation", "horizon_weeks", "pilots[0].districts[0]",
                "pilots[0].duration_weeks"):
        assert any(line.startswith(f"{bad}: {key}:") for line in lines), key
    assert any("missing.toml" in line and "no such scenario file" in line for line in lines)


def test_validate_reports_toml_syntax_errors(tmp_path):
    bad = tmp_path / "syntax.toml"
    bad.write_text("name = \n", encoding="utf-8")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}: not valid TOML" in result.stdout


def test_data_lists_dynamics_p_with_its_source():
    result = runner.invoke(app, ["data"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("dynamics.p "))
    assert "source" in line and "Sultan" in line
    header = result.stdout.splitlines()[0].split()
    assert header == ["key", "value", "kind", "source"]


def test_data_kind_filter_and_csv(tiny):
    result = runner.invoke(app, ["data", str(tiny), "--kind", "source", "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and {r["kind"] for r in rows} == {"source"}
    assert {"key": "dynamics.p", "value": "0.5", "kind": "source",
            "source": "a test value"} in rows
    everything = runner.invoke(app, ["data", str(tiny), "--csv"]).stdout
    every = list(csv.DictReader(io.StringIO(everything)))
    q = next(r for r in every if r["key"] == "dynamics.q")
    assert q["kind"] == "assumption"
    assert len(every) > len(rows)


def test_data_bad_scenario_exits_2(tmp_path):
    result = runner.invoke(app, ["data", str(tmp_path / "nowhere.toml")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "table.csv"
    write_table(pd.DataFrame({"a": [1, 2]}), target)

    def broken(fh):
        fh.write(b"a\n9\n")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(target, broken)
    assert pd.read_csv(target)["a"].tolist() == [1, 2]
    assert sorted(tmp_path.iterdir()) == [target], "the temporary file must be removed"


def test_write_table_chooses_the_format_by_suffix(tmp_path):
    table = pd.DataFrame({"district": ["Malmi", "Pasila"], "adopters": [1.5, 2.0]})
    parquet = write_table(table, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), table)
    pd.testing.assert_frame_equal(pd.read_csv(write_table(table, tmp_path / "t.csv")), table)
    with pytest.raises(ValueError, match="unknown table format 'xlsx'"):
        write_table(table, tmp_path / "t.xlsx")
