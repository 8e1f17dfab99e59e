"""Problems with automatically checkable answers, at levels of difficulty.

This layer imports neither torch nor transformers nor trl, so an environment
plugin installs and tests without them.

    >>> from env import get_environment
    >>> arithmetic = get_environment("arithmetic")
    >>> problem = arithmetic.problem(seed=0, index=0, difficulty=1)
    >>> arithmetic.verify(problem, f"<answer>{problem.answer}</answer>").score
    1.0
"""

from env.answers import ANSWER_FORMATS, AnswerFormat, answer_format
from env.environment import Environment
from env.errors import AnswerError
from env.problem import Draft, Problem, Verdict
from env.registry import EnvironmentInfo, EnvironmentSpec, environment_class, get_environment, list_environments

__all__ = [
    "ANSWER_FORMATS",
    "AnswerError",
    "AnswerFormat",
    "Draft",
    "Environment",
    "EnvironmentInfo",
    "EnvironmentSpec",
    "Problem",
    "Verdict",
    "answer_format",
    "environment_class",
    "get_environment",
    "list_environments",
]
