"""selfplay: a language model improves itself on verifiable rewards, generation after generation.

Layers, each importing only those before it:
    env/       problems with checkable answers, and their checkers
    rewards/   scoring rollouts (sandboxed verification, format, length)
    policy/    models, tokenizers, prompts, pretraining by imitation
    selfplay/  the campaign (TRL, MLflow) and the `selfplay` command
"""

__version__ = "0.1.0"
