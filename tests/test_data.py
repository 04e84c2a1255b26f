import numpy as np
import pytest

from gan_keras import data, validate
from gan_keras.data import batches, toys


def test_digits_standin_looks_like_mnist():
    train = data.load_images("digits")
    test = data.load_images("digits", split="test")
    assert train.images.shape[1:] == (28, 28, 1) and train.images.dtype == np.float32
    assert len(train) + len(test) == 1797
    assert train.images.min() >= -1.0 and train.images.max() <= 1.0
    # Dark background like MNIST: the border is at -1, the strokes near +1.
    assert np.all(train.images[:, :3, :, :] == -1.0)
    assert train.images.max() > 0.9
    assert set(np.unique(train.labels)) == set(range(10))
    assert set(np.unique(test.labels)) == set(range(10))


def test_mnist_offline_falls_back_with_one_line(capsys):
    got = data.load_images("mnist", offline=True, limit=50)
    err = capsys.readouterr().err.strip().splitlines()
    assert got.name == "digits" and len(got) == 50
    assert len(err) == 1 and "stand-in" in err[0] and "offline" in err[0]


def test_fashion_offline_says_what_to_do():
    with pytest.raises(data.DataUnavailableError, match="--data digits"):
        data.load_images("fashion_mnist", offline=True)


def test_limit_is_a_fixed_subset():
    a = data.load_images("digits", limit=100, seed=3)
    b = data.load_images("digits", limit=100, seed=3)
    np.testing.assert_array_equal(a.images, b.images)


@pytest.mark.parametrize("bad, error", [
    (dict(name="cifar"), ValueError),
    (dict(name=5), TypeError),
    (dict(name="digits", split="valid"), ValueError),
    (dict(name="digits", limit=0), ValueError),
    (dict(name="/no/such/folder"), FileNotFoundError),
])
def test_bad_arguments_get_clear_errors(bad, error):
    with pytest.raises(error):
        data.load_images(**bad)


def test_image_folder(tmp_path):
    from PIL import Image

    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        for i in range(3):
            Image.fromarray(np.full((10, 12), 255 * i // 2, np.uint8)).save(tmp_path / cls / f"{i}.png")
    got = data.load_images(str(tmp_path))
    assert got.images.shape == (6, 28, 28, 1)
    assert got.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert got.images.min() == -1.0 and got.images.max() == 1.0
    (tmp_path / "a" / "broken.png").write_text("not an image")
    with pytest.raises(ValueError, match="cannot read image"):
        data.load_images(str(tmp_path))


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="holds no images"):
        data.load_image_folder(tmp_path)


def test_make_dataset_batches():
    images = np.zeros((10, 28, 28, 1), np.float32)
    served = list(batches.make_dataset(images, np.arange(10), batch_size=4))
    assert len(served) == 2 and served[0][0].shape == (4, 28, 28, 1)
    with pytest.raises(ValueError, match="larger than"):
        batches.make_dataset(images, batch_size=64)
    with pytest.raises(ValueError, match="labels"):
        batches.make_dataset(images, np.arange(3), batch_size=2)


def test_make_dataset_is_tf_data_on_tensorflow_and_a_py_dataset_elsewhere():
    import keras

    ds = batches.make_dataset(np.zeros((8, 4, 4, 1), np.float32), np.arange(8), batch_size=4)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        assert isinstance(ds, tf.data.Dataset)
    else:  # JAX, PyTorch: no TensorFlow
        assert isinstance(ds, batches.ArrayBatches) and isinstance(ds, keras.utils.PyDataset)
    images, labels = next(iter(ds))
    assert tuple(images.shape) == (4, 4, 4, 1) and tuple(labels.shape) == (4,)


def _labelled(n=10):
    images = (np.arange(n, dtype=np.float32) / n).reshape(n, 1, 1, 1)
    return images, np.arange(n, dtype=np.int32)


def test_array_batches_serve_a_seeded_order_per_epoch():
    import keras

    images, labels = _labelled()
    ds = batches.ArrayBatches((images, labels), 4, seed=3)
    assert isinstance(ds, keras.utils.PyDataset) and len(ds) == 2  # 10 // 4: the remainder is dropped
    first = [y for _, y in ds]
    second = [y for _, y in ds]  # each pass over the dataset is the next epoch, as with tf.data
    assert all(y.shape == (4,) and y.dtype == np.int32 for y in first + second)
    assert not np.array_equal(np.concatenate(first), np.concatenate(second))
    again = batches.ArrayBatches((images, labels), 4, seed=3)
    np.testing.assert_array_equal(np.concatenate([y for _, y in again]), np.concatenate(first))  # same seed
    other = batches.ArrayBatches((images, labels), 4, seed=4)
    assert not np.array_equal(np.concatenate([y for _, y in other]), np.concatenate(first))
    for x, y in ds:  # each image stays with its label
        np.testing.assert_array_equal(x, images[y])
    stream = batches.ArrayBatches((images, labels), 4, seed=3).stream(1)  # epochs 1, 2, ... without end
    assert stream.num_batches is None
    np.testing.assert_array_equal(stream[0][1], second[0])
    np.testing.assert_array_equal(stream[1][1], second[1])
    np.testing.assert_array_equal(stream[2][1], ds.batch(2, 0)[1])


def test_array_batches_keep_the_remainder_and_the_structure_asked():
    images, labels = _labelled()
    ds = batches.ArrayBatches((images,), 4, shuffle=False, drop_remainder=False)
    served = list(ds)
    assert [len(b) for b in served] == [4, 4, 2] and isinstance(served[0], np.ndarray)  # images alone
    np.testing.assert_array_equal(np.concatenate(served), images)  # no shuffle: in order
    unpaired = batches.ArrayBatches((images[:6], images), 3, independent=True)  # as long as the shorter
    assert len(unpaired) == 2 and all(a.shape == b.shape == (3, 1, 1, 1) for a, b in unpaired)
    with pytest.raises(ValueError, match="one length"):
        batches.ArrayBatches((images[:6], labels), 3)
    with pytest.raises(ValueError, match="larger than the 10 samples"):
        batches.ArrayBatches((images,), 16)
    with pytest.raises(ValueError, match="batch_size"):
        batches.ArrayBatches((images,), 0)
    with pytest.raises(TypeError, match="tuple of arrays"):
        batches.ArrayBatches(images, 4)


def test_fit_moves_array_batches_to_the_next_epoch_once_per_epoch():
    """Keras peeks at one batch to build the model: only whole epochs move the order on."""
    import keras

    images, labels = _labelled(16)
    model = keras.Sequential([keras.Input((1, 1, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    ds = batches.ArrayBatches((images, labels.astype(np.float32)), 4, seed=0)
    model.fit(ds, epochs=3, verbose=0)
    assert ds.epoch == 3


def test_recipes_resume_an_array_batches_stream_at_its_epoch():
    from gan_keras.recipes import common

    images, labels = _labelled()
    ds = batches.ArrayBatches((images, labels), 4, seed=1)
    stream, steps = common.epoch_stream(ds, initial_epoch=2)
    assert steps == 2
    np.testing.assert_array_equal(stream[0][1], ds.batch(2, 0)[1])
    np.testing.assert_array_equal(stream[3][1], ds.batch(3, 1)[1])


def test_check_images():
    with pytest.raises(ValueError, match="forget to scale"):
        validate.images(np.full((2, 4, 4, 1), 255.0))
    with pytest.raises(ValueError, match="shape"):
        validate.images(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="expected|must have images"):
        validate.images(np.zeros((2, 4, 4, 1)), expected_shape=(28, 28, 1))


def test_toy_distributions():
    x = toys.gaussian_1d(20000, mean=4.0, std=1.25, seed=1)
    assert abs(x.mean() - 4.0) < 0.05 and abs(x.std() - 1.25) < 0.05
    ring = toys.ring_of_gaussians(4000, std=0.02)
    radius = np.linalg.norm(ring, axis=1)
    assert np.allclose(radius, 2.0, atol=0.1)
    centers = toys.grid_centers()
    assert centers.shape == (25, 2) and np.allclose(centers.mean(0), 0.0)
    grid = toys.grid_of_gaussians(5000, std=0.05)
    nearest = np.min(np.linalg.norm(grid[:, None] - centers[None], axis=2), axis=1)
    assert np.mean(nearest < 0.15) > 0.98  # 3 sigma in 2-D holds 98.9%
    assert np.isclose(np.trapezoid(toys.gaussian_pdf(np.linspace(-6, 14, 4001)), dx=20 / 4000), 1.0)


def test_check_images_takes_bfloat16_samples_as_float32():
    """A generator trained with --precision mixed_bfloat16 returns bfloat16 arrays; the judges take them."""
    import ml_dtypes

    samples = np.linspace(-1, 1, 2 * 4 * 3).reshape(2, 4, 3, 1).astype(ml_dtypes.bfloat16)
    checked = validate.images(samples)
    assert checked.dtype == np.float32
    np.testing.assert_allclose(checked, samples.astype(np.float32))
    with pytest.raises(TypeError, match="must hold numbers"):
        validate.images(np.array([["a"]] * 2).reshape(2, 1, 1, 1))
