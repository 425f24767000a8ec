"""REST API of the help center: articles (read), forum topics and suggestions (read and write).

Callers: a tenant API token (acts as staff: sees internal articles, moderates), a staff member's
session, or a customer's session (sees what the customer sees on the pages, writes as the customer).
Every query is scoped to the request's tenant and to what the caller may see.
"""
from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response

from core.models import ApiToken, Membership
from core.rest.filters import BoolFilter, StrictFilterSet
from core.rest.fields import TenantSlugField
from core.rest.viewsets import ApiViewSet
from helpcenter.models import Article, ForumCategory, Post, Suggestion, Topic, Viewer
from helpcenter.services import forum, suggestions
from plans.models import Product


class StaffOrCustomer(BasePermission):
    """A token, or the session of a staff member or a customer of the request's tenant."""

    message = "The help center API is for this helpdesk's staff and customers."

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiToken):
            return True
        if not request.user or not request.user.is_authenticated or getattr(request, "tenant", None) is None:
            return False
        return getattr(request, "membership", None) is not None or getattr(request, "contact", None) is not None


class HelpViewSet(ApiViewSet):
    permission_classes = [StaffOrCustomer]

    @property
    def viewer(self) -> Viewer:
        request = self.request
        if isinstance(request.auth, ApiToken):
            user = self.actor
            membership = (Membership.objects.for_tenant(self.tenant).filter(user=user).first()
                          if user is not None else None)
            return Viewer(tenant=self.tenant, user=user, membership=membership, token_staff=True)
        return Viewer(tenant=self.tenant, user=self.actor, contact=getattr(request, "contact", None),
                      membership=getattr(request, "membership", None))

    def writer(self) -> Viewer:
        viewer = self.viewer
        if viewer.user is None:
            raise DjangoValidationError({"non_field_errors": [
                _("This token has no staff member to write as; create it as a staff member.")]})
        return viewer


class ArticleSerializer(serializers.ModelSerializer):
    product = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="Product code (manuals).")
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Category slug (how-to).")
    chapter = serializers.PrimaryKeyRelatedField(source="parent", read_only=True,
                                                 help_text="Chapter (article ID) of a manual section.")
    body = serializers.CharField(read_only=True, help_text="Text in Markdown.")
    body_html = serializers.CharField(read_only=True, help_text="Text as sanitised HTML.")

    class Meta:
        model = Article
        fields = ["id", "kind", "language", "translation_key", "slug", "title", "summary", "body", "body_html",
                  "product", "chapter", "position", "category", "visibility", "status", "publish_at",
                  "helpful_yes", "helpful_no", "updated_at"]
        read_only_fields = fields


class ArticleFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=Article.Kind.choices, help_text="manual or howto.")
    language = django_filters.CharFilter(help_text="pl or en.")
    product = django_filters.CharFilter(field_name="product__code", help_text="Product code.")

    class Meta:
        model = Article
        fields = ["kind", "language", "product"]


@extend_schema_view(list=extend_schema(summary="List help center articles"),
                    retrieve=extend_schema(summary="Read an article"))
class ArticleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, HelpViewSet):
    serializer_class = ArticleSerializer
    filterset_class = ArticleFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Article.objects.none()
        return Article.objects.visible_to(self.viewer).select_related("product", "category")


class PostSerializer(serializers.ModelSerializer):
    body = serializers.CharField(max_length=20_000, help_text="Text in Markdown.")
    body_html = serializers.CharField(read_only=True, help_text="Text as sanitised HTML.")

    class Meta:
        model = Post
        fields = ["id", "author_name", "from_staff", "is_first", "body", "body_html", "held", "hidden", "created_at",
                  "edited_at"]
        read_only_fields = ["id", "author_name", "from_staff", "is_first", "body_html", "held", "hidden",
                            "created_at", "edited_at"]


class TopicSerializer(serializers.ModelSerializer):
    category = TenantSlugField(ForumCategory, slug_field="slug", help_text="Forum category slug.")
    solved = serializers.BooleanField(source="is_solved", read_only=True, help_text="A reply was accepted.")
    solution = serializers.PrimaryKeyRelatedField(read_only=True, help_text="The accepted post's ID.")
    ticket = serializers.PrimaryKeyRelatedField(read_only=True, help_text="Ticket ID when escalated.")
    body = serializers.CharField(write_only=True, max_length=20_000, help_text="The question (Markdown).")

    class Meta:
        model = Topic
        fields = ["id", "category", "title", "body", "author_name", "solved", "solution", "pinned", "locked",
                  "held", "reply_count", "ticket", "created_at", "last_activity_at"]
        read_only_fields = ["id", "author_name", "solved", "solution", "pinned", "locked", "held", "reply_count",
                            "ticket", "created_at", "last_activity_at"]


class TopicFilter(StrictFilterSet):
    category = django_filters.CharFilter(field_name="category__slug", help_text="Category slug.")
    solved = BoolFilter(field_name="solution", lookup_expr="isnull", exclude=True,
                        help_text="Solved topics only (true) or unsolved (false).")

    class Meta:
        model = Topic
        fields = ["category", "solved"]


@extend_schema_view(list=extend_schema(summary="List forum topics"), retrieve=extend_schema(summary="Read a topic"),
                    create=extend_schema(summary="Ask a question (a new topic)"))
class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, HelpViewSet):
    serializer_class = TopicSerializer
    filterset_class = TopicFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Topic.objects.none()
        return Topic.objects.visible_to(self.viewer).select_related("category")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        topic = forum.topic_create(tenant=self.tenant, viewer=self.writer(), category=data["category"],
                                   title=data["title"], body=data["body"])
        return Response(TopicSerializer(topic, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], summary="List the posts of a topic", responses=PostSerializer(many=True),
                   filters=False)
    @extend_schema(methods=["post"], summary="Reply to a topic", request=PostSerializer,
                   responses={201: PostSerializer})
    @action(detail=True, methods=["get", "post"], serializer_class=PostSerializer, filterset_class=None)
    def posts(self, request, pk=None):
        topic = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(Post.objects.visible_to(self.viewer).filter(topic=topic))
            return self.get_paginated_response(PostSerializer(page, many=True).data)
        serializer = PostSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        post = forum.post_add(tenant=self.tenant, viewer=self.writer(), topic=topic,
                              body=serializer.validated_data["body"])
        return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)


class SuggestionSerializer(serializers.ModelSerializer):
    product = TenantSlugField(Product, allow_null=True, required=False, help_text="Product code.")
    body = serializers.CharField(max_length=20_000, help_text="Description (Markdown).")
    body_html = serializers.CharField(read_only=True, help_text="Description as sanitised HTML.")
    official_answer_html = serializers.CharField(read_only=True, help_text="The staff's answer as HTML.")
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True,
                                                     help_text="Set on a merged duplicate.")

    class Meta:
        model = Suggestion
        fields = ["id", "product", "title", "body", "body_html", "author_name", "status", "official_answer",
                  "official_answer_html", "vote_count", "merged_into", "created_at"]
        read_only_fields = ["id", "body_html", "author_name", "status", "official_answer", "official_answer_html",
                            "vote_count", "merged_into", "created_at"]


class SuggestionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Suggestion.Status.choices, help_text="New status.")
    official_answer = serializers.CharField(required=False, allow_blank=True, max_length=20_000,
                                            help_text="Official answer (Markdown).")


class SuggestionFilter(StrictFilterSet):
    status = django_filters.ChoiceFilter(choices=Suggestion.Status.choices, help_text="Status.")

    class Meta:
        model = Suggestion
        fields = ["status"]


@extend_schema_view(list=extend_schema(summary="List suggestions"), retrieve=extend_schema(summary="Read a suggestion"),
                    create=extend_schema(summary="Suggest an improvement (the author's vote is counted)"),
                    partial_update=extend_schema(summary="Set the status and the official answer (staff)",
                                                 request=SuggestionStatusSerializer))
class SuggestionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, HelpViewSet):
    serializer_class = SuggestionSerializer
    filterset_class = SuggestionFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Suggestion.objects.none()
        return Suggestion.objects.for_tenant(self.tenant).select_related("product")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        suggestion = suggestions.suggestion_create(tenant=self.tenant, viewer=self.writer(), title=data["title"],
                                                   body=data["body"], product=data.get("product"))
        return Response(SuggestionSerializer(suggestion, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        suggestion = self.get_object()
        change = SuggestionStatusSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        data = change.validated_data
        suggestion = suggestions.suggestion_answer(tenant=self.tenant, viewer=self.writer(), suggestion=suggestion,
                                                   status=data["status"], answer=data.get("official_answer"))
        return Response(SuggestionSerializer(suggestion).data)

    @extend_schema(methods=["post"], summary="Vote for a suggestion", request=None,
                   responses={200: SuggestionSerializer})
    @extend_schema(methods=["delete"], summary="Withdraw the vote", request=None,
                   responses={200: SuggestionSerializer})
    @action(detail=True, methods=["post", "delete"], filterset_class=None)
    def vote(self, request, pk=None):
        suggestion = self.get_object()
        suggestion = suggestions.suggestion_vote(tenant=self.tenant, viewer=self.writer(), suggestion=suggestion,
                                                 vote=request.method == "POST")
        return Response(SuggestionSerializer(suggestion).data)
