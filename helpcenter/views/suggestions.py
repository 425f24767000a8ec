"""Suggestions for the program's development: list, propose, vote; staff answer and merge."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from helpcenter.forms import MergeForm, SuggestionAnswerForm, SuggestionForm
from helpcenter.models import Suggestion
from helpcenter.selectors import suggestions as selectors
from helpcenter.services import suggestions as services
from helpcenter.views.common import help_page, staff_required, writer_required
from tickets.views.common import error_text, form_service, paginate


@require_GET
@help_page
def suggestion_list(request):
    viewer = request.viewer
    status = request.GET.get("status", "")
    sort = "new" if request.GET.get("sort") == "new" else "votes"
    page = paginate(request, selectors.suggestions(viewer=viewer, status=status, sort=sort))
    return render(request, "helpcenter/suggestion_list.html", {
        "page": page, "suggestions": page.object_list, "status": status, "sort": sort,
        "statuses": Suggestion.Status.choices, "help_section": "suggestions"})


@require_http_methods(["GET", "POST"])
@writer_required
def suggestion_new(request):
    viewer = request.viewer
    form = SuggestionForm(request.POST or None, tenant=viewer.tenant)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        suggestion = form_service(form, lambda: services.suggestion_create(
            tenant=viewer.tenant, viewer=viewer, title=data["title"], body=data["body"], product=data.get("product")))
        if suggestion is not None:
            messages.success(request, _("Thank you for the suggestion. Your vote is already counted."))
            return redirect("help:suggestion", pk=suggestion.pk)
    return render(request, "helpcenter/suggestion_new.html", {"form": form, "help_section": "suggestions"},
                  status=400 if request.method == "POST" else 200)


@require_GET
@help_page
def suggestion_detail(request, pk: int):
    viewer = request.viewer
    suggestion = selectors.suggestion_for(viewer=viewer, pk=pk)
    if suggestion.merged_into_id is not None:
        messages.info(request, _("This suggestion was merged with another one; its votes count there."))
        return redirect("help:suggestion", pk=suggestion.merged_into_id)
    context = {"suggestion": suggestion, "duplicates": selectors.duplicates(suggestion=suggestion),
               "help_section": "suggestions"}
    if viewer.is_staff:
        context["answer_form"] = SuggestionAnswerForm(initial={"status": suggestion.status,
                                                               "answer": suggestion.official_answer})
        context["merge_form"] = MergeForm(queryset=selectors.merge_targets(viewer=viewer, suggestion=suggestion))
    return render(request, "helpcenter/suggestion_detail.html", context)


@require_POST
@writer_required
def vote(request, pk: int):
    viewer = request.viewer
    suggestion = selectors.suggestion_for(viewer=viewer, pk=pk)
    try:
        suggestion = services.suggestion_vote(tenant=viewer.tenant, viewer=viewer, suggestion=suggestion,
                                              vote=request.POST.get("vote") == "1")
    except (ValidationError, PermissionDenied) as error:
        for text in error_text(error) if isinstance(error, ValidationError) else [str(error)]:
            messages.error(request, text)
    if request.htmx:
        suggestion = selectors.suggestion_for(viewer=viewer, pk=suggestion.pk)
        return render(request, "helpcenter/_vote.html", {"suggestion": suggestion})
    return redirect(request.POST.get("next") == "list" and "help:suggestions" or "help:suggestion",
                    **({} if request.POST.get("next") == "list" else {"pk": suggestion.pk}))


@require_POST
@staff_required
def answer(request, pk: int):
    viewer = request.viewer
    suggestion = selectors.suggestion_for(viewer=viewer, pk=pk)
    form = SuggestionAnswerForm(request.POST)
    if form.is_valid():
        services.suggestion_answer(tenant=viewer.tenant, viewer=viewer, suggestion=suggestion,
                                   status=form.cleaned_data["status"], answer=form.cleaned_data["answer"])
        messages.success(request, _("The answer has been saved."))
    else:
        messages.error(request, _("Choose a status."))
    return redirect("help:suggestion", pk=pk)


@require_POST
@staff_required
def merge(request, pk: int):
    viewer = request.viewer
    suggestion = selectors.suggestion_for(viewer=viewer, pk=pk)
    form = MergeForm(request.POST, queryset=selectors.merge_targets(viewer=viewer, suggestion=suggestion))
    if not form.is_valid():
        messages.error(request, _("Choose the suggestion to merge into."))
        return redirect("help:suggestion", pk=pk)
    try:
        into = services.suggestion_merge(tenant=viewer.tenant, viewer=viewer, duplicate=suggestion,
                                         into=form.cleaned_data["into"])
    except ValidationError as error:
        for text in error_text(error):
            messages.error(request, text)
        return redirect("help:suggestion", pk=pk)
    messages.success(request, _("Merged; the votes were moved."))
    return redirect("help:suggestion", pk=into.pk)
