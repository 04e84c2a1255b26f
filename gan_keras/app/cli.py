"""The command line: parse, pick a recipe, call the same functions a notebook calls.

    python -m gan_keras --help
    python -m gan_keras train gan --fast
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from gan_keras.app.arguments import (
    _Parser,
    above,
    at_least,
    content_layer,
    data_name,
    dataset_name,
    layer_weights,
    loss_name,
    non_negative_float,
    non_negative_int,
    notebook_file,
    output_folder,
    output_png,
    picture,
    positive_float,
    positive_int,
    run_folder_arg,
    style_layers,
    weights_arg,
)
from gan_keras.config import UnavailableError
from gan_keras.io import MACHINE_ERRNOS, MachineError

USER_ERRORS = (ValueError, TypeError, FileNotFoundError, IsADirectoryError, NotADirectoryError,
               FileExistsError, PermissionError)
MACHINE_ERRORS = (MachineError,)


def _add_train(sub) -> None:
    from gan_keras import recipes

    names = recipes.available()
    p = sub.add_parser(
        "train", help="train a model and write its pictures into a run folder",
        description="Train a model; write per-epoch grids, a GIF, the history (JSON, CSV, plot) "
                    "and the generator as a .keras file into the run folder.",
    )
    p.add_argument("model", choices=names, metavar="MODEL", help=f"one of: {', '.join(names)}")
    p.add_argument("--data", default=None, type=data_name,
                   help="mnist, fashion_mnist, digits (offline stand-in), a folder of images or of idx files "
                        "(default: mnist, falling back to digits offline)")
    p.add_argument("--epochs", type=positive_int, help="number of epochs (default: the model's)")
    p.add_argument("--batch-size", type=positive_int, help="images per batch (default: the model's)")
    p.add_argument("--latent-dim", type=positive_int, help="size of the noise vector z")
    p.add_argument("--limit", type=positive_int, help="train on at most this many images")
    p.add_argument("--loss", type=loss_name,
                   help="GAN loss: non_saturating, minimax, least_squares, wasserstein, hinge")
    p.add_argument("--seed", type=non_negative_int, default=None, help="random seed (default: 0)")
    p.add_argument("--out", type=output_folder, help="output folder (default: runs/MODEL-TIME); one that "
                   "holds a run is refused without --resume or --overwrite")
    p.add_argument("--fast", action="store_true", help="fast mode: small data and few epochs")
    p.add_argument("--offline", action="store_true", help="never try to download data")
    p.add_argument("--precision", choices=["float32", "mixed_float16", "mixed_bfloat16"], default=None,
                   help="compute dtype (float32 variables either way): float32 (default), mixed_float16 "
                        "(loss scaling for both optimizers; helps on recent GPUs, very slow on a CPU) or "
                        "mixed_bfloat16 (no loss scaling; faster on CPUs with AMX/AVX-512 BF16 and on "
                        "A100/H100-class GPUs)")
    p.add_argument("--mixed-precision", action="store_true",
                   help="the same as --precision mixed_float16")
    p.add_argument("--jit", action="store_true",
                   help="compile the training step with XLA (default: Keras' auto, off on a CPU)")
    p.add_argument("--strategy", choices=["default", "mirrored"], default="default",
                   help="mirrored: train on every GPU of this machine (tf.distribute.MirroredStrategy on TensorFlow, "
                        "keras.distribution.DataParallel on JAX); "
                        "--batch-size is then the global batch, split across them")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out from its last checkpoint (optimizers, epoch, "
                        "seeds and sample vectors restored); the settings not given are the "
                        "checkpoint's, and only --epochs and --jit may differ from them")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run in --out: its files are removed before this run starts")
    p.set_defaults(func=_run_train)


def _run_train(args) -> int:
    from gan_keras import recipes

    if args.resume and not args.out:
        raise ValueError("--resume needs --out FOLDER: the run folder to continue")
    if not args.out:  # named here, so that an interruption can say how to resume
        from gan_keras.recipes import run_folder

        args.out = str(run_folder.default_out(args.model))
    if args.resume and args.overwrite:
        raise ValueError("--resume continues the run in --out and --overwrite replaces it: give one of them")
    # Not given (None): the recipe's default, or with --resume the checkpoint's setting.
    config = recipes.TrainConfig(
        model=args.model, data=args.data, epochs=args.epochs, batch_size=args.batch_size,
        latent_dim=args.latent_dim, seed=args.seed, out=args.out, loss=args.loss, limit=args.limit,
        mixed_precision=args.mixed_precision, precision=args.precision, jit=True if args.jit else None,
        resume=args.resume,
        overwrite=args.overwrite, strategy=args.strategy,
    )
    try:
        result = recipes.train(config)
    except recipes.RunFinished as done:
        print(f"python -m gan_keras: {done}", file=sys.stderr)
        return 0
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


def _add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="measure a trained generator (Frechet, KID, score, precision/recall, Parzen)",
        description="Load RUN_FOLDER/generator.keras (safe mode), sample it, print every metric "
                    "against held-out real images and write them to RUN_FOLDER/evaluation.json.",
    )
    p.add_argument("run_folder", metavar="RUN_FOLDER", type=run_folder_arg, help="a folder written by `train`")
    p.add_argument("--data", type=dataset_name, help="real images to compare with (default: the run's data)")
    p.add_argument("--num-samples", type=at_least(4, "the metrics compare 3 nearest neighbours"),
                   help="generated samples (default: 500 fast, 5000 full)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default: 0)")
    p.add_argument("--fast", action="store_true", help="fast mode: fewer samples, faster classifier")
    p.add_argument("--offline", action="store_true", help="never try to download data")
    p.add_argument("--features", choices=["classifier", "inception"], default="classifier",
                   help="classifier: every metric in the digit classifier's features (default); "
                        "inception: the standard FID and KID in Inception-v3 pool features (2048-d, "
                        "299x299), comparable with papers with ImageNet weights and 10 000+ samples "
                        "(default samples then: 10 000; fast: 128)")
    p.add_argument("--weights", choices=["imagenet", "none"],
                   help="Inception-v3 weights for --features inception: imagenet (default; downloaded "
                        "once, about 88 MB) or none (a random network, offline; not comparable with papers)")
    p.set_defaults(func=_run_evaluate)


def _run_evaluate_inception(args) -> int:
    from gan_keras.measure import evaluation

    result = evaluation.evaluate_run(args.run_folder, data_name=args.data, num_samples=args.num_samples,
                                     seed=args.seed, features="inception", weights=args.weights or "imagenet")
    print(f"FID (Inception-v3 pool features, {result['feature_size']}-d): {result['frechet_distance']:.2f}")
    print(f"KID (Inception-v3 pool features, {result['feature_size']}-d): {result['kernel_distance']:.4f} "
          f"± {result['kernel_distance_std']:.4f}")
    print(f"({result['num_samples']} samples against {result['num_real']} test images of {result['data']}; "
          f"Inception-v3 weights: {result['weights']})")
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {args.run_folder.rstrip('/')}/{evaluation.EVALUATION_FILES['inception']}")
    return 0


def _run_evaluate(args) -> int:
    from gan_keras.measure import evaluation

    if args.features == "inception":
        return _run_evaluate_inception(args)
    if args.weights is not None:
        raise ValueError("--weights applies to --features inception (the classifier is the course's own)")
    result = evaluation.evaluate_run(args.run_folder, data_name=args.data, num_samples=args.num_samples,
                                     seed=args.seed)
    name = result.get("model") or "generator"
    print(evaluation.format_table({name: result}))
    print(f"({result['num_samples']} samples against {result['num_test_images']} test images of "
          f"{result['data']}; classifier test accuracy {result['classifier_test_accuracy']:.3f})")
    print(f"wrote {args.run_folder.rstrip('/')}/{evaluation.EVALUATION_FILE}")
    return 0


def _add_doctor(sub) -> None:
    p = sub.add_parser(
        "doctor", help="say what this machine gives the course (versions, GPU, network, caches)",
        description="Print the Python and Keras versions, the Keras backend and its framework's version "
                    "(TensorFlow, JAX or PyTorch), the devices, online or offline (and why), the cache folders "
                    "with the datasets and ImageNet weights found in them, and the fast-mode setting; one line of "
                    "advice per problem. Always exits 0.",
    )
    p.add_argument("--short", action="store_true", help="the setup cell's summary only")
    p.add_argument("--offline", action="store_true", help="do not probe the network")
    p.set_defaults(func=_run_doctor)


def _run_doctor(args) -> int:
    from gan_keras.app import doctor

    if args.short:
        print(doctor.short_report())
        return 0
    return doctor.run()


def _add_notebooks(sub) -> None:
    p = sub.add_parser(
        "notebooks", help="write the solutions, the student version or the HTML course of the chapter notebooks",
        description="From each stored chapter notebook (the one source), write its solutions "
                    "version (every exercise stub replaced by the package's reference that its "
                    "check accepts), its student version (the stored notebook, without outputs), "
                    "or its HTML page: `notebooks html` runs every chapter top to bottom and writes "
                    "build/html/NN_name.html with its outputs and figures, plus build/html/index.html.",
    )
    p.add_argument("version", choices=["solutions", "student", "html"], help="which version to write")
    p.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", type=notebook_file,
                   help="chapter notebooks (default: notebooks/*.ipynb)")
    p.add_argument("--out", type=output_folder,
                   help="output folder (default: build/solutions, build/student or build/html)")
    p.add_argument("--fast", action="store_true",
                   help="html: run the chapters in fast mode (tiny data, few epochs; about a minute each)")
    p.add_argument("--offline", action="store_true",
                   help="html: never try downloads (offline data and random weights)")
    p.set_defaults(func=_run_notebooks)


def _run_notebooks(args) -> int:
    import sys

    if args.version != "html" and (args.fast or args.offline):
        raise ValueError(f"--fast and --offline are options of `notebooks html`, not of `notebooks {args.version}`")
    paths = args.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    out = Path(args.out or f"build/{args.version}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out must be a folder, but {out} is a file")
    if not paths:
        raise FileNotFoundError("no notebooks/*.ipynb here: run this in the course repository, or name the notebooks")
    if args.version == "html":
        from gan_keras.app import course_html

        pages = course_html.build_html(paths, out, fast=args.fast, offline=True if args.offline else None)
        failed = [p for p in pages if p.errors]
        for page in failed:
            print(f"{page.notebook.stem}: {'; '.join(page.errors)}", file=sys.stderr)
        return 1 if failed else 0

    from gan_keras.app import notebook

    written = notebook.write_versions(paths, out, args.version)
    for path in written:
        print(f"wrote {path}")
    return 0


def _add_pretrained_options(p, steps: str, size: str, min_size: int, why: str) -> None:
    p.add_argument("--out", required=True, type=output_png, help="the PNG file to write (a name ending in .png)")
    p.add_argument("--steps", type=positive_int, help=steps)
    p.add_argument("--size", type=at_least(min_size, why), help=size)
    p.add_argument("--weights", default="imagenet", type=weights_arg,
                   help="imagenet (downloaded once into ~/.keras/models), none (a random network) "
                        "or a weights file (default: imagenet, random when offline)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of a random network (default: 0)")
    p.add_argument("--fast", action="store_true", help="fast mode: a small picture and few steps")
    p.add_argument("--offline", action="store_true", help="never try to download weights or pictures")


_PICTURE_HELP = ("a path, an http(s) URL or a sample that needs no download: "
                 "grace_hopper, china, flower, waves, mosaic")


def _add_dream(sub) -> None:
    from gan_keras import dream

    p = sub.add_parser(
        "dream", help="DeepDream a picture with InceptionV3",
        description="Change a picture by gradient ascent so that chosen InceptionV3 layers fire "
                    "harder, over several octaves, and write it as a PNG.",
    )
    p.add_argument("image", metavar="IMAGE", type=picture, help=_PICTURE_HELP)
    _add_pretrained_options(p, "gradient-ascent steps per octave (default: 20; fast: 5)",
                            "longer side of the picture in pixels (default: 400; fast: 150)",
                            dream.MIN_SIZE, "InceptionV3 needs pictures of at least that many pixels")
    default_layers = ",".join(f"{k}={v:g}" for k, v in dream.DEFAULT_LAYERS.items())
    p.add_argument("--layers", type=layer_weights,
                   help=f"layers and their weights, name=weight,... (default: {default_layers})")
    p.add_argument("--octaves", type=positive_int, help="number of scales (default: 3; fast: 2)")
    p.add_argument("--octave-scale", type=above(1.0, "each octave is that much smaller"), default=1.4,
                   help="size ratio between octaves (default: 1.4)")
    p.add_argument("--step-size", type=positive_float, default=0.01, help="gradient-ascent step (default: 0.01)")
    p.add_argument("--max-loss", type=non_negative_float, default=15.0,
                   help="stop an octave once its loss exceeds this (default: 15; 0 for never)")
    p.set_defaults(func=_run_dream)


def _run_dream(args) -> int:
    from gan_keras import config, dream, images

    image = images.load_image(args.image, max_size=args.size or config.fast_or_full(150, 400))
    model = dream.build_dream_model(args.layers, weights=args.weights, seed=args.seed)
    print(f"DeepDream on a {image.shape[0]}x{image.shape[1]} picture, InceptionV3 weights: "
          f"{model.weights_used}, layers: {', '.join(f'{k}={v:g}' for k, v in model.layer_weights.items())}")
    result = dream.deep_dream(
        image, model, steps=args.steps or config.fast_or_full(5, 20),
        num_octaves=args.octaves or config.fast_or_full(2, 3), octave_scale=args.octave_scale,
        step_size=args.step_size, max_loss=args.max_loss or None, progress=1,
    )
    path = images.save_image(result.image, args.out)
    print(f"wrote {path}")
    return 0


def _add_style(sub) -> None:
    from gan_keras import style

    p = sub.add_parser(
        "style", help="paint a content picture in the style of another (Gatys et al.)",
        description="Neural style transfer with VGG19: optimise the picture so that its deep "
                    "features match CONTENT and its Gram matrices match STYLE; write it as a PNG "
                    "of the content picture's size.",
    )
    p.add_argument("content", metavar="CONTENT", type=picture, help=f"the content picture: {_PICTURE_HELP}")
    p.add_argument("style", metavar="STYLE", type=picture, help="the style picture (same forms as CONTENT)")
    _add_pretrained_options(p, "optimisation steps (default: 200; fast: 20)",
                            "longer side of the content picture in pixels (default: 400; fast: 128)",
                            32, "VGG19 halves the picture four times before its last block")
    default_layers = ",".join(style.DEFAULT_STYLE_LAYERS)
    p.add_argument("--layers", type=style_layers,
                   help=f"style layers and weights, name=weight,... (default: {default_layers})")
    p.add_argument("--content-layer", default=style.DEFAULT_CONTENT_LAYER, type=content_layer,
                   help=f"the content layer (default: {style.DEFAULT_CONTENT_LAYER})")
    net, rnd = style.DEFAULT_WEIGHTS["imagenet"], style.DEFAULT_WEIGHTS["random"]
    p.add_argument("--content-weight", type=non_negative_float,
                   help=f"weight of the content loss (default: {net.content_weight:g}; "
                        f"random network: {rnd.content_weight:g})")
    p.add_argument("--style-weight", type=non_negative_float,
                   help=f"weight of the style loss (default: {net.style_weight:g}; "
                        f"random network: {rnd.style_weight:g})")
    p.add_argument("--tv-weight", type=non_negative_float,
                   help=f"weight of the total variation loss (default: {net.tv_weight:g}; "
                        f"random network: {rnd.tv_weight:g})")
    p.add_argument("--learning-rate", type=positive_float, default=style.DEFAULT_LEARNING_RATE,
                   help=f"Adam's step in pixel units of 0..255 (default: {style.DEFAULT_LEARNING_RATE:g})")
    p.set_defaults(func=_run_style)


def _run_style(args) -> int:
    from gan_keras import config, images, style

    content = images.load_image(args.content, max_size=args.size or config.fast_or_full(128, 400))
    style_image = images.load_image(args.style, max_size=max(content.shape[:2]))
    model = style.build_feature_extractor(args.layers, args.content_layer, weights=args.weights, seed=args.seed)
    print(f"style transfer on a {content.shape[0]}x{content.shape[1]} picture, VGG19 weights: "
          f"{model.weights_used}, content layer: {model.content_layer}, style layers: "
          f"{', '.join(model.style_layers)}")
    result = style.transfer_style(
        content, style_image, model, steps=args.steps or config.fast_or_full(20, 200),
        learning_rate=args.learning_rate, content_weight=args.content_weight,
        style_weight=args.style_weight, tv_weight=args.tv_weight, progress=1,
    )
    path = images.save_image(result.image, args.out)
    print(f"wrote {path}")
    return 0


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


def _interrupted_note(args) -> str:
    """What an interrupted command leaves, and for ``train`` the command that resumes it."""
    out = getattr(args, "out", None)
    if getattr(args, "command", None) == "train" and out:
        from gan_keras.recipes import run_folder

        info = None
        try:
            info = run_folder.read_run_info(out)
        except ValueError:
            pass
        done = run_folder.checkpoint_epoch(out)
        kept = f"the checkpoint holds epoch {done}" if done is not None else "no epoch was complete yet"
        command = (info or {}).get("resume_command")
        if command:
            return f"{kept}; resume with: {command}"
        return f"{kept}; files written so far are complete"
    return "files written so far are complete"


def build_parser() -> argparse.ArgumentParser:
    """Return the parser with every command."""
    parser = _Parser(
        prog="python -m gan_keras",
        description="gan_keras: train the course's models and write their pictures.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_train(sub)
    _add_models(sub)
    _add_dream(sub)
    _add_style(sub)
    _add_evaluate(sub)
    _add_notebooks(sub)
    _add_doctor(sub)
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
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a bad option (one line already printed)
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except UnavailableError as exc:  # data or weights that cannot be had here
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 1
    except MACHINE_ERRORS as exc:  # a full disk, a read-only folder: the machine, not the user
        print(f"{parser.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except OSError as exc:  # the same from another command (dream, style, evaluate, notebooks)
        if exc.errno not in MACHINE_ERRNOS:
            raise
        print(f"{parser.prog}: error: could not write {exc.filename or 'a file'}: {exc.strerror}; "
              "nothing half-written was left (every file is written to a temporary name, then renamed)",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted; {_interrupted_note(args)}", file=sys.stderr)
        return 130
