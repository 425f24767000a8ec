"""The help center of a tenant: manuals and how-to articles, the community forum, suggestions, search.

Every model is tenant-owned (``.for_tenant(tenant)``); who may see a row is decided by the
``visible_to(viewer)`` methods of the querysets, so a view cannot forget the scope.
"""
from helpcenter.models.forum import ForumCategory, Post, PostReport, PostRevision, Topic, TopicSubscription
from helpcenter.models.kb import Article, ArticleFeedback, ArticleRevision, HelpCategory, Visibility
from helpcenter.models.settings import HelpCenterSettings
from helpcenter.models.search import DeflectionEvent, SearchEntry, SearchQuery, SearchTerm
from helpcenter.models.suggestions import Suggestion, SuggestionVote
from helpcenter.models.viewer import Viewer

__all__ = [
    "Article", "ArticleFeedback", "ArticleRevision", "DeflectionEvent", "ForumCategory", "HelpCategory",
    "HelpCenterSettings", "Post",
    "PostReport", "PostRevision", "SearchEntry", "SearchQuery", "SearchTerm", "Suggestion", "SuggestionVote",
    "Topic", "TopicSubscription", "Viewer", "Visibility",
]
