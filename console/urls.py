from django.urls import path

from console.views import (audit, calendars, canned, catalogue, email_templates, helpcenter, home, integrations,
                           mailboxes, plans, security, subscriptions, team)

app_name = "console"

urlpatterns = [
    path("", home.index, name="index"),
    path("plans/", plans.plan_list, name="plan_list"),
    path("plans/<int:pk>/terms/", plans.plan_terms_edit, name="plan_terms_edit"),
    path("plans/<int:pk>/history/", plans.plan_history, name="plan_history"),
    path("calendars/", calendars.calendar_list, name="calendar_list"),
    path("calendars/<int:pk>/", calendars.calendar_edit, name="calendar_edit"),
    path("catalogue/", catalogue.catalogue, name="catalogue"),
    path("catalogue/categories/<int:pk>/", catalogue.category_edit, name="category_edit"),
    path("catalogue/products/<int:pk>/", catalogue.product_edit, name="product_edit"),
    path("team/", team.team, name="team"),
    path("team/<int:pk>/role/", team.member_role, name="member_role"),
    path("team/<int:pk>/deactivate/", team.member_deactivate, name="member_deactivate"),
    path("security/", security.security, name="security"),
    path("api-tokens/", integrations.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", integrations.api_token_revoke_view, name="api_token_revoke"),
    path("webhooks/", integrations.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/", integrations.webhook_detail, name="webhook_detail"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("mailboxes/", mailboxes.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", mailboxes.mailbox_new, name="mailbox_new"),
    path("mailboxes/<int:pk>/", mailboxes.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", mailboxes.mailbox_test, name="mailbox_test"),
    path("mailboxes/<int:pk>/active/", mailboxes.mailbox_active, name="mailbox_active"),
    path("canned-replies/", canned.canned_list, name="canned_list"),
    path("canned-replies/new/", canned.canned_new, name="canned_new"),
    path("canned-replies/<int:pk>/", canned.canned_edit, name="canned_edit"),
    path("canned-replies/<int:pk>/delete/", canned.canned_delete, name="canned_delete"),
    path("email-templates/", email_templates.email_template_list, name="email_template_list"),
    path("email-templates/edit/", email_templates.email_template_edit, name="email_template_edit"),
    path("help-center/", helpcenter.help_center, name="help_center"),
    path("subscriptions/", subscriptions.subscription_list, name="subscription_list"),
    path("subscriptions/<int:pk>/", subscriptions.subscription_edit, name="subscription_edit"),
    path("packages/", subscriptions.package_list, name="package_list"),
]

# Pages of one's own login (any staff member), mounted at /account/ as "account:".
account_patterns = [
    path("second-factor/", security.second_factor, name="second_factor"),
    path("second-factor/verify/", security.second_factor_verify, name="second_factor_verify"),
]
