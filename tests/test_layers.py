"""Layers point one way: env/ and rewards/ import no training library and nothing above them.

A plugin author installs and tests an environment without torch, transformers or trl,
so importing every module of env/ and rewards/ must not pull them in.
"""

import subprocess
import sys

CODE = """
import importlib, pkgutil, sys
import env, rewards
for package in (env, rewards):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):  # env.games.* too
        importlib.import_module(module.name)
loaded = {name.split(".")[0] for name in sys.modules}
print(sorted(loaded & {"torch", "transformers", "trl", "accelerate", "peft", "mlflow", "policy", "selfplay"}))
"""


def test_env_and_rewards_import_no_training_library_and_no_upper_layer():
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
