"""The games: one module per trainer, each its players and what a batch costs each of them.

Written in ``keras.ops`` alone; the update of a player is ``gan_keras.engine.minimize``, so
every trainer runs on TensorFlow, JAX and PyTorch. Import a trainer from its module:
``from gan_keras.trainers.gan import GAN``.
"""
