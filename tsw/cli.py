"""The single command-line entry point: `tsw <command> [options]`.

Each command lives in its own module, which exposes `add_arguments(parser)` and
`run(args) -> int`. This file only registers them, so `tsw --help` lists every command
with its one-line purpose and `tsw <command> --help` explains its options.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# (command, module, one-line help). Order is the order of `tsw --help`.
COMMANDS: list[tuple[str, str, str]] = [
    ("generate", "tsw.generate.command", "Write deterministic synthetic raw data (demo seeds or a landing directory) with planted truths."),
    ("build", "tsw.build", "Run the dbt build (seed, run, test) for an as-of date, from the demo seeds or a landing directory."),
    ("demo", "tsw.build_demo", "The demo end to end: generate a landing directory, nightly build, gates, publication, dashboard (--seeds: the embedded seeds)."),
    ("validate", "tsw.validate", "Run the Great Expectations checkpoint over the analyst-facing marts and write Data Docs."),
    ("publish", "tsw.publish", "Publish the analyst-facing marts of a built database to the read-only serving database."),
    ("nightly", "tsw.nightly", "The unattended nightly job: incremental build, gates, atomic publication, run report."),
    ("restate", "tsw.restate", "Record an announced restatement of published final values in the published-values log."),
    ("bench", "tsw.bench", "Benchmark a full build and a nightly run against hand-written DuckDB and pandas baselines."),
    ("dashboard", "tsw.dashboard", "Render the interactive, self-contained HTML dashboard from the published release."),
    ("docs", "tsw.docs_site", "Generate the dbt docs site (models, columns, lineage, exposures) and serve it on localhost."),
    ("dsa-report", "tsw.dsa_report", "Write the EU DSA transparency export (one CSV per section) and a summary for a reporting period."),
    ("readout", "tsw.readout", "Write a per-intervention HTML readout (effects, event study, pre-trend, placebo) from a database."),
    ("privacy-audit", "tsw.privacy_audit", "Check that no suppressed cell of a release can be recovered by differencing published cells."),
    ("semantic-layer", "tsw.semantic_layer", "Generate the MetricFlow semantic layer from the metric registry (--check: fail on drift)."),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tsw",
        description=(
            "Trust & safety metrics warehouse. Raw events are staged, modelled into daily "
            "per-segment safety metrics by dbt on DuckDB, validated, and published for readers."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for name, module_name, help_text in COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # command not implemented in this checkout
            raise
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
