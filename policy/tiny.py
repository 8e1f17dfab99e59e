"""The tiny from-scratch policy: a small Llama-architecture model over characters.

Built with transformers from a small config (about 1 M parameters by
default), it is an ordinary Hugging Face model: TRL, accelerate and
`from_pretrained` treat it like any other.

    >>> model, tokenizer = build_tiny_model(TinyModelConfig(num_layers=2))
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from policy.char_tokenizer import build_char_tokenizer


@dataclass(frozen=True)
class TinyModelConfig:
    hidden_size: int = 128  # width of the residual stream
    num_layers: int = 4  # transformer blocks
    num_heads: int = 4  # attention heads; must divide hidden_size
    intermediate_size: int = 384  # width of each MLP
    max_length: int = 256  # longest prompt + completion, in characters
    seed: int = 0  # weight initialisation

    def __post_init__(self):
        for name in ("hidden_size", "num_layers", "num_heads", "intermediate_size", "max_length"):
            if getattr(self, name) < 1:
                raise ValueError(f"policy.tiny.{name} must be >= 1, got {getattr(self, name)}")
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"policy.tiny.num_heads ({self.num_heads}) must divide policy.tiny.hidden_size ({self.hidden_size})"
            )


def build_tiny_model(config: TinyModelConfig = TinyModelConfig()) -> tuple[LlamaForCausalLM, PreTrainedTokenizerFast]:
    """A freshly initialised tiny model and its character tokenizer."""
    import torch

    tokenizer = build_char_tokenizer()
    model_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_heads,
        max_position_embeddings=config.max_length,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(config.seed)
    model = LlamaForCausalLM(model_config)
    torch.random.set_rng_state(generator_state)  # leave the caller's random stream untouched
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
