"""The allow-listed math parser: what it accepts, what it refuses and why, and that it never evals.

    $ .venv/bin/python -m pytest tests/test_safe_math.py -q
"""

import builtins

import pytest
import sympy
import sympy.parsing.sympy_parser

from env.algebra import Algebra
from env.errors import AnswerError
from env.problem import Problem
from env.safe_math import MAX_CHARS, MAX_DEPTH, MAX_NUMBER_DIGITS, MAX_TOKENS, describe, parse_integer, parse_math

X = sympy.Symbol("x")
HALF = sympy.Rational(1, 2)

# (text, the sympy value it must parse to); expected values are built with sympy, never parsed.
ACCEPTED = [
    ("2x", 2 * X),
    ("x2", 2 * X),
    ("2(x+1)", 2 * X + 2),
    ("(x+1)(x-1)", X**2 - 1),
    ("3x^2 - 2x + 1", 3 * X**2 - 2 * X + 1),
    ("2^3^2", sympy.Integer(512)),  # right-associative: 2^(3^2), not (2^3)^2 = 64
    ("2**3**2", sympy.Integer(512)),
    ("2^3**2", sympy.Integer(512)),
    ("2^-1", HALF),
    ("x^-2", X**-2),
    ("-x^2", -(X**2)),  # unary minus binds looser than a power
    ("-2^2", sympy.Integer(-4)),
    ("-2**2", sympy.Integer(-4)),
    ("(-2)^2", sympy.Integer(4)),
    ("--3", sympy.Integer(3)),
    ("1.5", sympy.Rational(3, 2)),  # decimals are exact rationals, not floats
    (".25", sympy.Rational(1, 4)),
    ("0.1 + 0.2", sympy.Rational(3, 10)),
    ("0.5x", X / 2),
    ("7/2", sympy.Rational(7, 2)),
    ("6/4x", sympy.Rational(3, 2) * X),  # left to right: (6/4)*x
    (r"\frac{1}{2}", HALF),
    (r"\frac{x+1}{2}", (X + 1) / 2),
    (r"\sqrt{9}", sympy.Integer(3)),
    (r"\sqrt{x}", sympy.sqrt(X)),
    (r"2\cdot 3", sympy.Integer(6)),
    (r"2 \times x", 2 * X),
    (r"6 \div 4", sympy.Rational(3, 2)),
    (r"\pi", sympy.pi),
    ("{x+1}^2", (X + 1) ** 2),
    ("\u22123", sympy.Integer(-3)),  # unicode minus
    ("x \u2212 1", X - 1),
    ("2\u00d73", sympy.Integer(6)),  # multiplication sign
    ("6\u00f74", sympy.Rational(3, 2)),  # division sign
    ("2\u00b7x", 2 * X),  # middle dot
    ("2\u22c5x", 2 * X),  # dot operator
    ("sqrt(16)", sympy.Integer(4)),
    ("abs(-3)", sympy.Integer(3)),
    ("ln(1)", sympy.Integer(0)),
    ("2pi", 2 * sympy.pi),
    ("  3 +\t4\n", sympy.Integer(7)),
    # TeX's brace-less arguments: one character each
    (r"\frac12", HALF),
    (r"\frac 1 2", HALF),
    (r"\frac{1}2", HALF),
    (r"\frac1{2}", HALF),
    (r"\frac x2", X / 2),
    (r"\frac\pi2", sympy.pi / 2),
    (r"\frac{x+1}3 + 1", (X + 1) / 3 + 1),
    (r"\dfrac{1}{2}", HALF),
    (r"\tfrac34", sympy.Rational(3, 4)),
    (r"4 \frac{3x}{4}", 3 * X),  # sympy's LaTeX for 4*(3x/4); only a numeric fraction reads as a mixed number
    (r"2\frac{x}{3}", 2 * X / 3),
    (r"\sqrt9", sympy.Integer(3)),
    (r"\sqrt 9x", 3 * X),
    # Unicode superscripts are powers
    ("x\u00b2", X**2),
    ("x\u00b3 - 2x\u00b2 + 1", X**3 - 2 * X**2 + 1),
    ("x\u207b\u00b9", 1 / X),
    ("2\u00b9\u2070", sympy.Integer(1024)),
    ("(x+1)\u00b2", (X + 1) ** 2),
    # every minus form that means minus
    ("\u20123", sympy.Integer(-3)),  # figure dash
    ("\u20133", sympy.Integer(-3)),  # en dash
    ("\ufe633", sympy.Integer(-3)),  # small hyphen-minus
    ("\uff0d3", sympy.Integer(-3)),  # full-width hyphen-minus
    ("x \u2013 1", X - 1),
]


@pytest.mark.parametrize("text, expected", ACCEPTED, ids=[text for text, _ in ACCEPTED])
def test_accepted_forms_parse_to_the_exact_value(text, expected):
    result = parse_math(text, symbols={"x"})
    assert sympy.expand(result - expected) == 0, f"{text!r} parsed as {result}"


def test_decimals_stay_exact_rationals():
    result = parse_math("0.1", symbols=set())
    assert result == sympy.Rational(1, 10) and isinstance(result, sympy.Rational)


@pytest.mark.parametrize("text", [r"\left(x+1\right)^2", r"\left( x + 1 \right)\left( x + 1 \right)"])
def test_latex_left_right_parentheses_are_understood(text):
    assert sympy.expand(parse_math(text, symbols={"x"}) - (X + 1) ** 2) == 0


# (text, words the AnswerError must contain)
REJECTED = [
    ("y", "unknown name 'y'"),
    ("import", "unknown name 'import'"),
    ("e", "unknown name 'e'"),  # 1e5 is not scientific notation here
    ("x", "unknown name 'x'"),  # only with symbols={"x"}; checked below without it
    ("__import__('os').system('ls')", "unexpected character '_'"),
    ("x; 1", "unexpected character ';'"),
    ("\uff11\uff12", "unexpected character '\uff11'"),  # full-width digits
    ("\u0663", "unexpected character"),  # arabic-indic digit
    ("x = 3", "unexpected character '='"),
    ("2 3", "two numbers in a row"),
    ("1.2.3", "two numbers in a row"),
    ("2^3 4", "two numbers in a row"),
    ("1" * (MAX_CHARS + 1), "too long"),
    ("1+" * 200 + "1", f"more than {MAX_TOKENS} tokens"),
    ("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} levels"),
    ("-" * (MAX_DEPTH + 1) + "1", f"nested more than {MAX_DEPTH} levels"),
    ("1" * (MAX_NUMBER_DIGITS + 1), f"more than {MAX_NUMBER_DIGITS} digits"),
    ("2^100000", "exponent '100000' is too large"),
    ("9^9^9^9", "is too large"),
    ("99^3000", "power would have about 5987 digits"),
    ("(x+1)^33", "exponent of a symbolic base above 32"),
    ("x^-40", "exponent of a symbolic base above 32"),
    ("((x+1)^32)^32", "degree above 64"),
    ("x^32*x^32*x", "degree above 64"),
    ("2^sqrt(-1)", "complex exponent"),
    ("1/0", "division by zero"),
    ("x/(x-x)", "division by zero"),
    (r"\frac{1}{0}", "division by zero"),
    ("0^-1", "division by zero"),
    ("log(0)", "undefined"),
    ("", "empty expression"),
    ("   ", "empty expression"),
    (r"\int x", "unsupported LaTeX command \\int"),
    ("sin x", "expected '('"),
    ("(x+1", "expected ')'"),
    ("x+", "unexpected 'end of expression'"),
    ("x)", "unexpected ')' after a complete expression"),
    (r"\frac123", "two numbers in a row"),  # TeX: (1/2)*3; refused rather than guessed
    (r"2\frac12", "mixed number"),  # 2 1/2 to a reader, 2 * 1/2 to the grammar
    (r"2\frac{1}{2}", "mixed number"),
    (r"2 \frac{3}{4}", "mixed number"),
    (r"\frac1.5", "use braces"),
    (r"\frac", "expected an argument"),
    (r"\frac{1}", "expected an argument"),
    ("x\u207b", "unexpected ')'"),  # a superscript minus alone is no exponent
    ("\u201442", "unexpected character '\u2014'"),  # an em dash is punctuation, not minus
    ("10^4000*10^4000", "more than 4000 digits"),  # each power is bounded, their product too
    ("x*10^4000*1000", "more than 4000 digits"),
    ("(x*10^200)^32", "power would have numbers of about"),
    ("2^(10^4000*10^4000)", "more than 4000 digits"),
    ("+".join(f"1/(10^3000+{i})" for i in range(1, 4)), "more than 4000 digits"),
]


@pytest.mark.parametrize("text, reason", REJECTED, ids=[text[:30] for text, _ in REJECTED])
def test_rejected_forms_raise_answer_error_with_the_reason(text, reason):
    symbols = set() if text == "x" else {"x"}
    with pytest.raises(AnswerError) as caught:
        parse_math(text, symbols=symbols)
    assert reason in str(caught.value)


@pytest.mark.parametrize("text", ["10^3999*10^3999*x", "2^(10^4000*10^4000)", "sqrt(10^4000*10^4000*x)", "1/10^4001"])
def test_numbers_beyond_pythons_print_limit_are_refused_with_a_printable_message(text):
    # Python refuses to print an integer of more than 4,300 digits; such a number must never
    # leave the parser, and the refusal itself must not try to print it.
    with pytest.raises(AnswerError) as caught:
        parse_math(text, symbols={"x"})
    assert len(str(caught.value)) < 200


def test_describe_never_raises_on_a_number_too_long_to_print():
    huge = sympy.Integer(10) ** 5000
    assert describe(huge) == "<a number too long to print>"
    assert describe(sympy.Integer(12345), limit=3) == "'123...'"


def test_unknown_name_error_lists_the_allowed_names():
    with pytest.raises(AnswerError, match=r"allowed: x, pi, .*sqrt"):
        parse_math("y + 1", symbols={"x"})


AT_THE_BOUNDS = [
    "(" * 20 + "1" + ")" * 20,
    "1" * MAX_NUMBER_DIGITS,
    "10^4000",  # 4001 digits: the estimate is exactly MAX_RESULT_DIGITS
    "(x+1)^32",
    "x^32*x^32",
    ("1" * 50 + "+") * 9 + "1" * 41,  # MAX_CHARS characters
]


@pytest.mark.parametrize("text", AT_THE_BOUNDS, ids=range(len(AT_THE_BOUNDS)))
def test_inputs_at_the_bounds_are_accepted(text):
    parse_math(text, symbols={"x"})


BROKEN_POWERS = [
    ("sqrt(-4)^2", sympy.Integer(-4)),
    ("log(-1)^2", -(sympy.pi**2)),
    ("(3+4sqrt(-1))^2", (3 + 4 * sympy.I) ** 2),
    ("(1/10^400)^2", sympy.Rational(1, 10**800)),
]


@pytest.mark.parametrize("text, value", BROKEN_POWERS, ids=[text for text, _ in BROKEN_POWERS])
def test_power_of_a_complex_or_tiny_base_is_parsed_or_refused(text, value):
    try:
        result = parse_math(text, symbols={"x"})
    except AnswerError:
        return
    assert sympy.expand(result - value) == 0


@pytest.mark.parametrize("answer", ["log(-1)^2", "sqrt(-4)^2", "(1/10^400)^2"])
def test_algebra_scores_a_complex_or_tiny_power_zero_instead_of_crashing(answer):
    algebra = Algebra()
    problem = Problem("algebra", 1, "train", 0, 0, "Solve for x: 3*x + 4 = 13.", "Solve for x: 3*x + 4 = 13.",
                      "3", "3*x+4=13", {"task": "linear", "left": [4, 3], "right": [13, 0], "roots": [3]})  # fmt: skip
    verdict = algebra.verify(problem, f"<answer>{answer}</answer>")
    assert verdict.score == 0.0 and verdict.reason


def test_parse_math_never_calls_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError(f"eval-based parsing was called with {args[:1]!r}")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(sympy, "sympify", forbidden)
    monkeypatch.setattr(sympy, "parse_expr", forbidden)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", forbidden)
    monkeypatch.setattr(sympy.parsing.sympy_parser, "eval_expr", forbidden)
    for text, expected in ACCEPTED:
        assert sympy.expand(parse_math(text, symbols={"x"}) - expected) == 0, text
    for text, _ in REJECTED:
        with pytest.raises(AnswerError):
            parse_math(text, symbols=set() if text == "x" else {"x"})


# -- parse_integer ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value",
    [("42", 42), ("-132", -132), ("+5", 5), ("1,234", 1234), ("-12,345,678", -12345678), (" 42\n", 42),
     ("007", 7), ("0", 0), ("9" * MAX_NUMBER_DIGITS, int("9" * MAX_NUMBER_DIGITS)),
     ("\u22125", -5), ("\u2212132", -132), ("\u20131,234", -1234), ("\uff0d7", -7), ("\ufe637", -7), ("\u20127", -7)],
)  # fmt: skip
def test_parse_integer_accepts_plain_and_comma_grouped_integers(text, value):
    assert parse_integer(text) == value


@pytest.mark.parametrize(
    "text",
    ["1_000", "0x1F", "0b101", "1e3", "1.0", " ", "", "\uff11\uff12", "\u0663", "4 2", "1,23", "1234,567",
     ",123", "--5", "42abc", "9" * (MAX_NUMBER_DIGITS + 1), "0,042", "-0,042", "12,34", "1,2345", "1,234,56",
     "0,000", "01,234", "\u201442", "- 42", "+-5", "2^10", "2**10", "1e5", "10\u00b2", "4\u00b2", "\u207b5"],
)  # fmt: skip
def test_parse_integer_rejects_everything_else(text):
    with pytest.raises(AnswerError):
        parse_integer(text)


def test_parse_integer_error_shows_the_text_received():
    with pytest.raises(AnswerError, match=r"not an integer: '0x1F'"):
        parse_integer("0x1F")
