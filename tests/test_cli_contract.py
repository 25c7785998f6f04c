"""The contract every script under scripts/ keeps (scripts/cli.py): --help does nothing else, --env is required,
a wrong account is refused with one line and exit 2, and the exit codes are documented once."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import cli

ROOT = Path(__file__).resolve().parent.parent
#: Every runnable script (one with a ``__main__`` block), found rather than listed so that a new one is covered.
SCRIPTS = sorted(
    path.relative_to(ROOT).as_posix()
    for path in (ROOT / "scripts").glob("*.py")
    if 'if __name__ == "__main__":' in path.read_text()
)
#: Scripts that act on an AWS account: --env required, account check, --json.
OPERATOR_SCRIPTS = {
    "scripts/monitor_costs.py": ["--budget", "10"],
    "scripts/manage_keys.py": ["list"],
    "scripts/verify_deployment.py": [],
    "scripts/dr_drill.py": ["--dry-run"],
}
OPS_SUBCOMMANDS = ("daily", "weekly", "monthly")


def _no_network_env(home: Path) -> dict[str, str]:
    """No credentials, an endpoint nobody listens on, an empty HOME: any AWS or network call would fail."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(home / "nonexistent"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "nonexistent"),
        "NO_PROXY": "*",
    }


def test_every_runnable_script_is_found() -> None:
    assert {"scripts/ops.py", "scripts/dr_drill.py", *OPERATOR_SCRIPTS} <= set(SCRIPTS)


@pytest.mark.slow  # one fresh interpreter per script (~1-3 s each)
@pytest.mark.parametrize(
    "command", [[s] for s in SCRIPTS] + [["scripts/ops.py", sub] for sub in OPS_SUBCOMMANDS], ids=" ".join
)
def test_help_does_nothing_else(command: list[str], tmp_path: Path) -> None:
    """Exit 0 with a usage text, creating no file in the working directory or HOME, with no network."""
    cwd, home = tmp_path / "cwd", tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    result = subprocess.run(
        [sys.executable, str(ROOT / command[0]), *command[1:], "--help"],
        cwd=cwd,
        env=_no_network_env(home),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: "), result.stdout[:200]
    assert list(cwd.iterdir()) == []
    assert list(home.iterdir()) == []
    if command[0] in OPERATOR_SCRIPTS or command[1:] and command[0] == "scripts/ops.py":
        assert "--json" in result.stdout
        assert "--env" in result.stdout


@pytest.mark.slow  # one fresh interpreter per script
@pytest.mark.parametrize("command", [[s] for s in OPERATOR_SCRIPTS] + [["scripts/ops.py", "daily"]], ids=" ".join)
def test_env_is_required_and_has_no_default(command: list[str], tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / command[0]), *command[1:], *OPERATOR_SCRIPTS.get(command[0], [])],
        cwd=tmp_path,
        env=_no_network_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == cli.EXIT_USAGE
    assert "the following arguments are required: --env" in result.stderr


@pytest.mark.parametrize(
    "argv",
    [[s.removeprefix("scripts/").removesuffix(".py"), "--env", "dev", *extra] for s, extra in OPERATOR_SCRIPTS.items()]
    + [["ops", sub, "--env", "dev"] for sub in OPS_SUBCOMMANDS],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_wrong_account_is_refused_with_one_line_and_exit_2(argv: list[str], moto_server, tmp_path: Path) -> None:
    """moto's credentials are account 123456789012; dev is 111111111111. Nothing else is called."""
    script, *args = argv
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, **moto_server.env(), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / f"{script}.py"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == cli.EXIT_USAGE, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: --env dev: the credentials are for account 123456789012, but dev is account 111111111111; "
        "refusing to run"
    ]
    assert list(cwd.iterdir()) == []


@pytest.mark.slow  # a fresh interpreter
def test_unreachable_aws_is_exit_3(tmp_path: Path) -> None:
    env = {**_no_network_env(tmp_path), "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "ops.py"), "weekly", "--env", "local"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == cli.EXIT_AWS
    assert result.stderr.startswith("error: Could not connect to the endpoint URL")
    assert len(result.stderr.splitlines()) == 1


def test_exit_codes_are_documented_once_and_referenced() -> None:
    assert (cli.EXIT_OK, cli.EXIT_ACTION_NEEDED, cli.EXIT_USAGE, cli.EXIT_AWS) == (0, 1, 2, 3)
    documented = re.findall(r"^    ([0-3])  ", cli.__doc__, flags=re.MULTILINE)
    assert documented == ["0", "1", "2", "3"]
    page = (ROOT / "docs" / "OPERATIONS-COMMANDS.md").read_text()
    for code in ("0", "1", "2", "3"):
        assert re.search(rf"^\| {code} \|", page, flags=re.MULTILINE), code
    for script in [*OPERATOR_SCRIPTS, "scripts/ops.py", "scripts/estimate_costs.py"]:
        assert "scripts/cli.py" in (ROOT / script).read_text(), script


def test_retries_are_botocores_standard_mode() -> None:
    assert cli.aws_config().retries == {"mode": "standard", "max_attempts": cli.DEFAULT_MAX_RETRIES}
    assert cli.aws_config(0).retries == {"mode": "standard", "max_attempts": 0}
    with pytest.raises(ValueError, match="max_retries: got -1; allowed: an integer >= 0"):
        cli.aws_config(-1)
    for script in ("monitor_costs", "manage_keys", "verify_deployment", "ops", "dr_drill"):
        source = (ROOT / "scripts" / f"{script}.py").read_text()
        assert "time.sleep(2" not in source, script
        assert "RETRY_BASE_SECONDS" not in source, script


@pytest.mark.slow  # a fresh interpreter
def test_verify_deployment_loads_only_the_provider_modules_it_uses() -> None:
    """Reading the front door's response table must not run the stock provider import (~2,100 modules)."""
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); from scripts import verify_deployment; "
        "verify_deployment.load_deployment('dev', {}, None); "
        "print(sum(name.startswith('cdktf_cdktf_provider_aws.') for name in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(ROOT)], capture_output=True, text=True, timeout=120, check=True
    )
    assert int(result.stdout.strip()) < 500, result.stdout  # ~80 used; the stock import loads ~2,100
    assert "end-of-life" not in result.stderr
