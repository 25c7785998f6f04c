"""The real terraform binary, run with the offline provider mirror (when one exists) and an
emulator's environment: the one runner of ``make e2e``, the fault tests and the Terraform tests."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from scripts.tf_cli_config import find_provider_mirror, write_cli_config

ROOT = Path(__file__).resolve().parents[2]


class StepFailed(RuntimeError):
    """A terraform command (or an e2e step) failed; the message says what was expected and what happened."""


class Terraform:
    """The real terraform binary, with the offline provider mirror and an emulator environment."""

    def __init__(
        self, env: dict[str, str] | None = None, binary: str | None = None, log_dir: Path | None = None
    ) -> None:
        self.log_dir = log_dir
        self.runs = 0
        binary = binary or shutil.which("terraform")
        if binary is None:
            raise StepFailed("terraform is not on PATH (Terraform >= 1.10 is required)")
        self.binary = binary
        self.env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", **(env or {})}
        # A persistent plugin cache under build/ links the ~700 MB provider instead of copying it per stack.
        mirror = find_provider_mirror()
        if mirror is not None:
            self.env["TF_CLI_CONFIG_FILE"] = str(write_cli_config(ROOT / "build" / "terraform", mirror))

    def run(
        self,
        cwd: Path,
        *args: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        ok_codes: Sequence[int] = (0,),
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``terraform -chdir=cwd args``; ``env`` adds to this runner's environment for this call."""
        result = subprocess.run(
            [self.binary, f"-chdir={cwd}", *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.runs += 1
        if self.log_dir is not None:  # every command's full output, for the post-mortem
            self.log_dir.mkdir(parents=True, exist_ok=True)
            name = f"{self.runs:02d}-{cwd.name}-{args[0]}.log"
            (self.log_dir / name).write_text(f"$ terraform {' '.join(args)}\n{result.stdout}\n{result.stderr}")
        if check and result.returncode not in ok_codes:
            raise StepFailed(
                f"terraform {' '.join(args)} in {cwd} exited {result.returncode}:\n"
                f"{changes_of(result.stdout)}{tail(result.stdout)}\n{tail(result.stderr)}"
            )
        return result

    def start(self, cwd: Path, *args: str) -> Interactive:
        """Start terraform with a pipe on stdin (to answer the approval prompt) and stdout."""
        process = subprocess.Popen(
            [self.binary, f"-chdir={cwd}", *args],
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a kill also reaches the provider plugin
        )
        return Interactive(process)

    def start_logged(self, cwd: Path, log: Path, *args: str) -> subprocess.Popen[bytes]:
        """Start terraform in the background with its output going to ``log`` (never a full pipe)."""
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as sink:
            return subprocess.Popen(
                [self.binary, f"-chdir={cwd}", *args],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def init_s3(self, stack_dir: Path, backend_file: Path) -> None:
        self.run(stack_dir, "init", "-input=false", "-no-color", f"-backend-config={backend_file}")

    def show_json(self, stack_dir: Path) -> dict:
        return json.loads(self.run(stack_dir, "show", "-json", "-no-color").stdout)

    def state_list(self, stack_dir: Path) -> list[str]:
        return self.run(stack_dir, "state", "list", "-no-color").stdout.split()


class Interactive:
    """A running terraform process whose output is read as it comes (prompts end without a newline)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.output = ""

    def wait_for(self, needle: str, timeout: float = 600) -> str:
        """Read output until ``needle`` appears; fail if the process exits or the timeout passes first."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise StepFailed(f"terraform did not print {needle!r} within {timeout:.0f} s:\n{tail(self.output)}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.process.wait()
                raise StepFailed(
                    f"terraform exited {self.process.returncode} before printing {needle!r}:\n{tail(self.output)}"
                )
            self.output += chunk.decode(errors="replace")
        return self.output

    def answer(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{text}\n".encode())
        self.process.stdin.flush()

    def finish(self, timeout: float = 900) -> int:
        """Read the rest of the output and return the exit status."""
        assert self.process.stdout is not None
        rest, _ = self.process.communicate(timeout=timeout)
        self.output += (rest or b"").decode(errors="replace")
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group: terraform and its provider plugin, no clean-up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def changes_of(plan_output: str) -> str:
    """The ``# <address> will be ...`` headers of a plan, so a failure names every changed resource."""
    headers = [line.strip() for line in plan_output.splitlines() if line.lstrip().startswith("# ")]
    return "".join(f"{h}\n" for h in headers)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
