"""The `selfplay` command: thin wrappers that parse arguments and call one function each.

    selfplay launch                         # the quickstart campaign on the built-in defaults
    selfplay launch configs/algebra.yaml --set train.learning_rate=2e-5
    selfplay resume runs/quickstart
    selfplay compare quickstart
    selfplay ui
    selfplay pretrain
    selfplay envs list
    selfplay envs sample algebra -n 3
    selfplay envs check my_package.envs:MyEnv

Errors a user can cause (unknown names, bad values) print one line and exit 2.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.table import Table

from selfplay.console import output_console

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Self-improving language models on verifiable rewards.")
envs_app = typer.Typer(no_args_is_help=True, help="List, sample and check environments.")
app.add_typer(envs_app, name="envs")

console = output_console()
USER_ERROR_EXIT_CODE = 2


class UserError(Exception):
    """A problem with what the user asked for; printed as one line, exit code 2."""


def main(argv: Optional[list[str]] = None) -> int:
    """Run the command line; returns the exit code (tests call this directly)."""
    import click

    _quiet_libraries()
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
        print(f"selfplay: error: {_message(error)}", file=sys.stderr)
        return USER_ERROR_EXIT_CODE
    except Exception as error:
        if not _is_campaign_stop(error):
            raise
        print(f"selfplay: stopped: {_message(error)}", file=sys.stderr)
        return 1


def _quiet_libraries() -> None:
    """Keep the terminal for selfplay's own progress: no weight-loading bars or library chatter."""
    import logging
    import os
    import warnings

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    # Spinning OpenMP threads make torch 10x slower whenever another process wants a core
    # (a verifier worker, a pip install); passive waiting costs little when the machine is idle.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")  # not "creating database tables" on every start
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    for name in ("alembic", "datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _message(error: Exception) -> str:
    return str(error.args[0]) if error.args else str(error)


def _is_user_error(error: Exception) -> bool:
    """Config, registry and environment-option errors are the user's; others are bugs and keep their traceback."""
    from policy.errors import SettingError
    from selfplay.config_loader import ConfigError

    return isinstance(error, (UserError, ConfigError, SettingError)) or getattr(error, "selfplay_user_error", False)


def _is_campaign_stop(error: Exception) -> bool:
    """Failures with a clear cause (a plugin, the tracking server): one line, exit 1; the state allows resume."""
    from rewards.sandbox import VerifierError
    from selfplay.errors import CampaignError
    from selfplay.tracking import TrackingError

    return isinstance(error, (CampaignError, TrackingError, VerifierError))


def user_errors(function):
    """Mark ValueError/KeyError/TypeError raised by `function` as caused by the user's input."""

    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (KeyError, ValueError, TypeError) as error:
            error.selfplay_user_error = True
            raise

    return wrapper


# -- campaigns -------------------------------------------------------------------------
ConfigArgument = typer.Argument(None, help="Campaign YAML (default: the built-in quickstart).")
SetOption = typer.Option(None, "--set", help="Override a setting: --set train.learning_rate=1e-5 (repeatable).")
TrackingOption = typer.Option(None, "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite in output_dir).")


@app.command()
def launch(
    config_path: Optional[str] = ConfigArgument,
    overrides: Optional[list[str]] = SetOption,
    tracking_uri: Optional[str] = TrackingOption,
    run_dir: Optional[str] = typer.Option(None, "--run-dir", help="Run folder (default: output_dir/name)."),
) -> None:
    """Start a self-improvement campaign."""
    from selfplay.campaign import launch as launch_campaign
    from selfplay.config_loader import load_config

    config = load_config(config_path, overrides or [])
    launch_campaign(config, run_dir, tracking_uri)  # a bug deep inside keeps its traceback; SettingError does not


@app.command()
def resume(
    run_dir: str = typer.Argument(..., help="The run folder of the campaign to continue."),
    tracking_uri: Optional[str] = TrackingOption,
) -> None:
    """Continue a campaign that was killed, failed or ran out of time."""
    from selfplay.campaign import resume as resume_campaign

    resume_campaign(run_dir, tracking_uri)


@app.command()
def pretrain(config_path: Optional[str] = ConfigArgument, overrides: Optional[list[str]] = SetOption) -> None:
    """Pretrain the tiny model by imitating each environment's systematically wrong teacher."""
    from policy.pretrain import pretrain as run_pretraining
    from selfplay.environments import build_environments
    from selfplay.config_loader import load_config

    config = load_config(config_path, overrides or [])
    if config.policy.model != "tiny":
        raise UserError(f"policy.model is {config.policy.model!r}; pretraining is for the tiny model only")
    configured = user_errors(build_environments)(config)
    environments = [(name, c.spec, c.entry.weight) for name, c in configured.items()]
    result = run_pretraining(config.policy, config.pretrain, environments)
    table = Table("env/level", "pretrained pass@1", "teacher accuracy", title=f"pretrained model: {result.folder}")
    for key, value in result.pass_at_1.items():
        table.add_row(key, f"{value:.3f}", f"{result.teacher_accuracy[key]:.3f}")
    console.print(table)
    console.print(f"{result.num_parameters:,} parameters, {'reused' if result.reused else f'{result.wall_time_s:.0f} s'}")


@app.command()
def compare(
    campaign: str = typer.Argument(..., help="Campaign name (its MLflow experiment)."),
    output_dir: str = typer.Option("runs", help="Where the default sqlite store lives."),
    tracking_uri: Optional[str] = TrackingOption,
) -> None:
    """The campaign's generations as a table, read back from MLflow."""
    from selfplay.compare import generations_from_mlflow
    from selfplay.report import generations_table
    from selfplay.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri, None, output_dir)
    console.print(generations_table(user_errors(generations_from_mlflow)(uri, campaign), title=f"campaign {campaign}"))


@app.command()
def ui(
    output_dir: str = typer.Option("runs", help="Where the default sqlite store lives."),
    tracking_uri: Optional[str] = TrackingOption,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (localhost by default)."),
    port: int = typer.Option(5000),
) -> int:
    """Start the MLflow UI on the campaigns' store."""
    import subprocess

    from selfplay.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri, None, output_dir)
    if not uri.startswith(("sqlite:", "file:", "postgresql", "mysql")) and "://" in uri:
        console.print(f"the campaigns are on a tracking server already: open {uri} in a browser")
        return 0
    console.print(f"MLflow UI on http://{host}:{port} for {uri}")
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", host, "--port", str(port), "--workers", "1"]
    return subprocess.call(command)


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
    num_problems: int = typer.Option(20, "--num-problems", "-n", help="Problems per level and check."),
) -> int:
    """Conformance checks for environment authors; exits 1 if any check fails."""
    from env import get_environment, list_environments
    from env.checker import check_environment

    failed = 0
    for name in names or [info.name for info in list_environments()]:
        try:
            results = check_environment(get_environment(name), seed=seed, num_problems=num_problems)
        except (KeyError, ValueError, TypeError) as error:  # a broken plugin fails its own line
            console.print(f"{name}: [red]cannot load[/red]: {_message(error)}", highlight=False)
            failed += 1
            continue
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
