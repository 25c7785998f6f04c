"""AWS SAM CLI as a local judge of the synthesized stack (``make local-api``, docs/LOCAL-API.md)."""
