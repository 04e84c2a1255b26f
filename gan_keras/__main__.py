"""Run the command line: ``python -m gan_keras --help``."""

from gan_keras import engine

# TensorFlow's C++ start-up chatter (CUDA probes, oneDNN notes) hidden; nothing on JAX or PyTorch
engine.start_quietly()

from gan_keras.app.cli import main  # noqa: E402

raise SystemExit(main())
