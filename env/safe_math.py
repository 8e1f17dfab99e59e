"""Parse untrusted math text into sympy objects without ever calling `eval`.

`sympy.sympify` and `parse_expr` run `eval` on their input, so a model that
writes `__import__('os').system(...)` would run code. This module tokenizes the
text itself, parses an allow-listed grammar by recursive descent and builds the
sympy object node by node, with bounds on length, nesting, number size and
exponent size, so `9**9**9**9` is rejected instead of computed.

    >>> parse_math("2(x+1)^2 - 3/4", symbols={"x"})
    2*(x + 1)**2 - 3/4

Grammar (precedence from low to high; `^` and `**` are right-associative):
    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary | implicit-product unary)*
    unary  := ("+" | "-") unary | power
    power  := atom (("^" | "**") unary)?
    atom   := number | symbol | constant | function "(" expr ")" | "(" expr ")"
A little LaTeX is understood too: \\frac{a}{b} (also \\dfrac, \\tfrac, and
TeX's brace-less \\frac12 = \\frac 1 2 = \\frac{1}{2}), \\sqrt{a} and \\sqrt2, \\cdot,
\\times, \\div, \\left( \\right), \\pi, and braces as parentheses. Unicode superscripts
are powers (x\u00b2 = x^2, x\u207b\u00b9 = x^-1), and every Unicode minus or dash that means
minus (MINUS_SIGNS) is a minus. None of this widens what is evaluated: each notation
is read as the ASCII grammar above.

Every number in an accepted expression has at most MAX_RESULT_DIGITS digits, below
Python's 4,300-digit limit on printing an integer, so a message can always show a
parsed value; `describe` shows any value safely.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sympy

from env.errors import AnswerError

MAX_CHARS = 500  # longer answers are rejected before tokenizing
MAX_TOKENS = 300
MAX_DEPTH = 30  # nesting of parentheses, unary signs and powers
MAX_NUMBER_DIGITS = 60  # per literal
# Size of any number in a result, and the estimate a numeric power must pass before it is computed.
# Below Python's 4,300-digit limit on int -> str, which would make printing the value raise.
MAX_RESULT_DIGITS = 4_000
_MAX_RESULT_BITS = int((MAX_RESULT_DIGITS + 1) / math.log10(2)) + 1
MAX_SYMBOLIC_EXPONENT = 32  # (x+1)^1000 would make expansion during checking explode
MAX_DEGREE = 64  # total polynomial degree, so ((x+1)^32)^32 is refused too

FUNCTIONS = {
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "abs": sympy.Abs,
}
CONSTANTS = {"pi": sympy.pi}
# Characters that mean minus in front of or between numbers: ASCII hyphen-minus, minus sign, figure
# dash, en dash, small and full-width hyphen-minus, hyphens, modifier and heavy minus. Not the em dash
# (U+2014) or horizontal bar: in prose they are punctuation ("the answer\u201442"), so they are refused.
MINUS_SIGNS = "-\u2212\u2012\u2013\ufe63\uff0d\u2010\u2011\u02d7\u2796"
AMBIGUOUS_DASHES = "\u2014\u2015\u2e3a\u2e3b\ufe58"
# Unicode operators models often write, mapped to ASCII; anything else non-ASCII is rejected.
UNICODE_OPERATORS = {
    **{sign: "-" for sign in MINUS_SIGNS[1:]},
    "\u00d7": "*", "\u00f7": "/", "\u22c5": "*", "\u00b7": "*",
}  # fmt: skip
SUPERSCRIPTS = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207a\u207b", "0123456789+-")
_SUPERSCRIPT_RUN = re.compile("[\u2070\u00b9\u00b2\u00b3\u2074-\u2079\u207a\u207b]+")
LATEX_WORDS = {"cdot": "*", "times": "*", "div": "/", "pi": "pi"}
FRACTIONS = ("frac", "dfrac", "tfrac")  # \dfrac and \tfrac only change the size in print

_TOKEN = re.compile(
    r"\s*(?:(?P<number>[0-9]+(?:\.[0-9]+)?|\.[0-9]+)"
    r"|(?P<name>[A-Za-z]+)"
    r"|(?P<latex>\\[A-Za-z]+)"
    r"|(?P<op>\*\*|[-+*/^(){}]))"
)


@dataclass(frozen=True)
class Token:
    kind: str  # number | name | latex | op | end
    text: str


def parse_math(text: str, symbols: frozenset[str] | set[str] = frozenset()) -> sympy.Expr:
    """Parse `text` into a sympy expression; raise AnswerError if it is not allowed.

    Args:
        text: untrusted text, e.g. a model's extracted answer.
        symbols: variable names the answer may use (e.g. {"x"}); others are rejected.
    """
    if len(text) > MAX_CHARS:
        raise AnswerError(f"expression too long ({len(text)} characters, at most {MAX_CHARS})")
    tokens = _tokenize(text)
    parser = _Parser(tokens, frozenset(symbols))
    result = parser.parse()
    if result.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise AnswerError("expression is undefined (division by zero or infinity)")
    _check_number_sizes(result)
    if _degree_bound(result) > MAX_DEGREE:
        raise AnswerError(f"expression has degree above {MAX_DEGREE}")
    return result


# Digits grouped by commas in threes, the first group without a leading zero: 1,234 and 1,234,567;
# not 0,042 (a decimal comma in much of Europe), 12,34 or 1,2345.
GROUPED_DIGITS = r"[1-9][0-9]{0,2}(?:,[0-9]{3})+"
_INTEGER = re.compile(rf"([+{re.escape(MINUS_SIGNS)}]?)({GROUPED_DIGITS}|[0-9]+)")


def parse_integer(text: str) -> int:
    """Parse a plain integer answer such as `-132`, `\u2212132` or `1,234`; raise AnswerError otherwise.

    The sign, if any, is attached to the digits and may be any of MINUS_SIGNS or `+`; digit
    grouping must be valid (GROUPED_DIGITS). Powers, decimals and other scripts' digits are refused.
    """
    stripped = text.strip()
    match = _INTEGER.fullmatch(stripped)
    if match is None:
        raise AnswerError(f"not an integer: {_preview(stripped)}")
    sign, digits = match.groups()
    digits = digits.replace(",", "")
    if len(digits) > MAX_NUMBER_DIGITS:
        raise AnswerError(f"integer has more than {MAX_NUMBER_DIGITS} digits")
    return -int(digits) if sign and sign != "+" else int(digits)


def describe(value: object, limit: int = 40) -> str:
    """`value` as a short quoted string for a message; never raises, even for a number too long to print."""
    try:
        text = str(value)
    except ValueError:  # Python refuses int -> str beyond 4,300 digits
        return "<a number too long to print>"
    return _preview(text, limit)


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _normalize(text: str) -> str:
    for unicode_op, ascii_op in UNICODE_OPERATORS.items():
        text = text.replace(unicode_op, ascii_op)
    # x\u00b2 -> x^(2), x\u207b\u00b9 -> x^(-1): the parentheses keep a run of superscripts one exponent.
    text = _SUPERSCRIPT_RUN.sub(lambda run: f"^({run.group(0).translate(SUPERSCRIPTS)})", text)
    return re.sub(r"\\(?:left|right)(?![A-Za-z])", "", text)  # \left( \right) are only sizing hints


def _tokenize(text: str) -> list[Token]:
    text = _normalize(text)
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if text[position:].isspace():
            break
        match = _TOKEN.match(text, position)
        if match is None:
            offending = text[position:].lstrip()[:1]
            raise AnswerError(f"unexpected character {offending!r} in expression")
        kind = match.lastgroup
        tokens.append(Token(kind, match.group(kind)))
        position = match.end()
        if len(tokens) > MAX_TOKENS:
            raise AnswerError(f"expression has more than {MAX_TOKENS} tokens")
    if not tokens:
        raise AnswerError("empty expression")
    tokens.append(Token("end", ""))
    return tokens


class _Parser:
    """Recursive descent over the token list; every method returns a sympy object."""

    def __init__(self, tokens: list[Token], symbols: frozenset[str]):
        self.tokens = tokens
        self.position = 0
        self.depth = 0
        self.symbols = symbols

    def parse(self) -> sympy.Expr:
        result = self.expr()
        if self.peek().kind != "end":
            raise AnswerError(f"unexpected {self.peek().text!r} after a complete expression")
        return result

    # -- token helpers ------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.position]

    def take(self) -> Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise AnswerError(f"expected {text!r}, found {token.text or 'end of expression'!r}")

    def descend(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise AnswerError(f"expression nested more than {MAX_DEPTH} levels deep")

    def starts_atom(self, token: Token) -> bool:
        return token.kind in ("number", "name", "latex") or token.text in ("(", "{")

    # -- grammar ------------------------------------------------------------
    def expr(self) -> sympy.Expr:
        result = self.term()
        while self.peek().text in ("+", "-"):
            operator = self.take().text
            right = self.term()
            result = _sized(result + right if operator == "+" else result - right)
        return result

    def term(self) -> sympy.Expr:
        result = self.unary()
        while True:
            token = self.peek()
            if token.text in ("*", "/"):
                self.take()
                right = self.unary()
                result = _sized(result * right if token.text == "*" else _divide(result, right))
            elif self.starts_atom(token) and not self._is_latex_operator(token):
                # Implicit product: 2x, 2(x+1), (x+1)(x-1); but "2 3" is not 6.
                if token.kind == "number" and self.tokens[self.position - 1].kind == "number":
                    raise AnswerError("two numbers in a row")
                after_number = self.tokens[self.position - 1].kind == "number"
                factor = self.unary()
                # 2\\frac{1}{2} is a mixed number (5/2) to a reader, a product (1) to the grammar: refuse
                # a number times a numeric fraction. 2\\frac{x}{3} can only be a product.
                if after_number and token.text[1:] in FRACTIONS and factor.is_number:
                    raise AnswerError("a number before a numeric \\frac reads as a mixed number; write 2 + \\frac{1}{2}")
                result = _sized(result * factor)
            elif self._is_latex_operator(token):
                self.take()
                right = self.unary()
                result = _sized(result * right if LATEX_WORDS[token.text[1:]] == "*" else _divide(result, right))
            else:
                return result

    def unary(self) -> sympy.Expr:
        self.descend()
        try:
            if self.peek().text in ("+", "-"):
                sign = self.take().text
                operand = self.unary()
                return -operand if sign == "-" else operand
            return self.power()
        finally:
            self.depth -= 1

    def power(self) -> sympy.Expr:
        base = self.atom()
        if self.peek().text in ("^", "**"):
            self.take()
            exponent = self.unary()
            return _bounded_power(base, exponent)
        return base

    def atom(self) -> sympy.Expr:
        token = self.take()
        if token.kind == "number":
            return _number(token.text)
        if token.text in ("(", "{"):
            inner = self.expr()
            self.expect(")" if token.text == "(" else "}")
            return inner
        if token.kind == "name":
            return self.named(token.text)
        if token.kind == "latex":
            return self.latex(token.text[1:])
        raise AnswerError(f"unexpected {token.text or 'end of expression'!r}")

    def named(self, name: str) -> sympy.Expr:
        if name in FUNCTIONS:
            self.expect("(")
            argument = self.expr()
            self.expect(")")
            return FUNCTIONS[name](argument)
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.symbols:
            return sympy.Symbol(name)
        allowed = sorted(self.symbols) + sorted(CONSTANTS) + sorted(FUNCTIONS)
        raise AnswerError(f"unknown name {_preview(name)} (allowed: {', '.join(allowed)})")

    def latex(self, word: str) -> sympy.Expr:
        if word in FRACTIONS:
            numerator = self.argument()
            denominator = self.argument()
            return _divide(numerator, denominator)
        if word == "sqrt":
            return sympy.sqrt(self.argument())
        if word == "pi":
            return sympy.pi
        raise AnswerError(f"unsupported LaTeX command \\{word}")

    def argument(self) -> sympy.Expr:
        """A LaTeX command's argument: `{...}`, or as in TeX one character (\\frac12 is 1/2) or command."""
        self.descend()
        try:
            token = self.peek()
            if token.text == "{":
                self.take()
                inner = self.expr()
                self.expect("}")
                return inner
            if token.kind in ("number", "name") and len(token.text) > 1:
                if token.text[1] == ".":  # TeX would take "." as the next argument
                    raise AnswerError(f"cannot read {_preview(token.text)} as a LaTeX argument; use braces")
                # TeX takes one character; the rest becomes the next token, so \\frac123 is refused below
                # as two numbers in a row instead of being read as (1/2)*3.
                self.tokens[self.position : self.position + 1] = [Token(token.kind, token.text[0]),
                                                                  Token(token.kind, token.text[1:])]  # fmt: skip
            token = self.take()
            if token.kind == "number":
                return _number(token.text)
            if token.kind == "name":
                return self.named(token.text)
            if token.kind == "latex":
                return self.latex(token.text[1:])
            raise AnswerError(f"expected an argument after a LaTeX command, found {token.text or 'end of expression'!r}")
        finally:
            self.depth -= 1

    def _is_latex_operator(self, token: Token) -> bool:
        return token.kind == "latex" and LATEX_WORDS.get(token.text[1:]) in ("*", "/")


def _degree_bound(expression: sympy.Expr) -> float:
    """An upper bound on the polynomial degree, from the expression tree (cheap: nothing is expanded)."""
    if expression.is_Symbol:
        return 1
    if not expression.free_symbols:
        return 0
    if expression.is_Add or expression.is_Function:
        return max(_degree_bound(argument) for argument in expression.args)
    if expression.is_Mul:
        return sum(_degree_bound(argument) for argument in expression.args)
    if expression.is_Pow:
        base, exponent = expression.args
        if not exponent.is_number:  # 2^x: not a polynomial, and nothing to expand
            return _degree_bound(base)
        return _degree_bound(base) * abs(float(exponent))
    return MAX_DEGREE + 1


def _check_number_sizes(expression: sympy.Expr) -> None:
    """Refuse a result holding a number above MAX_RESULT_DIGITS (a product of large powers can build one)."""
    if _largest_bits(expression) > _MAX_RESULT_BITS:
        raise AnswerError(f"a number in the expression has more than {MAX_RESULT_DIGITS} digits")


def _sized(value: sympy.Expr) -> sympy.Expr:
    """`value` if it is not a rational number above MAX_RESULT_DIGITS; checked after each operation,
    so sums of fractions with huge denominators stop growing before their arithmetic gets slow."""
    if value.is_Rational and _largest_bits(value) > _MAX_RESULT_BITS:
        raise AnswerError(f"a number in the expression has more than {MAX_RESULT_DIGITS} digits")
    return value


def _largest_bits(expression: sympy.Expr) -> int:
    """Bits of the largest numerator or denominator in `expression` (bit_length: no printing, no 4,300-digit limit)."""
    return max((max(abs(n.p).bit_length(), n.q.bit_length()) for n in expression.atoms(sympy.Rational)), default=0)


def _number(text: str) -> sympy.Expr:
    if len(text.replace(".", "")) > MAX_NUMBER_DIGITS:
        raise AnswerError(f"number has more than {MAX_NUMBER_DIGITS} digits")
    return sympy.Rational(text) if "." in text else sympy.Integer(int(text))


def _divide(numerator: sympy.Expr, denominator: sympy.Expr) -> sympy.Expr:
    if denominator == 0:
        raise AnswerError("division by zero")
    return numerator / denominator


def _bounded_power(base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
    """Refuse powers whose value or expansion would be enormous, before sympy computes them."""
    if not exponent.is_number:
        return sympy.Pow(base, exponent)  # 2^x stays symbolic; depth bounds towers
    if not exponent.is_real:
        raise AnswerError("complex exponent")
    if abs(exponent) > MAX_RESULT_DIGITS:
        raise AnswerError(f"exponent {describe(exponent, 20)} is too large")
    if base.free_symbols:
        if abs(exponent) > MAX_SYMBOLIC_EXPONENT:
            raise AnswerError(f"exponent of a symbolic base above {MAX_SYMBOLIC_EXPONENT}")
        # sympy distributes the power over a product's numbers: (10^200 x)^32 holds 10^6400.
        estimated_digits = _largest_bits(base) * math.log10(2) * abs(float(exponent))
        if estimated_digits > MAX_RESULT_DIGITS:
            raise AnswerError(f"power would have numbers of about {estimated_digits:.0f} digits")
        return sympy.Pow(base, exponent)
    if base == 0 and exponent.is_negative:
        raise AnswerError("division by zero")
    if base.is_number and base != 0 and abs(base) != 1:
        try:  # |base| may be complex-valued (sqrt(-4)) or far below float range (1/10^400)
            digits_per_power = abs(float(sympy.log(abs(base), 10).evalf(15)))
        except (TypeError, ValueError):
            raise AnswerError("cannot bound the size of this power") from None
        estimated_digits = abs(float(exponent)) * max(digits_per_power, 1.0)
        if estimated_digits > MAX_RESULT_DIGITS:
            raise AnswerError(f"power would have about {estimated_digits:.0f} digits")
    return sympy.Pow(base, exponent)
