"""Verifier throughput: verifications per second for each built-in environment, in-process and sandboxed.

    $ python -m benchmarks.verify_throughput                 # from the repository root
    $ python benchmarks/verify_throughput.py --num-completions 500 --no-write

Each environment gets a realistic batch over all its levels, in the order a
GRPO batch interleaves them: half the completions give the reference answer
after a line of reasoning, half are wrong or malformed (the teacher's
systematic mistake, an empty answer, no answer, two different answers, a
truncated ramble, an unreadable expression). Three ways of verifying are
timed on the same batch: serially in this process (`VerifierPool` with
`num_workers=0`, i.e. `env.verify`), and through the sandboxed pool with 1
and 2 worker processes. Only the verify calls are timed; starting the
workers is reported on its own (it is paid once per campaign, not per batch),
and a few other problems are verified untimed first in every mode, so
one-off costs such as lazy imports do not count as throughput.
The verdicts of the three must agree, or the script stops.

Figures go to the `verify` section of benchmarks/RESULTS.md. They depend on
what else the machine is doing: the load average at the start is recorded.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from env import EnvironmentSpec, get_environment
from env.registry import BUILTINS
from rewards import VerifierPool

try:
    from benchmarks.results import markdown_table, write_section
except ImportError:  # run as `python benchmarks/verify_throughput.py`: this folder is on sys.path, the root is not
    from results import markdown_table, write_section

POOL_SIZES = (1, 2)
TIMEOUT_S = 1.0  # the campaign's default verifier.timeout_s
REASONING = "Let me work through this step by step.\n"
WRONG_KINDS = ("teacher", "teacher", "empty", "missing", "two answers", "truncated", "unreadable")


def build_batch(name: str, count: int, seed: int = 0) -> list[tuple]:
    """`count` (problem, completion) pairs over every level: even positions correct, odd ones wrong or malformed."""
    environment = get_environment(name)
    careless = environment  # its teacher errs by a habit; where its answer is right a digit is appended below
    render = environment.answer_format.render
    levels = environment.difficulties
    jobs = []
    for i in range(count):
        problem = environment.problem(seed, i // 2, levels[(i // 2) % len(levels)])
        if i % 2 == 0:
            jobs.append((problem, REASONING + render(problem.answer)))
            continue
        wrong_answer = careless.teacher_answer(problem)
        if wrong_answer == problem.answer:  # no mistake to make here (e.g. no carry): append a digit instead
            wrong_answer = problem.answer + "0"
        kind = WRONG_KINDS[(i // 2) % len(WRONG_KINDS)]
        completion = {
            "teacher": REASONING + render(wrong_answer),
            "empty": REASONING + render(""),
            "missing": REASONING + "I am not sure what the answer is.",
            "two answers": f"{render(problem.answer)}\nor maybe\n{render(wrong_answer)}",
            "truncated": REASONING + "First, " * 40,
            "unreadable": REASONING + render("9**9**9**9"),
        }[kind]
        jobs.append((problem, completion))
    return jobs


def time_verify(pool: VerifierPool, jobs: list[tuple]) -> tuple[float, list]:
    started = time.perf_counter()
    verdicts = pool.verify(jobs)
    return time.perf_counter() - started, verdicts


def measure(name: str, count: int) -> dict:
    """Throughput of one environment in every mode, plus the pools' start-up time."""
    specs = {name: EnvironmentSpec.of(name)}
    jobs = build_batch(name, count)
    # Other problems, verified untimed first in every mode: one-off costs (lazy imports) are not throughput.
    warmup = build_batch(name, 8 * max(POOL_SIZES), seed=1)
    with VerifierPool(specs, num_workers=0) as serial:
        serial.verify(warmup)
        _clear_sympy_cache()  # building the batch cached its expressions here; the workers start without them
        elapsed, reference = time_verify(serial, jobs)
    share_correct = sum(verdict.score == 1.0 for verdict in reference) / count
    row = {"count": count, "correct": share_correct, "serial": count / elapsed, "timeouts": 0}
    for size in POOL_SIZES:
        with VerifierPool(specs, num_workers=size, timeout_s=TIMEOUT_S) as pool:
            row[f"startup{size}"], _ = time_verify(pool, warmup[:1])  # starts the workers
            pool.verify(warmup)
            elapsed, verdicts = time_verify(pool, jobs)
        timed_out = ["timed out" in verdict.reason for verdict in verdicts]
        mismatches = sum(a.score != b.score and not late for a, b, late in zip(verdicts, reference, timed_out))
        if mismatches:
            raise SystemExit(f"{name}: {mismatches} verdicts differ between {size} workers and in-process")
        row[f"pool{size}"] = count / elapsed
        row["timeouts"] += sum(timed_out)  # only on a very busy machine; they score 0
    return row


def _clear_sympy_cache() -> None:
    if "sympy" in sys.modules:
        from sympy.core.cache import clear_cache

        clear_cache()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-completions", type=int, default=2000, help="completions per environment")
    parser.add_argument("--envs", nargs="+", default=sorted(BUILTINS), help="environments to measure")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md as it is")
    args = parser.parse_args(argv)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = ["environment", "completions", "share correct", "serial verif/s", "serial µs/verif"]
    header += [f"pool {n} worker{'s' if n > 1 else ''} verif/s" for n in POOL_SIZES]
    header += [f"start-up {n} worker{'s' if n > 1 else ''} s" for n in POOL_SIZES] + ["timeouts"]
    rows = []
    for name in args.envs:
        row = measure(name, args.num_completions)
        cells = [name, row["count"], f"{row['correct']:.2f}", f"{row['serial']:,.0f}", f"{1e6 / row['serial']:,.0f}"]
        cells += [f"{row[f'pool{n}']:,.0f}" for n in POOL_SIZES]
        cells += [f"{row[f'startup{n}']:.2f}" for n in POOL_SIZES] + [row["timeouts"]]
        rows.append(cells)
        print(" | ".join(str(cell) for cell in cells), flush=True)

    table = markdown_table(header, rows)
    note = (
        f"Half the completions are correct, half wrong or malformed ({', '.join(sorted(set(WRONG_KINDS)))}), "
        f"over every level; only verify calls are timed, worker start-up is separate; pool timeout {TIMEOUT_S:g} s. "
        f"Load average at the start: {load:.2f} (other work may have shared the CPU)."
    )
    print()
    print(table)
    print(note)
    if not args.no_write:
        arguments = argv if argv is not None else sys.argv[1:]
        command = " ".join(["python -m benchmarks.verify_throughput", *arguments])
        write_section("verify", f"{table}\n\n{note}", command=command, title="Verifier throughput")
    return 0


if __name__ == "__main__":
    sys.exit(main())
