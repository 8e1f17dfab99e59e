"""How a problem's prompt is shown to a model: its chat template, or plain text.

Instruct models get their chat template (the user turn is the problem's prompt,
which already says where to put the answer); other models get plain text
ending in a newline. The tiny model, trained from scratch, gets the question
alone: it learns where the answer goes from its demonstrations, not from an
English instruction, and the instruction was more than half of every
sequence it trained on (a quickstart prompt of 45 characters becomes 17, and
pretraining learned addition in fewer steps as well as faster ones). The
format is saved with every checkpoint, so a policy is always prompted the way
it was trained.

    >>> PromptFormat("plain").model_input("What is 2 + 2? Answer in <answer></answer>.")
    'What is 2 + 2? Answer in <answer></answer>.\\n'
    >>> PromptFormat("question").model_input("What is 2 + 2? Answer in <answer></answer>.")
    'What is 2 + 2?\\n'
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from env.answers import ANSWER_FORMATS
from policy.errors import SettingError

PROMPT_FORMAT_FILE = "selfplay_prompt.json"
STYLES = ("chat", "plain", "question")


@dataclass(frozen=True)
class PromptFormat:
    style: str  # "chat" (the tokenizer's chat template), "plain" (the prompt), "question" (without the format instruction)
    system_prompt: str | None = None  # chat only: a system turn ("" an empty one), None the template's default

    def __post_init__(self):
        if self.style not in STYLES:
            raise ValueError(f"policy.prompt_style must be one of {STYLES} or 'auto', got {self.style!r}")

    def model_input(self, prompt: str) -> str | list[dict[str, str]]:
        """What goes into TRL's `prompt` column: text, or chat messages that TRL templates itself."""
        if self.style == "plain":
            return prompt + "\n"
        if self.style == "question":
            return without_instruction(prompt) + "\n"
        messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt is not None else []
        return messages + [{"role": "user", "content": prompt}]

    def render(self, tokenizer: Any, prompt: str) -> str:
        """The exact text the model is conditioned on, for our own sampling and pretraining."""
        model_input = self.model_input(prompt)
        if isinstance(model_input, str):
            return model_input
        return tokenizer.apply_chat_template(model_input, tokenize=False, add_generation_prompt=True)

    def save(self, folder: str | Path) -> None:
        Path(folder, PROMPT_FORMAT_FILE).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, folder: str | Path) -> "PromptFormat | None":
        path = Path(folder, PROMPT_FORMAT_FILE)
        return cls(**json.loads(path.read_text())) if path.exists() else None


def without_instruction(prompt: str) -> str:
    """The prompt less the answer-format instruction that environments append to the question."""
    for answer_format in ANSWER_FORMATS.values():
        suffix = " " + answer_format.instruction
        if prompt.endswith(suffix):
            return prompt[: -len(suffix)]
    return prompt


def choose_prompt_format(style: str, tokenizer: Any, system_prompt: str | None = None) -> PromptFormat:
    """`auto` picks chat when the tokenizer has a chat template, plain otherwise."""
    if style == "auto":
        style = "chat" if getattr(tokenizer, "chat_template", None) else "plain"
    if style == "chat" and not getattr(tokenizer, "chat_template", None):
        raise SettingError("policy.prompt_style is 'chat' but the tokenizer has no chat template; use 'plain' or 'auto'")
    return PromptFormat(style, system_prompt)


def sft_example(prompt: str | list[dict[str, str]], completion: str) -> dict[str, Any]:
    """A prompt-completion example for TRL's SFTTrainer; a chat prompt (a list of messages) takes the completion
    as the assistant's turn, so the chat template closes it the way the model will be asked."""
    if isinstance(prompt, list):
        return {"prompt": prompt, "completion": [{"role": "assistant", "content": completion}]}
    return {"prompt": prompt, "completion": completion}
