"""Embedding backends: audio and text into one vector space (default: listen; extra: CLAP)."""
