"""The quickstart campaign from nothing: its learning curve, wall time and peak memory.

    $ python benchmarks/quickstart.py            # about 6 minutes on 2 cores

Runs `selfplay launch` (the built-in defaults) in a fresh folder with a fresh
model cache, so pretraining is included, samples the resident memory of the
whole process tree (campaign plus verifier workers) twice a second, then
reads the run folder: pass@1 per level and generation, the champion, the
curriculum, and, at the hardest level, each generation's pass@1 against
generation 0's pass@k (the ceiling GRPO alone tends to stop at).
Figures go to the `quickstart` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402


def run(workdir: Path, extra: list[str]) -> tuple[float, float, int]:
    """Launch the quickstart; returns (wall seconds, peak RSS of the process tree in MiB, exit code)."""
    command = [sys.executable, "-m", "selfplay", "launch", "--set", f"policy.cache_dir={workdir / 'cache'}", *extra]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=workdir, stdout=open(workdir / "log.txt", "w"), stderr=subprocess.STDOUT)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mib(process.pid))
        time.sleep(0.5)
    return time.monotonic() - started, peak, process.returncode


def _tree_rss_mib(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
        return sum(p.memory_info().rss for p in processes if p.is_running()) / 2**20
    except psutil.NoSuchProcess:
        return 0.0


def report(run_dir: Path, wall_s: float, peak_mib: float, command: str) -> str:
    state = json.loads((run_dir / "state.json").read_text())
    history = state["history"]
    levels = sorted({key for record in history for key in record["per_level"]})
    hardest = levels[-1]
    gen0 = json.loads((run_dir / "generations" / "0000" / "eval.json").read_text())["rows"]
    env, level = hardest.split("/")
    gen0_pass_at_k = _mean(r["pass_at_k"] for r in gen0 if r["env"] == env and str(r["difficulty"]) == level)
    rows = []
    for record in history:
        rows.append([
            record["generation"], "yes" if record["promoted"] else "no", record["champion_generation"],
            ", ".join(f"{k} {v}" for k, v in record["difficulty"].items()),
            *[f"{record['per_level'][key]:.3f}" for key in levels],
            f"{record['pass_at_k']:.3f}", f"{record['elapsed_s']:.0f}",
        ])
    table = markdown_table(
        ["generation", "promoted", "champion", "trained on", *[f"pass@1 {k}" for k in levels], "pass@k (all)", "elapsed s"],
        rows,
    )
    best = max(record["per_level"][hardest] for record in history)
    return (
        f"{table}\n\nWall time {wall_s:.0f} s (pretraining included), peak memory {peak_mib:.0f} MiB "
        f"(campaign and verifier workers). Held-out sets: {len(gen0)} problems.\n\n"
        f"Hardest level ({hardest}): generation 0's pass@k was {gen0_pass_at_k:.3f} (k = 4 samples at temperature 1); "
        f"the best generation's greedy pass@1 there was {best:.3f}"
        f"{' - above that ceiling' if best > gen0_pass_at_k else ' - not above that ceiling'}.\n"
    )


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], help="extra --set for the campaign")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    extra = [item for setting in args.set for item in ("--set", setting)]
    workdir = Path(tempfile.mkdtemp(prefix="selfplay-quickstart-"))
    wall_s, peak_mib, code = run(workdir, extra)
    if code != 0:
        print((workdir / "log.txt").read_text()[-3000:])
        return code
    command = "python benchmarks/quickstart.py" + "".join(f" --set {s}" for s in args.set)
    body = report(workdir / "runs" / "quickstart", wall_s, peak_mib, command)
    print(body)
    if not args.no_write:
        write_section("quickstart", body, command=command, title="Quickstart campaign")
    return 0


if __name__ == "__main__":
    sys.exit(main())
