"""Teaching walkthroughs of a run: narrated text, Markdown, and a self-contained HTML report."""

from __future__ import annotations

from sfnsim.walk.walkthrough import Block, Stage, Step, Walkthrough, build_walkthrough

__all__ = ["Block", "Stage", "Step", "Walkthrough", "build_walkthrough"]
