"""The `selfplay` command: thin wrappers that parse arguments and call one function each.

    selfplay envs list
    selfplay envs sample algebra -n 3
    selfplay envs check my_package.envs:MyEnv

Errors a user can cause (unknown names, bad values) print one line and exit 2.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Self-improving language models on verifiable rewards.")
envs_app = typer.Typer(no_args_is_help=True, help="List, sample and check environments.")
app.add_typer(envs_app, name="envs")

console = Console()
USER_ERROR_EXIT_CODE = 2


class UserError(Exception):
    """A problem with what the user asked for; printed as one line, exit code 2."""


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command line; returns the exit code (tests call this directly)."""
    import click

    try:
        result = app(args=argv, prog_name="selfplay", standalone_mode=False)
        return int(result or 0)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return USER_ERROR_EXIT_CODE
    except click.exceptions.Abort:
        return 130
    except (UserError, KeyError, ValueError, TypeError) as error:
        if not _is_user_error(error):
            raise
        message = error.args[0] if error.args else str(error)
        print(f"selfplay: error: {message}", file=sys.stderr)
        return USER_ERROR_EXIT_CODE


def _is_user_error(error: Exception) -> bool:
    """Config, registry and environment-option errors are the user's; others are bugs and keep their traceback."""
    return isinstance(error, UserError) or getattr(error, "selfplay_user_error", False)


def user_errors(function):
    """Mark ValueError/KeyError/TypeError raised by `function` as caused by the user's input."""

    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (KeyError, ValueError, TypeError) as error:
            error.selfplay_user_error = True
            raise

    return wrapper


# -- selfplay envs --------------------------------------------------------------
@envs_app.command("list")
def envs_list() -> None:
    """Every environment: built-ins and installed plugins."""
    from env import list_environments

    table = Table("name", "source", "levels", "description")
    for info in list_environments():
        levels = ", ".join(map(str, info.difficulties)) or "-"
        table.add_row(info.name, info.source, levels, info.description)
    console.print(table)


@envs_app.command("sample")
def envs_sample(
    name: str = typer.Argument(..., help="Environment name or package.module:ClassName."),
    difficulty: int = typer.Option(1, "--difficulty", "-d", help="Difficulty level."),
    count: int = typer.Option(5, "-n", help="How many problems."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed; the same seed gives the same problems."),
    split: str = typer.Option("train", help="train or eval (held-out)."),
    answer_format: Optional[str] = typer.Option(None, help="tag, boxed, answer_line or last_number."),
) -> None:
    """Show problems with their reference answers."""
    environment = _load_environment(name, answer_format)
    problems = user_errors(environment.problems)(count, seed, difficulty, split)
    table = Table("id", "prompt", "reference answer", "teacher's demonstration")
    for problem in problems:
        table.add_row(problem.id, problem.prompt, problem.answer, environment.demonstration(problem))
    console.print(table)


@envs_app.command("check")
def envs_check(
    names: list[str] = typer.Argument(None, help="Environments to check (default: every registered one)."),
    seed: int = typer.Option(0, "--seed", "-s"),
) -> int:
    """Conformance checks for environment authors; exits 1 if any check fails."""
    from env import list_environments
    from env.checker import check_environment

    failed = 0
    for name in names or [info.name for info in list_environments()]:  # a broken one fails its own line
        results = check_environment(_load_environment(name), seed=seed)
        failures = [result for result in results if not result.passed]
        failed += len(failures)
        status = "[green]ok[/green]" if not failures else f"[red]{len(failures)} failed[/red]"
        console.print(f"{name}: {len(results) - len(failures)}/{len(results)} checks passed {status}")
        for failure in failures:
            console.print(f"  [red]FAIL[/red] {failure.name}: {failure.detail}", highlight=False)
    return 1 if failed else 0


def _load_environment(name: str, answer_format: Optional[str] = None):
    from env import get_environment

    options = {"answer_format": answer_format} if answer_format else {}
    return user_errors(get_environment)(name, **options)
