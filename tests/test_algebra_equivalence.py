"""A generated equivalence suite for the algebra checker, judged by evaluation at random points.

Over a thousand (answer, target) pairs, built with sympy and a fixed seed:
- equivalent forms of a random polynomial: expand, factor, horner, together, apart,
  partial factorizations, a rewrite around x + c, a completed square; written in
  Python syntax, LaTeX (sympy's printer, then brace-less fractions), Unicode (sympy's
  pretty printer: superscripts, dot operator) or with implicit products and Unicode minus;
- near misses: the same polynomial with one term perturbed (a coefficient, an exponent, a
  sign, a term dropped, a factor's constant), then transformed and written the same ways;
- solution lists of quadratics and linear equations, equivalent (any order, fractions,
  decimals, `x =`, a set in braces, `center ± half-width`) and near misses (one root off
  by one or of the wrong sign, one missing, one extra).
The reference judge evaluates the expression the test rendered (not the text the checker
reads) exactly at random rational points; a solution list is compared as a multiset. The
checker must agree with it on at least 99.5% of the pairs and never credit a pair it rejects.

    $ .venv/bin/python -m pytest tests/test_algebra_equivalence.py -q
"""

import random
import re
from fractions import Fraction

import sympy

from env import Draft, get_environment

X = sympy.Symbol("x")
SEED = 13
NUM_POLYNOMIALS = 150  # each gives 4 equivalent forms and 3 near misses
NUM_ROOT_LISTS = 100  # each gives 3 equivalent lists and 2 near misses
MIN_PAIRS = 1_000
MIN_AGREEMENT = 0.995
NUM_POINTS = 6  # random rational points; a nonzero difference (degree <= 10) vanishing at all of them is vanishingly rare
PLUS_MINUS = ["\u00b1", "\\pm", "\u2213"]


# -- polynomials ------------------------------------------------------------------


def _random_polynomial(rng: random.Random) -> sympy.Expr:
    """A product of a constant and 1-3 factors (a*x + b), or a random sum of monomials."""
    if rng.random() < 0.6:
        factors = [rng.randint(1, 3) * X + rng.choice([b for b in range(-9, 10) if b]) for _ in range(rng.randint(1, 3))]
        return sympy.expand(rng.choice([1, 1, 2, -1, 3]) * sympy.Mul(*factors))
    degree = rng.randint(1, 5)
    return sympy.Add(*(rng.randint(-9, 9) * X**k for k in range(degree)), rng.choice([-3, -2, -1, 1, 2, 3]) * X**degree)


def _equivalent_forms(polynomial: sympy.Expr, rng: random.Random) -> dict[str, sympy.Expr]:
    """Unevaluated sympy expressions equal to `polynomial`, one per transformation."""
    d = rng.randint(2, 5)
    c = rng.choice([-3, -2, -1, 1, 2, 3])
    y = sympy.Symbol("y")
    terms = sympy.Add.make_args(polynomial)
    split = rng.randint(1, max(1, len(terms) - 1))
    forms = {
        "expand": sympy.expand(polynomial),
        "factor": sympy.factor(polynomial),
        "horner": sympy.horner(polynomial),
        "together": sympy.Mul(d, sympy.together(polynomial / d), evaluate=False),
        "apart": sympy.Mul(d, sympy.apart(polynomial / d, X), evaluate=False),
        "regrouped": sympy.Add(*(sympy.factor(sympy.Add(*part)) for part in (terms[:split], terms[split:])), evaluate=False),
        "shifted": sympy.expand(polynomial.subs(X, y - c)).subs(y, X + c),  # a polynomial in (x + c)
        "partly factored": _partly_factored(polynomial),
    }
    if sympy.degree(polynomial, X) == 2:  # a*(x + h)^2 + k
        a, b, constant = sympy.Poly(polynomial, X).all_coeffs()
        h = b / (2 * a)
        forms["completed square"] = sympy.Add(a * (X + h) ** 2, constant - a * h**2, evaluate=False)
    return forms


def _partly_factored(polynomial: sympy.Expr) -> sympy.Expr:
    """The factorization with its first two factors multiplied out again."""
    content, factors = sympy.factor_list(polynomial)
    expanded = [base**power for base, power in factors]
    if len(expanded) < 2:
        return sympy.Mul(content, *expanded, evaluate=False)
    return sympy.Mul(content, sympy.expand(expanded[0] * expanded[1]), *expanded[2:], evaluate=False)


def _near_miss(polynomial: sympy.Expr, rng: random.Random) -> sympy.Expr:
    """`polynomial` with one term perturbed: never equal to it."""
    coefficients = sympy.Poly(polynomial, X).all_coeffs()[::-1]
    degree = len(coefficients) - 1
    kind = rng.choice(["coefficient", "exponent", "sign", "drop", "factor constant"])
    nonzero = [k for k, value in enumerate(coefficients) if value]
    k = rng.choice(nonzero)
    if kind == "exponent" and k < 9:
        return polynomial - coefficients[k] * X**k + coefficients[k] * X ** (k + 1)
    if kind == "sign":
        return polynomial - 2 * coefficients[k] * X**k
    if kind == "drop" and len(nonzero) > 1:
        return polynomial - coefficients[k] * X**k
    if kind == "factor constant":
        content, factors = sympy.factor_list(polynomial)
        if factors:
            base, power = factors[0]
            changed = base + rng.choice([-1, 1])
            return sympy.expand(content * changed**power * sympy.Mul(*(b**p for b, p in factors[1:])))
    return polynomial + rng.choice([-2, -1, 1, 2]) * X ** rng.randint(0, degree)


def _render(expression: sympy.Expr, rng: random.Random) -> str:
    """The expression as a model might write it: Python, LaTeX, Unicode, implicit products, Unicode minus."""
    style = rng.choice(["python", "latex", "latex brace-less", "unicode", "implicit"])
    if style == "python":
        return str(expression)
    if style.startswith("latex"):
        text = sympy.latex(expression)
        if style == "latex brace-less":  # \frac{3}{2} -> \frac32, as TeX allows for one-character arguments
            text = re.sub(r"\\frac\{(\d)\}\{(\d)\}", r"\\frac\1\2", text)
        return text
    if style == "unicode":
        text = sympy.pretty(expression, use_unicode=True)
        if "\n" not in text:  # fractions print on several lines; keep those in Python syntax
            return text
        return str(expression)
    text = re.sub(r"(\d)\*(x|\()", r"\1\2", str(expression))  # 2*x -> 2x, 3*(x + 1) -> 3(x + 1)
    return text.replace(" - ", " \u2212 ")


def _judged_equal(candidate: sympy.Expr, target: sympy.Expr, rng: random.Random) -> bool:
    """The reference judge: exact values at random rational points."""
    points = {sympy.Rational(rng.randint(-10_000, 10_000), rng.randint(1, 97)) for _ in range(NUM_POINTS)}
    return all(candidate.subs(X, point) == target.subs(X, point) for point in points)


def _polynomial_pairs(rng: random.Random):
    """(answer text, problem, judged right) for equivalent forms and near misses of random polynomials."""
    algebra = get_environment("algebra")
    for _ in range(NUM_POLYNOMIALS):
        target = _random_polynomial(rng)
        coefficients = [int(c) for c in sympy.Poly(target, X).all_coeffs()[::-1]]
        inputs = {"task": "derivative", "target": coefficients}
        problem = algebra.from_draft(Draft("Differentiate", str(target), inputs=inputs))
        forms = _equivalent_forms(target, rng)
        for name in rng.sample(sorted(forms), 4):
            yield name, _render(forms[name], rng), problem, _judged_equal(forms[name], target, rng)
        for _ in range(3):
            miss = _near_miss(target, rng)
            miss_forms = _equivalent_forms(miss, rng)
            name = rng.choice(sorted(miss_forms))
            form = miss_forms[name]
            yield f"near miss ({name})", _render(form, rng), problem, _judged_equal(form, target, rng)


# -- solution lists -----------------------------------------------------------------


def _root_text(value: Fraction, rng: random.Random) -> str:
    """One solution in one of the forms a model writes."""
    forms = [str(value), f"x = {value}", f"\\frac{{{2 * value.numerator}}}{{{2 * value.denominator}}}",
             f"\\dfrac{{{value.numerator}}}{{{value.denominator}}}"]  # fmt: skip
    if value.denominator == 1:
        forms += [f"{value.numerator}.0", f"x = {value.numerator * 3}/3", str(value.numerator).replace("-", "\u2212")]
    return rng.choice(forms)


def _list_text(values: list[Fraction], rng: random.Random) -> str:
    values = rng.sample(values, len(values))
    if len(values) == 2 and rng.random() < 0.3:  # center \u00b1 half-width
        center, half = (values[0] + values[1]) / 2, (values[1] - values[0]) / 2
        plus_minus = rng.choice(PLUS_MINUS)
        return f"x = {_fraction_latex(center)} {plus_minus} {_fraction_latex(half)}"
    text = rng.choice([", ", " and ", " or ", "; "]).join(_root_text(value, rng) for value in values)
    if "," in text and "=" not in text and rng.random() < 0.4:
        text = rng.choice(["{{{}}}", "\\{{{}\\}}"]).format(text)
    return text


def _fraction_latex(value: Fraction) -> str:
    if value.denominator == 1:
        return f"({value.numerator})" if value < 0 else str(value.numerator)
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _root_list_pairs(rng: random.Random):
    """(answer text, problem, judged right) for the solutions of random quadratic and linear equations."""
    algebra = get_environment("algebra")
    for _ in range(NUM_ROOT_LISTS):
        roots = sorted(rng.sample(range(-10, 11), rng.choice([1, 2, 2])))
        task = "quadratic" if len(roots) == 2 else "linear"
        problem = algebra.from_draft(Draft("Solve", ", ".join(map(str, roots)), inputs={"task": task, "roots": roots}))
        exact = [Fraction(root) for root in roots]
        for _ in range(3):
            yield f"{task} roots", _list_text(exact, rng), problem, True
        for _ in range(2):
            miss = list(exact)
            kind = rng.choice(["off by one", "sign", "missing", "extra"])
            position = rng.randrange(len(miss))
            if kind == "off by one":
                miss[position] += rng.choice([-1, 1])
            elif kind == "sign" and miss[position]:
                miss[position] = -miss[position]
            elif kind == "missing" and len(miss) > 1:
                miss.pop(position)
            else:
                miss.append(miss[position] + rng.choice([1, 2]))
            yield f"{task} near miss ({kind})", _list_text(miss, rng), problem, sorted(miss) == exact


def test_checker_agrees_with_evaluation_at_random_points_and_never_credits_a_wrong_form():
    rng = random.Random(SEED)
    algebra = get_environment("algebra")
    pairs = list(_polynomial_pairs(rng)) + list(_root_list_pairs(rng))
    assert len(pairs) >= MIN_PAIRS
    disagreements, false_credits = [], []
    for name, text, problem, judged_right in pairs:
        verdict = algebra.verify(problem, algebra.answer_format.render(text))
        assert not verdict.error, (text, verdict.reason)
        if verdict.correct != judged_right:
            disagreements.append((name, text, problem.answer, verdict.reason))
            if verdict.correct:
                false_credits.append(disagreements[-1])
    num_judged_right = sum(judged_right for *_, judged_right in pairs)
    assert MIN_PAIRS // 3 < num_judged_right < len(pairs) - MIN_PAIRS // 5  # both kinds are well represented
    assert false_credits == []
    agreement = 1 - len(disagreements) / len(pairs)
    assert agreement >= MIN_AGREEMENT, f"agreement {agreement:.4f} on {len(pairs)} pairs; first: {disagreements[:5]}"
