"""The install claims are true: the Python floor in pyproject.toml is one every dependency (at the
version installed here) accepts, and the classifiers name the versions from that floor on."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def floor() -> Version:
    found = re.search(r">=\s*(\d+\.\d+)", PROJECT["requires-python"])
    assert found, PROJECT["requires-python"]
    return Version(found.group(1))


def test_every_dependency_accepts_the_lowest_python_we_declare() -> None:
    lowest = floor()
    for line in PROJECT["dependencies"]:
        name = Requirement(line).name
        requires = metadata.metadata(name).get("Requires-Python")
        if requires:
            assert lowest in SpecifierSet(requires), f"{name} {metadata.version(name)} requires Python {requires}"


def test_the_classifiers_name_the_supported_versions_from_the_floor() -> None:
    versions = sorted(Version(c.rsplit(" ", 1)[1]) for c in PROJECT["classifiers"]
                      if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert versions and versions[0] == floor()
    assert all(SpecifierSet(PROJECT["requires-python"]).contains(v) for v in versions)
