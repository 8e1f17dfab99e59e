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
A little LaTeX is understood too: \\frac{a}{b}, \\sqrt{a}, \\cdot, \\times,
\\left( \\right), \\pi, and braces as parentheses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from env.errors import AnswerError

MAX_CHARS = 500  # longer answers are rejected before tokenizing
MAX_TOKENS = 300
MAX_DEPTH = 30  # nesting of parentheses, unary signs and powers
MAX_NUMBER_DIGITS = 60  # per literal
MAX_RESULT_DIGITS = 5_000  # estimated size of a numeric power before it is computed
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
# Unicode operators models often write, mapped to ASCII; anything else non-ASCII is rejected.
UNICODE_OPERATORS = {"\u2212": "-", "\u00d7": "*", "\u00f7": "/", "\u22c5": "*", "\u00b7": "*"}
LATEX_WORDS = {"cdot": "*", "times": "*", "div": "/", "pi": "pi"}

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
    if _degree_bound(result) > MAX_DEGREE:
        raise AnswerError(f"expression has degree above {MAX_DEGREE}")
    return result


def parse_integer(text: str) -> int:
    """Parse a plain integer answer such as `-132` or `1,234`; raise AnswerError otherwise."""
    stripped = text.strip()
    if not re.fullmatch(r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)", stripped):
        raise AnswerError(f"not an integer: {_preview(stripped)}")
    digits = stripped.replace(",", "")
    if len(digits.lstrip("+-")) > MAX_NUMBER_DIGITS:
        raise AnswerError(f"integer has more than {MAX_NUMBER_DIGITS} digits")
    return int(digits)


def _preview(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _normalize(text: str) -> str:
    for unicode_op, ascii_op in UNICODE_OPERATORS.items():
        text = text.replace(unicode_op, ascii_op)
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
            result = result + right if operator == "+" else result - right
        return result

    def term(self) -> sympy.Expr:
        result = self.unary()
        while True:
            token = self.peek()
            if token.text in ("*", "/"):
                self.take()
                right = self.unary()
                result = result * right if token.text == "*" else _divide(result, right)
            elif self.starts_atom(token) and not self._is_latex_operator(token):
                # Implicit product: 2x, 2(x+1), (x+1)(x-1); but "2 3" is not 6.
                if token.kind == "number" and self.tokens[self.position - 1].kind == "number":
                    raise AnswerError("two numbers in a row")
                result = result * self.unary()
            elif self._is_latex_operator(token):
                self.take()
                right = self.unary()
                result = result * right if LATEX_WORDS[token.text[1:]] == "*" else _divide(result, right)
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
        if word == "frac":
            numerator = self.braced()
            denominator = self.braced()
            return _divide(numerator, denominator)
        if word == "sqrt":
            return sympy.sqrt(self.braced())
        if word == "pi":
            return sympy.pi
        raise AnswerError(f"unsupported LaTeX command \\{word}")

    def braced(self) -> sympy.Expr:
        self.expect("{")
        inner = self.expr()
        self.expect("}")
        return inner

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
        raise AnswerError(f"exponent {_preview(str(exponent), 20)} is too large")
    if base.free_symbols:
        if abs(exponent) > MAX_SYMBOLIC_EXPONENT:
            raise AnswerError(f"exponent of a symbolic base above {MAX_SYMBOLIC_EXPONENT}")
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
