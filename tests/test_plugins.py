"""Third-party environments: installed through an entry point, or loaded as `package.module:ClassName`.

The first test pip-installs tests/example_plugin into a throwaway virtualenv and
runs the `selfplay` command there, as a user would. The others call the CLI
in-process (fast) with environments from tests/plugin_refs.py and broken
plugins written to a temporary directory.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from cli_runner import run_cli

EXAMPLE_PLUGIN = Path(__file__).parent / "example_plugin"
SUBPROCESS_TIMEOUT_S = 120  # generous on 2 busy cores; the whole test takes about 10 s


# -- an installed plugin package ---------------------------------------------------


def make_venv_over_this_one(path: Path) -> Path:
    """A fresh virtualenv that sees exactly the packages of the one running the tests; returns its python.

    A user runs `pip install selfplay-example-plugin` into the environment that
    already has selfplay. We rebuild that without reinstalling selfplay and its
    dependencies: a new venv, plus a .pth file that adds this venv's
    site-packages as a site directory (`site.addsitedir` also runs its .pth
    files, which is how the editable selfplay install is found). The plugin
    is then pip-installed for real into the new venv's own site-packages, and
    importlib.metadata discovers its entry point there, as on a user's machine.
    `--system-site-packages` would not do: it exposes the base interpreter's
    site-packages, not this venv's, so selfplay would not be importable.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=SUBPROCESS_TIMEOUT_S)
    python = path / "bin" / "python"
    new_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT_S,
    ).stdout.strip()
    this_site = sysconfig.get_path("purelib")
    Path(new_site, "selfplay_parent_venv.pth").write_text(f"import site; site.addsitedir({this_site!r})\n")
    return python


def test_installed_plugin_is_listed_sampled_and_checked(tmp_path):
    # The install below uses this venv's pip and setuptools (offline, no build isolation).
    missing = [name for name in ("pip", "setuptools") if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} in this venv to build and install the plugin offline")
    python = make_venv_over_this_one(tmp_path / "venv")
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = shutil.copytree(EXAMPLE_PLUGIN, tmp_path / "example_plugin")
    # pip comes from the parent venv through the .pth; no index and no build isolation: tests stay offline.
    install = [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--no-build-isolation"]
    subprocess.run(install + [str(source)], check=True, timeout=SUBPROCESS_TIMEOUT_S)
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    environment["COLUMNS"] = "250"  # rich wraps table cells at the terminal width

    def selfplay(*argv):
        return subprocess.run(
            [str(python), "-m", "selfplay", *argv],
            capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=SUBPROCESS_TIMEOUT_S,
        )

    listed = selfplay("envs", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if " reverse_words " in line)
    assert "selfplay-example-plugin" in row and "1, 2, 3" in row

    sampled = selfplay("envs", "sample", "reverse_words", "-n", "2")
    assert sampled.returncode == 0, sampled.stderr
    assert sampled.stdout.count("Reverse the order of the words:") == 2

    checked = selfplay("envs", "check", "reverse_words")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "reverse_words: 30/30 checks passed ok" in checked.stdout


# -- package.module:ClassName references ----------------------------------------------


def test_module_class_reference_is_sampled_and_checked(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "sample", "sample_envs:Echo", "-n", "2")
    assert exit_code == 0
    assert out.count("Repeat ") == 2
    exit_code, out, _ = run_cli(capsys, "envs", "check", "plugin_refs:Shout")
    assert exit_code == 0
    assert "plugin_refs:Shout: 20/20 checks passed ok" in out


# -- broken plugins -------------------------------------------------------------------


@pytest.fixture
def broken_distribution(tmp_path, monkeypatch):
    """An installed distribution `broken-plugin` with a plugin that cannot import and one that works."""
    (tmp_path / "broken_plugin.py").write_text("import selfplay_missing_dependency\n")
    (tmp_path / "raises_at_import.py").write_text("raise RuntimeError('a bug in the plugin')\n")
    metadata = tmp_path / "broken_plugin-1.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (metadata / "entry_points.txt").write_text(
        "[selfplay.environments]\nbroken = broken_plugin:Broken\nshout = plugin_refs:Shout\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_plugin_that_fails_to_import_gives_one_line_error(capsys, broken_distribution):
    for name in ["broken", "no_such_module_anywhere:Env"]:
        exit_code, _, err = run_cli(capsys, "envs", "sample", name)
        assert exit_code == 2
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("selfplay: error:") and "cannot import module" in err


def test_list_shows_the_other_environments_when_one_plugin_is_broken(capsys, broken_distribution):
    exit_code, out, _ = run_cli(capsys, "envs", "list")
    assert exit_code == 0
    rows = {line.split()[1]: line for line in out.splitlines() if len(line.split()) > 2}
    assert "cannot load" in rows["broken"] and "selfplay_missing_dependency" in rows["broken"]
    assert "broken-plugin" in rows["shout"] and "Write the word in capitals." in rows["shout"]
    assert "arithmetic" in rows


def test_list_survives_a_plugin_that_raises_at_import(capsys, broken_distribution):
    entry_points = broken_distribution / "broken_plugin-1.0.dist-info" / "entry_points.txt"
    entry_points.write_text(entry_points.read_text() + "raises = raises_at_import:Env\n")
    exit_code, out, _ = run_cli(capsys, "envs", "list")
    assert exit_code == 0 and "shout" in out


def test_reference_to_a_non_environment_is_rejected(capsys):
    exit_code, _, err = run_cli(capsys, "envs", "sample", "plugin_refs:WORDS")
    assert exit_code == 2
    assert "is not a subclass of env.Environment" in err


@pytest.mark.parametrize(
    "reference, attribute", [("plugin_refs:NoLevels", "`levels`"), ("plugin_refs:NoName", "`name`")]
)
def test_plugin_missing_a_declaration_is_rejected_naming_it(capsys, reference, attribute):
    exit_code, _, err = run_cli(capsys, "envs", "sample", reference)
    assert exit_code == 2
    assert len(err.strip().splitlines()) == 1 and attribute in err


@pytest.mark.parametrize(
    "reference, failing_check",
    [
        ("plugin_refs:AcceptsAnything", "wrong, empty and ambiguous answers score 0"),
        ("plugin_refs:GlobalRandom", "same seed gives the same problems"),
    ],
)
def test_check_fails_a_nonconforming_environment_naming_the_check(capsys, reference, failing_check):
    exit_code, out, _ = run_cli(capsys, "envs", "check", reference)
    assert exit_code == 1
    assert f"FAIL level 1: {failing_check}" in out


# -- what `envs check` asks of score and of the teacher ---------------------------------

NONCONFORMING = '''
"""Environments that each break one rule `selfplay envs check` enforces on score and on the teacher."""

from env import Draft, Environment


class Words(Environment):
    name = "words"
    description = "Repeat a word."
    levels = {1: 3}

    def generate(self, rng, level):
        word = "".join(rng.choice("abcdefgh") for _ in range(level)) + str(rng.randrange(10**6))
        return Draft(question=f"Repeat {word}.", answer=word)

    def score(self, answer, problem):
        return answer == problem.answer


class StringScore(Words):
    """Returns the strings "1" and "0", which float() would quietly accept."""

    name = "string_score"

    def score(self, answer, problem):
        return "1" if answer == problem.answer else "0"


class MistakesAccepted(Words):
    """Its teacher's mistake is the answer in capitals, which its score accepts."""

    name = "mistakes_accepted"
    default_teacher_error_rate = 0.3

    def teacher_answer(self, problem):
        return problem.answer.upper() if self.teacher_errs(problem) else problem.answer

    def score(self, answer, problem):
        return answer.lower() == problem.answer


class OverstatedErrors(Words):
    """Declares a teacher wrong on 30% of the problems; it is wrong on about 10%."""

    name = "overstated_errors"
    default_teacher_error_rate = 0.3

    def teacher_answer(self, problem):
        return problem.answer + "x" if self.rng_for(problem, "teacher").random() < 0.1 else problem.answer


class UndeclaredErrors(OverstatedErrors):
    """The same teacher with no declared rate: nothing to compare, so it passes."""

    name = "undeclared_errors"

    def expected_teacher_error_rate(self, difficulty):
        return None
'''


@pytest.fixture
def nonconforming(tmp_path, monkeypatch):
    (tmp_path / "nonconforming_envs.py").write_text(NONCONFORMING)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "nonconforming_envs", raising=False)


@pytest.mark.parametrize("reference, failing_check, detail", [
    ("StringScore", "score returns a bool, a number in [0, 1] or a Verdict", "score() returned str '1'"),
    ("MistakesAccepted", "the teacher's mistakes verify as wrong", "differs from the reference"),
    ("OverstatedErrors", "the teacher's error rate is the declared one", "expected_teacher_error_rate(1) declares 30.0%"),
])  # fmt: skip
def test_check_fails_a_bad_score_or_teacher_naming_the_check(capsys, nonconforming, reference, failing_check, detail):
    exit_code, out, _ = run_cli(capsys, "envs", "check", f"nonconforming_envs:{reference}")
    assert exit_code == 1
    failure = next(line for line in out.splitlines() if f"FAIL level 1: {failing_check}: " in line)
    assert detail in failure, out


def test_check_passes_a_teacher_without_a_declared_rate(capsys, nonconforming):
    exit_code, out, _ = run_cli(capsys, "envs", "check", "nonconforming_envs:UndeclaredErrors")
    assert exit_code == 0, out


def test_check_passes_a_teacher_wrong_as_often_as_declared(capsys, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE_PLUGIN))  # reverse_words: its teacher is wrong on 30% of the problems
    exit_code, out, _ = run_cli(capsys, "envs", "check", "selfplay_example_plugin:ReverseWords")
    assert exit_code == 0, out
    assert "30/30 checks passed ok" in out
