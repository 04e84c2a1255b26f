"""Neural style transfer (Gatys, Ecker and Bethge, 2016): paint a content picture in a style picture's manner.

VGG19 features describe both pictures: the activations of one deep layer carry the content,
the Gram matrices (channel correlations) of several layers carry the style. The picture
itself is the variable a Keras optimizer changes. Introduced in `notebooks/06_neural_style_transfer.ipynb`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gan_keras import images as _images
from gan_keras import validate

# Gatys et al.: the first convolution of every block for style, conv4_2 for content
# (keras-io uses block5_conv2, which keeps less of the layout).
DEFAULT_STYLE_LAYERS = {"block1_conv1": 1.0, "block2_conv1": 1.0, "block3_conv1": 1.0,
                        "block4_conv1": 1.0, "block5_conv1": 1.0}
DEFAULT_CONTENT_LAYER = "block4_conv2"

# VGG was trained on BGR pictures from which the ImageNet mean (in 0..255) was subtracted.
IMAGENET_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

# Adam's step on the picture, in pixel units of 0..255.
DEFAULT_LEARNING_RATE = 10.0


@dataclass
class StyleResult:
    """The stylised picture ``(H, W, 3)`` in ``[0, 1]``, the losses per step and what was used."""

    image: np.ndarray
    history: dict = field(default_factory=dict)
    weights: str = "random"
    style_layers: dict = field(default_factory=dict)
    content_layer: str = DEFAULT_CONTENT_LAYER
    loss_weights: object = None


def preprocess(image) -> np.ndarray:
    """Map an ``(H, W, 3)`` picture in ``[0, 1]`` to VGG19's input: ``(1, H, W, 3)`` BGR minus the mean."""
    import keras

    image = _images.check_image(image)
    return keras.applications.vgg19.preprocess_input(image[None] * 255.0).astype(np.float32)


def deprocess(x) -> np.ndarray:
    """Undo :func:`preprocess`: add the mean back, BGR -> RGB, scale to ``[0, 1]``."""
    x = np.asarray(x, dtype=np.float32)
    x = x[0] if x.ndim == 4 else x
    rgb = (x + IMAGENET_MEAN_BGR)[..., ::-1]
    return np.clip(rgb / 255.0, 0.0, 1.0)


def gram_matrix(features):
    """Return the Gram matrix ``F^T F / (H W)`` of features ``(H, W, C)``: a ``(C, C)`` matrix.

    Entry ``(i, j)`` is the average over positions of channel i times channel j: which
    features fire together, wherever they are. Introduced in
    `notebooks/06_neural_style_transfer.ipynb`.
    """
    from keras import ops

    features = ops.convert_to_tensor(features)
    if len(features.shape) != 3:
        raise ValueError("gram_matrix expects features of shape (height, width, channels), "
                         f"got {tuple(features.shape)}")
    channels = features.shape[-1]
    flat = ops.reshape(features, (-1, channels))  # (H*W, C)
    positions = ops.cast(ops.shape(flat)[0], flat.dtype)
    return ops.matmul(ops.transpose(flat), flat) / positions


def style_loss(style_features, generated_features):
    """Return Gatys' style loss of one layer: ``sum((G - A)^2) / (4 C^2)`` between Gram matrices.

    With Gram matrices averaged over the ``M = H W`` positions this is exactly Gatys'
    ``1 / (4 N^2 M^2) sum (G - A)^2`` on unaveraged ones (``N = C`` channels).
    Introduced in `notebooks/06_neural_style_transfer.ipynb`.
    """
    from keras import ops

    a = gram_matrix(style_features)
    g = gram_matrix(generated_features)
    channels = float(a.shape[-1])
    return ops.sum(ops.square(g - a)) / (4.0 * channels ** 2)


def content_loss(content_features, generated_features):
    """Return Gatys' content loss: ``1/2 sum (F - P)^2`` over one layer's features.

    Introduced in `notebooks/06_neural_style_transfer.ipynb`.
    """
    from keras import ops

    return 0.5 * ops.sum(ops.square(ops.convert_to_tensor(generated_features) - content_features))


def total_variation_loss(x):
    """Return the total variation ``sum((dx^2 + dy^2) ** 1.25)`` of a batch ``(N, H, W, C)``: small when smooth."""
    from keras import ops

    dy = ops.square(x[:, :-1, :-1, :] - x[:, 1:, :-1, :])
    dx = ops.square(x[:, :-1, :-1, :] - x[:, :-1, 1:, :])
    return ops.sum(ops.power(dx + dy + 1e-8, 1.25))


# The layers of keras.applications.VGG19 without its head (fixed by Keras), so that a layer
# name can be checked before the network is built.
VGG19_LAYERS = tuple(
    f"block{b}_{kind}" for b, convs in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4))
    for kind in [f"conv{i}" for i in range(1, convs + 1)] + ["pool"])


def check_layer_names(names, what: str = "layers") -> None:
    """``ValueError`` naming the layers that VGG19 does not have (before building it)."""
    unknown = [n for n in names if n not in VGG19_LAYERS]
    if unknown:
        convs = [n for n in VGG19_LAYERS if "conv" in n]
        raise ValueError(f"{what}: VGG19 has no layer named {', '.join(map(repr, unknown))}; its convolutions "
                         f"are {', '.join(convs)}")


def _check_style_layers(layers) -> dict:
    return _images.parse_layer_weights(layers, "style_layers")


def build_feature_extractor(style_layers=None, content_layer: str = DEFAULT_CONTENT_LAYER,
                            weights="imagenet", seed: int = 0, fallback: bool = True):
    """Return VGG19 cut to the style layers and the content layer (image -> dict of features).

    The model's ``weights_used`` says ``"imagenet"`` or ``"random"``.
    """
    import keras

    style_layers = _check_style_layers(DEFAULT_STYLE_LAYERS if style_layers is None else style_layers)
    base, used = _images.load_application("vgg19", weights=weights, seed=seed, fallback=fallback)
    names = [layer.name for layer in base.layers]
    unknown = [n for n in [*style_layers, content_layer] if n not in names]
    if unknown:
        convs = [n for n in names if "conv" in n]
        raise ValueError(f"VGG19 has no layer named {unknown}; its convolutions are {convs}")
    outputs = {name: base.get_layer(name).output for name in {*style_layers, content_layer}}
    model = keras.Model(base.input, outputs, name=f"vgg19_features_{used}")
    model.weights_used = used
    model.style_layers = style_layers
    model.content_layer = content_layer
    return model


@dataclass
class StyleWeights:
    """How much each term counts: ``content_weight * content + style_weight * style + tv_weight * tv``."""

    content_weight: float = 1.0
    style_weight: float = 1e4
    tv_weight: float = 10.0


# The balance depends on the size of the features. Keras' ImageNet VGG19 is not rescaled as
# Gatys' was, so its Gram matrices are much larger. The ImageNet ratios (style/content =
# tv/content = 20) are untested here (no weights offline) and are not keras-io's layer by layer
# (course/06_neural_style_transfer.md derives the ones that are). A random VGG19 with
# He-normal filters keeps activations near unit scale, close to Gatys' rescaled network, so
# Gatys' ratio (style/content = 1e3..1e4) applies; measured here on random networks only.
DEFAULT_WEIGHTS = {
    "imagenet": StyleWeights(content_weight=1.0, style_weight=20.0, tv_weight=20.0),
    "random": StyleWeights(content_weight=1.0, style_weight=1e4, tv_weight=10.0),
}


def default_weights(weights_used: str) -> StyleWeights:
    """Return the loss weights suited to a network's weights (``"imagenet"``, ``"random"`` or a file)."""
    return DEFAULT_WEIGHTS.get(weights_used, DEFAULT_WEIGHTS["imagenet"])


class StyleTransfer:
    """Hold the targets of one content and one style picture, and take optimisation steps."""

    def __init__(self, model, content_image, style_image, weights: StyleWeights | None = None):
        import keras

        self.model = model
        self.weights = weights or default_weights(model.weights_used)
        content = _images.check_image(content_image, "content image")
        style = _images.check_image(style_image, "style image")
        features = model(preprocess(content), training=False)
        self.content_target = features[model.content_layer][0]
        style_features = model(preprocess(style), training=False)
        self.style_targets = {name: style_features[name][0] for name in model.style_layers}
        # The picture is the variable; it starts from the content picture.
        self.image = keras.Variable(preprocess(content), name="stylised_image")
        self._step = self._optimizer = None

    def losses(self, x):
        """Return the total, content, style and total-variation losses of a preprocessed batch ``x``."""
        features = self.model(x, training=False)
        c_loss = content_loss(self.content_target, features[self.model.content_layer][0])
        s_loss = 0.0
        total_layer_weight = sum(self.model.style_layers.values())
        for name, weight in self.model.style_layers.items():
            s_loss = s_loss + weight / total_layer_weight * style_loss(self.style_targets[name], features[name][0])
        tv_loss = total_variation_loss(x)
        w = self.weights
        total = w.content_weight * c_loss + w.style_weight * s_loss + w.tv_weight * tv_loss
        return total, c_loss, s_loss, tv_loss

    def step(self, optimizer):
        """Take one optimiser step on the picture; return the losses before it as floats."""
        from keras import ops

        if self._step is None:
            # The losses and their gradient with respect to the picture, compiled once.
            from gan_keras import engine

            def total_and_terms(x):
                terms = tuple(self.losses(x))  # (total, content, style, total variation)
                return terms[0], terms

            # One compiled forward pass: the total's gradient, and the terms it is made of
            self._step = engine.gradient_function(total_and_terms, [self.model], has_aux=True)
        self._optimizer = optimizer
        (_, (total, c_loss, s_loss, tv_loss)), grads = self._step(ops.convert_to_tensor(self.image.value))
        optimizer.apply([grads], [self.image])
        # Keep pixels inside what deprocess can show (0..255 before the mean is taken off).
        self.image.assign(ops.clip(self.image.value, -IMAGENET_MEAN_BGR, 255.0 - IMAGENET_MEAN_BGR))
        return [float(v) for v in (total, c_loss, s_loss, tv_loss)]

    def result(self) -> np.ndarray:
        """Return the current picture ``(H, W, 3)`` in ``[0, 1]``."""
        from keras import ops

        return deprocess(ops.convert_to_numpy(self.image.value))


def transfer_style(content_image, style_image, model=None, steps: int = 100,
                   learning_rate: float = DEFAULT_LEARNING_RATE,
                   content_weight: float | None = None, style_weight: float | None = None,
                   tv_weight: float | None = None,
                   style_layers=None, content_layer: str = DEFAULT_CONTENT_LAYER, weights="imagenet",
                   optimizer=None, progress: bool | int = True, seed: int = 0) -> StyleResult:
    """Paint ``content_image`` in the style of ``style_image`` (both ``(H, W, 3)`` in ``[0, 1]``).

    The output has the content picture's size. The picture starts as the content picture
    and takes ``steps`` Adam steps (``learning_rate`` in pixel units of 0..255). Pass a
    ``model`` from :func:`build_feature_extractor`, or the layers and ``weights`` to build one.
    Loss weights left at ``None`` come from :func:`default_weights` for the network's weights.
    Introduced in `notebooks/06_neural_style_transfer.ipynb`.
    """
    import keras

    validate.positive_int(steps, "steps")
    if optimizer is None:
        validate.positive_number(learning_rate, "learning_rate")
    for name, value in (("content_weight", content_weight), ("style_weight", style_weight),
                        ("tv_weight", tv_weight)):
        if value is not None:
            validate.non_negative_number(value, name)
    content = _images.check_image(content_image, "content image")
    style = _images.check_image(style_image, "style image")
    if model is None:
        model = build_feature_extractor(style_layers, content_layer, weights=weights, seed=seed)
    elif style_layers is not None:
        raise ValueError("pass either a model or style_layers, not both (the model fixes its layers)")
    defaults = default_weights(model.weights_used)
    loss_weights = StyleWeights(
        defaults.content_weight if content_weight is None else float(content_weight),
        defaults.style_weight if style_weight is None else float(style_weight),
        defaults.tv_weight if tv_weight is None else float(tv_weight),
    )
    transfer = StyleTransfer(model, content, style, loss_weights)
    optimizer = optimizer or keras.optimizers.Adam(learning_rate=float(learning_rate))
    history = {"loss": [], "content_loss": [], "style_loss": [], "tv_loss": []}
    bar = keras.utils.Progbar(steps, verbose=int(progress) if progress else 0,
                              stateful_metrics=list(history))
    for i in range(steps):
        values = transfer.step(optimizer)
        for key, value in zip(history, values):
            history[key].append(value)
        bar.update(i + 1, list(zip(history, values)))
    return StyleResult(image=transfer.result(), history=history, weights=model.weights_used,
                       style_layers=dict(model.style_layers), content_layer=model.content_layer,
                       loss_weights=loss_weights)
