"""The plain alternative to a campaign: one TRL GRPOTrainer run, no curriculum, filtering or gating.

    $ python benchmarks/plain_grpo.py --model FOLDER --budget-s 300 --out curve.json

Starts from the same pretrained tiny model as the quickstart (or the campaign
config given with --config, e.g. configs/ladder.yaml; --train-levels picks the
levels it trains on, uniformly; all by default) and trains with TRL's GRPOConfig defaults (loss, beta, clipping, temperature, group size,
scheduler) on training problems drawn uniformly over the quickstart's levels.
Only what must match the task or the model is set: the learning rate (TRL's
default of 1e-6 is meant for large pretrained models and does not move a
1 M-parameter model in minutes), the batch size and the completion length,
all equal to the quickstart's. Every `--eval-every-s` seconds of training it
evaluates greedy pass@1 on the quickstart's held-out set; the clock stops
while it evaluates, so evaluation costs it nothing. Writes the curve as JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from transformers import TrainerCallback

from env import EnvironmentSpec, get_environment
from policy.evaluation import EvalSettings, evaluate
from policy.loader import load_policy
from rewards import RewardSpec, VerifierPool, build_rewards
from selfplay.config import CampaignConfig
from selfplay.config_loader import load_config
from selfplay.problems import eval_problems, trl_rows


class BudgetedEvaluation(TrainerCallback):
    """Evaluate every `every_s` seconds of training; stop when the training time reaches `budget_s`."""

    def __init__(self, policy, held_out, rewards, settings, budget_s: float, every_s: float):
        self.policy, self.held_out, self.rewards, self.settings = policy, held_out, rewards, settings
        self.budget_s, self.every_s = budget_s, every_s
        self.training_s, self.last = 0.0, None
        self.curve: list[dict] = []

    def on_step_begin(self, args, state, control, **kwargs):
        self.last = time.monotonic()

    def on_step_end(self, args, state, control, **kwargs):
        self.training_s += time.monotonic() - self.last
        due = not self.curve or self.training_s - self.curve[-1]["elapsed_s"] >= self.every_s
        if due or self.training_s >= self.budget_s:
            self.curve.append({"elapsed_s": round(self.training_s, 1), "step": state.global_step, **self.measure()})
        if self.training_s >= self.budget_s:
            control.should_training_stop = True

    def measure(self) -> dict:
        result = evaluate(self.policy, self.held_out, self.rewards, self.settings)
        levels = sorted({row["difficulty"] for row in result.rows})
        return {f"pass_at_1/{level}": result.subset(difficulty=level).pass_at_1 for level in levels} | {"pass_at_1": result.pass_at_1}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the pretrained model folder")
    parser.add_argument("--budget-s", type=float, default=300.0)
    parser.add_argument("--eval-every-s", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", default=None, help="campaign config whose environment and settings to use (default: the quickstart)")
    parser.add_argument("--train-levels", type=int, nargs="*", default=None, help="levels to train on, uniformly (default: all)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)

    import datasets
    from trl import GRPOConfig, GRPOTrainer

    campaign = load_config(args.config) if args.config else CampaignConfig()
    entry = campaign.environments[0]
    environment = get_environment(entry.name, **entry.options)
    levels = list(range(entry.start_difficulty, entry.max_difficulty + 1))
    held_out = eval_problems({environment.name: environment}, {environment.name: levels}, campaign.eval.num_problems, campaign.seed)
    trained_on = args.train_levels or levels
    train = [environment.problem(args.seed, i, trained_on[i % len(trained_on)], "train") for i in range(20_000)]
    policy = load_policy(campaign.policy, model=args.model)
    specs = {environment.name: EnvironmentSpec.of(entry.name, **entry.options)}
    with VerifierPool(specs, campaign.verifier.num_workers) as pool:
        rewards = build_rewards([RewardSpec("correct")], specs, pool)
        settings = EvalSettings(num_samples=0, max_new_tokens=campaign.train.max_completion_length)
        callback = BudgetedEvaluation(policy, held_out, rewards, settings, args.budget_s, args.eval_every_s)
        callback.curve.append({"elapsed_s": 0.0, "step": 0, **callback.measure()})
        config = GRPOConfig(  # TRL's defaults, except what must match the task and the model
            output_dir=tempfile.mkdtemp(prefix="plain-grpo-"),
            learning_rate=campaign.train.learning_rate,
            per_device_train_batch_size=campaign.train.batch_size,
            max_completion_length=campaign.train.max_completion_length,
            max_steps=100_000,  # the time budget stops it
            bf16=False,
            gradient_checkpointing=False,
            report_to="none",
            save_strategy="no",
            logging_steps=50,
            seed=args.seed,
            disable_tqdm=True,
        )
        trainer = GRPOTrainer(
            model=policy.model,
            reward_funcs=rewards.functions,
            args=config,
            train_dataset=datasets.Dataset.from_list(trl_rows(train, policy.prompt_format)),
            processing_class=policy.tokenizer,
            callbacks=[callback],
        )
        trainer.train()
    Path(args.out).write_text(json.dumps(callback.curve, indent=2))
    print(json.dumps(callback.curve[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
