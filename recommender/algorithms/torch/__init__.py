"""Shared torch parts of the neural recommenders: modules, training loops, device choice and seeding.

Each neural algorithm is three small parts (STYLE.md): its ``nn.Module`` here in
``modules``, the training and fold-in loops here in ``training``, and the scorer
in its own module (``ncf``, ``sequence``, ``classifier``).
"""
