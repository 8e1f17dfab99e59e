"""The verifier worker process: `python -m rewards.verifier_worker FD MEMORY_MB`.

Started by VerifierPool as a fresh interpreter (not a fork, so no torch
threads or main-module re-import come along). It first receives the
environment specs to build, answers ("ready", "") (or ("failed", why)), then
receives chunks of (environment spec, problem row, completion) over the socket
FD and sends back one (score, reason, error, traceback) per job, in order: a
Verdict's fields. Nothing a completion contains makes it send anything else.
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from env.problem import Problem, Verdict
from env.registry import EnvironmentSpec


def main(argv: list[str]) -> None:
    connection = Connection(int(argv[0]))
    _limit_memory(int(argv[1]))
    # Build every configured environment before reporting ready: a plugin's slow import
    # (reasoning-gym takes a second) must not count against the first completion's deadline.
    environments: dict[EnvironmentSpec, object] = {}
    for spec in connection.recv():
        try:
            environments[spec] = spec.build()
        except Exception as error:
            connection.send(("failed", f"environment {spec.ref!r} failed to load: {type(error).__name__}: {error}"))
            return
    connection.send(("ready", ""))
    while True:
        try:
            chunk = connection.recv()
        except EOFError:
            return
        if chunk is None:
            return
        for spec, row, completion in chunk:
            connection.send(_verify_one(environments, spec, row, completion))


def _verify_one(environments: dict, spec: EnvironmentSpec, row: dict, completion: str) -> tuple:
    try:
        if spec not in environments:
            environments[spec] = spec.build()
        verdict = environments[spec].verify(Problem.from_row(row), completion)
        if not isinstance(verdict, Verdict):  # a plugin that overrides verify() and returns something else
            raise TypeError(f"environment {spec.ref!r}: verify() returned {type(verdict).__name__}, not a Verdict")
        return (float(verdict.score), str(verdict.reason), bool(verdict.error), str(verdict.traceback))
    except MemoryError:
        verdict = Verdict(0.0, "verification ran out of memory")
    except Exception as error:  # Environment.verify never raises; this covers building and plugins' overrides
        verdict = Verdict.from_exception(error)
    return (verdict.score, verdict.reason, verdict.error, verdict.traceback)


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # not on Windows; the time bound still holds
        return
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


if __name__ == "__main__":
    main(sys.argv[1:])
