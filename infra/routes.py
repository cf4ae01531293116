"""Every route of the REST API, by the function that serves it.

One list for the CDK API (infra/components/api.py) and the OpenAPI document
(scripts/openapi.py), so a route cannot exist in one and be missing from the other. No CDK
import here: the document's generator and its test stay fast.
"""

from __future__ import annotations

APPLICATION_ROUTES = (
    ("/applications", "POST"),
    ("/applications", "GET"),
    ("/applications/signed", "POST"),
    ("/applications/prefill", "GET"),
    ("/applications/{id}", "GET"),
    ("/applications/{id}/confirmation", "POST"),
    ("/applications/{id}/confirmation/resend", "POST"),
    ("/applications/{id}/contacts", "PATCH"),
    ("/applications/{id}/documents", "POST"),
    ("/operator/applications", "GET"),
    ("/operator/applications/{id}/decision", "POST"),
)
PROFILE_ROUTES = (
    ("/me/access-log", "GET"),
    ("/profile/change-requests", "POST"),
    ("/profile/change-requests", "GET"),
    ("/profile/change-requests/{id}", "GET"),
    ("/profile/change-requests/{id}/documents", "POST"),
    ("/operator/change-requests", "GET"),
    ("/operator/change-requests/{id}", "GET"),
    ("/operator/change-requests/{id}/decision", "POST"),
)
SUPPORT_ROUTES = (
    ("/support/tickets", "POST"),
    ("/support/tickets", "GET"),
    ("/support/tickets/{id}", "GET"),
    ("/support/tickets/{id}/messages", "POST"),
    ("/operator/tickets", "GET"),
    ("/operator/tickets/{id}", "GET"),
    ("/operator/tickets/{id}", "PATCH"),
)
