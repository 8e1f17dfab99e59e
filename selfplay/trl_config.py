"""The only module that knows TRL's field names: our settings -> GRPOConfig, RLOOConfig, SFTConfig.

Upgrading the pinned TRL touches this file alone. `train.extra` passes any
further TRL field verbatim; an unknown one is an error naming the field.

    >>> args = rl_config(config.train, reward_weights=[1.0, 0.1], output_dir="runs/x/generation-1/trainer", seed=0)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from policy.errors import SettingError
from policy.precision import bf16_supported
from selfplay.config import ExpertIterationSettings, TrainSettings


def rl_config(train: TrainSettings, reward_weights: list[float], output_dir: str, seed: int, num_processes: int = 1):
    """A GRPOConfig or RLOOConfig for one generation of training, with train.batch_size split over the processes."""
    from trl import GRPOConfig, RLOOConfig

    if train.batch_size % num_processes:
        raise SettingError(f"train.batch_size ({train.batch_size}) must be divisible by the {num_processes} processes")
    common = dict(
        output_dir=output_dir,
        max_steps=train.max_steps,
        per_device_train_batch_size=train.batch_size // num_processes,
        gradient_accumulation_steps=train.gradient_accumulation_steps,
        learning_rate=train.learning_rate,
        lr_scheduler_type=train.lr_scheduler_type,
        warmup_steps=train.warmup_steps,
        num_generations=train.num_generations,
        temperature=train.temperature,
        top_p=train.top_p,
        beta=train.beta,
        num_iterations=train.num_iterations,
        epsilon=train.epsilon,
        epsilon_high=train.epsilon_high,
        max_completion_length=train.max_completion_length,
        mask_truncated_completions=train.mask_truncated_completions,
        gradient_checkpointing=train.gradient_checkpointing,
        reward_weights=reward_weights,
        use_vllm=train.use_vllm,
        vllm_mode=train.vllm_mode,
        vllm_server_base_url=train.vllm_server_base_url,
        logging_steps=train.logging_steps,
        save_strategy="steps",
        save_steps=train.save_steps,
        save_total_limit=1,  # only the latest checkpoint is needed to resume a generation
        report_to="none",  # selfplay logs to MLflow itself (selfplay/tracking.py)
        log_completions=True,  # TRL then writes rollouts to output_dir/completions/*.parquet
        num_completions_to_print=0,
        seed=seed,
        bf16=bf16_supported(),
        disable_tqdm=False,
        dataloader_num_workers=0,
        shuffle_dataset=True,
    )
    if train.algorithm == "grpo":
        common.update(loss_type=train.loss_type, scale_rewards=train.scale_rewards)
        return _construct(GRPOConfig, common, train.extra)
    common.update(normalize_advantages=train.scale_rewards != "none")
    return _construct(RLOOConfig, common, train.extra)


def sft_config(settings: ExpertIterationSettings, output_dir: str, seed: int, max_length: int | None, num_processes: int = 1,
               schedule: str = "constant"):
    """An SFTConfig for expert iteration on the champion's verified solutions (or, with schedule "cosine" and a
    5% warm-up, for fitting a target as closely as the steps allow: search distillation)."""
    from trl import SFTConfig

    return SFTConfig(
        output_dir=output_dir,
        max_steps=settings.max_steps,
        per_device_train_batch_size=max(1, settings.batch_size // num_processes),
        learning_rate=settings.learning_rate,
        lr_scheduler_type=schedule,
        warmup_steps=0 if schedule == "constant" else max(1, settings.max_steps // 20),
        completion_only_loss=True,
        max_length=max_length,
        gradient_checkpointing=False,
        save_strategy="no",
        report_to="none",
        seed=seed,
        bf16=bf16_supported(),
        logging_steps=max(1, settings.max_steps // 5),
    )


def _construct(cls: type, values: dict[str, Any], extra: dict[str, Any]):
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(extra) - known)
    if unknown:
        raise SettingError(f"train.extra: {cls.__name__} has no field {unknown[0]!r}")
    return cls(**{**values, **extra})
