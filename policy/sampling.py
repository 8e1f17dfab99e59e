"""Batched sampling from a policy through transformers' `generate` (what TRL uses too).

    >>> completions = sample(policy, ["What is 2 + 2? Answer in <answer></answer>."],
    ...                      SamplingConfig(temperature=0.0), num_samples=1)

`temperature=0` is greedy decoding. Generation runs where the model is: the
campaign moves it to each process's accelerator (its GPU, else the CPU)
before selection and evaluation. vLLM is used only for GRPO's rollouts,
inside TRL (`train.use_vllm`), not here (docs/scaling.md, vLLM rollouts).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from policy.errors import SettingError

if TYPE_CHECKING:
    from policy.loader import Policy


@dataclass(frozen=True)
class SamplingConfig:
    max_new_tokens: int = 32  # completion budget, in tokens
    temperature: float = 1.0  # 0 = greedy
    top_p: float = 1.0
    batch_size: int = 128  # sequences per generate() call

    def __post_init__(self):
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")


@dataclass(frozen=True)
class Completion:
    text: str
    num_tokens: int  # generated tokens, eos excluded


def sample(
    policy: "Policy", prompts: Sequence[str], config: SamplingConfig, num_samples: int = 1, seed: int = 0
) -> list[list[Completion]]:
    """`num_samples` completions for each prompt (problem prompts, formatted here)."""
    texts = [policy.prompt_format.render(policy.tokenizer, prompt) for prompt in prompts]
    flat = [text for text in texts for _ in range(num_samples)]
    completions = _generate(policy, flat, config, seed)
    return [completions[i * num_samples : (i + 1) * num_samples] for i in range(len(prompts))]


def check_fits(policy: "Policy", prompts: Sequence[str], max_new_tokens: int, setting: str) -> None:
    """Fail before training when the longest prompt plus the completion budget exceeds the model's length."""
    limit = policy.max_length
    if limit is None or not prompts:
        return
    longest = max(len(policy.tokenizer(policy.prompt_format.render(policy.tokenizer, p))["input_ids"]) for p in prompts)
    if longest + max_new_tokens > limit:
        raise SettingError(
            f"{setting}: the longest prompt ({longest} tokens) plus {max_new_tokens} new tokens exceeds the model's "
            f"maximum length {limit}; lower {setting} (or, for the tiny model, raise policy.tiny.max_length)"
        )


def _generate(policy: "Policy", texts: list[str], config: SamplingConfig, seed: int) -> list[Completion]:
    import torch

    model, tokenizer = policy.model, policy.tokenizer
    was_training = model.training
    model.eval()
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    greedy = config.temperature == 0
    completions: list[Completion] = []
    try:
        with torch.inference_mode():
            for start in range(0, len(texts), config.batch_size):
                batch = tokenizer(
                    texts[start : start + config.batch_size],
                    return_tensors="pt",
                    padding=True,
                    padding_side="left",
                    add_special_tokens=False,
                ).to(model.device)
                output = model.generate(
                    **batch,
                    max_new_tokens=config.max_new_tokens,
                    do_sample=not greedy,
                    temperature=None if greedy else config.temperature,
                    top_p=None if greedy else config.top_p,
                    top_k=None,
                    pad_token_id=tokenizer.pad_token_id,
                )
                completions += _decode(tokenizer, output[:, batch["input_ids"].shape[1] :])
    finally:
        torch.random.set_rng_state(generator_state)
        model.train(was_training)
    return completions


def _decode(tokenizer, generated) -> list[Completion]:
    results = []
    for row in generated.tolist():
        if tokenizer.eos_token_id in row:
            row = row[: row.index(tokenizer.eos_token_id)]
        row = [token for token in row if token != tokenizer.pad_token_id]
        results.append(Completion(tokenizer.decode(row, skip_special_tokens=True), len(row)))
    return results

