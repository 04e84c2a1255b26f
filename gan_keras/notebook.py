"""What the first cell of every chapter calls: versions, GPU check and the fast-mode switch."""

from __future__ import annotations

from gan_keras import config


def setup(verbose: bool = True) -> bool:
    """Check TensorFlow and Keras, say whether a GPU is present, and return the fast-mode flag.

    Introduced in every notebook's setup cell.
    """
    import keras
    import tensorflow as tf

    config.require_tensorflow_backend()
    fast = config.fast_mode()
    if int(keras.__version__.split(".")[0]) < 3:
        raise RuntimeError(f"gan_keras needs Keras 3, found Keras {keras.__version__}: pip install -U keras")
    gpus = tf.config.list_physical_devices("GPU")
    if verbose:
        print(f"TensorFlow {tf.__version__}, Keras {keras.__version__}, gan_keras set up.")
        if gpus:
            print(f"GPU: {len(gpus)} found ({gpus[0].name}); the full runs take minutes.")
        else:
            print("No GPU found: training runs on the CPU. The full settings take several times "
                  "longer than on a Colab GPU (Runtime > Change runtime type > GPU); fast mode "
                  "(GAN_KERAS_FAST=1) runs every cell in seconds with tiny settings.")
        print(f"Fast mode: {'ON (tiny data, few epochs)' if fast else 'off (the full course settings)'}")
    return fast
