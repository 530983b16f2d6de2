"""``sfnsim coverage DEF --histories DIR``: workflow coverage over saved execution histories.

The histories are AWS's format: what ``sfnsim run --history-out`` writes or what
``aws stepfunctions get-execution-history`` prints (so production traffic can be measured like a
test suite). A Distributed Map's child executions are separate histories on AWS; put them in the
directory too and their states count. Exit codes: 0, 1 when below ``--fail-under``, 2 for bad input.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from sfnsim.cli import EXIT_FAILED, UsageProblem, echo_json, load_definition_file, template_options
from sfnsim.coverage.data import CoverageData
from sfnsim.coverage.report import render_cobertura, render_markdown, render_term


@click.command("coverage", short_help="Which states and branches saved histories exercised (workflow coverage).")
@click.argument("definition", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--histories", "history_paths", multiple=True, required=True,
              type=click.Path(exists=True, path_type=Path), metavar="DIR|FILE",
              help="A directory of history files (*.json, searched recursively) or one file; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report instead of the table.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write the HTML page (the graph with covered and missing states and branches).")
@click.option("--markdown", "markdown_out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write a Markdown summary (e.g. $GITHUB_STEP_SUMMARY).")
@click.option("--xml", "xml_out", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Also write Cobertura XML, for CI coverage widgets.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT", help="Exit 1 when the total coverage is below PCT percent.")
@template_options
def coverage_command(definition: Path, history_paths: tuple[Path, ...], as_json: bool, html_out: Path | None,
                     markdown_out: Path | None, xml_out: Path | None, fail_under: float | None) -> None:
    """Measure which states and branches of the state machine in DEFINITION the histories exercised.

    States count when entered; branches are every Choice rule and Default, every Catcher (when it
    caught) and every Retrier (when it retried). Where a history cannot tell which of two Choice
    rules with the same Next matched, the visit is listed as undetermined, not credited.
    DEFINITION may be a template: --machine picks one of its state machines.
    """
    from sfnsim.history.aws_files import read_history

    files = history_files(history_paths)
    loaded, name = load_definition_file(definition)
    data = CoverageData()
    machine = data.machine(str(definition), name, loaded)
    for path in files:
        machine.add_history(read_history(path))
    if html_out is not None:
        from sfnsim.coverage.html import render_html

        _write(html_out, render_html(data), "--html")
    if markdown_out is not None:
        _write(markdown_out, render_markdown(data), "--markdown")
    if xml_out is not None:
        _write(xml_out, render_cobertura(data), "--xml")
    if as_json:
        echo_json(data.report())
    else:
        click.echo(render_term(data), nl=False)
        click.echo(f"{len(files)} histor{'y' if len(files) == 1 else 'ies'} read.")
    if fail_under is not None and data.percent < fail_under:
        click.echo(f"FAIL: workflow coverage {data.percent:.2f}% is below --fail-under={fail_under:g}%", err=True)
        raise SystemExit(EXIT_FAILED)


def history_files(paths: tuple[Path, ...]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(_json_files(path))
            if not found:
                raise UsageProblem(f"--histories {path}: no *.json history files in it")
            files.extend(found)
        else:
            files.append(path)
    return files


def _json_files(folder: Path) -> list[Path]:
    """The *.json files under ``folder``; folders that vanish or cannot be read while it is walked
    (another process's temporary build directory, say) are passed over, not an internal error."""
    found: list[Path] = []
    for root, _dirs, names in os.walk(folder, onerror=lambda _error: None):
        found += [Path(root, name) for name in names if name.endswith(".json") and Path(root, name).is_file()]
    return found


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageProblem(f"{option} {path}: cannot write it: {exc.strerror or exc}") from None

