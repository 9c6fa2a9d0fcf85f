#!/usr/bin/env bash
# The GPU path in one prepared run, for a machine with an NVIDIA GPU and a CUDA build of torch
# (our own machines have none). Writes everything under ${OUT:-gpu-check}/:
#   cuda.txt       what torch sees (version, CUDA, cuDNN, the GPU's name)
#   tests.txt      the GPU tests (tests/test_cuda.py) and the trainer's device tests
#   benchmarks.md  benchmarks/run_all.py --quick: trainer vs bare torch with cuDNN on cuda, the
#                  window's share, start-up, memory (run_all adds the cuda rows when it sees a GPU)
# Then copy the figures into docs/benchmarks.md with the machine named.
set -u
cd "$(dirname "$0")/.."
out="${OUT:-gpu-check}"
mkdir -p "$out"
export QT_QPA_PLATFORM=offscreen
python - > "$out/cuda.txt" 2>&1 <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version())
print("available", torch.cuda.is_available())
if torch.cuda.is_available():
    print("device", torch.cuda.get_device_name(0))
PY
cat "$out/cuda.txt"
timeout 900 python -m pytest -q -p no:cacheprovider tests/test_cuda.py tests/test_trainer.py -k "cuda or device" \
    > "$out/tests.txt" 2>&1
echo "tests: exit $? (see $out/tests.txt)"; tail -3 "$out/tests.txt"
timeout 1500 python benchmarks/run_all.py --quick --markdown "$out/benchmarks.md" > "$out/run_all.txt" 2>&1
echo "benchmarks: exit $? (see $out/benchmarks.md)"
