"""Sample the champion on candidate training problems; keep the learnable ones, collect verified solutions.

A group whose completions all get the same reward has zero advantage, so GRPO
learns nothing from it (TRL only reports `frac_reward_zero_std`; it has no
dynamic sampling). So before training, the champion answers each candidate
problem `k` times, and only problems it solves sometimes, not always and not
never, are trained on (as in DAPO's dynamic sampling, done once up front). The
same samples give expert iteration its data: the champion's own verified
solutions (STaR, ReST-EM).

    >>> samples = sample_champion(policy, problems, rewards, k=8, temperature=1.0, max_new_tokens=16, seed=3)
    >>> learnable(samples)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from env.problem import Problem
from policy.sampling import SamplingConfig, sample
from rewards.compose import RewardSet, problem_columns

if TYPE_CHECKING:
    from policy.loader import Policy


@dataclass
class ChampionSamples:
    problems: list[Problem]
    completions: list[list[str]]  # k per problem
    correct: list[list[bool]]

    def success_rate(self, index: int) -> float:
        return sum(self.correct[index]) / len(self.correct[index])

    def per_problem(self) -> list[tuple[Problem, list[str], list[bool]]]:
        return list(zip(self.problems, self.completions, self.correct))

    @classmethod
    def of(cls, rows: list[tuple[Problem, list[str], list[bool]]]) -> "ChampionSamples":
        """Rebuild from per-problem rows, e.g. gathered from every process's shard."""
        return cls([row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows])


def sample_champion(
    policy: "Policy",
    problems: Sequence[Problem],
    rewards: RewardSet,
    k: int,
    temperature: float,
    max_new_tokens: int,
    seed: int,
    batch_size: int = 256,
) -> ChampionSamples:
    config = SamplingConfig(max_new_tokens, temperature, 1.0, batch_size)
    samples = sample(policy, [problem.prompt for problem in problems], config, k, seed)
    texts = [[completion.text for completion in per_problem] for per_problem in samples]
    flat_problems = [problem for problem in problems for _ in range(k)]
    correct_function = rewards.functions[rewards.names.index("correct")]
    scores = correct_function(completions=[t for per_problem in texts for t in per_problem], **problem_columns(flat_problems))
    correct = [[score >= 1.0 for score in scores[i * k : (i + 1) * k]] for i in range(len(problems))]
    return ChampionSamples(list(problems), texts, correct)


def explore(
    policy: "Policy", samples: ChampionSamples, rewards: RewardSet, k: int, temperature: float, max_new_tokens: int,
    seed: int, batch_size: int = 256,
) -> ChampionSamples:
    """`k` more samples on the problems the first samples never solved: the frontier, where a rare
    verified answer is the one demonstration the policy lacks (STaR, ReST-EM sample widely there)."""
    unsolved = [p for i, p in enumerate(samples.problems) if samples.success_rate(i) == 0.0]
    if not unsolved or k <= 0:
        return ChampionSamples([], [], [])
    return sample_champion(policy, unsolved, rewards, k, temperature, max_new_tokens, seed + 1, batch_size)


def learnable(samples: ChampionSamples) -> list[Problem]:
    """Problems solved in some but not all of the k samples."""
    return [p for i, p in enumerate(samples.problems) if 0.0 < samples.success_rate(i) < 1.0]


def verified_solutions(samples: ChampionSamples, max_success_rate: float, limit: int) -> list[tuple[Problem, str]]:
    """One verified completion per problem the champion solves sometimes (at most `max_success_rate` of the time)."""
    pairs = []
    for i, problem in enumerate(samples.problems):
        if 0.0 < samples.success_rate(i) <= max_success_rate:
            pairs.append((problem, samples.completions[i][samples.correct[i].index(True)]))
    return pairs[:limit]
