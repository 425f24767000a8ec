"""``/help/``: the tenant's help center (namespace ``help``)."""
from django.urls import path

from helpcenter.views import deflection, editor, forum, kb, staff, suggestions

app_name = "help"

urlpatterns = [
    path("", kb.home, name="home"),
    path("search/", kb.search_page, name="search"),
    path("manual/<slug:product>/", kb.manual, name="manual"),
    path("manual/<slug:product>/<slug:slug>/", kb.manual_section, name="manual_section"),
    path("kb/<slug:slug>/", kb.category, name="category"),
    path("a/<slug:slug>/", kb.article, name="article"),
    path("a/<int:pk>/feedback/", kb.feedback, name="feedback"),
    path("forum/", forum.forum_home, name="forum"),
    path("forum/new/", forum.topic_new, name="topic_new"),
    path("forum/c/<slug:slug>/", forum.forum_category, name="forum_category"),
    path("forum/t/<int:pk>/", forum.topic, name="topic"),
    path("forum/t/<int:pk>/reply/", forum.reply, name="reply"),
    path("forum/t/<int:pk>/subscribe/", forum.subscribe, name="subscribe"),
    path("forum/t/<int:pk>/moderate/", forum.topic_moderate, name="topic_moderate"),
    path("forum/t/<int:pk>/ticket/", forum.escalate, name="escalate"),
    path("forum/p/<int:pk>/edit/", forum.post_edit, name="post_edit"),
    path("forum/p/<int:pk>/history/", forum.post_history, name="post_history"),
    path("forum/p/<int:pk>/solution/", forum.accept, name="accept"),
    path("forum/p/<int:pk>/report/", forum.report, name="report"),
    path("forum/p/<int:pk>/moderate/", forum.post_moderate, name="post_moderate"),
    path("unsubscribe/<str:token>/", forum.unsubscribe, name="unsubscribe"),
    path("suggestions/", suggestions.suggestion_list, name="suggestions"),
    path("suggestions/new/", suggestions.suggestion_new, name="suggestion_new"),
    path("suggestions/<int:pk>/", suggestions.suggestion_detail, name="suggestion"),
    path("suggestions/<int:pk>/vote/", suggestions.vote, name="vote"),
    path("suggestions/<int:pk>/answer/", suggestions.answer, name="suggestion_answer"),
    path("suggestions/<int:pk>/merge/", suggestions.merge, name="suggestion_merge"),
    path("deflect/", deflection.deflect, name="deflect"),
    path("deflect/solved/", deflection.deflect_solved, name="deflect_solved"),
    path("staff/moderation/", staff.moderation, name="moderation"),
    path("staff/reports/", staff.report_page, name="reports"),
    path("staff/articles/", editor.article_list, name="articles"),
    path("staff/articles/new/", editor.article_new, name="article_new"),
    path("staff/articles/preview/", editor.article_preview, name="article_preview"),
    path("staff/articles/<int:pk>/", editor.article_edit, name="article_edit"),
    path("staff/articles/<int:pk>/revisions/", staff.article_revisions, name="revisions"),
]
