"""The command line's option types: each parses one option and refuses a bad value in one line.

Every option of ``python -m gan_keras`` takes its ``type=`` from here, so a bad value is refused
by the parser, naming the option, before any work starts. Each type converts the text (else
"expected WHAT") and checks it with a helper of :mod:`gan_keras.validate` (its message, said of
the option). ``tests/test_cli_errors.py`` generates its bad values from these types.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gan_keras import validate


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, not a usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _argument_type(convert, check, what: str, name: str):
    """Return an argparse ``type``: ``convert`` the text (else "expected WHAT"), then ``check``
    it with a helper of :mod:`gan_keras.validate` (its message, said of the option)."""

    def parse(text: str):
        try:
            value = convert(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        try:
            result = check(value, "VALUE")
        except (TypeError, ValueError, OSError) as exc:
            message = str(exc).replace("VALUE must be", "expected", 1).replace("VALUE ", "", 1)
            raise argparse.ArgumentTypeError(message) from None
        return value if result is None else result

    parse.__name__ = name
    return parse


def _text(text: str) -> str:
    return text


positive_int = _argument_type(int, validate.positive_int, "a positive integer", "positive_int")
non_negative_int = _argument_type(int, validate.non_negative_int, "an integer >= 0", "non_negative_int")
positive_float = _argument_type(float, validate.positive_number, "a positive number", "positive_float")
non_negative_float = _argument_type(float, validate.non_negative_number, "a number >= 0", "non_negative_float")
output_folder = _argument_type(_text, lambda v, n: str(validate.output_folder(v, n)) and v, "a folder",
                               "output_folder")
output_png = _argument_type(_text, lambda v, n: str(validate.output_file(v, n, suffixes=(".png",))) and v,
                            "a .png file name", "output_png")


def at_least(minimum: int, why: str):
    """An integer option with a lower bound a model needs (``why`` says which)."""
    def check(value, name):
        validate.integer(value, name)
        if value < minimum:
            raise ValueError(f"{name} must be an integer >= {minimum} ({why}), got {value}")
    return _argument_type(int, check, f"an integer >= {minimum}", f"int_at_least_{minimum}")


def above(minimum: float, why: str):
    """A finite number strictly above ``minimum`` (``why`` says why)."""
    def check(value, name):
        validate.number(value, name)
        if not value > minimum:
            raise ValueError(f"{name} must be a number > {minimum:g} ({why}), got {value:g}")
    return _argument_type(float, check, f"a number > {minimum:g}", f"float_above_{minimum:g}")


def _loss_name(value, name):
    from gan_keras import losses

    losses.get_loss_pair(value)  # "unknown loss 'x': expected one of ..."


def _data_name(value, name):
    """A dataset name (the recipe checks which), or a folder of images or of MNIST-style idx files that exists."""
    looks_like_path = os.sep in value or "/" in value or os.path.exists(value) or value in (".", "..")
    if looks_like_path:
        from gan_keras import data

        folder = validate.input_folder(value, "folder")
        if data.is_idx_folder(folder):  # MNIST-style idx files (train-images-idx3-ubyte[.gz], ...)
            return value
        suffixes = (".png", ".jpg", ".jpeg", ".bmp", ".gif")  # gan_keras.data.IMAGE_SUFFIXES
        if not any(p.suffix.lower() in suffixes for p in folder.rglob("*")):
            raise ValueError(f"folder {value!r} holds no images (looked for {', '.join(suffixes)}) "
                             "and no idx files (train-images-idx3-ubyte[.gz], ...)")
        return value
    if not value:
        raise ValueError("expected a dataset name or a folder, got an empty string")
    return value


def _dataset(value, name):
    from gan_keras import data

    validate.choice(value, "dataset", data.DATASETS)


def _weights(value, name):
    if value.lower() in ("imagenet", "none", "random"):
        return value
    from gan_keras import images

    images.check_weights_file(value)
    return value


def _picture(value, name):
    """A sample name, an http(s) address, or a picture file that opens."""
    from gan_keras import images

    if value in images.SAMPLES or images._is_url(value):
        return value
    path = Path(value).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"no image at {value!r} (looked in {path.resolve().parent}); pass an existing "
                                f"file, an http(s) URL or a sample name: {', '.join(images.SAMPLES)}")
    path = validate.input_file(path, "picture")
    images._decode(path.read_bytes(), repr(value))  # "... is not an image that Pillow can read"
    return value


def _run_folder(value, name):
    """A folder written by ``train``: it exists, holds generator.keras, and its run.json reads."""
    from gan_keras import io

    folder = validate.input_folder(value, "run folder")
    if not (folder / "generator.keras").is_file():
        raise FileNotFoundError(f"{value!r} holds no generator.keras: is it a finished run folder "
                                "(python -m gan_keras train MODEL --out FOLDER)?")
    if (folder / "run.json").exists():
        info = io.read_json(folder / "run.json")
        if not isinstance(info, dict):
            raise ValueError(f"cannot read {str(folder / 'run.json')!r}: expected the JSON object train writes")
    return value


def _notebook(value, name):
    from gan_keras import io

    if not Path(value).exists():
        raise FileNotFoundError(f"no notebook at {value!r}")
    io.read_json(validate.input_file(value, "notebook", suffixes=(".ipynb",)))
    return value


def _layers(value, name):
    from gan_keras import images

    images.parse_layer_weights(value)
    return value


def _style_layers(value, name):
    from gan_keras import style

    style.check_layer_names(style._check_style_layers(value), "style layers")
    return value


def _content_layer(value, name):
    from gan_keras import style

    style.check_layer_names([value], "content layer")
    return value


loss_name = _argument_type(_text, _loss_name, "a loss name", "loss_name")
data_name = _argument_type(_text, _data_name, "a dataset name or a folder", "data_name")
dataset_name = _argument_type(_text, _dataset, "a dataset name", "dataset_name")
weights_arg = _argument_type(_text, _weights, "imagenet, none or a weights file", "weights_arg")
picture = _argument_type(_text, _picture, "a picture", "picture")
run_folder_arg = _argument_type(_text, _run_folder, "a run folder", "run_folder_arg")
notebook_file = _argument_type(_text, _notebook, "a notebook file", "notebook_file")
layer_weights = _argument_type(_text, _layers, "name=weight,...", "layer_weights")
style_layers = _argument_type(_text, _style_layers, "name=weight,...", "style_layers")
content_layer = _argument_type(_text, _content_layer, "a VGG19 layer name", "content_layer")
