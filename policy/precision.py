"""Which mixed precision the trainers may use here.

TRL's configs default to bf16, which transformers rejects on a CPU-only machine;
so every trainer config built by selfplay asks this function instead.
"""


def bf16_supported() -> bool:
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
