"""One camera's top-down view of a visit at any instant.

The cameras see reality (the ground truth): shelves with every product pack drawn in
its catalogue colour, packs leaving the shelf when picked and appearing where they
are put down (also on the wrong plate), people as figures with their track number,
arms that reach to the plate, the pack travelling between shelf and hand, what each
person carries, bodies blocking the lens, the camera's name and the time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw

from jwo_review.simulator.behaviour import position_at
from jwo_review.simulator.render.layout import Layout, font
from jwo_review.simulator.scenario import CameraInfo

SIZE = (320, 240)
MAX_SPAN_M = 2.5
ROW_M = 0.18
"""Drawn depth of one shelf row: shelves at several heights show side by side from above."""
PACKS_PER_FACING = 3
GROUP_COLOURS = ["#1f5fbf", "#8e3fbf", "#0f9aa8", "#c2185b"]
OTHER_COLOUR = "#e8730c"
STAFF_COLOUR = "#2e8b3a"
SKIN = "#e0ac69"
FLOOR = "#d9d4c7"
BODY_R_M = 0.16


def _smooth(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


@dataclass
class View:
    camera: CameraInfo
    x0: float
    y_top: float
    scale: float

    def px(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.x0) * self.scale, (self.y_top - y) * self.scale)


def camera_view(layout: Layout, camera: CameraInfo, size: tuple[int, int] = SIZE) -> View:
    """The floor rectangle the camera shows: its footprint, centred on it, shifted so
    the fixtures in sight are whole."""
    span_w = min(2 * camera.height_m * math.tan(math.radians(camera.fov_deg) / 2), MAX_SPAN_M)
    span_h = span_w * size[1] / size[0]
    cx, cy = camera.x_m, camera.y_m
    for f in layout.fixtures.values():
        if f["x_m"] + f["width_m"] < cx - span_w / 2 or f["x_m"] > cx + span_w / 2:
            continue
        depth = drawn_depth(layout, f["code"])
        if abs(f["y_m"] - cy) >= span_h:
            continue
        # Show the whole fixture and the strip where shoppers stand in front of it.
        if _faces_down(f):
            top, bottom = f["y_m"] + depth + 0.15, f["y_m"] - 0.95
        else:
            top, bottom = f["y_m"] + 0.95, f["y_m"] - depth - 0.15
        cy = max(cy - 1.0, min(cy + 1.0, (top + bottom) / 2))
    return View(camera=camera, x0=cx - span_w / 2, y_top=cy + span_h / 2, scale=size[0] / span_w)


def drawn_depth(layout: Layout, fixture_code: str) -> float:
    levels = {p.level for p in layout.plates.values() if p.fixture == fixture_code}
    return max(float(layout.fixtures[fixture_code]["depth_m"]), ROW_M * max(1, len(levels)))


def _faces_down(fixture: dict[str, Any]) -> bool:
    """True when shoppers stand at lower y than the fixture (facing 270 degrees)."""
    return math.sin(math.radians(float(fixture["facing_deg"]))) < 0


def _mix(colour: str, other: str, f: float) -> str:
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))


class Scene:
    """A visit's reality, drawable from any camera at any time."""

    def __init__(
        self, layout: Layout, truth: dict[str, Any], *, entered_at: datetime | None = None, size: tuple[int, int] = SIZE
    ) -> None:
        self.layout = layout
        self.size = size
        self.entered_at = entered_at
        self.people = truth.get("people", [])
        self.group = [p["track_id"] for p in self.people if p["role"] == "shopper"]
        self.interactions = sorted(truth.get("interactions", []), key=lambda a: a["t_change"])
        self.occlusions = truth.get("occlusions", [])
        self.handovers = truth.get("handovers", [])
        self._backgrounds: dict[str, Image.Image] = {}
        # The shelf rows of each fixture, front (shopper side) first.
        self.rows: dict[str, list[int]] = {}
        for plate in layout.plates.values():
            levels = self.rows.setdefault(plate.fixture, [])
            if plate.level not in levels:
                levels.append(plate.level)
        for levels in self.rows.values():
            levels.sort(reverse=True)

    # -- geometry ---------------------------------------------------------------------
    def plate_rect(self, view: View, code: str) -> tuple[float, float, float, float]:
        plate = self.layout.plates[code]
        fixture = self.layout.fixtures[plate.fixture]
        levels = self.rows[plate.fixture]
        row = levels.index(plate.level)
        depth = drawn_depth(self.layout, plate.fixture) / len(levels)
        sign = 1.0 if _faces_down(fixture) else -1.0
        y_front = float(fixture["y_m"]) + sign * row * depth
        y_back = y_front + sign * depth
        x0, y0 = view.px(plate.x_m - plate.width_m / 2, max(y_front, y_back))
        x1, y1 = view.px(plate.x_m + plate.width_m / 2, min(y_front, y_back))
        return (x0, y0, x1, y1)

    def position(self, person: dict[str, Any], t: float) -> tuple[float, float] | None:
        return position_at(person["waypoints"], t)

    def colour_of(self, person: dict[str, Any]) -> str:
        if person["role"] == "staff":
            return STAFF_COLOUR
        if person["role"] == "other":
            return OTHER_COLOUR
        index = self.group.index(person["track_id"]) if person["track_id"] in self.group else 0
        return GROUP_COLOURS[index % len(GROUP_COLOURS)]

    # -- state at time t ----------------------------------------------------------------
    def shelf_state(self, t: float) -> tuple[dict[tuple[str, str], int], list[tuple[str, str]]]:
        """Packs left per (plate, sku) and packs put down on plates where they are not faced."""
        counts = {(code, sku): PACKS_PER_FACING for code, skus in self.layout.facings.items() for sku in skus}
        extra: list[tuple[str, str]] = []
        for act in self.interactions:
            if act["t_change"] > t or act["sku"] is None:
                break
            key = (act["plate"], act["sku"])
            if act["action"] == "pick":
                if key in counts:
                    counts[key] = max(0, counts[key] - act["quantity"])
                elif key in extra:
                    extra.remove(key)
            elif key in counts:
                counts[key] = min(PACKS_PER_FACING + 2, counts[key] + act["quantity"])
            else:
                extra.extend([key] * min(act["quantity"], 3))
        return counts, extra

    def carried(self, t: float) -> dict[int, list[str]]:
        held: dict[int, list[str]] = {}
        # An item is carried once the hand is back, and no longer once the hand reaches out to put it down.
        moves = [
            (a["t_end"] if a["action"] == "pick" else a["t_start"], 0, a)
            for a in self.interactions
            if a["sku"] and a["action"] in ("pick", "put_back")
        ]
        moves += [(h["t"], 1, h) for h in self.handovers]
        for when, kind, m in sorted(moves, key=lambda x: (x[0], x[1])):
            if when > t:
                break
            if kind == 1:
                for _ in range(m["quantity"]):
                    if m["sku"] in held.get(m["from"], []):
                        held[m["from"]].remove(m["sku"])
                        held.setdefault(m["to"], []).append(m["sku"])
            elif m["action"] == "pick":
                held.setdefault(m["track_id"], []).extend([m["sku"]] * m["quantity"])
            else:
                for _ in range(m["quantity"]):
                    if m["sku"] in held.get(m["track_id"], []):
                        held[m["track_id"]].remove(m["sku"])
        return held

    # -- drawing ----------------------------------------------------------------------
    def background(self, view: View) -> Image.Image:
        cached = self._backgrounds.get(view.camera.code)
        if cached is not None:
            return cached
        img = Image.new("RGB", self.size, FLOOR)
        d = ImageDraw.Draw(img)
        tile = 0.5
        x = math.floor(view.x0 / tile) * tile
        while view.px(x, 0)[0] < self.size[0]:
            d.line([(view.px(x, 0)[0], 0), (view.px(x, 0)[0], self.size[1])], fill="#cfc9ba")
            x += tile
        y = math.floor((view.y_top - self.size[1] / view.scale) / tile) * tile
        while y <= view.y_top:
            d.line([(0, view.px(0, y)[1]), (self.size[0], view.px(0, y)[1])], fill="#cfc9ba")
            y += tile
        for code, f in sorted(self.layout.fixtures.items()):
            sign = 1.0 if _faces_down(f) else -1.0
            x0, y0 = view.px(f["x_m"] - 0.03, f["y_m"] + sign * (drawn_depth(self.layout, code) + 0.03))
            x1, y1 = view.px(f["x_m"] + f["width_m"] + 0.03, f["y_m"])
            d.rectangle([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)], fill="#5b4a3a")
            for level in self.rows.get(code, []):
                plates = [p for p in self.layout.plates.values() if p.fixture == code and p.level == level]
                if not plates:
                    continue
                first = min(plates, key=lambda p: p.number)
                rx0, ry0, _, ry1 = self.plate_rect(view, first.code)
                d.text((rx0 - 2, (ry0 + ry1) / 2), f"S{first.shelf}", fill="#3a2f25", font=font(9, True), anchor="rm")
            for plate in self.layout.plates.values():
                if plate.fixture != code:
                    continue
                x0, y0, x1, y1 = self.plate_rect(view, plate.code)
                d.rectangle([x0 + 0.5, y0 + 0.5, x1 - 0.5, y1 - 0.5], fill="#efe9dc", outline="#9c8c78")
        self._backgrounds[view.camera.code] = img
        return img

    def _pack(
        self, d: ImageDraw.ImageDraw, cx: float, cy: float, w: float, h: float, colour: str, outline: str = "#202020"
    ) -> None:
        d.rectangle([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], fill=colour, outline=outline)
        d.line([cx - w / 2 + 1, cy - h / 6, cx + w / 2 - 1, cy - h / 6], fill=_mix(colour, "#ffffff", 0.55))

    def _draw_shelves(self, d: ImageDraw.ImageDraw, view: View, t: float, active: set[str]) -> None:
        counts, extra = self.shelf_state(t)
        for code, skus in sorted(self.layout.facings.items()):
            x0, y0, x1, y1 = self.plate_rect(view, code)
            if x1 < 0 or x0 > self.size[0] or y1 < 0 or y0 > self.size[1]:
                continue
            lane = (x1 - x0) / max(1, len(skus))
            for i, sku in enumerate(skus):
                colour = self.layout.products[sku].color if sku in self.layout.products else "#888888"
                n = counts.get((code, sku), 0)
                ph = (y1 - y0 - 2) / PACKS_PER_FACING
                for k in range(min(n, PACKS_PER_FACING + 2)):
                    cy = y1 - 1 - ph * (k % PACKS_PER_FACING + 0.5)
                    self._pack(d, x0 + lane * (i + 0.5), cy, max(2.0, lane - 2), max(2.0, ph - 1), colour)
            if code in active:
                d.rectangle([x0, y0, x1, y1], outline="#ffd400", width=2)
        for code, sku in extra:
            x0, y0, x1, y1 = self.plate_rect(view, code)
            colour = self.layout.products[sku].color if sku in self.layout.products else "#888888"
            self._pack(d, (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * 0.6, (y1 - y0) * 0.35, colour, outline="#ff2020")

    def draw(self, camera_code: str, t: float) -> Image.Image:
        camera = self.layout.cameras[camera_code]
        view = camera_view(self.layout, camera, self.size)
        img = self.background(view).copy()
        d = ImageDraw.Draw(img)
        reaching = [a for a in self.interactions if a["t_start"] <= t <= a["t_end"]]
        self._draw_shelves(d, view, t, {a["plate"] for a in reaching})
        held = self.carried(t)
        body_r = BODY_R_M * view.scale
        for person in sorted(self.people, key=lambda p: p["track_id"]):
            pos = self.position(person, t)
            if pos is None:
                continue
            bx, by = view.px(*pos)
            if bx < -40 or bx > self.size[0] + 40 or by < -40 or by > self.size[1] + 40:
                continue
            colour = self.colour_of(person)
            for act in reaching:
                if act["track_id"] == person["track_id"]:
                    x0, y0, x1, y1 = self.plate_rect(view, act["plate"])
                    self._draw_reach(d, act, (bx, by), (view.px(act["hand"][0], 0)[0], (y0 + y1) / 2), t)
            d.ellipse(
                [bx - body_r * 1.35, by - body_r * 0.8, bx + body_r * 1.35, by + body_r * 0.8],
                fill=_mix(colour, "#000000", 0.25),
            )
            d.ellipse([bx - body_r, by - body_r, bx + body_r, by + body_r], fill=colour, outline="#111111")
            for k, sku in enumerate(held.get(person["track_id"], [])[:4]):
                pc = self.layout.products[sku].color if sku in self.layout.products else "#888888"
                self._pack(d, bx + body_r * 1.1 + 4, by - body_r * 0.6 + k * 6, 7, 5, pc)
            label = str(person["track_id"])
            d.text(
                (bx, by),
                label,
                fill="#ffffff",
                font=font(max(9, int(body_r * 0.95)), True),
                anchor="mm",
                stroke_width=2,
                stroke_fill="#111111",
            )
            if person["role"] == "staff":
                d.text(
                    (bx, by + body_r + 6),
                    "STAFF",
                    fill="#ffffff",
                    font=font(8, True),
                    anchor="mm",
                    stroke_width=2,
                    stroke_fill=STAFF_COLOUR,
                )
        self._draw_occlusion(img, view, t)
        self._draw_overlay(d, camera, t)
        return img

    def _draw_reach(
        self,
        d: ImageDraw.ImageDraw,
        act: dict[str, Any],
        body: tuple[float, float],
        target: tuple[float, float],
        t: float,
    ) -> None:
        span = act["t_end"] - act["t_start"]
        phase = (t - act["t_start"]) / span if span > 0 else 1.0
        out = _smooth(phase / 0.35) * (1.0 - _smooth((phase - 0.65) / 0.35))
        hx_target, hy_target = target
        hx = body[0] + out * (hx_target - body[0])
        hy = body[1] + out * (hy_target - body[1])
        d.line([body, (hx, hy)], fill="#3b2a1a", width=6)
        d.line([body, (hx, hy)], fill=SKIN, width=4)
        d.ellipse([hx - 3.5, hy - 3.5, hx + 3.5, hy + 3.5], fill=SKIN, outline="#3b2a1a")
        sku = act.get("sku")
        if sku is None:
            return
        in_hand = t >= act["t_change"] if act["action"] == "pick" else t < act["t_change"]
        if in_hand:
            colour = self.layout.products[sku].color if sku in self.layout.products else "#888888"
            for k in range(min(int(act.get("quantity", 1)), 3)):
                self._pack(d, hx + 5 + 3 * k, hy + 2 + 3 * k, 9, 7, colour, outline="#000000")

    def _draw_occlusion(self, img: Image.Image, view: View, t: float) -> None:
        for occ in self.occlusions:
            if occ["camera"] != view.camera.code or not (occ["t"] <= t <= occ["t_end"]):
                continue
            fade = min(1.0, (t - occ["t"]) / 0.4, (occ["t_end"] - t) / 0.4)
            person = next((p for p in self.people if p["track_id"] == occ["track_id"]), None)
            pos = self.position(person, t) if person else None
            cx, cy = view.px(view.camera.x_m, view.camera.y_m)
            if pos is not None:
                px, py = view.px(*pos)
                cx, cy = cx + 0.6 * (px - cx), cy + 0.6 * (py - cy) - 20
            r = 0.55 * view.scale
            layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
            ld = ImageDraw.Draw(layer)
            alpha = int(215 * max(0.0, fade))
            ld.ellipse([cx - r * 1.3, cy - r, cx + r * 1.3, cy + r], fill=(40, 36, 44, alpha))
            ld.ellipse([cx - r * 0.55, cy - r * 0.5, cx + r * 0.55, cy + r * 0.5], fill=(25, 22, 28, alpha))
            img.paste(Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB"))

    def _draw_overlay(self, d: ImageDraw.ImageDraw, camera: CameraInfo, t: float) -> None:
        w, h = self.size
        d.rectangle([0, 0, w, 15], fill="#101418")
        d.text((4, 8), f"{camera.code}  {camera.name}", fill="#ffffff", font=font(10, True), anchor="lm")
        d.ellipse([w - 12, 4, w - 5, 11], fill="#e53935")
        d.rectangle([0, h - 15, w, h], fill="#101418")
        stamp = f"t+{t:6.2f} s"
        if self.entered_at is not None:
            now = self.entered_at + timedelta(seconds=t)
            stamp = f"{now:%Y-%m-%d %H:%M:%S}.{now.microsecond // 100000}  {stamp}"
        d.text((w - 4, h - 7), stamp, fill="#ffffff", font=font(10), anchor="rm")
