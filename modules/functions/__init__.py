"""Lambda handlers of the AgenticAI API, packaged as ``functions/`` in one deterministic zip.

Handlers import each other relatively (``from . import http``), so the same code
runs as ``functions.<module>`` on Lambda and as ``modules.functions.<module>``
in the tests. Nothing here imports cdktf.
"""
