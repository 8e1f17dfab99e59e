"""A campaign's settings: nested frozen dataclasses, validated on construction.

The defaults are the quickstart (tiny model, arithmetic, a few generations on
a laptop CPU); `configs/quickstart.yaml` spells them out. A YAML file lists
only what differs:

    name: algebra
    environments: [{name: algebra, max_difficulty: 3}]
    train: {learning_rate: 2.0e-5, max_steps: 80}

Each field's meaning is the comment next to it. Loading, unknown keys and
`--set` overrides live in selfplay/config_loader.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policy.config import PolicyConfig, PretrainConfig
from policy.evaluation import EvalSettings
from rewards.compose import REWARD_NAMES
from selfplay.game_config import GameSettings

ALGORITHMS = ("grpo", "rloo")
LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")
GATE_TESTS = ("sign", "win_rate", "margin", "none")
REGISTER_MODES = ("copy", "reference")


@dataclass(frozen=True)
class EnvironmentEntry:
    name: str  # registered name, or package.module:ClassName
    weight: float = 1.0  # share of training problems drawn from this environment
    options: dict[str, Any] = field(default_factory=dict)  # constructor options, e.g. answer_format, teacher rates
    start_difficulty: int = 1  # level of generation 1
    max_difficulty: int | None = None  # the curriculum stops here; None: the environment's hardest level

    def __post_init__(self):
        if self.weight <= 0:
            raise ValueError(f"environments.{self.name}.weight must be > 0, got {self.weight}")
        if self.start_difficulty < 1:
            raise ValueError(f"environments.{self.name}.start_difficulty must be >= 1, got {self.start_difficulty}")
        if self.max_difficulty is not None and self.max_difficulty < self.start_difficulty:
            raise ValueError(
                f"environments.{self.name}.max_difficulty ({self.max_difficulty}) is below "
                f"start_difficulty ({self.start_difficulty})"
            )


@dataclass(frozen=True)
class RewardEntry:
    name: str  # correct, well_formatted or within_length
    weight: float = 1.0  # 0 = logged, not trained on
    options: dict[str, Any] = field(default_factory=dict)  # within_length: soft_limit, hard_limit (tokens)

    def __post_init__(self):
        if self.name not in REWARD_NAMES:
            raise ValueError(f"rewards: unknown reward {self.name!r}; choose from {', '.join(REWARD_NAMES)}")
        if self.weight < 0:
            raise ValueError(f"rewards.{self.name}.weight must be >= 0, got {self.weight}")


@dataclass(frozen=True)
class TrainSettings:
    """One generation's reinforcement learning, through TRL (see selfplay/trl_config.py)."""

    algorithm: str = "grpo"  # grpo (GRPOTrainer) or rloo (RLOOTrainer)
    loss_type: str = "dapo"  # grpo only: grpo, dr_grpo, dapo, bnpo, cispo, sapo, luspo, vespo
    beta: float = 0.0  # KL coefficient; 0 loads no reference model
    num_generations: int = 8  # completions per prompt (the group)
    temperature: float = 1.0  # rollout sampling temperature
    top_p: float = 1.0
    epsilon: float = 0.2  # lower clipping bound of the importance ratio
    epsilon_high: float | None = 0.28  # upper clipping bound (DAPO's clip-higher); None = epsilon
    scale_rewards: str = "group"  # group, batch or none: how advantages are normalised
    learning_rate: float = 5.0e-5
    lr_scheduler_type: str = "constant"
    warmup_steps: int = 0
    # Optimizer steps per generation. The quickstart spends its generations on expert iteration
    # rather than GRPO steps: 50 GRPO + 120 expert-iteration steps at 3e-4 reached 0.92 at level 2
    # where 100 + 30 at 5e-5 reached 0.70 in the same generations (benchmarks/RESULTS.md, robustness).
    max_steps: int = 50
    # Completions per optimizer step across all processes: the same config gives the same
    # global batch on a laptop and on 8 GPUs (each process takes batch_size / num_processes).
    batch_size: int = 64
    gradient_accumulation_steps: int = 1
    num_iterations: int = 1  # optimisation passes over each batch of rollouts
    max_completion_length: int = 12  # tokens
    mask_truncated_completions: bool = True  # no gradient from completions cut off mid-answer
    gradient_checkpointing: bool = False  # trade compute for memory on large models
    num_problems: int = 1_200  # candidate training problems drawn per generation (before filtering)
    logging_steps: int = 5
    save_steps: int = 20  # TRL checkpoints within a generation, for resume
    # GPU only: TRL generates GRPO's rollouts with vLLM (pip install vllm; checked at launch). Selection
    # and evaluation always sample with transformers' generate (docs/scaling.md, vLLM rollouts).
    use_vllm: bool = False
    vllm_mode: str = "colocate"  # colocate or server
    vllm_server_base_url: str | None = None  # server mode: http://host:8000
    extra: dict[str, Any] = field(default_factory=dict)  # more TRL config fields, passed verbatim

    def __post_init__(self):
        _choice("train.algorithm", self.algorithm, ALGORITHMS)
        _choice("train.loss_type", self.loss_type, LOSS_TYPES)
        _choice("train.scale_rewards", self.scale_rewards, ("group", "batch", "none"))
        _choice("train.vllm_mode", self.vllm_mode, ("colocate", "server"))
        for name in ("num_generations", "max_steps", "batch_size", "gradient_accumulation_steps",
                     "num_iterations", "max_completion_length", "num_problems", "logging_steps", "save_steps"):
            _at_least(f"train.{name}", getattr(self, name), 1)
        _at_least("train.num_generations", self.num_generations, 2)  # a group of one has no advantage
        if not 0 < self.learning_rate < 1:
            raise ValueError(f"train.learning_rate must be in (0, 1), got {self.learning_rate}")
        if self.batch_size % self.num_generations:  # TRL trains on whole groups
            raise ValueError(
                f"train.batch_size ({self.batch_size}) must be a multiple of train.num_generations ({self.num_generations})"
            )
        if self.temperature <= 0:
            raise ValueError(f"train.temperature must be > 0, got {self.temperature}")
        if self.beta < 0:
            raise ValueError(f"train.beta must be >= 0, got {self.beta}")


@dataclass(frozen=True)
class ExpertIterationSettings:
    """Fine-tune on the champion's own verified solutions (STaR, ReST-EM), before GRPO."""

    # On by default, and the main engine against a habit: the champion's rare correct answers where
    # its teacher's habit misleads it (about 7% of samples at first) are exactly the demonstrations
    # it lacks. At 5e-5 for 30 steps the quickstart's level 2 rose 0.445 -> 0.54 in two generations;
    # at 3e-4 for 120 steps, 0.445 -> 0.745; at 1e-3 the policy collapsed (pass@1 0.05).
    enabled: bool = True  # uses the champion's samples from curriculum.filter_samples
    # Learn from problems solved at most this often. 1.0 keeps the easy ones too, and they matter: with
    # only the hard ones (0.75), every example said "carry here", and the policy learned to carry where a
    # column totals 9 as well (most of its remaining errors); with all of them, seeds 1 and 2 reached
    # 0.95 at both levels by generation 4 and 5 instead of stalling at 0.92 and 0.87.
    max_success_rate: float = 1.0
    max_examples: int = 2_000
    # Extra samples on each problem that none of the curriculum.filter_samples solved (the frontier),
    # to find the rare right answers there; 0 turns it off.
    frontier_samples: int = 32
    max_steps: int = 120
    learning_rate: float = 3.0e-4
    batch_size: int = 32  # examples per optimizer step across all processes

    def __post_init__(self):
        _at_least("expert_iteration.max_steps", self.max_steps, 1)
        _at_least("expert_iteration.frontier_samples", self.frontier_samples, 0)
        if not 0 < self.max_success_rate <= 1:
            raise ValueError(f"expert_iteration.max_success_rate must be in (0, 1], got {self.max_success_rate}")


@dataclass(frozen=True)
class CurriculumSettings:
    advance_threshold: float = 0.9  # the champion's held-out pass@1 at its level that moves it up a level
    review_fraction: float = 0.25  # share of training problems from easier levels already passed
    # Share drawn from the next level up. Selection keeps only what the policy solves sometimes,
    # so a level it cannot reach yet costs a few samples, and one it can reach starts early.
    # 0.5: half of generation 1 already trains on level 2, where the same habit costs twice as much.
    preview_fraction: float = 0.5
    # The campaign finishes early once every environment is at its last level and the champion's held-out
    # pass@1 is at least this at every level (a mastered curriculum has nothing left to teach); None runs
    # every generation.
    finish_threshold: float | None = 0.95
    filter_zero_variance: bool = True  # drop training problems the champion always or never solves
    # Completions per problem used to judge that, and to find the rare right answers expert iteration
    # learns from: at 7% success, 8 samples find one on 44% of the problems, 4 on 25%.
    filter_samples: int = 8

    def __post_init__(self):
        if not 0 < self.advance_threshold <= 1:
            raise ValueError(f"curriculum.advance_threshold must be in (0, 1], got {self.advance_threshold}")
        if self.finish_threshold is not None and not 0 < self.finish_threshold <= 1:
            raise ValueError(f"curriculum.finish_threshold must be in (0, 1] or null, got {self.finish_threshold}")
        if not 0 <= self.review_fraction < 1:
            raise ValueError(f"curriculum.review_fraction must be in [0, 1), got {self.review_fraction}")
        if not 0 <= self.preview_fraction < 1 or self.review_fraction + self.preview_fraction >= 1:
            raise ValueError(
                f"curriculum.preview_fraction must be in [0, 1) and leave room for the current level "
                f"(review {self.review_fraction} + preview {self.preview_fraction} < 1)"
            )
        _at_least("curriculum.filter_samples", self.filter_samples, 2)


@dataclass(frozen=True)
class GateSettings:
    """Promote a candidate only if it beats the champion on the same held-out problems."""

    # win_rate (AlphaGo Zero's 55% rule), sign, margin or none (see selfplay/gating.py). The sign
    # test at 0.05 kept rejecting candidates 1-3 points better near the ceiling and stalled the
    # quickstart at 0.94 (benchmarks/RESULTS.md, vs_trl variants).
    test: str = "win_rate"
    significance: float = 0.05  # sign: one-sided p-value below which the candidate wins
    min_win_rate: float = 0.55  # win_rate: share of discordant problems the candidate must win
    min_margin: float = 0.0  # margin: required pass@1 gain (0.05 = five points)
    # A level where the champion's held-out pass@1 is at least this is mastered. While some levels are
    # mastered and others not, the test above judges the unmastered levels' problems alone, and a candidate
    # that falls below this at a mastered level is rejected for forgetting. Judged over all problems, a
    # candidate 3 problems better at the unmastered level 2 and 3 worse at a mastered level 1 (0.995 ->
    # 0.98) was a tie, and the quickstart stayed at 0.94 (benchmarks/RESULTS.md, robustness). None: one
    # test over all problems.
    mastered_at: float | None = 0.95
    # What the next generation trains from after a rejection: "champion" starts again from the
    # champion (the rejected training is dropped); "candidate" keeps training the rejected candidate,
    # as AlphaGo Zero kept optimising one network and only gated which one played.
    on_reject: str = "champion"

    def __post_init__(self):
        _choice("gate.test", self.test, GATE_TESTS)
        _choice("gate.on_reject", self.on_reject, ("champion", "candidate"))
        if not 0 < self.significance < 1:
            raise ValueError(f"gate.significance must be in (0, 1), got {self.significance}")
        if not 0 < self.min_win_rate <= 1:
            raise ValueError(f"gate.min_win_rate must be in (0, 1], got {self.min_win_rate}")
        if self.mastered_at is not None and not 0 < self.mastered_at <= 1:
            raise ValueError(f"gate.mastered_at must be in (0, 1] or null, got {self.mastered_at}")


STALL_REMEDIES = ("continue_from_candidate", "more_steps", "lower_learning_rate", "none")


@dataclass(frozen=True)
class StallSettings:
    """When the campaign stops improving: how it notices, and what it does (see selfplay/stall.py)."""

    patience: int = 2  # generations without a promotion, or without gain at the current level; 0 = never check
    min_gain: float = 0.01  # the least rise in the champion's pass@1 at the current level that counts as progress
    # What the next generation does about it: continue_from_candidate, more_steps, lower_learning_rate, none.
    remedy: str = "continue_from_candidate"
    step_factor: float = 2.0  # more_steps: GRPO steps times this
    learning_rate_factor: float = 0.5  # lower_learning_rate: learning rate times this

    def __post_init__(self):
        _choice("stall.remedy", self.remedy, STALL_REMEDIES)
        if self.patience < 0:
            raise ValueError(f"stall.patience must be >= 0, got {self.patience}")
        if self.step_factor < 1:
            raise ValueError(f"stall.step_factor must be >= 1, got {self.step_factor}")
        if not 0 < self.learning_rate_factor <= 1:
            raise ValueError(f"stall.learning_rate_factor must be in (0, 1], got {self.learning_rate_factor}")


@dataclass(frozen=True)
class EvalConfig:
    num_problems: int = 200  # held-out problems per environment and difficulty
    num_samples: int = 4  # k of pass@k
    temperature: float = 1.0  # for the k samples
    batch_size: int = 256  # sequences per generate() call
    num_rollouts_logged: int = 64  # rollouts shown per generation in MLflow's table

    def __post_init__(self):
        _at_least("eval.num_problems", self.num_problems, 1)
        _at_least("eval.num_samples", self.num_samples, 0)

    def settings(self, max_new_tokens: int, seed: int) -> EvalSettings:
        return EvalSettings(self.num_samples, self.temperature, max_new_tokens, self.batch_size, seed)


@dataclass(frozen=True)
class VerifierSettings:
    num_workers: int = 2  # verifier processes; 0 = in-process, no time bound (trusted code only)
    timeout_s: float = 1.0  # per completion
    memory_mb: int = 1024  # per worker
    # A batch in which the environment's checker raised on more than this share of completions stops the
    # campaign (exit 1, naming the environment); fewer are scored 0, counted as verifier/errors and kept
    # in the generation run's verifier_errors.json.
    max_error_rate: float = 0.5

    def __post_init__(self):
        _at_least("verifier.num_workers", self.num_workers, 0)
        if not 0.0 <= self.max_error_rate <= 1.0:
            raise ValueError(f"verifier.max_error_rate must be in [0, 1], got {self.max_error_rate}")
        if self.timeout_s <= 0:
            raise ValueError(f"verifier.timeout_s must be > 0, got {self.timeout_s}")


@dataclass(frozen=True)
class TrackingSettings:
    tracking_uri: str | None = None  # None: $MLFLOW_TRACKING_URI, else sqlite in output_dir
    # Promoted generations become versions of <name>-policy (MLflow's transformers flavor), alias "champion":
    # copy (or true): the weights are copied into the store; reference: only MLmodel, tokenizer and example
    # are, the weights stay in the run folder (cheap for large models; same machine or shared disk only);
    # false: nothing is registered. See selfplay/mlflow_model.py.
    register_model: bool | str = True

    def __post_init__(self):
        if not isinstance(self.register_model, bool) and self.register_model not in REGISTER_MODES:
            raise ValueError(
                f"tracking.register_model must be true, false, copy or reference; got {self.register_model!r}"
            )

    @property
    def registration(self) -> str | None:
        """How promoted generations are registered: "copy", "reference", or None (not at all)."""
        if isinstance(self.register_model, bool):
            return "copy" if self.register_model else None
        return self.register_model


@dataclass(frozen=True)
class CampaignConfig:
    name: str = "quickstart"  # the MLflow experiment and the run folder's name
    seed: int = 0
    # RL generations after generation 0. A campaign that masters its curriculum finishes early
    # (curriculum.finish_threshold), so most quickstart runs stop at generation 2-6; one pretraining seed of
    # ten (9) needed generation 9 for 0.95 at both levels, after two rejected candidates.
    generations: int = 12
    time_budget_s: float | None = None  # start no new generation after this much wall time
    output_dir: str = "runs"  # run folders, the MLflow store and its artifacts go here
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)  # always for the tiny model; a real one: enabled
    # The quickstart: the tiny model answers with the bare number (answer_format last_number),
    # which keeps its sequences short enough to pretrain and train in minutes on a CPU.
    environments: list[EnvironmentEntry] = field(
        default_factory=lambda: [EnvironmentEntry("arithmetic", options={"answer_format": "last_number"}, max_difficulty=2)]
    )
    # Weight 0 = logged, not trained on. A small format weight is not harmless with
    # group-normalised advantages: in a group where every answer is wrong, format noise
    # alone would be scaled up to full-size advantages.
    rewards: list[RewardEntry] = field(
        default_factory=lambda: [
            RewardEntry("correct", 1.0),
            RewardEntry("well_formatted", 0.0),
            RewardEntry("within_length", 0.0, {"soft_limit": 8, "hard_limit": 12}),
        ]
    )
    train: TrainSettings = field(default_factory=TrainSettings)
    expert_iteration: ExpertIterationSettings = field(default_factory=ExpertIterationSettings)
    curriculum: CurriculumSettings = field(default_factory=CurriculumSettings)
    gate: GateSettings = field(default_factory=GateSettings)
    stall: StallSettings = field(default_factory=StallSettings)
    eval: EvalConfig = field(default_factory=EvalConfig)
    verifier: VerifierSettings = field(default_factory=VerifierSettings)
    tracking: TrackingSettings = field(default_factory=TrackingSettings)
    # A game campaign (selfplay/game_config.py): the model plays a two-player game instead of solving
    # `environments` problems; null: a problem campaign.
    game: GameSettings | None = None

    def __post_init__(self):
        if not self.name or not all(c.isalnum() or c in "-_." for c in self.name):
            raise ValueError(f"name must be letters, digits, '-', '_' or '.', got {self.name!r}")
        _at_least("generations", self.generations, 0)
        if not self.environments:
            raise ValueError("environments must list at least one environment")
        names = [entry.name for entry in self.environments]
        if len(set(names)) != len(names):
            raise ValueError(f"environments: each environment may appear once, got {names}")
        if not any(entry.weight > 0 for entry in self.rewards):
            raise ValueError("rewards: at least one reward needs a weight above 0")
        if self.policy.model == "tiny" and self.pretrain.enabled is False:
            raise ValueError("pretrain.enabled: false would leave the tiny model with random weights; "
                             "it is for a real policy.model")
        if self.game is not None and self.policy.model != "tiny" and self.pretrain.enabled:
            raise ValueError("pretrain.enabled: a game campaign pretrains only the tiny model; "
                             "a real policy.model starts from its own weights")


def _choice(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")


def _at_least(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
