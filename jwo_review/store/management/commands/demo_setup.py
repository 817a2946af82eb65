"""Everything `make run` needs for a working demo, safe to run again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from jwo_review.simulator.scenario import load_scenario
from jwo_review.store.models import Store, Visit

DEMO_VISITS = 300  # the simulated visits of the demo's day: about 3 h 20 min of the default store's traffic


# A simulated annotation crew's typical seconds per task (median), as in a labelling team:
# the careful one watches every view, the hasty one does not, the clicker mostly accepts.
CREW_SECONDS = {"careful": 48.0, "hasty": 21.0, "clicker": 13.0}


def demo_annotations(*, stdout: Any, limit: int = 36) -> None:
    """Once: the simulated crew (careful, hasty, clicker) labels some annotation tasks through
    the real claim and submit services, so the admin's annotator table, gold accuracy and
    consensus have something to show; the quality fit then runs as its hourly job would.
    Their time per task is drawn around each one's typical pace (the simulation itself
    takes milliseconds, which no person does)."""
    import random

    from annotation.models import AnnotationSlot, SlotStatus
    from annotation.services.quality import quality_refit
    from annotation.simulated import annotations_simulate, crew_users

    if AnnotationSlot.objects.filter(annotator__username__startswith="sim-", status=SlotStatus.DONE).exists():
        stdout.write("  crew already labelled")
        return
    people = crew_users()
    counts = annotations_simulate(people=people, limit=limit, seed=7)
    rng = random.Random(7)
    done = []
    for name, user in people.items():
        for slot in AnnotationSlot.objects.filter(annotator=user, status=SlotStatus.DONE).only("pk"):
            slot.time_spent_s = round(CREW_SECONDS[name] * rng.lognormvariate(0.0, 0.35), 1)
            done.append(slot)
    AnnotationSlot.objects.bulk_update(done, ["time_spent_s"])
    quality_refit()
    stdout.write(f"  crew labelled: {counts}")


def demo_reviews(*, stdout: Any) -> None:
    """Once: a simulated reviewer decides eight queued visits (flagging every other one),
    so annotators find flagged and corrected visits and the queue keeps the rest."""
    from django.contrib.auth import get_user_model

    from jwo_review.accounts.roles import Role, ensure_role_groups
    from low_confidence_queue.models import ReviewTask
    from low_confidence_queue.simulated import reviews_simulate

    if ReviewTask.objects.filter(decided_by__username="sim-reviewer").exists():
        stdout.write("  already done")
        return
    reviewer, _ = get_user_model().objects.get_or_create(username="sim-reviewer")
    reviewer.groups.add(ensure_role_groups()[Role.REVIEWER])
    counts = reviews_simulate(reviewer=reviewer, limit=8, flag=lambda task: task.pk % 2 == 0)
    stdout.write(f"  decided: {counts}")


def trust_demo_calibration(*, stdout: Any) -> None:
    """The demo model is trained and calibrated on simulated visits of the AIM3S store (the
    default scenario), so that store's policy trusts the calibration, as an admin does for
    the store a model was calibrated on: confident demo visits are issued from the start,
    and the new-store audit rate checks them. Every other store still starts strict."""
    from low_confidence_queue.services.policy import policy_for_store, policy_update

    store = Store.objects.get(code="aim3s")
    current = policy_for_store(store)
    if current.store_id == store.pk and current.trust_model_calibration:
        stdout.write("  already trusted")
        return
    policy_update(
        store=store,
        actor=None,
        target_accuracy=current.target_accuracy,
        audit_rate=current.audit_rate,
        max_basket_value=current.max_basket_value,
        max_basket_items=current.max_basket_items,
        sla_minutes=dict(current.sla_minutes),
        trust_model_calibration=True,
    )
    stdout.write("  the AIM3S store's policy trusts the model's calibration")


class Command(BaseCommand):
    help = "Load the AIM3S store and demo users (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default="jwo-demo-2026")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("[1/2] AIM3S store")
        if not Store.objects.filter(code="aim3s").exists():
            call_command("load_store", aim3s=True, stdout=self.stdout)
        else:
            self.stdout.write("  already loaded")
        self.stdout.write("[2/2] Demo users")
        call_command("create_demo_users", password=options["password"], stdout=self.stdout)
        self.stdout.write("[model] Built-in model (trains a small one if none is active)")
        call_command("demo_model", stdout=self.stdout)
        trust_demo_calibration(stdout=self.stdout)
        self.stdout.write("[sim] Simulated demo visits and catalogue images")
        if not Visit.objects.filter(source="simulator").exists():
            # Today's visits: the last of them leaves about now, as a store posts them.
            gap_s = float(load_scenario("default").traffic["arrival_gap_s"])
            entered_from = timezone.now() - timedelta(seconds=DEMO_VISITS * gap_s + 180)
            call_command(
                "simulate",
                scenario="default",
                visits=DEMO_VISITS,
                seed=7,
                entered_from=entered_from.isoformat(),
                quiet=True,
                stdout=self.stdout,
            )
        else:
            self.stdout.write("  demo visits already there")
        call_command("render_catalogue", stdout=self.stdout)
        self.stdout.write("[queue] Routing of scored visits (confident: receipt issued; the rest: review queue)")
        call_command("route_visits", stdout=self.stdout)
        self.stdout.write("[annotation] A simulated reviewer decides a few visits; annotation tasks from every source")
        demo_reviews(stdout=self.stdout)
        call_command("make_annotation_tasks", stdout=self.stdout)
        self.stdout.write("[annotation] A simulated crew labels some of them (three annotators, gold tasks among them)")
        demo_annotations(stdout=self.stdout)
        self.stdout.write("[dashboard] Simulated past days (a model promotion among them) and the daily rollups")
        call_command("seed_history", stdout=self.stdout)
