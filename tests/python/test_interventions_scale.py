"""Planted intervention truths on another build: a generated landing directory at another
seed or a larger scale (the demo's 900 users are too few for the experiment's effect).

Opt-in, because generating and building takes minutes on 2 cores:

    .venv/bin/tsw generate --out /tmp/int-large --format parquet --users 20000 --days 120 --seed 11
    .venv/bin/tsw build --landing-dir /tmp/int-large --database /tmp/int-large.duckdb --as-of 2026-08-28
    TSW_INTERVENTION_DB=/tmp/int-large.duckdb TSW_INTERVENTION_SCENARIO=/tmp/int-large/scenario.json \
        .venv/bin/pytest tests/python/test_interventions_scale.py -q

TSW_INTERVENTION_CHECK=did checks only the difference-in-differences truths (for builds too
small for the experiment).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from test_interventions import check_did_truths, check_experiment_truth

DB = os.environ.get("TSW_INTERVENTION_DB")
SCENARIO = os.environ.get("TSW_INTERVENTION_SCENARIO")

pytestmark = pytest.mark.skipif(not (DB and SCENARIO), reason="set TSW_INTERVENTION_DB and TSW_INTERVENTION_SCENARIO")


def test_planted_did_truths():
    assert check_did_truths(Path(DB), json.loads(Path(SCENARIO).read_text())) == []


@pytest.mark.skipif(os.environ.get("TSW_INTERVENTION_CHECK") == "did", reason="DiD only")
def test_planted_experiment_truth():
    assert check_experiment_truth(Path(DB), json.loads(Path(SCENARIO).read_text())) == []
