"""One generation's training, entirely through TRL: optional expert iteration (SFTTrainer), then GRPO or RLOO.

    >>> run_rl(policy, problems, rewards, config, trainer_dir, callbacks=[...], seed=4, save_to=candidate_dir)

The trainers write checkpoints every `train.save_steps`, so a killed
generation resumes from its last one, and save the result as an ordinary
model folder: through `trainer.save_model` on every process (under ZeRO-3 or
FSDP it gathers the sharded weights, a collective), or with LoRA adapters
merged into the weights. `check_supported` refuses, before a run folder
exists, what this module cannot do: LoRA with sharded weights, vLLM rollouts
without vllm.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from env.problem import Problem
from policy.config import LoraSettings
from policy.errors import SettingError
from policy.lora import lora_config, merge_adapters
from policy.prompts import sft_example
from rewards.compose import RewardSet
from selfplay import distributed
from selfplay.config import CampaignConfig, ExpertIterationSettings
from selfplay.problems import trl_rows
from selfplay.trl_config import rl_config, sft_config

if TYPE_CHECKING:
    from policy.loader import Policy


def check_supported(config: CampaignConfig) -> None:
    """SettingError (exit code 2) for training this launch cannot do; called before anything is written."""
    sharded = distributed.sharded_weights()
    if config.policy.lora is not None and sharded:
        raise SettingError(
            f"policy.lora cannot be used when {sharded} shards the weights: the adapters are merged on each "
            "process, which holds only its shard; launch with configs/accelerate/zero2.yaml or ddp.yaml "
            "(docs/scaling.md, FSDP and ZeRO), or remove policy.lora to train every weight"
        )
    if config.train.use_vllm and importlib.util.find_spec("vllm") is None:
        raise SettingError(
            "train.use_vllm is true but vllm is not installed: pip install vllm (TRL 1.16 supports vLLM 0.22 to "
            "0.31; it needs a GPU), or set train.use_vllm=false to generate rollouts with transformers"
        )


def run_rl(
    policy: "Policy",
    problems: Sequence[Problem],
    rewards: RewardSet,
    config: CampaignConfig,
    output_dir: Path,
    callbacks: list[Any],
    seed: int,
    save_to: Path,
) -> None:
    """GRPO (or RLOO) on `problems` into the model folder `save_to`, resuming from a checkpoint in `output_dir`."""
    import datasets
    from trl import GRPOTrainer, RLOOTrainer

    dataset = datasets.Dataset.from_list(trl_rows(problems, policy.prompt_format))
    arguments = rl_config(config.train, rewards.weights, str(output_dir), seed, distributed.num_processes())
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
    _release_vllm(trainer)
    _save(trainer, policy, save_to)


def run_expert_iteration(
    policy: "Policy",
    pairs: Sequence[tuple[Problem, str]],
    settings: ExpertIterationSettings,
    output_dir: Path,
    seed: int,
    save_to: Path,
    lora: LoraSettings | None = None,
) -> None:
    """Supervised fine-tuning on the champion's own verified solutions, into the model folder `save_to`.

    With `lora`, only adapters train (merged into the weights on save), as in the RL step.
    """
    import datasets
    from trl import SFTTrainer

    rows = [sft_example(policy.prompt_format.model_input(p.prompt), completion) for p, completion in pairs]
    trainer = SFTTrainer(
        model=policy.model,
        args=sft_config(settings, str(output_dir), seed, policy.max_length, distributed.num_processes()),
        train_dataset=datasets.Dataset.from_list(rows),
        processing_class=policy.tokenizer,
        peft_config=lora_config(lora) if lora else None,
    )
    trainer.train()
    _save(trainer, policy, save_to)
    shutil.rmtree(output_dir, ignore_errors=True)


def _save(trainer: Any, policy: "Policy", folder: Path) -> None:
    """Every process calls this; only the main process writes.

    `trainer.save_model` must run on every process: under ZeRO-3 and FSDP it
    gathers the full state dict (accelerate's `get_state_dict`), a collective
    that hangs if a process is missing, and transformers then writes from the
    main process alone. ZeRO-3 needs `zero3_save_16bit_model: true` and FSDP
    `FULL_STATE_DICT` for that (configs/accelerate/). The LoRA merge needs
    every weight on every process, hence `check_supported`.
    """
    if hasattr(trainer.model, "merge_and_unload"):  # LoRA (DDP, ZeRO-2, one process): fold the adapters in
        policy.model = merge_adapters(trainer.model)
        if distributed.is_main_process():
            policy.save(folder)
    else:
        trainer.save_model(str(folder))  # model and tokenizer
        policy.model = trainer.model
        if distributed.is_main_process():
            policy.prompt_format.save(folder)
    distributed.wait_for_everyone()


def _release_vllm(trainer: Any) -> None:
    """A new trainer connects each generation; close the previous weight-sync channel to the vLLM server."""
    client = getattr(getattr(trainer, "vllm_generation", None), "vllm_client", None)
    if client is not None and distributed.is_main_process() and hasattr(client, "close_communicator"):
        client.close_communicator()


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
