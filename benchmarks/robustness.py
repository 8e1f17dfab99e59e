"""The quickstart over many seeds: does self-improvement hold on every machine, not only on ours?

    $ python benchmarks/robustness.py                       # 8 pretraining seeds + 2 campaign seeds, ~45 min on 2 cores
    $ python benchmarks/robustness.py --pretrain-seeds 1 2 --campaign-seeds 1 --no-write

Two machines pretrain the "same" tiny model into different weights (CPU
kernels sum floats in different orders), so a pretraining seed stands in for
a machine: each of `--pretrain-seeds` sets `policy.tiny.seed` and
`pretrain.seed` and runs `selfplay launch` from nothing (fresh model cache,
so pretraining is timed too). The first of them is run again with each of
`--campaign-seeds` (`seed`, reusing its pretrained model). Per run: the
imitator (pass@1, fidelity to its teacher, share of the teacher's mistakes it
reproduces), the champion's pass@1 per level after every generation, the
generation and second at which each level first reached 0.95, and wall time.
Figures are min / median / max over runs; the section `robustness` of
benchmarks/RESULTS.md is rewritten, with a plot in benchmarks/robustness.png.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from quickstart import run as launch_quickstart  # noqa: E402
from results import markdown_table, write_section  # noqa: E402

TARGET = 0.95
PLOT = Path(__file__).parent / "robustness.png"


@dataclass
class RunResult:
    label: str
    wall_s: float
    pretrain_s: float | None  # None when the pretrained model was reused
    imitator: dict[str, float]  # level -> greedy pass@1
    teacher: dict[str, float]  # level -> teacher accuracy
    fidelity: dict[str, float]
    mistakes_reproduced: dict[str, float | None]
    champion: list[dict[str, float]]  # per generation: level -> the champion's pass@1 after its gate
    elapsed: list[float]  # per generation: seconds since launch (pretraining included)
    stalls: list[str] = field(default_factory=list)

    def first_reaching(self, level: str) -> tuple[int | None, float | None]:
        """(generation, seconds) at which the champion first held >= TARGET at `level`."""
        for generation, (scores, seconds) in enumerate(zip(self.champion, self.elapsed)):
            if scores.get(level, 0.0) >= TARGET:
                return generation, seconds
        return None, None


def run_one(label: str, workdir: Path, cache: Path, settings: list[str]) -> RunResult:
    workdir.mkdir(parents=True, exist_ok=True)
    extra = [item for setting in [f"policy.cache_dir={cache}", *settings] for item in ("--set", setting)]
    wall_s, _, code = launch_quickstart(workdir, extra)
    if code != 0:
        raise SystemExit(f"{label}: the campaign exited {code}:\n{(workdir / 'log.txt').read_text()[-3000:]}")
    state = json.loads((workdir / "runs" / "quickstart" / "state.json").read_text())
    pretrained = json.loads(next(cache.glob("pretrained/*/selfplay_pretrain.json")).read_text())
    by_generation = {record["generation"]: record for record in state["history"]}
    champion = [by_generation[record["champion_generation"]]["per_level"] for record in state["history"]]
    first_elapsed = state["history"][0]["elapsed_s"]
    log = (workdir / "log.txt").read_text()
    reused = "pretrained tiny model reused" in log
    return RunResult(
        label=label, wall_s=wall_s, pretrain_s=None if reused else pretrained["wall_time_s"],
        imitator=_by_level(pretrained["pass_at_1"]), teacher=_by_level(pretrained["teacher_accuracy"]),
        fidelity=_by_level(pretrained["fidelity"]), mistakes_reproduced=_by_level(pretrained["mistakes_reproduced"]),
        champion=[_by_level(scores) for scores in champion],
        elapsed=[record["elapsed_s"] - first_elapsed + (0 if reused else pretrained["wall_time_s"]) for record in state["history"]],
        stalls=[line.strip() for line in log.splitlines() if "stalled" in line],
    )


def _by_level(scores: dict[str, float]) -> dict[str, float]:
    """'arithmetic/2' -> '2' (the quickstart has one environment)."""
    return {key.split("/")[-1]: value for key, value in scores.items()}


def spread(values: list[float | None], digits: int = 3) -> str:
    """min / median / max of the values that exist, and how many are missing."""
    present = [v for v in values if v is not None]
    if not present:
        return "never"
    text = " / ".join(f"{v:.{digits}f}" for v in (min(present), statistics.median(present), max(present)))
    missing = len(values) - len(present)
    return text + (f" ({missing} of {len(values)} never)" if missing else "")


def report(results: list[RunResult]) -> str:
    levels = sorted(results[0].imitator)
    per_run = []
    for r in results:
        final = r.champion[-1]
        reach = [r.first_reaching(level) for level in levels]
        per_run.append([
            r.label, *[f"{r.teacher[l]:.3f}" for l in levels], *[f"{r.imitator[l]:.3f}" for l in levels],
            *[f"{r.fidelity[l]:.3f}" for l in levels], *[_fmt(r.mistakes_reproduced[l]) for l in levels],
            *[f"{final[l]:.3f}" for l in levels],
            *[f"g{g} / {s:.0f} s" if g is not None else "never" for g, s in reach],
            f"{r.pretrain_s:.0f}" if r.pretrain_s is not None else "reused", f"{r.wall_s:.0f}",
        ])
    header = ["run", *[f"teacher L{l}" for l in levels], *[f"imitator L{l}" for l in levels],
              *[f"fidelity L{l}" for l in levels], *[f"mistakes copied L{l}" for l in levels],
              *[f"champion L{l}" for l in levels], *[f"first >= {TARGET} L{l}" for l in levels],
              "pretrain s", "wall s"]
    summary = [["champion's final pass@1 L" + l, spread([r.champion[-1][l] for r in results])] for l in levels]
    summary += [["imitator fidelity L" + l, spread([r.fidelity[l] for r in results])] for l in levels]
    summary += [["imitator pass@1 L" + l, spread([r.imitator[l] for r in results])] for l in levels]
    summary += [[f"generation first >= {TARGET} at L{l}", spread([r.first_reaching(l)[0] for r in results], 0)] for l in levels]
    summary += [[f"seconds to first >= {TARGET} at L{l}", spread([r.first_reaching(l)[1] for r in results], 0)] for l in levels]
    fresh = [r for r in results if r.pretrain_s is not None]
    summary += [["wall s, from nothing (pretraining included)", spread([r.wall_s for r in fresh], 0)],
                ["pretraining s", spread([r.pretrain_s for r in fresh], 0)]]
    held = sum(all(r.champion[-1][l] >= TARGET for l in levels) for r in results)
    curves = "\n".join(
        f"- {r.label}: " + ", ".join(f"g{g} " + "/".join(f"{scores[l]:.2f}" for l in levels) for g, scores in enumerate(r.champion))
        + (f" (stalls: {len(r.stalls)})" if r.stalls else "")
        for r in results
    )
    return (
        f"{held} of {len(results)} runs end with a champion >= {TARGET} at every level.\n\n"
        + markdown_table(["figure", "min / median / max"], summary)
        + "\n\nPer run (L1, L2 = arithmetic levels 1 and 2; held-out greedy pass@1 on 200 problems per level; "
        "fidelity = share of held-out problems where the imitator's answer is the teacher's, right or wrong):\n\n"
        + markdown_table(header, per_run)
        + f"\n\nThe champion after each generation (pass@1 L1/L2):\n\n{curves}\n\n![robustness](robustness.png)\n"
    )


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def plot(results: list[RunResult]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    levels = sorted(results[0].imitator)
    figure, axes = plt.subplots(1, len(levels), figsize=(5 * len(levels), 3.6), sharey=True)
    for axis, level in zip(axes, levels):
        for r in results:
            axis.plot([s / 60 for s in r.elapsed], [c[level] for c in r.champion], marker="o", markersize=3, label=r.label)
        axis.axhline(TARGET, color="black", linestyle=":", linewidth=1)
        axis.axhline(statistics.median(r.teacher[level] for r in results), color="grey", linestyle="--", linewidth=1)
        axis.set_title(f"arithmetic level {level}: champion's held-out pass@1")
        axis.set_xlabel("minutes since launch (pretraining included)")
    axes[0].set_ylabel("greedy pass@1 (dashed: teacher; dotted: 0.95)")
    axes[-1].legend(fontsize=7, loc="lower right")
    figure.tight_layout()
    figure.savefig(PLOT, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pretrain-seeds", type=int, nargs="+", default=[0, 3, 4, 5, 6, 7, 8, 9])
    parser.add_argument("--campaign-seeds", type=int, nargs="*", default=[1, 2])
    parser.add_argument("--set", action="append", default=[], help="extra --set for every campaign")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="selfplay-robustness-"))
    results = []
    for seed in args.pretrain_seeds:
        settings = [f"policy.tiny.seed={seed}", f"pretrain.seed={seed}", *args.set]
        results.append(run_one(f"pretrain seed {seed}", root / f"p{seed}", root / f"cache{seed}", settings))
        print(report(results[-1:]), flush=True)
    first = args.pretrain_seeds[0]
    for seed in args.campaign_seeds:
        settings = [f"policy.tiny.seed={first}", f"pretrain.seed={first}", f"seed={seed}", *args.set]
        results.append(run_one(f"pretrain seed {first}, campaign seed {seed}", root / f"p{first}c{seed}", root / f"cache{first}", settings))
        print(report(results[-1:]), flush=True)
    body = report(results)
    print(body)
    if not args.no_write:
        plot(results)
        command = "python benchmarks/robustness.py" + "".join(f" --set {s}" for s in args.set)
        write_section("robustness", body, command=command, title="Robustness: the quickstart over seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
