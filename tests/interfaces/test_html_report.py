"""The HTML report of a run: self-contained, escaped, the graph with the path taken, a timeline in
virtual time, and a check in a real headless browser that the graph renders.

Expected values come from the documented semantics the report shows: which states a run enters,
the transitions it follows (Next, a Catch's Next), the virtual time a Wait of 3600 seconds takes.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import xml.etree.ElementTree as ElementTree
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sfnsim import StateMachine, mock
from sfnsim.walk.html import BARS_WIDTH, LABEL_WIDTH, render_report

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
CHROMIUM = Path("/usr/bin/chromium")

PIPELINE = {
    "StartAt": "Extract",
    "States": {
        "Extract": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:extract",
                    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "MaxAttempts": 1}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Quarantine"}],
                    "Next": "WaitForWindow"},
        "WaitForWindow": {"Type": "Wait", "Seconds": 3600, "Next": "LoadEach"},
        "LoadEach": {"Type": "Map", "ItemsPath": "$.files", "ItemProcessor": {"StartAt": "Load", "States": {
            "Load": {"Type": "Pass", "End": True}}}, "Next": "Done"},
        "Quarantine": {"Type": "Pass", "Next": "Broken"},
        "Broken": {"Type": "Fail", "Error": "Quarantined", "Cause": "<script>alert('cause')</script>"},
        "Done": {"Type": "Succeed"},
    },
}


def report(definition: dict[str, Any], data: Any, **run: Any) -> str:
    machine = StateMachine.from_dict(definition, name="Pipeline")
    return render_report(machine.run(data, inspect=True, **run))


def svgs(page: str) -> list[ElementTree.Element]:
    """The inline SVG elements of the page, parsed as XML (which also proves they are well formed)."""
    return [ElementTree.fromstring(m) for m in re.findall(r"<svg .*?</svg>", page, flags=re.S)]


def nodes(graph: ElementTree.Element) -> dict[str, set[str]]:
    """State name → the classes of its node."""
    found = {}
    for group in graph.iter(f"{SVG}g"):
        classes = set(group.get("class", "").split())
        if "node" in classes:
            title = group.find(f"{SVG}title")
            assert title is not None and title.text is not None
            found[title.text.split(" (")[0]] = classes
    return found


def rects_by_state(graph: ElementTree.Element) -> dict[str, tuple[float, float, float, float]]:
    found = {}
    for group in graph.iter(f"{SVG}g"):
        title, rect = group.find(f"{SVG}title"), group.find(f"{SVG}rect")
        if "node" in group.get("class", "") and title is not None and rect is not None and title.text:
            found[title.text.split(" (")[0]] = tuple(float(rect.get(k, "0")) for k in ("x", "y", "width", "height"))
    return found


def test_the_page_is_self_contained() -> None:
    page = report(PIPELINE, {"files": [1]}, handlers={"Extract": lambda e: e})
    lowered = page.lower()
    for needle in ("<script", "<link", " src=", "@import", "url(http"):
        assert needle not in lowered
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}  # a namespace name


def test_a_run_without_inspection_still_gets_a_report() -> None:
    machine = StateMachine.from_dict({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    page = render_report(machine.run({"x": 1}))  # what `sfnsim run --report` gets if it does not inspect
    assert "only each state&#x27;s input and output are shown" in page
    assert "visited" in nodes(svgs(page)[0])["A"]


def test_payload_and_definition_text_is_escaped() -> None:
    definition = {"StartAt": "<b>Pay</b>", "States": {"<b>Pay</b>": {"Type": "Pass", "End": True}}}
    page = report(definition, {"note": "<script>alert(1)</script>", "q": "\"'&"})
    assert "<script>" not in page and "<b>Pay" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Pay&lt;/b&gt;" in page
    failed = report(PIPELINE, {"files": []}, handlers={"Extract": mock.raises("Busy")})
    assert "<script>alert" not in failed and "&lt;script&gt;alert(&#x27;cause&#x27;)" in failed


def test_the_graph_highlights_the_path_taken() -> None:
    page = report(PIPELINE, {"files": ["a", "b"]}, handlers={"Extract": lambda e: e})
    graph = svgs(page)[0]
    classes = nodes(graph)
    assert set(classes) == {"Extract", "WaitForWindow", "LoadEach", "Load", "Quarantine", "Broken", "Done"}
    entered = {name for name, c in classes.items() if "visited" in c}
    assert entered == {"Extract", "WaitForWindow", "LoadEach", "Load", "Done"}
    taken = [p for p in graph.iter(f"{SVG}path") if "taken" in p.get("class", "")]
    assert len(taken) == 3  # Extract → WaitForWindow → LoadEach → Done
    catch_edges = [p for p in graph.iter(f"{SVG}path") if "catch" in p.get("class", "").split()]
    assert len(catch_edges) == 1 and "taken" not in catch_edges[0].get("class", "")
    assert "×2" in "".join(graph.itertext())  # Load ran once per item


def test_a_caught_error_and_a_failure_are_marked() -> None:
    page = report(PIPELINE, {"files": []}, handlers={"Extract": mock.raises("Busy")})
    classes = nodes(svgs(page)[0])
    assert "caught" in classes["Extract"] and "failed" in classes["Broken"]
    assert "visited" not in classes["Done"]
    catch_edge = next(p for p in svgs(page)[0].iter(f"{SVG}path") if "catch" in p.get("class", "").split())
    assert "taken" in catch_edge.get("class", "")
    assert '<span class="status bad">FAILED</span>' in page


def test_states_do_not_overlap_and_nested_states_sit_inside_their_map() -> None:
    page = report(PIPELINE, {"files": ["a"]}, handlers={"Extract": lambda e: e})
    boxes = rects_by_state(svgs(page)[0])
    top_level = [n for n in boxes if n != "Load"]
    for i, a in enumerate(top_level):
        for b in top_level[i + 1:]:
            ax, ay, aw, ah = boxes[a]
            bx, by, bw, bh = boxes[b]
            assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, (a, b)
    mx, my, mw, mh = boxes["LoadEach"]
    lx, ly, lw, lh = boxes["Load"]
    assert mx < lx and lx + lw < mx + mw and my < ly and ly + lh < my + mh


def test_a_loop_is_drawn_back_up_the_side() -> None:
    polling = {"StartAt": "Check", "States": {
        "Check": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:check", "Next": "Ready?"},
        "Ready?": {"Type": "Choice", "Choices": [{"Variable": "$.ready", "BooleanEquals": True, "Next": "Done"}],
                   "Default": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 60, "Next": "Check"},
        "Done": {"Type": "Succeed"}}}
    answers = mock.returns({"ready": False}).then(returns={"ready": True})
    graph = svgs(report(polling, {}, handlers={"Check": answers}))[0]
    loop = [p for p in graph.iter(f"{SVG}path") if " V" in p.get("d", "")]
    assert len(loop) == 1 and "taken" in loop[0].get("class", "")
    assert "×2" in "".join(graph.itertext())


def test_the_timeline_is_in_virtual_time() -> None:
    page = report(PIPELINE, {"files": ["a"]}, handlers={"Extract": lambda e: e})
    timeline = svgs(page)[1]
    rows = [(g.findtext(f"{SVG}title"), float(g.find(f"{SVG}rect").get("x", "nan")))  # type: ignore[union-attr]
            for g in timeline.iter(f"{SVG}g")]
    assert [title for title, _ in rows] == [
        "Extract (Task): entered at +0s, took 0s", "WaitForWindow (Wait): entered at +0s, took 1h",
        "LoadEach (Map): entered at +1h, took 0s", "Load (Pass): entered at +1h, took 0s",
        "Done (Succeed): entered at +1h, took 0s"]
    # The run lasts one virtual hour: the Wait's bar starts the axis, later states start at its end.
    xs = [x for _, x in rows]
    assert xs[0] == xs[1] == LABEL_WIDTH
    assert xs[2] == xs[3] == xs[4] == LABEL_WIDTH + BARS_WIDTH
    assert "+1h" in "".join(timeline.itertext())


# -- in a real browser ------------------------------------------------------------------------------------
def chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    installs_it = "chromium" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    if os.environ.get("CI") == "true" and installs_it:
        pytest.fail(f"{CHROMIUM} is missing although .ci/run installs it")
    pytest.skip(f"no headless browser at {CHROMIUM} (apt-get install -y chromium)")


def read_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit truecolour PNG, decoded with the standard library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat, header = 8, b"", b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, "expected 8-bit RGB/RGBA, not interlaced"
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if kind == 2:  # "Up": add the row above byte by byte, all at once (no carries between bytes)
            a, b = int.from_bytes(row, "big"), int.from_bytes(previous, "big")
            low, high = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
            row = bytearray((((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big"))
        for x in range(stride if kind in (1, 3, 4) else 0):
            left = row[x - channels] if x >= channels else 0
            up = previous[x]
            corner = previous[x - channels] if x >= channels else 0
            if kind == 1:
                row[x] = (row[x] + left) & 0xFF
            elif kind == 2:
                row[x] = (row[x] + up) & 0xFF
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
                row[x] = (row[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(row))
        previous = row
    rgb = [b"".join(row[i:i + 3] for i in range(0, stride, channels)) for row in rows]
    return width, height, rgb


def colour_counts(rows: list[bytes], top: int, bottom: int) -> Counter[bytes]:
    """How many pixels of each RGB colour the rows ``top`` to ``bottom`` hold."""
    counts: Counter[bytes] = Counter()
    for row in rows[top:bottom]:
        counts.update(row[i:i + 3] for i in range(0, len(row), 3))
    return counts


def near(counts: Counter[bytes], colour: tuple[int, int, int], tolerance: int = 6) -> int:
    return sum(n for pixel, n in counts.items() if all(abs(pixel[k] - colour[k]) <= tolerance for k in range(3)))


def test_the_graph_renders_in_a_headless_browser() -> None:
    browser = chromium()
    page = report(PIPELINE, {"files": ["a", "b"]}, handlers={"Extract": lambda e: e})
    with tempfile.TemporaryDirectory() as scratch:
        html_file, png_file, profile = Path(scratch, "report.html"), Path(scratch, "shot.png"), Path(scratch, "profile")
        html_file.write_text(page, encoding="utf-8")
        completed = subprocess.run(
            [str(browser), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             f"--screenshot={png_file}", "--window-size=1200,900", html_file.as_uri()],
            capture_output=True, timeout=60, check=False)
        assert png_file.exists(), completed.stderr.decode(errors="replace")[-2000:]
        width, height, rows = read_png(png_file.read_bytes())
    assert (width, height) == (1200, 900)
    page_colours, graph_colours = colour_counts(rows, 0, height), colour_counts(rows, 150, height)
    assert near(page_colours, (255, 255, 255)) > width * height // 2  # a white page, not a blank error screen
    # Entered states are filled #dbeafe. Only the legend's swatch (about 140 pixels) shares that colour,
    # so the count reaches five state boxes' worth only when the graph itself is drawn.
    assert near(graph_colours, (0xDB, 0xEA, 0xFE)) > 5 * 80 * 30
    shutil.rmtree(profile, ignore_errors=True)


# -- what a reader saw in the browser: clipped ticks, arrows through boxes, invisible short steps ----------
ETL = {
    "StartAt": "WaitForWindow",
    "States": {
        "WaitForWindow": {"Type": "Wait", "Seconds": 7200, "Next": "Extract"},
        "Extract": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:extract",
                    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "NotifyFailure"}], "Next": "Transform"},
        "Transform": {"Type": "Parallel", "Branches": [
            {"StartAt": "Clean", "States": {"Clean": {"Type": "Pass", "End": True}}},
            {"StartAt": "Dims", "States": {"Dims": {"Type": "Pass", "End": True}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "NotifyFailure"}], "Next": "LoadEach"},
        "LoadEach": {"Type": "Map", "ItemsPath": "$.files", "ItemProcessor": {"StartAt": "Load", "States": {
            "Load": {"Type": "Pass", "End": True}}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "NotifyFailure"}], "Next": "Done"},
        "NotifyFailure": {"Type": "Pass", "Next": "Failed"},
        "Failed": {"Type": "Fail", "Error": "EtlFailed"},
        "Done": {"Type": "Succeed"},
    },
}


def etl_report() -> str:
    # Extract fails three times (retries after 2, 4 and 8 s: 14 s in all) after a two-hour Wait.
    busy = mock.raises("Busy", times=3).then(mock.returns({"files": ["a", "b"]}))
    return report(ETL, {"files": ["a", "b"]}, handlers={"Extract": busy})


def path_points(d: str, samples: int = 24) -> list[tuple[float, float]]:
    """Points along an SVG path made of M, L, H, V and C commands (what the graph draws)."""
    tokens = re.findall(r"[MLHVC]|-?\d+(?:\.\d+)?", d)
    points: list[tuple[float, float]] = []
    x = y = 0.0
    index = 0
    while index < len(tokens):
        command = tokens[index]
        index += 1
        if command == "C":
            x1, y1, x2, y2, x3, y3 = (float(tokens[index + k]) for k in range(6))
            index += 6
            for step in range(1, samples + 1):
                t = step / samples
                bx = (1 - t) ** 3 * x + 3 * (1 - t) ** 2 * t * x1 + 3 * (1 - t) * t * t * x2 + t ** 3 * x3
                by = (1 - t) ** 3 * y + 3 * (1 - t) ** 2 * t * y1 + 3 * (1 - t) * t * t * y2 + t ** 3 * y3
                points.append((bx, by))
            x, y = x3, y3
            continue
        if command == "H":
            target = (float(tokens[index]), y)
            index += 1
        elif command == "V":
            target = (x, float(tokens[index]))
            index += 1
        else:
            target = (float(tokens[index]), float(tokens[index + 1]))
            index += 2
        if command != "M":
            points += [(x + (target[0] - x) * s / samples, y + (target[1] - y) * s / samples)
                       for s in range(1, samples + 1)]
        else:
            points.append(target)
        x, y = target
    return points


def test_catch_arrows_go_round_the_boxes_they_skip() -> None:
    graph = svgs(etl_report())[0]
    boxes = rects_by_state(graph)
    catches = [p.get("d", "") for p in graph.iter(f"{SVG}path") if "catch" in p.get("class", "").split()]
    assert len(catches) == 3  # Extract, Transform and LoadEach each catch into NotifyFailure
    for d in catches:
        for px, py in path_points(d):
            inside = [name for name, (x, y, w, h) in boxes.items() if x + 2 < px < x + w - 2 and y + 2 < py < y + h - 2]
            assert not inside, f"the Catch arrow {d!r} runs through {inside} at ({px:.0f}, {py:.0f})"


def test_short_steps_stay_visible_beside_a_long_wait() -> None:
    page = etl_report()
    timeline = svgs(page)[1]
    bars = {g.findtext(f"{SVG}title", "").split(" (")[0]: float(g.find(f"{SVG}rect").get("width", "0"))  # type: ignore[union-attr]
            for g in timeline.iter(f"{SVG}g")}
    # Linear, 14 s of 7214 would be 1.5 px wide: the axis gives it room, and says it is not to scale.
    assert bars["Extract"] >= 20 and bars["WaitForWindow"] > bars["Extract"]
    assert "Not to scale" in page
    labels = [t.text for t in timeline.iter(f"{SVG}text") if "axis" in t.get("class", "")]
    assert labels[0] == "+0s" and labels[-1] == "+2h 14s" and "+2h" in labels


def test_the_report_title_is_the_same_from_run_and_walk(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from sfnsim.cli import main

    definition = tmp_path / "etl.asl.json"
    definition.write_text('{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}')
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(definition), "--report", str(tmp_path / "run.html")]).exit_code == 0
    assert runner.invoke(main, ["walk", str(definition), "--html", str(tmp_path / "walk.html")]).exit_code == 0
    titles = {re.search(r"<title>(.*?)</title>", (tmp_path / f"{name}.html").read_text()).group(1)  # type: ignore[union-attr]
              for name in ("run", "walk")}
    assert titles == {"Run of etl"}


MEASURE = """<script>
window.addEventListener('load', () => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.timeline')) {
    const width = svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll('text.axis')) {
      const box = text.getBBox();
      out.push({label: text.textContent, left: box.x, right: box.x + box.width, width: width});
    }
  }
  const pre = document.createElement('pre');
  pre.id = 'measured';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def test_every_timeline_label_is_inside_the_drawing_in_a_browser() -> None:
    import json

    browser = chromium()
    page = etl_report().replace("</body>", MEASURE + "</body>")
    with tempfile.TemporaryDirectory() as scratch:
        html_file, profile = Path(scratch, "report.html"), Path(scratch, "profile")
        html_file.write_text(page, encoding="utf-8")
        completed = subprocess.run(
            [str(browser), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
             "--virtual-time-budget=2000", "--dump-dom", html_file.as_uri()],
            capture_output=True, timeout=60, check=False, text=True)
    found = re.search(r'<pre id="measured">(.*?)</pre>', completed.stdout, flags=re.S)
    assert found, completed.stderr[-2000:]
    labels = json.loads(found.group(1).replace("&quot;", '"'))
    assert [label["label"] for label in labels][-1] == "+2h 14s"
    for label in labels:
        assert 0 <= label["left"] and label["right"] <= label["width"], label
