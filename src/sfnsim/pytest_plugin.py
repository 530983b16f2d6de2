"""pytest plugin (registered through the ``pytest11`` entry point): the ``sfn`` fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sfnsim.api import StateMachine


class SfnFixture:
    """Loads state machines relative to the requesting test file, then the rootdir."""

    def __init__(self, test_path: Path, rootdir: Path) -> None:
        self._bases = [test_path.parent, rootdir]

    def load(self, source: Any, *, name: str | None = None) -> StateMachine:
        if isinstance(source, dict):
            return StateMachine.from_dict(source, name=name or "StateMachine")
        path = Path(source)
        if not path.is_absolute():
            for base in self._bases:
                if (base / path).exists():
                    path = base / path
                    break
        return StateMachine.from_file(path, name=name)


@pytest.fixture
def sfn(request: pytest.FixtureRequest) -> SfnFixture:
    """Load and run state machines in a test: ``sfn.load("etl.asl.json").run({...})``."""
    return SfnFixture(Path(str(request.node.fspath)), Path(str(request.config.rootpath)))
