"""Keep TensorFlow's start-up and graph-optimiser chatter out of a notebook; real messages still show.

TensorFlow's C++ runtime writes log lines straight to the process's standard error (file
descriptor 2), below Python: ``warnings`` filters and ``sys.stderr`` never see them, and
``TF_CPP_MIN_LOG_LEVEL`` can only hide whole levels (level 3 would hide real errors too). So
:func:`filter_tensorflow_chatter` puts a pipe in front of descriptor 2 and a small thread
forwards every line except the known, harmless ones of :data:`CHATTER`:

- the start-up lines (``absl::InitializeLog``, oneDNN, CPU instructions, no CUDA driver,
  ``cuInit`` on a machine without a GPU);
- Grappler's ``remapper failed: ... Mutation::Apply error: fanout ... LeakyReluGrad`` at the
  first training step: the remapper declines to fuse ``Conv2D + BiasAdd + LeakyRelu`` because
  the gradient tape reads the un-fused node, and leaves that part of the graph as it was.
  Dropping the line changes no computation (the graph runs exactly as without the filter).

Any other line, in TensorFlow's log format or not, goes through unchanged.
Introduced in every notebook's setup cell (through ``gan_keras.app.notebook.setup``).
"""

from __future__ import annotations

import os
import re
import sys
import threading

# TensorFlow's C++ log format: a level letter, MMDD, time, thread id, file:line] message.
TF_LOG_LINE = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ [\w./-]+:\d+\] ")

# Harmless lines, by their message (a line of TF_LOG_LINE's format or a plain one).
CHATTER = tuple(re.compile(p) for p in (
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"oneDNN custom operations are on",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"^To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags",
    r"Could not find cuda drivers on your machine, GPU will not be used",
    r"failed call to cuInit",
    r"cuda_diagnostics|kernel driver does not appear to be running on this host|retrieving CUDA diagnostic",
    r"remapper failed: INVALID_ARGUMENT: Mutation::Apply error: fanout .* exist for missing node",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"TF-TRT Warning: Could not find TensorRT",
    r"computation placer already registered",
))

_installed: "_Filter | None" = None


def is_chatter(line: str) -> bool:
    """Return True for a known, harmless TensorFlow log line (see CHATTER)."""
    return any(p.search(line) for p in CHATTER)


def is_tensorflow_log_line(line: str) -> bool:
    """Return True when a line has the format of TensorFlow's C++ logging (``E0000 00:00:...] ...``)."""
    return bool(TF_LOG_LINE.match(line)) or line.startswith(
        "WARNING: All log messages before absl::InitializeLog()")


class _Filter:
    """A pipe in front of file descriptor 2 and a thread that forwards all but the chatter."""

    def __init__(self, fd: int = 2):
        self.fd = fd
        self.saved = os.dup(fd)           # where the forwarded lines go (the kernel's own stream)
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        self.read_end = read_end
        self.dropped = 0
        self.thread = threading.Thread(target=self._pump, name="gan_keras-stderr-filter", daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self.read_end, 65536)
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            out = [line + b"\n" for line in lines if not self._drop(line)]
            if out:
                self._write(b"".join(out))
        if pending and not self._drop(pending):
            self._write(pending)

    def _drop(self, raw: bytes) -> bool:
        if is_chatter(raw.decode("utf-8", "replace")):
            self.dropped += 1
            return True
        return False

    def _write(self, data: bytes) -> None:
        while data:
            try:
                written = os.write(self.saved, data)
            except OSError:
                return
            data = data[written:]


def filter_tensorflow_chatter() -> bool:
    """Drop TensorFlow's harmless C++ log lines from this process's standard error from now on.

    Call it before TensorFlow is imported (its start-up lines come at import). Safe to call
    twice; returns True when the filter is in place. Lines that are not chatter, including
    every real TensorFlow warning or error, still reach standard error.
    """
    global _installed
    if _installed is not None:
        return True
    try:
        sys.stderr.flush()
        _installed = _Filter(2)
    except OSError:  # no descriptor 2 (some embedded interpreters): nothing to filter
        return False
    return True


def dropped_lines() -> int:
    """Return how many chatter lines the filter has dropped so far (0 when it is not installed)."""
    return 0 if _installed is None else _installed.dropped
