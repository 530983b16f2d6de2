"""Summing up case results: pass counts per feature, failures grouped by cause, and their rendering."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from sfnsim.conformance.compare import CaseResult

ALL = "(all cases)"


@dataclass
class Tally:
    """Counts for one feature. ``cause``/``details`` count agreement among the cases where a
    cause or history was recorded and the case got far enough to produce one."""

    cases: int = 0
    passed: int = 0
    cause_ok: int = 0
    cause_checked: int = 0
    details_ok: int = 0
    details_checked: int = 0

    def add(self, result: CaseResult) -> None:
        self.cases += 1
        self.passed += result.passed
        for name in ("cause", "details"):
            verdict = result.checks.get(name)
            if verdict is not None:
                setattr(self, f"{name}_checked", getattr(self, f"{name}_checked") + 1)
                setattr(self, f"{name}_ok", getattr(self, f"{name}_ok") + bool(verdict))

    @property
    def rate(self) -> float:
        return self.passed / self.cases if self.cases else 0.0

    def to_json(self) -> dict:
        return {"cases": self.cases, "passed": self.passed, "cause_ok": self.cause_ok,
                "cause_checked": self.cause_checked, "details_ok": self.details_ok,
                "details_checked": self.details_checked}


@dataclass
class Report:
    results: list[CaseResult]
    corpus: str = ""
    seconds: float = 0.0
    by_feature: dict[str, Tally] = field(init=False)

    def __post_init__(self) -> None:
        tallies: dict[str, Tally] = defaultdict(Tally)
        for result in self.results:
            tallies[ALL].add(result)
            for feature in dict.fromkeys(result.features):
                tallies[feature].add(result)
        self.by_feature = dict(tallies)

    @property
    def total(self) -> Tally:
        return self.by_feature.get(ALL, Tally())

    def feature_pass_counts(self) -> dict[str, int]:
        return {f: t.passed for f, t in sorted(self.by_feature.items()) if f != ALL}

    def failures_by_reason(self) -> list[tuple[str, list[CaseResult]]]:
        """Failure groups, the largest first."""
        groups: dict[str, list[CaseResult]] = defaultdict(list)
        for result in self.results:
            if not result.passed:
                groups[result.reason or "unknown"].append(result)
        return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))

    def disagreements_by_kind(self) -> list[tuple[str, list[CaseResult]]]:
        """Cause and event-detail differences of cases that pass, grouped by where they differ."""
        groups: dict[str, list[CaseResult]] = defaultdict(list)
        for result in self.results:
            if result.passed:
                for name, text in result.disagreements.items():
                    groups[f"{name}: {_disagreement_kind(text)}"].append(result)
        return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))

    def to_json(self) -> dict:
        return {
            "corpus": self.corpus,
            "seconds": round(self.seconds, 3),
            "summary": {f: t.to_json() for f, t in sorted(self.by_feature.items())},
            "failures": {reason: [r.id for r in group] for reason, group in self.failures_by_reason()},
            "disagreements": {kind: [r.id for r in group] for kind, group in self.disagreements_by_kind()},
            "cases": [r.to_json() for r in self.results],
        }


def _disagreement_kind(text: str) -> str:
    """``event #9.previousEventId: expected 6, got 7`` → ``event #N.previousEventId``."""
    where = text.split(": expected ", 1)[0] if ": expected " in text else text
    return re.sub(r"\[\d+\]", "[i]", re.sub(r"#\d+", "#N", where))[:160]


_ID_PREFIX = "tests/aws/services/stepfunctions/v2/"


def short_id(case_id: str) -> str:
    """Case ids all start with LocalStack's test directory; the rest is what tells them apart."""
    return case_id[len(_ID_PREFIX):] if case_id.startswith(_ID_PREFIX) else case_id


def _fraction(ok: int, checked: int) -> str:
    return f"{ok}/{checked}" if checked else "–"


def _rate_style(rate: float) -> str:
    return "green" if rate >= 0.95 else "yellow" if rate >= 0.7 else "red"


def feature_table(report: Report) -> Table:
    table = Table(
        title=f"Conformance by feature ({report.corpus})", title_justify="left",
        caption="Cause, Events: agreement of cause texts and event details where recorded "
                "(reported, not part of the pass)", caption_justify="left",
    )
    table.add_column("Feature", no_wrap=True, overflow="fold")
    for header in ("Cases", "Pass", "Rate", "Cause", "Events"):
        table.add_column(header, justify="right", no_wrap=True)
    ordered = sorted(report.by_feature.items(), key=lambda item: (item[0] != ALL, -item[1].cases, item[0]))
    for feature, tally in ordered:
        table.add_row(
            f"[bold]{feature}[/]" if feature == ALL else feature,
            str(tally.cases), str(tally.passed),
            f"[{_rate_style(tally.rate)}]{tally.rate:.0%}[/]",
            _fraction(tally.cause_ok, tally.cause_checked),
            _fraction(tally.details_ok, tally.details_checked),
            end_section=feature == ALL,
        )
    return table


def render(report: Report, console: Console, *, examples: int = 3, verbose: bool = False) -> None:
    """The feature table, then the failures grouped by cause (with a few example cases each)."""
    console.print(feature_table(report))
    groups = report.failures_by_reason()
    total = report.total
    console.print(
        f"\n[bold]{total.passed}/{total.cases}[/] cases pass ({total.rate:.1%}); "
        f"{len(groups)} distinct failure cause{'s' if len(groups) != 1 else ''}; {report.seconds:.1f} s"
    )
    if groups:
        console.print("\n[bold]Failures by cause[/]")
        _render_groups(console, groups, examples, verbose, lambda r: r.detail)
    agreements = report.disagreements_by_kind()
    if agreements:
        console.print("\n[bold]Passing cases whose cause or event details differ[/] (not failures)")
        _render_groups(console, agreements, examples if verbose else 0, verbose,
                       lambda r: "; ".join(r.disagreements.values()))


def _render_groups(console: Console, groups: list[tuple[str, list[CaseResult]]], examples: int,
                   verbose: bool, detail: Callable[[CaseResult], str | None]) -> None:
    for reason, group in groups:
        # The reason is engine text: printed without markup so brackets in it stay literal.
        console.print(f"[red]{len(group):>4}[/]  ", end="")
        console.print(reason, markup=False, highlight=False, soft_wrap=True)
        shown = group if verbose else group[:examples]
        for result in shown:
            console.print(f"        {short_id(result.id)}", markup=False, highlight=False, style="dim", soft_wrap=True)
            text = detail(result)
            if verbose and text:
                console.print(f"          {text}", markup=False, highlight=False, style="dim", soft_wrap=True)
        if len(group) > len(shown) and examples:
            console.print(f"        … and {len(group) - len(shown)} more", style="dim")
