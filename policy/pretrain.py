"""Pretraining by imitation: the tiny model learns from a systematically wrong teacher.

AlphaGo's first network imitated human games, mistakes included. Here each
environment's teacher demonstrates answers with its own systematic errors
(arithmetic forgets carries, countdown drops parentheses, ...), and the tiny
model is trained from scratch on those demonstrations with TRL's SFTTrainer.
It inherits the teacher's mistakes: its held-out pass@1 lands below the
teacher's accuracy, and only a verifiable reward can correct them later.

    $ selfplay pretrain configs/quickstart.yaml

The result is an ordinary model folder in the cache, keyed by everything
that shapes it, so asking for the same pretraining again reuses it.

A real model (`pretrain.enabled: true`) is fine-tuned the same way, from its
own weights, through `policy.lora`'s adapters when set (merged afterwards):
the usual imitation-then-RL start, from the teacher's demonstrations or a
dataset's reference solutions.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import fmean
from typing import Any, Sequence

from env.errors import AnswerError, TooFewProblems
from env.registry import EnvironmentSpec
from policy import gguf
from policy.evaluation import EvalSettings, evaluate
from policy.config import LoraSettings, PolicyConfig, PretrainConfig
from policy.errors import SettingError
from policy.loader import Policy, load_policy
from policy.lora import lora_config, merge_adapters
from policy.sampling import SamplingConfig, sample
from policy.precision import bf16_supported
from policy.prompts import sft_example
from rewards.compose import RewardSpec, build_rewards
from rewards.sandbox import VerifierPool

RESULT_FILE = "selfplay_pretrain.json"
FORMAT_VERSION = 2  # bump when demonstrations or training change, so old caches are not reused


@dataclass
class PretrainResult:
    folder: str
    pass_at_1: dict[str, float]  # "env/difficulty" -> held-out greedy pass@1 of the pretrained model
    teacher_accuracy: dict[str, float]  # "env/difficulty" -> the teacher's accuracy on the same problems
    # "env/difficulty" -> share of held-out problems where the imitator's greedy answer is the teacher's, right or wrong
    fidelity: dict[str, float]
    # "env/difficulty" -> share of the teacher's wrong answers that the imitator reproduces (None: the teacher made none)
    mistakes_reproduced: dict[str, float | None]
    num_parameters: int
    wall_time_s: float
    num_steps: int = 0  # optimizer steps taken (fewer than max_steps when the imitator converged early)
    reused: bool = False

    @property
    def mean_pass_at_1(self) -> float:
        return fmean(self.pass_at_1.values())

    @property
    def mean_teacher_accuracy(self) -> float:
        return fmean(self.teacher_accuracy.values())


def pretrain(
    policy_config: PolicyConfig,
    config: PretrainConfig,
    environments: Sequence[tuple[str, EnvironmentSpec, float]],
) -> PretrainResult:
    """Pretrain `policy_config.model` (the tiny model or a real one) on teacher demonstrations, or reuse an identical run.

    Args:
        environments: (name, spec, weight) per environment; weights set the mix of demonstrations.
    """
    from accelerate import PartialState

    processes = PartialState()  # under `accelerate launch` every process trains its share of each batch
    folder = pretrained_folder(policy_config, config, environments)
    processes.wait_for_everyone()  # all look at the cache at the same moment
    if (folder / RESULT_FILE).exists():
        return PretrainResult(**{**json.loads((folder / RESULT_FILE).read_text()), "reused": True})
    started = time.monotonic()
    instances = {name: spec.build() for name, spec, _ in environments}
    check_settings(config, instances)
    policy = load_policy(policy_config)  # the tiny model starts from random weights, a real one from its own
    staging = folder.with_name(folder.name + ".tmp")
    if processes.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)  # left over by a killed pretraining
    processes.wait_for_everyone()
    demonstrations = _demonstrations(policy, instances, environments, config)
    adapters = policy_config.lora if policy_config.model != "tiny" else None
    steps = _train(policy, demonstrations, config, staging, processes.num_processes, _FidelityCheck(policy, instances, config),
                   adapters)
    if processes.is_main_process:
        policy.save(staging)
        result = PretrainResult(
            folder=str(folder),
            **_evaluate(policy, instances, environments, config),
            num_parameters=sum(p.numel() for p in policy.model.parameters()),
            wall_time_s=round(time.monotonic() - started, 1),
            num_steps=steps,
        )
        (staging / RESULT_FILE).write_text(json.dumps({k: v for k, v in asdict(result).items() if k != "reused"}, indent=2))
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)  # atomic: a killed pretraining never leaves a folder that looks finished
    processes.wait_for_everyone()
    return PretrainResult(**json.loads((folder / RESULT_FILE).read_text()))


def pretrained_folder(
    policy_config: PolicyConfig, config: PretrainConfig, environments: Sequence[tuple[str, EnvironmentSpec, float]]
) -> Path:
    """The cache folder for this exact pretraining: same settings, same folder."""
    identity = {
        "version": FORMAT_VERSION,
        "tiny": asdict(policy_config.tiny),
        "pretrain": asdict(config),
        "environments": [[name, spec.ref, [list(o) for o in spec.options], weight] for name, spec, weight in environments],
    }
    kind = "tiny"
    if policy_config.model != "tiny":  # a real model: its weights, adapters, dtype and prompt shape the result too
        kind = "model"
        identity.update(model=policy_config.model, lora=asdict(policy_config.lora) if policy_config.lora else None,
                        dtype=policy_config.dtype, prompt=[policy_config.prompt_style, policy_config.system_prompt])
        if gguf.is_gguf_spec(policy_config.model):
            identity["conversion"] = gguf.CONVERSION_VERSION  # weights converted another way: imitate again
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(policy_config.cache_dir).expanduser() / "pretrained" / f"{kind}-{digest}"


def check_settings(config: PretrainConfig, instances: dict[str, Any]) -> None:
    """What would stop pretraining once started, checked before a campaign writes anything: the teacher's
    levels, and enough distinct held-out problems at each for the fidelity check and the evaluation."""
    _check_difficulties(instances, config.difficulties)
    for environment in instances.values():
        for difficulty in config.difficulties:
            for setting, count, seed in (("num_check_problems", config.num_check_problems, config.seed + 1),
                                          ("num_eval_problems", config.num_eval_problems, config.seed)):
                try:
                    environment.problems(count, seed, difficulty, "eval")
                except TooFewProblems as error:  # a small data set: name the setting to lower
                    raise SettingError(f"pretrain.{setting}: {error}") from None


def _check_difficulties(instances: dict[str, Any], difficulties: list[int]) -> None:
    for name, environment in instances.items():
        missing = sorted(set(difficulties) - set(environment.difficulties))
        if missing:
            raise SettingError(f"pretrain.difficulties: {name} has no level {missing} (levels: {environment.difficulties})")


def _demonstrations(policy: Policy, instances: dict, environments: Sequence, config: PretrainConfig):
    """Prompt-completion pairs: the teacher's (sometimes systematically wrong) answers to training problems."""
    import datasets

    rng = random.Random(f"pretrain:{config.seed}")
    names = [name for name, _, _ in environments]
    weights = [weight for _, _, weight in environments]
    rows = []
    for index in range(config.num_demonstrations):
        environment = instances[rng.choices(names, weights)[0]]
        problem = environment.problem(config.seed, index, rng.choice(config.difficulties), "train")
        rows.append(sft_example(policy.prompt_format.model_input(problem.prompt), environment.demonstration(problem)))
    return datasets.Dataset.from_list(rows)


def _train(policy: Policy, dataset, config: PretrainConfig, output_dir: Path, num_processes: int, check: "_FidelityCheck",
           adapters: LoraSettings | None = None) -> int:
    """SFT on the demonstrations until the fidelity check passes or max_steps; returns the steps taken.

    With `adapters` only LoRA adapters train; they are merged into the weights afterwards."""
    from transformers import TrainerCallback
    from trl import SFTConfig, SFTTrainer

    class StopWhenFaithful(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step % config.check_every_steps == 0 and check.passes():
                control.should_training_stop = True

    arguments = SFTConfig(
        output_dir=str(output_dir / "trainer"),
        max_steps=config.max_steps,
        per_device_train_batch_size=max(1, config.batch_size // num_processes),  # batch_size is global
        learning_rate=config.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=max(1, config.max_steps // 20),
        weight_decay=0.0,
        completion_only_loss=True,  # imitate the answers, not the questions
        gradient_checkpointing=False,  # TRL turns it on by default; a tiny model only pays the recompute
        max_length=policy.max_length,
        logging_steps=max(1, config.max_steps // 10),
        save_strategy="no",
        report_to="none",
        seed=config.seed,
        dataloader_num_workers=0,
        bf16=bf16_supported(),
    )
    trainer = SFTTrainer(model=policy.model, args=arguments, train_dataset=dataset, processing_class=policy.tokenizer,
                         callbacks=[StopWhenFaithful()], peft_config=lora_config(adapters) if adapters else None)
    policy.model = trainer.model  # the fidelity check samples from the model in training (peft wraps it)
    trainer.train()
    policy.model = merge_adapters(trainer.model)
    shutil.rmtree(output_dir / "trainer", ignore_errors=True)
    return trainer.state.global_step


class _FidelityCheck:
    """Does the imitator give the teacher's answers yet? Greedy answers on a fixed check set of held-out
    problems (another seed than the reported evaluation, so stopping does not select on it)."""

    def __init__(self, policy: Policy, instances: dict, config: PretrainConfig):
        self.policy, self.target = policy, config.target_fidelity
        self.sets = []  # (environment, problems, the teacher's demonstrations) per environment and level
        for environment in instances.values():
            for difficulty in config.difficulties:
                problems = environment.problems(config.num_check_problems, config.seed + 1, difficulty, "eval")
                self.sets.append((environment, problems, [environment.demonstration(p) for p in problems]))

    def passes(self) -> bool:
        """True when every level's fidelity reaches the target; every process computes the same answer."""
        if self.target >= 1.0:
            return False
        for environment, problems, demonstrations in self.sets:
            settings = SamplingConfig(_budget(problems, environment), 0.0, 1.0, 256)
            completions = sample(self.policy, [p.prompt for p in problems], settings)
            agree = [_same_answer(environment, c[0].text, d) for c, d in zip(completions, demonstrations)]
            if fmean(agree) < self.target:
                return False
        return True


def _evaluate(policy: Policy, instances: dict, environments: Sequence, config: PretrainConfig) -> dict[str, dict]:
    """Held-out greedy pass@1 of the imitator, its teacher's accuracy, and how faithfully it imitates the teacher."""
    specs = {name: spec for name, spec, _ in environments}
    figures: dict[str, dict] = {"pass_at_1": {}, "teacher_accuracy": {}, "fidelity": {}, "mistakes_reproduced": {}}
    with VerifierPool(specs, num_workers=1) as pool:
        rewards = build_rewards([RewardSpec("correct")], specs, pool)
        for name, environment in instances.items():
            for difficulty in config.difficulties:
                key = f"{name}/{difficulty}"
                problems = environment.problems(config.num_eval_problems, config.seed, difficulty, "eval")
                result = evaluate(policy, problems, rewards, EvalSettings(num_samples=0, max_new_tokens=_budget(problems, environment)))
                verdicts = pool.verify([(p, environment.demonstration(p)) for p in problems])
                teacher_right = [v.score >= 1.0 for v in verdicts]
                agrees = [_same_answer(environment, row["completion"], environment.demonstration(p))
                          for row, p in zip(result.rows, problems)]
                mistakes = [agree for agree, right in zip(agrees, teacher_right) if not right]
                figures["pass_at_1"][key] = round(result.pass_at_1, 4)
                figures["teacher_accuracy"][key] = round(fmean(teacher_right), 4)
                figures["fidelity"][key] = round(fmean(agrees), 4)
                figures["mistakes_reproduced"][key] = round(fmean(mistakes), 4) if mistakes else None
    return figures


def _same_answer(environment: Any, completion: str, demonstration: str) -> bool:
    """Whether a completion gives the demonstration's answer (as extracted text; an unreadable one never does)."""
    try:
        return environment.answer_format.extract(completion).strip() == environment.answer_format.extract(demonstration).strip()
    except AnswerError:
        return False


def _budget(problems: list, environment: Any) -> int:
    """Enough new tokens for the longest reference completion, with room to spare."""
    return 2 * max(len(environment.reference_completion(p)) for p in problems) + 8
