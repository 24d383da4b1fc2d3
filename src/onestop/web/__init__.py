"""The online mall: onestop's HTTP API, served by `onestop serve` (needs ``onestop[web]``).

`create_app` builds the Litestar application of one worker from `ServeSettings`: the
citizen API under ``/api/v1`` (the catalogue, uploads, submission with an
``Idempotency-Key``, tracking with the lookup secret in a header), Open311 GeoReport v2
under ``/open311/v2``, the OpenAPI 3.1 document at ``/api/openapi.json`` with an
interactive reference at ``/api/docs``, and ``/healthz`` and ``/readyz``.

The framework decision and how the synchronous core runs under the server are in
``docs/explanation/web-framework.md``.
"""

from __future__ import annotations

from onestop.web._app import create_app
from onestop.web.settings import ServeSettings

__all__ = ["ServeSettings", "create_app"]
