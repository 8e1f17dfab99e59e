"""One quickstart generation with 1 and with 2 processes (accelerate, gloo on the CPU).

    $ python benchmarks/processes.py          # about 3 minutes after pretraining (cached in --cache)

Both runs reuse the same pretrained model and the same config, hence the same
global batch (each of 2 processes takes half). Reports the wall time of
generation 1 and of its phases, and the ratio. On a 2-core machine two
processes share the same two cores, so expect little speed-up: the figures
show what the data-parallel path costs, not what a GPU node gains.
Figures go to the `processes` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402
from vs_trl import pretrained_folder  # noqa: E402

ACCELERATE_CONFIG = Path(__file__).parent.parent / "configs" / "accelerate" / "cpu_2proc.yaml"
PHASES = ("select_s", "expert_iteration_s", "train_s", "evaluate_s")


def one_generation(cache: Path, launcher: list[str]) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="selfplay-processes-"))
    command = [*launcher, "-m", "selfplay", "launch", "--set", f"policy.cache_dir={cache}", "--set", "generations=1",
               "--set", f"output_dir={workdir / 'runs'}"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return read_generation(workdir / "runs" / "quickstart")


def read_generation(run_dir: Path) -> dict:
    """Generation 1's wall time, phases, pass@1 and selection, from a finished run folder."""
    selection = json.loads((run_dir / "generations" / "0001" / "selection.json").read_text())
    record = json.loads((run_dir / "state.json").read_text())["history"][1]
    timings = json.loads((run_dir / "generations" / "0001" / "timings.json").read_text())
    return {"wall_s": record["wall_time_s"], "pass_at_1": record["pass_at_1"], "kept": len(selection["problems"]),
            **{k: timings.get(k, 0.0) for k in PHASES}}


def report(single: dict, double: dict) -> str:
    rows = [[name, f"{run['wall_s']:.1f}", *[f"{run[k]:.1f}" for k in PHASES], str(run["kept"]), f"{run['pass_at_1']:.3f}"]
            for name, run in (("1 process", single), ("2 processes (gloo)", double))]
    rows.append(["ratio 1 / 2", f"{single['wall_s'] / double['wall_s']:.2f}",
                 *[f"{single[k] / double[k]:.2f}" if double[k] else "-" for k in PHASES], "", ""])
    header = ["launch", "generation 1 s", "select s", "expert iteration s", "train s", "evaluate s", "problems kept",
              "pass@1 after"]
    return markdown_table(header, rows) + (
        "\n\nSame config, same global batch (64 completions per step; 32 per process with 2). A ratio above 1 is a "
        "speed-up. Both processes share this machine's 2 cores, so this measures the cost of the multi-process path "
        "rather than a gain. The two runs do not train on the same problems: each process samples the champion on "
        "its shard of the candidates, so the random draws differ from one process sampling them all, and the "
        "selection (problems kept out of 1,200) and the generation's result differ as between two seeds.\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    cache = Path(args.cache or tempfile.mkdtemp(prefix="selfplay-processes-cache-"))
    pretrained_folder(cache)
    single = one_generation(cache, [sys.executable])
    double = one_generation(cache, [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(ACCELERATE_CONFIG)])
    body = report(single, double)
    print(body)
    if not args.no_write:
        write_section("processes", body, command="python benchmarks/processes.py", title="One generation on 1 and 2 processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
