"""Where the torch models run, and how their randomness is pinned down."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import nn

DEVICES = ("cpu", "cuda", "auto")
STATE_FILE = "state.pt"

logger = logging.getLogger(__name__)


def choose_device(name: str) -> torch.device:
    """``cpu``, ``cuda`` or ``auto`` (CUDA when there is one); CUDA asked for but missing falls back to the CPU."""
    if name == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if name == "cuda":
        logger.warning("CUDA was asked for but is not available; training and scoring run on the CPU")
    return torch.device("cpu")


@contextlib.contextmanager
def reproducible(seed: int, device: torch.device) -> Iterator[torch.Generator]:
    """Seed torch for the block; yields a CPU generator for shuffling and negative sampling.

    The caller's global random state comes back afterwards (``fork_rng``), so
    fitting a model never changes what other code draws. Deterministic
    algorithms are on for the block only; ``warn_only`` because a few CUDA
    kernels have no deterministic version (on the CPU every op used here has).
    """
    enabled = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    devices = [torch.cuda.current_device()] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True, warn_only=True)
        try:
            yield torch.Generator().manual_seed(seed)
        finally:
            torch.use_deterministic_algorithms(enabled, warn_only=warn_only)


@contextlib.contextmanager
def cpu_threads(count: int) -> Iterator[None]:
    """Let torch use ``count`` CPU threads in the block; 0 leaves its setting (all cores) alone.

    These models are small: a second thread gains little, and on a busy host
    every op then waits for both threads to be scheduled (measured: fold-in
    40x slower on 2 shared cores). The setting is per process, so a concurrent
    block elsewhere may briefly run with this count too.
    """
    if count <= 0:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def save_module(module: nn.Module, directory: Path) -> None:
    """Tensors go to the CPU first, so a model trained on a GPU loads on a machine without one."""
    torch.save({key: value.cpu() for key, value in module.state_dict().items()}, directory / STATE_FILE)


def load_module(module: nn.Module, directory: Path, device: torch.device) -> None:
    """Load the weights into ``module``. On the CPU the file is memory-mapped and the parameters become views
    of it (``assign``), so the processes of a host share one copy, as with numpy arrays (base.load_arrays)."""
    # weights_only: the file holds plain tensors, and loading must never run code from it.
    on_cpu = device.type == "cpu"
    state = torch.load(directory / STATE_FILE, map_location=device, weights_only=True, mmap=on_cpu)
    module.load_state_dict(state, assign=on_cpu)
    module.to(device).eval()
