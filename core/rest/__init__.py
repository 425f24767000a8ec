"""The foundation of every ``/api/v1/`` view, in small modules.

- ``auth``: authentication by tenant API token (``Authorization: Bearer …``; sets ``request.tenant``)
  or by the browser session of a staff member (``request.tenant`` from the middleware);
- ``permissions``: staff only (a customer's session gets 403 everywhere), admin-only writes;
- ``errors``: every error as ``application/problem+json`` (``type``, ``title``, ``status``,
  ``detail``, ``errors``);
- ``pagination``, ``filters``, ``throttling`` (a rate limit per token with ``RateLimit-*``
  headers), ``parsers`` (strict JSON);
- ``viewsets``: ``ApiViewSet``, the base class that puts them together, with ``Idempotency-Key``
  on POST;
- ``fields``: serializer fields limited to the request's tenant;
- ``schema``: the OpenAPI post-processing that declares the problem responses.

The resources themselves live next to their apps (``core.api``, ``plans.api``, ``tickets.api``…).
"""
