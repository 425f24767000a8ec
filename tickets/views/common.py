"""Access checks and helpers shared by the portal and agent pages."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.middleware.csrf import get_token
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.safestring import mark_safe

from tickets import list_cache
from tickets.models import Attachment

PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 50
SEARCH_COUNT_CAP = 1000
PORTAL_COUNT_CAP = 1000
# Pages past the count cap go on (CappedPaginator), down to this many rows: deeper offsets are slow
# reads nobody pages to (and past the integers the databases take).
MAX_OFFSET = 100_000


def contact_required(view):
    """Customers only: anonymous users go to the login page, everyone else gets a 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "contact", None) is None or request.tenant is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def agent_required(view):
    """Staff of the current tenant only: anonymous users go to the login page, others get a 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "membership", None) is None or request.tenant is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


class CappedPaginator(Paginator):
    """Counts at most ``cap`` + 1 rows: a search matching half of 100 000 tickets is not counted to the
    end on every page (the list shows "more than 1 000", and the agent narrows the search).
    Given ``rows``, the rows of a page are read in two steps (``page``): three queries however long
    the page; else with the page's own query.

    Pages go on past the cap: a page whose count is not known exactly reads one id more than it shows
    to know whether another page follows. ``uncounted``: no count at all (a search with other
    filters whose words match more tickets than the cap: counting them would check the text of every
    candidate ticket); the list says "1–50 of many" until a page ends short, which gives the count."""

    def __init__(self, *args, cap: int, rows=None, count: int | None = None, counted=None,
                 uncounted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.cap = cap
        # The number of rows when the caller knows it already (up to cap + 1): no count query.
        self.known_count = count
        # What the count reads when the list itself would count slowly (the same tickets).
        self.counted = counted
        self.uncounted = uncounted
        # Where the page's rows are read by id: the list without its filters (they chose the ids
        # already; a search's match would be evaluated again), still within the tenant.
        self.rows = rows

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return min(self.known_count, self.cap + 1)
        source = self.counted if self.counted is not None else self.object_list
        return source.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """The total is not known: more rows than the cap, or not counted and not on the last page."""
        if self.uncounted:
            return "count" not in self.__dict__
        return self.count > self.cap

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        if (number - 1) * self.per_page >= MAX_OFFSET:
            raise EmptyPage("That page is past the deepest page read")
        return number

    def page(self, number):
        """The page; given ``rows``, in two steps: the ids in order (a query over the tickets and the
        search alone, which plans fast), then those rows with every join the list uses (by primary
        key). One row more is read where the count does not say whether another page follows."""
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        exact = not self.uncounted and self.count <= self.cap
        if exact and bottom >= self.count and not (number == 1 and self.allow_empty_first_page):
            raise EmptyPage("That page contains no results")
        window = slice(bottom, bottom + self.per_page + (not exact))
        if self.rows is None:  # one step: the rows themselves
            found = list(self.object_list[window])
            ids = [row.pk for row in found]
        else:
            ids = list(self.object_list.values_list("pk", flat=True)[window])
        more = len(ids) > self.per_page
        ids = ids[: self.per_page]
        if not ids and number > 1:
            raise EmptyPage("That page contains no results")
        if self.uncounted and not more:
            self.count = bottom + len(ids)  # the last page: now the count is known
        if self.rows is None:
            return OpenPage(found[: self.per_page], number, self, more=more if not exact else None)
        rows = {row.pk: row for row in self.rows.order_by().filter(pk__in=ids)} if ids else {}
        return OpenPage([rows[pk] for pk in ids if pk in rows], number, self, more=more if not exact else None)

    def get_page(self, number):
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            # Past the last row (an old link): the page holding the last row, counted for it.
            self.uncounted = False
            self.__dict__.pop("count", None)
            return self.page(max(1, -(-min(self.count, self.cap) // self.per_page)))


class OpenPage(Page):
    """A page that knows whether another follows without the total (``more``; None: from the count)."""

    def __init__(self, *args, more: bool | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.more = more

    def has_next(self) -> bool:
        return self.more if self.more is not None else super().has_next()

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1 if self.object_list else 0

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


# What a cached page carries instead of the request's CSRF token (``with_csrf_token``), in the two
# places the templates put a token: a form's hidden field and the body's HTMX headers. The template
# escapes it, and quotes a user's text cannot close an attribute with, so only these places match.
CSRF_PLACEHOLDER = "<csrf-token>"
_PLACED = escape(CSRF_PLACEHOLDER)
_CSRF_PLACES = ('name="csrfmiddlewaretoken" value="{}"', '"X-CSRFToken": "{}"}}\'')


def with_csrf_token(request, html: str) -> str:
    """``html`` rendered with ``CSRF_PLACEHOLDER`` as its CSRF token, given the request's own token."""
    if _PLACED not in html:
        return mark_safe(html)
    token = get_token(request)
    for place in _CSRF_PLACES:
        html = html.replace(place.format(_PLACED), place.format(token))
    return mark_safe(html)


def cached_page(request, tenant_id: int, kind: str, key: tuple, page) -> HttpResponse:
    """The response of a list page whose HTML ``page()`` renders with ``CSRF_PLACEHOLDER`` as its
    token, cached under ``kind`` and ``key`` (which holds the minute) until the tenant's lists change
    (``tickets.list_cache``), the request's own CSRF token put in. A request with messages to show
    renders the page anew (the messages are its own)."""
    if len(get_messages(request)):
        html = page()
    else:
        html = list_cache.cached(tenant_id, kind, key, page, timeout=list_cache.MINUTE_TIMEOUT)
    return HttpResponse(with_csrf_token(request, html))


def paginate(request, queryset, *, count_cap: int | None = None, rows=None, count: int | None = None,
             counted=None, uncounted: bool = False):
    try:
        size = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        size = DEFAULT_PAGE_SIZE
    if size not in PAGE_SIZES:
        size = DEFAULT_PAGE_SIZE
    paginator = (CappedPaginator(queryset, size, cap=count_cap, rows=rows, count=count, counted=counted,
                                 uncounted=uncounted) if count_cap
                 else Paginator(queryset, size))
    return paginator.get_page(request.GET.get("page"))


def attachment_response(attachment: Attachment) -> FileResponse:
    """Stream a stored file as a download; never rendered inline, never sniffed."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.filename,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def thumbnail_response(attachment: Attachment) -> HttpResponse:
    """The attachment's thumbnail (``tickets.thumbnails``) as a PNG, or a 404 when it has none."""
    from tickets.thumbnails import thumbnail_png

    data = thumbnail_png(attachment)
    if data is None:
        raise Http404
    response = HttpResponse(data, content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def form_service(form, action):
    """Run the service behind a valid form: its result, or ``None`` with the service's
    ValidationError messages added to the form, so the page shows them instead of failing."""
    try:
        return action()
    except ValidationError as error:
        for message in error_text(error):
            form.add_error(None, message)
        return None


def error_text(error) -> list[str]:
    """Messages of a ValidationError as a flat list (field errors included)."""
    if hasattr(error, "message_dict"):
        return [message for messages in error.message_dict.values() for message in messages]
    return list(error.messages)
