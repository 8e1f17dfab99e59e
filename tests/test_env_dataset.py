"""The `dataset` environment: problems from a user's own file, its checkers, bad rows, split and levels.

    $ .venv/bin/python -m pytest tests/test_env_dataset.py -q
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from env import get_environment
from env.checker import check_environment
from env.dataset import DatasetEnvironment, quantile_levels
from env.errors import UserError
from env.registry import EnvironmentSpec

from cli_runner import run_cli

EXAMPLE = Path(__file__).parent / "data" / "word_problems.jsonl"  # 600 rows, levels easy and hard, with solutions
EXAMPLE_OPTIONS = {"source": str(EXAMPLE), "checker": "integer", "id": "id", "difficulty": "level", "solution": "solution"}


def _rows(count, start=0):
    """Distinct sums: `What is a + b?` with its integer answer."""
    return [{"id": f"r{i}", "question": f"What is {i} + {i + 7}?", "answer": 2 * i + 7} for i in range(start, start + count)]


def _jsonl(path, rows, extra_lines=()):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows) + "".join(line + "\n" for line in extra_lines))
    return str(path)


def _dataset(path, rows, **options):
    return get_environment("dataset", source=_jsonl(path, rows), **options)


def _one(environment, answer_index=0):
    return environment.problem(0, answer_index, 1, "train")


# -- reading files --------------------------------------------------------------------
def _write_each_format(tmp_path, rows):
    import datasets
    import pyarrow
    import pyarrow.parquet

    csv_path = tmp_path / "rows.csv"
    csv_path.write_text("id,question,answer\n" + "".join(f"{r['id']},{r['question']},{r['answer']}\n" for r in rows))
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), tmp_path / "rows.parquet")
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)}).save_to_disk(str(tmp_path / "saved_dict"))
    (tmp_path / "rows.json").write_text(json.dumps(rows))
    return {
        "jsonl": {"source": _jsonl(tmp_path / "rows.jsonl", rows)},
        "json": {"source": str(tmp_path / "rows.json")},
        "csv": {"source": str(csv_path)},
        "parquet": {"source": str(tmp_path / "rows.parquet")},
        "save_to_disk": {"source": str(tmp_path / "saved")},
        "save_to_disk split": {"source": str(tmp_path / "saved_dict"), "split": "test"},
    }


def test_every_file_type_gives_the_same_problems(tmp_path):
    sources = _write_each_format(tmp_path, _rows(120))
    seen = {}
    for kind, options in sources.items():
        environment = get_environment("dataset", checker="integer", id="id", **options)
        seen[kind] = [(p.key, p.question, p.answer) for p in environment.problems(30, seed=3)]
        assert environment.data_report().left_out == {}, kind
    assert all(problems == seen["jsonl"] for problems in seen.values()), seen
    with pytest.raises(UserError, match="no split 'train'; the splits are: test"):
        get_environment("dataset", source=sources["save_to_disk split"]["source"], checker="integer").difficulties


def test_csv_cells_stay_the_text_they_are(tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("question,answer\n" + "".join(f"Code {i}?,{i:03d}\n" for i in range(60)))
    environment = get_environment("dataset", source=str(path), checker="exact", eval_fraction=0.3)
    problem = next(p for p in environment.problems(60, seed=0) if p.question == "Code 7?")
    assert problem.answer == "007"
    assert environment.verify(problem, "<answer>007</answer>").correct
    assert not environment.verify(problem, "<answer>7</answer>").correct


def test_reading_the_file_waits_until_rows_are_needed(tmp_path):
    """A verifier worker only scores answers: building the environment must not read (or need) the data."""
    environment = get_environment("dataset", source=str(tmp_path / "not_there.jsonl"), checker="integer")
    problem = DatasetEnvironment(source="x.jsonl", checker="integer").from_draft(_draft("What is 2 + 3?", "5"))
    assert environment.verify(problem, "<answer>5</answer>").correct
    with pytest.raises(UserError, match="no such file or folder"):
        environment.difficulties


def test_importing_the_environment_loads_no_training_library_and_no_datasets():
    code = "import sys, env.dataset; print(sorted({'torch', 'transformers', 'datasets'} & set(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def _draft(question, answer):
    from env.problem import Draft

    return Draft(question, answer)


# -- problems and the held-out split ------------------------------------------------------
def test_same_seed_same_problems_and_each_rebuilds_alone(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(200), checker="integer", id="id")
    first = environment.problems(50, seed=1)
    fresh = _dataset(tmp_path / "d.jsonl", _rows(200), checker="integer", id="id")
    assert fresh.problems(50, seed=1) == first
    assert [fresh.problem(1, p.index) for p in reversed(first)] == list(reversed(first))
    assert [p.key for p in environment.problems(50, seed=2)] != [p.key for p in first]


def test_indices_cover_every_training_row_once_per_pass(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(200), checker="integer", id="id")
    count = environment.row_count(1, "train")
    first_pass = [p.key for p in environment.problems(count, seed=0)]
    second_pass = [environment.problem(0, count + i).key for i in range(count)]
    assert len(set(first_pass)) == count and set(second_pass) == set(first_pass)
    assert second_pass != first_pass  # the next pass is another order


def test_train_and_eval_never_share_a_key_and_follow_split_of(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(400), checker="integer", id="id")
    train = environment.problems(environment.row_count(1, "train"), seed=0)
    held_out = environment.problems(environment.row_count(1, "eval"), seed=0, split="eval")
    assert not {p.key for p in train} & {p.key for p in held_out}
    assert len(train) + len(held_out) == 400 and 20 <= len(held_out) <= 60
    assert all(environment.split_of(p.key) == p.split for p in train + held_out)
    assert {p.key for p in train} == {f"r{i}" for i in range(400)} - {p.key for p in held_out}


def test_without_an_id_the_question_is_the_key(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(100), checker="integer", eval_fraction=0.3)
    assert all(p.key == p.question for p in environment.problems(20, seed=0))


def test_more_eval_problems_than_held_out_rows_is_a_user_error(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(100), checker="integer", id="id")
    with pytest.raises(UserError, match="distinct held-out problems"):
        environment.problems(environment.row_count(1, "eval") + 1, seed=0, split="eval")


def test_the_example_file_passes_every_conformance_check():
    environment = get_environment("dataset", **EXAMPLE_OPTIONS)
    assert environment.difficulties == [1, 2] and [environment.levels[d].label for d in (1, 2)] == ["easy", "hard"]
    assert [result for result in check_environment(environment) if not result.passed] == []


# -- bad rows ------------------------------------------------------------------------------
def test_bad_rows_are_counted_with_examples_and_never_become_problems(tmp_path):
    rows = _rows(100) + [
        {"id": "q", "question": "  ", "answer": 3},
        {"id": "a", "question": "What is nothing?"},
        {"id": "n", "question": "What is 1 + 1?", "answer": None},
        {"id": "u", "question": "How many apples?", "answer": "3 apples"},
        {"id": "f", "question": "What is 5 / 2?", "answer": 2.5},
        {"id": "r0", "question": "A repeated id?", "answer": 1},
    ]
    source = _jsonl(tmp_path / "d.jsonl", rows, extra_lines=["not json", "[1, 2]"])
    environment = get_environment("dataset", source=source, checker="integer", id="id")
    report = environment.data_report()
    assert report.num_rows == 108 and report.num_train + report.num_eval == 100
    assert report.left_out == {"missing question": 1, "missing answer": 2, "unparsable answer": 2, "duplicate": 1,
                               "unreadable": 2}
    summary = report.summary()
    assert "\n" not in summary and "left out 1 missing question, 2 missing answer" in summary
    assert "line 104: not an integer: '3 apples'" in summary
    keys = {p.key for split in ("train", "eval") for p in environment.problems(environment.row_count(1, split), 0, 1, split)}
    assert keys == {f"r{i}" for i in range(100)}


def test_a_reference_the_answer_format_cannot_carry_is_a_bad_row(tmp_path):
    rows = _rows(60) + [{"id": "x", "question": "Half of 1?", "answer": "1/2"}]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="number", id="id", answer_format="last_number", eval_fraction=0.3)
    assert environment.data_report().left_out == {"unparsable answer": 1}
    assert "does not verify in the last_number format" in environment.data_report().summary()


@pytest.mark.parametrize("rows, message", [
    ([{"question": "What?", "answer": "many"}] * 3, "no usable rows"),
    (_rows(3), "has 3 rows and no held-out rows"),
])  # fmt: skip
def test_no_usable_rows_or_no_held_out_row_is_a_user_error(tmp_path, rows, message):
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="integer")
    with pytest.raises(UserError, match=message):
        environment.difficulties


@pytest.mark.parametrize("settings, message", [
    ([], "dataset: the option source is required"),
    (["source=missing.jsonl"], "dataset: no such file or folder: missing.jsonl"),
    (["source=EXAMPLE", "question=prompt"], "no column 'prompt'; the columns are: id, question, answer, level, solution"),
    (["source=EXAMPLE", "checker=integr"], "unknown checker 'integr'; did you mean 'integer'?"),
    (["source=EXAMPLE", "checker=no_such_module:score"], "cannot import 'no_such_module'"),
    (["source=EXAMPLE", "questoin=q"], "unknown option 'questoin'; did you mean 'question'?"),
    (["source=EXAMPLE", "checker=expression", "answer_format=last_number"], "answer_format must be one of tag, boxed"),
    (["source=EXAMPLE", "eval_fraction=2"], "eval_fraction must be between 0 and 1"),
    (["source=EXAMPLE", "difficulty=question"], "cannot order the difficulty labels"),
    (["source=TEXT"], "cannot read .txt"),
    (["source=BROKEN_JSON"], "not valid JSON (line 1"),
    (["source=someone/no_such_dataset"], "someone/no_such_dataset: cannot load it as a hub dataset"),
])  # fmt: skip
def test_bad_settings_are_one_line_with_exit_code_2(tmp_path, capsys, settings, message):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.json").write_text("{not json")
    replacements = {"EXAMPLE": str(EXAMPLE), "TEXT": str(tmp_path / "notes.txt"), "BROKEN_JSON": str(tmp_path / "broken.json")}
    arguments = []
    for setting in settings:
        for placeholder, value in replacements.items():
            setting = setting.replace(f"={placeholder}", f"={value}")
        arguments += ["--set", setting]
    exit_code, out, err = run_cli(capsys, "envs", "sample", "dataset", *arguments)
    assert exit_code == 2, out + err
    assert len(err.strip().splitlines()) == 1 and message in err, err


# -- checkers ----------------------------------------------------------------------------------
ADVERSARIAL = [
    "9" * 5000, "10^3999", "9**9**9**9", "2^2^2^2^2^2", "exp(exp(exp(exp(10))))", "(" * 200 + "1" + ")" * 200,
    "__import__('os').system('echo pwned')", "lambda: 0", "\x00\x01", "<answer>", "1" * 70, "1e99999", "-" * 300 + "1",
    "sin(10^3999)", "x" * 600, "\\frac{1}{0}",
]

CHECKER_CASES = {
    "integer": ("1234", ["1,234", "+1234", "1234"], ["1235", "1234.0", "2^10", "1,23,4", "twelve"]),
    "number": ("0.5", ["1/2", "\\frac{1}{2}", "5e-1", "0.50000001", "−(−0.5)"], ["0.51", "-0.5", "sqrt(2)/2", "x"]),
    "expression": ("2x + 2", ["2(x+1)", "x*2+2", "y = 2x + 2", "\\frac{4x+4}{2}"], ["2x + 3", "2x", "sqrt(x^2) + 2", "2y+2"]),
    "exact": ("Paris", ["Paris", " Paris "], ["paris", "Paris."]),
    "normalised": ("The Eiffel Tower", ["the eiffel  tower.", "THE EIFFEL TOWER!"], ["Eiffel Tower", "The Eiffel Towers", "..."]),
    "choice": ("B", ["b", "(B)", "B.", "[b]"], ["C", "AB", "B) 42", "Answer B"]),
}


@pytest.mark.parametrize("checker", sorted(CHECKER_CASES))
def test_each_checker_accepts_equivalent_answers_and_refuses_wrong_and_adversarial_ones(tmp_path, checker):
    reference, right, wrong = CHECKER_CASES[checker]
    rows = [{"id": f"r{i}", "question": f"Question {i}?", "answer": reference} for i in range(40)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker=checker, id="id", eval_fraction=0.3)
    problem = _one(environment)
    assert environment.verify(problem, environment.reference_completion(problem)).correct
    for answer in right:
        assert environment.verify(problem, f"<answer>{answer}</answer>").correct, answer
    for answer in wrong + ADVERSARIAL:
        started = time.perf_counter()
        verdict = environment.verify(problem, f"<answer>{answer}</answer>")
        assert verdict.score == 0.0 and not verdict.error, (answer[:40], verdict)
        assert time.perf_counter() - started < 1.0, answer[:40]


def test_number_tolerances(tmp_path):
    rows = [{"question": f"Measure {i}?", "answer": 100} for i in range(40)]
    close = _dataset(tmp_path / "a.jsonl", rows, checker="number", rel_tol=0.01, eval_fraction=0.3)
    assert close.verify(_one(close), "<answer>100.9</answer>").correct
    assert not close.verify(_one(close), "<answer>101.1</answer>").correct
    absolute = _dataset(tmp_path / "b.jsonl", rows, checker="number", rel_tol=0, abs_tol="1e-3", eval_fraction=0.3)
    assert absolute.verify(_one(absolute), "<answer>100.0005</answer>").correct
    assert not absolute.verify(_one(absolute), "<answer>100.01</answer>").correct


def test_numeric_checkers_read_last_number_and_floats_from_the_file(tmp_path):
    rows = [{"question": f"Tiny {i}?", "answer": 1e-05 * (i + 1)} for i in range(40)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="number", answer_format="last_number", eval_fraction=0.3)
    problem = environment.problems(1, seed=0)[0]
    assert "e" not in problem.answer  # 1e-05 is written 0.00001, which last_number can read
    assert environment.verify(problem, f"so the answer is {problem.answer}").correct


def test_choice_letters_can_be_restricted(tmp_path):
    rows = [{"question": f"Pick {i}: (A) 1 (B) 2 (C) 3", "answer": "(c)"} for i in range(40)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="choice", choices="ABC", eval_fraction=0.3)
    problem = _one(environment)
    assert problem.answer == "C" and environment.verify(problem, "<answer>C</answer>").correct
    assert environment.verify(problem, "<answer>D</answer>").reason == "D is not one of the options A, B, C"


def test_a_plugin_checker_gets_the_answer_and_the_problem(tmp_path, monkeypatch):
    (tmp_path / "my_checks.py").write_text(
        "def score(answer, problem):\n"
        "    return answer.lower() in problem.inputs['aliases']\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    rows = [{"question": f"Capital of land {i}?", "answer": "Paris", "aliases": ["paris", "paree"]} for i in range(40)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="my_checks:score", extra_columns=["aliases"], eval_fraction=0.3)
    problem = _one(environment)
    assert environment.verify(problem, "<answer>Paree</answer>").correct
    assert not environment.verify(problem, "<answer>Lyon</answer>").correct


def test_expression_symbols_come_from_the_reference_and_the_option(tmp_path):
    rows = [{"question": f"Simplify {i}", "answer": "1"} for i in range(40)]
    plain = _dataset(tmp_path / "a.jsonl", rows, checker="expression", eval_fraction=0.3)
    assert "unknown name 'x'" in plain.verify(_one(plain), "<answer>sin(x)^2 + cos(x)^2</answer>").reason
    with_x = _dataset(tmp_path / "b.jsonl", rows, checker="expression", symbols="x", eval_fraction=0.3)
    assert with_x.verify(_one(with_x), "<answer>sin(x)^2 + cos(x)^2</answer>").correct


# -- the reference solution -------------------------------------------------------------------
def test_the_solution_is_demonstrated_before_the_answer_and_verifies(tmp_path):
    rows = [{"question": f"What is {i} + 1?", "answer": i + 1, "steps": f"{i} and one more make {i + 1}."} for i in range(60)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="integer", solution="steps", eval_fraction=0.3)
    problem = _one(environment)
    demonstration = environment.demonstration(problem)
    assert demonstration.startswith(problem.inputs["solution"]) and demonstration.endswith(f"<answer>{problem.answer}</answer>")
    assert environment.verify(problem, demonstration).correct


def test_answer_after_a_marker_splits_a_gsm8k_style_answer(tmp_path):
    rows = [{"question": f"Sam has {i} pens and buys 2. How many?", "answer": f"{i} + 2 = {i + 2}\n#### {i + 2}"}
            for i in range(60)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="integer", answer_after="####", solution="answer",
                           answer_format="last_number", eval_fraction=0.3)
    problem = _one(environment)
    assert problem.answer == str(int(problem.question.split()[2]) + 2)
    assert environment.demonstration(problem) == problem.inputs["solution"] == f"{problem.question.split()[2]} + 2 = {problem.answer}"


# -- levels --------------------------------------------------------------------------------
def test_numeric_difficulties_are_levels_in_ascending_order_and_num_levels_buckets_them(tmp_path):
    rows = [{"question": f"Q{i}?", "answer": i, "stars": 10 + i % 3} for i in range(300)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="integer", difficulty="stars")
    assert environment.difficulties == [1, 2, 3] and [environment.levels[d].label for d in (1, 2, 3)] == ["10", "11", "12"]
    assert {int(p.answer) % 3 for p in environment.problems(20, seed=0, difficulty=3)} == {2}
    rows = [{"question": f"Q{i}?", "answer": i, "rating": 800 + 7 * i} for i in range(300)]
    bucketed = _dataset(tmp_path / "e.jsonl", rows, checker="integer", difficulty="rating", num_levels=3)
    assert bucketed.difficulties == [1, 2, 3] and bucketed.levels[1].label == "800-1493"
    with pytest.raises(UserError, match="300 distinct values, more than 20 levels; set num_levels"):
        _dataset(tmp_path / "f.jsonl", rows, checker="integer", difficulty="rating").difficulties


@pytest.mark.parametrize("labels, order", [
    (["Level 3", "Level 1", "Level 2"], ["Level 1", "Level 2", "Level 3"]),
    (["Hard", "easy", "MEDIUM"], ["easy", "MEDIUM", "Hard"]),
])  # fmt: skip
def test_difficulty_labels_are_ordered_by_number_or_by_name(tmp_path, labels, order):
    rows = [{"question": f"Q{i}?", "answer": i, "level": labels[i % 3]} for i in range(300)]
    environment = _dataset(tmp_path / "d.jsonl", rows, checker="integer", difficulty="level")
    assert [environment.levels[d].label for d in environment.difficulties] == order


def test_rows_with_a_label_difficulty_order_leaves_out_are_counted(tmp_path):
    environment = get_environment("dataset", **EXAMPLE_OPTIONS, difficulty_order=["hard"])
    assert environment.difficulties == [1] and environment.levels[1].label == "hard"
    assert environment.data_report().left_out == {"difficulty not in difficulty_order": 300}


def test_quantile_levels_keep_ties_together_and_balance_counts():
    assert quantile_levels({i: i for i in range(9)}, 3) == {i: i // 3 + 1 for i in range(9)}
    tied = {i: (0 if i < 90 else 1) for i in range(100)}  # 90 equal values cannot be split
    assert set(quantile_levels(tied, 3).values()) == {1, 2}
    assert quantile_levels({0: 5.0}, 3) == {0: 1}


def test_assign_levels_puts_the_most_solved_rows_first_and_leaves_unmeasured_rows_out(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(600), checker="integer", id="id")
    rates = {f"r{i}": [1.0, 0.75, 0.5, 0.25, 0.0][i % 5] for i in range(500)}  # r500..r599 not measured
    levels = environment.assign_levels(rates, 3)
    assert environment.difficulties == sorted(levels) == [1, 2, 3]
    # Five rates of 100 rows each: the cuts nearest a third and two thirds of 500 rows are after 200 and 300.
    assert [level.label for level in levels.values()] == ["solve rate 0.75-1.00", "solve rate 0.50", "solve rate 0.00-0.25"]
    in_levels = {p.key for d in levels for s in ("train", "eval")
                 for p in environment.problems(environment.row_count(d, s), 0, d, s)}
    assert in_levels == set(rates)
    easy = environment.problems(environment.row_count(1, "train"), 0, 1)
    assert {rates[p.key] for p in easy} == {1.0, 0.75} and all(p.difficulty == 1 for p in easy)
    again = _dataset(tmp_path / "d.jsonl", _rows(600), checker="integer", id="id")
    assert again.assign_levels(rates, 3) == levels  # the same rates give the same levels


def test_assign_levels_merges_a_level_without_held_out_rows(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(300), checker="integer", id="id")
    train_key = next(p.key for p in environment.problems(1, seed=0))
    rates = {f"r{i}": 0.0 for i in range(300)} | {train_key: 1.0}  # one lone training row at rate 1
    levels = environment.assign_levels(rates, 3)
    assert list(levels) == [1] and levels[1].label == "solve rate 0.00-1.00"


def test_assign_levels_merges_levels_too_small_for_the_held_out_problems_asked_for(tmp_path):
    environment = _dataset(tmp_path / "d.jsonl", _rows(600), checker="integer", id="id")
    rates = {f"r{i}": [1.0, 0.75, 0.5, 0.25, 0.0][i % 5] for i in range(600)}
    assert len(environment.assign_levels(rates, 5)) == 5
    levels = environment.assign_levels(rates, 5, min_held_out=20)
    assert 1 < len(levels) < 5 and all(len(level.eval) >= 20 for level in levels.values())
    assert sum(len(level.eval) + len(level.train) for level in levels.values()) == 600


def test_levels_from_solve_rate_and_a_difficulty_column_exclude_each_other():
    with pytest.raises(ValueError, match="not both"):
        DatasetEnvironment(source="x.jsonl", difficulty="level", levels_from_solve_rate={"num_levels": 3})
    with pytest.raises(ValueError, match="unknown key 'levels'"):
        DatasetEnvironment(source="x.jsonl", levels_from_solve_rate={"levels": 3})


def test_a_spec_with_a_mapping_option_is_hashable_for_the_verifier_workers():
    spec = EnvironmentSpec.of("dataset", source="x.jsonl", levels_from_solve_rate={"num_levels": 3, "samples": 2})
    same = EnvironmentSpec.of("dataset", source="x.jsonl", levels_from_solve_rate={"samples": 2, "num_levels": 3})
    assert {spec: 1}[same] == 1


# -- the command line ------------------------------------------------------------------------
def test_envs_list_shows_the_dataset_environment_without_a_source(capsys):
    exit_code, out, _ = run_cli(capsys, "envs", "list")
    assert exit_code == 0 and "│ dataset" in out


def test_envs_sample_and_check_take_environment_options(capsys):
    settings = [argument for key, value in EXAMPLE_OPTIONS.items() for argument in ("--set", f"{key}={value}")]
    exit_code, out, err = run_cli(capsys, "envs", "sample", "dataset", "-d", "2", "-n", "2", *settings)
    assert exit_code == 0, err
    assert f"dataset: {EXAMPLE}: 600 rows, 600 used (533 train, 67 held out)" in out
    for problem in get_environment("dataset", **EXAMPLE_OPTIONS).problems(2, seed=0, difficulty=2):
        assert problem.id in out
    exit_code, out, err = run_cli(capsys, "envs", "check", "dataset", "-n", "5", *settings)
    assert exit_code == 0 and "dataset: 20/20 checks passed ok" in out, out + err


def test_envs_check_without_names_skips_the_dataset_and_refuses_options_without_names(capsys):
    from selfplay.cli import _required_options

    assert _required_options("dataset") == ["source"] and _required_options("arithmetic") == []
    exit_code, _, err = run_cli(capsys, "envs", "check", "--set", f"source={EXAMPLE}")
    assert exit_code == 2 and "name the environments the options are for" in err


# -- a campaign on a user's file ---------------------------------------------------------------
@pytest.mark.slow
def test_a_campaign_on_a_jsonl_file_levels_it_by_solve_rate_and_resume_reuses_the_levels(tmp_path, capsys):
    """End to end on the tiny model: bad rows said at launch, levels from generation 0's solve rates saved in the run
    folder, the held-out set drawn from them; a resume rebuilds the same levels and refuses changed data."""
    from selfplay import dataset_levels
    from selfplay.cli import main
    from selfplay.config_loader import load_run_config
    from selfplay.environments import build_environments

    from campaign_settings import fast_settings

    rows = [{"question": f"{a}+{b}", "answer": a + b} for a in range(10, 30) for b in range(10, 30)]
    source = _jsonl(tmp_path / "sums.jsonl", rows + [{"question": "1+1"}])
    options = (f"{{source: {source}, checker: integer, answer_format: last_number, "
               "levels_from_solve_rate: {num_levels: 2, samples: 2, max_rows: 40}}")
    settings = fast_settings(tmp_path, tmp_path / "cache", "name=data", "generations=1", "pretrain.difficulties=[1]",
                             "pretrain.num_check_problems=5", f"environments=[{{name: dataset, options: {options}}}]")
    assert main(["launch", *settings]) == 0
    out = capsys.readouterr().out
    assert f"dataset: {source}: 401 rows, 400 used" in out and "left out 1 missing answer (e.g. line 401: missing answer)" in out

    run_dir = tmp_path / "runs" / "data"
    saved = json.loads((run_dir / dataset_levels.LEVELS_FILE).read_text())["dataset"]
    assert saved["num_levels"] == 2 and saved["samples"] == 2
    assert 60 <= len(saved["solve_rate"]) <= 80 and set(saved["solve_rate"].values()) <= {0.0, 0.5, 1.0}
    evaluated = json.loads((run_dir / "generations" / "0000" / "eval.json").read_text())["rows"]
    assert {row["difficulty"] for row in evaluated} == {int(level) for level in saved["levels"]}
    assert len(evaluated) == 10 * len(saved["levels"])

    configured = dataset_levels.restore(run_dir, build_environments(load_run_config(run_dir)))
    environment = configured["dataset"].environment
    assert configured["dataset"].levels == [int(level) for level in saved["levels"]]
    drawn = {p.key for level in environment.difficulties for split in ("train", "eval")
             for p in environment.problems(environment.row_count(level, split), 0, level, split)}
    assert drawn == set(saved["solve_rate"])

    rows[0]["answer"] += 1
    _jsonl(tmp_path / "sums.jsonl", rows)
    with pytest.raises(UserError, match="the data changed since generation 0 measured its levels"):
        dataset_levels.restore(run_dir, build_environments(load_run_config(run_dir)))
