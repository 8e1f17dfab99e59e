"""`selfplay league` and `selfplay play`: a game campaign's table, and a person playing its champion.

    $ selfplay league runs/tictactoe
    $ selfplay play runs/tictactoe --side O
    $ printf '5\\n1\\n9\\n' | selfplay play runs/tictactoe     # moves from a pipe work too

Registered on the `selfplay` command by selfplay/cli.py (`register(app)`).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from env.errors import UserError


def register(app: typer.Typer) -> None:
    app.command("league")(league)
    app.command("play")(play)


def league(run_dir: str = typer.Argument(..., help="The run folder of a game campaign.")) -> None:
    """A game campaign's generations: Elo (random = 0), promoted, score against each reference opponent, gate."""
    from selfplay import cli
    from selfplay.league import League

    _check_game_run(run_dir)
    columns, rows = League.load(run_dir).table()
    table = Table(*columns, title=f"league of {Path(run_dir).name}")
    for row in rows:
        table.add_row(*row)
    cli.console.print(table)


def play(
    run_dir: str = typer.Argument(..., help="The run folder of a game campaign."),
    side: Optional[str] = typer.Option(None, "--side", help="The side you play, e.g. X or O (default: the side that moves first)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the champion's samples and of the starting position."),
) -> None:
    """Play the campaign's champion in the terminal; moves are read from standard input, one a line."""
    from selfplay.state import CampaignState

    config = _check_game_run(run_dir)
    from selfplay.game_campaign import build_game

    game = build_game(config)
    names = [name.lower() for name in game.side_names]
    if side is not None and side.lower() not in names + ["first", "second"]:
        raise UserError(f"--side must be one of {', '.join(game.side_names)} (or first, second); got {side!r}")
    human = 0 if side is None or side.lower() in (names[0], "first") else 1
    state = CampaignState.load(run_dir)
    if not state.champion_folder:
        raise UserError(f"{run_dir}: the campaign has no champion yet (generation 0 has not finished)")
    champion = _champion(config, game, state.champion_folder, seed)
    _play(game, game.initial_state(random.Random(f"play:{seed}")), human, champion, state.champion_generation)


def _play(game, position, human: int, champion, generation: int) -> None:
    """The game loop: board, prompt, moves read and checked, the champion's replies, who won."""
    say = print
    say(f"You play {game.side_names[human]} against the champion (generation {generation}). {game.move_syntax}")
    while (outcome := game.outcome(position)) is None:
        say(game.describe(position))
        if game.to_move(position) == human:
            move = _ask(game, position)
        else:
            completion = champion(position)
            verdict = game.read_move(position, completion)
            if not verdict.legal:
                say(f"The champion answered {completion!r}: {verdict.reason}. It forfeits: you win.")
                return
            move = verdict.move
            say(f"The champion plays {game.render_move(move)}.")
        position = game.apply(position, move)
    say(game.describe(position))
    if outcome.winner is None:
        say(f"Draw ({outcome.reason}).")
    else:
        who = "You win" if outcome.winner == human else "The champion wins"
        say(f"{who}: {game.side_names[outcome.winner]} ({outcome.reason}).")


def _ask(game, position):
    """Read moves from stdin until a legal one; every refusal says why. EOF ends the game (exit 1)."""
    from env.errors import AnswerError, CampaignStopped

    while True:
        print(f"Your move ({game.side_names[game.to_move(position)]}): ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            print()
            raise CampaignStopped("no more input: the game was left unfinished")
        text = line.strip()
        if not sys.stdin.isatty():  # piped moves are not echoed by a terminal: show them
            print(text)
        try:
            move = game.parse_move(text)
        except AnswerError as error:
            print(f"Cannot read {text!r} as a move: {error}. {game.move_syntax}")
            continue
        reason = game.illegal_reason(position, move)
        if reason is None:
            return move
        print(f"{text!r} is not a legal move: {reason}. Try again.")


def _champion(config, game, folder: str, seed: int):
    """The champion as a function from a position to its completion (greedy: its best move, every time)."""
    from policy.loader import load_policy
    from selfplay.game_play import ModelPlayer

    player = ModelPlayer("champion", load_policy(config.policy, model=folder), config.game.prompt, 0.0,
                         config.train.max_completion_length)
    return lambda position: player.completions(game, [position], seed)[0]


def _check_game_run(run_dir: str):
    """The run folder's config, after checking it is a game campaign (UserError, exit 2, otherwise)."""
    from selfplay.config_loader import load_run_config
    from selfplay.league import LEAGUE_FILE

    config = load_run_config(run_dir)
    if config.game is None or not (Path(run_dir) / LEAGUE_FILE).exists():
        raise UserError(f"{run_dir}: not a game campaign (its config has no game: section); "
                        "`selfplay compare` shows a problem campaign")
    return config
