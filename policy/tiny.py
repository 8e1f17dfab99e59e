"""The tiny from-scratch policy: a small Llama-architecture model over characters.

Built with transformers from a small config (about 1 M parameters by
default), it is an ordinary Hugging Face model: TRL, accelerate and
`from_pretrained` treat it like any other.

    >>> model, tokenizer = build_tiny_model(TinyModelConfig(num_layers=2))
"""

from __future__ import annotations

from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from policy.char_tokenizer import build_char_tokenizer
from policy.config import TinyModelConfig


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
        initializer_range=config.initializer_range,
    )
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(config.seed)
    model = LlamaForCausalLM(model_config)
    torch.random.set_rng_state(generator_state)  # leave the caller's random stream untouched
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer
