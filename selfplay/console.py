"""Where the command and the campaign print: one rich console that stays readable in log files."""

from __future__ import annotations

import os
from typing import TextIO

from rich.console import Console


def output_console(file: TextIO | None = None) -> Console:
    """Rich's console on `file` (default: whatever sys.stdout is when it prints), 160 columns wide off a terminal.

    Off a terminal (a log file, CI, `| tee`) rich falls back to 80 columns,
    which squeezes the generation table into cells like "gener…" that nobody
    can read afterwards; COLUMNS still wins.
    """
    console = Console(file=file)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(file=file, width=160)
    return console
