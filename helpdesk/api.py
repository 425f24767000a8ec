"""The REST API's foundation and the tenancy resources.

Foundation shared by every ``/api/v1/`` view (``ApiViewSet``):
- authentication by tenant API token (``Authorization: Bearer …``; sets ``request.tenant``) or by
  the browser session of a staff member (``request.tenant`` from the middleware);
- staff only: a customer's session gets 403 everywhere, another tenant's object is a 404;
- errors as ``application/problem+json`` (``type``, ``title``, ``status``, ``detail``, ``errors``);
- cursor pagination, ``Idempotency-Key`` on POST, a rate limit per token with ``RateLimit-*`` headers.

Resources here: organizations, contacts and webhook endpoints with their deliveries.
"""
from __future__ import annotations

import hashlib
import json
import math
import secrets
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

import django_filters
from django import forms as django_forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from helpdesk import webhooks
from helpdesk.models import (ApiToken, Contact, IdempotencyKey, Organization, Role, Tenant, User, WebhookDelivery,
                             WebhookEndpoint)
from helpdesk.services import audit_record, contact_create, contact_set_addresses, organization_create

PROBLEM_CONTENT_TYPE = "application/problem+json"
TOKEN_PREFIX = "hd_"
IDEMPOTENCY_TTL = timedelta(hours=24)


# --- tokens ----------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, tenant: Tenant, name: str, role: str = Role.AGENT,
                     created_by: User | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the token itself, which is never stored and shown once."""
    if role not in Role.values:
        raise DjangoValidationError({"role": _("Unknown role.")})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(tenant=tenant, name=name, role=role, prefix=token[:8], key_hash=token_hash(token),
                   created_by=created_by)
    row.full_clean()
    row.save()
    audit_record(tenant=tenant, actor=created_by, action="api_token.created", obj=row,
                 summary=f"{name} ({role}, {row.prefix}…)")
    return row, token


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None = None) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(tenant=token.tenant, actor=actor, action="api_token.revoked", obj=token, summary=token.name)
    return token


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <token>``: the token's tenant becomes ``request.tenant``.

    The request acts as the staff member who created the token (audit trail, message author).
    """

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        token = token.strip()
        if not token or " " in token:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header: use “Bearer <token>”."))
        row = (ApiToken.objects.select_related("tenant", "created_by")
               .filter(key_hash=token_hash(token), revoked_at__isnull=True).first())
        if row is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API token."))
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        django_request = request._request
        django_request.tenant = row.tenant
        django_request.membership = None
        django_request.contact = None
        user = row.created_by if row.created_by is not None and row.created_by.is_active else None
        from django.contrib.auth.models import AnonymousUser

        return (user or AnonymousUser(), row)

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "helpdesk.api.ApiTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A tenant API token (`manage.py create_api_token` or the admin)."}


class StaffSessionScheme(OpenApiAuthenticationExtension):
    target_class = "helpdesk.api.StaffSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid",
                "description": "The browser session of a logged-in staff member (unsafe methods need the CSRF token)."}


class StaffSessionAuthentication(SessionAuthentication):
    """The browser session; the tenant and role come from ``helpdesk.middleware``."""


def tenant_of(request) -> Tenant:
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        raise exceptions.PermissionDenied(_("No tenant."))
    return tenant


def actor_of(request) -> User | None:
    user = request.user
    return user if user is not None and user.is_authenticated else None


def is_admin(request) -> bool:
    if isinstance(request.auth, ApiToken):
        return request.auth.is_admin
    membership = getattr(request, "membership", None)
    return membership is not None and membership.is_admin


class IsTenantStaff(BasePermission):
    """A token, or the session of a staff member of the request's tenant. Customers get 403."""

    message = gettext_lazy("The API is for the staff of this helpdesk.")

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            return True
        if not request.user or not request.user.is_authenticated:
            return False
        return getattr(request, "tenant", None) is not None and getattr(request, "membership", None) is not None


class AdminForWrites(BasePermission):
    """Reads for all staff; writes for tenant admins (admin tokens or admin sessions)."""

    message = gettext_lazy("Only a tenant admin may change this.")

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or is_admin(request)


# --- errors ----------------------------------------------------------------------------------------


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with the current state.")
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The request cannot be processed.")
    default_code = "unprocessable"


class _Replay(Exception):
    def __init__(self, record: IdempotencyKey):
        self.record = record


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF error details as ``{field: [messages]}``; nested fields become ``field.sub`` / ``field.0``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = "non_field_errors" if key in ("__all__", "non_field_errors") and not prefix else (
                f"{prefix}.{key}" if prefix else str(key))
            for k, v in _flatten(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, (list, tuple)):
        if all(not isinstance(item, (dict, list, tuple)) for item in detail):
            out.setdefault(prefix or "non_field_errors", []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                for k, v in _flatten(item, f"{prefix}.{index}" if prefix else str(index)).items():
                    out.setdefault(k, []).extend(v)
    elif detail is not None and str(detail):
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


def problem(status_code: int, detail: str, *, code: str, errors: dict | None = None, headers=None) -> Response:
    body = {
        "type": f"urn:helpdesk:problem:{code}",
        "title": _title(status_code),
        "status": status_code,
        "detail": str(detail),
    }
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def _title(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def problem_exception_handler(exc, context):
    """Every error of the API as ``application/problem+json``; ``None`` (a 500) only for real bugs."""
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": list(exc.messages)}
        errors = {("non_field_errors" if k == "__all__" else k): [str(m) for m in v] for k, v in errors.items()}
        return problem(400, _("The data is not valid."), code="invalid", errors=errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, IntegrityError):
        exc = Conflict(_("The data conflicts with an existing record (was it sent twice?)."))
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled):
        wait = math.ceil(exc.wait or 1)
        headers["Retry-After"] = str(wait)
        return problem(429, _("Too many requests: retry in %(s)s s.") % {"s": wait}, code="throttled",
                       headers=headers)
    if isinstance(exc, exceptions.ValidationError):
        return problem(400, _("The data is not valid."), code="invalid", errors=_flatten(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        return problem(400, str(exc.detail), code="parse_error", errors={"non_field_errors": [str(exc.detail)]})
    detail = exc.detail if not isinstance(exc.detail, (list, dict)) else json.dumps(exc.detail)
    code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
    return problem(exc.status_code, detail, code=code, headers=headers or None)


# --- pagination, filtering, throttling, idempotency ------------------------------------------------


class ApiCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 100
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page, 1–100 (default 50; larger values give 100)."
    cursor_query_description = "The position returned as `next` or `previous` by the previous page."
    ordering = "id"

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise exceptions.ValidationError({self.cursor_query_param: [str(exc.detail)]}) from exc

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None:
            try:
                value = int(raw)
            except (TypeError, ValueError):
                value = 0
            if value < 1:
                raise exceptions.ValidationError({"page_size": [_("Give a whole number from 1 to 100.")]})
            return min(value, self.max_page_size)
        return self.page_size

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == "page_size":
                param["schema"] = {"type": "integer", "minimum": 1}
        return params


MAX_ID = 2**63 - 1


def is_id(value) -> bool:
    """A row ID the database can compare (huge numbers overflow SQLite's integers)."""
    text = str(value)
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.NumberFilter):
    """A whole-number row ID in a query string."""

    field_class = django_forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


@extend_schema_field({"type": "boolean"})
class BoolFilter(django_filters.Filter):
    """``true`` or ``false``; anything else is a 400."""

    field_class = django_forms.TypedChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", [("true", "true"), ("false", "false")])
        kwargs.setdefault("coerce", lambda value: value == "true")
        kwargs.setdefault("empty_value", None)
        super().__init__(*args, **kwargs)


class StrictFilterSet(django_filters.FilterSet):
    """Filters whose parameter is present but empty (``?organization=``) are a 400, not ignored."""

    def is_valid(self):
        valid = super().is_valid()
        for name, filter_ in self.filters.items():
            if isinstance(filter_, django_filters.CharFilter) or name not in self.data:
                continue
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if any(value in ("", None) for value in values):
                if name not in self.form.errors:
                    self.form.add_error(name, _("Give a value or leave the parameter out."))
                valid = False
        return valid


class UpdatedSinceFilterSet(StrictFilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="Only rows changed at or after this moment (ISO 8601 with an offset): incremental sync.")


def parse_rate(rate: str) -> tuple[int, int]:
    number, _sep, period = rate.partition("/")
    seconds = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}[period.strip().lower()]
    return int(number), seconds


class ApiRateThrottle(BaseThrottle):
    """A fixed window per token (or per staff login) in the shared cache (Redis in production).

    ``settings.API_RATE`` is read on each request, e.g. ``"600/min"``.
    """

    def allow_request(self, request, view):
        limit, period = parse_rate(settings.API_RATE)
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        now = time.time()
        window = int(now // period)
        key = f"api-rate:{ident}:{period}:{window}"
        if cache.add(key, 1, timeout=period + 1):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # Expired between add and incr.
                cache.set(key, 1, timeout=period + 1)
                count = 1
        self._wait = max(1, math.ceil((window + 1) * period - now))
        request._request.api_rate = (limit, max(0, limit - count), self._wait)
        return count <= limit

    def wait(self):
        return self._wait


def _request_hash(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode() + b" " + request.get_full_path().encode() + b"\n")
    digest.update(request._request.body)
    return digest.hexdigest()


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class StrictJSONParser(JSONParser):
    """JSON without NUL characters: PostgreSQL cannot store them in text or jsonb, so they are a 400
    here rather than a database error later."""

    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise exceptions.ParseError(_("Text may not contain NUL characters (\\u0000)."))
        return data


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

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(request._request if hasattr(request, "_request") else request, "idempotency_record", None)
        if record is not None:
            if response.status_code >= 500:
                record.delete()
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


# --- organizations ---------------------------------------------------------------------------------


class OrganizationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Organization ID.")
    name = serializers.CharField(max_length=200, help_text="Company name.")
    external_id = serializers.CharField(max_length=100, allow_null=True, required=False,
                                        help_text="The organization's ID in your CRM; unique in the tenant.")
    tax_id = serializers.CharField(max_length=32, allow_blank=True, required=False, help_text="Tax ID (NIP).")
    notes = serializers.CharField(allow_blank=True, required=False, help_text="Internal notes.")
    plan = serializers.SerializerMethodField(help_text="Code of the plan in force today.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When the organization was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Organization
        fields = ["id", "name", "external_id", "tax_id", "notes", "plan", "created_at", "updated_at"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_plan(self, obj) -> str | None:
        current = getattr(obj, "current_subscriptions", None)
        if current:
            return current[0].plan.code
        return self.context.get("default_plan_code")


class OrganizationFilter(UpdatedSinceFilterSet):
    external_id = django_filters.CharFilter(help_text="The organization's ID in your CRM.")
    name = django_filters.CharFilter(lookup_expr="icontains", help_text="Part of the name.")

    class Meta:
        model = Organization
        fields = ["external_id", "name", "updated_since"]


@transaction.atomic
def organization_update(*, tenant: Tenant, organization: Organization, actor: User | None, **fields) -> Organization:
    allowed = {"name", "external_id", "tax_id", "notes"}
    unknown = set(fields) - allowed
    if unknown:
        raise DjangoValidationError({name: _("Cannot be changed here.") for name in sorted(unknown)})
    if organization.tenant_id != tenant.pk:
        raise DjangoValidationError(_("Unknown organization."))
    changes = {}
    for name, value in fields.items():
        if name == "external_id":
            value = value or None
        if getattr(organization, name) != value:
            changes[name] = [getattr(organization, name), value]
            setattr(organization, name, value)
    if not changes:
        return organization
    organization.full_clean()
    organization.save()
    audit_record(tenant=tenant, actor=actor, action="organization.changed", obj=organization,
                 summary=organization.name, data={"changes": changes})
    return organization


@extend_schema_view(
    list=extend_schema(summary="List organizations", description="Filter with `external_id` or `updated_since`."),
    retrieve=extend_schema(summary="Read an organization"),
    create=extend_schema(summary="Create an organization", examples=[OpenApiExample(
        "New customer", request_only=True,
        value={"name": "Nova Hurt sp. z o.o.", "external_id": "CRM-1042", "tax_id": "5250000002"})]),
    partial_update=extend_schema(summary="Change an organization"),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                          mixins.UpdateModelMixin, ApiViewSet):
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Organization.objects.none()
        from plans.models import Subscription

        today = local_today(self.tenant)
        current = (Subscription.objects.for_tenant(self.tenant).filter(starts_on__lte=today)
                   .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today)).select_related("plan")
                   .order_by("-starts_on"))
        return (Organization.objects.for_tenant(self.tenant)
                .prefetch_related(Prefetch("subscriptions", queryset=current, to_attr="current_subscriptions")))

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False):
            return context
        tenant = self.tenant
        context["default_plan_code"] = tenant.default_plan.code if tenant.default_plan_id else None
        return context

    def perform_create(self, serializer):
        serializer.instance = organization_create(tenant=self.tenant, actor=self.actor, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = organization_update(tenant=self.tenant, organization=serializer.instance,
                                                  actor=self.actor, **serializer.validated_data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        instance = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)


# --- contacts --------------------------------------------------------------------------------------


class TenantPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A foreign key limited to the request's tenant: another tenant's ID is "does not exist"."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all() if model else None)
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        tenant = getattr(request, "tenant", None) if request else None
        if tenant is None:
            return self.model.objects.none()
        return self.model.objects.for_tenant(tenant)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not is_id(data):
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class _AddressList(serializers.ListField):
    """A contact's addresses (a related manager) as a list of strings."""

    def __init__(self, value_attr: str, **kwargs):
        self.value_attr = value_attr
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return [getattr(row, self.value_attr) for row in getattr(instance, self.source).all()]


class ContactSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Contact ID.")
    organization = TenantPrimaryKeyField(Organization, help_text="ID of the contact's organization.")
    name = serializers.CharField(max_length=200, help_text="Full name.")
    emails = _AddressList("email", child=serializers.EmailField(), required=False, max_length=20,
                          help_text="E-mail addresses; each identifies one contact in the tenant.")
    phones = _AddressList("number", child=serializers.CharField(max_length=40), required=False, max_length=20,
                          help_text="Phone numbers, stored as digits with an optional leading +.")
    can_file_tickets = serializers.BooleanField(
        required=False, default=True,
        help_text="Authorised to file tickets; tickets from others wait in triage.")
    has_portal_login = serializers.SerializerMethodField(help_text="Whether the contact can log in to the portal.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When the contact was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change (for `updated_since`).")

    class Meta:
        model = Contact
        fields = ["id", "organization", "name", "emails", "phones", "can_file_tickets", "has_portal_login",
                  "created_at", "updated_at"]

    def get_has_portal_login(self, obj) -> bool:
        return obj.user_id is not None

class ContactUpdateSerializer(ContactSerializer):
    organization = serializers.PrimaryKeyRelatedField(read_only=True, help_text="ID of the contact's organization.")


class ContactFilter(UpdatedSinceFilterSet):
    organization = IdFilter(field_name="organization_id", help_text="Organization ID.")
    email = django_filters.CharFilter(field_name="emails__email", lookup_expr="iexact",
                                      help_text="One of the contact's e-mail addresses.")

    class Meta:
        model = Contact
        fields = ["organization", "email", "updated_since"]


@transaction.atomic
def contact_update(*, tenant: Tenant, contact: Contact, actor: User | None, emails=None, phones=None,
                   **fields) -> Contact:
    allowed = {"name", "can_file_tickets"}
    unknown = set(fields) - allowed
    if unknown:
        raise DjangoValidationError({name: _("Cannot be changed here.") for name in sorted(unknown)})
    if contact.tenant_id != tenant.pk:
        raise DjangoValidationError(_("Unknown contact."))
    for name, value in fields.items():
        setattr(contact, name, value)
    contact.full_clean()
    contact.save()
    if emails is not None or phones is not None:
        contact_set_addresses(
            tenant=tenant, contact=contact,
            emails=emails if emails is not None else list(contact.emails.values_list("email", flat=True)),
            phones=phones if phones is not None else list(contact.phones.values_list("number", flat=True)))
    audit_record(tenant=tenant, actor=actor, action="contact.changed", obj=contact, summary=contact.name,
                 data={k: v for k, v in {**fields, "emails": emails, "phones": phones}.items() if v is not None})
    return contact


@extend_schema_view(
    list=extend_schema(summary="List contacts", description="Filter by `organization`, `email`, `updated_since`."),
    retrieve=extend_schema(summary="Read a contact"),
    create=extend_schema(summary="Create a contact", examples=[OpenApiExample(
        "New contact", request_only=True,
        value={"organization": 12, "name": "Paweł Nowicki", "emails": ["pawel@novahurt.example.com"],
               "phones": ["+48 555 100 201"], "can_file_tickets": True})]),
    partial_update=extend_schema(summary="Change a contact", request=ContactUpdateSerializer,
                                 description="`emails`/`phones` replace the whole list when given."),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, ApiViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Contact.objects.none()
        return Contact.objects.for_tenant(self.tenant).prefetch_related("emails", "phones")

    def get_serializer_class(self):
        return ContactUpdateSerializer if self.action == "partial_update" else ContactSerializer

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = contact_create(
            tenant=self.tenant, organization=data["organization"], name=data["name"], emails=data.get("emails", ()),
            phones=data.get("phones", ()), can_file_tickets=data.get("can_file_tickets", True), actor=self.actor)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        data.pop("organization", None)
        serializer.instance = contact_update(tenant=self.tenant, contact=serializer.instance, actor=self.actor,
                                             **data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        instance = self.get_queryset().get(pk=serializer.instance.pk)
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        response = super().update(request, *args, **kwargs)
        instance = self.get_queryset().get(pk=self.kwargs["pk"])
        response.data = self.get_serializer(instance).data
        return response


# --- webhooks --------------------------------------------------------------------------------------


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Endpoint ID.")
    url = serializers.URLField(max_length=500, help_text="Where events are POSTed (http or https).")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                        help_text="What receives the events.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=webhooks.EVENTS), min_length=1,
                                   max_length=len(webhooks.EVENTS), help_text="Event types sent to this URL.")
    active = serializers.BooleanField(required=False, default=True,
                                      help_text="Inactive endpoints get nothing; set true to re-enable.")
    failure_count = serializers.IntegerField(read_only=True, help_text="Failed attempts in a row.")
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True,
                                            help_text="When it was disabled after failing for over 24 h.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When it was created.")
    updated_at = serializers.DateTimeField(read_only=True, help_text="Last change.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "description", "events", "active", "failure_count", "disabled_at",
                  "created_at", "updated_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text=(
        "Signing secret (`whsec_<base64>`), shown only in this response. Verify `webhook-signature` "
        "= `v1,` + base64(HMAC-SHA256(base64-decoded part after `whsec_`, `{webhook-id}.{webhook-timestamp}.{body}`))."))

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Delivery ID.")
    event_id = serializers.CharField(read_only=True, help_text="The `webhook-id` header: same on every attempt.")
    event_type = serializers.CharField(read_only=True, help_text="Event type, e.g. `ticket.created`.")
    status = serializers.ChoiceField(choices=WebhookDelivery.Status.choices, read_only=True,
                                     help_text="pending (attempts left), succeeded, failed (gave up).")
    attempts = serializers.IntegerField(read_only=True, help_text="Attempts made so far.")
    next_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Next retry, if any.")
    last_status_code = serializers.IntegerField(read_only=True, allow_null=True,
                                                help_text="HTTP status of the last attempt (null: no response).")
    last_error = serializers.CharField(read_only=True, help_text="Why the last attempt failed.")
    request_excerpt = serializers.CharField(read_only=True, help_text="The last request (headers, body start).")
    response_excerpt = serializers.CharField(read_only=True, help_text="The start of the last response body.")
    payload = serializers.JSONField(read_only=True, help_text="The body sent: `{id, type, timestamp, data}`.")
    created_at = serializers.DateTimeField(read_only=True, help_text="When the event happened.")
    last_attempt_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="Last attempt.")
    delivered_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="When it was accepted.")

    class Meta:
        model = WebhookDelivery
        fields = ["id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "last_status_code",
                  "last_error", "request_excerpt", "response_excerpt", "payload", "created_at", "last_attempt_at",
                  "delivered_at"]


class WebhookDeliveryFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=WebhookDelivery.Status.choices, help_text="Delivery status.")
    event_type = django_filters.ChoiceFilter(choices=[(e, e) for e in webhooks.EVENTS], help_text="Event type.")

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type"]


@transaction.atomic
def webhook_create(*, tenant: Tenant, url: str, events: list[str], actor: User | None, description: str = "",
                   active: bool = True) -> tuple[WebhookEndpoint, str]:
    secret = webhooks.secret_generate()
    endpoint = WebhookEndpoint(tenant=tenant, url=url, events=sorted(set(events)), description=description,
                               active=active, secret_encrypted=webhooks.secret_encrypt(secret))
    endpoint.full_clean()
    endpoint.save()
    audit_record(tenant=tenant, actor=actor, action="webhook.created", obj=endpoint, summary=url,
                 data={"events": endpoint.events})
    return endpoint, secret


@transaction.atomic
def webhook_update(*, tenant: Tenant, endpoint: WebhookEndpoint, actor: User | None, **fields) -> WebhookEndpoint:
    if endpoint.tenant_id != tenant.pk:
        raise DjangoValidationError(_("Unknown webhook."))
    if "events" in fields:
        fields["events"] = sorted(set(fields["events"]))
    for name, value in fields.items():
        setattr(endpoint, name, value)
    if fields.get("active"):
        endpoint.disabled_at = None
        endpoint.failure_count = 0
    endpoint.full_clean()
    endpoint.save()
    audit_record(tenant=tenant, actor=actor, action="webhook.changed", obj=endpoint, summary=endpoint.url,
                 data={k: v for k, v in fields.items()})
    return endpoint


@transaction.atomic
def webhook_delete(*, tenant: Tenant, endpoint: WebhookEndpoint, actor: User | None) -> None:
    audit_record(tenant=tenant, actor=actor, action="webhook.deleted", obj=endpoint, summary=endpoint.url)
    endpoint.delete()


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints"),
    retrieve=extend_schema(summary="Read a webhook endpoint"),
    create=extend_schema(summary="Add a webhook endpoint (admin)", responses={201: WebhookEndpointCreatedSerializer},
                         examples=[OpenApiExample("Ticket events", request_only=True, value={
                             "url": "https://crm.example.com/hooks/helpdesk",
                             "events": ["ticket.created", "ticket.updated", "ticket.message_added"]})]),
    partial_update=extend_schema(summary="Change a webhook endpoint (admin)"),
    destroy=extend_schema(summary="Delete a webhook endpoint (admin)"),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                             mixins.UpdateModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsTenantStaff, AdminForWrites]
    filterset_class = None
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return WebhookEndpoint.objects.for_tenant(self.tenant)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhook_create(tenant=self.tenant, actor=self.actor, **serializer.validated_data)
        data = WebhookEndpointCreatedSerializer(endpoint).data
        data["secret"] = secret
        return Response(data, status=status.HTTP_201_CREATED)

    def perform_update(self, serializer):
        serializer.instance = webhook_update(tenant=self.tenant, endpoint=serializer.instance, actor=self.actor,
                                             **serializer.validated_data)

    def perform_destroy(self, instance):
        webhook_delete(tenant=self.tenant, endpoint=instance, actor=self.actor)

    @extend_schema(summary="List the deliveries of an endpoint", responses=WebhookDeliverySerializer(many=True),
                   filters=False, parameters=[
                       OpenApiParameter("status", str, enum=WebhookDelivery.Status.values,
                                        description="Delivery status."),
                       OpenApiParameter("event_type", str, enum=list(webhooks.EVENTS), description="Event type.")])
    @action(detail=True, methods=["get"], serializer_class=WebhookDeliverySerializer, filterset_class=None)
    def deliveries(self, request, pk=None):
        endpoint = self.get_object()
        filterset = WebhookDeliveryFilter(
            request.query_params, queryset=WebhookDelivery.objects.for_tenant(self.tenant).filter(endpoint=endpoint))
        if not filterset.is_valid():
            raise exceptions.ValidationError(filterset.errors)
        queryset = filterset.qs
        page = self.paginate_queryset(queryset.order_by("-id"))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(summary="Send a delivery again now (admin)", request=None,
                   parameters=[OpenApiParameter("delivery_id", int, OpenApiParameter.PATH,
                                                description="Delivery ID.")],
                   responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[^/]+)/redeliver",
            serializer_class=WebhookDeliverySerializer, filterset_class=None, pagination_class=None)
    def redeliver(self, request, pk=None, delivery_id=None):
        endpoint = self.get_object()
        if not is_id(delivery_id):
            raise exceptions.NotFound()
        delivery = self.get_object_or_404(WebhookDelivery.objects.for_tenant(self.tenant).filter(endpoint=endpoint),
                                          pk=delivery_id)
        delivery = webhooks.redeliver(delivery)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


def not_found(request, *args, **kwargs):
    """Unknown paths under ``/api/v1/``: a problem+json 404 like every other API error."""
    from django.http import JsonResponse

    return JsonResponse({"type": "urn:helpdesk:problem:not_found", "title": "Not Found", "status": 404,
                         "detail": _("No such API resource.")}, status=404, content_type=PROBLEM_CONTENT_TYPE)


# --- OpenAPI: declared errors ----------------------------------------------------------------------

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "An error (RFC 9457 problem details).",
    "properties": {
        "type": {"type": "string", "description": "A URN naming the kind of problem.",
                 "example": "urn:helpdesk:problem:invalid"},
        "title": {"type": "string", "description": "The HTTP status phrase.", "example": "Bad Request"},
        "status": {"type": "integer", "description": "The HTTP status code.", "example": 400},
        "detail": {"type": "string", "description": "What went wrong, for people."},
        "errors": {"type": "object", "description": "Validation errors: `{field: [messages]}`.",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
    "required": ["type", "title", "status", "detail"],
}

_ERROR_TEXT = {
    "400": "Invalid input: bad JSON, wrong types, failed validation, bad filter or cursor.",
    "401": "No or unknown/revoked token.",
    "403": "Not allowed: a customer's session, or an agent token where admin is needed.",
    "404": "No such object in your tenant (another tenant's objects are 404 too).",
    "409": "A request with the same Idempotency-Key is still running, or the data conflicts.",
    "422": "The Idempotency-Key was used with a different request body.",
    "429": "Rate limit exceeded: retry after `Retry-After` seconds.",
}


def add_problem_responses(result, generator, request, public):
    """Postprocessing hook: every operation declares its problem+json errors."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/") or path.startswith("/api/v1/schema"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            codes = ["400", "401", "403", "404", "429"]
            if method in ("post", "patch", "put", "delete"):
                codes.append("409")
            if method == "post":
                codes.append("422")
                operation.setdefault("parameters", []).append({
                    "in": "header", "name": "Idempotency-Key", "required": False,
                    "schema": {"type": "string", "maxLength": 255},
                    "description": "Repeat-safe POST: the same key and body within 24 h replays the first "
                                   "response; a different body is a 422; a repeat while the first runs is a 409."})
            responses = operation.setdefault("responses", {})
            for code in codes:
                headers = {}
                if code == "429":
                    headers = {"Retry-After": {"schema": {"type": "integer"},
                                               "description": "Seconds to wait."}}
                if code == "401":
                    headers = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                    "description": "`Bearer realm=\"api\"`."}}
                responses.setdefault(code, {"description": _ERROR_TEXT[code],
                                            "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                                            **({"headers": headers} if headers else {})})
    return result


__all__ = ["ApiViewSet", "api_token_create", "problem_exception_handler"]
