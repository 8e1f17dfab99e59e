"""LoRA through peft, for models too large to fine-tune whole.

    >>> peft_config = lora_config(LoraSettings(r=16))    # hand to a TRL trainer as peft_config
    >>> model = merge_adapters(trainer.model)             # a plain model again, to save and reload
"""

from __future__ import annotations

from typing import Any

from policy.config import LoraSettings


def lora_config(settings: LoraSettings):
    from peft import LoraConfig

    return LoraConfig(
        task_type="CAUSAL_LM",
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
    )


def merge_adapters(model: Any) -> Any:
    """Fold trained adapters into the weights: each generation's checkpoint is an ordinary model folder."""
    return model.merge_and_unload() if hasattr(model, "merge_and_unload") else model
