"""A short real campaign in a sqlite store, read the way a person reads it: the champion model, the plot, the runs."""

import signal
import socket
import subprocess
import sys
import time
import urllib.request

import mlflow
import psutil
import pytest
from mlflow.tracking import MlflowClient

from selfplay.cli import main
from selfplay.config_loader import flatten, load_config

from campaign_settings import fast_settings
from mlflow_server import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, fast_cache):
    """Two generations, gate open so both are promoted; the tiny model's registration copies it."""
    tmp_path = tmp_path_factory.mktemp("mlflow-campaign")
    settings = fast_settings(tmp_path, fast_cache, "name=seen", "gate.test=none", "eval.num_samples=0")
    assert main(["launch", *settings]) == 0
    uri = f"sqlite:///{tmp_path / 'runs' / 'mlflow.db'}"
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("seen")
    runs = client.search_runs([experiment.experiment_id])
    parent = next(r for r in runs if r.data.tags.get("selfplay.kind") == "campaign")
    generations = sorted((r for r in runs if r.data.tags.get("selfplay.kind") == "generation"),
                         key=lambda r: int(r.data.tags["generation"]))
    config = load_config(tmp_path / "runs" / "seen" / "config.yaml")
    return uri, client, experiment, parent, generations, config, tmp_path


def test_the_champion_loads_with_the_transformers_flavor_and_generates(campaign):
    uri, client, _, _, generations, _, _ = campaign
    assert client.get_model_version_by_alias("seen-policy", "champion").run_id == generations[-1].info.run_id
    mlflow.set_tracking_uri(uri)
    try:
        pipeline = mlflow.transformers.load_model("models:/seen-policy@champion")
    finally:
        mlflow.set_tracking_uri(None)
    output = pipeline("What is 12 + 34? End with the final number.\n", max_new_tokens=4, do_sample=False, return_full_text=False)
    assert isinstance(output[0]["generated_text"], str)


def test_the_parent_run_has_the_improvement_plot_and_the_generations_table(campaign):
    _, client, experiment, parent, _, _, _ = campaign
    assert "improvement.png" in {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert "| 2 | yes |" in parent.data.tags["mlflow.note.content"]
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    assert parent.data.metrics["pretrain/arithmetic/1/teacher_accuracy"] > 0  # the plot's reference line


def test_every_generation_run_has_the_generation_metric_and_no_config_params(campaign):
    _, _, _, parent, generations, config, _ = campaign
    assert [int(r.data.metrics["generation"]) for r in generations] == [0, 1, 2]
    config_params = set(flatten(config))
    assert config_params <= set(parent.data.params)
    for run in generations:
        assert not config_params & set(run.data.params), sorted(config_params & set(run.data.params))
    assert generations[2].data.params["started_from_generation"] == "1"


def test_training_curves_of_successive_generations_follow_each_other(campaign):
    _, client, _, _, generations, _, _ = campaign
    first, second = (sorted(m.step for m in client.get_metric_history(run.info.run_id, "loss")) for run in generations[1:])
    assert first == [1, 2] and second == [3, 4]  # train.max_steps=2: generation 2 starts where 1 ended


def test_library_output_goes_to_the_log_not_the_console(campaign, capsys):
    _, _, _, _, _, _, tmp_path = campaign
    log = (tmp_path / "runs" / "seen" / "library.log").read_text()
    assert "{'loss'" in log or "Truncating" in log or "%|" in log  # TRL's or datasets' output landed there


def test_ui_stops_its_server_and_children_on_sigterm(campaign):
    _, _, experiment, _, _, _, tmp_path = campaign
    port = free_port()
    command = [sys.executable, "-m", "selfplay", "ui", "--output-dir", str(tmp_path / "runs"), "--port", str(port),
               "--campaign", "seen"]
    ui = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    children = []
    try:
        line = ""
        deadline = time.monotonic() + 120
        while "campaign seen:" not in line:
            assert ui.poll() is None and time.monotonic() < deadline, ui.stdout.read()
            line = ui.stdout.readline()
        assert f"http://127.0.0.1:{port}/#/experiments/{experiment.experiment_id}/runs?workflowType=machine_learning" in line
        children = psutil.Process(ui.pid).children(recursive=True)
        assert children, "the MLflow server was not started"
        urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5)
        ui.send_signal(signal.SIGTERM)  # to selfplay alone, as a process manager does
        assert ui.wait(timeout=60) == 128 + signal.SIGTERM
        _, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"left running: {[p.cmdline() for p in alive]}"
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "the port is still taken"
    finally:  # a failed assertion above must not leave a server behind (SIGKILL would orphan its group)
        children = children or (psutil.Process(ui.pid).children(recursive=True) if ui.poll() is None else [])
        if ui.poll() is None:
            ui.send_signal(signal.SIGTERM)
            try:
                ui.wait(timeout=60)
            except subprocess.TimeoutExpired:
                ui.kill()
        for child in psutil.wait_procs(children, timeout=30)[1]:
            child.kill()
