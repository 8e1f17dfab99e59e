"""A game campaign: a model improves at a two-player game by self-play, generation after generation.

    $ selfplay launch configs/tictactoe.yaml
    $ selfplay league runs/tictactoe        # generations, ratings, scores against reference players
    $ selfplay play runs/tictactoe          # play the champion in the terminal

`selfplay launch` comes here when the config has a `game:` section
(selfplay/game_config.py). Generation 0 is the tiny model trained from
scratch to imitate the game's flawed teacher (policy/game_pretrain.py), or
any model the loader reaches. Then, for each generation:

  select    the champion plays `league.num_games` games, sampled, against
            opponents drawn by the league's rule (selfplay/league.py: itself
            with probability p, else an earlier champion or a reference
            player); the positions where it was to move are the training set
  train     GRPO through TRL from the champion (with `gate.on_reject:
            candidate`, from the latest candidate); each sampled move is scored
            by playing the game on from it, or with `reward.credit: search`
            by a tree search of the rules (selfplay/game_rewards.py); with
            `game.distill.steps` the champion first imitates that search's
            best move at every position of the league games, both sides',
            and of earlier generations' (selfplay/game_distill.py)
  evaluate  the candidate plays each reference opponent (random, greedy,
            perfect, ...) from held-out openings, half with each colour,
            and with `eval.start_games` from the game's first position
  gate      the candidate plays the champion, sampled moves from varied
            openings, each opening once with each colour, until
            `gate.games` decisive games (or `gate.max_games`); promoted when
            it wins >= 55% of them (AlphaGo Zero's rule, selfplay/ratings.py)
  ratings   every game between two different players so far is rated at
            once (Bradley-Terry Elo, random = 0) and logged to MLflow

Deliberate deviations from AlphaGo Zero: the policy plays without a tree
search (it moves from its own samples; the playouts or the rules-only search
look ahead at training time only, and that search needs no value network);
a rejected candidate is dropped and the next generation starts again from
the champion; the league mixes in earlier champions and
fixed opponents (AlphaStar) so self-play does not forget how to beat them.

Each phase leaves its output in generations/NNNN/ before the state moves
on, and the league (league.json) is updated once, at the gate: a campaign
killed anywhere resumes with `selfplay resume RUN_DIR` at the phase it was in.
One process only (positions and playouts live in this process).
"""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from env.errors import UserError
from env.games import Game, GameRecord, get_game
from env.games.search import SearchValues
from policy.errors import SettingError
from policy.game_pretrain import position_prompt, pretrain_game
from policy.loader import check_model_spec, load_policy, resolve_model_folder
from selfplay import progress, run_logging
from selfplay.config import CampaignConfig
from selfplay.config_loader import to_yaml
from selfplay.console import output_console
from selfplay.errors import CampaignError
from selfplay.game_distill import best_move_rate, distill
from selfplay.game_config import GameGateSettings
from selfplay.game_play import ModelPlayer, play_games, start_at
from selfplay.game_rewards import PlayoutReward
from selfplay.league import GenerationSummary, League, avoidable_losses, member_name, score_against
from selfplay.progress import CampaignProgress
from selfplay.ratings import GameResult, alternate_colours, decide_match
from selfplay.state import CONFIG_FILE, CampaignState
from selfplay.tracking import NullTracker, Tracker, resolve_tracking_uri, without_credentials
from selfplay.training import latest_checkpoint


@dataclass
class GameCampaign:
    config: CampaignConfig
    run_dir: Path
    game: Game
    state: CampaignState
    league: League
    tracker: Tracker | NullTracker
    progress: CampaignProgress
    models: dict[str, Any] = field(default_factory=dict)  # model folder -> loaded policy (frozen players)
    started: float = field(default_factory=time.monotonic)

    def folder(self, generation: int) -> Path:
        return self.run_dir / "generations" / f"{generation:04d}"

    def save(self) -> None:
        self.state.elapsed_s = round(self.state.elapsed_s + time.monotonic() - self.started, 1)
        self.started = time.monotonic()
        self.state.save(self.run_dir)


# -- entry points -------------------------------------------------------------------
def build_game(config: CampaignConfig) -> Game:
    """The configured game, with every player name checked; UserError (exit 2) before anything is written."""
    settings = config.game
    try:
        game = get_game(settings.name, **settings.options)
    except UserError:
        raise
    except (TypeError, ValueError) as error:  # the game's constructor refusing an option
        raise UserError(f"game.options: {error}") from None
    for where, names in (("game.league.reference_players", settings.league.reference_players),
                         ("game.eval.opponents", settings.eval.opponents)):
        for name in names:
            if name not in game.player_names:
                raise UserError(f"{where}: {game.name} has no player {name!r} (players: {', '.join(game.player_names)})")
    continuation = settings.reward.continuation
    if continuation != "champion" and continuation not in game.player_names:
        raise UserError(f"game.reward.continuation must be champion or one of {', '.join(game.player_names)}; "
                        f"got {continuation!r}")
    if config.policy.model == "tiny":  # one character per token: the longest prompt must fit the model
        longest = max(len(position_prompt(game, o.state, settings.prompt)) for o in game.openings(50, config.seed))
        if longest + 2 + config.train.max_completion_length > config.policy.tiny.max_length:
            raise SettingError(f"game.prompt: {settings.prompt} prompts of {game.name} take up to {longest} characters, "
                               f"more than policy.tiny.max_length ({config.policy.tiny.max_length}) leaves with "
                               f"train.max_completion_length ({config.train.max_completion_length}); use game.prompt=board "
                               "or raise policy.tiny.max_length")
    return game


def launch_game(config: CampaignConfig, run_dir: str | Path | None = None, tracking_uri: str | None = None) -> CampaignState:
    """Start a new game campaign in `run_dir` (default: output_dir/name); checks come before any write."""
    run_dir = Path(run_dir or Path(config.output_dir) / config.name)
    game = build_game(config)
    check_model_spec(config.policy.model, config.policy.cache_dir)
    if (run_dir / "state.json").exists():
        raise CampaignError(f"{run_dir} already holds a campaign; `selfplay resume {run_dir}` continues it")
    uri = resolve_tracking_uri(tracking_uri, config.tracking.tracking_uri, config.output_dir)
    Tracker(uri, config.name, config.output_dir)  # TrackingError if unreachable, before the folder exists
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / CONFIG_FILE).write_text(to_yaml(config))
    CampaignState(name=config.name).save(run_dir)
    League(game=game.name).save(run_dir)
    return _run(config, run_dir, game, tracking_uri)


def resume_game(config: CampaignConfig, run_dir: str | Path, tracking_uri: str | None = None) -> CampaignState:
    """Continue a game campaign where it stopped (selfplay.campaign.resume dispatches here)."""
    return _run(config, Path(run_dir), build_game(config), tracking_uri)


# -- the loop -------------------------------------------------------------------------
def _run(config: CampaignConfig, run_dir: Path, game: Game, tracking_uri: str | None) -> CampaignState:
    state = CampaignState.load(run_dir)
    if state.status == "finished":
        progress.say(f"{run_dir}: the campaign already finished")
        return state
    uri = resolve_tracking_uri(tracking_uri or state.tracking_uri, config.tracking.tracking_uri, config.output_dir)
    tracker = Tracker(uri, config.name, config.output_dir)
    state.tracking_uri = without_credentials(uri)
    with progress.library_output(run_dir) as stream, \
            CampaignProgress(output_console(stream), config.name, config.generations, state.elapsed_s) as display:
        campaign = GameCampaign(config, run_dir, game, state, League.load(run_dir), tracker, display)
        state.status = "running"
        state.parent_run_id = run_logging.open_campaign(tracker, config, run_dir, state.parent_run_id)
        campaign.save()
        try:
            if state.phase == "baseline":
                _baseline(campaign)
            while state.generation <= config.generations and not _out_of_time(campaign):
                _generation(campaign)
            state.status = "finished" if state.generation > config.generations else "stopped"
            campaign.save()
            tracker.finish(state.parent_run_id)
        except BaseException as error:
            state.status = "stopped" if isinstance(error, KeyboardInterrupt) else "failed"
            campaign.save()
            run_logging.mark_stopped(tracker, [state.generation_run_ids.get(str(state.generation)), state.parent_run_id],
                                     "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED")
            raise
    columns, rows = campaign.league.table()
    progress.say("\n".join(["  ".join(columns)] + ["  ".join(row) for row in rows]))
    return state


def _baseline(campaign: GameCampaign) -> None:
    """Generation 0: the initial policy (the teacher's imitator), evaluated, rated, and the first champion."""
    state, league = campaign.state, campaign.league
    folder, timings = campaign.folder(0), {}
    folder.mkdir(parents=True, exist_ok=True)
    campaign.progress.phase(0, "pretrain")
    started = time.monotonic()
    model_folder = _initial_policy_folder(campaign)
    timings["pretrain_s"] = round(time.monotonic() - started, 2)
    campaign.progress.phase(0, "evaluate")
    started = time.monotonic()
    _evaluate(campaign, model_folder, member_name(0), folder)
    timings["evaluate_s"] = round(time.monotonic() - started, 2)
    _save_json(folder / "timings.json", timings)
    league.promote(member_name(0), model_folder)
    state.champion_generation, state.champion_folder, state.parent_folder = 0, model_folder, model_folder
    _conclude(campaign, 0, promoted=True, gate={})
    state.generation, state.phase = 1, "select"
    campaign.save()


def _generation(campaign: GameCampaign) -> None:
    """One generation, phase by phase; each phase leaves its output on disk before the state moves on."""
    state = campaign.state
    generation, folder = state.generation, campaign.folder(state.generation)
    folder.mkdir(parents=True, exist_ok=True)
    timings = _load_json(folder / "timings.json", {})
    candidate = str(folder / "candidate")
    phases = [  # (phase, what it does, the phase after it)
        ("select", lambda: _select(campaign, folder), "train"),
        ("train", lambda: _train(campaign, folder), "evaluate"),
        ("evaluate", lambda: _evaluate(campaign, candidate, member_name(generation), folder), "gate"),
        ("gate", lambda: _gate(campaign, folder), "done"),
    ]
    for phase, run, next_phase in phases:
        if state.phase == phase:
            campaign.progress.phase(generation, phase)
            started = time.monotonic()
            run()
            timings[f"{phase}_s"] = round(timings.get(f"{phase}_s", 0.0) + time.monotonic() - started, 2)
            _save_json(folder / "timings.json", timings)
            state.advance(next_phase)
            campaign.save()
    decision = _load_json(folder / "gate.json", None)
    if decision["promoted"]:
        campaign.league.promote(member_name(generation), candidate)
        state.champion_generation, state.champion_folder = generation, candidate
    kept = decision["promoted"] or campaign.config.game.gate.on_reject == "candidate"
    state.parent_folder = candidate if kept else state.champion_folder
    _conclude(campaign, generation, decision["promoted"], decision)
    verdict = "[green]promoted[/green]" if decision["promoted"] else "[red]rejected[/red]"
    progress.say(f"generation {generation}: {verdict} ({decision['reason']})", soft_wrap=True)
    state.generation, state.phase = generation + 1, "select"
    campaign.save()


# -- phases -----------------------------------------------------------------------------
def _select(campaign: GameCampaign, folder: Path) -> None:
    """Games of the champion against league opponents; the positions where it was to move, with that opponent."""
    config, league, game = campaign.config, campaign.league, campaign.game
    settings, generation = config.game.league, campaign.state.generation
    seed = config.seed * 100_003 + generation
    rng = random.Random(f"league:{config.seed}:{generation}")
    champion = league.champion
    firsts = [first_position(game, "league-start", seed, index) for index in range(settings.start_games)]
    weights = league.hard_weights(settings.reference_players) if settings.opponent_weighting == "hard" else None
    matches = []
    for index, opening in enumerate(firsts + game.openings(settings.num_games - settings.start_games, seed)):
        opponent = league.opponent(rng, settings.latest_probability, settings.reference_players, weights)
        matches.append((opening, champion, opponent) if index % 2 == 0 else (opening, opponent, champion))
    starts = [True] * len(firsts) + [False] * (len(matches) - len(firsts))
    players = _players(campaign, {name for _, a, b in matches for name in (a, b)}, settings.temperature, seed)
    records = play_games(game, matches, players, seed)
    positions = []
    for (opening, _, _), record, start in zip(matches, records, starts):
        opponent = record.players[1] if record.players[0] == champion else record.players[0]
        for count in _turns_of(game, opening, record, champion):
            positions.append({"index": opening.index, "start": start, "moves": list(record.moves[:count]),
                              "opponent": opponent})
    games = [{"index": opening.index, "start": start, "moves": list(record.moves), "players": list(record.players)}
             for (opening, _, _), record, start in zip(matches, records, starts)]
    _save_json(folder / "positions.json", {"seed": seed, "positions": positions, "games": games,
                                           "results": _results(records), "opponent_weights": weights})


def _train(campaign: GameCampaign, folder: Path) -> None:
    """GRPO through TRL from the champion into generations/N/candidate, each move scored by playouts."""
    import datasets
    from trl import GRPOTrainer

    from selfplay.trl_config import rl_config

    config, state, game = campaign.config, campaign.state, campaign.game
    selection = _load_json(folder / "positions.json", None)
    positions = [(game.replay(league_opening(game, selection["seed"], p), p["moves"]), p["opponent"])
                 for p in selection["positions"]]
    if not positions:
        raise CampaignError(f"generation {state.generation}: the champion had no position to move in; raise game.league.num_games")
    policy = load_policy(config.policy, model=state.parent_folder or state.champion_folder)  # see gate.on_reject
    settings = config.game.reward
    seed = config.seed * 100_003 + state.generation
    continuation = campaign.league.champion if settings.continuation == "champion" else settings.continuation
    names = {continuation, *(opponent for _, opponent in positions)}
    # Search credit plays no model on, so none is loaded for it.
    players = {} if settings.credit == "search" else _players(campaign, names, settings.temperature, seed)
    symmetric = config.game.distill.symmetric_labels
    reward = PlayoutReward(game, positions, players, continuation, settings.num_playouts, settings.illegal_reward, seed,
                           settings.credit, settings.search_simulations, symmetric)
    values = reward.search or SearchValues(game, settings.search_simulations, seed, symmetric=symmetric)  # one cache for both
    reuse = config.game.distill.reuse_search
    if reuse:
        _recall_searches(campaign, values)
    distilled, fit = _distill(campaign, policy, values, folder, seed)
    rows = [{"prompt": policy.prompt_format.model_input(position_prompt(game, s, config.game.prompt)), "position": i}
            for i, (s, _) in enumerate(positions)]
    trainer_dir = folder / "trainer"
    run_id = _generation_run(campaign, state.generation)
    steps_before = (state.generation - 1) * config.train.max_steps  # the generations' curves follow each other
    trainer = GRPOTrainer(
        model=policy.model, reward_funcs=[reward.function()], train_dataset=datasets.Dataset.from_list(rows),
        args=rl_config(config.train, [1.0], str(trainer_dir), seed), processing_class=policy.tokenizer,
        callbacks=[campaign.tracker.training_callback(run_id, steps_before), campaign.progress.training_callback()],
    )
    trainer.train(resume_from_checkpoint=latest_checkpoint(trainer_dir))
    trainer.save_model(str(folder / "candidate"))
    policy.prompt_format.save(folder / "candidate")
    if distilled:  # GRPO comes after the distillation: how much of the fit it kept
        fit["best_move_rate"] = _fit(campaign, policy, values, distilled)
    if reuse:
        _save_json(folder / "search_values.json", {"simulations": values.simulations, "values": values.searched()})
    stats = reward.stats
    _save_json(folder / "train.json", {**stats.as_metrics(), "positions": len(positions), "distilled": len(distilled), **fit,
                                       "illegal_reasons": dict(stats.reasons.most_common(10))})
    shutil.rmtree(trainer_dir, ignore_errors=True)  # the candidate folder replaces the checkpoints


def _distill(campaign: GameCampaign, policy: Any, values: SearchValues, folder: Path,
             seed: int) -> tuple[list[Any], dict[str, float]]:
    """`game.distill`: the trained model first imitates the search's best move at the league games' positions,
    round after round until it fits (`fit_target`, `max_rounds`); returns those distinct positions (none when
    off) and how well it fitted them."""
    config, game = campaign.config, campaign.game
    settings = config.game.distill
    if not settings.steps:
        return [], {}
    current, replayed = campaign.state.generation, settings.replay_generations
    states = [game.initial_state(random.Random(f"distill:{seed}"))]  # the first position: openings start later
    states += [state for generation in range(max(1, current - replayed), current + 1)
               for state in game_positions(game, _load_json(campaign.folder(generation) / "positions.json", {}))]
    if settings.symmetries:
        states = [image for state in states for image in game.symmetries(state)]
    distinct = [s for s in dict.fromkeys(states) if game.outcome(s) is None]  # each position once: rare ones count
    fits = []
    while len(fits) < settings.max_rounds and (not fits or fits[-1] < settings.fit_target):
        distill(policy, game, distinct, config.game.prompt, settings, values, folder / "distill", seed + len(fits), current)
        fits.append(_fit(campaign, policy, values, distinct))
    return distinct, {"distill_best_move_rate": fits[-1], "distill_rounds": len(fits), "distill_fits": fits}


def _recall_searches(campaign: GameCampaign, values: SearchValues) -> None:
    """`game.distill.reuse_search`: the values the replayed generations' searches stored (at the same number of
    simulations) are taken, not searched again."""
    current = campaign.state.generation
    for generation in range(max(1, current - campaign.config.game.distill.replay_generations), current):
        path = campaign.folder(generation) / "search_values.json"
        try:
            stored = _load_json(path, {})
            if stored.get("simulations") == values.simulations:
                values.recall(stored.get("values", {}))
        except (ValueError, AttributeError) as error:  # not JSON, or not what `searched` wrote
            raise CampaignError(f"{path}: {error}; delete the file to search those positions again") from None


def _fit(campaign: GameCampaign, policy: Any, values: SearchValues, states: list[Any]) -> float:
    """The share of the distilled positions where the policy's greedy move is one of the search's best (the
    labelled one, with `game.distill.tie_break_playouts`)."""
    config = campaign.config
    return best_move_rate(policy, campaign.game, states, config.game.prompt, values, config.train.max_completion_length,
                          config.game.distill.tie_break_playouts)


def first_position(game: Game, purpose: str, seed: int, index: int) -> Any:
    """Game `index` of a series (`purpose`: league, gate or eval games) from the game's first position, as an
    opening; seeded per series and index, for the games whose first position is drawn (Nim's heaps)."""
    return start_at(game, game.initial_state(random.Random(f"{purpose}:{seed}:{index}")), index)


def league_opening(game: Game, seed: int, entry: dict[str, Any]) -> Any:
    """Where a game or position of positions.json started: the game's first position or a seeded opening."""
    if entry.get("start"):
        return first_position(game, "league-start", seed, entry["index"])
    return game.opening(seed, entry["index"])


def game_positions(game: Game, selection: dict[str, Any]) -> list[Any]:
    """Every position of a generation's league games, whoever was to move: the search labels either side's move,
    and the champion plays both colours."""
    if "games" not in selection:  # a run folder from before the games were saved: the champion's positions
        return [game.replay(league_opening(game, selection["seed"], p), p["moves"]) for p in selection.get("positions", [])]
    states = []
    for played in selection["games"]:
        state = league_opening(game, selection["seed"], played).state
        for move in played["moves"]:
            states.append(state)
            state = game.apply(state, game.parse_move(move))
        states.append(state)  # where an illegal move ended it, if one did (distill skips finished games)
    return states


def _evaluate(campaign: GameCampaign, model_folder: str, name: str, folder: Path) -> None:
    """`name` (the model in `model_folder`) against each reference opponent, both colours: from held-out openings,
    and with `game.eval.start_games` from the game's first position too (as "OPPONENT from start")."""
    config, game = campaign.config, campaign.game
    settings = config.game.eval
    player = ModelPlayer(name, _model(campaign, model_folder), config.game.prompt, settings.temperature,
                         config.train.max_completion_length)
    openings = game.openings((settings.games + 1) // 2, config.seed, split="eval")
    first = [first_position(game, "start", config.seed, index)
             for index in range((settings.start_games + 1) // 2)]  # the same empty board, or Nim's drawn heaps
    starts = {"": _both_colours(openings, name, settings.games), " from start": _both_colours(first, name, settings.start_games)}
    results, scores, moves, illegal = [], {}, 0, 0
    for opponent in settings.opponents:
        players = {name: player, opponent: game.player(opponent, seed=f"eval:{config.seed}")}
        for suffix, matches in starts.items():
            if not matches:
                continue
            named = [(o, opponent if a == "opponent" else a, opponent if b == "opponent" else b) for o, a, b in matches]
            records = play_games(game, named, players, config.seed)
            scores[opponent + suffix] = score = score_against(records, name)
            if hasattr(players[opponent], "value"):  # a perfect player (Game.reference_players): losses it can blame
                score["avoidable_losses"] = avoidable_losses(game, players[opponent], [o.state for o, _, _ in named],
                                                             records, name)
            results += _results(records)
            for (opening, _, _), record in zip(named, records):
                moves += len(_turns_of(game, opening, record, name))
                illegal += record.illegal is not None and record.players[record.illegal.side] == name
    _save_json(folder / "eval.json", {"player": name, "vs": scores, "results": results,
                                      "illegal_rate": round(illegal / max(moves, 1), 4)})


def _both_colours(openings: Sequence[Any], name: str, games: int) -> list[tuple[Any, str, str]]:
    """`games` matches of `name` and "opponent", cycling through `openings`, each opening with either colour."""
    pairs = alternate_colours(name, "opponent", 2)
    cycle = [(opening, *pair) for opening in openings for pair in pairs]
    return [cycle[index % len(cycle)] for index in range(games)] if cycle else []


def _gate(campaign: GameCampaign, folder: Path) -> None:
    """The candidate plays the champion until gate.games decisive games (or gate.max_games); decide_match decides."""
    config, game, state = campaign.config, campaign.game, campaign.state
    settings = config.game.gate
    candidate, champion = member_name(state.generation), campaign.league.champion
    players = {
        candidate: ModelPlayer(candidate, _model(campaign, str(folder / "candidate")), config.game.prompt,
                               settings.temperature, config.train.max_completion_length),
        champion: ModelPlayer(champion, _model(campaign, state.champion_folder), config.game.prompt,
                              settings.temperature, config.train.max_completion_length),
    }
    seed = config.seed * 100_003 + state.generation
    results: list[GameResult] = []
    while True:
        decisive = sum(r.points != 0.5 for r in results)
        if decisive >= settings.games or len(results) >= settings.max_games:
            break
        batch = min(settings.batch_games, settings.max_games - len(results)) // 2 * 2
        first = len(results) // 2  # each opening is played twice, once with each colour
        openings = gate_openings(game, settings, seed, first, max(batch // 2, 1))
        matches = [(opening, *pair) for opening in openings for pair in alternate_colours(candidate, champion, 2)]
        records = play_games(game, matches, players, seed + len(results))
        results += [GameResult.of(record) for record in records]
    decision = decide_match(results, candidate, champion, settings.min_win_rate, settings.games)
    _save_json(folder / "gate.json", {**asdict(decision), "games": len(results),
                                      "results": [[r.first, r.second, r.points] for r in results]})


def gate_openings(game: Game, settings: GameGateSettings, seed: int, first: int, count: int) -> list[Any]:
    """Gate openings first .. first+count-1: the game's first position (`gate.from_start`) or training openings."""
    if settings.from_start:
        return [first_position(game, "gate-start", seed, index) for index in range(first, first + count)]
    return [game.opening(seed, index, "train") for index in range(first, first + count)]


# -- the record -------------------------------------------------------------------------------
def _conclude(campaign: GameCampaign, generation: int, promoted: bool, gate: dict[str, Any]) -> None:
    """Add the generation's games to the league, rate everyone, save league.json and log the generation to MLflow."""
    league, folder, tracker, state = campaign.league, campaign.folder(generation), campaign.tracker, campaign.state
    selection = _load_json(folder / "positions.json", {})
    evaluation = _load_json(folder / "eval.json", {})
    train = _load_json(folder / "train.json", {})
    if not any(s.generation == generation for s in league.generations):  # not twice when a resume repeats this step
        league.results += selection.get("results", []) + evaluation.get("results", []) + gate.get("results", [])
    ratings = league.ratings()
    player = member_name(generation)
    gate_summary = {key: gate[key] for key in ("wins", "losses", "draws", "win_rate", "reason", "games")} if gate else {}
    summary = GenerationSummary(generation, player, promoted, state.champion_generation, evaluation.get("vs", {}),
                                gate_summary, evaluation.get("illegal_rate", 0.0),
                                {k: v for k, v in train.items() if k not in ("illegal_reasons", "distill_fits")},
                                _load_json(folder / "timings.json", {}), ratings.get(player))
    league.generations = [s for s in league.generations if s.generation != generation] + [summary]
    league.save(campaign.run_dir)

    run_id = _generation_run(campaign, generation)
    totals = {key: sum(v[key] for v in summary.vs.values()) for key in ("games", "wins", "draws", "losses")}
    metrics = {"generation": generation, "rating": ratings.get(player), **totals, "illegal_rate": summary.illegal_rate,
               "gate/promoted": float(promoted)}
    metrics.update({f"vs/{name}/{key}": value for name, result in summary.vs.items() for key, value in result.items()})
    metrics.update({f"gate/{key}": gate_summary[key] for key in ("wins", "losses", "draws", "win_rate", "games") if gate_summary})
    metrics.update({f"time/{key}": value for key, value in summary.timings.items()})
    metrics.update(summary.train)
    tracker.log_params(run_id, {"generation": generation, "generation_seed": campaign.config.seed * 100_003 + generation})
    tracker.log_metrics(run_id, metrics, step=generation)
    tracker.set_tags(run_id, {"generation": generation, "promoted": str(promoted).lower(),
                              "champion_generation": state.champion_generation, "gate": gate.get("reason", "initial policy")})
    if train.get("illegal_reasons"):
        tracker.log_text(run_id, json.dumps(train["illegal_reasons"], indent=2), "illegal_moves.json")
    tracker.finish(run_id)
    champion_rating = ratings.get(league.champion)
    tracker.log_metrics(state.parent_run_id, {"elo": champion_rating, "champion/generation": state.champion_generation,
                                              "candidate_elo": ratings.get(player)}, step=generation)
    tracker.log_text(state.parent_run_id, (campaign.run_dir / "league.json").read_text(), "league.json")
    columns, rows = league.table()
    table = "\n".join(["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)] + ["| " + " | ".join(r) + " |" for r in rows])
    tracker.describe_run(state.parent_run_id, f"**{campaign.config.name}**: {campaign.game.name}, "
                                              f"champion generation {state.champion_generation}\n\n{table}\n")
    shown = ", ".join(f"{name} {result['score']:.2f}" for name, result in summary.vs.items())
    rating = "-" if ratings.get(player) is None else f"{ratings[player]:.0f}"
    progress.say(f"generation {generation}: Elo {rating}; vs {shown}; illegal {summary.illegal_rate:.3f}", soft_wrap=True)


# -- helpers ---------------------------------------------------------------------------
def _initial_policy_folder(campaign: GameCampaign) -> str:
    config = campaign.config
    if config.policy.model != "tiny":
        return resolve_model_folder(config.policy.model, config.policy.cache_dir)
    result = pretrain_game(config.policy, config.pretrain, campaign.game, config.game.prompt, config.game.options)
    verb = "reused" if result.reused else f"trained in {result.wall_time_s:.0f} s ({result.num_steps} steps)"
    progress.say(f"pretrained tiny model {verb}: plays the teacher's move in {result.fidelity:.1%} of held-out "
                 f"positions, legal in {result.legal_rate:.1%}")
    campaign.tracker.log_metrics(campaign.state.parent_run_id, {"pretrain/fidelity": result.fidelity,
                                                                "pretrain/legal_rate": result.legal_rate}, step=0)
    return result.folder


def _players(campaign: GameCampaign, names: set[str], temperature: float, seed: int) -> dict[str, Any]:
    """Name -> player: league members as frozen models (sampled at `temperature`), the rest reference players."""
    config, league = campaign.config, campaign.league
    players = {}
    for name in names:
        if name in league.folders:
            players[name] = ModelPlayer(name, _model(campaign, league.folders[name]), config.game.prompt, temperature,
                                        config.train.max_completion_length)
        else:
            players[name] = campaign.game.player(name, seed=f"{seed}:{name}")
    return players


def _model(campaign: GameCampaign, folder: str) -> Any:
    """A loaded policy per model folder, kept for the campaign (frozen: never trained in place)."""
    if folder not in campaign.models:
        campaign.models[folder] = load_policy(campaign.config.policy, model=folder)
    return campaign.models[folder]


def _turns_of(game: Game, opening: Any, record: GameRecord, name: str) -> list[int]:
    """For each position where `name` was to move in `record`: how many of the record's moves came before it."""
    state, turns = opening.state, []
    for count, text in enumerate(record.moves):
        if record.players[game.to_move(state)] == name:
            turns.append(count)
        state = game.apply(state, game.parse_move(text))
    if record.illegal is not None and record.players[record.illegal.side] == name:
        turns.append(len(record.moves))  # the position it answered illegally: worth training on most
    return turns


def _results(records: Sequence[GameRecord]) -> list[list[Any]]:
    return [[r.players[0], r.players[1], r.outcome.points(0)] for r in records if r.players[0] != r.players[1]]


def _generation_run(campaign: GameCampaign, generation: int) -> str | None:
    state = campaign.state
    run_id = run_logging.generation_run(campaign.tracker, state.parent_run_id, generation,
                                        state.generation_run_ids.get(str(generation)))
    if run_id is not None and state.generation_run_ids.get(str(generation)) != run_id:
        state.generation_run_ids[str(generation)] = run_id
        campaign.save()
    return run_id


def _out_of_time(campaign: GameCampaign) -> bool:
    budget = campaign.config.time_budget_s
    elapsed = campaign.state.elapsed_s + time.monotonic() - campaign.started
    return budget is not None and elapsed >= budget


def _save_json(path: Path, data: Any) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data))
    temporary.replace(path)


def _load_json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.exists() else default
