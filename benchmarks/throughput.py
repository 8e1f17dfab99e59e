"""Where a generation's time goes, and rollout/verification throughput against their ceilings.

    $ python benchmarks/throughput.py           # about 2 minutes after pretraining (cached in --cache)

1. A one-generation quickstart campaign (pretraining reused from the cache),
   from process start to exit: the shares spent on generation 0 (set-up and
   the baseline evaluation), selecting problems (sampling the champion),
   training, evaluating, and the rest (imports, gating, MLflow logging).
2. Inside training, the same GRPO settings run again with timers around the
   model's `generate` (rollouts), the reward functions (sandboxed
   verification) and `backward`: their shares of a step, rollout tokens per
   second and verifications per second.
3. The ceilings those are compared with, measured alone: plain batched
   sampling (`policy.sampling.sample`) on the same prompts and batch size,
   its `generate` calls timed and counted exactly as inside the step, and
   plain verification in one process (`env.verify`, no sandbox).
Figures go to the `throughput` section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402
from vs_trl import pretrained_folder  # noqa: E402


class Timer:
    def __init__(self):
        self.seconds, self.calls, self.items = 0.0, 0, 0

    def wrap(self, function, count=lambda result, args, kwargs: 0):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            result = function(*args, **kwargs)
            self.seconds += time.perf_counter() - started
            self.calls += 1
            self.items += count(result, args, kwargs)
            return result

        return timed


def generated_tokens(pad: int):
    """Count what `generate` produced: new tokens that are not padding (eos included), the same way everywhere."""
    return lambda out, args, kwargs: int((out[:, kwargs["input_ids"].shape[1]:] != pad).sum()) if "input_ids" in kwargs else 0


def campaign_shares(cache: Path) -> tuple[list[list], float]:
    """Shares of a whole one-generation `selfplay launch`, from process start to exit."""
    workdir = Path(tempfile.mkdtemp(prefix="selfplay-throughput-"))
    command = [sys.executable, "-m", "selfplay", "launch", "--set", f"policy.cache_dir={cache}", "--set", "generations=1",
               "--set", f"output_dir={workdir / 'runs'}"]
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = time.perf_counter() - started
    run_dir = workdir / "runs" / "quickstart"
    timings = json.loads((run_dir / "generations" / "0001" / "timings.json").read_text())
    history = json.loads((run_dir / "state.json").read_text())["history"]
    phases = {"generation 0 (verifier workers, MLflow set-up, model load, baseline evaluation)": history[0]["elapsed_s"],
              "select (champion samples for filtering and expert iteration)": timings.get("select_s", 0.0),
              "expert iteration (TRL SFTTrainer on verified solutions)": timings.get("expert_iteration_s", 0.0),
              "train (TRL GRPOTrainer, incl. its set-up)": timings.get("train_s", 0.0),
              "evaluate (greedy + 4 samples, 400 problems)": timings.get("evaluate_s", 0.0)}
    phases["other (imports, gate, MLflow logging and registry, exit)"] = max(0.0, total - sum(phases.values()))
    return [[name, f"{seconds:.1f}", f"{seconds / total:.0%}"] for name, seconds in phases.items()], total


def training_breakdown(model_folder: str) -> tuple[list[list], dict]:
    import datasets
    from transformers import TrainerCallback
    from trl import GRPOTrainer

    from env import EnvironmentSpec, get_environment
    from policy.loader import load_policy
    from rewards import RewardSpec, VerifierPool, build_rewards
    from selfplay.config import CampaignConfig
    from selfplay.problems import training_problems, trl_rows
    from selfplay.trl_config import rl_config

    config = CampaignConfig()
    entry = config.environments[0]
    environment = get_environment(entry.name, **entry.options)
    specs = {environment.name: EnvironmentSpec.of(entry.name, **entry.options)}
    policy = load_policy(config.policy, model=model_folder)
    problems = training_problems({environment.name: environment}, {environment.name: 1.0}, {environment.name: 1}, 2_000, seed=1)
    generate, reward, backward = Timer(), Timer(), Timer()
    step_seconds = []

    class Steps(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            step_seconds.append(time.perf_counter() - self.started)

    policy.model.generate = generate.wrap(policy.model.generate, generated_tokens(policy.tokenizer.pad_token_id))
    with VerifierPool(specs, config.verifier.num_workers) as pool:
        rewards = build_rewards([RewardSpec(r.name, r.weight, r.options) for r in config.rewards], specs, pool)
        functions = [reward.wrap(f, lambda out, args, kwargs: len(out)) for f in rewards.functions]
        args = rl_config(config.train, rewards.weights, tempfile.mkdtemp(), seed=0)
        args.save_strategy, args.log_completions, args.disable_tqdm = "no", False, True
        trainer = GRPOTrainer(model=policy.model, reward_funcs=functions, args=args, processing_class=policy.tokenizer,
                              train_dataset=datasets.Dataset.from_list(trl_rows(problems, policy.prompt_format)), callbacks=[Steps()])
        trainer.accelerator.backward = backward.wrap(trainer.accelerator.backward)
        trainer.train()
    total = sum(step_seconds)
    verifications = reward.items // max(1, len(rewards.functions))
    parts = {"rollout generation (model.generate)": generate.seconds,
             "rewards (sandboxed verification, format, length)": reward.seconds,
             "backward": backward.seconds}
    parts["other (log-probabilities forward, optimizer, batching)"] = max(0.0, total - sum(parts.values()))
    rows = [[name, f"{seconds:.1f}", f"{seconds / total:.0%}"] for name, seconds in parts.items()]
    rates = {"tokens_per_s": generate.items / generate.seconds, "verifications_per_s": verifications / reward.seconds,
             "steps": len(step_seconds), "step_s": total / len(step_seconds), "prompts": [p.prompt for p in problems[:256]],
             "problems": problems[:2000], "batch": config.train.batch_size}
    return rows, rates


def ceilings(model_folder: str, rates: dict) -> dict:
    from env import get_environment
    from policy.loader import load_policy
    from policy.sampling import SamplingConfig, sample
    from selfplay.config import CampaignConfig

    config = CampaignConfig()
    policy = load_policy(config.policy, model=model_folder)
    sampling = SamplingConfig(config.train.max_completion_length, 1.0, 1.0, rates["batch"])
    sample(policy, rates["prompts"][:8], sampling)  # warm-up
    generate = Timer()  # timed and counted exactly as inside the campaign step
    policy.model.generate = generate.wrap(policy.model.generate, generated_tokens(policy.tokenizer.pad_token_id))
    completions = sample(policy, rates["prompts"], sampling, num_samples=config.train.num_generations)
    generation_rate = generate.items / generate.seconds
    entry = config.environments[0]
    environment = get_environment(entry.name, **entry.options)
    texts = [c.text for per_prompt in completions for c in per_prompt]
    problems = [p for p in rates["problems"][: len(rates["prompts"])] for _ in range(config.train.num_generations)]
    started = time.perf_counter()
    for problem, text in zip(problems, texts):
        environment.verify(problem, text)
    verify_rate = len(texts) / (time.perf_counter() - started)
    return {"tokens_per_s": generation_rate, "verifications_per_s": verify_rate}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=None, help="model cache with (or for) the quickstart's pretrained model")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    cache = Path(args.cache or tempfile.mkdtemp(prefix="selfplay-throughput-cache-"))
    model = pretrained_folder(cache)
    phase_rows, wall = campaign_shares(cache)
    step_rows, rates = training_breakdown(model)
    ceiling = ceilings(model, rates)
    body = (
        f"A one-generation quickstart campaign ({wall:.1f} s from start to exit), by phase:\n\n"
        f"{markdown_table(['phase', 'seconds', 'share'], phase_rows)}\n\n"
        f"Inside training ({rates['steps']} GRPO steps, {rates['step_s']:.2f} s each, batch {rates['batch']} completions):\n\n"
        f"{markdown_table(['part of a step', 'seconds', 'share'], step_rows)}\n\n"
        + markdown_table(
            ["throughput", "inside a campaign step", "ceiling, measured alone", "share of ceiling"],
            [["rollout tokens/s", f"{rates['tokens_per_s']:,.0f}", f"{ceiling['tokens_per_s']:,.0f} (batched sample())",
              f"{rates['tokens_per_s'] / ceiling['tokens_per_s']:.0%}"],
             ["verifications/s", f"{rates['verifications_per_s']:,.0f}", f"{ceiling['verifications_per_s']:,.0f} (env.verify in-process)",
              f"{rates['verifications_per_s'] / ceiling['verifications_per_s']:.0%}"]],
        )
        + "\n"
    )
    print(body)
    if not args.no_write:
        write_section("throughput", body, command="python benchmarks/throughput.py", title="Where the time goes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
