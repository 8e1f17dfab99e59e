"""A policy folder registered with MLflow's transformers flavor loads back as a working pipeline, copied or referenced."""

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from policy.config import TinyModelConfig
from policy.loader import Policy
from policy.prompts import PromptFormat
from policy.tiny import build_tiny_model
from selfplay import run_logging
from selfplay.tracking import Tracker

PROMPT = "What is 12 + 34? End with the final number."


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A tiny policy folder (character tokenizer, plain prompts) and a sqlite store with one generation run."""
    tmp_path = tmp_path_factory.mktemp("registry")
    model, tokenizer = build_tiny_model(TinyModelConfig(hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64, max_length=96))
    folder = Policy(model, tokenizer, PromptFormat("plain"), "tiny").save(tmp_path / "candidate")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    return folder, uri, tmp_path


@pytest.mark.parametrize("mode", ["copy", "reference"])
def test_champion_loads_as_a_text_generation_pipeline(store, mode):
    folder, uri, tmp_path = store
    tracker = Tracker(uri, f"registry-{mode}", str(tmp_path))
    run_id = tracker.generation_run(tracker.parent_run(str(tmp_path / mode), None), 1, None)
    version = run_logging.register_champion(tracker, run_id, str(folder), 1, mode, PROMPT, 8, f"registry-{mode}")
    assert version == "1"
    client = MlflowClient(uri)
    assert client.get_model_version_by_alias(f"registry-{mode}-policy", "champion").run_id == run_id
    files = {a.path for a in client.list_artifacts(run_id, "model")}
    assert {"model/MLmodel", "model/input_example.json", "model/components"} <= files
    assert ("model/model" in files) == (mode == "copy")  # reference: the weights stay in the run folder

    mlflow.set_tracking_uri(uri)
    try:
        pipeline = mlflow.transformers.load_model(f"models:/registry-{mode}-policy@champion")
    finally:
        mlflow.set_tracking_uri(None)
    tokenizer = pipeline.tokenizer
    assert tokenizer.decode(tokenizer("12+34=\n")["input_ids"]) == "12+34=\n"  # the character tokenizer round-trips
    output = pipeline(PROMPT + "\n", max_new_tokens=5, do_sample=False, return_full_text=False)
    assert isinstance(output[0]["generated_text"], str) and len(output[0]["generated_text"]) <= 5


def test_a_generation_registered_again_on_resume_keeps_its_version(store):
    folder, uri, tmp_path = store
    tracker = Tracker(uri, "registry-again", str(tmp_path))
    run_id = tracker.generation_run(tracker.parent_run(str(tmp_path / "again"), None), 1, None)
    first = run_logging.register_champion(tracker, run_id, str(folder), 1, "reference", PROMPT, 8, "registry-again")
    second = run_logging.register_champion(tracker, run_id, str(folder), 1, "reference", PROMPT, 8, "registry-again")
    assert first == second == "1"
    assert run_logging.register_champion(tracker, run_id, str(folder), 1, None, PROMPT, 8, "registry-again") is None
