"""Climbing the addition ladder: the campaign over pretraining seeds, and plain TRL GRPO in the same time.

    $ python benchmarks/ladder.py                 # 5 campaigns and 2 plain runs: about 90 minutes on 2 cores
    $ python benchmarks/ladder.py --seeds 0 --no-plain --no-write

Each campaign is `selfplay launch configs/ladder.yaml` from nothing with one
pretraining seed: it pretrains the tiny model on 2- and 3-digit sums (levels
1-2), then climbs, and stops at the top level (10-digit sums) or at the
config's 30-minute budget. From the first seed's pretrained model, for the
time that seed's campaign trained:
1. plain TRL GRPO uniform over all levels (benchmarks/plain_grpo.py);
2. plain TRL GRPO on the target level only.
"Level reached" is the highest level L at which L and every level below it
score >= 0.9 held-out greedy pass@1 (no forgetting allowed). Plain GRPO's
clock stops while it is evaluated; the campaign's includes its own selection
and evaluation. Writes the `ladder` section of benchmarks/RESULTS.md and
benchmarks/ladder.png (level reached against minutes; the first campaign's
per-level pass@1 across generations as a heat map).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


def seed_overrides(seed: int) -> list[str]:
    """One pretraining seed: the tiny model's initial weights and the pretraining's data order."""
    return [f"policy.tiny.seed={seed}", f"pretrain.seed={seed}"]


def pretrained_model(cache: Path, seed: int) -> str:
    """The ladder config's pretrained model for `seed` (a cache hit once that seed's campaign has run)."""
    from policy.pretrain import pretrain
    from selfplay.config_loader import load_config
    from selfplay.environments import build_environments

    config = load_config(CONFIG, [f"policy.cache_dir={cache}", *seed_overrides(seed)])
    configured = build_environments(config)
    return pretrain(config.policy, config.pretrain, [(n, c.spec, c.entry.weight) for n, c in configured.items()]).folder


def run_campaign(cache: Path, seed: int) -> list[dict]:
    """`selfplay launch configs/ladder.yaml` from nothing, pretraining included in its minutes; per generation:
    minutes since the start and pass@1 per level. It stops itself at the top level or at the config's time budget."""
    workdir = Path(tempfile.mkdtemp(prefix="selfplay-ladder-"))
    overrides = [f"policy.cache_dir={cache}", f"output_dir={workdir / 'runs'}", *seed_overrides(seed)]
    command = [sys.executable, "-m", "selfplay", "launch", str(CONFIG), *[item for o in overrides for item in ("--set", o)]]
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    (state_file,) = (workdir / "runs").glob("*/state.json")
    history = json.loads(state_file.read_text())["history"]
    return [{"minutes": record["elapsed_s"] / 60, "generation": record["generation"], "promoted": record["promoted"],
             "pass_at_1": {int(key.split("/")[1]): value for key, value in record["per_level"].items()}}
            for record in history]


def run_plain(model: str, budget_s: float, train_levels: list[int] | None, start_minutes: float) -> list[dict]:
    """Plain TRL GRPO from the pretrained model; its minutes start at `start_minutes` (the campaign's pretraining)."""
    out = Path(tempfile.mkdtemp(prefix="selfplay-ladder-plain-")) / "curve.json"
    command = [sys.executable, str(Path(__file__).parent / "plain_grpo.py"), "--model", model, "--config", str(CONFIG),
               "--budget-s", str(budget_s), "--eval-every-s", str(max(60.0, budget_s / 10)), "--out", str(out)]
    if train_levels:
        command += ["--train-levels", *map(str, train_levels)]
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    return [{"minutes": start_minutes + point["elapsed_s"] / 60,
             "pass_at_1": {int(key.split("/")[1]): value for key, value in point.items() if key.startswith("pass_at_1/")}}
            for point in json.loads(out.read_text())]


def minutes_to_top(curve: list[dict]) -> float | None:
    """Minutes until every level, the top one included, is at >= THRESHOLD; None if never."""
    top = max(curve[0]["pass_at_1"])
    return next((point["minutes"] for point in curve if level_reached(point["pass_at_1"]) >= top), None)


def plot(curves: dict[str, list[dict]], heat_of: list[dict], heat_title: str) -> None:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 4.5))
    reached, heat = figure.subplots(1, 2)
    for name, curve in curves.items():
        reached.step([p["minutes"] for p in curve], [level_reached(p["pass_at_1"]) for p in curve], where="post", label=name)
    reached.set(xlabel="minutes from nothing (pretraining included)", ylabel=f"level reached (all up to it >= {THRESHOLD})",
                title="addition ladder: level n = (n + 1)-digit sums")
    reached.legend(fontsize=7)
    levels = sorted(heat_of[0]["pass_at_1"])
    grid = [[record["pass_at_1"][level] for record in heat_of] for level in levels]
    image = heat.imshow(grid, aspect="auto", origin="lower", vmin=0, vmax=1, cmap="viridis",
                        extent=(-0.5, len(heat_of) - 0.5, levels[0] - 0.5, levels[-1] + 0.5))
    heat.set(xlabel="generation", ylabel="level", title=heat_title)
    figure.colorbar(image, ax=heat)
    figure.tight_layout()
    figure.savefig(PLOT, dpi=100)


def _spread(values: list[float]) -> str:
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f}" if values else "-"


def report(campaigns: dict[int, list[dict]], plain: dict[str, list[dict]], budget_s: float) -> str:
    seeds = list(campaigns)
    rows = []
    for seed, curve in campaigns.items():
        final, done = curve[-1]["pass_at_1"], minutes_to_top(curve)
        rows.append([f"campaign, pretraining seed {seed}", f"{curve[0]['minutes']:.1f}",
                     level_reached(curve[0]["pass_at_1"]), level_reached(final),
                     " ".join(f"{final[level]:.2f}" for level in sorted(final)), f"{done:.1f}" if done else "-",
                     f"{curve[-1]['minutes']:.1f}"])
    for name, curve in plain.items():
        final, done = curve[-1]["pass_at_1"], minutes_to_top(curve)
        rows.append([f"{name}, seed {seeds[0]}", f"{curve[0]['minutes']:.1f}", "", level_reached(final),
                     " ".join(f"{final[level]:.2f}" for level in sorted(final)), f"{done:.1f}" if done else "-",
                     f"{curve[-1]['minutes']:.1f}"])
    finished = [minutes_to_top(curve) for curve in campaigns.values()]
    reached = [level_reached(curve[-1]["pass_at_1"]) for curve in campaigns.values()]
    return (
        f"Each campaign starts from nothing: it pretrains the tiny model on levels 1-2 (2- and 3-digit sums) with the "
        f"given seed (policy.tiny.seed and pretrain.seed), then climbs; its minutes include the pretraining. Plain "
        f"TRL GRPO starts from the first seed's pretrained model at the minute its campaign's generation 0 ended, and "
        f"trains {budget_s / 60:.1f} minutes (the first campaign's training time), its clock stopped while it is "
        f"evaluated. Level reached: every level up to it at >= {THRESHOLD} held-out greedy pass@1 (100 problems per "
        f"level); level 9 = 10-digit sums.\n\n"
        + markdown_table(["run", "generation 0 ends (min)", "level at generation 0", "level reached",
                          "final pass@1, levels 1..9", "minutes to level 9", "minutes run"], rows)
        + f"\n\nCampaigns: {sum(f is not None for f in finished)} of {len(finished)} seeds reach level 9; level reached "
        f"{min(reached)} / {statistics.median(reached):g} / {max(reached)}; minutes to level 9 (those that reach it) "
        f"{_spread([f for f in finished if f is not None])} (min / median / max).\n\n![ladder]({PLOT.name})\n"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4], help="pretraining seeds of the campaigns")
    parser.add_argument("--budget-s", type=float, default=None,
                        help="plain GRPO's training seconds (default: the first campaign's, pretraining excluded)")
    parser.add_argument("--no-plain", action="store_true", help="campaigns only")
    parser.add_argument("--cache", default=None)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    cache = Path(args.cache or tempfile.mkdtemp(prefix="selfplay-ladder-cache-"))
    log = cache / "ladder_curves.json"  # every finished run, so a long benchmark stopped midway keeps what it measured
    campaigns: dict[int, list[dict]] = {}
    for seed in args.seeds:
        campaigns[seed] = run_campaign(cache, seed)
        log.write_text(json.dumps({"campaigns": campaigns}))
    first = campaigns[args.seeds[0]]
    start, done = first[0]["minutes"], minutes_to_top(first)
    budget_s = args.budget_s or ((done or first[-1]["minutes"]) - start) * 60
    plain: dict[str, list[dict]] = {}
    if not args.no_plain:
        model, top = pretrained_model(cache, args.seeds[0]), max(first[0]["pass_at_1"])
        plain["plain TRL GRPO, uniform over levels"] = run_plain(model, budget_s, None, start)
        log.write_text(json.dumps({"campaigns": campaigns, "plain": plain}))
        plain[f"plain TRL GRPO, level {top} only"] = run_plain(model, budget_s, [top], start)
        log.write_text(json.dumps({"campaigns": campaigns, "plain": plain}))
    body = report(campaigns, plain, budget_s)
    print(body)
    if not args.no_write:
        curves = {f"campaign, seed {seed}": curve for seed, curve in campaigns.items()} | plain
        plot(curves, first, f"campaign, seed {args.seeds[0]}: held-out greedy pass@1 per level")
        write_section("ladder", body, command=f"python benchmarks/ladder.py --seeds {' '.join(map(str, args.seeds))}",
                      title="Climbing the addition ladder")
    return 0


if __name__ == "__main__":
    sys.exit(main())
