"""The community forum: reading for everyone, writing for the tenant's customers and staff."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpcenter.forms import MoveForm, ReplyForm, ReportForm, TopicForm
from helpcenter.selectors import forum as selectors
from helpcenter.selectors.escalation import escalation_offer
from helpcenter.services import forum as services
from helpcenter.services.escalation import topic_escalate
from helpcenter.views.common import help_page, staff_required, writer_required
from tickets.views.common import error_text, form_service, paginate


def _fail(request, error) -> None:
    for text in error_text(error) if isinstance(error, ValidationError) else [str(error)]:
        messages.error(request, text)


@require_GET
@help_page
def forum_home(request):
    viewer = request.viewer
    state = request.GET.get("state", "")
    page = paginate(request, selectors.topics(viewer=viewer, state=state))
    return render(request, "helpcenter/forum_home.html", {
        "categories": selectors.forum_categories(viewer=viewer), "page": page, "topics": page.object_list,
        "state": state, "help_section": "forum"})


@require_GET
@help_page
def forum_category(request, slug: str):
    viewer = request.viewer
    category = selectors.forum_category(viewer=viewer, slug=slug)
    state = request.GET.get("state", "")
    page = paginate(request, selectors.topics(viewer=viewer, category=category, state=state))
    return render(request, "helpcenter/forum_category.html", {
        "category": category, "page": page, "topics": page.object_list, "state": state, "help_section": "forum"})


@require_http_methods(["GET", "POST"])
@writer_required
def topic_new(request):
    viewer = request.viewer
    if not request.may_post_on_forum:
        raise PermissionDenied(_("Only the support team writes on this forum."))
    form = TopicForm(request.POST or None, tenant=viewer.tenant, initial={"category": request.GET.get("category")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        topic = form_service(form, lambda: services.topic_create(
            tenant=viewer.tenant, viewer=viewer, category=data["category"], title=data["title"], body=data["body"]))
        if topic is not None:
            if topic.held:
                messages.info(request, _("Thank you! Your first post waits for a moderator; it will appear shortly."))
            return redirect("help:topic", pk=topic.pk)
    return render(request, "helpcenter/topic_new.html", {"form": form, "help_section": "forum"},
                  status=400 if request.method == "POST" else 200)


@require_GET
@help_page
def topic(request, pk: int, form=None, status=200):
    viewer = request.viewer
    topic = selectors.topic_for(viewer=viewer, pk=pk)
    posts = list(selectors.topic_posts(viewer=viewer, topic=topic))
    can_reply = request.may_post_on_forum and not topic.hidden and (
        viewer.is_staff or (not topic.locked and not topic.held))
    is_asker = viewer.user is not None and topic.author_user_id == viewer.user.pk
    return render(request, "helpcenter/topic.html", {
        "topic": topic, "posts": posts, "form": form or ReplyForm(), "can_reply": can_reply,
        "is_asker": is_asker, "can_accept": is_asker or viewer.is_staff,
        "subscribed": selectors.is_subscribed(topic=topic, viewer=viewer),
        "move_form": MoveForm(tenant=viewer.tenant, initial={"category": topic.category_id}) if viewer.is_staff
        else None,
        "can_escalate": topic.ticket_id is None and topic.author_contact_id is not None and (
            is_asker or viewer.is_staff),
        "help_section": "forum",
    }, status=status)


@require_POST
@writer_required
def reply(request, pk: int):
    viewer = request.viewer
    topic_obj = selectors.topic_for(viewer=viewer, pk=pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        post = form_service(form, lambda: services.post_add(tenant=viewer.tenant, viewer=viewer, topic=topic_obj,
                                                            body=form.cleaned_data["body"]))
        if post is not None:
            if post.held:
                messages.info(request, _("Thank you! Your first post waits for a moderator; it will appear shortly."))
            return redirect(reverse("help:topic", args=[pk]) + f"#post-{post.pk}")
    return topic(request, pk, form=form, status=400)


@require_http_methods(["GET", "POST"])
@writer_required
def post_edit(request, pk: int):
    viewer = request.viewer
    post = selectors.post_for(viewer=viewer, pk=pk)
    if not (viewer.is_staff or post.author_user_id == viewer.user.pk):
        raise Http404
    form = ReplyForm(request.POST or None, initial={"body": post.body})
    if request.method == "POST" and form.is_valid():
        saved = form_service(form, lambda: services.post_edit(tenant=viewer.tenant, viewer=viewer, post=post,
                                                              body=form.cleaned_data["body"]))
        if saved is not None:
            messages.success(request, _("The post has been changed."))
            return redirect(reverse("help:topic", args=[post.topic_id]) + f"#post-{post.pk}")
    return render(request, "helpcenter/post_edit.html", {"form": form, "post": post, "help_section": "forum"},
                  status=400 if request.method == "POST" else 200)


@require_GET
@help_page
def post_history(request, pk: int):
    viewer = request.viewer
    post = selectors.post_for(viewer=viewer, pk=pk)
    return render(request, "helpcenter/post_history.html", {
        "post": post, "revisions": selectors.post_history(post=post), "help_section": "forum"})


@require_POST
@writer_required
def accept(request, pk: int):
    viewer = request.viewer
    post = selectors.post_for(viewer=viewer, pk=pk)
    try:
        if request.POST.get("undo"):
            services.solution_clear(tenant=viewer.tenant, viewer=viewer, topic=post.topic)
        else:
            services.solution_mark(tenant=viewer.tenant, viewer=viewer, post=post)
            messages.success(request, _("Marked as the solution. Thank you!"))
    except (ValidationError, PermissionDenied) as error:
        _fail(request, error)
    return redirect(reverse("help:topic", args=[post.topic_id]) + f"#post-{post.pk}")


@require_POST
@writer_required
def report(request, pk: int):
    viewer = request.viewer
    post = selectors.post_for(viewer=viewer, pk=pk)
    form = ReportForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    services.post_report(tenant=viewer.tenant, viewer=viewer, post=post, reason=reason)
    messages.success(request, _("Thank you. A moderator will look at this post."))
    return redirect(reverse("help:topic", args=[post.topic_id]) + f"#post-{post.pk}")


@require_POST
@staff_required
def post_moderate(request, pk: int):
    viewer = request.viewer
    post = selectors.post_for(viewer=viewer, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "dismiss":
            services.report_dismiss(tenant=viewer.tenant, viewer=viewer, post=post)
        else:
            services.post_moderate(tenant=viewer.tenant, viewer=viewer, post=post, action=action)
        messages.success(request, _("Done."))
    except ValidationError as error:
        _fail(request, error)
    target = request.POST.get("next")
    if target == "queue":
        return redirect("help:moderation")
    return redirect(reverse("help:topic", args=[post.topic_id]) + f"#post-{post.pk}")


@require_POST
@staff_required
def topic_moderate(request, pk: int):
    viewer = request.viewer
    topic_obj = selectors.topic_for(viewer=viewer, pk=pk)
    action = request.POST.get("action", "")
    category = None
    if action == "move":
        form = MoveForm(request.POST, tenant=viewer.tenant)
        category = form.cleaned_data["category"] if form.is_valid() else None
    try:
        services.topic_moderate(tenant=viewer.tenant, viewer=viewer, topic=topic_obj, action=action,
                                category=category)
        messages.success(request, _("Done."))
    except ValidationError as error:
        _fail(request, error)
    return redirect("help:topic", pk=pk)


@require_POST
@writer_required
def subscribe(request, pk: int):
    viewer = request.viewer
    topic_obj = selectors.topic_for(viewer=viewer, pk=pk)
    on = request.POST.get("subscribe") == "1"
    services.subscription_set(tenant=viewer.tenant, topic=topic_obj, user=viewer.user, subscribed=on)
    messages.success(request, _("You will get an e-mail about new replies.") if on
                     else _("You will no longer get e-mails about this topic."))
    return redirect("help:topic", pk=pk)


@require_http_methods(["GET", "POST"])
@writer_required
def escalate(request, pk: int):
    viewer = request.viewer
    topic_obj = selectors.topic_for(viewer=viewer, pk=pk)
    is_asker = topic_obj.author_user_id == viewer.user.pk
    if not (is_asker or viewer.is_staff) or topic_obj.author_contact_id is None:
        raise Http404
    offer = escalation_offer(tenant=viewer.tenant, contact=topic_obj.author_contact)
    if request.method == "POST" and offer.covered and topic_obj.ticket_id is None:
        try:
            ticket = topic_escalate(tenant=viewer.tenant, viewer=viewer, topic=topic_obj,
                                    topic_url=request.build_absolute_uri(reverse("help:topic", args=[pk])))
        except (ValidationError, PermissionDenied) as error:
            _fail(request, error)
        else:
            messages.success(request, _("Ticket %(ref)s has been filed from this topic.") % {"ref": ticket.reference})
            if viewer.is_customer:
                return redirect("portal:ticket_detail", pk=ticket.pk)
            return redirect("agent:ticket_detail", pk=ticket.pk)
    return render(request, "helpcenter/escalate.html", {"topic": topic_obj, "offer": offer, "help_section": "forum"})


@csrf_exempt
@require_http_methods(["GET", "POST"])
@help_page
def unsubscribe(request, token: str):
    """GET shows a button (mail scanners follow links); POST unsubscribes, also as RFC 8058 one-click."""
    viewer = request.viewer
    subscription = services.subscription_from_token(tenant=viewer.tenant, token=token)
    done = None
    if request.method == "POST":
        done = services.unsubscribe_by_token(tenant=viewer.tenant, token=token)
        if done is None and subscription is None:
            raise Http404
    elif subscription is None:
        raise Http404
    return render(request, "helpcenter/unsubscribe.html", {
        "subscription": subscription, "topic": done or (subscription.topic if subscription else None),
        "done": done is not None, "help_section": "forum"})
