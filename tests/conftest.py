"""Shared test set-up: offline, deterministic, quiet."""

import os

# Weights and data sets cannot come from a hub here; fail fast instead of hanging on the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
# Spinning OpenMP threads make torch 10x slower whenever another process wants a core.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
