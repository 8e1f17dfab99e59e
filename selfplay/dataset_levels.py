"""A campaign's data sets: what each left out, and levels from the initial policy's solve rates.

A user's data rarely says how hard each row is. With the option

    environments:
      - name: dataset
        options: {source: data.jsonl, checker: number, levels_from_solve_rate: {num_levels: 3, samples: 4, max_rows: 256}}

generation 0 (the initial policy, before any training) answers up to `max_rows`
training rows and up to `max_rows` held-out rows `samples` times each, at the
rollout temperature as selection does, and the environment buckets the rows
by solve rate, most often solved first (DatasetEnvironment.assign_levels); a
level with fewer held-out rows than eval.num_problems joins the next one.
Rows not measured are left out. The rates go to RUN_DIR/dataset_levels.json,
so a resumed campaign rebuilds the same levels without sampling again, and
refuses to go on if the data changed since.

Caveat: held-out rows are levelled by the policy that generation 0 is then
evaluated as, so its per-level pass@1 is biased (a row solved by luck lands
in an easy level); its overall pass@1 and later generations' are not.

    check(config, configured)                   # launch, before anything is written
    configured = restore(run_dir, configured)   # launch and resume: levels measured earlier
    if assign(campaign, policy): ...            # generation 0: measure, save, and the eval set changes
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from env.dataset import DatasetEnvironment, Level
from env.errors import UserError
from env.problem import SPLITS
from selfplay import distributed, progress
from selfplay.config import CampaignConfig
from selfplay.environments import ConfiguredEnvironment
from selfplay.filtering import ChampionSamples, sample_champion

if TYPE_CHECKING:
    from policy.loader import Policy
    from selfplay.campaign import Campaign

LEVELS_FILE = "dataset_levels.json"


def check(config: CampaignConfig, configured: dict[str, ConfiguredEnvironment]) -> None:
    """Say what each data set left out; refuse levels by solve rate when fewer than eval.num_problems held-out rows
    would be measured (a level with fewer joins the next, so enough for one level is enough)."""
    for name, entry in _datasets(configured).items():
        environment = entry.environment
        _say(environment.data_report().summary(), soft_wrap=True)
        settings = environment.levels_from_solve_rate
        if settings is None:
            continue
        measured = _num_measured(environment, "eval", settings.max_rows)
        if measured < config.eval.num_problems:
            raise UserError(
                f"environments.{name}.options.levels_from_solve_rate: max_rows ({settings.max_rows}) measures {measured} "
                f"held-out rows, fewer than eval.num_problems ({config.eval.num_problems}) for a single level; raise "
                f"max_rows or lower eval.num_problems (to about {max(1, measured // settings.num_levels)} for "
                f"{settings.num_levels} levels)"
            )


def restore(run_dir: Path, configured: dict[str, ConfiguredEnvironment]) -> dict[str, ConfiguredEnvironment]:
    """The environments with the levels saved in the run folder (none saved yet: unchanged)."""
    saved = _read(run_dir)
    restored = dict(configured)
    for name, entry in _datasets(configured).items():
        if name not in saved:
            continue
        environment, record = entry.environment, saved[name]
        if record["fingerprint"] != environment.fingerprint():
            raise UserError(f"{name}: the data changed since generation 0 measured its levels ({run_dir / LEVELS_FILE}); "
                            "put the original data back, or launch a new campaign")
        environment.assign_levels(record["solve_rate"], record["num_levels"], record["min_held_out"])
        restored[name] = replace(entry, levels=environment.difficulties)
    return restored


def assign(campaign: "Campaign", policy: "Policy") -> bool:
    """Measure `policy`'s solve rates on the data sets that ask for it and level them; True if any was."""
    saved = _read(campaign.run_dir)
    pending = {name: entry for name, entry in _datasets(campaign.configured).items()
               if entry.environment.levels_from_solve_rate and name not in saved}
    if not pending:
        return False
    config = campaign.config
    policy.model.to(distributed.device())
    for name, entry in pending.items():
        environment = entry.environment
        settings = environment.levels_from_solve_rate
        problems = [environment.problem(config.seed, index, 1, split)
                    for split in SPLITS for index in range(_num_measured(environment, split, settings.max_rows))]
        campaign.progress.phase(0, "levels")
        samples = ChampionSamples.of(distributed.map_sharded(problems, lambda shard: sample_champion(
            policy, shard, campaign.rewards, settings.samples, config.train.temperature,
            config.train.max_completion_length, config.seed, config.eval.batch_size,
        ).per_problem()))
        rates = {problem.key: samples.success_rate(i) for i, problem in enumerate(samples.problems)}
        num_rows = environment.row_count(1, "train") + environment.row_count(1, "eval")
        levels = environment.assign_levels(rates, settings.num_levels, config.eval.num_problems)
        saved[name] = {"num_levels": settings.num_levels, "samples": settings.samples, "min_held_out": config.eval.num_problems,
                       "fingerprint": environment.fingerprint(), "levels": _describe(levels), "solve_rate": rates}
        campaign.configured[name] = replace(entry, levels=environment.difficulties)
        _say(f"{name}: levels from generation 0's solve rate ({settings.samples} samples a row): " + ", ".join(
            f"{number} = {level.label} ({len(level.train)} train, {len(level.eval)} held out)" for number, level in levels.items())
            + (f"; {num_rows - len(rates)} rows not measured are left out (levels_from_solve_rate.max_rows "
               f"{settings.max_rows})" if len(rates) < num_rows else ""), soft_wrap=True)
    _write(campaign.run_dir, saved)
    return True


def _datasets(configured: dict[str, ConfiguredEnvironment]) -> dict[str, ConfiguredEnvironment]:
    return {name: entry for name, entry in configured.items() if isinstance(entry.environment, DatasetEnvironment)}


def _num_measured(environment: DatasetEnvironment, split: str, max_rows: int | None) -> int:
    """Rows measured in a split: all of them, or max_rows (the first of the seed's order, a random sample)."""
    count = environment.row_count(1, split)
    return count if max_rows is None else min(count, max_rows)


def _describe(levels: dict[int, Level]) -> dict[str, Any]:
    return {str(number): {"label": level.label, "train": len(level.train), "eval": len(level.eval)}
            for number, level in levels.items()}


def _read(run_dir: Path) -> dict[str, Any]:
    path = Path(run_dir) / LEVELS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _write(run_dir: Path, saved: dict[str, Any]) -> None:
    """Written by the main process (all computed the same levels from the gathered samples); everyone waits."""
    if distributed.is_main_process():
        path = Path(run_dir) / LEVELS_FILE
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(saved, indent=1))
        temporary.replace(path)
    distributed.wait_for_everyone()


def _say(*message: Any, **options: Any) -> None:
    if distributed.is_main_process():
        progress.say(*message, **options)
