"""Held-out evaluation of a policy: greedy pass@1, pass@k, mean reward, mean length.

    >>> result = evaluate(policy, problems, rewards, EvalSettings(num_samples=4))
    >>> result.pass_at_1, result.pass_at_k

Greedy pass@1 is the policy's own best guess; pass@k (any of k sampled
completions correct) is what it can reach, the ceiling GRPO sharpens towards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean
from typing import TYPE_CHECKING, Any, Sequence

from env.problem import Problem
from policy.sampling import SamplingConfig, sample
from rewards.compose import RewardSet, problem_columns

if TYPE_CHECKING:
    from policy.loader import Policy


@dataclass(frozen=True)
class EvalSettings:
    num_samples: int = 4  # k of pass@k; 0 skips sampling (greedy only)
    temperature: float = 1.0  # for the k samples
    max_new_tokens: int = 32
    batch_size: int = 128
    seed: int = 0

    def __post_init__(self):
        if self.num_samples < 0:
            raise ValueError(f"eval.num_samples must be >= 0, got {self.num_samples}")


@dataclass
class EvalResult:
    rows: list[dict[str, Any]]  # one per problem: ids, prompt, greedy completion, rewards, samples correct
    reward_names: list[str] = field(default_factory=list)

    @property
    def pass_at_1(self) -> float:
        return fmean(row["correct"] for row in self.rows) if self.rows else 0.0

    @property
    def pass_at_k(self) -> float:
        return fmean(row["pass_at_k"] for row in self.rows) if self.rows else 0.0

    @property
    def reward(self) -> float:
        return fmean(row["reward"] for row in self.rows) if self.rows else 0.0

    @property
    def length(self) -> float:
        return fmean(row["num_tokens"] for row in self.rows) if self.rows else 0.0

    def subset(self, **where: Any) -> "EvalResult":
        """Rows matching every column value, e.g. subset(env="arithmetic", difficulty=2)."""
        rows = [row for row in self.rows if all(row[key] == value for key, value in where.items())]
        return EvalResult(rows, self.reward_names)

    def correct_by_problem(self) -> dict[str, bool]:
        return {row["problem_id"]: bool(row["correct"]) for row in self.rows}


def evaluate(policy: "Policy", problems: Sequence[Problem], rewards: RewardSet, settings: EvalSettings) -> EvalResult:
    """Score the greedy completion of every problem with every reward, and k samples for pass@k."""
    prompts = [problem.prompt for problem in problems]
    greedy_config = SamplingConfig(settings.max_new_tokens, 0.0, 1.0, settings.batch_size)
    greedy = [samples[0] for samples in sample(policy, prompts, greedy_config, 1, settings.seed)]
    components = rewards.score(problems, [completion.text for completion in greedy])
    samples_correct = _samples_correct(policy, problems, rewards, settings)
    rows = []
    for i, problem in enumerate(problems):
        row = {
            "problem_id": problem.id,
            "env": problem.env,
            "difficulty": problem.difficulty,
            "prompt": problem.prompt,
            "answer": problem.answer,
            "completion": greedy[i].text,
            "num_tokens": greedy[i].num_tokens,
            "correct": float(components["correct"][i] >= 1.0) if "correct" in components else 0.0,
            "reward": components["total"][i],
            **{f"reward_{name}": components[name][i] for name in rewards.names},
            "samples_correct": samples_correct[i],
        }
        # pass@k from the k samples alone; with k = 0 it falls back to greedy pass@1
        row["pass_at_k"] = float(samples_correct[i] > 0) if settings.num_samples else row["correct"]
        rows.append(row)
    return EvalResult(rows, list(rewards.names))


def _samples_correct(policy: "Policy", problems: Sequence[Problem], rewards: RewardSet, settings: EvalSettings) -> list[int]:
    """How many of k sampled completions per problem are correct (0 for all when k is 0)."""
    if settings.num_samples == 0 or "correct" not in rewards.names:
        return [0] * len(problems)
    config = SamplingConfig(settings.max_new_tokens, settings.temperature, 1.0, settings.batch_size)
    samples = sample(policy, [p.prompt for p in problems], config, settings.num_samples, settings.seed + 1)
    flat_problems = [problem for problem in problems for _ in range(settings.num_samples)]
    flat_texts = [completion.text for per_problem in samples for completion in per_problem]
    correct_index = rewards.names.index("correct")
    scores = rewards.functions[correct_index](completions=flat_texts, **problem_columns(flat_problems))
    k = settings.num_samples
    return [sum(score >= 1.0 for score in scores[i * k : (i + 1) * k]) for i in range(len(problems))]
