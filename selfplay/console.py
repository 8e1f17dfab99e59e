"""Where the command and the campaign print: one rich console that stays readable in log files."""

from __future__ import annotations

import os

from rich.console import Console


def output_console() -> Console:
    """Rich's console, 160 columns wide where output is not a terminal (a log file, CI, `| tee`).

    Rich falls back to 80 columns there, which squeezes the generation table
    into cells like "gener…" that nobody can read afterwards; COLUMNS still wins.
    """
    console = Console()
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(width=160)
    return console
