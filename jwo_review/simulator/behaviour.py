"""What people do during a visit: the payment group, other shoppers, staff.

``plan_visit`` draws the visit's hard cases from the scenario's rates, the group, the
basket, every interaction with a plate (who, where, when, which product, how many
units) and the people's walking paths. It decides reality only; what the sensors make
of it is ``physics``, ``detector`` and ``vision``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jwo_review.simulator.scenario import HARD_CASES, PlateInfo, Scenario

ENTRANCE = (0.5, 0.3)
"""Fraction of the store's width and metres into it where people enter and leave."""


def position_at(waypoints: Sequence[Sequence[float]], t: float) -> tuple[float, float] | None:
    """Linear interpolation along [(t, x, y), ...]; None outside the time span."""
    w = waypoints
    if not w or t < w[0][0] or t > w[-1][0]:
        return None
    for (t0, x0, y0), (t1, x1, y1) in zip(w, w[1:]):
        if t0 <= t <= t1:
            f = 0.0 if t1 <= t0 else (t - t0) / (t1 - t0)
            return (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
    return (w[-1][1], w[-1][2])


@dataclass
class Person:
    track_id: int
    role: str  # "shopper" (payment group), "other" (another shopper), "staff"
    waypoints: list[tuple[float, float, float]] = field(default_factory=list)

    def at(self, t: float) -> tuple[float, float] | None:
        """Position at t, or None when the person is not in the store."""
        return position_at(self.waypoints, t)


@dataclass
class Interaction:
    """One true contact with a plate that moved weight (or a lean that only pressed)."""

    t_start: float
    t_end: float
    t_change: float
    plate: str
    sku: str | None
    action: str  # pick | put_back | restock
    quantity: int
    track_id: int
    role: str
    unit_weights: list[float] = field(default_factory=list)
    plates: dict[str, float] = field(default_factory=dict)
    """plate -> share of the weight change it carries (two plates when the unit straddles)."""
    case: str | None = None
    hand: tuple[float, float] = (0.0, 0.0)

    @property
    def delta_g(self) -> float:
        sign = -1.0 if self.action == "pick" else 1.0
        return sign * sum(self.unit_weights)

    def truth(self) -> dict[str, Any]:
        return {
            "t_start": round(self.t_start, 3),
            "t_end": round(self.t_end, 3),
            "t_change": round(self.t_change, 3),
            "plate": self.plate,
            "plates": {k: round(v, 3) for k, v in sorted(self.plates.items())},
            "sku": self.sku,
            "action": self.action,
            "quantity": self.quantity,
            "track_id": self.track_id,
            "role": self.role,
            "delta_g": round(self.delta_g, 2),
            "case": self.case,
            "hand": [round(self.hand[0], 3), round(self.hand[1], 3)],
        }


@dataclass
class Lean:
    plate: str
    t_start: float
    t_end: float
    pressure_g: float
    sway_g: float
    sway_hz: float
    track_id: int


@dataclass
class Occlusion:
    camera: str
    t: float
    t_end: float
    track_id: int


@dataclass
class Swap:
    a: int
    b: int
    t: float
    t_end: float


@dataclass
class VisitPlan:
    duration_s: float
    cases: list[str]
    people: list[Person]
    interactions: list[Interaction]
    leans: list[Lean] = field(default_factory=list)
    occlusions: list[Occlusion] = field(default_factory=list)
    swaps: list[Swap] = field(default_factory=list)
    handovers: list[dict[str, Any]] = field(default_factory=list)
    stops: list[tuple[int, str, float, float, float, float]] = field(default_factory=list)
    """(track_id, fixture, t, t_end, x, y): a person standing at a fixture."""

    @property
    def group(self) -> list[Person]:
        return [p for p in self.people if p.role == "shopper"]


class Planner:
    """Drawing helpers for one visit's reality (products, unit weights, where people
    stand, walks); generated and scripted visits both plan with it."""

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        self.s = scenario
        self.rng = rng
        self.used_ids: set[int] = set()
        spec = scenario.store_spec
        self.entrance = (ENTRANCE[0] * float(spec["width_m"]), ENTRANCE[1])
        self.back_door = (float(spec["width_m"]) - 0.3, float(spec["depth_m"]) - 0.3)
        self.speed = float(scenario.traffic["walk_speed_m_s"])
        skus = sorted(scenario.sku_plates)
        pop = scenario.traffic["family_popularity"]
        weights = np.array([float(pop.get(scenario.products[s].family, 1.0)) for s in skus])
        self.skus = skus
        self.sku_p = weights / weights.sum()

    # -- drawing helpers -------------------------------------------------------------
    def u(self, a: float, b: float) -> float:
        return float(self.rng.uniform(a, b))

    def track_id(self, low: int, high: int) -> int:
        while True:
            tid = int(self.rng.integers(low, high))
            if tid not in self.used_ids:
                self.used_ids.add(tid)
                return tid

    def product(self) -> str:
        return str(self.skus[int(self.rng.choice(len(self.skus), p=self.sku_p))])

    def unit_weight(self, sku: str) -> float:
        p = self.s.products[sku]
        return float(max(0.5 * p.unit_weight_g, self.rng.normal(p.unit_weight_g, p.unit_weight_std_g)))

    def stand_point(self, plate: PlateInfo, offset_x: float = 0.0) -> tuple[float, float]:
        facing = math.radians(float(self.s.fixtures[plate.fixture]["facing_deg"]))
        dist = 0.45 + self.u(0.0, 0.15)
        return (
            plate.x_m + offset_x + float(self.rng.normal(0, 0.05)) + dist * math.cos(facing),
            plate.y_m + dist * math.sin(facing),
        )

    def neighbour(self, plate: PlateInfo, spread: int) -> PlateInfo | None:
        """A plate of the same shelf within ``spread`` plates (not the plate itself)."""
        options = [
            p
            for p in self.s.plates.values()
            if p.fixture == plate.fixture and p.shelf == plate.shelf and 0 < abs(p.number - plate.number) <= spread
        ]
        if not options:
            return None
        options.sort(key=lambda p: p.number)
        return options[int(self.rng.integers(len(options)))]

    def walk(self, person: Person, to: tuple[float, float], t_from: float) -> float:
        """Append a walk from the last waypoint; returns the arrival time."""
        if not person.waypoints:
            person.waypoints.append((t_from, to[0], to[1]))
            return t_from
        t_last, x, y = person.waypoints[-1]
        t0 = max(t_from, t_last)
        if t0 > t_last:
            person.waypoints.append((t0, x, y))
        arrive = t0 + math.hypot(to[0] - x, to[1] - y) / self.speed
        person.waypoints.append((arrive, to[0], to[1]))
        return arrive

    def touched_plates(self, plate: PlateInfo) -> dict[str, float]:
        """The plates a reach into ``plate`` loads: sometimes the units lie across it and a
        neighbour, which then carries part of the weight change."""
        if self.rng.random() < self.s.physics["straddle_rate"]:
            other = self.neighbour(plate, 1)
            if other is not None:
                share = self.u(0.5, 0.85)
                return {plate.code: share, other.code: 1.0 - share}
        return {plate.code: 1.0}

    def hand_at(self, plate: PlateInfo) -> tuple[float, float]:
        """Where the hand is seen reaching into ``plate`` (2 cm of noise)."""
        return plate.x_m + float(self.rng.normal(0, 0.02)), plate.y_m + float(self.rng.normal(0, 0.02))

    def interaction(
        self,
        person: Person,
        plate: PlateInfo,
        sku: str | None,
        action: str,
        units: list[float],
        t_arrive: float,
        case: str | None,
        straddle: bool = True,
    ) -> Interaction:
        t_start = t_arrive + self.u(0.4, 2.0)
        t_end = t_start + self.u(1.2, 2.4)
        t_change = t_start + self.u(0.35, 0.65) * (t_end - t_start)
        plates = self.touched_plates(plate) if straddle and sku is not None else {plate.code: 1.0}
        hand = self.hand_at(plate)
        return Interaction(
            t_start=t_start,
            t_end=t_end,
            t_change=t_change,
            plate=plate.code,
            sku=sku,
            action=action,
            quantity=len(units),
            track_id=person.track_id,
            role=person.role,
            unit_weights=units,
            plates=plates,
            case=case,
            hand=hand,
        )


def _choice(rng: np.random.Generator, dist: dict[int, float]) -> int:
    keys = list(dist)
    return int(keys[int(rng.choice(len(keys), p=np.array([dist[k] for k in keys])))])


def plan_visit(scenario: Scenario, rng: np.random.Generator) -> VisitPlan:
    """Reality for one visit: who is there, what they touch, when, and the hard cases."""
    pl = Planner(scenario, rng)
    rates = scenario.hard_cases
    cases: set[str] = set()
    for name in HARD_CASES:
        if name == "hand_over":
            continue
        if rng.random() < rates[name]:
            cases.add(name)
    if "group" in cases and rates["group"] > 0 and rng.random() < rates["hand_over"] / rates["group"]:
        cases.add("hand_over")

    group_size = _choice(rng, scenario.traffic["group_size"]) if "group" in cases else 1
    group = [Person(track_id=pl.track_id(1, 900), role="shopper") for _ in range(group_size)]
    people: list[Person] = list(group)
    basket = _choice(rng, scenario.traffic["basket_size"])
    needs_item = {"multi_pick", "crowding", "occlusion", "identity_swap", "staff_restock", "lean", "hand_over"}
    if cases & needs_item:
        basket = max(basket, 1)

    # Shopping lists: each item a product and a plate; each group member gets some.
    items: list[tuple[Person, str, PlateInfo, int]] = []
    for i in range(basket):
        sku = pl.product()
        plate = scenario.plates[scenario.sku_plates[sku][int(rng.integers(len(scenario.sku_plates[sku])))]]
        owner = group[0] if i == 0 else group[int(rng.integers(len(group)))]
        items.append((owner, sku, plate, 1))
    if "multi_pick" in cases:
        j = int(rng.integers(len(items)))
        owner, sku, plate, _ = items[j]
        items[j] = (owner, sku, plate, 2 if rng.random() < 0.75 else 3)

    interactions: list[Interaction] = []
    plan = VisitPlan(duration_s=0.0, cases=[], people=people, interactions=interactions)
    lo, hi = scenario.traffic["duration_s"]
    target = pl.u(lo, hi)
    for member_no, person in enumerate(group):
        own = [it for it in items if it[0] is person]
        own.sort(key=lambda it: (it[2].fixture, it[2].x_m if rng.random() < 0.8 else -it[2].x_m))
        t = pl.u(0.0, 0.4) + 1.2 * member_no
        pl.walk(person, pl.entrance, t)
        # Browsing the aisle before the first reach fills the visit towards its drawn length.
        browse = pl.u(0.0, max(0.0, target - 25.0 - 9.0 * len(own)))
        if browse > 4.0:
            spec = scenario.store_spec
            spot = (pl.u(0.5, float(spec["width_m"]) - 0.5), pl.u(1.2, max(1.3, float(spec["depth_m"]) - 1.4)))
            arrive = pl.walk(person, spot, t)
            t = max(arrive, t + browse)
            person.waypoints.append((t, spot[0], spot[1]))
        for _, sku, plate, qty in own:
            stand = pl.stand_point(plate)
            arrive = pl.walk(person, stand, t)
            units = [pl.unit_weight(sku) for _ in range(qty)]
            act = pl.interaction(person, plate, sku, "pick", units, arrive, "multi_pick" if qty > 1 else None)
            interactions.append(act)
            plan.stops.append((person.track_id, plate.fixture, arrive, act.t_end + 0.3, *stand))
            t = act.t_end + pl.u(0.3, 1.5)
            person.waypoints.append((t, person.waypoints[-1][1], person.waypoints[-1][2]))
        if member_no == 0 and "put_back" in cases:
            t = _inspect_and_return(pl, plan, person, t, wrong_plate=False)
        if member_no == 0 and "wrong_plate_put_back" in cases:
            t = _inspect_and_return(pl, plan, person, t, wrong_plate=True)
        if not own and member_no > 0:
            # A companion without a list wanders to a fixture and back.
            plate = scenario.plates[sorted(scenario.plates)[int(rng.integers(len(scenario.plates)))]]
            arrive = pl.walk(person, pl.stand_point(plate), t + pl.u(2, 10))
            t = arrive + pl.u(3, 12)
            person.waypoints.append((t, person.waypoints[-1][1], person.waypoints[-1][2]))
            plan.stops.append(
                (person.track_id, plate.fixture, arrive, t, person.waypoints[-1][1], person.waypoints[-1][2])
            )
    ours = [a for a in interactions if a.role == "shopper" and a.action == "pick"]
    if "hand_over" in cases:
        _hand_over(pl, plan, ours)
    if "crowding" in cases:
        _crowding(pl, plan, ours[int(rng.integers(len(ours)))])
    if "staff_restock" in cases:
        _restock(pl, plan, ours[int(rng.integers(len(ours)))])
    if "lean" in cases:
        _lean(pl, plan, ours[int(rng.integers(len(ours)))])
    if "identity_swap" in cases:
        _swap(pl, plan, ours[int(rng.integers(len(ours)))])
    if "occlusion" in cases:
        _occlusion(pl, plan, ours[int(rng.integers(len(ours)))])

    end = max([p.waypoints[-1][0] for p in group] + [a.t_end for a in interactions] + [target * 0.6])
    for person in group:
        pl.walk(person, (pl.entrance[0] + pl.u(-0.3, 0.3), pl.entrance[1]), person.waypoints[-1][0] + pl.u(0.5, 3))
        end = max(end, person.waypoints[-1][0])
    plan.duration_s = round(end + pl.u(0.5, 1.5), 2)
    plan.cases = [c for c in HARD_CASES if c in cases]
    interactions.sort(key=lambda a: (a.t_change, a.plate))
    return plan


def _inspect_and_return(pl: Planner, plan: VisitPlan, person: Person, t: float, *, wrong_plate: bool) -> float:
    s = pl.s
    sku = pl.product()
    plate = s.plates[s.sku_plates[sku][int(pl.rng.integers(len(s.sku_plates[sku])))]]
    arrive = pl.walk(person, pl.stand_point(plate), t)
    unit = [pl.unit_weight(sku)]
    case = "wrong_plate_put_back" if wrong_plate else "put_back"
    take = pl.interaction(person, plate, sku, "pick", unit, arrive, case, straddle=False)
    plan.interactions.append(take)
    target = plate
    if wrong_plate:
        # Put down where the product is not faced: a neighbouring plate of the shelf or the shelf next to it.
        options = [
            p
            for p in s.plates.values()
            if p.fixture == plate.fixture
            and sku not in s.facings.get(p.code, [])
            and abs(p.number - plate.number) <= 3
            and abs(p.level - plate.level) <= 1
        ]
        options.sort(key=lambda p: p.code)
        if options:
            target = options[int(pl.rng.integers(len(options)))]
    hold = take.t_end + pl.u(2.0, 7.0)
    person.waypoints.append((hold, person.waypoints[-1][1], person.waypoints[-1][2]))
    arrive2 = pl.walk(person, pl.stand_point(target), hold)
    back = pl.interaction(person, target, sku, "put_back", unit, arrive2, case, straddle=False)
    plan.interactions.append(back)
    plan.stops.append(
        (person.track_id, plate.fixture, arrive, back.t_end + 0.3, person.waypoints[-1][1], person.waypoints[-1][2])
    )
    t = back.t_end + pl.u(0.5, 1.5)
    person.waypoints.append((t, person.waypoints[-1][1], person.waypoints[-1][2]))
    return t


def _visitor(
    pl: Planner,
    plan: VisitPlan,
    role: str,
    near: tuple[float, float],
    t_arrive: float,
    dwell: float,
    start: tuple[float, float],
) -> Person:
    low, high = (900, 1000) if role == "staff" else (1, 900)
    person = Person(track_id=pl.track_id(low, high), role=role)
    dist = math.hypot(near[0] - start[0], near[1] - start[1])
    t0 = t_arrive - dist / pl.speed
    person.waypoints = [
        (t0, start[0], start[1]),
        (t_arrive, near[0], near[1]),
        (t_arrive + dwell, near[0], near[1]),
        (t_arrive + dwell + dist / pl.speed, start[0], start[1]),
    ]
    plan.people.append(person)
    return person


def _hand_over(pl: Planner, plan: VisitPlan, ours: list[Interaction]) -> None:
    giver_pick = ours[int(pl.rng.integers(len(ours)))]
    giver = next(p for p in plan.group if p.track_id == giver_pick.track_id)
    taker = next(p for p in plan.group if p is not giver)
    t = giver_pick.t_end + pl.u(1.0, 4.0)
    where = giver.at(t) or (giver.waypoints[-1][1], giver.waypoints[-1][2])
    # The companion walks over, takes the item and stays a moment.
    meet = pl.walk(taker, (where[0] + 0.35, where[1]), t)
    taker.waypoints.append((meet + 1.5, where[0] + 0.35, where[1]))
    plan.handovers.append(
        {
            "t": round(meet + 0.7, 3),
            "from": giver.track_id,
            "to": taker.track_id,
            "sku": giver_pick.sku,
            "quantity": giver_pick.quantity,
        }
    )
    giver_pick.case = giver_pick.case or "hand_over"


def _crowding(pl: Planner, plan: VisitPlan, ours: Interaction) -> None:
    s = pl.s
    plate = s.plates[ours.plate]
    roll = pl.rng.random()
    if roll < 0.15 and s.facings.get(plate.code):
        target = plate
    elif roll < 0.4:
        target = pl.neighbour(plate, 1) or plate
    else:
        # Mostly a few plates away or on the shelf above or below: close, but a separate event.
        options = [
            p
            for p in s.plates.values()
            if p.fixture == plate.fixture
            and s.facings.get(p.code)
            and (
                p.shelf == plate.shelf
                and 2 <= abs(p.number - plate.number) <= 4
                or p.shelf != plate.shelf
                and abs(p.level - plate.level) == 1
                and abs(p.number - plate.number) <= 2
            )
        ]
        options.sort(key=lambda p: p.code)
        target = options[int(pl.rng.integers(len(options)))] if options else plate
    if not s.facings.get(target.code):
        target = plate
    faced = s.facings[target.code]
    sku = faced[int(pl.rng.integers(len(faced)))]
    side = 1.0 if pl.rng.random() < 0.5 else -1.0
    stand = pl.stand_point(target, offset_x=side * pl.u(0.15, 0.45))
    other = _visitor(pl, plan, "other", stand, ours.t_change - pl.u(3.0, 5.0), pl.u(10.0, 14.0), pl.entrance)
    units = [pl.unit_weight(sku) for _ in range(1 if pl.rng.random() < 0.85 else 2)]
    act = pl.interaction(other, target, sku, "pick", units, ours.t_start - 1.0, "crowding")
    shift = ours.t_change + pl.u(0.3, 2.5) * (1 if pl.rng.random() < 0.5 else -1) - act.t_change
    act.t_start, act.t_end, act.t_change = act.t_start + shift, act.t_end + shift, act.t_change + shift
    plan.interactions.append(act)
    plan.stops.append((other.track_id, target.fixture, other.waypoints[1][0], other.waypoints[2][0], *stand))
    ours.case = ours.case or "crowding"
    if pl.rng.random() < 0.25:
        back = pl.interaction(
            other, target, sku, "put_back", units, act.t_end + pl.u(1.0, 3.0), "crowding", straddle=False
        )
        plan.interactions.append(back)


def _restock(pl: Planner, plan: VisitPlan, ours: Interaction) -> None:
    s = pl.s
    if pl.rng.random() < 0.6 and ours.sku is not None:
        sku, plate = ours.sku, s.plates[ours.plate]
    else:
        near = pl.neighbour(s.plates[ours.plate], 3) or s.plates[ours.plate]
        faced = s.facings.get(near.code) or [str(ours.sku)]
        sku, plate = str(faced[int(pl.rng.integers(len(faced)))]), near
    t = ours.t_change + (pl.u(-25.0, -4.0) if pl.rng.random() < 0.5 else pl.u(4.0, 25.0))
    t = max(3.0, t)
    stand = pl.stand_point(plate, offset_x=pl.u(-0.2, 0.2))
    staff = _visitor(pl, plan, "staff", stand, t - 1.0, pl.u(5.0, 9.0), pl.back_door)
    count = int(pl.rng.integers(2, 5))
    act = pl.interaction(
        staff,
        plate,
        sku,
        "restock",
        [pl.unit_weight(sku) for _ in range(count)],
        t - 1.0,
        "staff_restock",
        straddle=False,
    )
    plan.interactions.append(act)
    plan.stops.append((staff.track_id, plate.fixture, t - 1.0, t + 6.0, *stand))


def _lean(pl: Planner, plan: VisitPlan, ours: Interaction) -> None:
    s = pl.s
    plate = s.plates[ours.plate]
    if pl.rng.random() < 0.5:
        target = plate
    else:
        below = [
            p
            for p in s.plates.values()
            if p.fixture == plate.fixture and p.level == plate.level - 1 and p.number == plate.number
        ]
        target = below[0] if below else (pl.neighbour(plate, 1) or plate)
    lo, hi = s.physics["lean_g"]
    slo, shi = s.physics["lean_sway_g"]
    plan.leans.append(
        Lean(
            plate=target.code,
            t_start=ours.t_start - pl.u(0.5, 2.5),
            t_end=ours.t_end + pl.u(0.5, 3.5),
            pressure_g=pl.u(lo, hi),
            sway_g=pl.u(slo, shi),
            sway_hz=pl.u(0.3, 1.2),
            track_id=ours.track_id,
        )
    )
    ours.case = ours.case or "lean"


def _swap(pl: Planner, plan: VisitPlan, ours: Interaction) -> None:
    companions = [p for p in plan.group if p.track_id != ours.track_id]
    if companions and pl.rng.random() < 0.5:
        partner = companions[int(pl.rng.integers(len(companions)))]
    else:
        plate = pl.s.plates[ours.plate]
        stand = pl.stand_point(plate, offset_x=pl.u(-0.5, 0.5))
        partner = _visitor(pl, plan, "other", stand, ours.t_start - pl.u(0.5, 3.0), pl.u(4.0, 9.0), pl.entrance)
        plan.stops.append((partner.track_id, plate.fixture, partner.waypoints[1][0], partner.waypoints[2][0], *stand))
        if pl.rng.random() < 0.5 and pl.s.facings.get(plate.code):
            target = pl.neighbour(plate, 2) or plate
            faced = pl.s.facings.get(target.code) or pl.s.facings[plate.code]
            target = target if pl.s.facings.get(target.code) else plate
            sku = faced[int(pl.rng.integers(len(faced)))]
            act = pl.interaction(
                partner, target, sku, "pick", [pl.unit_weight(sku)], partner.waypoints[1][0], "identity_swap"
            )
            plan.interactions.append(act)
    plan.swaps.append(
        Swap(a=ours.track_id, b=partner.track_id, t=ours.t_start - pl.u(1.0, 5.0), t_end=ours.t_end + pl.u(2.0, 20.0))
    )
    ours.case = ours.case or "identity_swap"


def _occlusion(pl: Planner, plan: VisitPlan, ours: Interaction) -> None:
    s = pl.s
    plate = s.plates[ours.plate]
    camera = min(s.cameras.values(), key=lambda c: (math.hypot(c.x_m - plate.x_m, c.y_m - plate.y_m), c.code))
    bodies = [p.track_id for p in plan.people if p.role != "staff"]
    occluder = bodies[int(pl.rng.integers(len(bodies)))]
    plan.occlusions.append(
        Occlusion(
            camera=camera.code,
            t=max(0.0, ours.t_start - pl.u(0.0, 2.0)),
            t_end=ours.t_end + pl.u(0.5, 3.0),
            track_id=occluder,
        )
    )
    ours.case = ours.case or "occlusion"
