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

Errors a user can cause (a bad config, an unknown name, a setting that cannot
work) print one line and exit 2, having written nothing; a campaign that
stopped (a plugin failed mid-run, the tracking store went away) prints one
line and exits 1. Both are one base class each (env/errors.py); any other
exception is a bug and keeps its traceback. The YAML is read and checked
before torch, TRL or MLflow is imported, so a config error comes back in well
under a second.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Optional, Sequence

import typer
from rich.table import Table

from env.errors import CampaignStopped, TooFewProblems, UserError
from selfplay.console import output_console

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Self-improving language models on verifiable rewards.")
envs_app = typer.Typer(no_args_is_help=True, help="List, sample and check environments.")
app.add_typer(envs_app, name="envs")


def _register_game_commands() -> None:
    from selfplay.game_cli import register  # `selfplay league` and `selfplay play` (game campaigns)

    register(app)


_register_game_commands()

console = output_console()
USER_ERROR_EXIT_CODE = 2
CAMPAIGN_STOPPED_EXIT_CODE = 1


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
    except UserError as error:
        print(f"selfplay: error: {error}", file=sys.stderr)
        return USER_ERROR_EXIT_CODE
    except CampaignStopped as error:
        print(f"selfplay: stopped: {error}", file=sys.stderr)
        return CAMPAIGN_STOPPED_EXIT_CODE
    except OSError as error:
        if error.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # A full disk is the machine's state, not a bug: every finished phase is saved, so resume continues.
        print(f"selfplay: stopped: no space left on the device (writing {error.filename or 'a file'}); free some, "
              "then `selfplay resume RUN_FOLDER` continues from the last finished phase", file=sys.stderr)
        return CAMPAIGN_STOPPED_EXIT_CODE


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
    # Read when transformers is imported, which only happens once the config has been checked
    # (importing it here would cost seconds on every config error).
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no weight-loading bars
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    if "transformers" in sys.modules:  # imported already (tests call main() in-process): too late for the variables
        from transformers.utils import logging as transformers_logging

        transformers_logging.set_verbosity_error()
        transformers_logging.disable_progress_bar()
    for name in ("alembic", "datasets"):
        logging.getLogger(name).setLevel(logging.ERROR)


# -- campaigns -------------------------------------------------------------------------
ConfigArgument = typer.Argument(None, help="Campaign YAML (default: the built-in quickstart).")
SetOption = typer.Option(None, "--set", help="Override a setting: --set train.learning_rate=1e-5 (repeatable).")
TrackingOption = typer.Option(None, "--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite in output_dir).")
VerboseOption = typer.Option(False, "--verbose", help="Show the libraries' own output (else in RUN_DIR/library.log).")


@app.command()
def launch(
    config_path: Optional[str] = ConfigArgument,
    overrides: Optional[list[str]] = SetOption,
    tracking_uri: Optional[str] = TrackingOption,
    run_dir: Optional[str] = typer.Option(None, "--run-dir", help="Run folder (default: output_dir/name)."),
    verbose: bool = VerboseOption,
) -> None:
    """Start a self-improvement campaign."""
    from selfplay.config_loader import load_config
    from selfplay.environments import build_environments
    from selfplay.progress import show_library_output

    show_library_output(verbose)

    config = load_config(config_path, overrides or [])
    # Environment names, options and levels are checked here too, in a second, before torch and TRL
    # load; the campaign's launch checks them again with the model and the tracking store.
    build_environments(config)
    from selfplay.campaign import launch as launch_campaign

    launch_campaign(config, run_dir, tracking_uri)


@app.command()
def resume(
    run_dir: str = typer.Argument(..., help="The run folder of the campaign to continue."),
    tracking_uri: Optional[str] = TrackingOption,
    verbose: bool = VerboseOption,
) -> None:
    """Continue a campaign that was killed, failed or ran out of time."""
    from selfplay.config_loader import load_run_config
    from selfplay.progress import show_library_output

    show_library_output(verbose)

    load_run_config(run_dir)  # a missing folder, config or state fails here, before torch and TRL load
    from selfplay.campaign import resume as resume_campaign

    resume_campaign(run_dir, tracking_uri)


@app.command()
def pretrain(config_path: Optional[str] = ConfigArgument, overrides: Optional[list[str]] = SetOption) -> None:
    """Pretrain the policy (the tiny model, or a real one with pretrain.enabled) by imitating each environment's teacher."""
    from selfplay.config_loader import load_config
    from selfplay.environments import build_environments

    config = load_config(config_path, overrides or [])
    if not config.pretrain.runs_for(config.policy.model):
        raise UserError(f"policy.model is {config.policy.model!r}; set pretrain.enabled=true to pretrain a real model")
    configured = build_environments(config)
    from policy.pretrain import pretrain as run_pretraining

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
    output_format: str = typer.Option("table", "--format", help="table, json or csv (one row per generation)."),
    plot: Optional[str] = typer.Option(None, "--plot", help="Also draw pass@1 by generation into FILE (.png; .html needs plotly)."),
) -> None:
    """The campaign's generations as a table, read back from MLflow (a local store or a server)."""
    import csv
    import json

    from selfplay.compare import campaign_from_mlflow
    from selfplay.improvement_plot import write_html, write_png
    from selfplay.report import generations_rows, generations_table

    if output_format not in ("table", "json", "csv"):
        raise UserError(f"--format must be table, json or csv; got {output_format!r}")
    if plot is not None and not plot.endswith((".png", ".html")):
        raise UserError(f"--plot: the file must end in .png or .html; got {plot!r}")
    uri = _store_holding(campaign, output_dir, tracking_uri)
    history = campaign_from_mlflow(uri, campaign)
    rows = generations_rows(history.records)
    if output_format == "table":
        console.print(generations_table(history.records, title=f"campaign {campaign}", gate=history.gate))
    elif output_format == "json":
        print(json.dumps({"campaign": campaign, "gate": history.gate, "teacher_accuracy": history.teacher,
                          "generations": rows}, indent=2))
    else:
        columns = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    if plot is not None:
        title = f"campaign {campaign}: held-out pass@1 by generation"
        write = write_png if plot.endswith(".png") else write_html
        if write(plot, history.records, history.teacher, title) is None:
            raise UserError("--plot: an .html plot needs plotly (pip install plotly); a .png file needs nothing more")
        print(f"wrote {plot}", file=sys.stderr)


def _store_holding(campaign: str, output_dir: str, tracking_uri: str | None) -> str:
    """The tracking URI of the store that holds `campaign`; UserError, creating nothing, if none does.

    Only reads: a local store that does not exist yet is not opened (MLflow would
    create it), and the campaigns offered are experiments with a campaign run,
    not MLflow's "Default".
    """
    from selfplay.tracking import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri, None, output_dir)
    local = _local_store_path(uri)
    if local is not None and not local.exists():
        raise UserError(f"no campaign {campaign!r}: there is no tracking store at {local} yet "
                        "(`selfplay launch` creates it; --output-dir or --tracking-uri point at another)")
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(campaign)
    if experiment is None or experiment.lifecycle_stage != "active":
        experiments = {e.experiment_id: e.name for e in client.search_experiments()}
        runs = client.search_runs(list(experiments), "tags.`selfplay.kind` = 'campaign'") if experiments else []
        names = sorted({experiments[run.info.experiment_id] for run in runs})
        raise UserError(f"no campaign {campaign!r} in {uri} (campaigns: {', '.join(names) or 'none'})")
    return uri


def _local_store_path(uri: str) -> Path | None:
    """The file or folder of a local tracking store (sqlite, file), None for a server."""
    from urllib.parse import urlparse

    if uri.startswith("sqlite:///"):
        return Path(uri[len("sqlite:///"):])
    if uri.startswith("file:"):
        return Path(urlparse(uri).path)
    return None if "://" in uri else Path(uri)


@app.command()
def ui(
    output_dir: str = typer.Option("runs", help="Where the default sqlite store lives."),
    tracking_uri: Optional[str] = TrackingOption,
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (localhost by default)."),
    port: int = typer.Option(5000),
    campaign: Optional[str] = typer.Option(None, "--campaign", help="Print (and with --open, open) this campaign's page."),
    open_browser: bool = typer.Option(False, "--open", help="Open the campaign's page in a web browser."),
) -> int:
    """Start the MLflow UI on the campaigns' store and print each campaign's address in it; Ctrl-C stops it."""
    from selfplay.mlflow_ui import campaign_urls, is_server, serve
    from selfplay.tracking import resolve_tracking_uri, without_credentials

    uri = resolve_tracking_uri(tracking_uri, None, output_dir)
    if campaign is not None:
        uri = _store_holding(campaign, output_dir, tracking_uri)  # UserError naming the campaigns there
    if is_server(uri):
        for name, url in campaign_urls(uri, without_credentials(uri).rstrip("/"), campaign).items():
            console.print(f"campaign {name}: {url}", highlight=False, soft_wrap=True)
        console.print(f"the campaigns are on a tracking server already: open {without_credentials(uri)} in a browser")
        return 0
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    urls = campaign_urls(uri, base, campaign) if _local_store_path(uri) is None or _local_store_path(uri).exists() else {}
    console.print(f"MLflow UI on {base} for {uri}", highlight=False, soft_wrap=True)  # soft_wrap: an address stays whole
    return serve(uri, host, port, lambda line: console.print(line, highlight=False, soft_wrap=True), urls, open_browser)


# -- selfplay envs --------------------------------------------------------------
EnvironmentSetOption = typer.Option(
    None, "--set", help="An environment option, read as YAML (repeatable): --set source=data.jsonl --set checker=integer.")


@envs_app.command("list")
def envs_list() -> None:
    """Every environment: built-ins and installed plugins."""
    from env import list_environments

    table = Table("name", "source", "levels", "description")
    for info in list_environments():
        levels = ", ".join(map(str, info.difficulties)) or "-"
        table.add_row(info.name, info.source, levels, info.description)
    console.print(table)
    console.print(_games_table())


@envs_app.command("sample")
def envs_sample(
    name: str = typer.Argument(..., help="Environment name or package.module:ClassName."),
    difficulty: int = typer.Option(1, "--difficulty", "-d", help="Difficulty level."),
    count: int = typer.Option(5, "-n", help="How many problems."),
    seed: int = typer.Option(0, "--seed", "-s", help="Seed; the same seed gives the same problems."),
    split: str = typer.Option("train", help="train or eval (held-out)."),
    answer_format: Optional[str] = typer.Option(None, help="tag, boxed, answer_line or last_number."),
    settings: Optional[list[str]] = EnvironmentSetOption,
) -> None:
    """Show problems with their reference answers; for a game, openings with their prompts and legal moves."""
    if _is_game(name):
        return _sample_game(name, count, seed, split, answer_format)
    from env.problem import SPLITS
    from selfplay.environments import draw_problems

    environment = _load_environment(name, answer_format, settings or [])
    if difficulty not in environment.levels:
        raise UserError(f"{environment.name}: difficulty must be one of {environment.difficulties}, got {difficulty}")
    if split not in SPLITS:
        raise UserError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    try:
        problems = draw_problems(environment, count, seed, difficulty, split, where=name)
    except TooFewProblems as error:
        raise UserError(f"-n: {error}") from None
    table = Table("id", "prompt", "reference answer", "teacher's demonstration")
    for problem in problems:
        table.add_row(problem.id, problem.prompt, problem.answer, environment.demonstration(problem))
    console.print(table)


@envs_app.command("check")
def envs_check(
    names: list[str] = typer.Argument(None, help="Environments to check (default: every registered one)."),
    seed: int = typer.Option(0, "--seed", "-s"),
    num_problems: int = typer.Option(20, "--num-problems", "-n", help="Problems per level and check (a game: openings per check)."),
    settings: Optional[list[str]] = EnvironmentSetOption,
) -> int:
    """Conformance checks for environment and game authors; exits 1 if a check fails, 2 if one cannot be loaded."""
    from env import list_environments

    if settings and not names:
        raise UserError("--set: name the environments the options are for, e.g. selfplay envs check dataset --set source=data.jsonl")
    failed, unloadable = 0, 0
    for name in names or [info.name for info in list_environments()] + _game_names():
        needs = [] if names else _required_options(name)
        if needs:  # the dataset environment reads the user's file: nothing to check without one
            console.print(f"{name}: skipped: it reads your data (selfplay envs check {name} --set {needs[0]}=...)",
                          highlight=False)
            continue
        try:
            environment = _load_game(name) or _load_environment(name, settings=settings or [])
        except UserError as error:  # a broken plugin fails its own line; the others are still checked
            console.print(f"{name}: [red]cannot load[/red]: {error}", highlight=False)
            unloadable += 1
            continue
        results = _run_checks(environment, seed, num_problems)
        failures = [result for result in results if not result.passed]
        failed += len(failures)
        status = "[green]ok[/green]" if not failures else f"[red]{len(failures)} failed[/red]"
        console.print(f"{name}: {len(results) - len(failures)}/{len(results)} checks passed {status}")
        for failure in failures:
            console.print(f"  [red]FAIL[/red] {failure.name}: {failure.detail}", highlight=False)
    if unloadable:
        return USER_ERROR_EXIT_CODE
    return 1 if failed else 0


def _load_environment(name: str, answer_format: Optional[str] = None, settings: Sequence[str] = ()):
    """The environment `name` refers to, with `--set key=value` options; UserError for an unknown name or a rejected option.

    A data set is read here and what it left out is said in one line, so a file or column that
    does not exist is reported as this environment's error, not as a failed check.
    """
    import yaml

    from env import EnvironmentSpec
    from env.dataset import DatasetEnvironment
    from selfplay.environments import build_environment

    options = {}
    for setting in settings:
        key, separator, text = setting.partition("=")
        if not separator or not key.strip():
            raise UserError(f"--set {setting!r}: expected key=value, e.g. --set source=data.jsonl")
        try:
            options[key.strip()] = yaml.safe_load(text)
        except yaml.YAMLError:
            options[key.strip()] = text
    if answer_format:
        options["answer_format"] = answer_format
    environment = build_environment(EnvironmentSpec.of(name, **options))
    if isinstance(environment, DatasetEnvironment):
        console.print(environment.data_report().summary(), highlight=False, soft_wrap=True)
    return environment


def _required_options(name: str) -> list[str]:
    """Options an environment cannot be built without (the dataset environment's source); none for a game."""
    from env.registry import environment_class

    try:
        return list(getattr(environment_class(name), "required_options", ()))
    except UserError:  # a game, or a plugin that fails to import: the loader reports it
        return []


# -- games in `selfplay envs` (env/games/) ----------------------------------------------
def _is_game(name: str) -> bool:
    """Whether `name` is a game; UserError naming the closest game for a name that is neither but close to one."""
    from env.games import is_game
    from env.games.game import closest_hint
    from env.registry import environment_class

    if is_game(name):
        return True
    hint = closest_hint(name, _game_names()) if ":" not in name else ""
    if hint:
        try:
            environment_class(name)
        except UserError as error:
            if str(error).startswith("unknown environment"):  # not a plugin that fails to import
                raise UserError(f"unknown environment or game {name!r}{hint}") from None
            raise
    return False


def _game_names() -> list[str]:
    from env.games import list_games

    return [info.name for info in list_games()]


def _load_game(name: str, answer_format: Optional[str] = None):
    """The game `name` refers to, None when it names an environment; UserError for a rejected option."""
    from env.games import get_game

    if not _is_game(name):
        return None
    options = {"answer_format": answer_format} if answer_format else {}
    try:
        return get_game(name, **options)
    except UserError:
        raise
    except (TypeError, ValueError) as error:  # the constructor's answer to a bad option, as for environments
        raise UserError(str(error)) from None


def _run_checks(subject, seed: int, num_problems: int) -> list:
    """The conformance checks of an environment, or of a game (`num_problems` openings per check)."""
    from env.checker import check_environment
    from env.games import Game
    from env.games.checker import check_game

    if isinstance(subject, Game):
        return check_game(subject, seed=seed, num_games=num_problems)
    return check_environment(subject, seed=seed, num_problems=num_problems)


def _games_table() -> Table:
    from env.games import list_games

    table = Table("name", "source", "players", "description", title="games")
    for info in list_games():
        table.add_row(info.name, info.source, ", ".join(info.players) or "-", info.description)
    return table


MAX_SHOWN_MOVES = 12  # legal moves listed by `envs sample` for a game (a Nim heap has a million)


def _sample_game(name: str, count: int, seed: int, split: str, answer_format: Optional[str]) -> None:
    """Openings of a game with the prompt the model sees, its legal moves and the teacher's move."""
    from env.problem import SPLITS

    game = _load_game(name, answer_format)
    if split not in SPLITS:
        raise UserError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}")
    table = Table("opening", "prompt", "legal moves", "teacher's move", title=f"{game.name}; teacher: {game.teacher_errors}")
    for opening in game.openings(count, seed, split):
        legal = game.legal_moves(opening.state)
        step = max(1, len(legal) // MAX_SHOWN_MOVES)  # spread over the list: Nim's first dozen are all heap 1
        shown = [game.render_move(legal[i]) for i in range(0, len(legal), step)][:MAX_SHOWN_MOVES]
        more = f", ... ({len(legal):,} in all)" if len(legal) > MAX_SHOWN_MOVES else ""
        start = f"{opening.index}: {', '.join(opening.moves)}" if opening.moves else f"{opening.index}"
        table.add_row(start, game.prompt(opening.state), ", ".join(shown) + more, game.demonstration(opening.state))
    console.print(table)
