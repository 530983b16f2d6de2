"""Rebuild the AWS-recorded sample that ships inside the package (sfnsim/conformance/sample/).

The sample lets `sfnsim conformance` run anywhere, without ../shared/. It is chosen by a fixed rule,
not by whether sfnsim passes a case: for every feature of the corpus's runnable ("pure") cases, in
sorted order, the case with the smallest SHA-256 of its id that has the feature, unless a case
already chosen covers it. Run: python tools/make_conformance_sample.py [../shared/conformance/cases.jsonl]
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "conformance" / "cases.jsonl"
SAMPLE = ROOT / "src" / "sfnsim" / "conformance" / "sample" / "cases.jsonl"


def choose(cases: list[dict]) -> list[dict]:
    pure = sorted((c for c in cases if c.get("class") == "pure"),
                  key=lambda c: hashlib.sha256(c["id"].encode()).hexdigest())
    chosen: dict[str, dict] = {}
    covered: set[str] = set()
    for feature in sorted({f for c in pure for f in c["features"]}):
        if feature in covered:
            continue
        case = next(c for c in pure if feature in c["features"])
        chosen[case["id"]] = case
        covered.update(case["features"])
    return sorted(chosen.values(), key=lambda c: c["id"])


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    cases = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    sample = choose(cases)
    SAMPLE.parent.mkdir(parents=True, exist_ok=True)
    SAMPLE.write_text("".join(json.dumps(c, ensure_ascii=False, sort_keys=True) + "\n" for c in sample),
                      encoding="utf-8")
    print(f"{len(sample)} of {len(cases)} cases written to {SAMPLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
