"""A scripted visit's reality: the script's people and actions, with the rest drawn.

The script fixes who is in the store, when they come and go, and every action (what,
where, how many, when the hand goes in). This module draws what a script leaves out,
with the same helpers as generated visits: track ids, where each person stands at a
shelf and how they walk there, how long a reach takes and when the weight moves, the
units' weights, a unit straddling two plates, a plate when only the product is named.
The result is a ``VisitPlan`` like the one ``behaviour.plan_visit`` draws, so physics,
the detector and the cameras treat both alike.
"""

from __future__ import annotations

import math

import numpy as np

from jwo_review.simulator.behaviour import Interaction, Person, Planner, VisitPlan
from jwo_review.simulator.scenario import HARD_CASES, Scenario
from jwo_review.simulator.scripted.loader import ScriptedVisit, Step

CROWDING_WINDOW_S = 10.0
"""Another shopper's reach at the payment group's fixture within this time is crowding."""


class _ScriptPlanner:
    def __init__(self, scenario: Scenario, visit: ScriptedVisit, rng: np.random.Generator) -> None:
        self.s = scenario
        self.visit = visit
        self.pl = Planner(scenario, rng)
        self.people: dict[str, Person] = {}
        self.plan = VisitPlan(duration_s=0.0, cases=[], people=[], interactions=[])
        self.origin: dict[tuple[str, str], list[tuple[str, float]]] = {}
        """(person, sku) -> (plate it came from, its weight) of each unit they hold, last taken last."""
        self.next_t: dict[tuple[str, Step], float] = {}
        """(person, step) -> when that person's next action or hand-over is."""

    def door(self, role: str) -> tuple[float, float]:
        if role == "staff":
            return self.pl.back_door
        return (self.pl.entrance[0] + self.pl.u(-0.3, 0.3), self.pl.entrance[1])

    def walk(self, person: Person, to: tuple[float, float], arrive_by: float, latest: float) -> float:
        """Walk from the last waypoint so as to arrive by ``arrive_by``; when the script
        leaves too little time the person walks briskly and still arrives by ``latest``."""
        t_last, x, y = person.waypoints[-1]
        travel = math.hypot(to[0] - x, to[1] - y) / self.pl.speed
        depart = max(t_last, arrive_by - travel)
        arrive = max(depart, min(depart + travel, latest))
        if depart > t_last:
            person.waypoints.append((depart, x, y))
        person.waypoints.append((arrive, to[0], to[1]))
        return arrive

    def stay(self, person: Person, until: float) -> None:
        t_last, x, y = person.waypoints[-1]
        if until > t_last:
            person.waypoints.append((until, x, y))

    def take_units(self, name: str, sku: str, quantity: int) -> list[tuple[str, float]]:
        stack = self.origin.setdefault((name, sku), [])
        taken = stack[-quantity:] if quantity else []
        del stack[len(stack) - len(taken) :]
        return taken

    def reach(self, step: Step) -> None:
        person = self.people[step.person]
        s, pl = self.s, self.pl
        # A unit put back weighs what it weighed when it was picked (or handed over).
        returned = self.take_units(step.person, step.sku, step.quantity) if step.action == "put_back" else []
        if step.plate is not None:
            code = step.plate
        elif step.action == "put_back":
            code = returned[-1][0] if returned else s.sku_plates[step.sku][0]
        else:
            options = s.sku_plates[step.sku]
            code = options[int(pl.rng.integers(len(options)))]
        plate = s.plates[code]
        stand = pl.stand_point(plate)
        arrive = self.walk(person, stand, step.t - pl.u(0.3, 1.0), step.t - 0.1)
        next_t = self.next_t.get((step.person, step), math.inf)
        t_start = step.t
        t_end = t_start + min(pl.u(1.2, 2.4), next_t - t_start - 0.3)
        t_change = t_start + pl.u(0.35, 0.65) * (t_end - t_start)
        plates = pl.touched_plates(plate) if step.action == "pick" else {code: 1.0}
        act = Interaction(
            t_start=t_start,
            t_end=t_end,
            t_change=t_change,
            plate=code,
            sku=step.sku,
            action=step.action,
            quantity=step.quantity,
            track_id=person.track_id,
            role=person.role,
            unit_weights=[w for _, w in returned]
            + [pl.unit_weight(step.sku) for _ in range(step.quantity - len(returned))],
            plates=plates,
            case=self.case(step, code),
            hand=pl.hand_at(plate),
        )
        self.plan.interactions.append(act)
        self.plan.stops.append((person.track_id, plate.fixture, arrive, t_end + 0.3, *stand))
        self.stay(person, t_end)
        if step.action == "pick":
            self.origin.setdefault((step.person, step.sku), []).extend((code, w) for w in act.unit_weights)

    def case(self, step: Step, plate: str) -> str | None:
        """The hard case an action makes (crowding is settled once every reach is planned)."""
        role = self.people[step.person].role
        if role == "staff":
            return "staff_restock"
        if step.action == "put_back":
            return "put_back" if step.sku in self.s.facings.get(plate, []) else "wrong_plate_put_back"
        if step.action == "pick" and step.quantity > 1 and role == "shopper":
            return "multi_pick"
        return None

    def mark_crowding(self) -> None:
        """Another shopper reaching into a fixture the payment group reaches into at about
        the same time is the crowding hard case."""
        ours = [a for a in self.plan.interactions if a.role == "shopper"]
        for act in self.plan.interactions:
            if act.role != "other":
                continue
            fixture = self.s.plates[act.plate].fixture
            if any(
                self.s.plates[a.plate].fixture == fixture and abs(a.t_change - act.t_change) <= CROWDING_WINDOW_S
                for a in ours
            ):
                act.case = "crowding"

    def hand_over(self, step: Step) -> None:
        assert step.to is not None
        giver, taker = self.people[step.person], self.people[step.to]
        _, gx, gy = giver.waypoints[-1]
        self.stay(giver, step.t)
        self.walk(taker, (gx + 0.35, gy), step.t - 0.7, step.t - 0.1)
        self.stay(giver, step.t + 0.8)
        self.stay(taker, step.t + 0.8)
        moved = self.take_units(step.person, step.sku, step.quantity)
        self.origin.setdefault((step.to, step.sku), []).extend(moved)
        self.plan.handovers.append(
            {
                "t": round(step.t, 3),
                "from": giver.track_id,
                "to": taker.track_id,
                "sku": step.sku,
                "quantity": step.quantity,
            }
        )
        picks = [a for a in self.plan.interactions if a.track_id == giver.track_id and a.sku == step.sku]
        picks = [a for a in picks if a.action == "pick"]
        if picks and picks[-1].case is None:
            picks[-1].case = "hand_over"

    def leave(self, name: str, exit_s: float | None, role: str) -> None:
        person = self.people[name]
        pl = self.pl
        if len(person.waypoints) == 1:
            # Someone with nothing to do walks into the aisle, looks, and leaves.
            spec = self.s.store_spec
            spot = (pl.u(0.5, float(spec["width_m"]) - 0.5), pl.u(1.2, max(1.3, float(spec["depth_m"]) - 1.4)))
            t_in = person.waypoints[0][0]
            stay_until = t_in + pl.u(4.0, 12.0) if exit_s is None else t_in + 0.5 * (exit_s - t_in)
            self.walk(person, spot, stay_until, stay_until)
            self.stay(person, stay_until)
        door = self.door(role)
        t_last, x, y = person.waypoints[-1]
        travel = math.hypot(door[0] - x, door[1] - y) / pl.speed
        out = exit_s if exit_s is not None else t_last + pl.u(0.5, 3.0) + travel
        self.walk(person, door, out, out)

    def run(self) -> VisitPlan:
        pl, plan = self.pl, self.plan
        for sp in self.visit.people:
            low, high = (900, 1000) if sp.role == "staff" else (1, 900)
            person = Person(track_id=pl.track_id(low, high), role=sp.role)
            door = self.door(sp.role)
            person.waypoints.append((sp.enter_s, door[0], door[1]))
            self.people[sp.name] = person
            plan.people.append(person)
        timeline: dict[str, list[Step]] = {p.name: list(p.steps) for p in self.visit.people}
        for step in self.visit.steps:
            if step.to is not None:
                timeline[step.to].append(step)
        for name, steps in timeline.items():
            steps.sort(key=lambda st: st.t)
            for before, after in zip(steps, steps[1:]):
                self.next_t[(name, before)] = after.t
        for step in self.visit.steps:
            if step.action == "hand_over":
                self.hand_over(step)
            else:
                self.reach(step)
        self.mark_crowding()
        for sp in self.visit.people:
            self.leave(sp.name, sp.exit_s, sp.role)
        group = plan.group
        end = max([p.waypoints[-1][0] for p in group] + [a.t_end for a in plan.interactions])
        plan.duration_s = round(end + pl.u(0.5, 1.5), 2)
        cases = {a.case for a in plan.interactions if a.case}
        if len(group) > 1:
            cases.add("group")
        if plan.handovers:
            cases.add("hand_over")
        plan.cases = [c for c in HARD_CASES if c in cases]
        plan.interactions.sort(key=lambda a: (a.t_change, a.plate))
        return plan


def plan_scripted_visit(
    scenario: Scenario, visit: ScriptedVisit, rng: np.random.Generator
) -> tuple[VisitPlan, dict[str, int]]:
    """The visit's plan and each scripted person's track id (by name)."""
    planner = _ScriptPlanner(scenario, visit, rng)
    plan = planner.run()
    return plan, {name: person.track_id for name, person in planner.people.items()}
