"""Verify untrusted completions in worker processes, each bounded in time and memory.

A model can write an answer that makes a checker hang (`9**9**9**9` handed to
sympy) or eat memory, and a reward that hangs stops training for everyone. So
every verification runs in a worker process with a memory limit, and the
parent kills and replaces a worker that overruns its time budget: that
completion scores 0 ("timed out") and the batch completes. Signals such as
SIGALRM are not used: they only work on the main thread.

    >>> with VerifierPool({"arithmetic": EnvironmentSpec.of("arithmetic")}) as pool:
    ...     pool.verify([(problem, "<answer>95</answer>")])
    [Verdict(score=1.0, reason='')]

An exception other than AnswerError inside an environment is a bug, not a
model mistake: it is raised here as VerifierError naming the environment.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Mapping, Sequence

from env.problem import Problem, Verdict
from env.registry import EnvironmentSpec

MAX_CHUNK = 32  # jobs sent to a worker at once; results come back one by one
STARTUP_TIMEOUT_S = 60.0


class VerifierError(RuntimeError):
    """An environment's own code raised while verifying, or a worker could not start."""


@dataclass
class _Worker:
    process: subprocess.Popen
    connection: Connection
    chunk: list[int] = field(default_factory=list)  # job indices sent and not yet answered
    last_progress: float = 0.0


class VerifierPool:
    """Worker processes that verify completions; `num_workers=0` verifies in-process with no bound."""

    def __init__(
        self,
        environments: Mapping[str, EnvironmentSpec],
        num_workers: int = 2,
        timeout_s: float = 1.0,
        memory_mb: int = 1024,
    ):
        if timeout_s <= 0:
            raise ValueError(f"verifier: timeout_s must be > 0, got {timeout_s}")
        if num_workers < 0:
            raise ValueError(f"verifier: num_workers must be >= 0, got {num_workers}")
        self.specs = dict(environments)
        self.num_workers = num_workers
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.num_replaced = 0  # workers killed for overrunning; a health signal worth logging
        self._workers: list[_Worker] = []
        self._local = {name: spec.build() for name, spec in self.specs.items()} if num_workers == 0 else {}

    def __enter__(self) -> "VerifierPool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        if hasattr(self, "_workers"):  # absent when __init__ rejected its arguments
            self.close()

    def verify(self, jobs: Sequence[tuple[Problem, str]]) -> list[Verdict]:
        """One Verdict per (problem, completion), in order."""
        unknown = {problem.env for problem, _ in jobs} - set(self.specs)
        if unknown:
            raise KeyError(f"verifier: no environment configured for {sorted(unknown)}; known: {sorted(self.specs)}")
        if self.num_workers == 0:
            return [self._local[problem.env].verify(problem, completion) for problem, completion in jobs]
        return self._verify_in_workers(jobs)

    def close(self) -> None:
        for worker in self._workers:
            _stop(worker)
        self._workers = []

    # -- scheduling -----------------------------------------------------------
    def _verify_in_workers(self, jobs: Sequence[tuple[Problem, str]]) -> list[Verdict]:
        self._start_workers()
        results: list[Verdict | None] = [None] * len(jobs)
        errors: list[str] = []
        pending = deque(range(len(jobs)))
        while pending or any(worker.chunk for worker in self._workers):
            self._dispatch(pending, jobs)
            self._collect(results, errors, pending)
            self._enforce_deadlines(results, pending)
        if errors:
            raise VerifierError(errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
        return results  # type: ignore[return-value]

    def _dispatch(self, pending: deque, jobs: Sequence[tuple[Problem, str]]) -> None:
        idle = [worker for worker in self._workers if not worker.chunk]
        for worker in idle:
            if not pending:
                return
            size = min(MAX_CHUNK, -(-len(pending) // len(idle)))
            chunk = [pending.popleft() for _ in range(min(size, len(pending)))]
            payload = [(self.specs[jobs[i][0].env], jobs[i][0].to_row(), jobs[i][1]) for i in chunk]
            worker.connection.send(payload)
            worker.chunk, worker.last_progress = chunk, time.monotonic()

    def _collect(self, results: list, errors: list[str], pending: deque) -> None:
        busy = {worker.connection: worker for worker in self._workers if worker.chunk}
        if not busy:
            return
        oldest = min(worker.last_progress for worker in busy.values())
        for connection in wait(list(busy), timeout=max(0.0, oldest + self.timeout_s - time.monotonic())):
            worker = busy[connection]
            try:
                status, score, reason = connection.recv()
            except (EOFError, OSError):  # the worker died, e.g. killed by the kernel for memory
                results[worker.chunk.pop(0)] = Verdict(0.0, "verifier process died")
                self._replace(worker, requeue=pending)
                continue
            index = worker.chunk.pop(0)
            worker.last_progress = time.monotonic()
            if status == "error":
                errors.append(reason)
            results[index] = Verdict(score, reason)

    def _enforce_deadlines(self, results: list, pending: deque) -> None:
        now = time.monotonic()
        for worker in self._workers:
            if worker.chunk and now - worker.last_progress > self.timeout_s:
                results[worker.chunk.pop(0)] = Verdict(0.0, f"verification timed out after {self.timeout_s:g} s")
                self._replace(worker, requeue=pending)

    # -- workers --------------------------------------------------------------
    def _start_workers(self) -> None:
        starting = [self._launch() for _ in range(self.num_workers - len(self._workers))]
        self._workers += [_await_ready(worker) for worker in starting]

    def _launch(self) -> _Worker:
        parent_socket, child_socket = socket.socketpair()
        # The worker must import whatever this process can (plugins given as module:Class).
        path = os.pathsep.join([entry for entry in sys.path if entry] + [os.environ.get("PYTHONPATH", "")])
        process = subprocess.Popen(
            [sys.executable, "-m", "rewards.verifier_worker", str(child_socket.fileno()), str(self.memory_mb)],
            pass_fds=[child_socket.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
        child_socket.close()
        connection = Connection(parent_socket.detach())
        connection.send(list(self.specs.values()))  # built by the worker before it reports ready
        return _Worker(process, connection)

    def _replace(self, worker: _Worker, requeue: deque) -> None:
        """Kill a worker and start a fresh one; its unanswered jobs go back to the queue."""
        requeue.extendleft(reversed(worker.chunk))
        worker.chunk = []
        _stop(worker, kill=True)
        self._workers[self._workers.index(worker)] = _await_ready(self._launch())
        self.num_replaced += 1


def _await_ready(worker: _Worker) -> _Worker:
    reason = "its error is printed above"
    if worker.connection.poll(STARTUP_TIMEOUT_S):
        try:
            status, _, message = worker.connection.recv()
            if status == "ready":
                return worker
            reason = message
        except (EOFError, OSError):
            pass
    _stop(worker, kill=True)
    raise VerifierError(f"a verifier worker failed to start (exit code {worker.process.poll()}): {reason}")


def _stop(worker: _Worker, kill: bool = False) -> None:
    if not kill:
        try:
            worker.connection.send(None)
            worker.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            kill = True
    if kill and worker.process.poll() is None:
        worker.process.kill()
        worker.process.wait()
    worker.connection.close()
