"""Provenance: every number of a scenario with its source, or the word assumption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from hidsim import datasets
from hidsim.scenario.loading import parse_scenario, read_toml, resolve_scenario_path


def provenance(path: str | Path = "helsinki") -> list[dict]:
    """Every number of a scenario file with its source or ``assumption``.

    Numbers written with ``source`` keep it; numbers with ``assumption`` or no
    label at all are assumptions. Defaults that the file does not set are
    listed too, as assumptions of hidsim. District data come from the package.

    Args:
        path: a scenario file or built-in name.

    Returns:
        Rows ``{"key", "value", "kind", "source"}`` where kind is ``source``,
        ``data``, ``assumption`` or ``default``.
    """
    file = resolve_scenario_path(path)
    raw = read_toml(file)
    scenario = parse_scenario(raw, str(file))
    rows: list[dict] = []

    def walk(node: Any, prefix: str) -> None:
        if (
            isinstance(node, dict)
            and "value" in node
            and ("source" in node or "assumption" in node)
        ):
            kind = "source" if "source" in node else "assumption"
            text = node.get("source") or node.get("assumption")
            if str(text).strip().lower() == "as above" and rows:
                # The file says it once; a listing (and --kind, --csv) must say it again.
                text = rows[-1]["source"]
            rows.append({"key": prefix, "value": node["value"], "kind": kind, "source": text})
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}.{k}" if prefix else k)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{prefix}[{i}]")
        elif isinstance(node, int | float) and not isinstance(node, bool):
            rows.append(
                {"key": prefix, "value": node, "kind": "assumption", "source": "unlabelled"}
            )

    walk(raw, "")
    data = datasets.districts()
    for i, d in enumerate(scenario.world.districts):
        if d.population is None and d.name in data.index:
            rows.append(
                {
                    "key": f"world.districts[{i}].population",
                    "value": int(data.loc[d.name, "population"]),
                    "kind": "data",
                    "source": data.loc[d.name, "population_source"],
                }
            )
        if (
            d.jobs is None
            and d.name in data.index
            and data.loc[d.name, "jobs"] == data.loc[d.name, "jobs"]
        ):
            rows.append(
                {
                    "key": f"world.districts[{i}].jobs",
                    "value": int(data.loc[d.name, "jobs"]),
                    "kind": "data",
                    "source": data.loc[d.name, "jobs_source"],
                }
            )
    catalogue = datasets.services()
    for i, s in enumerate(scenario.services):
        if s.reduction_kg is None:
            value = catalogue.loc[s.id, "reduction_kgco2e_per_year"]
            rows.append(
                {
                    "key": f"services[{i}].reduction_kg",
                    "value": value,
                    "kind": "data",
                    "source": catalogue.loc[s.id, "reduction_source"],
                }
            )
    fp = datasets.footprint()
    for domain in datasets.DOMAINS:
        rows.append(
            {
                "key": f"footprint.{domain}",
                "value": float(fp.loc[domain, "kgco2e_per_capita"]),
                "kind": "data",
                "source": fp.loc[domain, "source"],
            }
        )
    _add_population_facts(rows)
    _add_defaults(scenario, raw, rows)
    return rows


def _add_population_facts(rows: list[dict]) -> None:
    """The shipped facts on residents and the baseline trajectories (issue 11), with sources."""
    for key, row in datasets.population().iterrows():
        rows.append(
            {"key": f"population_data.{key}", "value": float(row["value"]), "kind": "data",
             "source": f"{row['source']} ({row['unit']}, {row['year']})"}
        )
    for _, row in datasets.baseline().iterrows():
        rows.append(
            {"key": f"baseline_data.{row['factor']}.{int(row['year'])}",
             "value": float(row["value"]), "kind": "data",
             "source": f"{row['source']} ({row['unit']})"}
        )


def _add_defaults(model: BaseModel, raw: Any, rows: list[dict], prefix: str = "") -> None:
    """List the defaults the file left out: hidsim's assumptions, or its sourced defaults.

    Tables and lists of tables (services, pilots, districts) are walked item by item; a
    default of ``None`` is listed where it has a meaning of its own (a market entry that
    never comes).
    """
    for name, field in type(model).model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        value = getattr(model, name)
        present = isinstance(raw, dict) and name in raw
        given = raw.get(name) if isinstance(raw, dict) else None
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if isinstance(value, BaseModel):
            _add_defaults(value, given if isinstance(given, dict) else {}, rows, key)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            items = given if isinstance(given, list) else []
            for i, item in enumerate(value):
                sub = items[i] if i < len(items) and isinstance(items[i], dict) else {}
                _add_defaults(item, sub, rows, f"{key}[{i}]")
        elif present:
            continue
        elif isinstance(value, int | float) and not isinstance(value, bool):
            source = extra.get("source")
            rows.append({
                "key": key, "value": value, "kind": "default",
                "source": (f"hidsim default, source: {source}" if source else
                           "assumption (hidsim default): " + (field.description or name)),
            })
        elif value is None and "none_means" in extra and not getattr(model, "on_market", False):
            rows.append({"key": key, "value": None, "kind": "default",
                         "source": f"assumption (hidsim default): {extra['none_means']}"})
