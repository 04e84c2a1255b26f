"""Budgets of the recipes: small data gets enough updates, runs keep a bounded number of grids."""

import pytest

from gan_keras import recipes
from gan_keras.recipes.common import epochs_for_steps, grid_every


def test_small_data_gets_enough_updates():
    assert epochs_for_steps(50, 60000, 128, 4400) == 50  # MNIST: 468 steps per epoch
    assert epochs_for_steps(50, 1437, 128, 4400) == 400  # the offline digits: 11 steps per epoch
    assert epochs_for_steps(50, 10, 128, 100) == 100  # fewer images than a batch still counts steps


def test_grids_are_bounded():
    assert grid_every(30) == 1
    assert grid_every(50) == 1
    assert grid_every(400) == 8
    assert len(range(grid_every(400), 401, grid_every(400))) <= 50


def test_options_are_refused_where_not_supported(monkeypatch):
    """A recipe that does not list an option in OPTIONS gets a clear refusal, never silence."""
    import sys
    import types

    assert all(recipes.supports(name, "resume") for name in recipes.available())
    bare = types.ModuleType("bare_recipe")
    bare.train = lambda config: pytest.fail("the option should have been refused first")
    monkeypatch.setitem(sys.modules, "bare_recipe", bare)
    monkeypatch.setitem(recipes.REGISTRY, "bare", "bare_recipe")
    with pytest.raises(ValueError, match="does not support --jit"):
        recipes.train(recipes.TrainConfig(model="bare", jit=True))
    with pytest.raises(ValueError, match="does not support --mixed-precision"):
        recipes.train(recipes.TrainConfig(model="bare", mixed_precision=True))
