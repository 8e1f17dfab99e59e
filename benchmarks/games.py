"""Game campaigns side by side: the league against the fixed-teacher contrast, over seeds, and a second game.

    $ python benchmarks/games.py                                  # about 45 minutes on 2 cores
    $ python benchmarks/games.py --runs tictactoe:0 contrast:0 --no-write

Each run is `selfplay launch CONFIG` from nothing (fresh folder, fresh model
cache, so pretraining is timed too), one after another:

- `tictactoe:SEED`: configs/tictactoe.yaml with pretraining seed SEED;
- `contrast:SEED`: the same budget trained only against the fixed teacher
  (no league: `game.league.latest_probability=0`, `reference_players=[teacher]`);
- `connect_four:SEED`: configs/connect_four.yaml, the second game.

From each run's league.json: generations promoted, the champions' Elo at each
promotion (random = 0; Elo compares generations within one run, reference
opponents compare runs), and generation 0 against the champion versus every
reference opponent (points per game, win 1, draw 0.5, over the config's
held-out openings, greedy), with the issue's targets checked: tic-tac-toe's
champion never loses to perfect play (from the empty board, or from an
opening it was not already lost in: a random opening of 1-4 moves can leave
a side lost) and beats random in >= 95% of games from the empty board;
the second game's champion beats greedy in >= 90% and its Elo rises at every
promotion. A tic-tac-toe champion is also measured exactly, every line of play
enumerated (benchmarks/tictactoe_exact.py): its win probability against random
from the empty board and its loss probability against perfect play. The section `games` of benchmarks/RESULTS.md is rewritten.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402

ROOT = Path(__file__).parent.parent
NO_LEAGUE = ["game.league.latest_probability=0", "game.league.reference_players=[teacher]"]
KINDS = {  # run kind -> (config, extra settings)
    "tictactoe": (ROOT / "configs" / "tictactoe.yaml", []),
    "contrast": (ROOT / "configs" / "tictactoe.yaml", NO_LEAGUE),
    "connect_four": (ROOT / "configs" / "connect_four.yaml", []),
}
DEFAULT_RUNS = ["tictactoe:0", "tictactoe:1", "tictactoe:2", "contrast:0", "connect_four:0"]


def seed_settings(seed: int) -> list[str]:
    """A pretraining seed stands in for a machine (benchmarks/robustness.py); the campaign seed follows it."""
    return [f"seed={seed}", f"pretrain.seed={seed}", f"policy.tiny.seed={seed}"]


def launch(kind: str, seed: int, workdir: Path) -> float:
    """Run one campaign in `workdir`; its wall seconds. A failed campaign stops the benchmark with its log's tail."""
    config, extra = KINDS[kind]
    settings = [f"policy.cache_dir={workdir / 'cache'}", f"output_dir={workdir / 'runs'}", *seed_settings(seed), *extra]
    command = [sys.executable, "-m", "selfplay", "launch", str(config), *[a for s in settings for a in ("--set", s)]]
    started = time.perf_counter()
    with open(workdir / "log.txt", "w") as log:
        environment = {**os.environ, "HF_HUB_OFFLINE": "1"}
        code = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=environment).returncode
    if code:
        sys.exit(f"{kind}:{seed} failed (exit {code}); the end of {workdir / 'log.txt'}:\n"
                 + (workdir / "log.txt").read_text()[-2000:])
    return time.perf_counter() - started


def summarise(kind: str, seed: int, wall_s: float, league_file: Path) -> dict:
    """What a reader compares: promotions, Elo at each, and generation 0 against the champion per opponent."""
    league = json.loads(league_file.read_text())
    records = {record["player"]: record for record in league["generations"]}
    champion = records[league["champions"][-1]]
    first = records["generation_0"]
    elo = [league["ratings"][player] for player in league["champions"]]
    return {
        "run": f"{kind}:{seed}", "kind": kind, "wall_s": wall_s,
        "promoted": f"{len(league['champions']) - 1} of {len(records) - 1}",
        "elo": elo, "elo_rising": all(b > a for a, b in zip(elo, elo[1:])),
        "first": first["vs"], "champion": champion["vs"], "champion_name": champion["player"],
    }


def exact_figures(league_file: Path) -> dict:
    """The final champion's exact win probability against random and loss probability against perfect play."""
    from tictactoe_exact import figures, model_policy

    league = json.loads(league_file.read_text())
    return figures(model_policy(league_file.parent, league["folders"][league["champions"][-1]]))


def _score(vs: dict, opponent: str) -> str:
    return f"{vs[opponent]['score']:.2f}" if opponent in vs else "-"


def _win_share(vs: dict, opponent: str) -> float:
    return vs[opponent]["wins"] / vs[opponent]["games"]


def targets(summary: dict) -> str:
    """The issue's targets for this run, met or not, with the figure behind each."""
    vs = summary["champion"]
    if summary["kind"] in ("tictactoe", "contrast"):
        # Openings of random moves can leave a side lost: losses count where the opening was not. Wins against
        # random count from the empty board, the game as played. Exactly (benchmarks/tictactoe_exact.py --ceilings),
        # minimax with random tie-breaks wins 0.873 of those and no player that never loses to perfect play wins
        # more than 0.956: 0.95 asks for the lines a random player loses, not only perfect play.
        where = [key for key in ("perfect", "perfect from start") if key in vs]
        losses = sum(vs[key]["avoidable_losses"] for key in where)
        games = sum(vs[key]["games"] for key in where)
        random = "random from start" if "random from start" in vs else "random"
        text = (f"{losses} avoidable losses to perfect of {games} ({'met' if losses == 0 else 'not met'}); "
                f"wins vs {random} {_win_share(vs, random):.2f} ({'met' if _win_share(vs, random) >= 0.95 else 'not met'})")
        if "exact" in summary:  # every line enumerated: no sampling noise (the 200 games above move by +-0.015)
            wins, losses = summary["exact"]["wins vs random"]["mean"], summary["exact"]["losses vs perfect"]
            text += (f"; exactly: wins vs random {wins:.4f} ({'met' if wins >= 0.95 else 'not met'}), loss probability "
                     f"vs perfect as X / O {losses['X']:.4f} / {losses['O']:.4f}")
        return text
    greedy = _win_share(vs, "greedy")
    return (f"wins vs greedy {greedy:.2f} ({'met' if greedy >= 0.9 else 'not met'}); "
            f"Elo rising at every promotion: {'yes' if summary['elo_rising'] else 'no'}")


def report(summaries: list[dict]) -> str:
    opponents = sorted({name for s in summaries for name in s["first"]})
    rows = [[s["run"], f"{s['wall_s'] / 60:.1f}", s["promoted"], ", ".join(f"{e:.0f}" for e in s["elo"]),
             *[f"{_score(s['first'], o)} -> {_score(s['champion'], o)}" for o in opponents], targets(s)]
            for s in summaries]
    table = markdown_table(["run", "minutes", "promoted", "champions' Elo", *[f"vs {o}" for o in opponents], "targets"], rows)
    lines = [table, "", "Scores are generation 0 -> the final champion, points per game (win 1, draw 0.5), "
             "greedy, over the config's held-out openings; Elo is within one run (random = 0)."]
    for kind in sorted({s["kind"] for s in summaries}):
        runs = [s for s in summaries if s["kind"] == kind]
        if len(runs) > 1:
            for opponent in sorted(runs[0]["champion"]):
                scores = [s["champion"][opponent]["score"] for s in runs]
                lines.append(f"- {kind}, champion vs {opponent} over {len(runs)} seeds: min {min(scores):.2f} / "
                             f"median {statistics.median(scores):.2f} / max {max(scores):.2f}")
    return "\n".join(lines) + "\n"


def parse_run(text: str) -> tuple[str, int]:
    kind, _, seed = text.partition(":")
    if kind not in KINDS or not seed.isdigit():
        raise argparse.ArgumentTypeError(f"a run is KIND:SEED with KIND one of {', '.join(KINDS)}; got {text!r}")
    return kind, int(seed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", nargs="+", type=parse_run, default=[parse_run(r) for r in DEFAULT_RUNS])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    summaries = []
    for kind, seed in args.runs:
        workdir = Path(tempfile.mkdtemp(prefix=f"selfplay-games-{kind}-{seed}-"))
        wall_s = launch(kind, seed, workdir)
        league_file = next((workdir / "runs").glob("*/league.json"))
        summaries.append(summarise(kind, seed, wall_s, league_file))
        if kind in ("tictactoe", "contrast"):  # small enough to measure exactly (benchmarks/tictactoe_exact.py)
            summaries[-1]["exact"] = exact_figures(league_file)
        print(f"{kind}:{seed} done in {wall_s / 60:.1f} min: {targets(summaries[-1])}", flush=True)
    body = report(summaries)
    print(body)
    if not args.no_write:
        command = "python benchmarks/games.py --runs " + " ".join(f"{k}:{s}" for k, s in args.runs)
        write_section("games", body, command=command, title="Game campaigns: league, contrast and a second game")
    return 0


if __name__ == "__main__":
    sys.exit(main())
