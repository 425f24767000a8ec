"""Forms of the help center pages. They validate input; the services hold the rules."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from helpcenter.models import Article, ForumCategory, HelpCategory, Suggestion, Visibility
from helpcenter.models.kb import LANGUAGES
from plans.models import Product

MARKDOWN_HELP = _("Markdown: **bold**, *italics*, `code`, lists, [link](https://…). HTML is shown as text.")


class TopicForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=ForumCategory.objects.none(),
                                      empty_label=_("— choose —"))
    title = forms.CharField(label=_("Title"), max_length=200,
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))
    body = forms.CharField(label=_("Your question"), max_length=20_000, help_text=MARKDOWN_HELP,
                           widget=forms.Textarea(attrs={"rows": 8}))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ForumCategory.objects.for_tenant(tenant)


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), max_length=20_000, help_text=MARKDOWN_HELP,
                           widget=forms.Textarea(attrs={"rows": 6}))


class ReportForm(forms.Form):
    reason = forms.CharField(label=_("What is wrong with this post?"), max_length=300, required=False)


class MoveForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Move to"), queryset=ForumCategory.objects.none())

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ForumCategory.objects.for_tenant(tenant)


class SuggestionForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False,
                                     empty_label=_("— any —"))
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("What do you need and why?"), max_length=20_000, help_text=MARKDOWN_HELP,
                           widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.for_tenant(tenant)
        if self.fields["product"].queryset.count() <= 1:
            del self.fields["product"]


class SuggestionAnswerForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Suggestion.Status.choices)
    answer = forms.CharField(label=_("Official answer"), required=False, max_length=20_000,
                             widget=forms.Textarea(attrs={"rows": 4}), help_text=MARKDOWN_HELP)


class MergeForm(forms.Form):
    into = forms.ModelChoiceField(label=_("Merge into"), queryset=Suggestion.objects.none())

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = queryset


class ArticleForm(forms.Form):
    """The staff editor of a manual section or a how-to article (one language version)."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Article.Kind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.SlugField(label=_("Address (slug)"), max_length=120, required=False,
                           help_text=_("Empty: made from the title."))
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    body = forms.CharField(label=_("Text"), required=False, max_length=100_000, help_text=MARKDOWN_HELP,
                           widget=forms.Textarea(attrs={"rows": 18, "class": "mono"}))
    product = forms.ModelChoiceField(label=_("Product (manual)"), queryset=Product.objects.none(), required=False)
    parent = forms.ModelChoiceField(label=_("Chapter"), queryset=Article.objects.none(), required=False,
                                    empty_label=_("— none: this is a chapter —"))
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=32_000, initial=0)
    category = forms.ModelChoiceField(label=_("Category (how-to)"), queryset=HelpCategory.objects.none(),
                                      required=False)
    visibility = forms.ChoiceField(label=_("Visible to"), choices=Visibility.choices)
    publish_at = forms.DateTimeField(label=_("Publish at"), required=False, input_formats=["%Y-%m-%dT%H:%M"],
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"),
                                     help_text=_("For “Schedule”: the article appears by itself at that time."))
    note = forms.CharField(label=_("What changed"), max_length=200, required=False)

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = Product.objects.for_tenant(tenant).order_by("name")
        self.fields["parent"].queryset = (Article.objects.for_tenant(tenant)
                                          .filter(kind=Article.Kind.MANUAL, parent__isnull=True)
                                          .order_by("product__name", "language", "position"))
        self.fields["category"].queryset = HelpCategory.objects.for_tenant(tenant).order_by("position", "name")
