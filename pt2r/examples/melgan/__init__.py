"""A compact MelGAN vocoder (generator and PQMF filter bank) in plain PyTorch.

Written in the style of third-party model code (cf. parallel_wavegan's
``MelGANGenerator`` and ``PQMF``) to serve as pt2r's bundled example. The
package itself imports nothing, so importing it never pulls in torch; use the
``generator`` and ``pqmf`` submodules.
"""
