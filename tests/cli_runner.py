"""Run the `selfplay` CLI in-process, as the tests of its commands do."""

from rich.console import Console

from selfplay import cli


def run_cli(capsys, *argv):
    """Run `selfplay *argv`; returns (exit code, stdout, stderr).

    The console is wide for the call, so table cells and FAIL lines are not
    wrapped in the middle of what a test asserts on.
    """
    narrow, cli.console = cli.console, Console(width=250)
    try:
        exit_code = cli.main(list(argv))
    finally:
        cli.console = narrow
    captured = capsys.readouterr()
    return exit_code, captured.out, captured.err
