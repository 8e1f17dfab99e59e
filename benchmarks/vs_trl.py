"""Self-improvement per CPU-minute: a selfplay campaign against plain TRL GRPO, same model, same budget.

    $ python benchmarks/vs_trl.py                 # 2 rounds x 2 methods x 5 minutes, plus pretraining once
    $ python benchmarks/vs_trl.py --budget-s 120 --rounds 1 --no-write
    $ python benchmarks/vs_trl.py --rounds 1 --no-write --set gate.test=sign   # a campaign variant

Both start from the same pretrained tiny model (the quickstart's: same seed,
same systematically wrong teacher) and are evaluated on the same held-out
problems (the quickstart's levels 1 and 2). (a) is `selfplay launch` with its
defaults and `time_budget_s`; its evaluations are part of its wall time,
since gating needs them. (b) is benchmarks/plain_grpo.py: TRL's GRPOTrainer
with TRL's defaults on problems drawn uniformly over the same levels, no
curriculum, no filtering, no gating; its clock stops while it is evaluated.
The two run alternately, `--rounds` times each, because this machine is
noisy, and the table reports medians over rounds. Figures go to the `vs_trl`
section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402

HERE = Path(__file__).parent
THRESHOLDS = (0.8, 0.9)


def pretrained_folder(cache: Path) -> str:
    """The quickstart's pretrained model (trained once into `cache`, then reused)."""
    from selfplay.environments import build_environments
    from selfplay.config import CampaignConfig
    from policy.pretrain import pretrain
    from dataclasses import replace

    config = CampaignConfig()
    config = replace(config, policy=replace(config.policy, cache_dir=str(cache)))
    configured = build_environments(config)
    environments = [(name, c.spec, c.entry.weight) for name, c in configured.items()]
    return pretrain(config.policy, config.pretrain, environments).folder


def run_selfplay(cache: Path, budget_s: float, workdir: Path, overrides: list[str] = ()) -> list[dict]:
    command = [sys.executable, "-m", "selfplay", "launch", "--set", f"policy.cache_dir={cache}",
               "--set", f"time_budget_s={budget_s}", "--set", "generations=1000", "--set", f"output_dir={workdir / 'runs'}"]
    command += [part for override in overrides for part in ("--set", override)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    history = json.loads((workdir / "runs" / "quickstart" / "state.json").read_text())["history"]
    start = history[0]["elapsed_s"]  # generation 0 reuses the cached pretraining; count from its end
    curve, best = [], None
    for record in history:
        if record["promoted"] or best is None:
            best = record  # what the campaign would hand out at this moment: its champion
        curve.append({"elapsed_s": round(record["elapsed_s"] - start, 1),
                      **{f"pass_at_1/{key.split('/')[1]}": value for key, value in best["per_level"].items()},
                      "pass_at_1": best["pass_at_1"]})
    return curve


def run_plain(model: str, budget_s: float, workdir: Path) -> list[dict]:
    out = workdir / "plain.json"
    command = [sys.executable, str(HERE / "plain_grpo.py"), "--model", model, "--budget-s", str(budget_s), "--out", str(out)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return json.loads(out.read_text())


def value_at(curve: list[dict], key: str, time_s: float) -> float:
    """The last measured value at or before `time_s`."""
    points = [point[key] for point in curve if point["elapsed_s"] <= time_s]
    return points[-1] if points else curve[0][key]


def time_to(curve: list[dict], key: str, threshold: float) -> float | None:
    return next((point["elapsed_s"] for point in curve if point[key] >= threshold), None)


def summary(curves: dict[str, list[list[dict]]], key: str, budget_s: float) -> tuple[str, dict]:
    checkpoints = [budget_s / 4, budget_s / 2, budget_s]
    rows, medians = [], {}
    for method, runs in curves.items():
        at = [statistics.median(value_at(c, key, t) for c in runs) for t in checkpoints]
        reach = {}
        for threshold in THRESHOLDS:
            times = [time_to(c, key, threshold) for c in runs]
            reached = [t for t in times if t is not None]
            reach[threshold] = statistics.median(reached) if len(reached) == len(times) else None
        medians[method] = (at, reach)
        rows.append([method, *[f"{v:.3f}" for v in at],
                     *[f"{reach[t]:.0f} s" if reach[t] is not None else "not reached" for t in THRESHOLDS]])
    ratio_row = ["selfplay / plain"]
    (s_at, s_reach), (p_at, p_reach) = medians["selfplay"], medians["plain TRL GRPO"]
    ratio_row += [f"{s / p:.2f}" if p else "-" for s, p in zip(s_at, p_at)]
    for threshold in THRESHOLDS:
        s, p = s_reach[threshold], p_reach[threshold]
        ratio_row.append(f"{p / s:.2f}x faster" if s and p else ("only selfplay reaches it" if s else "-"))
    rows.append(ratio_row)
    header = ["method", *[f"pass@1 at {t:.0f} s" for t in checkpoints], *[f"time to {t:.0%}" for t in THRESHOLDS]]
    return markdown_table(header, rows), medians


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cache", default=None, help="model cache (default: a new temporary folder)")
    parser.add_argument("--set", action="append", default=[], dest="overrides",
                        help="a campaign setting to try instead of the default, e.g. gate.test=sign (repeatable)")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    cache = Path(args.cache or tempfile.mkdtemp(prefix="selfplay-vs-trl-"))
    model = pretrained_folder(cache)
    curves: dict[str, list[list[dict]]] = {"selfplay": [], "plain TRL GRPO": []}
    for round_number in range(args.rounds):  # alternate, so drifts in machine load hit both
        for method in ("selfplay", "plain TRL GRPO") if round_number % 2 == 0 else ("plain TRL GRPO", "selfplay"):
            workdir = Path(tempfile.mkdtemp(prefix="selfplay-vs-trl-run-"))
            curve = run_selfplay(cache, args.budget_s, workdir, args.overrides) if method == "selfplay" else run_plain(model, args.budget_s, workdir)
            curves[method].append(curve)
            print(f"round {round_number + 1} {method}: " + ", ".join(
                f"{p['elapsed_s']:.0f}s {p['pass_at_1/2']:.3f}" for p in curve), flush=True)
    hardest, _ = summary(curves, "pass_at_1/2", args.budget_s)
    overall, _ = summary(curves, "pass_at_1", args.budget_s)
    raw = "\n".join(
        f"- {method}, round {i + 1}: " + ", ".join(f"{p['elapsed_s']:.0f} s: {p['pass_at_1/1']:.2f} / {p['pass_at_1/2']:.2f}" for p in curve)
        for method, runs in curves.items() for i, curve in enumerate(runs)
    )
    body = (
        f"Held-out greedy pass@1 at the quickstart's hardest level (arithmetic level 2), medians over {args.rounds} "
        f"rounds, {args.budget_s:.0f} s of wall time each:\n\n{hardest}\n\nAll held-out problems (levels 1 and 2):\n\n"
        f"{overall}\n\nCurves (seconds: pass@1 level 1 / level 2; selfplay shows its champion after each generation):\n\n{raw}\n"
    )
    print(body)
    if not args.no_write:
        write_section("vs_trl", body, command=f"python benchmarks/vs_trl.py --budget-s {args.budget_s:.0f} --rounds {args.rounds}"
                      + "".join(f" --set {override}" for override in args.overrides),
                      title="selfplay against plain TRL GRPO")
    return 0


if __name__ == "__main__":
    sys.exit(main())
