"""Forms of the portal and the agent workspace. They validate input; the services hold the rules."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from plans.models import Product
from tickets.attachments import MAX_BYTES, CheckedFile, attachment_check
from tickets.models import Category, Ticket

MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files at once, each checked by ``attachment_check``; returns CheckedFile objects."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        files = [f for f in files if f]
        if len(files) > MAX_FILES:
            raise ValidationError(_("Attach at most %(n)s files at once.") % {"n": MAX_FILES})
        checked: list[CheckedFile] = []
        errors: list[ValidationError] = []
        for upload in files:
            if upload.size > MAX_BYTES:
                # Do not read a huge file into memory only to reject it.
                try:
                    attachment_check(upload.name, b"x" * (MAX_BYTES + 1))
                except ValidationError as error:
                    errors.append(error)
                continue
            try:
                checked.append(attachment_check(upload.name, upload.read()))
            except ValidationError as error:
                errors.append(error)
        if errors:
            raise ValidationError(errors)
        return checked


def attachments_help() -> str:
    return _("Up to %(n)s files, %(mb)s MB each: PDF, images, office documents, text, logs, ZIP.") % {
        "n": MAX_FILES, "mb": MAX_BYTES // 1048576}


class TicketFileForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(),
                                      empty_label=_("— choose —"))
    product = forms.ModelChoiceField(label=_("Product"), queryset=Product.objects.none(), required=False,
                                     empty_label=_("— choose —"))
    subject = forms.CharField(label=_("Subject"), max_length=250,
                              widget=forms.TextInput(attrs={"autocomplete": "off"}))
    body = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 8}),
                           help_text=_("What happened, what you expected, and the steps to repeat it."))
    critical = forms.BooleanField(label=_("Critical failure"), required=False,
                                  help_text=_("Tick only if work has stopped, e.g. the program cannot be used on "
                                              "any workstation."))
    critical_reason = forms.CharField(label=_("Why is it critical?"), max_length=300, required=False,
                                      widget=forms.TextInput(attrs={"autocomplete": "off"}))
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.for_tenant(tenant).filter(active=True).order_by(
            "position", "name")
        products = Product.objects.for_tenant(tenant).order_by("name")
        if products.exists():
            self.fields["product"].queryset = products
        else:
            del self.fields["product"]
        self.fields["attachments"].help_text = attachments_help()

    def clean(self):
        data = super().clean()
        if data.get("critical") and not (data.get("critical_reason") or "").strip():
            self.add_error("critical_reason", _("Explain in a few words why work has stopped."))
        return data

    def description(self) -> str:
        """The description as stored: the reason for the critical flag goes on top, nothing is lost."""
        body = self.cleaned_data["body"]
        reason = (self.cleaned_data.get("critical_reason") or "").strip()
        if self.cleaned_data.get("critical") and reason:
            return f"{_('Critical failure')}: {reason}\n\n{body}"
        return body


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = AttachmentsField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = attachments_help()


class AgentMessageForm(forms.Form):
    KIND_REPLY = "reply"
    KIND_NOTE = "note"

    kind = forms.ChoiceField(label=_("Type"), choices=[(KIND_REPLY, _("Public reply")),
                                                        (KIND_NOTE, _("Internal note"))],
                             initial=KIND_REPLY, widget=forms.RadioSelect)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 7}))
    new_status = forms.ChoiceField(label=_("Then set status"), required=False)
    attachments = AttachmentsField(label=_("Attachments"))
    # The last message the agent saw when the page opened, and "send anyway" after the warning that
    # someone else wrote since (tickets.views.agent.ticket_message).
    seen = forms.IntegerField(required=False, min_value=0, max_value=2**63 - 1, widget=forms.HiddenInput)
    send_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, ticket: Ticket, transitions: dict, last_message_id: int | None = None, **kwargs):
        """``last_message_id``: the ticket's newest message id when the caller has the thread already."""
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            last = (last_message_id if last_message_id is not None
                    else ticket.messages.order_by("-id").values_list("id", flat=True).first())
            self.initial.setdefault("seen", last or 0)
        allowed = sorted(transitions.get(ticket.status, ()), key=Ticket.Status.values.index)
        self.fields["new_status"].choices = [("", _("— unchanged —"))] + [
            (value, Ticket.Status(value).label) for value in allowed if value != Ticket.Status.NEW]
        self.fields["attachments"].help_text = attachments_help()


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"))

    def __init__(self, *args, ticket: Ticket, transitions: dict, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = sorted(transitions.get(ticket.status, ()), key=Ticket.Status.values.index)
        self.fields["status"].choices = [("", _("— choose —"))] + [
            (value, Ticket.Status(value).label) for value in allowed]


def _assignee_choices(form: forms.Form, tenant) -> None:
    """The "assignee" field of ``form``: the tenant's assignable staff, by name. An unbound form only
    shows them: the cached names (a bound form checks the choice against the rows)."""
    from tickets.selectors import agent_choices, agents

    field = form.fields["assignee"]
    field.queryset = agents(tenant=tenant)
    field.label_from_instance = lambda m: m.user.get_full_name() or m.user.get_username()
    if not form.is_bound:
        field.choices = [("", field.empty_label), *agent_choices(tenant=tenant)]


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False,
                                      empty_label=_("— nobody —"))

    def __init__(self, *args, tenant, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        _assignee_choices(self, tenant)


class TriageAcceptForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organization"), queryset=None, required=False,
                                          empty_label=_("— choose —"))
    contact = forms.ModelChoiceField(label=_("Contact"), queryset=None, required=False,
                                     empty_label=_("— none —"))

    def __init__(self, *args, tenant, **kwargs):
        super().__init__(*args, **kwargs)
        from tickets.selectors import organizations, triage_contacts

        self.fields["organization"].queryset = organizations(tenant=tenant)
        self.fields["contact"].queryset = triage_contacts(tenant=tenant)
        self.fields["contact"].label_from_instance = lambda c: f"{c.name} ({c.organization.name})"

    def clean(self):
        data = super().clean()
        organization, contact = data.get("organization"), data.get("contact")
        if organization and contact and contact.organization_id != organization.pk:
            self.add_error("contact", _("The contact belongs to another organization."))
        return data


class BulkForm(forms.Form):
    """The queue's bulk action: which tickets, what to do, and the one value the action needs."""

    ACTIONS = [("assign", _("Assign to")), ("status", _("Set status")), ("category", _("Set category")),
               ("close", _("Close with a canned reply")), ("merge", _("Merge into another ticket"))]

    ids = forms.TypedMultipleChoiceField(label=_("Tickets"), coerce=int, choices=())
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=None, required=False,
                                      empty_label=_("— nobody —"), widget=forms.Select(attrs={"id": "bulk-assignee"}))
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("— choose —"))] + list(Ticket.Status.choices),
                               widget=forms.Select(attrs={"id": "bulk-status"}))
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False,
                                      empty_label=_("— choose —"), widget=forms.Select(attrs={"id": "bulk-category"}))
    canned = forms.ModelChoiceField(label=_("Canned reply"), queryset=None, required=False,
                                    empty_label=_("— choose —"), widget=forms.Select(attrs={"id": "bulk-canned"}))
    target = forms.CharField(label=_("Merge into"), required=False, max_length=40,
                             widget=forms.TextInput(attrs={"id": "bulk-target", "autocomplete": "off"}))

    def __init__(self, *args, tenant, membership=None, **kwargs):
        super().__init__(*args, **kwargs)
        from tickets.selectors import canned_replies

        # Only ever bound (the queue page shows ``choices_for_page``): the submitted choices are checked
        # against the rows.
        self.tenant = tenant
        _assignee_choices(self, tenant)
        self.fields["category"].queryset = Category.objects.for_tenant(tenant).filter(active=True).order_by(
            "position", "name")
        self.fields["canned"].queryset = canned_replies(tenant=tenant, membership=membership)

    @classmethod
    def choices_for_page(cls, *, tenant, membership) -> dict:
        """What the queue page shows of the form, without building it (fields, querysets): the choices
        of its selects from the page cache and the merge field's placeholder."""
        from tickets.selectors import agent_choices, canned_replies_for_page, queue_choices_for_page

        choose = ("", _("— choose —"))
        return {
            "action": cls.ACTIONS,
            "assignee": [("", _("— nobody —")), *agent_choices(tenant=tenant)],
            "status": cls.base_fields["status"].choices,
            "category": [choose, *queue_choices_for_page(tenant=tenant)["categories"]],
            "canned": [choose, *((reply.pk, str(reply)) for reply in
                                 canned_replies_for_page(tenant=tenant, membership=membership))],
            "target_placeholder": _("e.g. %(example)s") % {
                "example": f"{tenant.ticket_prefix}-1005" if tenant.ticket_prefix else "1005"},
        }

    def full_clean(self):
        # Any positive row id is accepted here; the service reports one that is not the tenant's.
        ids = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        self.fields["ids"].choices = [(v, v) for v in ids if str(v).isdigit() and 0 < int(v) < 2**63]
        super().full_clean()

    def clean(self):
        data = super().clean()
        if len(data.get("ids") or []) > 100:
            self.add_error("ids", _("Choose at most 100 tickets at once."))
        action = data.get("action")
        if action == "status" and not data.get("status"):
            self.add_error("status", _("Choose the status."))
        if action == "category" and not data.get("category"):
            self.add_error("category", _("Choose the category."))
        if action == "close" and not data.get("canned"):
            self.add_error("canned", _("Choose the canned reply to send."))
        if action == "merge":
            data["target_ticket"] = self._target_ticket(data.get("target") or "")
        return data

    def _target_ticket(self, text: str):
        """The tenant's ticket the merge goes into, named by its reference ("KJM-1005", "#1005", "1005")."""
        from tickets.search import reference_number

        if not text.strip():
            self.add_error("target", _("Give the reference of the ticket to merge into."))
            return None
        number = reference_number(text, self.tenant.ticket_prefix)
        ticket = (Ticket.objects.for_tenant(self.tenant).select_related("tenant").filter(number=number).first()
                  if number is not None and number < 2**63 else None)
        if ticket is None:
            self.add_error("target", _("There is no ticket %(ref)s.") % {"ref": text.strip()})
        return ticket
