"""``sfnsim conformance``: run an AWS-recorded corpus and report how faithfully sfnsim agrees.

Exit codes: 0 all fine, 1 pass rate under ``--min-pass``, 2 unusable input (unreadable cases
file, nothing selected, bad option).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.console import Console

from sfnsim.conformance import runner
from sfnsim.conformance.cases import CorpusError, load_cases, select_cases
from sfnsim.conformance.ratchet import write_ratchet
from sfnsim.conformance.report import Report, render


class InputProblem(click.ClickException):
    """Unusable input: reported as ``Error: ...`` with exit code 2, without a traceback."""

    exit_code = 2


class PassRate(click.ParamType):
    """A pass rate given as a fraction (``0.85``) or a percentage (``85%``)."""

    name = "RATE"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        text = str(value).strip()
        percent = text.endswith("%")
        try:
            number = float(text.rstrip("%"))
        except ValueError:
            self.fail(f"{value!r} is not a rate: use a fraction like 0.85 or a percentage like 85%", param, ctx)
        rate = number / 100 if percent else number
        if not 0 <= rate <= 1:
            self.fail(f"{value!r} is outside 0..1 (0%..100%)", param, ctx)
        return rate


SAMPLE_CASES = Path(__file__).with_name("sample") / "cases.jsonl"


@click.command(name="conformance")
@click.argument("cases_file", metavar="[CASES.jsonl]", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the per-case results and the summary as JSON.")
@click.option("--json-out", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the per-case results (and the summary) to this JSON file.")
@click.option("--feature", "features", multiple=True, metavar="F",
              help="Only cases with this feature (shell pattern, e.g. 'Choice:*'); repeatable.")
@click.option("--case", "case_ids", multiple=True, metavar="ID",
              help="Only cases whose id contains ID; repeatable.")
@click.option("--min-pass", type=PassRate(), default=None,
              help="Exit with code 1 when the pass rate is below RATE (0.85 or 85%).")
@click.option("--write-ratchet", "ratchet_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write per-feature pass counts to this ratchet file (use only on a full run).")
@click.option("--timeout", type=click.FloatRange(min=0), default=runner.DEFAULT_CASE_TIMEOUT,
              show_default=True, help="Wall-clock seconds one case may take (0: no limit).")
@click.option("--examples", type=click.IntRange(min=0), default=3, show_default=True,
              help="Example case ids to list per failure cause.")
@click.option("-v", "--verbose", is_flag=True, help="List every failing case with where it differs.")
def conformance_command(
    cases_file: Path | None, as_json: bool, json_path: Path | None, features: tuple[str, ...], case_ids: tuple[str, ...],
    min_pass: float | None, ratchet_path: Path | None, timeout: float, examples: int, verbose: bool,
) -> None:
    """Replay the AWS-recorded executions in CASES.jsonl and compare sfnsim's results.

    Compares as the corpus README says: status, then output (or error name), then the sequence of
    event types, with placeholders as wildcards. Cause texts and event details are reported
    separately. Cases that cannot run count as failures, with the reason.

    Without CASES.jsonl it runs the sample of AWS-recorded executions that ships with sfnsim.
    """
    cases_file = cases_file or SAMPLE_CASES
    try:
        cases = load_cases(cases_file)
    except CorpusError as exc:
        raise InputProblem(str(exc)) from None
    selected = select_cases(cases, features, case_ids)
    if not selected:
        raise InputProblem(f"no case in {cases_file} matches the given --feature/--case filters "
                           f"({len(cases)} cases in the file)")
    if ratchet_path and (features or case_ids):
        raise InputProblem("--write-ratchet needs a full run: drop --feature/--case")

    started = time.perf_counter()
    results = runner.run_cases(selected, timeout=timeout or None)
    report = Report(results, corpus=str(cases_file), seconds=time.perf_counter() - started)

    report_json = json.dumps(report.to_json(), indent=1, ensure_ascii=False, default=str) + "\n"
    if as_json:
        click.echo(report_json, nl=False)
    else:
        render(report, Console(), examples=examples, verbose=verbose)
    if json_path:
        _write(json_path, report_json)
        if not as_json:
            click.echo(f"Per-case results written to {json_path}")
    if ratchet_path:
        try:
            write_ratchet(report, ratchet_path)
        except OSError as exc:
            raise InputProblem(f"{ratchet_path}: cannot write: {exc.strerror or exc}") from None
        if not as_json:
            click.echo(f"Ratchet written to {ratchet_path}")
    if min_pass is not None and report.total.rate < min_pass:
        click.echo(f"Pass rate {report.total.rate:.1%} is below --min-pass {min_pass:.1%}", err=True)
        raise SystemExit(1)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputProblem(f"{path}: cannot write: {exc.strerror or exc}") from None


if __name__ == "__main__":  # python -m sfnsim.conformance.cli
    conformance_command()
