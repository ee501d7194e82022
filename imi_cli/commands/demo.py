"""`imi demo`: run the main job end to end on embedded data."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from imi_cli.cli.options import output_options


@output_options
def demo(
    workdir: Optional[Path] = typer.Option(None, "--dir", help="Keep the demo's files here (default: a temp folder)."),
) -> None:
    """Run IMI end to end on a sample directory, in a temp folder, without prompts."""
    from imi_cli.cli.environment import state
    from imi_cli.cli.output import print_json
    from imi_cli.demo.story import run_demo

    s = state()
    lines: list[str] = []
    say = lines.append if s.as_json else typer.echo
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
    result = run_demo(say, workdir)
    if s.as_json:
        print_json({**result, "story": lines})
