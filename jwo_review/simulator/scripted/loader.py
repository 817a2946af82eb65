"""Checking a script file and turning it into visits to simulate.

Everything that can be wrong with a script is found here, before anything is
simulated or stored: the file's shape, unknown products and plates, actions a role
cannot take, reaches too close together, a put-back or hand-over of something the
person does not hold, people acting after the payment group has left. Each error names
the visit and the line, and says how to fix it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jwo_review.simulator.scenario import Scenario, ScenarioError, load_scenario, scenario_from_dict
from jwo_review.simulator.scripted.yaml_lines import FileSyntaxError, LineMapping, load_with_lines

ROLES = ("shopper", "other", "staff")
ACTIONS = {"shopper": ("pick", "put_back", "hand_over"), "other": ("pick", "put_back"), "staff": ("restock",)}
MIN_GAP_S = 1.5
"""A reach (hand in, item out, hand back) takes at least this long, so one person's
actions are at least this far apart."""
WALK_IN_S = 1.0
"""The least time between entering the store and the first action."""
WALK_OUT_S = 3.0
"""The least time between the last action (its reach and a step away) and leaving."""
MAX_QUANTITY = 24
MAX_SHOPPERS = 8
MAX_PEOPLE = 24  # everyone in the store during one visit (track ids are finite)
MAX_STAFF = 10
MAX_DURATION_S = 3600.0
NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class ScriptError(ValueError):
    """A script file is wrong; ``visit`` and ``line`` say where."""

    def __init__(self, message: str, *, line: int | None = None, visit: str | None = None) -> None:
        where = ", ".join(
            part for part in (f"visit {visit!r}" if visit else "", f"line {line}" if line else "") if part
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.visit = visit
        self.message = message


@dataclass(frozen=True)
class Step:
    """One scripted action of one person."""

    line: int
    person: str
    t: float
    action: str  # pick | put_back | hand_over | restock
    sku: str
    plate: str | None
    """None: a plate drawn from the product's facings, or for a put-back the plate it came from."""
    quantity: int
    to: str | None = None


@dataclass(frozen=True)
class ScriptedPerson:
    name: str
    role: str
    enter_s: float
    exit_s: float | None
    steps: tuple[Step, ...]
    line: int


@dataclass(frozen=True)
class ScriptedVisit:
    name: str
    index: int
    line: int
    start: datetime | None
    people: tuple[ScriptedPerson, ...]

    @property
    def steps(self) -> list[Step]:
        """Every step of the visit in the order they happen (file order breaks ties)."""
        order = {p.name: i for i, p in enumerate(self.people)}
        steps = [s for p in self.people for s in p.steps]
        return sorted(steps, key=lambda s: (s.t, order[s.person], s.line))


@dataclass(frozen=True)
class Script:
    name: str
    seed: int
    scenario: Scenario
    visits: tuple[ScriptedVisit, ...]
    source: str


class _Reader:
    """Typed reads from a mapping of the file; errors carry the visit and the key's line."""

    def __init__(self, data: LineMapping, visit: str | None, what: str) -> None:
        self.data = data
        self.visit = visit
        self.what = what

    def fail(self, key: str | None, message: str) -> ScriptError:
        line = self.data.line_of(key) if key else self.data.line
        return ScriptError(message, line=line, visit=self.visit)

    def only(self, known: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in known:
                raise self.fail(key, f"{self.what} has no setting {key!r}; known: {', '.join(known)}.")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(None, f"{self.what} needs {key!r}.")
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise self.fail(key, f"{key} must be text, got {value!r}.")
        return str(value)

    def number(
        self, key: str, default: float | None = None, *, low: float = 0.0, high: float = MAX_DURATION_S
    ) -> float:
        value = self.data.get(key, default)
        if value is None:
            raise self.fail(None, f"{self.what} needs {key!r} (seconds).")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(key, f"{key} must be a number, got {value!r}.")
        if not low <= value <= high:
            raise self.fail(key, f"{key} must be between {low:g} and {high:g}, got {value!r}.")
        return float(value)

    def whole(self, key: str, default: int, *, low: int, high: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"{key} must be a whole number from {low} to {high}, got {value!r}.")
        return value

    def mapping(self, key: str) -> LineMapping:
        value = self.data.get(key)
        if not isinstance(value, LineMapping):
            raise self.fail(key if key in self.data else None, f"{self.what} needs {key!r} as a mapping.")
        return value

    def items(self, key: str, *, required: bool) -> list[LineMapping]:
        value = self.data.get(key)
        if value is None and not required:
            return []
        if not isinstance(value, list) or (required and not value):
            raise self.fail(key if key in self.data else None, f"{self.what} needs {key!r} as a non-empty list.")
        for item in value:
            if not isinstance(item, LineMapping):
                raise self.fail(key, f"each entry of {key} must be a mapping, got {item!r}.")
        return list(value)


def _scenario(top: _Reader, name: str, base: Path | None) -> Scenario:
    has_scenario, has_store = "scenario" in top.data, "store" in top.data
    if has_scenario == has_store:
        raise top.fail(None, "give either 'scenario' (a scenario's store and sensors) or 'store' (a layout).")
    key = "scenario" if has_scenario else "store"
    try:
        if has_scenario:
            if any(k in top.data for k in ("physics", "detector", "vision")):
                raise top.fail("scenario", "physics, detector and vision go with 'store'; a scenario brings its own.")
            ref = top.text("scenario")
            near = base / ref if base is not None else None
            scenario = load_scenario(near if near is not None and near.exists() else ref)
            return dataclasses.replace(scenario, name=f"script:{name}")
        doc: dict[str, Any] = {"name": f"script:{name}", "store": top.mapping("store")}
        doc.update({k: top.data[k] for k in ("physics", "detector", "vision") if k in top.data})
        return scenario_from_dict(doc, source=str(base or "<script>"))
    except ScenarioError as exc:
        section = exc.field.split(".")[0].split("[")[0]
        line = top.data.line_of(section if section in top.data else key)
        raise ScriptError(f"{exc.field if section != 'scenario' else key}: {exc.message}", line=line) from None


def _start(reader: _Reader) -> datetime | None:
    value = reader.data.get("start")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise reader.fail(
                "start", f"start must be an ISO date and time, e.g. 2026-11-02T09:15:00Z, got {value!r}."
            ) from None
    if not isinstance(value, datetime):
        raise reader.fail("start", f"start must be an ISO date and time, got {value!r}.")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _step(raw: LineMapping, person: str, role: str, visit: str, scenario: Scenario) -> Step:
    r = _Reader(raw, visit, f"{person}'s action")
    r.only(("t", "action", "product", "plate", "quantity", "to"))
    t = r.number("t")
    action = r.text("action")
    if action not in ACTIONS[role]:
        who = {"shopper": "a shopper", "other": "another shopper", "staff": "staff"}[role]
        raise r.fail("action", f"{who} can {' or '.join(ACTIONS[role])}, not {action!r}.")
    plate = r.text("plate") if "plate" in raw else None
    if plate is not None and plate not in scenario.plates:
        raise r.fail("plate", f"this store has no plate {plate!r} (plates look like {next(iter(scenario.plates))}).")
    if "product" in raw:
        sku = r.text("product")
        if sku not in scenario.products:
            raise r.fail("product", f"this store sells no product {sku!r}.")
    elif plate is not None and action != "hand_over":
        faced = scenario.facings.get(plate, [])
        if len(faced) != 1:
            listed = ", ".join(faced) if faced else "nothing"
            raise r.fail("plate", f"plate {plate} faces {listed}; say which with 'product'.")
        sku = faced[0]
    else:
        raise r.fail(None, f"a {action} needs 'product'" + ("." if action == "hand_over" else " or 'plate'."))
    if action == "hand_over":
        if plate is not None:
            raise r.fail("plate", "a hand-over happens between people, not on a plate; leave 'plate' out.")
        if "to" not in raw:
            raise r.fail(None, "a hand_over needs 'to': the companion who takes the item.")
    elif "to" in raw:
        raise r.fail("to", f"'to' belongs to hand_over, not {action}.")
    quantity = r.whole("quantity", 1, low=1, high=MAX_QUANTITY)
    if action == "restock" and plate is not None and sku not in scenario.facings.get(plate, []):
        raise r.fail("plate", f"staff restock {sku} where it is faced: {', '.join(scenario.sku_plates[sku])}.")
    return Step(
        line=raw.line,
        person=person,
        t=t,
        action=action,
        sku=sku,
        plate=plate,
        quantity=quantity,
        to=r.text("to") if "to" in raw else None,
    )


def _person(raw: LineMapping, visit: str, scenario: Scenario) -> ScriptedPerson:
    r = _Reader(raw, visit, "a person")
    r.only(("name", "role", "enter_s", "exit_s", "do"))
    name = r.text("name")
    r.what = name
    role = r.text("role", "shopper")
    if role not in ROLES:
        raise r.fail("role", f"role is one of {', '.join(ROLES)}, got {role!r}.")
    enter = r.number("enter_s", 0.0)
    exit_s = r.number("exit_s") if "exit_s" in raw else None
    steps = tuple(_step(s, name, role, visit, scenario) for s in r.items("do", required=False))
    for before, after in zip(steps, steps[1:]):
        if after.t <= before.t:
            raise ScriptError(
                f"{name}'s actions are time-ordered: t {after.t:g} comes after t {before.t:g} (line {before.line}).",
                line=after.line,
                visit=visit,
            )
    return ScriptedPerson(name=name, role=role, enter_s=enter, exit_s=exit_s, steps=steps, line=raw.line)


def _check_companions(visit: ScriptedVisit) -> None:
    """Hand-overs go from a shopper to another shopper of the same payment group."""
    shoppers = [p.name for p in visit.people if p.role == "shopper"]
    for step in visit.steps:
        if step.to is not None and (step.to == step.person or step.to not in shoppers):
            raise ScriptError(
                f"{step.person} can hand items only to another shopper of the payment group; "
                f"{step.to!r} is not one (shoppers: {', '.join(shoppers)}).",
                line=step.line,
                visit=visit.name,
            )


def _check_times(visit: ScriptedVisit) -> None:
    """Each person's actions (and hand-overs they receive) fit inside their stay and are
    far enough apart to be separate reaches; nobody acts after the payment group left."""
    fail = visit.name
    timeline: dict[str, list[Step]] = {p.name: list(p.steps) for p in visit.people}
    for step in visit.steps:
        if step.to is not None:
            timeline[step.to].append(step)
    group_end = 0.0
    for person in visit.people:
        events = sorted(timeline[person.name], key=lambda s: s.t)
        for before, after in zip(events, events[1:]):
            if after.t - before.t < MIN_GAP_S:
                raise ScriptError(
                    f"{person.name}'s {after.action} at {after.t:g} s is {after.t - before.t:.2g} s after the "
                    f"{before.action} at {before.t:g} s (line {before.line}); a reach takes at least "
                    f"{MIN_GAP_S:g} s, so give it a later t.",
                    line=after.line,
                    visit=fail,
                )
        if events and events[0].t < person.enter_s + WALK_IN_S:
            raise ScriptError(
                f"{person.name} enters at {person.enter_s:g} s and cannot act at {events[0].t:g} s; "
                f"give t of at least {person.enter_s + WALK_IN_S:g} s.",
                line=events[0].line,
                visit=fail,
            )
        last = max([s.t for s in events], default=person.enter_s)
        if person.exit_s is not None and person.exit_s < last + WALK_OUT_S:
            raise ScriptError(
                f"{person.name} leaves at {person.exit_s:g} s, too soon after acting at {last:g} s; "
                f"give exit_s of at least {last + WALK_OUT_S:g} s or leave it out.",
                line=person.line,
                visit=fail,
            )
        if person.role == "shopper":
            group_end = max(group_end, person.exit_s if person.exit_s is not None else last + WALK_OUT_S)
    for step in visit.steps:
        if step.t + WALK_OUT_S > group_end:
            raise ScriptError(
                f"{step.person}'s {step.action} at {step.t:g} s is after the payment group has left "
                f"(at {group_end:g} s); the visit's sensors stop then. Move it earlier or let the group stay.",
                line=step.line,
                visit=fail,
            )


def _check_holdings(visit: ScriptedVisit, scenario: Scenario) -> None:
    """Put-backs and hand-overs move only what the person holds at that moment; a pick
    from a plate that does not face the product takes a unit put there earlier."""
    held: dict[tuple[str, str], int] = {}
    misplaced: dict[tuple[str, str], int] = {}
    for step in visit.steps:
        key = (step.person, step.sku)
        have = held.get(key, 0)
        if step.action == "pick":
            if step.plate is not None and step.sku not in scenario.facings.get(step.plate, []):
                spot = (step.plate, step.sku)
                if misplaced.get(spot, 0) < step.quantity:
                    raise ScriptError(
                        f"{step.sku} is not faced on {step.plate} (it is on "
                        f"{', '.join(scenario.sku_plates[step.sku])}) and nobody put it there before "
                        f"{step.t:g} s; give one of those plates.",
                        line=step.line,
                        visit=visit.name,
                    )
                misplaced[spot] -= step.quantity
            held[key] = have + step.quantity
        elif step.action in ("put_back", "hand_over"):
            if have < step.quantity:
                verb = "put back" if step.action == "put_back" else "hand over"
                raise ScriptError(
                    f"{step.person} holds {have} of {step.sku} at {step.t:g} s and cannot {verb} "
                    f"{step.quantity}; pick it first (or hand it to them) or lower the quantity.",
                    line=step.line,
                    visit=visit.name,
                )
            held[key] = have - step.quantity
            if step.action == "put_back" and step.plate is not None:
                spot = (step.plate, step.sku)
                misplaced[spot] = misplaced.get(spot, 0) + step.quantity
        if step.action == "hand_over" and step.to is not None:
            held[(step.to, step.sku)] = held.get((step.to, step.sku), 0) + step.quantity


def _visit(raw: LineMapping, index: int, scenario: Scenario, seen: set[str]) -> ScriptedVisit:
    r = _Reader(raw, None, f"visit {index + 1}")
    r.only(("name", "start", "people"))
    name = r.text("name")
    if name in seen:
        raise r.fail("name", f"another visit is already called {name!r}; names are unique in a script.")
    seen.add(name)
    r.visit, r.what = name, "the visit"
    people = tuple(_person(p, name, scenario) for p in r.items("people", required=True))
    names: set[str] = set()
    for person in people:
        if person.name in names:
            raise ScriptError(f"two people are called {person.name!r}.", line=person.line, visit=name)
        names.add(person.name)
    shoppers = [p for p in people if p.role == "shopper"]
    if not 1 <= len(shoppers) <= MAX_SHOPPERS:
        raise r.fail("people", f"a visit is one payment group of 1 to {MAX_SHOPPERS} shoppers, not {len(shoppers)}.")
    staff = [p for p in people if p.role == "staff"]
    if len(people) > MAX_PEOPLE or len(staff) > MAX_STAFF:
        raise r.fail(
            "people",
            f"at most {MAX_PEOPLE} people ({MAX_STAFF} of them staff) in one visit, not {len(people)} ({len(staff)}"
            " staff); split the scene into several visits.",
        )
    visit = ScriptedVisit(name=name, index=index, line=raw.line, start=_start(r), people=people)
    _check_companions(visit)
    _check_times(visit)
    _check_holdings(visit, scenario)
    return visit


def script_from_text(text: str, *, source: str = "<script>", is_json: bool = False) -> Script:
    """A checked script from the file's text; raises ``ScriptError`` naming visit and line."""
    try:
        data = load_with_lines(text, is_json=is_json)
    except FileSyntaxError as exc:
        raise ScriptError(exc.message, line=exc.line) from None
    if not isinstance(data, LineMapping):
        raise ScriptError("a script is a mapping with name, a store or scenario, and visits.", line=1)
    top = _Reader(data, None, "the script")
    top.only(("name", "description", "seed", "scenario", "store", "physics", "detector", "vision", "visits"))
    name = top.text("name")
    if not NAME_RE.match(name):
        raise top.fail("name", f"name uses letters, digits, '.', '_' and '-' (at most 32), got {name!r}.")
    seed = top.whole("seed", 0, low=0, high=2**32 - 1)
    base = Path(source).parent if source != "<script>" else None
    scenario = _scenario(top, name, base)
    seen: set[str] = set()
    visits = tuple(_visit(v, i, scenario, seen) for i, v in enumerate(top.items("visits", required=True)))
    return Script(name=name, seed=seed, scenario=scenario, visits=visits, source=source)


def load_script(path: str | Path) -> Script:
    """Read and check a script file (``.yaml``, ``.yml`` or ``.json``)."""
    file = Path(path)
    if not file.is_file():
        raise ScriptError(f"no script file {str(file)!r}.")
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read {str(file)!r} ({exc}); a script is a UTF-8 YAML or JSON text file.") from None
    return script_from_text(text, source=str(file), is_json=file.suffix.lower() == ".json")
