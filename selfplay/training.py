"""One generation's training, entirely through TRL: optional expert iteration (SFTTrainer), then GRPO or RLOO.

    >>> run_rl(policy, problems, rewards, config, output_dir, callbacks=[...], seed=4)

The trainers update `policy.model` in place (LoRA adapters are merged back),
and write checkpoints every `train.save_steps` so a killed generation resumes
from its last one.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from env.problem import Problem
from policy.lora import lora_config, merge_adapters
from rewards.compose import RewardSet
from selfplay.config import CampaignConfig, ExpertIterationSettings
from selfplay.problems import trl_rows
from selfplay.trl_config import rl_config, sft_config

if TYPE_CHECKING:
    from policy.loader import Policy


def run_rl(
    policy: "Policy",
    problems: Sequence[Problem],
    rewards: RewardSet,
    config: CampaignConfig,
    output_dir: Path,
    callbacks: list[Any],
    seed: int,
) -> None:
    """GRPO (or RLOO) on `problems`, resuming from the latest checkpoint in `output_dir` if there is one."""
    import datasets
    from trl import GRPOTrainer, RLOOTrainer

    dataset = datasets.Dataset.from_list(trl_rows(problems, policy.prompt_format))
    arguments = rl_config(config.train, rewards.weights, str(output_dir), seed)
    trainer_class = GRPOTrainer if config.train.algorithm == "grpo" else RLOOTrainer
    trainer = trainer_class(
        model=policy.model,
        reward_funcs=rewards.functions,
        args=arguments,
        train_dataset=dataset,
        processing_class=policy.tokenizer,
        peft_config=lora_config(config.policy.lora) if config.policy.lora else None,
        callbacks=callbacks,
    )
    trainer.train(resume_from_checkpoint=latest_checkpoint(output_dir))
    policy.model = merge_adapters(trainer.model)


def run_expert_iteration(
    policy: "Policy", pairs: Sequence[tuple[Problem, str]], settings: ExpertIterationSettings, output_dir: Path, seed: int
) -> None:
    """Supervised fine-tuning on the champion's own verified solutions."""
    import datasets
    from trl import SFTTrainer

    rows = [{"prompt": policy.prompt_format.model_input(p.prompt), "completion": completion} for p, completion in pairs]
    trainer = SFTTrainer(
        model=policy.model,
        args=sft_config(settings, str(output_dir), seed, policy.max_length),
        train_dataset=datasets.Dataset.from_list(rows),
        processing_class=policy.tokenizer,
    )
    trainer.train()
    policy.model = merge_adapters(trainer.model)
    shutil.rmtree(output_dir, ignore_errors=True)


def latest_checkpoint(output_dir: Path) -> str | None:
    """The newest complete `checkpoint-N` folder that TRL wrote, if any."""
    checkpoints = [p for p in Path(output_dir).glob("checkpoint-*") if (p / "trainer_state.json").exists()]
    return str(max(checkpoints, key=lambda p: int(p.name.split("-")[-1]))) if checkpoints else None


def rollout_rows(output_dir: Path, limit: int) -> list[dict[str, Any]]:
    """The last `limit` rollouts TRL recorded (prompt, completion, reward per component, advantage)."""
    import pandas

    files = sorted(Path(output_dir, "completions").glob("*.parquet"))
    if not files:
        return []
    frame = pandas.concat([pandas.read_parquet(f) for f in files[-3:]]).tail(limit)
    frame["prompt"] = frame["prompt"].astype(str)
    frame["completion"] = frame["completion"].astype(str)
    return frame.to_dict("records")
