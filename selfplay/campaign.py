"""The self-improvement campaign: generations of RL on verifiable rewards, gated like AlphaGo Zero.

    $ selfplay launch configs/quickstart.yaml
    $ selfplay resume runs/quickstart

Generation 0 is the initial policy (the tiny model pretrained by imitation of
a systematically wrong teacher, or any model the loader reaches). Then, for
each generation:

  select    draw training problems at each environment's current level; the
            champion answers each k times and only problems it solves
            sometimes are kept (zero-variance groups teach GRPO nothing:
            DAPO's dynamic sampling, done once up front)
  expert_iteration (on by default; expert_iteration.enabled=false skips it)
            fine-tune on the champion's own verified solutions (STaR, ReST-EM)
  train     GRPO (DeepSeekMath) or RLOO with TRL on the kept problems
  evaluate  greedy pass@1 and pass@k on a fixed held-out set
  gate      the candidate becomes champion only if it beats the champion on
            the same problems (AlphaGo Zero; by default it must win 55% of the
            problems where exactly one of the two is right)
  curriculum
            an environment moves up a level when the champion masters it

  stall     when candidates keep being rejected or a level stops moving, say
            so and apply the remedy `stall.remedy` names (selfplay/stall.py)

Deliberate deviations: a rejected candidate is dropped and the next
generation starts again from the champion (AlphaGo Zero kept training one
network and only gated the self-play player), unless the campaign has
stalled and its remedy is to continue from the candidate; selection samples
once per generation rather than per batch, because TRL has no dynamic
sampling.

Every phase writes its result to the run folder and the state atomically
before it is logged, so a campaign killed at any point resumes where it was.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any


from env.environment import Environment
from env.errors import TooFewProblems
from env.problem import Problem
from policy.errors import SettingError
from policy.evaluation import EvalResult, evaluate
from policy.loader import Policy, check_model_spec, load_policy, resolve_model_folder
from policy.pretrain import check_settings as check_pretraining, pretrain
from policy.sampling import check_fits
from rewards.compose import RewardSet, RewardSpec, build_rewards
from rewards.sandbox import VerifierPool
from selfplay import distributed
from selfplay.config import CampaignConfig
from selfplay.config_loader import load_run_config, to_yaml
from selfplay.console import output_console
from selfplay.curriculum import next_difficulty
from selfplay.errors import CampaignError
from selfplay.filtering import ChampionSamples, explore, learnable, sample_champion, verified_solutions
from selfplay.gating import GateDecision, decide
from selfplay.environments import ConfiguredEnvironment, build_environments
from selfplay.problems import eval_problems, training_problems
from selfplay import dataset_levels, progress, run_logging
from selfplay.progress import CampaignProgress
from selfplay.report import gate_rule, generations_table, per_level_pass_at_1
from selfplay.stall import detect_stall, remedied_train_settings
from selfplay.state import CONFIG_FILE, CampaignState, GenerationRecord
from selfplay.tracking import NullTracker, Tracker, TrackingError, is_tracking_failure, resolve_tracking_uri, without_credentials
from selfplay.training import check_supported, latest_checkpoint, rollout_rows, run_expert_iteration, run_rl

@dataclass
class Campaign:
    """What a running campaign works with; built once per launch or resume."""

    config: CampaignConfig
    run_dir: Path
    state: CampaignState
    configured: dict[str, ConfiguredEnvironment]
    rewards: RewardSet
    eval_set: list[Problem]
    tracker: Tracker | NullTracker  # a NullTracker, which logs nothing, on processes other than the main one
    progress: CampaignProgress  # the console's live display (shows nothing on processes other than the main one)
    verifier: VerifierPool  # scores every completion; keeps the first checker errors for the record
    started: float = field(default_factory=time.monotonic)

    @property
    def environments(self) -> dict[str, Environment]:
        return {name: c.environment for name, c in self.configured.items()}

    def generation_dir(self, generation: int) -> Path:
        return self.run_dir / "generations" / f"{generation:04d}"

    def save_state(self) -> None:
        if distributed.is_main_process():
            self.state.elapsed_s = round(self.state.elapsed_s + time.monotonic() - self.started, 1)
            self.started = time.monotonic()
            self.state.save(self.run_dir)


# -- entry points -------------------------------------------------------------------
def launch(config: CampaignConfig, run_dir: str | Path | None = None, tracking_uri: str | None = None) -> CampaignState:
    """Start a new campaign in `run_dir` (default: output_dir/name).

    Validate, then write: the environments (one problem per level and split),
    the model, the run folder and the tracking store are checked before the run
    folder or the MLflow experiment exists, so a launch that fails there leaves
    nothing behind and the corrected command simply runs.
    """
    run_dir = Path(run_dir or Path(config.output_dir) / config.name)
    if config.game is not None:  # a game campaign: its own loop (selfplay/game_campaign.py)
        from selfplay.game_campaign import launch_game
        return launch_game(config, run_dir, tracking_uri)
    configured = build_environments(config)  # bad names, options, levels and generators, before any model loads
    _held_out_set(config, configured)  # a level too small for eval.num_problems
    if config.pretrain.runs_for(config.policy.model):  # ... or for pretraining's own held-out sets
        check_pretraining(config.pretrain, {name: c.environment for name, c in configured.items()})
    dataset_levels.check(config, configured)  # a data set's left-out rows said; levels by solve rate too small
    check_model_spec(config.policy.model, config.policy.cache_dir)  # and a model that cannot be found
    check_supported(config)  # LoRA with ZeRO-3/FSDP, vLLM rollouts without vllm
    if (run_dir / "state.json").exists():
        raise CampaignError(f"{run_dir} already holds a campaign; `selfplay resume {run_dir}` continues it")
    if distributed.is_main_process():  # the tracking store last: TrackingError if unreachable, else the experiment opens
        uri = resolve_tracking_uri(tracking_uri, config.tracking.tracking_uri, config.output_dir)
        Tracker(uri, config.name, config.output_dir)
    distributed.wait_for_everyone()  # every process has looked before the main one writes
    if distributed.is_main_process():
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / CONFIG_FILE).write_text(to_yaml(config))
        CampaignState(name=config.name).save(run_dir)
    distributed.wait_for_everyone()
    return _run(config, run_dir, configured, tracking_uri)


def resume(run_dir: str | Path, tracking_uri: str | None = None) -> CampaignState:
    """Continue a campaign that stopped (killed, failed, or out of time) where it was."""
    run_dir = Path(run_dir)
    config = load_run_config(run_dir)  # ConfigError for a missing folder, config or state
    if config.game is not None:
        from selfplay.game_campaign import resume_game
        return resume_game(config, run_dir, tracking_uri)
    check_supported(config)  # relaunched under another accelerate config, say
    return _run(config, run_dir, build_environments(config), tracking_uri)


# -- the loop -------------------------------------------------------------------------
def _run(config: CampaignConfig, run_dir: Path, configured: dict[str, ConfiguredEnvironment], tracking_uri: str | None) -> CampaignState:
    state = CampaignState.load(run_dir)
    distributed.check_same_everywhere(config, run_dir)
    if state.status == "finished":
        _say(f"{run_dir}: the campaign already finished")
        return state
    main = distributed.is_main_process()
    tracker = NullTracker()  # only the main process writes to MLflow
    if main:
        uri = resolve_tracking_uri(tracking_uri or state.tracking_uri, config.tracking.tracking_uri, config.output_dir)
        tracker = Tracker(uri, config.name, config.output_dir)
        state.tracking_uri = without_credentials(uri)
    specs = {name: c.spec for name, c in configured.items()}
    verifier = config.verifier
    with progress.library_output(run_dir, main) as stream, \
            CampaignProgress(output_console(stream), config.name, config.generations, state.elapsed_s, main) as display, \
            VerifierPool(specs, verifier.num_workers, verifier.timeout_s, verifier.memory_mb, verifier.max_error_rate) as pool:
        rewards = build_rewards([RewardSpec(r.name, r.weight, r.options) for r in config.rewards], specs, pool)
        configured = dataset_levels.restore(run_dir, configured)  # levels a data set got from generation 0
        held_out = _held_out_set(config, configured)
        campaign = Campaign(config, run_dir, state, configured, rewards, held_out, tracker, display, pool)
        state.status = "running"
        state.parent_run_id = run_logging.open_campaign(tracker, config, run_dir, state.parent_run_id)
        campaign.save_state()
        _summarize(campaign)
        try:
            if state.phase == "baseline":
                _baseline(campaign)
            while (state.generation <= config.generations and not _mastered(campaign)
                   and not distributed.main_decides(_out_of_time(campaign))):
                _generation(campaign)
            state.status = "finished" if state.generation > config.generations or _mastered(campaign) else "stopped"
            if _mastered(campaign) and state.generation <= config.generations:
                _say(f"every level mastered (the champion, generation {state.champion_generation}, holds pass@1 >= "
                     f"{config.curriculum.finish_threshold} at each): the campaign finishes early")
            campaign.save_state()
            _summarize(campaign)
            tracker.finish(state.parent_run_id)
        except BaseException as error:
            _stop(campaign, "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED")
            if is_tracking_failure(error):
                raise TrackingError(
                    f"the MLflow tracking store failed mid-campaign ({str(error).strip().splitlines()[0][:200]}); "
                    f"state and checkpoints are saved: `selfplay resume {run_dir}` continues when it is back"
                ) from error
            raise
    gate = gate_rule(config.gate.test, config.gate.significance, config.gate.min_win_rate, config.gate.min_margin)
    _say(generations_table(state.history, title=f"campaign {config.name}", gate=gate))
    return state


def _baseline(campaign: Campaign) -> None:
    """Generation 0: the initial policy, evaluated and registered as the first champion."""
    config, state = campaign.config, campaign.state
    started = time.monotonic()
    folder = _initial_policy_folder(campaign)
    policy = load_policy(config.policy, model=folder)
    if dataset_levels.assign(campaign, policy):  # levels from this policy's solve rates: the held-out set changes
        campaign.eval_set = _held_out_set(config, campaign.configured)
    check_fits(policy, [p.prompt for p in campaign.eval_set], config.train.max_completion_length, "train.max_completion_length")
    campaign.progress.phase(0, "evaluate")
    result = _evaluate(campaign, policy, generation=0)
    state.champion_generation, state.champion_folder, state.parent_folder = 0, folder, folder
    state.difficulty = {name: c.entry.start_difficulty for name, c in campaign.configured.items()}
    record = _record(campaign, 0, True, result, None, dict(state.difficulty), time.monotonic() - started)
    state.history.append(record)
    _log(campaign, record, result, "initial policy", {"generation": 0, "model": folder, **_levels(record)})
    campaign.progress.metrics(pass_at_1=result.pass_at_1)
    state.generation, state.phase = 1, "select"
    campaign.save_state()


def _generation(campaign: Campaign) -> None:
    """One generation, phase by phase; each phase leaves its output on disk before the state moves on."""
    config, state = campaign.config, campaign.state
    generation, folder = state.generation, campaign.generation_dir(state.generation)
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    timings = _load_json(folder / "timings.json", {})
    phases = [  # (phase, what it does, the phase after it)
        ("select", lambda: _select(campaign, folder), "expert_iteration" if config.expert_iteration.enabled else "train"),
        ("expert_iteration", lambda: _expert_iteration(campaign, folder), "train"),
        ("train", lambda: _train(campaign, folder), "evaluate"),
        ("evaluate", lambda: _evaluate(campaign, load_policy(config.policy, model=str(folder / "candidate")), generation), "gate"),
    ]
    for phase, run, next_phase in phases:
        if state.phase == phase:
            campaign.progress.phase(generation, phase)
            _timed(timings, f"{phase}_s", run)
            _save_json(folder / "timings.json", timings)
            state.advance(next_phase)
            campaign.save_state()
    if state.phase == "gate":
        campaign.progress.phase(generation, "gate")
        candidate, params = _load_eval(folder), _generation_params(campaign)
        decision = _gate(campaign, folder, candidate)
        trained_on = _advance_curriculum(campaign)
        record = _record(campaign, generation, decision.promoted, candidate, decision, trained_on, time.monotonic() - started)
        state.history.append(record)
        _log(campaign, record, candidate, decision.reason, {**params, **_levels(record)})
        _report(campaign, record, decision)
        _watch_for_stall(campaign, folder)
        state.generation, state.phase = generation + 1, "select"
        campaign.save_state()


# -- phases -----------------------------------------------------------------------------
def _select(campaign: Campaign, folder: Path) -> None:
    """Training problems for this generation, and the champion's verified solutions for expert iteration."""
    config, state = campaign.config, campaign.state
    weights = {name: c.entry.weight for name, c in campaign.configured.items()}
    seed = config.seed * 100_003 + state.generation
    review = {name: [level for level in c.levels if level < state.difficulty[name]] for name, c in campaign.configured.items()}
    preview = {name: next((level for level in c.levels if level > state.difficulty[name]), None)
               for name, c in campaign.configured.items()}
    candidates = training_problems(
        campaign.environments, weights, state.difficulty, config.train.num_problems, seed, review,
        config.curriculum.review_fraction, preview, config.curriculum.preview_fraction,
    )
    selected, solutions, learnable_fraction = candidates, [], 1.0
    num_frontier = num_frontier_solved = 0
    if config.curriculum.filter_zero_variance or config.expert_iteration.enabled:
        champion = load_policy(config.policy, model=_parent(state))
        champion.model.to(distributed.device())
        samples = ChampionSamples.of(distributed.map_sharded(candidates, lambda shard: sample_champion(
            champion, shard, campaign.rewards, config.curriculum.filter_samples, config.train.temperature,
            config.train.max_completion_length, seed, config.eval.batch_size,
        ).per_problem()))
        kept = learnable(samples)
        learnable_fraction = len(kept) / len(candidates)
        if config.curriculum.filter_zero_variance and kept:
            selected = kept  # with none learnable, train on all rather than on nothing
        solutions = verified_solutions(samples, config.expert_iteration.max_success_rate, config.expert_iteration.max_examples)
        if config.expert_iteration.enabled and config.expert_iteration.frontier_samples:
            frontier = _explore_frontier(campaign, champion, samples, seed)
            solutions += verified_solutions(frontier, 1.0, config.expert_iteration.max_examples - len(solutions))
            num_frontier, num_frontier_solved = len(frontier.problems), sum(any(c) for c in frontier.correct)
    _save_json(folder / "selection.json", {
        "problems": [p.to_row() for p in selected],
        "solutions": [[p.to_row(), completion] for p, completion in solutions],
        "learnable_fraction": learnable_fraction,
        "num_candidates": len(candidates),
        "num_frontier": num_frontier,
        "num_frontier_solved": num_frontier_solved,
    })


def _explore_frontier(campaign: Campaign, champion, samples: ChampionSamples, seed: int) -> ChampionSamples:
    """More samples where the champion's first ones never solved the problem; see filtering.explore."""
    config = campaign.config
    unsolved = ChampionSamples.of([row for row in samples.per_problem() if not any(row[2])])
    return ChampionSamples.of(distributed.map_sharded(unsolved.per_problem(), lambda shard: explore(
        champion, ChampionSamples.of(shard), campaign.rewards, config.expert_iteration.frontier_samples,
        config.train.temperature, config.train.max_completion_length, seed, config.eval.batch_size,
    ).per_problem()))


def _expert_iteration(campaign: Campaign, folder: Path) -> None:
    config, state = campaign.config, campaign.state
    selection = _load_json(folder / "selection.json", None)
    pairs = [(Problem.from_row(row), completion) for row, completion in selection["solutions"]]
    if not pairs:
        return
    policy = load_policy(config.policy, model=_parent(state))
    seed = config.seed * 100_003 + state.generation
    run_expert_iteration(policy, pairs, config.expert_iteration, folder / "expert_iteration_trainer", seed,
                         save_to=folder / "expert_iteration", lora=config.policy.lora)


def _train(campaign: Campaign, folder: Path) -> None:
    """RL from the champion (or its expert-iteration update) into generations/N/candidate."""
    config, state = campaign.config, campaign.state
    start = folder / "expert_iteration" if (folder / "expert_iteration" / "config.json").exists() else Path(_parent(state))
    policy = load_policy(config.policy, model=str(start))
    problems = [Problem.from_row(row) for row in _load_json(folder / "selection.json", None)["problems"]]
    run_id = _generation_run_id(campaign, state.generation)
    steps_before = (state.generation - 1) * config.train.max_steps  # the generations' curves follow each other
    callbacks = [campaign.tracker.training_callback(run_id, steps_before), campaign.progress.training_callback()]
    trainer_dir = folder / "trainer"
    if latest_checkpoint(trainer_dir):
        _say(f"generation {state.generation}: resuming training from {latest_checkpoint(trainer_dir)}")
    seed = config.seed * 100_003 + state.generation
    remedied = replace(config, train=remedied_train_settings(config.train, config.stall, state.remedy))
    run_rl(policy, problems, campaign.rewards, remedied, trainer_dir, callbacks, seed, save_to=folder / "candidate")
    _save_json(folder / "rollouts.json", rollout_rows(trainer_dir, config.eval.num_rollouts_logged))
    if distributed.is_main_process():
        for checkpoint in trainer_dir.glob("checkpoint-*"):  # the candidate folder replaces them
            shutil.rmtree(checkpoint, ignore_errors=True)


def _evaluate(campaign: Campaign, policy: Policy, generation: int) -> EvalResult:
    """Evaluate on the fixed held-out set; results are saved per generation for gating and for the record."""
    config = campaign.config
    settings = config.eval.settings(config.train.max_completion_length, seed=config.seed)
    _say(f"generation {generation}: evaluating on {len(campaign.eval_set)} held-out problems")
    policy.model.to(distributed.device())
    rows = distributed.map_sharded(campaign.eval_set, lambda shard: evaluate(policy, shard, campaign.rewards, settings).rows)
    result = EvalResult(rows, list(campaign.rewards.names))
    folder = campaign.generation_dir(generation)
    if distributed.is_main_process():
        folder.mkdir(parents=True, exist_ok=True)
    _save_json(folder / "eval.json", {"rows": result.rows, "reward_names": result.reward_names})
    return result


def _gate(campaign: Campaign, folder: Path, candidate: EvalResult) -> GateDecision:
    """Promote the candidate if it beats the champion on the same held-out problems; choose the next parent."""
    config, state = campaign.config, campaign.state
    champion = _load_eval(campaign.generation_dir(state.champion_generation))
    level_of = {row["problem_id"]: f"{row['env']}/{row['difficulty']}" for row in champion.rows}
    decision = decide(config.gate, candidate.correct_by_problem(), champion.correct_by_problem(), level_of)
    if decision.promoted:
        state.champion_generation, state.champion_folder = state.generation, str(folder / "candidate")
    promoted_or_kept = decision.promoted or config.gate.on_reject == "candidate"
    state.parent_folder = str(folder / "candidate") if promoted_or_kept else state.champion_folder
    return decision


def _watch_for_stall(campaign: Campaign, folder: Path) -> None:
    """Say so when the campaign stops improving, and set the remedy the config names for the next generation."""
    config, state = campaign.config, campaign.state
    stall = detect_stall(state.history, config.stall, state.difficulty, config.curriculum.advance_threshold)
    state.remedy = stall.remedy if stall and stall.remedy != "none" else None
    if stall is None:
        return
    if state.remedy == "continue_from_candidate":
        state.parent_folder = str(folder / "candidate")
    _say(f"generation {state.generation}: [yellow]stalled[/yellow] ({stall.reason}); remedy for the next generation: "
         f"{stall.remedy}", soft_wrap=True)
    tags = {"selfplay.stalled": stall.reason, "selfplay.remedy": stall.remedy}
    campaign.tracker.set_tags(state.parent_run_id, {**tags, "selfplay.stalled_at_generation": state.generation})
    run_id = state.generation_run_ids.get(str(state.generation))
    if run_id:
        campaign.tracker.set_tags(run_id, tags)


def _advance_curriculum(campaign: Campaign) -> dict[str, int]:
    """Move each environment up a level its champion has mastered; returns the levels this generation trained on."""
    config, state = campaign.config, campaign.state
    trained_on = dict(state.difficulty)
    champion = _load_eval(campaign.generation_dir(state.champion_generation))
    state.difficulty = next_difficulty(
        state.difficulty, per_level_pass_at_1(champion), {n: c.levels[-1] for n, c in campaign.configured.items()},
        config.curriculum.advance_threshold,
    )
    return trained_on


def _log(campaign: Campaign, record: GenerationRecord, result: EvalResult, gate: str, params: dict[str, Any]) -> None:
    """The generation in MLflow: its run, the parent's curves, the promoted model, the campaign's summary."""
    config, state, tracker = campaign.config, campaign.state, campaign.tracker
    folder = campaign.generation_dir(record.generation)
    selection = _load_json(folder / "selection.json", {})
    extra = {f"time/{key}": value for key, value in _load_json(folder / "timings.json", {}).items()}
    if selection:
        extra.update({
            "select/learnable_fraction": selection.get("learnable_fraction", 1.0),
            "select/num_train_problems": len(selection.get("problems", [])),
            "select/num_verified_solutions": len(selection.get("solutions", [])),
            "select/num_frontier_solved": selection.get("num_frontier_solved", 0),
        })
    run_id = run_logging.log_generation(
        tracker, state.parent_run_id, state.generation_run_ids.get(str(record.generation)), record, result,
        _load_json(folder / "rollouts.json", []), gate, params, extra, selection.get("problems", []),
    )
    _remember_run(campaign, record.generation, run_id)
    if campaign.verifier.errors:  # a checker that raised on some completions: keep them, so the bug is seen
        errors = [asdict(error) for error in campaign.verifier.errors]
        tracker.log_text(run_id, json.dumps(errors, indent=2), "verifier_errors.json")
        tracker.log_metrics(run_id, {"verifier/errors_total": campaign.verifier.error_count}, step=record.generation)
    if record.promoted:
        run_logging.register_champion(tracker, run_id, state.champion_folder, record.generation, config.tracking.registration,
                                      campaign.eval_set[0].prompt, config.train.max_completion_length, config.name,
                                      record.pass_at_1)
    tracker.finish(run_id)
    _summarize(campaign)


def _report(campaign: Campaign, record: GenerationRecord, decision: GateDecision) -> None:
    """The gate's verdict and the next levels, on the console."""
    verdict = "[green]promoted[/green]" if decision.promoted else "[red]rejected[/red]"
    levels = ", ".join(f"{env} {level}" for env, level in campaign.state.difficulty.items())
    _say(f"generation {record.generation}: pass@1 {record.pass_at_1:.3f} {verdict} ({decision.reason}); "
         f"next level: {levels}", soft_wrap=True)
    champion = next((r for r in campaign.state.history if r.generation == record.champion_generation), record)
    campaign.progress.metrics(pass_at_1=champion.pass_at_1)


# -- helpers ---------------------------------------------------------------------------
def _initial_policy_folder(campaign: Campaign) -> str:
    """Generation 0: the configured model, pretrained by imitation (always the tiny model; a real one when enabled)."""
    config = campaign.config
    if config.policy.model != "tiny":  # a GGUF file is converted once, by the main process
        folder = distributed.run_on_main_first(lambda: resolve_model_folder(config.policy.model, config.policy.cache_dir))
        if not config.pretrain.runs_for(config.policy.model):
            return folder
    environments = [(name, c.spec, c.entry.weight) for name, c in campaign.configured.items()]
    campaign.progress.phase(0, "pretrain")
    result = pretrain(config.policy, config.pretrain, environments)  # every process trains its share
    verb = "reused" if result.reused else f"trained in {result.wall_time_s:.0f} s"
    _say(f"pretrained {'tiny ' if config.policy.model == 'tiny' else ''}model {verb}: held-out pass@1 {result.pass_at_1} "
         f"(teacher {result.teacher_accuracy})")
    run_logging.log_pretraining(campaign.tracker, campaign.state.parent_run_id, result.pass_at_1, result.teacher_accuracy)
    return result.folder


def _record(campaign: Campaign, generation: int, promoted: bool, result: EvalResult, decision: GateDecision | None,
            difficulty: dict[str, int], wall_time_s: float) -> GenerationRecord:
    """What the generation produced; `decision` is None for generation 0, which no gate judged."""
    elapsed = campaign.state.elapsed_s + time.monotonic() - campaign.started
    gated = decision is not None
    return GenerationRecord(
        generation=generation, promoted=promoted, champion_generation=campaign.state.champion_generation,
        pass_at_1=result.pass_at_1, pass_at_k=result.pass_at_k, reward=result.reward, length=result.length,
        p_value=decision.p_value if gated else None, difficulty=difficulty, wall_time_s=round(wall_time_s, 1),
        elapsed_s=round(elapsed, 1), per_level=per_level_pass_at_1(result),
        gate_wins=decision.wins if gated else None, gate_losses=decision.losses if gated else None,
    )


def _held_out_set(config: CampaignConfig, configured: dict[str, ConfiguredEnvironment]) -> list[Problem]:
    """The fixed held-out problems of every environment and level; UserError when a level has too few."""
    environments = {name: c.environment for name, c in configured.items()}
    levels = {name: c.levels for name, c in configured.items()}
    try:
        return eval_problems(environments, levels, config.eval.num_problems, config.seed)
    except TooFewProblems as error:
        raise SettingError(f"eval.num_problems: {error}") from None


def _parent(state: CampaignState) -> str:
    """The model the next generation samples and trains from (state files of older versions lack parent_folder)."""
    return state.parent_folder or state.champion_folder


def _say(*message: Any, **options: Any) -> None:
    """Print once, from the main process, above the campaign's live display."""
    if distributed.is_main_process():
        progress.say(*message, **options)


def _summarize(campaign: Campaign) -> None:
    """Refresh the experiment's and parent run's descriptions and the improvement plot."""
    state = campaign.state
    run_logging.summarize(campaign.tracker, state.parent_run_id, campaign.config, campaign.run_dir, state.history, state.status)


def _generation_run_id(campaign: Campaign, generation: int) -> str | None:
    """The generation's MLflow run, created on first use and remembered in the state for resume."""
    state = campaign.state
    run_id = run_logging.generation_run(campaign.tracker, state.parent_run_id, generation,
                                        state.generation_run_ids.get(str(generation)))
    _remember_run(campaign, generation, run_id)
    return run_id


def _remember_run(campaign: Campaign, generation: int, run_id: str | None) -> None:
    if run_id is not None and campaign.state.generation_run_ids.get(str(generation)) != run_id:
        campaign.state.generation_run_ids[str(generation)] = run_id
        campaign.save_state()


def _stop(campaign: Campaign, status: str) -> None:
    """No run is left RUNNING forever: a stopped campaign marks its runs, resume reopens them."""
    state = campaign.state
    state.status = "failed" if status == "FAILED" else "stopped"
    campaign.save_state()
    run_logging.mark_stopped(campaign.tracker, [state.generation_run_ids.get(str(state.generation)), state.parent_run_id], status)


def _generation_params(campaign: Campaign) -> dict[str, Any]:
    """What makes this generation differ from the others (the config itself is on the parent run)."""
    state = campaign.state
    parent = Path(_parent(state))
    started_from = int(parent.parent.name) if parent.name == "candidate" and parent.parent.name.isdigit() else 0
    return {"generation": state.generation, "generation_seed": campaign.config.seed * 100_003 + state.generation,
            "started_from_generation": started_from, "stall_remedy": state.remedy or "none"}


def _levels(record: GenerationRecord) -> dict[str, int]:
    return {f"difficulty.{env}": level for env, level in record.difficulty.items()}


def _mastered(campaign: Campaign) -> bool:
    """Every environment at its last level, and the champion at curriculum.finish_threshold on every level."""
    threshold, state = campaign.config.curriculum.finish_threshold, campaign.state
    if threshold is None or not state.history or state.phase != "select":
        return False
    champion = next(r for r in state.history if r.generation == state.champion_generation)
    at_top = all(state.difficulty.get(name) == c.levels[-1] for name, c in campaign.configured.items())
    return at_top and all(champion.per_level.get(f"{name}/{level}", 0.0) >= threshold
                          for name, c in campaign.configured.items() for level in c.levels)


def _out_of_time(campaign: Campaign) -> bool:
    budget = campaign.config.time_budget_s
    elapsed = campaign.state.elapsed_s + time.monotonic() - campaign.started
    return budget is not None and campaign.state.phase == "select" and elapsed >= budget


def _timed(timings: dict[str, float], key: str, function) -> Any:
    started = time.monotonic()
    result = function()
    timings[key] = round(timings.get(key, 0.0) + time.monotonic() - started, 2)
    return result


def _load_eval(folder: Path) -> EvalResult:
    data = _load_json(folder / "eval.json", None)
    if data is None:
        raise CampaignError(f"{folder}: no eval.json; the run folder is incomplete")
    return EvalResult(data["rows"], data["reward_names"])


def _save_json(path: Path, data: Any) -> None:
    """Written by the main process; every process waits, so all read the same file next."""
    if distributed.is_main_process():
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data))
        temporary.replace(path)
    distributed.wait_for_everyone()


def _load_json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text()) if path.exists() else default
