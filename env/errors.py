"""The one exception that marks a model's output, not our code, as the problem.

Verification treats the model's text as untrusted: anything wrong with it
raises `AnswerError`, which the verifier turns into a score of 0 with the
message as the reason. Every other exception is a bug (ours or a plugin's)
and propagates, so it is never mistaken for a model mistake.

    >>> raise AnswerError("not an integer: 'twelve'")
"""


class AnswerError(ValueError):
    """A completion's answer cannot be scored: missing, ambiguous, malformed or too large."""
