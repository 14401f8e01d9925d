"""Policy engine: packs of CEL rules over a typed fact model, evaluated per observation."""

from .engine import Evaluation, evaluate
from .pack import Pack, bundled_pack_paths, load_pack, resolve_pack

__all__ = ["Evaluation", "Pack", "bundled_pack_paths", "evaluate", "load_pack", "resolve_pack"]
