"""A real MLflow tracking server on 127.0.0.1, for tests: started on a free port, stopped by its process id."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MlflowServer:
    def __init__(self, folder: Path, port: int | None = None):
        self.folder = folder
        self.port = port or free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout_s: float = 120) -> "MlflowServer":
        if self.process is not None and self.process.poll() is None:
            # A second server would lose the first one's process and leak it (about 10 processes, 1.8 GB).
            raise RuntimeError(f"the MLflow server on port {self.port} is already running")
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{self.folder / 'server.db'}",
            "--artifacts-destination", str(self.folder / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]
        # Its own session: the server forks uvicorn workers and a job consumer, stopped together below.
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=open(self.folder / "server.log", "a"), start_new_session=True
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mlflow server exited: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{self.uri}/health", timeout=2)
                return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError("mlflow server did not answer /health in time")

    def stop(self) -> None:
        """Stop the server and everything it started, by process group, so nothing keeps the port."""
        if self.process is None:
            return
        group = self.process.pid  # the session leader's pid is the group id
        for signal_number, wait_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
            try:
                os.killpg(group, signal_number)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait_s)
            except subprocess.TimeoutExpired:
                continue
            if not _group_alive(group):
                break
        _wait_until_port_is_free(self.port)

    def __enter__(self) -> "MlflowServer":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False


def _wait_until_port_is_free(port: int) -> None:
    """Workers can outlive their parent for a moment; wait until the port is free."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.2)
