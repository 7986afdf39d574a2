#!/usr/bin/env bash
# The GPU check: unit tests and loose nbval (--nbval-lax) over every notebook, on a CUDA machine.
# Strict comparison is defined on CPU outputs; on a GPU the notebooks must run, not match bit for bit.
# Runs under the machine's own python3 (with torch); packages it lacks may be put in .whl/ as wheels.
set -u
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg PYTHONUNBUFFERED=1
workers=${WORKERS:-6}  # more workers starting Jupyter kernels at once can collide on ports
python3 -c "import torch, ghostedu; print('torch', torch.__version__, '| device:', ghostedu.device(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')"
python3 -m pytest tests -q -p no:cacheprovider -n "$workers" --dist loadscope --ignore=tests/test_browser.py
unit=$?
python3 -m pytest chapters --nbval-lax --nbval-current-env -p no:cacheprovider -n "$workers" --dist loadscope
nb=$?
echo "unit tests exit $unit; notebooks (nbval-lax) exit $nb"
exit $(( unit || nb ))
