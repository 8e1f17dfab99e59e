"""`selfplay ui`: MLflow's UI on the campaigns' store, and the address of each campaign in it.

    $ selfplay ui --campaign quickstart
    campaign quickstart: http://127.0.0.1:5000/#/experiments/1/runs?workflowType=machine_learning&viewStateShareKey=selfplay

The server runs in its own process group (MLflow starts a web server, its
workers and a job runner), and SIGINT or SIGTERM to `selfplay ui` stops the
whole group, so nothing keeps the port after it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Callable

from selfplay.tracking import RUNS_VIEW_ID, RUNS_VIEW_PREFIX

LOCAL_STORES = ("sqlite:", "file:", "postgresql", "mysql")


def is_server(uri: str) -> bool:
    """A tracking server (http, https, databricks) already has a UI; a database or folder needs one started."""
    return "://" in uri and not uri.startswith(LOCAL_STORES)


def campaign_urls(tracking_uri: str, base_url: str, campaign: str | None = None) -> dict[str, str]:
    """Campaign name -> the URL of its runs in the UI at `base_url` (only `campaign` when given).

    The URL opens the runs list (not MLflow 3's GenAI overview) in the view
    the campaign saved: generations in order, pass@1 per level, promoted.
    """
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    if campaign is not None:
        experiment = client.get_experiment_by_name(campaign)
        experiments = [experiment] if experiment else []
    else:
        named = {e.experiment_id: e for e in client.search_experiments()}
        runs = client.search_runs(list(named), "tags.`selfplay.kind` = 'campaign'") if named else []
        experiments = sorted((named[i] for i in {run.info.experiment_id for run in runs}), key=lambda e: e.name)
    return {e.name: experiment_url(base_url, e.experiment_id, RUNS_VIEW_PREFIX + RUNS_VIEW_ID in e.tags) for e in experiments}


def experiment_url(base_url: str, experiment_id: str, has_view: bool = True) -> str:
    query = "workflowType=machine_learning" + (f"&viewStateShareKey={RUNS_VIEW_ID}" if has_view else "")
    return f"{base_url}/#/experiments/{experiment_id}/runs?{query}"


def serve(tracking_uri: str, host: str, port: int, say: Callable[[str], None], urls: dict[str, str],
          open_browser: bool = False, timeout_s: float = 120) -> int:
    """Run `mlflow ui` until it exits or this process gets SIGINT/SIGTERM; then stop its whole process group."""
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri, "--host", host,
               "--port", str(port), "--workers", "1"]
    server = subprocess.Popen(command, start_new_session=True)  # its own group, stopped as one below
    previous = {number: signal.signal(number, _raise_stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        if _wait_until_up(server, _local_url(host, port), timeout_s):
            for name, url in urls.items():
                say(f"campaign {name}: {url}")
            if not urls:
                say(f"MLflow UI: {_local_url(host, port)} (no campaign in {tracking_uri} yet)")
            say("Ctrl-C stops the UI")
            if open_browser and urls:
                import webbrowser

                webbrowser.open(next(iter(urls.values())))
        return server.wait()
    except _Stop as stop:
        return 128 + stop.signal_number
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        stop_group(server)


def stop_group(process: subprocess.Popen, wait_s: float = 10) -> None:
    """SIGTERM to the process group, then SIGKILL to whatever is left in it."""
    for signal_number in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, signal_number)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            process.poll()
            try:
                os.killpg(process.pid, 0)
            except ProcessLookupError:
                return  # the group is empty
            time.sleep(0.1)


class _Stop(Exception):
    def __init__(self, signal_number: int):
        super().__init__(signal_number)
        self.signal_number = signal_number


def _raise_stop(signal_number: int, frame) -> None:
    raise _Stop(signal_number)


def _local_url(host: str, port: int) -> str:
    return f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"


def _wait_until_up(server: subprocess.Popen, url: str, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2)
            return True
        except OSError:
            time.sleep(0.3)
    return False
