#!/usr/bin/env bash
# The prepared GPU check: one short script for a lent GPU machine (the `device` tool), at most 5.5 minutes.
# Rehearse it here on the CPU (slower; two steps hit their time limits): PATH=$PWD/.venv/bin:$PATH SEAL_DEVICE=cpu OUT=/tmp/devout bash benchmarks/device_check.sh
#
# What it measures, each step written to $OUT/<step>.txt (a failing step does not stop the others):
#   env        nvidia-smi, torch / CUDA versions, `import seal`
#   infer      issue 5: task-net vs 20/30-step GBI examples/s at batch 1, 32, 1024 on CUDA (target >= 10x at 1024)
#   train      issue 4: bibtex s/epoch of cross-entropy vs SEAL-dynamic NCE at the paper's S=12, T=5, K=20 on
#              CUDA, with the share of the fp32 matmul peak (the paper's own code: 132 s/epoch, 5.8x its CE)
#   seg        issue 6: Weizmann s/epoch of every segmentation method at the paper's setting (S, T, K) on CUDA
#   fit        `seal fit` smoke on CUDA: bibtex cross-entropy, 2 epochs, through Lightning
#   weizmann   issue 6 planning: SEAL-dynamic regression-s, paper setting, seed 0, 45 s of training on CUDA:
#              epochs per minute and the validation IoU curve (a planning number, NOT a result row)
#
# Prepare HERE (downloads 3 pure-Python wheels the device image lacks, copies 2 datasets; both ignored by git):
#   bash benchmarks/device_check.sh --prepare
# Then, if the device tool's `status` says can_start_another, call its `run` with
#   command:   bash benchmarks/device_check.sh
#   carry:     [".whl", ".devdata"]
#   timeout_s: 360 (the step limits add up to 300 s; what is under $OUT comes back even on a timeout)
# call `give_back` unless you rerun at once, and copy what you use from the returned files into
# docs/benchmarks.md with this command beside it. The run writes exactly 8 files to $OUT, the tool's limit:
# a step added here must drop one. The device image has torch 2.11 (this project pins 2.13 for the CPU);
# the `env` step shows whether seal imports there.
set -u
cd "$(dirname "$0")/.."

WHEELS="jsonargparse==4.53.0 docstring_parser==0.18.0 typeshed_client==2.15.0"
DATASETS="bibtex weizmann_horse"

if [ "${1:-}" = "--prepare" ]; then
  set -e
  src="${SEAL_DATA_DIR:-../shared/data}"
  mkdir -p .whl .devdata
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    -d .whl $WHEELS
  for d in $DATASETS; do
    [ -d "$src/$d" ] || { echo "device_check --prepare: no dataset folder $src/$d (set SEAL_DATA_DIR)" >&2; exit 2; }
    if [ -d ".devdata/$d" ]; then chmod -R u+w ".devdata/$d"; rm -rf ".devdata/$d"; fi
    cp -r "$src/$d" ".devdata/$d"
  done
  du -sh .whl .devdata
  echo "prepared: now run the device tool with carry [\".whl\", \".devdata\"]"
  exit 0
fi

OUT="${OUT:-$PWD/device_out}"
mkdir -p "$OUT"
DEVICE="${SEAL_DEVICE:-cuda}"  # SEAL_DEVICE=cpu rehearses the script here (slower, same steps)
export PYTHONUNBUFFERED=1 SEAL_DATA_DIR="$PWD/.devdata" SEAL_CACHE_DIR=/tmp/seal-cache
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    || echo "wheel install failed" >&2
fi
export PYTHONPATH="$PWD/src:/tmp/site${PYTHONPATH:+:$PYTHONPATH}"

step() {  # step NAME SECONDS COMMAND...
  local name=$1 secs=$2
  shift 2
  local t0=$SECONDS
  echo "== $name: $*" >"$OUT/$name.txt"
  # -k: Lightning catches SIGTERM to finish gracefully; KILL it 10 s later
  timeout -k 10 "$secs" "$@" >>"$OUT/$name.txt" 2>&1
  local rc=$?
  echo "== $name: rc=$rc, $((SECONDS - t0)) s" >>"$OUT/$name.txt"
  tail -n 25 "$OUT/$name.txt"
}

step env 30 bash -c 'nvidia-smi; python3 -c "import torch, seal, lightning, jsonargparse; print(torch.__version__, torch.version.cuda, torch.cuda.is_available() and torch.cuda.get_device_name(0), lightning.__version__, jsonargparse.__version__)"'
step infer 60 python3 benchmarks/bench_inference.py --device $DEVICE --min-time 0.3
step train 50 python3 benchmarks/bench_train.py --dataset bibtex --device $DEVICE --methods cross-entropy seal-dynamic-nce \
  --batches 10 --no-lightning-split
step seg 45 python3 benchmarks/bench_segmentation.py --variant paper --device $DEVICE --no-eval
step fit 35 python3 -m seal.cli.main fit --config configs/bibtex/cross-entropy.yaml --trainer.max_epochs 2 --trainer.accelerator $DEVICE \
  --trainer.default_root_dir /tmp/fit --metrics_file "$OUT/fit_metrics.json" --trainer.enable_progress_bar=false
step weizmann 80 python3 -m seal.cli.main fit --config configs/weizmann_horse/seal-dynamic-regression-s.yaml \
  --seed_everything 0 --trainer.max_time 00:00:00:45 --trainer.accelerator $DEVICE --trainer.default_root_dir /tmp/wz \
  --metrics_file "$OUT/weizmann_metrics.json" --trainer.enable_progress_bar=false
echo "device_check done in $SECONDS s; files in $OUT"
