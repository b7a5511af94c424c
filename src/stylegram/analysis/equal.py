"""Equality by value for the analyses' results, which hold arrays and tensors: the dataclass's own ``==`` asked
``bool(array == array)`` and raised 'the truth value of an array ... is ambiguous' (checking that a run repeats)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import torch


def same(a: object, b: object) -> bool:
    """Whether ``a`` and ``b`` hold the same values: dataclasses field by field, arrays and tensors by shape and
    elements, lists and dicts item by item; NaN equals NaN (an undefined score is the same in both)."""
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
                and torch.equal(a.nan_to_num(), b.nan_to_num()) and torch.equal(a.isnan(), b.isnan()))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def by_value(self: object, other: object) -> bool:
    """An ``__eq__`` for a dataclass holding arrays: ``__eq__ = by_value`` in its body (the dataclass then makes
    none of its own)."""
    return same(self, other)
