"""A policy's model folder as an MLflow transformers model: what `mlflow.transformers.load_model` and `mlflow models serve` load.

    >>> save_mlflow_model("runs/quickstart/generations/0003/candidate", "/tmp/model", "copy", "What is 2 + 2?", 12)
    >>> mlflow.transformers.load_model("models:/quickstart-policy@champion")("What is 2 + 2?\\n")

The model is a `text-generation` pipeline with its tokenizer (the tiny model's
character tokenizer included), a signature whose params default to greedy
decoding of the campaign's completion length, and a held-out prompt as input
example, rendered the way the policy is prompted (its chat template, or plain
text and a newline).

Two ways to store it (`tracking.register_model`):
  copy       the weights go into the model: self-contained, loadable anywhere the store is
             (one copy, and one upload to a tracking server, per promotion)
  reference  only MLmodel, tokenizer, signature and example go into the store; `model_binary`
             names the model folder in the run folder by absolute path, so loading works on
             machines that see that folder (the same one, or a shared filesystem)
"""

from __future__ import annotations

import logging
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

MODES = ("copy", "reference")
CARD_HEADER = "---\nlibrary_name: transformers\npipeline_tag: text-generation\ntags: [selfplay]\n---\n"


def save_mlflow_model(folder: str | Path, path: str | Path, mode: str, prompt: str, max_new_tokens: int,
                      description: str = "") -> None:
    """Write the MLflow model of the model folder `folder` into the new folder `path`.

    `prompt` is a problem's prompt; the input example is that prompt as the
    policy sees it (policy/prompts.py).
    """
    import mlflow.transformers
    import transformers
    from huggingface_hub import ModelCard
    from mlflow.models import infer_signature

    from policy.prompts import PromptFormat

    assert mode in MODES, mode
    folder = Path(folder).resolve()
    # On the CPU: a promotion must not take accelerator memory from the training that follows.
    pipeline = transformers.pipeline("text-generation", model=str(folder), tokenizer=str(folder), device="cpu")
    prompt = (PromptFormat.load(folder) or PromptFormat("plain")).render(pipeline.tokenizer, prompt)
    params = {"max_new_tokens": max_new_tokens, "do_sample": False, "return_full_text": False}
    with _quiet("mlflow.transformers", "mlflow.models"):  # "no license found", "model card not on the hub"
        mlflow.transformers.save_model(
            pipeline,
            path=str(path),
            signature=infer_signature(prompt, [""], params=params),  # outputs: one string per prompt
            input_example=prompt,
            model_config=params,  # the defaults `mlflow models serve` decodes with
            pip_requirements=_requirements(),  # given, or MLflow imports the model in a subprocess to guess them
            model_card=ModelCard(CARD_HEADER + (description or f"A policy trained by selfplay, from {folder}.\n")),
        )
    if mode == "reference":
        _point_at(Path(path), folder)


def _point_at(path: Path, folder: Path) -> None:
    """Drop the copied weights; the flavor's `model_binary` (joined to the model's path) becomes `folder` itself."""
    import yaml

    mlmodel = path / "MLmodel"
    description = yaml.safe_load(mlmodel.read_text())
    flavor = description["flavors"]["transformers"]
    shutil.rmtree(path / flavor["model_binary"])
    flavor["model_binary"] = str(folder)  # an absolute path: pathlib's join keeps it as it is
    mlmodel.write_text(yaml.safe_dump(description, sort_keys=False))


def _requirements() -> list[str]:
    import accelerate
    import torch
    import transformers

    return [
        f"transformers=={transformers.__version__}",
        f"torch=={torch.__version__.split('+')[0]}",  # without the local tag (+cpu, +cu128): pip finds the build
        f"accelerate=={accelerate.__version__}",
    ]


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
