"""Exercise checks of chapter 01 (GAN basics)."""

from __future__ import annotations

import numpy as np

from gan_keras import theory
from gan_keras.checks._core import call, close, exercise, explain, scalar, to_numpy


@exercise("1.1", "the optimal discriminator D*", reference="gan_keras.theory:optimal_discriminator")
def check_optimal_discriminator(fn):
    """Check ``fn(p_data, p_g)`` returns ``D*(x) = p_data / (p_data + p_g)`` elementwise."""
    p_data = np.array([0.40, 0.10, 0.25, 0.05, 0.30])
    p_g = np.array([0.10, 0.40, 0.25, 0.30, 0.05])
    expected = theory.optimal_discriminator(p_data, p_g)
    got = to_numpy(call(fn, p_data.copy(), p_g.copy()))
    explain(got.shape == expected.shape,
            f"D* is computed point by point: for {len(p_data)} densities expected {len(p_data)} "
            f"values, got shape {got.shape}. Don't sum or average over x.")
    if close(got, 1.0 - expected):
        explain(False, "you returned p_g / (p_data + p_g): that is the probability of 'fake'. "
                       "D(x) is the probability that x is real, so p_data goes on top.")
    if close(got, p_data / p_g):
        explain(False, "you returned p_data / p_g; the denominator is p_data + p_g, the total "
                       "density of x under the mix of real and generated samples.")
    explain(np.all((got >= 0) & (got <= 1)),
            f"D*(x) is a probability and must lie in [0, 1], got values {np.round(got, 3)}")
    explain(close(got, expected),
            f"for p_data={p_data.tolist()} and p_g={p_g.tolist()} expected "
            f"{np.round(expected, 4).tolist()}, got {np.round(got, 4).tolist()}. "
            "Maximise a*log(y) + b*log(1-y) over y: the answer is y = a / (a + b).")
    # Where the two densities agree, the best discriminator can only guess.
    explain(close(got[2], 0.5), "where p_data = p_g the optimal discriminator must answer 1/2")


# ---------------------------------------------------------------------------------------
# 1.2 One backward pass of the NumPy GAN's discriminator
# ---------------------------------------------------------------------------------------

def _small_discriminator():
    """Return fixed weights ``6 -> 4 -> 1`` and batches of 3 real and 5 fake, chosen so that some ReLUs are off."""
    rng = np.random.default_rng(7)
    params = {"w1": rng.normal(0.0, 0.8, (6, 4)), "b1": np.array([0.1, -0.2, 0.0, 0.3]),
              "w2": rng.normal(0.0, 0.8, (4, 1)), "b2": np.array([0.05])}
    real = rng.uniform(0.0, 1.0, (3, 6))
    fake = rng.uniform(0.0, 1.0, (5, 6))  # another batch size: a mean over the wrong batch shows
    return params, real, fake


def _variant_gradients(params, real, fake, real_label=1.0, fake_label=0.0, relu_mask=True,
                       mean=True, use_real=True, use_fake=True, divide_by=None):
    """Return the discriminator's gradients computed with one deliberate change (for diagnoses)."""
    from gan_keras import numpy_gan

    total = {k: np.zeros_like(v) for k, v in params.items()}
    for x, label, used in ((real, real_label, use_real), (fake, fake_label, use_fake)):
        if not used:
            continue
        logits, cache = numpy_gan.mlp_forward(params, x)
        size = divide_by or (len(x) if mean else 1.0)
        grad_logits = (numpy_gan.sigmoid(logits) - label) / size
        if not relu_mask:
            cache = dict(cache, pre=np.ones_like(cache["pre"]))
        grads, _ = numpy_gan.mlp_backward(params, cache, grad_logits)
        for k in total:
            total[k] += grads[k]
    return total


def _all_close(got: dict, expected: dict, rtol=1e-4, atol=1e-7) -> bool:
    return all(close(got[k], expected[k], rtol=rtol, atol=atol) for k in expected)


@exercise("1.2", "the discriminator's backward pass in NumPy",
          reference="gan_keras.numpy_gan:discriminator_gradients")
def check_discriminator_backward(fn):
    """Check ``fn(d_params, real_images, fake_images)`` returns ``(d_loss, grads)`` of the D loss.

    ``grads`` is a dict with the keys of ``d_params`` (``w1, b1, w2, b2``); the loss is
    ``mean softplus(-l_real) + mean softplus(l_fake)`` (a dict alone is accepted too).
    """
    from gan_keras import numpy_gan

    params, real, fake = _small_discriminator()
    copy = {k: v.copy() for k, v in params.items()}
    result = call(fn, copy, real.copy(), fake.copy())
    explain(all(np.array_equal(copy[k], params[k]) for k in params),
            "your function changed the weights it was given: a backward pass only computes "
            "gradients; the optimiser applies them afterwards.")
    exp_loss, expected = numpy_gan.discriminator_gradients(params, real, fake)
    if isinstance(result, dict):
        got_loss, grads = None, result
    else:
        explain(isinstance(result, (tuple, list)) and len(result) == 2 and isinstance(result[1], dict),
                f"return (d_loss, grads) with grads a dict of {sorted(params)}, got "
                f"{type(result).__name__}")
        got_loss, grads = result
    missing = [k for k in params if k not in grads]
    explain(not missing, f"grads needs one entry per weight: {sorted(params)}; missing {missing}")
    grads = {k: to_numpy(grads[k], f"grads[{k!r}]") for k in params}
    for k in params:
        explain(grads[k].shape == params[k].shape,
                f"grads[{k!r}] must have the shape of the weight it belongs to, {params[k].shape}, "
                f"got {grads[k].shape}. For w = (inputs, units), dL/dw = inputs^T @ dL/d(outputs).")
    diagnoses = [
        (lambda g: _all_close(g, {k: -v for k, v in expected.items()}),
         "the sign is flipped: at a logit l with label y the gradient of the cross-entropy is "
         "D - y = sigmoid(l) - y, not y - D. You computed the direction that increases the loss."),
        (lambda g: _all_close(g, _variant_gradients(params, real, fake, 0.0, 1.0)),
         "the labels are swapped: real images take the label 1 and generated images the label 0."),
        (lambda g: _all_close(g, _variant_gradients(params, real, fake, mean=False)),
         "you summed over the batch: the loss is a mean, so each example's gradient at the logit "
         "is divided by batch_size."),
        (lambda g: _all_close(g, _variant_gradients(params, real, fake, divide_by=len(real) + len(fake))),
         "you divided by the number of all images together; the loss is the mean over the real "
         "batch plus the mean over the fake batch, so each batch's gradient at the logit is "
         "divided by its own batch size."),
        (lambda g: _all_close(g, _variant_gradients(params, real, fake, relu_mask=False)),
         "the ReLU is missing in the backward pass: the gradient flows back only through units "
         "whose pre-activation was positive (multiply by (pre > 0))."),
        (lambda g: _all_close(g, _variant_gradients(params, real, fake, use_fake=False))
         or _all_close(g, _variant_gradients(params, real, fake, use_real=False)),
         "only one batch was used: run the backward pass on the real batch (label 1) and on the "
         "fake batch (label 0) and add the two gradients."),
    ]
    if not _all_close(grads, expected):
        for matches, message in diagnoses:
            if matches(grads):
                explain(False, message)
        wrong = [k for k in params if not close(grads[k], expected[k], rtol=1e-4, atol=1e-7)]
        explain(False, f"the gradients of {wrong} differ from the reference (largest difference "
                       f"{max(np.max(np.abs(grads[k] - expected[k])) for k in wrong):.3g}). Go backwards "
                       "from the logit: dL/dl = (D - y)/N, then w2 and b2, then through the ReLU to w1, b1.")
    if got_loss is not None:
        loss = scalar(got_loss, "d_loss")
        explain(close(loss, exp_loss),
                f"the gradients are right but d_loss should be {exp_loss:.5f} "
                f"(mean softplus(-l_real) + mean softplus(l_fake)), got {loss:.5f}.")


# ---------------------------------------------------------------------------------------
# 1.3 The Jensen-Shannon divergence
# ---------------------------------------------------------------------------------------

@exercise("1.3", "the Jensen-Shannon divergence", reference="gan_keras.theory:js_divergence")
def check_js_divergence(fn):
    """Check ``fn(p, q, dx)`` returns ``JSD(p || q)`` of two densities on a grid (natural log)."""
    x, dx = theory.make_grid(-6.0, 10.0, 801)
    p = np.exp(-0.5 * ((x - 0.0) / 1.0) ** 2) / np.sqrt(2 * np.pi)
    q = np.exp(-0.5 * ((x - 2.0) / 1.5) ** 2) / (1.5 * np.sqrt(2 * np.pi))
    expected = theory.js_divergence(p, q, dx)
    got = scalar(call(fn, p.copy(), q.copy(), dx), "the divergence")
    explain(np.isfinite(got), f"got {got}: the JSD is always finite, because m = (p + q)/2 is "
                              "positive wherever p or q is. Did you compute KL(p || q) instead?")
    m = 0.5 * (p + q)
    kl_pq = theory.kl_divergence(p, q, dx)
    if close(got, kl_pq, rtol=1e-3) or close(got, theory.kl_divergence(q, p, dx), rtol=1e-3):
        explain(False, "this is a KL divergence between p and q; the JSD compares each with their "
                       "mixture m = (p + q)/2: JSD = KL(p || m)/2 + KL(q || m)/2.")
    if close(got, 2 * expected, rtol=1e-3):
        explain(False, "you left out the factor 1/2: JSD = KL(p || m)/2 + KL(q || m)/2 (the paper's "
                       "C(G) = -log 4 + 2 JSD has the 2 outside).")
    if close(got, expected / np.log(2), rtol=1e-3):
        explain(False, "you used log base 2; the course (and the paper's -log 4) uses natural logs.")
    if close(got, expected / dx, rtol=1e-3):
        explain(False, "you summed without multiplying by dx: an integral on a grid is sum(f) * dx.")
    if (close(got, 0.5 * theory.kl_divergence(p, m, dx), rtol=1e-3)
            or close(got, 0.5 * theory.kl_divergence(q, m, dx), rtol=1e-3)):
        explain(False, "only one of the two terms: the JSD is symmetric, KL(p || m)/2 + KL(q || m)/2.")
    explain(close(got, expected, rtol=1e-3),
            f"expected JSD = {expected:.5f}, got {got:.5f}. With m = (p + q)/2, "
            "JSD = 1/2 * sum(p log(p/m)) dx + 1/2 * sum(q log(q/m)) dx.")
    # A coarser grid: dx is an argument, not a constant to hard-code.
    x2, dx2 = theory.make_grid(-5.0, 9.0, 351)
    p2 = np.exp(-0.5 * ((x2 - 1.0) / 0.7) ** 2) / (0.7 * np.sqrt(2 * np.pi))
    q2 = np.exp(-0.5 * ((x2 - 2.5) / 1.2) ** 2) / (1.2 * np.sqrt(2 * np.pi))
    got2 = scalar(call(fn, p2.copy(), q2.copy(), dx2), "the divergence")
    explain(close(got2, theory.js_divergence(p2, q2, dx2), rtol=1e-3),
            f"on a second grid (dx = {dx2:.4f}) expected JSD = {theory.js_divergence(p2, q2, dx2):.5f}, "
            f"got {got2:.5f}: use the dx argument (an integral on a grid is sum(f) * dx).")
    # Identical densities are at divergence 0.
    same = scalar(call(fn, p.copy(), p.copy(), dx), "the divergence of p with itself")
    explain(abs(same) < 1e-6, f"JSD(p || p) must be 0, got {same:.3g}")
