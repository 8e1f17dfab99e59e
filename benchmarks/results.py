"""Write one section of benchmarks/RESULTS.md, leaving the other sections as they are.

Each benchmark script owns one section, delimited by HTML comments, and
rewrites it with its latest figures, the command that produced them, the
machine and the date:

    >>> write_section("verify", "| env | serial/s | pool/s |\\n|---|---|---|\\n| arithmetic | 41000 | 39000 |",
    ...               command="python benchmarks/verify_throughput.py")
"""

from __future__ import annotations

import datetime
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).parent / "RESULTS.md"
HEADER = "# Benchmark results\n\nEach section is rewritten by the script named in it; figures are never asserted in tests.\n"


def machine() -> str:
    """Cores, CPU model, Python and torch versions: what a figure depends on."""
    try:
        import torch

        torch_version = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    except ImportError:
        torch_version = "no torch"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {torch_version}"


def write_section(name: str, body: str, command: str, title: str | None = None) -> None:
    """Replace (or append) the section `name` with `body`, stamped with command, machine and date."""
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    stamp = f"`{command}` on {machine()}, {datetime.date.today().isoformat()}"
    section = f"<!-- section:{name} -->\n## {title or name}\n\n{stamp}\n\n{body.strip()}\n<!-- /section:{name} -->"
    pattern = re.compile(rf"<!-- section:{re.escape(name)} -->.*?<!-- /section:{re.escape(name)} -->", re.DOTALL)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    RESULTS.write_text(text)


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
