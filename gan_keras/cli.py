"""The command line: parse, pick a recipe, call the same functions a notebook calls.

    python -m gan_keras --help
    python -m gan_keras train gan --fast
"""

from __future__ import annotations

import argparse
import os
import sys

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, IsADirectoryError, PermissionError)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, not a usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _add_train(sub) -> None:
    from gan_keras import recipes

    names = recipes.available()
    p = sub.add_parser(
        "train", help="train a model and write its pictures into a run folder",
        description="Train a model; write per-epoch grids, a GIF, the history (JSON, CSV, plot) "
                    "and the generator as a .keras file into the run folder.",
    )
    p.add_argument("model", choices=names, metavar="MODEL", help=f"one of: {', '.join(names)}")
    p.add_argument("--data", default="mnist",
                   help="mnist, fashion_mnist, digits (offline stand-in) or a folder of images "
                        "(default: mnist, falling back to digits offline)")
    p.add_argument("--epochs", type=positive_int, help="number of epochs (default: the model's)")
    p.add_argument("--batch-size", type=positive_int, help="images per batch (default: the model's)")
    p.add_argument("--latent-dim", type=positive_int, help="size of the noise vector z")
    p.add_argument("--limit", type=positive_int, help="train on at most this many images")
    p.add_argument("--loss", help="GAN loss: non_saturating, minimax, least_squares, wasserstein, hinge")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    p.add_argument("--out", help="output folder (default: runs/MODEL-TIME)")
    p.add_argument("--fast", action="store_true", help="fast mode: small data and few epochs")
    p.add_argument("--offline", action="store_true", help="never try to download data")
    p.set_defaults(func=_run_train)


def _run_train(args) -> int:
    from gan_keras import recipes

    config = recipes.TrainConfig(
        model=args.model, data=args.data, epochs=args.epochs, batch_size=args.batch_size,
        latent_dim=args.latent_dim, seed=args.seed, out=args.out, loss=args.loss, limit=args.limit,
    )
    result = recipes.train(config)
    print(f"wrote {len(result.files)} files to {result.out_dir}/")
    for path in result.files:
        if str(path).endswith((".gif", ".keras", "grid.png", "history.png")):
            print(f"  {path}")
    if result.summary.get("stopped"):
        print(result.summary["stopped"], file=sys.stderr)
        return 1
    return 0


def _add_models(sub) -> None:
    p = sub.add_parser("models", help="list the models that `train` knows")
    p.set_defaults(func=_run_models)


def _run_models(args) -> int:
    from gan_keras import recipes

    for name in recipes.available():
        print(f"{name:10s} {recipes.get(name).DESCRIPTION}")
    return 0


def _add_notebooks(sub) -> None:
    p = sub.add_parser(
        "notebooks", help="write the solutions or the student version of the chapter notebooks",
        description="From each stored chapter notebook (the one source), write its solutions "
                    "version (every exercise stub replaced by the package's reference that its "
                    "check accepts) or its student version (the stored notebook, without outputs).",
    )
    p.add_argument("version", choices=["solutions", "student"], help="which version to write")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                   help="chapter notebooks (default: notebooks/*.ipynb)")
    p.add_argument("--out", help="output folder (default: build/solutions or build/student)")
    p.set_defaults(func=_run_notebooks)


def _run_notebooks(args) -> int:
    from pathlib import Path

    from gan_keras import notebook

    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    written = notebook.write_versions(paths, args.out or f"build/{args.version}", args.version)
    for path in written:
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every command."""
    parser = _Parser(
        prog="python -m gan_keras",
        description="gan_keras: train the course's models and write their pictures.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_train(sub)
    _add_models(sub)
    _add_notebooks(sub)
    return parser


def main(argv=None) -> int:
    """Run the command line; return the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "--fast" in argv:
        from gan_keras import config

        config.set_fast_mode(True)
    if "--offline" in argv:
        os.environ["GAN_KERAS_OFFLINE"] = "1"
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; files written so far are complete", file=sys.stderr)
        return 130
