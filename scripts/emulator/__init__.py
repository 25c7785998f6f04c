"""The emulator harness that ``make e2e``, the benchmarks and the tests share.

* :mod:`scripts.emulator.moto_server`: a real moto server process on a free loopback port.
* :mod:`scripts.emulator.atomic`: moto with DynamoDB ``UpdateItem`` serialized per item, as DynamoDB does.
* :mod:`scripts.emulator.tls`: moto over TLS, with the answers the e2e needs made AWS-exact.
* :mod:`scripts.emulator.terraform`: the one terraform runner (offline mirror, emulator environment).

Nothing here imports ``tests``: the dependency runs one way, from tests to scripts.
"""
