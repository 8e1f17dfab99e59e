"""Verify untrusted completions in worker processes, each bounded in time and memory.

A model can write an answer that makes a checker hang (`9**9**9**9` handed to
sympy) or eat memory, and a reward that hangs stops training for everyone. So
every verification runs in a worker process with a memory limit, and the
parent kills and replaces a worker that overruns its time budget: that
completion scores 0 ("timed out") and the batch completes. A spare worker is
kept started and ready, so replacing one takes milliseconds and no call waits
for an interpreter to start. Signals such as SIGALRM are not used: they only
work on the main thread.

    >>> with VerifierPool({"arithmetic": EnvironmentSpec.of("arithmetic")}) as pool:
    ...     pool.verify([(problem, "<answer>95</answer>")])
    [Verdict(score=1.0, reason='', error=False)]

An exception other than AnswerError inside an environment's checker is a bug,
not a model mistake, but it must not stop training either: the completion
scores 0 with `Verdict.error` set, and the pool counts it apart from wrong
answers (`take_counts()`, `error_count`, `errors`), so a campaign can log the
error rate and stop when it is too high.
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

from env.errors import CampaignStopped
from env.problem import Problem, Verdict
from env.registry import EnvironmentSpec

MAX_CHUNK = 32  # jobs sent to a worker at once; results come back one by one
STARTUP_TIMEOUT_S = 60.0
MAX_ERROR_RECORDS = 20  # errors kept with their traceback; later ones are only counted
MAX_RECORDED_COMPLETION_CHARS = 500
TIMED_OUT = "verification timed out"  # start of a timeout's reason
DIED = "verifier process died"


class VerifierError(CampaignStopped):
    """A verifier worker could not start (e.g. an environment failed to load in it)."""


@dataclass(frozen=True)
class VerifierErrorRecord:
    """One completion whose verification raised: enough to reproduce and fix the checker."""

    env: str  # the environment's name
    completion: str  # the completion, cut to MAX_RECORDED_COMPLETION_CHARS
    reason: str  # the exception's type and message, as in the Verdict
    traceback: str


@dataclass
class VerifierCounts:
    """What happened to the completions verified since the counts were last taken."""

    num_verified: int = 0
    num_errors: int = 0  # the checker raised: scored 0, Verdict.error is True (a bug, not the model)
    num_timeouts: int = 0  # over the time bound: scored 0, the worker was replaced
    num_died: int = 0  # the worker died (e.g. killed by the kernel for memory): scored 0
    num_workers_replaced: int = 0

    @property
    def error_rate(self) -> float:
        """num_errors / num_verified, 0.0 when nothing was verified."""
        return self.num_errors / self.num_verified if self.num_verified else 0.0


@dataclass
class _Worker:
    process: subprocess.Popen
    connection: Connection
    chunk: list[int] = field(default_factory=list)  # job indices sent and not yet answered
    last_progress: float = 0.0
    ready: bool = False  # it has built its environments and said so
    started: float = field(default_factory=time.monotonic)


class VerifierPool:
    """Worker processes that verify completions; `num_workers=0` verifies in-process with no bound.

    Error counting, for the campaign layer: a completion whose checker raised scores 0 with
    `Verdict.error` True. `pool.take_counts()` returns a VerifierCounts of everything verified
    since the previous call (num_verified, num_errors, error_rate, num_timeouts, ...) and starts
    new counts: call it once per batch, log `num_errors` as `verifier/errors`, and stop when
    `error_rate` passes the configured threshold. `pool.error_count` is the total since the
    pool was created, and `pool.errors` keeps the first MAX_ERROR_RECORDS errors as
    VerifierErrorRecord (environment, completion, reason, traceback) for the report.
    """

    def __init__(
        self,
        environments: Mapping[str, EnvironmentSpec],
        num_workers: int = 2,
        timeout_s: float = 1.0,
        memory_mb: int = 1024,
        max_error_rate: float = 1.0,
    ):
        if not 0.0 <= max_error_rate <= 1.0:
            raise ValueError(f"verifier: max_error_rate must be in [0, 1], got {max_error_rate}")
        self.max_error_rate = max_error_rate  # a batch whose checker raised on more than this share stops the run
        if timeout_s <= 0:
            raise ValueError(f"verifier: timeout_s must be > 0, got {timeout_s}")
        if num_workers < 0:
            raise ValueError(f"verifier: num_workers must be >= 0, got {num_workers}")
        self.specs = dict(environments)
        self.num_workers = num_workers
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.num_replaced = 0  # workers killed for overrunning; a health signal worth logging
        self.error_count = 0  # verifications that raised, since the pool was created
        self.errors: list[VerifierErrorRecord] = []  # the first MAX_ERROR_RECORDS of them
        self._counts = VerifierCounts()
        self._workers: list[_Worker] = []
        self._spare: _Worker | None = None  # started ahead, takes over from a worker that is killed
        self._local = {name: spec.build() for name, spec in self.specs.items()} if num_workers == 0 else {}

    def __enter__(self) -> "VerifierPool":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self):
        if hasattr(self, "_workers"):  # absent when __init__ rejected its arguments
            self.close()

    def verify(self, jobs: Sequence[tuple[Problem, str]]) -> list[Verdict]:
        """One Verdict per (problem, completion), in order; never raises for what a completion contains."""
        unknown = {problem.env for problem, _ in jobs} - set(self.specs)
        if unknown:
            raise KeyError(f"verifier: no environment configured for {sorted(unknown)}; known: {sorted(self.specs)}")
        if self.num_workers == 0:
            verdicts = [self._local[problem.env].verify(problem, completion) for problem, completion in jobs]
        else:
            verdicts = self._verify_in_workers(jobs)
        self._count(jobs, verdicts)
        self._stop_if_broken(jobs, verdicts)
        return verdicts

    def _stop_if_broken(self, jobs: Sequence[tuple[Problem, str]], verdicts: list[Verdict]) -> None:
        """A checker that raises on most of a batch is a bug to fix, not a model to train: stop, naming it."""
        failed = [(problem.env, verdict.reason) for (problem, _), verdict in zip(jobs, verdicts) if verdict.error]
        if not failed or len(failed) / len(verdicts) <= self.max_error_rate:
            return
        environments = sorted({env for env, _ in failed})
        raise VerifierError(
            f"the checker of {', '.join(environments)} raised on {len(failed)} of {len(verdicts)} completions in one batch "
            f"(more than verifier.max_error_rate {self.max_error_rate}); first: {failed[0][1]}"
        )

    def take_counts(self) -> VerifierCounts:
        """Counts since the previous call (or since the pool was created), and start new ones."""
        counts, self._counts = self._counts, VerifierCounts()
        return counts

    def close(self) -> None:
        for worker in self._workers + ([self._spare] if self._spare else []):
            _stop(worker, kill=not worker.ready)  # a spare still starting has nothing to finish
        self._workers, self._spare = [], None

    # -- counting -------------------------------------------------------------
    def _count(self, jobs: Sequence[tuple[Problem, str]], verdicts: list[Verdict]) -> None:
        counts = self._counts
        counts.num_verified += len(verdicts)
        for (problem, completion), verdict in zip(jobs, verdicts):
            counts.num_timeouts += verdict.reason.startswith(TIMED_OUT)
            counts.num_died += verdict.reason == DIED
            if not verdict.error:
                continue
            counts.num_errors += 1
            self.error_count += 1
            if len(self.errors) < MAX_ERROR_RECORDS:
                text = (completion if isinstance(completion, str) else repr(completion))[:MAX_RECORDED_COMPLETION_CHARS]
                self.errors.append(VerifierErrorRecord(problem.env, text, verdict.reason, verdict.traceback))

    # -- scheduling -----------------------------------------------------------
    def _verify_in_workers(self, jobs: Sequence[tuple[Problem, str]]) -> list[Verdict]:
        self._start_workers()
        results: list[Verdict | None] = [None] * len(jobs)
        pending = deque(range(len(jobs)))
        while pending or any(worker.chunk for worker in self._workers):
            self._dispatch(pending, jobs)
            self._collect(results, pending)
            self._enforce_deadlines(results, pending)
        return results  # type: ignore[return-value]

    def _dispatch(self, pending: deque, jobs: Sequence[tuple[Problem, str]]) -> None:
        idle = [worker for worker in self._workers if worker.ready and not worker.chunk]
        for worker in idle:
            if not pending:
                return
            size = min(MAX_CHUNK, -(-len(pending) // len(idle)))
            chunk = [pending.popleft() for _ in range(min(size, len(pending)))]
            payload = [(self.specs[jobs[i][0].env], jobs[i][0].to_row(), jobs[i][1]) for i in chunk]
            worker.connection.send(payload)
            worker.chunk, worker.last_progress = chunk, time.monotonic()

    def _collect(self, results: list, pending: deque) -> None:
        """Wait for the next answer, deadline or startup: busy workers answer jobs, starting ones say ready."""
        watched = {worker.connection: worker for worker in self._workers if worker.chunk or not worker.ready}
        if not watched:
            return
        deadlines = [worker.last_progress + self.timeout_s if worker.ready else worker.started + STARTUP_TIMEOUT_S
                     for worker in watched.values()]  # fmt: skip
        for connection in wait(list(watched), timeout=max(0.0, min(deadlines) - time.monotonic())):
            worker = watched[connection]
            if not worker.ready:
                _await_ready(worker, timeout_s=0.0)
                continue
            try:
                score, reason, error, trace = connection.recv()
            except (EOFError, OSError):  # the worker died, e.g. killed by the kernel for memory
                results[worker.chunk.pop(0)] = Verdict(0.0, DIED)
                self._replace(worker, requeue=pending)
                continue
            index = worker.chunk.pop(0)
            worker.last_progress = time.monotonic()
            results[index] = Verdict(score, reason, error, trace)

    def _enforce_deadlines(self, results: list, pending: deque) -> None:
        now = time.monotonic()
        for worker in self._workers:
            if not worker.ready and now - worker.started > STARTUP_TIMEOUT_S:
                _await_ready(worker, timeout_s=0.0)  # raises VerifierError: it never said ready
            if worker.chunk and now - worker.last_progress > self.timeout_s:
                results[worker.chunk.pop(0)] = Verdict(0.0, f"{TIMED_OUT} after {self.timeout_s:g} s")
                self._replace(worker, requeue=pending)

    # -- workers --------------------------------------------------------------
    def _start_workers(self) -> None:
        starting = [self._launch() for _ in range(self.num_workers - len(self._workers))]
        if self._spare is None:
            self._spare = self._launch()
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
        """Kill a worker and put the spare in its place; its unanswered jobs go back to the queue.

        The spare started long ago and is ready, so this takes milliseconds and nobody waits for an
        interpreter to start; the next spare starts now. Should a second worker be replaced before that
        one is ready, it takes its slot anyway and gets jobs once it says ready (see _collect), while
        the other workers go on: deadlines are never held up by a starting worker.
        """
        requeue.extendleft(reversed(worker.chunk))
        worker.chunk = []
        _stop(worker, kill=True)
        self._workers[self._workers.index(worker)] = self._spare if self._spare is not None else self._launch()
        self._spare = self._launch()
        self.num_replaced += 1
        self._counts.num_workers_replaced += 1


def _await_ready(worker: _Worker, timeout_s: float = STARTUP_TIMEOUT_S) -> _Worker:
    """Wait for the worker's "ready"; VerifierError if it fails to start or says nothing within timeout_s."""
    if worker.ready:
        return worker
    reason = "its error is printed above"
    if worker.connection.poll(timeout_s):
        try:
            status, message = worker.connection.recv()
            if status == "ready":
                worker.ready = True
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
