"""The queue API: claim, renew, release, skip, submit, clips, stats, disputes, policy."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jwo_review.accounts.permissions import is_store_client, roles_permission
from jwo_review.accounts.roles import Role
from jwo_review.api import validated
from jwo_review.errors import InvalidInput, NotFound
from jwo_review.store.api.clips import ClipStatusBaseView
from jwo_review.store.api.serializers import ClipRenderSerializer, ClipRequestSerializer, ClipSerializer
from jwo_review.store.models import Clip, Store, Visit
from jwo_review.store.services.receipts import LineSpec
from low_confidence_queue.api.serializers import (
    DisputeSerializer,
    PolicySerializer,
    ReviewTaskSerializer,
    StoreThresholdSerializer,
    SubmitSerializer,
)
from low_confidence_queue.models import ReviewTask
from low_confidence_queue.selectors import queue_stats, task_peek_next
from low_confidence_queue.services.claims import lease_renew, task_claim_next, task_held, task_release
from low_confidence_queue.services.clips import task_clips
from low_confidence_queue.services.decisions import task_submit, visit_dispute
from low_confidence_queue.services.policy import policies_all, policy_update
from low_confidence_queue.services.thresholds import store_thresholds_all

Reviewers = roles_permission(Role.REVIEWER, Role.ADMIN)
Admins = roles_permission(Role.ADMIN)
Disputers = roles_permission(Role.ADMIN, store_client=True)


class ClaimView(APIView):
    permission_classes = [Reviewers]

    @extend_schema(
        summary="Claim the next task",
        description="Hands you the highest-priority, oldest pending task under a lease (or the task you already "
        "hold). 204 when the queue has nothing for you.",
        request=None,
        responses={200: ReviewTaskSerializer, 204: OpenApiResponse(description="Queue empty.")},
    )
    def post(self, request: Request) -> Response:
        task = task_held(user=request.user) or task_claim_next(user=request.user)
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(ReviewTaskSerializer(ReviewTask.objects.select_related("visit__store").get(pk=task.pk)).data)


class TaskDetailView(APIView):
    permission_classes = [Reviewers]

    @extend_schema(summary="One review task", responses=ReviewTaskSerializer)
    def get(self, request: Request, task_id: int) -> Response:
        task = ReviewTask.objects.select_related("visit__store", "claimed_by").filter(pk=task_id).first()
        if task is None:
            raise NotFound("No such review task.")
        return Response(ReviewTaskSerializer(task).data)


class RenewView(APIView):
    permission_classes = [Reviewers]

    @extend_schema(summary="Renew your lease", request=None, responses=ReviewTaskSerializer)
    def post(self, request: Request, task_id: int) -> Response:
        task = lease_renew(task_id=task_id, user=request.user)
        return Response(ReviewTaskSerializer(task).data)


class ReleaseView(APIView):
    permission_classes = [Reviewers]
    skip = False

    @extend_schema(summary="Give a task back to the queue", request=None, responses=ReviewTaskSerializer)
    def post(self, request: Request, task_id: int) -> Response:
        task = task_release(task_id=task_id, user=request.user, skip=self.skip)
        return Response(ReviewTaskSerializer(task).data)


class SkipView(ReleaseView):
    skip = True

    @extend_schema(
        summary="Skip a task (it goes back; you will not get it again)", request=None, responses=ReviewTaskSerializer
    )
    def post(self, request: Request, task_id: int) -> Response:
        return super().post(request, task_id)


class SubmitView(APIView):
    permission_classes = [Reviewers]

    @extend_schema(
        summary="Decide a task you hold",
        description="approve issues the proposed receipt; correct issues the given lines. Either way a new receipt "
        "version with the diff, your name, the reason code and the time spent goes into the audit log. 409 when "
        "you do not hold the task under a live lease.",
        request=SubmitSerializer,
        responses=ReviewTaskSerializer,
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = validated(SubmitSerializer, request.data)
        lines = None
        if data["lines"] is not None:
            lines = [
                LineSpec(sku=line["sku"], quantity=line["quantity"], shopper_track_id=line.get("shopper_track_id"))
                for line in data["lines"]
            ]
        task = task_submit(
            task_id=task_id,
            user=request.user,
            decision=data["decision"],
            reason_code=data["reason_code"],
            lines=lines,
            comment=data["comment"],
            flag_for_annotation=data["flag_for_annotation"],
            flag_note=data["flag_note"],
        )
        return Response(ReviewTaskSerializer(task).data)


class TaskClipsView(APIView):
    permission_classes = [Reviewers]

    @extend_schema(
        summary="Request the multi-view clips of one event (or a moment) of a task",
        request=ClipRequestSerializer,
        responses=ClipSerializer(many=True),
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = validated(ClipRequestSerializer, request.data)
        task = ReviewTask.objects.select_related("visit").filter(pk=task_id).first()
        if task is None:
            raise NotFound("No such review task.")
        clips = task_clips(task=task, event_seq=data.get("event"), t=data.get("t"))
        fresh = Clip.objects.select_related("camera").filter(pk__in=[c.pk for c in clips]).order_by("camera__code")
        return Response(ClipSerializer(fresh, many=True).data)


class ClipStatusView(ClipStatusBaseView):
    permission_classes = [Reviewers]


class PeekView(APIView):
    permission_classes = [Reviewers]

    @extend_schema(
        summary="Render the likely next task's clips ahead",
        description="Requests (renders ahead) the first event's clips of the task claim-next would most "
        "likely hand you next, and answers their render state. Claims nothing, so it gives no links: "
        "a visit's media is for whoever holds it, and the clips are ready when you claim it.",
        request=None,
        responses=ClipRenderSerializer(many=True),
    )
    def post(self, request: Request) -> Response:
        task = task_peek_next(user=request.user)
        if task is None or not task.visit.weight_events.exists():
            return Response([])
        first = task.visit.weight_events.order_by("seq").values_list("seq", flat=True).first()
        clips = task_clips(task=task, event_seq=int(first or 0))
        fresh = Clip.objects.select_related("camera").filter(pk__in=[c.pk for c in clips]).order_by("camera__code")
        return Response(ClipRenderSerializer(fresh, many=True).data)


class StatsView(APIView):
    permission_classes = [Reviewers]

    @extend_schema(summary="Queue depth, oldest age and who is working", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        return Response(queue_stats())


class DisputeView(APIView):
    permission_classes = [Disputers]

    @extend_schema(
        summary="Dispute a final receipt",
        description="Store systems (store key) and admins reopen a visit with a final receipt as a high-priority "
        "review task. 409 when the visit has no final receipt or is already queued.",
        request=DisputeSerializer,
        responses={201: ReviewTaskSerializer},
    )
    def post(self, request: Request) -> Response:
        data = validated(DisputeSerializer, request.data)
        visits = Visit.objects.all()
        if is_store_client(request.user):
            visits = visits.filter(store_id=int(getattr(request.user, "store_id", 0)))
        if "visit" in data:
            visit = visits.filter(pk=data["visit"]).first()
        else:
            query = Q(client_visit_id=data["client_visit_id"])
            if data.get("store"):
                query &= Q(store__code=data["store"])
            matches = list(visits.filter(query)[:2])
            if len(matches) > 1:
                raise InvalidInput("Several stores have that visit id.", fields={"store": ["Give the store code."]})
            visit = matches[0] if matches else None
        if visit is None:
            raise NotFound("No such visit.")
        task = visit_dispute(visit_id=visit.pk, actor=request.user, reason=data["reason"])
        task = ReviewTask.objects.select_related("visit__store").get(pk=task.pk)
        return Response(ReviewTaskSerializer(task).data, status=status.HTTP_201_CREATED)


class PolicyListView(APIView):
    permission_classes = [Admins]

    @extend_schema(summary="Routing policies (global default first)", responses=PolicySerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(PolicySerializer(policies_all(), many=True).data)


class PolicyDetailView(APIView):
    permission_classes = [Admins]

    @extend_schema(
        summary="Set a routing policy",
        description="`default` or a store code. Applies to visits routed from now on; visits already routed keep "
        "their decision.",
        request=PolicySerializer,
        responses=PolicySerializer,
    )
    def put(self, request: Request, scope: str) -> Response:
        store = None
        if scope != "default":
            store = Store.objects.filter(code=scope).first()
            if store is None:
                raise NotFound("No such store.")
        data = validated(PolicySerializer, request.data)
        policy = policy_update(
            store=store,
            actor=request.user,
            target_accuracy=data["target_accuracy"],
            audit_rate=data["audit_rate"],
            max_basket_value=data.get("max_basket_value"),
            max_basket_items=data.get("max_basket_items"),
            sla_minutes=data.get("sla_minutes") or {},
            trust_model_calibration=bool(data.get("trust_model_calibration", False)),
        )
        return Response(PolicySerializer(policy).data)


class StoreThresholdListView(APIView):
    permission_classes = [Admins]

    @extend_schema(
        summary="Each store's auto-issue threshold, audit rate, where it comes from and its evidence",
        responses=StoreThresholdSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        return Response(StoreThresholdSerializer(store_thresholds_all(), many=True).data)


class StoreModelRollbackView(APIView):
    permission_classes = [Admins]

    @extend_schema(
        summary="Give a store back the version that scored it before its current one",
        request=None,
        responses={
            200: StoreThresholdSerializer,
            404: OpenApiResponse(description="No such store"),
            409: OpenApiResponse(description="The store has no version of its own"),
        },
    )
    def post(self, request: Request, store: str) -> Response:
        from low_confidence_queue.services.retraining import store_model_rollback  # torch: only when used

        target = Store.objects.filter(code=store).first()
        if target is None:
            raise NotFound(f"No store with code {store!r}.")
        store_model_rollback(store=target, by=request.user)
        return Response(StoreThresholdSerializer(target.threshold).data)
