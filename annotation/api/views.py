"""The annotation API: claim, renew, release, skip, submit, clips, the annotator's slots and stats."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.api.serializers import LabelSubmitSerializer, SlotSerializer
from annotation.models import AnnotationSlot
from annotation.selectors import annotator_stats, annotators_overview, slots_of
from annotation.services.claims import slot_check_held, slot_claim_next, slot_held, slot_release, slot_renew
from annotation.services.labels import label_submit
from jwo_review.accounts.permissions import roles_permission
from jwo_review.accounts.roles import Role, has_role
from jwo_review.api import validated
from jwo_review.errors import InvalidInput, NotFound
from jwo_review.store.api.clips import ClipStatusBaseView
from jwo_review.store.api.serializers import ClipRequestSerializer, ClipSerializer
from jwo_review.store.models import Clip
from jwo_review.store.services.clips import interaction_clips_request

Annotators = roles_permission(Role.ANNOTATOR, Role.ADMIN)


def _slot_out(slot_id: int) -> Response:
    return Response(SlotSerializer(AnnotationSlot.objects.select_related("task__visit__store").get(pk=slot_id)).data)


class ClaimView(APIView):
    permission_classes = [Annotators]

    @extend_schema(
        summary="Claim your next annotation task",
        description="The slot you hold, or the next one under a lease (gold tasks are mixed in at the admin's "
        "rate). 204 when there is nothing for you.",
        request=None,
        responses={200: SlotSerializer, 204: OpenApiResponse(description="Nothing to annotate.")},
    )
    def post(self, request: Request) -> Response:
        slot = slot_held(user=request.user) or slot_claim_next(user=request.user)
        if slot is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _slot_out(slot.pk)


class SlotListView(APIView):
    permission_classes = [Annotators]

    @extend_schema(
        summary="Your annotation slots",
        parameters=[OpenApiParameter("status", str, enum=["pending", "claimed", "done"], required=False)],
        responses=SlotSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status") or None
        if wanted not in (None, "claimed", "done"):
            raise InvalidInput("Invalid status.", fields={"status": ["claimed or done."]})
        return Response(SlotSerializer(slots_of(user=request.user, status=wanted)[:200], many=True).data)


class RenewView(APIView):
    permission_classes = [Annotators]

    @extend_schema(summary="Renew your lease", request=None, responses=SlotSerializer)
    def post(self, request: Request, slot_id: int) -> Response:
        return _slot_out(slot_renew(slot_id=slot_id, user=request.user).pk)


class ReleaseView(APIView):
    permission_classes = [Annotators]
    skip = False

    @extend_schema(summary="Give the task back", request=None, responses={204: None})
    def post(self, request: Request, slot_id: int) -> Response:
        slot_release(slot_id=slot_id, user=request.user, skip=self.skip)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SkipView(ReleaseView):
    skip = True

    @extend_schema(summary="Skip the task (not handed to you again)", request=None, responses={204: None})
    def post(self, request: Request, slot_id: int) -> Response:
        return super().post(request, slot_id)


class SubmitView(APIView):
    permission_classes = [Annotators]

    @extend_schema(
        summary="Submit your labels",
        description="One entry per event the task asks about (accept the auto-label or change it) and any "
        "interaction the scale missed. 400 with field details, nothing saved, when invalid; 409 without the lease.",
        request=LabelSubmitSerializer,
        responses={201: SlotSerializer},
    )
    def post(self, request: Request, slot_id: int) -> Response:
        data = validated(LabelSubmitSerializer, request.data)
        label = label_submit(
            slot_id=slot_id,
            user=request.user,
            events=[dict(e) for e in data["events"]],
            added=[dict(a) for a in data["added"]],
        )
        response = _slot_out(label.slot_id)
        response.status_code = status.HTTP_201_CREATED
        return response


class SlotClipsView(APIView):
    permission_classes = [Annotators]

    @extend_schema(
        summary="Request the multi-view clips of one event (or a moment) of your task",
        request=ClipRequestSerializer,
        responses=ClipSerializer(many=True),
    )
    def post(self, request: Request, slot_id: int) -> Response:
        data = validated(ClipRequestSerializer, request.data)
        slot = AnnotationSlot.objects.select_related("task__visit").filter(pk=slot_id).first()
        if slot is None:
            raise NotFound("No such annotation slot.")
        if not has_role(request.user, Role.ADMIN):
            slot = slot_check_held(slot, request.user)
        visit = slot.task.visit
        clips = interaction_clips_request(visit=visit, seq=data.get("event"), t=data.get("t"))
        fresh = Clip.objects.select_related("camera").filter(pk__in=[c.pk for c in clips]).order_by("camera__code")
        return Response(ClipSerializer(fresh, many=True).data)


class ClipStatusView(ClipStatusBaseView):
    permission_classes = [Annotators]


class StatsView(APIView):
    permission_classes = [Annotators]

    @extend_schema(
        summary="Your annotation numbers (admins: anyone's, or everyone's overview)",
        parameters=[OpenApiParameter("annotator", str, required=False, description="Username (admins).")],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        name = request.query_params.get("annotator")
        if name is None:
            stats = annotator_stats(user_id=request.user.pk)
            if has_role(request.user, Role.ADMIN):
                stats["annotators"] = annotators_overview()
            return Response(stats)
        if not has_role(request.user, Role.ADMIN) and name != request.user.get_username():
            raise NotFound("No such annotator.")
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise NotFound("No such annotator.")
        return Response(annotator_stats(user_id=user.pk))
