"""Started by Python in every process the tests launch (this folder is first on their ``PYTHONPATH``).

When ``GAN_KERAS_NETWORK_GUARD=1`` (set by ``tests/conftest.py``), install the tests' network
guard (``network_guard.py``): subprocesses and notebook kernels cannot reach beyond this
machine either. Then run the ``sitecustomize`` this one shadows, if the machine has one.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))

if os.environ.get("GAN_KERAS_NETWORK_GUARD") == "1":
    sys.path.insert(0, _HERE)
    try:
        import network_guard

        network_guard.install()
    finally:
        sys.path.remove(_HERE)


def _run_shadowed_sitecustomize():
    import importlib.machinery
    import importlib.util

    others = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", others)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)


_run_shadowed_sitecustomize()
