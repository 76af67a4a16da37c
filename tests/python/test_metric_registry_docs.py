"""A metric's definition is written once: the registry's `description` (docs/metric_units.md).

`seeds/reference/metric_registry.csv` is the source (`dim_metrics` and the semantic layer
read it). Two places repeat it, and these tests fail when either drifts from it:

* the unit's documentation (its doc block in `metric__<unit>.md`, or the description in
  its YAML) starts with one paragraph per metric the unit declares, in the order of
  `meta.metric_names`, exactly `definition_paragraph(registry row)`; later paragraphs may
  explain more (how the cut-off is applied, where diagnostics live), never redefine it;
* the definition column of docs/metrics.md's metric table is the registry description.

Changing a definition: edit the registry row (bump `metric_version` if the meaning
changes, plus a changelog line), then paste the expected paragraph the failing test prints.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from tsw.paths import METRIC_REGISTRY_CSV, PROJECT_DIR

UNITS_DIR = PROJECT_DIR / "models" / "metrics"
METRICS_DOC = PROJECT_DIR / "docs" / "metrics.md"
DOC_REFERENCE = re.compile(r"""^\{\{\s*doc\(\s*['"](?P<name>\w+)['"]\s*\)\s*\}\}$""")
DOC_BLOCK = re.compile(r"\{%-?\s*docs\s+(?P<name>\w+)\s*-?%\}(?P<body>.*?)\{%-?\s*enddocs\s*-?%\}", re.S)


def registry_rows(path: Path = METRIC_REGISTRY_CSV) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row["metric_name"]: row for row in csv.DictReader(handle)}


def definition_paragraph(row: dict[str, str]) -> str:
    """The paragraph a unit's documentation opens with for one registry metric."""
    segments = ", ".join(row["segment_columns"].split("|"))
    return (f"`{row['metric_name']}` (unit {row['unit']}, direction {row['direction']}, "
            f"maturity {row['maturity_days']} days, suppression {row['suppression_rule']}; "
            f"segments {segments}): {row['description']}")


def doc_blocks(units_dir: Path = UNITS_DIR) -> dict[str, str]:
    """doc block name -> body, from every .md file under models/metrics."""
    return {match["name"]: match["body"] for path in sorted(units_dir.rglob("*.md"))
            for match in DOC_BLOCK.finditer(path.read_text())}


def paragraphs(text: str, *, markdown: bool) -> list[str]:
    """Markdown paragraphs are separated by blank lines; a folded YAML scalar keeps a newline
    only where its source had a blank line, so each of its lines is a paragraph."""
    chunks = re.split(r"\n\s*\n", text) if markdown else text.split("\n")
    return [" ".join(chunk.split()) for chunk in chunks if chunk.strip()]


def unit_documentation(units_dir: Path = UNITS_DIR) -> dict[str, tuple[list[str], list[str]]]:
    """unit model -> (metric names it declares, paragraphs of its documentation)."""
    blocks = doc_blocks(units_dir)
    documented = {}
    for path in sorted(units_dir.glob("*/metric__*.yml")):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            names = list(model.get("config", {}).get("meta", {}).get("metric_names", []))
            description = str(model.get("description", "")).strip()
            reference = DOC_REFERENCE.match(description)
            if reference:
                text = paragraphs(blocks.get(reference["name"], ""), markdown=True)
            else:
                text = paragraphs(description, markdown=False)
            documented[model["name"]] = (names, text)
    return documented


def definition_problems(registry: dict[str, dict[str, str]],
                        documented: dict[str, tuple[list[str], list[str]]]) -> list[str]:
    problems = []
    for unit, (names, text) in documented.items():
        expected = [definition_paragraph(registry[name]) for name in names if name in registry]
        opening = text[:len(expected)]
        for index, paragraph in enumerate(expected):
            found = opening[index] if index < len(opening) else "(nothing)"
            if found != paragraph:
                problems.append(f"{unit}: paragraph {index + 1} of its documentation must be\n  {paragraph}\n"
                                f"but is\n  {found}")
    return problems


def metrics_doc_definitions(path: Path = METRICS_DOC) -> dict[str, str]:
    """metric -> definition cell of docs/metrics.md's metric table (7 columns, definition last)."""
    registry = registry_rows()
    cells_by_metric = {}
    for line in path.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0] in registry:
            cells_by_metric[cells[0]] = cells[6]
    return cells_by_metric


def test_every_unit_opens_with_its_registry_definitions():
    assert definition_problems(registry_rows(), unit_documentation()) == []


def test_definition_check_fires_on_drift():
    registry = registry_rows()
    drifted = {**registry, "proactive_rate": {**registry["proactive_rate"], "description": "Something else."}}
    problems = definition_problems(drifted, unit_documentation())
    assert len(problems) == 1 and problems[0].startswith("metric__proactive_rate: paragraph 1")
    # a group unit: the second metric's paragraph is checked too
    drifted = {**registry, "time_to_action_hours_p90": {**registry["time_to_action_hours_p90"], "maturity_days": "4"}}
    problems = definition_problems(drifted, unit_documentation())
    assert len(problems) == 1 and problems[0].startswith("metric__time_to_action_hours: paragraph 2")


@pytest.mark.parametrize("text, markdown, expected", [
    ("\n`a` (x): A.\n\n`b` (y): B\nwrapped.\n", True, ["`a` (x): A.", "`b` (y): B wrapped."]),
    ("`a` (x): A.\nMore detail.\n", False, ["`a` (x): A.", "More detail."]),
])
def test_paragraphs(text, markdown, expected):
    assert paragraphs(text, markdown=markdown) == expected


def test_metrics_doc_definitions_are_the_registry_descriptions():
    registry = registry_rows()
    documented = metrics_doc_definitions()
    assert set(documented) == set(registry)
    assert {name: cell for name, cell in documented.items() if cell != registry[name]["description"]} == {}
