"""The local Lambda image for ``sam local start-api``: built here, never pulled from a registry.

AWS's python3.13 base image lives in a registry that this project cannot reach, so the image is
made from Debian packages and PyPI wheels, as AWS documents for a custom runtime
(https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html):

* a minimal Debian trixie root file system with ``python3.13`` (``debootstrap``);
* the pinned Runtime Interface Client and boto3 (``image/requirements.txt``) in ``/var/runtime``;
* ``/var/runtime/bootstrap`` (``image/bootstrap``), which the Runtime Interface Emulator that SAM CLI
  adds at ``/var/rapid`` starts with the function's handler;
* ``docker import`` of the result.

The tag is a hash of every pinned input (:func:`image_tag`): the image is rebuilt only when one changes.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "image"
REPOSITORY = "agenticai-lambda-python"
#: Debian release whose python3 is the Lambda runtime's version (python3.13).
SUITE = "trixie"
PYTHON = "python3.13"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = (PYTHON, "ca-certificates")
#: Wheels for the image's interpreter, whatever the host's Python is.
PIP_PLATFORM = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")
#: Nothing a function reads: removed before the import to keep the image small.
PRUNED = ("var/cache/apt/archives", "usr/share/doc", "usr/share/man", "usr/share/locale", "usr/share/info")


def pinned_inputs() -> bytes:
    """Everything that decides the image's content, in one stable byte string."""
    parts = [
        f"suite={SUITE}\nmirror={MIRROR}\npackages={','.join(PACKAGES)}\nplatform={','.join(PIP_PLATFORM)}\n",
        f"pruned={','.join(PRUNED)}\n",
        (HERE / "requirements.txt").read_text(),
        (HERE / "bootstrap").read_text(),
    ]
    return "\n--\n".join(parts).encode()


def image_tag() -> str:
    """``agenticai-lambda-python:<16 hex of the inputs' SHA-256>``."""
    return f"{REPOSITORY}:{hashlib.sha256(pinned_inputs()).hexdigest()[:16]}"


def image_exists(tag: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False).returncode == 0


def _run(command: list[str], log: Path) -> None:
    with open(log, "ab") as sink:
        sink.write(f"$ {' '.join(command)}\n".encode())
        sink.flush()
        done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {done.returncode} while building the Lambda image (log: {log})")


def build(tag: str, log: Path) -> None:
    """debootstrap + pip --target + bootstrap, then ``docker import``; the root file system is temporary."""
    with tempfile.TemporaryDirectory(prefix="agenticai-lambda-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(rootfs), MIRROR], log)
        runtime = rootfs / "var" / "runtime"
        platforms = [arg for p in PIP_PLATFORM for arg in ("--platform", p)]
        _run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
             "--only-binary=:all:", "--implementation", "cp", "--python-version", "3.13", *platforms,
             "--target", str(runtime), "-r", str(HERE / "requirements.txt")],
            log,
        )  # fmt: skip
        shutil.copy2(HERE / "bootstrap", runtime / "bootstrap")
        (runtime / "bootstrap").chmod(0o755)
        (rootfs / "var" / "task").mkdir(parents=True, exist_ok=True)
        for pruned in PRUNED:
            shutil.rmtree(rootfs / pruned, ignore_errors=True)
        changes = ["--change", "WORKDIR /var/task", "--change", "ENV LAMBDA_TASK_ROOT=/var/task",
                   "--change", "ENV LAMBDA_RUNTIME_DIR=/var/runtime", "--change", "ENV LANG=C.UTF-8"]  # fmt: skip
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        with open(log, "ab") as sink:
            imported = subprocess.run(
                ["docker", "import", *changes, "-", tag], stdin=tar.stdout, stdout=sink, stderr=sink, check=False
            )
        assert tar.stdout is not None
        tar.stdout.close()
        if tar.wait() != 0 or imported.returncode != 0:
            raise RuntimeError(f"docker import of {tag} failed (log: {log})")


def ensure(log: Path) -> tuple[str, bool]:
    """The image's tag, and whether it was built now (False: an image with the same inputs exists)."""
    tag = image_tag()
    if image_exists(tag):
        return tag, False
    build(tag, log)
    return tag, True
