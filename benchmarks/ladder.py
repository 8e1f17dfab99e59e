"""Climbing the addition ladder: the campaign against plain TRL GRPO, from the same pretrained model, same budget.

    $ python benchmarks/ladder.py                     # --budget-s 1500 per method: about 80 minutes on 2 cores
    $ python benchmarks/ladder.py --budget-s 600 --no-write

configs/ladder.yaml pretrains the tiny model on 2- and 3-digit sums (levels
1-2) once; then, from that model and for the same training time each:
1. the campaign (`selfplay launch configs/ladder.yaml`, the pretrained model
   reused from the cache, `time_budget_s` = the budget);
2. plain TRL GRPO uniform over all levels (benchmarks/plain_grpo.py);
3. plain TRL GRPO on the target level only.
"Level reached" is the highest level L at which L and every level below it
score >= 0.9 held-out greedy pass@1 (no forgetting allowed). Plain GRPO's
clock stops while it is evaluated; the campaign's includes its own selection
and evaluation. Writes the `ladder` section of benchmarks/RESULTS.md and
benchmarks/ladder.png (level reached against minutes; the campaign's per-level
pass@1 across generations as a heat map).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402

ROOT = Path(__file__).parent.parent
CONFIG = ROOT / "configs" / "ladder.yaml"
PLOT = Path(__file__).parent / "ladder.png"
THRESHOLD = 0.9


def level_reached(pass_at_1: dict[int, float]) -> int:
    """Highest level L with every level 1..L at >= THRESHOLD (0 when level 1 is not)."""
    reached = 0
    for level in sorted(pass_at_1):
        if pass_at_1[level] < THRESHOLD:
            break
        reached = level
    return reached


def pretrained_model(cache: Path) -> str:
    """The ladder config's pretrained model, trained once into `cache`; returns its folder and seconds."""
    from policy.pretrain import pretrain
    from selfplay.config_loader import load_config
    from selfplay.environments import build_environments

    config = load_config(CONFIG, [f"policy.cache_dir={cache}"])
    configured = build_environments(config)
    result = pretrain(config.policy, config.pretrain, [(n, c.spec, c.entry.weight) for n, c in configured.items()])
    return result.folder, result.wall_time_s


def run_campaign(cache: Path, budget_s: float) -> list[dict]:
    """Per generation: minutes since the campaign started and pass@1 per level."""
    workdir = Path(tempfile.mkdtemp(prefix="selfplay-ladder-"))
    command = [sys.executable, "-m", "selfplay", "launch", str(CONFIG), "--set", f"policy.cache_dir={cache}",
               "--set", f"output_dir={workdir / 'runs'}", "--set", f"time_budget_s={budget_s}",
               "--set", "curriculum.finish_threshold=null"]
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    (state_file,) = (workdir / "runs").glob("*/state.json")
    history = json.loads(state_file.read_text())["history"]
    return [{"minutes": record["elapsed_s"] / 60, "generation": record["generation"], "promoted": record["promoted"],
             "pass_at_1": {int(key.split("/")[1]): value for key, value in record["per_level"].items()}}
            for record in history]


def run_plain(model: str, budget_s: float, train_levels: list[int] | None) -> list[dict]:
    out = Path(tempfile.mkdtemp(prefix="selfplay-ladder-plain-")) / "curve.json"
    command = [sys.executable, str(Path(__file__).parent / "plain_grpo.py"), "--model", model, "--config", str(CONFIG),
               "--budget-s", str(budget_s), "--eval-every-s", str(max(60.0, budget_s / 10)), "--out", str(out)]
    if train_levels:
        command += ["--train-levels", *map(str, train_levels)]
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return [{"minutes": point["elapsed_s"] / 60,
             "pass_at_1": {int(key.split("/")[1]): value for key, value in point.items() if key.startswith("pass_at_1/")}}
            for point in json.loads(out.read_text())]


def plot(curves: dict[str, list[dict]], campaign: list[dict]) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(11, 4))
    reached, heat = figure.subplots(1, 2)
    for name, curve in curves.items():
        reached.step([p["minutes"] for p in curve], [level_reached(p["pass_at_1"]) for p in curve], where="post", label=name)
    reached.set(xlabel="minutes of training", ylabel=f"level reached (all levels up to it >= {THRESHOLD})",
                title="addition ladder: level n = (n + 1)-digit sums")
    reached.legend()
    levels = sorted(campaign[0]["pass_at_1"])
    grid = [[record["pass_at_1"][level] for record in campaign] for level in levels]
    image = heat.imshow(grid, aspect="auto", origin="lower", vmin=0, vmax=1, cmap="viridis",
                        extent=(-0.5, len(campaign) - 0.5, levels[0] - 0.5, levels[-1] + 0.5))
    heat.set(xlabel="generation", ylabel="level", title="campaign: held-out greedy pass@1 per level")
    figure.colorbar(image, ax=heat)
    figure.tight_layout()
    figure.savefig(PLOT, dpi=100)


def report(curves: dict[str, list[dict]], pretrain_s: float, budget_s: float) -> str:
    rows = []
    for name, curve in curves.items():
        final = curve[-1]["pass_at_1"]
        first_target = next((p["minutes"] for p in curve if level_reached(p["pass_at_1"]) >= max(final)), None)
        rows.append([name, level_reached(final), ", ".join(f"{final[level]:.2f}" for level in sorted(final)),
                     f"{first_target:.1f}" if first_target is not None and level_reached(final) >= max(final) else "-"])
    return (
        f"Pretraining on levels 1-2 (2- and 3-digit sums): {pretrain_s:.0f} s, once; then {budget_s / 60:.0f} minutes "
        f"of training for each method from that model.\n\n"
        + markdown_table(["method", "level reached", "final pass@1 per level (1 = 2 digits ... 9 = 10 digits)",
                          "minutes to the top level"], rows)
        + f"\n\n![ladder]({PLOT.name})\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=1500.0, help="training seconds per method")
    parser.add_argument("--cache", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    cache = Path(args.cache or tempfile.mkdtemp(prefix="selfplay-ladder-cache-"))
    model, pretrain_s = pretrained_model(cache)
    campaign = run_campaign(cache, args.budget_s)
    top = max(campaign[0]["pass_at_1"])
    curves = {
        "selfplay campaign (configs/ladder.yaml)": campaign,
        "plain TRL GRPO, uniform over levels": run_plain(model, args.budget_s, None),
        f"plain TRL GRPO, level {top} only": run_plain(model, args.budget_s, [top]),
    }
    body = report(curves, pretrain_s, args.budget_s)
    print(body)
    if not args.no_write:
        plot(curves, campaign)
        write_section("ladder", body, command=f"python benchmarks/ladder.py --budget-s {args.budget_s:.0f}",
                      title="Climbing the addition ladder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
