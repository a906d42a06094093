# Sourced by the quick-start scripts: a virtual environment in .venv with the
# package installed (editable) and the versions in constraints.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import keras_pixelrnn, tf2onnx, pytest, matplotlib, tensorboard, mkdocs, mkdocstrings, material, playwright" 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -c constraints.txt -e ".[cpu,export,test,demo,docs]"
fi
export PATH="$PWD/.venv/bin:$PATH"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
