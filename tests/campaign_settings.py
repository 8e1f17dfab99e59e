"""A campaign small enough to run in seconds on 2 CPU cores, for end-to-end tests."""

FAST = [
    "policy.tiny={hidden_size: 32, num_layers: 2, num_heads: 2, intermediate_size: 64, max_length: 96}",
    "pretrain.max_steps=30",
    "pretrain.num_demonstrations=400",
    "pretrain.num_eval_problems=10",
    "pretrain.batch_size=32",
    "generations=2",
    "train.max_steps=2",
    "train.num_generations=4",
    "train.batch_size=16",
    "train.num_problems=40",
    "train.logging_steps=1",
    "train.save_steps=1",
    "curriculum.filter_samples=4",
    "expert_iteration.max_steps=2",
    "eval.num_problems=10",
    "eval.num_samples=2",
    "verifier.num_workers=1",
]


def fast_settings(tmp_path, cache_dir, *extra):
    """--set arguments for a fast campaign writing under tmp_path, pretrained model cached in cache_dir."""
    settings = FAST + [f"output_dir={tmp_path / 'runs'}", f"policy.cache_dir={cache_dir}", *extra]
    return [argument for setting in settings for argument in ("--set", setting)]
