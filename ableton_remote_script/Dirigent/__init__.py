"""Dirigent's Ableton Live Remote Script: Live's transport to the Dirigent daemon over OSC, and
the stems it renders into clip slots."""

from __future__ import annotations


def create_instance(c_instance: object) -> object:
    """Live's entry point."""
    from .surface import DirigentSurface

    return DirigentSurface(c_instance)
