"""Mutation: a found stem becomes a new one (pitch, stretch, slice, stutter, filter, drive,
crush, gate, transients, layers), deterministic per (source, parameters, seed)."""

from dirigent.mutate.chain import PARAMS, Mutation, render

__all__ = ["PARAMS", "Mutation", "render"]
