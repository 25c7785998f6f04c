"""Constructs that harden the AgenticAI serverless API, one subpackage per concern.

=============  =================================================================
``core``       naming, IAM statements, the data key, packaging, typed references,
               and the runtime set-up (:func:`modules.core.runtime.prepare`)
``api``        the demo API (routes, functions, stage) or an existing one
``front_door`` the REQUEST authorizer, API keys, usage plan, gateway responses
``edge``       the WAFv2 web ACL and its typed rules
``monitoring`` metrics, alarms, SLOs, alert topics, dashboard, budgets
``data``       backups and data protection; the Terraform state bucket
``synthetics`` the CloudWatch Synthetics canary
``functions``  the Lambda handlers (packaged as they are; no construct code)
``stack.py``   composition only: one environment stack, one bootstrap stack
=============  =================================================================

Importing this package, or any module under it, has no side effects. Entry points
that synthesize (``main.py``, the test harness, the benchmark) call
:func:`modules.core.runtime.prepare` once before cdktf loads.
"""
