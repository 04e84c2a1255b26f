"""The notebook's stderr filter drops TensorFlow's harmless C++ lines and keeps every other line."""

import subprocess
import sys

import pytest

from gan_keras.app import quiet

CHATTER = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796115463.431695    5291 port.cc:153] oneDNN custom operations are on. You may see "
    "slightly different numerical results due to floating-point round-off errors.",
    "I0000 00:00:1796115463.664312    5291 cpu_feature_guard.cc:227] This TensorFlow binary is optimized "
    "to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
    "E0000 00:00:1796115466.334783    5291 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA "
    "error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "E0000 00:00:1796115467.653661    5291 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: "
    "Mutation::Apply error: fanout 'StatefulPartitionedCall/gradient_tape/d/leaky_re_lu_1/LeakyRelu/"
    "LeakyReluGrad' exist for missing node 'StatefulPartitionedCall/d/conv2d_1/BiasAdd'.",
]
REAL = [
    "E0000 00:00:1796115467.653661    5291 op_kernel.cc:1840] OP_REQUIRES failed at conv_ops.cc:120 : "
    "RESOURCE_EXHAUSTED: OOM when allocating tensor",
    "W0000 00:00:1796115467.653661    5291 loop_optimizer.cc:933] Skipping loop optimization",
    "UserWarning: something the student should read",
]


@pytest.mark.parametrize("line", CHATTER)
def test_chatter_is_recognised(line):
    assert quiet.is_chatter(line)


@pytest.mark.parametrize("line", REAL)
def test_real_messages_are_not_chatter(line):
    assert not quiet.is_chatter(line)


def test_log_format_is_recognised():
    assert all(quiet.is_tensorflow_log_line(line) for line in CHATTER[1:3] + REAL[:2])
    assert not quiet.is_tensorflow_log_line(REAL[2])
    assert not quiet.is_tensorflow_log_line("Epoch 1/2")


def test_filter_drops_chatter_at_the_descriptor_and_forwards_the_rest():
    # A child process writes straight to file descriptor 2, as TensorFlow's C++ code does.
    program = f"""
import os, sys, time
from gan_keras.app import quiet
assert quiet.filter_tensorflow_chatter() and quiet.filter_tensorflow_chatter()
lines = {CHATTER + REAL!r}
for line in lines:
    os.write(2, (line + "\\n").encode())
os.write(2, b"last line without a newline")
time.sleep(0.3)
print(quiet.dropped_lines())
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(CHATTER))
    err = done.stderr.splitlines()
    assert err[:len(REAL)] == REAL
    assert not any(quiet.is_chatter(line) for line in err)
