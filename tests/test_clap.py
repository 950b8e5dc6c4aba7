"""The CLAP backend on a tiny, randomly initialised model of the same architecture, saved and
loaded exactly like a real checkpoint (tokenizer built here, nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dirigent.errors import DirigentError

torch = pytest.importorskip("torch", reason="the clap extra (torch) is not installed")
transformers = pytest.importorskip("transformers", reason="the clap extra is not installed")


def tiny_checkpoint(folder: Path) -> Path:
    """A ClapModel with 2-layer towers and a byte-level BPE tokenizer of a few letters."""
    from transformers import (
        ClapAudioConfig,
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        ClapProcessor,
        ClapTextConfig,
        RobertaTokenizer,
    )

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    vocab = {t: i for i, t in enumerate(specials + letters + ["Ġ" + c for c in letters])}
    tokenizer = RobertaTokenizer(vocab=vocab, merges=[])
    text = ClapTextConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        projection_dim=16,
        max_position_embeddings=64,
    )
    audio = ClapAudioConfig(
        depths=[1, 1],
        num_attention_heads=[1, 2],
        hidden_size=32,
        patch_embeds_hidden_size=16,
        projection_dim=16,
        num_hidden_layers=2,
    )
    torch.manual_seed(0)
    model = ClapModel(
        ClapConfig(text_config=text.to_dict(), audio_config=audio.to_dict(), projection_dim=16)
    )
    model.save_pretrained(folder)
    extractor = ClapFeatureExtractor(truncation="rand_trunc")  # matches enable_fusion=False
    ClapProcessor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def clap(tmp_path_factory: pytest.TempPathFactory):
    from dirigent.embed.clap import ClapEmbedder

    return ClapEmbedder.from_directory(tiny_checkpoint(tmp_path_factory.mktemp("clap") / "tiny"))


def test_missing_checkpoint_names_the_path(tmp_path: Path) -> None:
    from dirigent.embed.clap import ClapEmbedder

    with pytest.raises(DirigentError, match=str(tmp_path / "larger_clap_music_and_speech")):
        ClapEmbedder.from_directory(tmp_path / "larger_clap_music_and_speech")


def test_text_vectors(clap) -> None:
    vectors = clap.embed_texts(["dark kick", "bright pad", "dark kick"])
    assert vectors.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)
    assert not np.allclose(vectors[0], vectors[1])
    assert clap.unknown_words("dusty zzyzx kick") == []  # its tokenizer reads any word


def test_audio_is_resampled_and_windowed(clap, rng: np.random.Generator) -> None:
    from dirigent.embed.clap import windows

    y = rng.standard_normal((2, 44100 * 25)).astype(np.float32) * 0.1
    assert [w.size for w in windows(y, sr=44100)] == [480000, 480000, 240000]
    v = clap.embed_audio(y, sr=44100)
    assert v.shape == (16,) and np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(v, clap.embed_audio(y, sr=44100), atol=1e-6)


def test_search_pipeline_with_clap(clap, kit, tmp_path: Path) -> None:
    from dirigent.catalog import Catalog
    from dirigent.config import load_config
    from dirigent.ingest import ingest
    from dirigent.search import Searcher

    root = kit[0].path.parents[2]
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest(
            [root / "One Shots" / "Kicks", root / "One Shots" / "Pads"],
            catalog,
            load_config(env={"XDG_CONFIG_HOME": str(tmp_path)}),
        )
        searcher = Searcher(catalog, clap, tmp_path / "index")
        assert searcher.refresh() == "no index yet"
        assert searcher.vectors.shape == (10, 16)
        assert set(catalog.vector_matrix(searcher.key, searcher.ids)[0].tolist()) == set(
            searcher.row_of
        )
        results = searcher.search("dark kick", top_k=5).results
        assert len(results) == 5 and all(r.explanation.startswith("clap ") for r in results)
        again = Searcher(catalog, clap, tmp_path / "index")
        assert again.refresh() is None  # stored vectors and the index are served as they are
        np.testing.assert_allclose(again.vectors, searcher.vectors)


def test_models_pull_without_a_network_is_a_clear_error(cli, monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rc, _, err = cli("models", "pull", "larger_clap_music_and_speech")
    assert rc == 1
    assert "could not download laion/larger_clap_music_and_speech" in err


def test_clap_backend_from_config_names_the_missing_folder(
    cli, tmp_path: Path, monkeypatch, kit
) -> None:
    cli("ingest", str(kit[0].path.parents[2] / "One Shots" / "Kicks"), "--quiet")
    monkeypatch.setenv("DIRIGENT_BACKEND", "clap")
    monkeypatch.setenv("DIRIGENT_MODELS", str(tmp_path / "models"))
    rc, _, err = cli("search", "kick")
    assert rc == 1 and str(tmp_path / "models" / "larger_clap_music_and_speech") in err


class FakeLaionClap:
    """The laion-clap package's CLAP_Module as its hook.py defines it (constructor, load_ckpt,
    get_audio_embedding_from_data, get_text_embedding, model_cfg), computing stand-in vectors:
    the package itself pins numpy < 2 and fetches roberta-base when built, so it cannot be
    installed here. Records what Dirigent hands it."""

    built: list[dict] = []
    windows: list[list[int]] = []

    class CLAP_Module:  # noqa: N801 - the package's name
        def __init__(
            self, enable_fusion: bool = False, device: str | None = None, amodel: str = "HTSAT-tiny"
        ) -> None:
            FakeLaionClap.built.append({"fusion": enable_fusion, "amodel": amodel, "on": device})
            self.model_cfg = {"embed_dim": 8}

        def load_ckpt(self, ckpt: str, verbose: bool = True) -> None:
            FakeLaionClap.built[-1]["ckpt"] = ckpt

        def get_audio_embedding_from_data(self, x: list, use_tensor: bool = False) -> np.ndarray:
            assert all(w.ndim == 1 and w.dtype == np.float32 and w.size <= 480000 for w in x)
            FakeLaionClap.windows.append([w.size for w in x])
            return np.stack([np.histogram(w, bins=8, range=(-1, 1))[0] / w.size for w in x])

        def get_text_embedding(self, x: list, use_tensor: bool = False) -> np.ndarray:
            import zlib

            return np.stack(
                [np.random.default_rng(zlib.crc32(t.encode())).normal(size=8) for t in x]
            )


@pytest.fixture
def laion_clap(monkeypatch) -> type[FakeLaionClap]:
    import sys

    FakeLaionClap.built.clear()
    FakeLaionClap.windows.clear()
    monkeypatch.setitem(sys.modules, "laion_clap", FakeLaionClap)
    return FakeLaionClap


def test_laion_checkpoint_through_the_package(
    laion_clap, kit, tmp_path: Path, rng: np.random.Generator
) -> None:
    from dirigent.catalog import Catalog
    from dirigent.config import load_config
    from dirigent.embed import load_backend
    from dirigent.embed.clap import LaionCheckpointEmbedder
    from dirigent.ingest import ingest
    from dirigent.search import Searcher

    checkpoint = tmp_path / "models" / "music_audioset_epoch_15_esc_90.14.pt"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"weights")
    config = load_config(
        env={
            "XDG_CONFIG_HOME": str(tmp_path),
            "DIRIGENT_BACKEND": "clap",
            "DIRIGENT_MODELS": str(checkpoint.parent),
            "DIRIGENT_CLAP_MODEL": checkpoint.name,
        }
    )
    backend = load_backend(config)
    assert isinstance(backend, LaionCheckpointEmbedder) and backend.dim == 8
    assert laion_clap.built == [
        {"fusion": False, "amodel": "HTSAT-base", "on": "cpu", "ckpt": str(checkpoint)}
    ]  # "auto" on a machine whose torch sees no GPU
    y = rng.standard_normal((2, 44100 * 25)).astype(np.float32) * 0.1
    v = backend.embed_audio(y, sr=44100)
    assert laion_clap.windows == [[480000, 480000, 240000]]
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
    np.testing.assert_allclose(v, backend.embed_audio(y, sr=44100))
    texts = backend.embed_texts(["dark kick", "bright pad"])
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    with Catalog(tmp_path / "c.duckdb") as catalog:
        ingest([kit[0].path.parents[2] / "One Shots" / "Kicks"], catalog, config)
        searcher = Searcher(catalog, backend, tmp_path / "index")
        searcher.refresh()
        assert searcher.key == f"clap@{checkpoint.name}" and searcher.vectors.shape == (6, 8)
        results = searcher.search("dark kick", top_k=3, min_similarity=-1.0).results
        assert len(results) == 3 and all(r.explanation.startswith("clap ") for r in results)


def test_laion_checkpoint_names_what_it_lacks(monkeypatch, tmp_path: Path) -> None:
    import sys

    from dirigent.embed.clap import load

    with pytest.raises(DirigentError, match=str(tmp_path / "630k-audioset-best.pt")):
        load(tmp_path / "630k-audioset-best.pt")
    (tmp_path / "630k-audioset-best.pt").write_bytes(b"weights")
    monkeypatch.setitem(sys.modules, "laion_clap", None)  # not installed
    with pytest.raises(DirigentError, match="pip install laion-clap"):
        load(tmp_path / "630k-audioset-best.pt")


def test_torch_device_is_resolved_and_checked(monkeypatch) -> None:
    from dirigent.config import load_config
    from dirigent.errors import ConfigError
    from dirigent.torch_device import resolve

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert resolve("auto") in ("cpu", "mps") and resolve("cpu") == "cpu"
    with pytest.raises(ConfigError, match="sees 0 CUDA GPU"):
        resolve("cuda:1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve("auto") == "cuda" and resolve("cuda:1") == "cuda:1"
    with pytest.raises(ConfigError):
        load_config(env={"DIRIGENT_TORCH_DEVICE": "gpu"})
