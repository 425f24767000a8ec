"""``ApiViewSet``: the base of every API view (auth, tenancy, problem errors, idempotency, rate headers)."""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.models import ApiToken, IdempotencyKey, Tenant, User
from core.rest.auth import ApiTokenAuthentication, StaffSessionAuthentication, actor_of, tenant_of
from core.rest.errors import PROBLEM_CONTENT_TYPE, Conflict, Unprocessable, _Replay, problem_exception_handler
from core.rest.filters import is_id
from core.rest.pagination import ApiCursorPagination
from core.rest.parsers import StrictJSONParser
from core.rest.permissions import IsTenantStaff
from core.rest.throttling import ApiRateThrottle

IDEMPOTENCY_TTL = timedelta(hours=24)
# A key still "in progress" after this long belongs to a request that died without an answer (the
# process was killed): the next request with it takes it over instead of getting 409 for good.
IDEMPOTENCY_LEASE = timedelta(minutes=5)

logger = logging.getLogger(__name__)


def _request_hash(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.get_full_path().encode() + b"\n")
    digest.update(request._request.body)
    return digest.hexdigest()


class ApiViewSet(viewsets.GenericViewSet):
    """The base of every API view: auth, tenancy, problem errors, idempotency and rate limit headers."""

    authentication_classes = [ApiTokenAuthentication, StaffSessionAuthentication]
    # Any path segment reaches the view, so a malformed ID is a problem+json 404, not an HTML page.
    lookup_value_regex = "[^/]+"
    permission_classes = [IsTenantStaff]
    throttle_classes = [ApiRateThrottle]
    pagination_class = ApiCursorPagination
    filter_backends = [DjangoFilterBackend]
    renderer_classes = [JSONRenderer]
    parser_classes = [StrictJSONParser]

    def get_exception_handler(self):
        return problem_exception_handler

    @property
    def tenant(self) -> Tenant:
        return tenant_of(self.request)

    @property
    def actor(self) -> User | None:
        return actor_of(self.request)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.query_params.lists()):
            raise exceptions.ValidationError({"query": [_("Text may not contain NUL characters (\\u0000).")]})
        if request.method == "POST":
            self._idempotency_begin(request)

    def _idempotency_begin(self, request) -> None:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return
        key = key.strip()
        if not key or len(key) > 255:
            raise exceptions.ValidationError({"Idempotency-Key": [_("Use 1–255 characters.")]})
        tenant = self.tenant
        request_hash = _request_hash(request)
        token = request.auth if isinstance(request.auth, ApiToken) else None
        for _attempt in range(2):
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(tenant=tenant, key=key, request_hash=request_hash,
                                                           token=token, user=None if token else actor_of(request))
                request._request.idempotency_record = record
                return
            except IntegrityError:
                existing = IdempotencyKey.objects.for_tenant(tenant).filter(key=key).first()
                if existing is None:
                    continue
                if existing.created_at < timezone.now() - IDEMPOTENCY_TTL:
                    existing.delete()
                    continue
                if existing.request_hash != request_hash:
                    raise Unprocessable(_("This Idempotency-Key was used with a different request."))
                if existing.response_status is None:
                    abandoned = IdempotencyKey.objects.filter(
                        pk=existing.pk, response_status__isnull=True,
                        created_at__lt=timezone.now() - IDEMPOTENCY_LEASE).delete()[0]
                    if abandoned:
                        continue
                    raise Conflict(_("A request with this Idempotency-Key is still being processed."))
                raise _Replay(existing)
        raise Conflict(_("A request with this Idempotency-Key is still being processed."))

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            response = Response(record.response_body, status=record.response_status,
                                headers={"Idempotent-Replayed": "true"},
                                content_type=PROBLEM_CONTENT_TYPE if record.response_status >= 400 else None)
            return response
        return super().handle_exception(exc)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except BaseException:
            # An exception no handler turned into a response (a 500): the request did not complete,
            # so its key is released and the client's retry with it runs again.
            self._idempotency_release(request)
            raise

    @staticmethod
    def _idempotency_release(request) -> None:
        django_request = getattr(request, "_request", request)
        record = getattr(django_request, "idempotency_record", None)
        if record is None:
            return
        django_request.idempotency_record = None
        try:
            IdempotencyKey.objects.filter(pk=record.pk, response_status__isnull=True).delete()
        except Exception:  # The database may be what failed; the lease frees the key later.
            logger.exception("Could not release Idempotency-Key %s", record.key)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(request._request if hasattr(request, "_request") else request, "idempotency_record", None)
        if record is not None:
            if response.status_code >= 500:
                self._idempotency_release(request)
            else:
                body = json.loads(JSONRenderer().render(response.data) or b"null")
                IdempotencyKey.objects.filter(pk=record.pk).update(response_status=response.status_code,
                                                                   response_body=body)
                request._request.idempotency_record = None
        rate = getattr(request._request if hasattr(request, "_request") else request, "api_rate", None)
        if rate is not None:
            limit, remaining, reset = rate
            for prefix in ("RateLimit", "X-RateLimit"):
                response[f"{prefix}-Limit"] = str(limit)
                response[f"{prefix}-Remaining"] = str(remaining)
                response[f"{prefix}-Reset"] = str(reset)
        return response

    def get_object_or_404(self, queryset, **lookup):
        obj = queryset.filter(**lookup).first()
        if obj is None:
            raise exceptions.NotFound()
        return obj

    def get_object(self):
        lookup = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        if self.lookup_field in ("pk", "id") and not is_id(lookup):
            raise exceptions.NotFound()
        obj = self.get_object_or_404(self.get_queryset(), **{self.lookup_field: lookup})
        self.check_object_permissions(self.request, obj)
        return obj


def local_today(tenant: Tenant):
    return timezone.now().astimezone(ZoneInfo(tenant.time_zone)).date()
