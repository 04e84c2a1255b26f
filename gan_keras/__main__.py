"""Run the command line: ``python -m gan_keras --help``."""

import os


def _import_tensorflow_quietly():
    """Import TensorFlow with its C++ start-up chatter (CUDA probes, oneDNN notes) hidden.

    TensorFlow writes those lines to file descriptor 2 before its own log settings apply;
    a student running one command should see the command's output, not them. Only when
    Keras runs on TensorFlow: on JAX or PyTorch TensorFlow is never imported.
    """
    from gan_keras.config import backend_setting

    if backend_setting() != "tensorflow":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_logical_devices()  # device start-up (the CUDA probe) happens here
    except Exception:
        pass  # the real import below reports the error with the terminal restored
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()

from gan_keras.app.cli import main  # noqa: E402

raise SystemExit(main())
