"""Campaigns against a real MLflow tracking server over HTTP: server down at start, server lost mid-way and resumed."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from mlflow.tracking import MlflowClient

from selfplay.cli import main
from selfplay.state import CampaignState

from campaign_settings import fast_settings
from mlflow_server import MlflowServer, free_port

pytestmark = pytest.mark.slow
# Fail fast instead of MLflow's minutes of retries when the server is gone on purpose.
QUICK_FAILURE = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": "10"}


def _generation_runs(client, name):
    experiment = client.get_experiment_by_name(name)
    runs = client.search_runs([experiment.experiment_id])
    return runs, sorted(r.data.tags["generation"] for r in runs if r.data.tags.get("selfplay.kind") == "generation")


def test_server_down_at_start_is_a_clear_error_before_training(tmp_path, capsys, monkeypatch):
    for key, value in QUICK_FAILURE.items():
        monkeypatch.setenv(key, value)
    uri = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    started = time.monotonic()
    assert main(["launch", *fast_settings(tmp_path, tmp_path / "cache", "name=down"), "--tracking-uri", uri]) == 1
    error = capsys.readouterr().err.strip()
    assert f"cannot reach the MLflow tracking store at {uri}" in error
    assert len(error.splitlines()) == 1
    assert time.monotonic() - started < 60
    assert not (tmp_path / "cache" / "pretrained").exists()  # no training started


def test_server_lost_mid_campaign_stops_cleanly_and_resume_finishes(tmp_path, fast_cache):
    server = MlflowServer(tmp_path).start()
    name, run_dir = "lost", tmp_path / "runs" / "lost"
    # One trained generation, always promoted (gate.test=none): the server goes when it starts, resume finishes it.
    settings = fast_settings(tmp_path, fast_cache, f"name={name}", "generations=1", "gate.test=none")
    command = [sys.executable, "-m", "selfplay", "launch", *settings, "--tracking-uri", server.uri]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, **QUICK_FAILURE})
    try:
        deadline = time.monotonic() + 300
        while not _reached_generation(run_dir, 1):
            assert process.poll() is None, process.stderr.read()[-3000:]
            assert time.monotonic() < deadline, "the campaign never reached generation 1"
            time.sleep(0.1)
        server.stop()
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        server.stop()
    assert process.returncode == 1, stderr[-3000:]
    assert "selfplay resume" in stderr.strip().splitlines()[-1]
    stopped = CampaignState.load(run_dir)
    assert [record.generation for record in stopped.history] == [0]  # the finished generation is on disk

    with MlflowServer(tmp_path, port=server.port) as restarted:
        assert main(["resume", str(run_dir)]) == 0  # the state remembers the tracking server
        client = MlflowClient(tracking_uri=restarted.uri)
        runs, generations = _generation_runs(client, name)
        assert generations == ["0", "1"]
        assert {r.info.status for r in runs} == {"FINISHED"}
        # The server holds what a campaign logged to it without a loss: metrics, artifacts, the champion's alias.
        trained = next(r for r in runs if r.data.tags.get("generation") == "1")
        assert "eval/pass_at_1" in trained.data.metrics and "loss" in trained.data.metrics
        assert "rollouts.json" in {a.path for a in client.list_artifacts(trained.info.run_id)}
        assert client.get_model_version_by_alias(f"{name}-policy", "champion").run_id == trained.info.run_id
    assert [record.generation for record in CampaignState.load(run_dir).history] == [0, 1]
    assert not (tmp_path / "runs" / "mlflow.db").exists()  # nothing went to the local default store


def _reached_generation(run_dir, generation):
    try:
        return json.loads((run_dir / "state.json").read_text())["generation"] >= generation
    except (FileNotFoundError, json.JSONDecodeError):
        return False
