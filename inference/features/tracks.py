"""Track columns: the event x track pair groups of ``TRACK_PAIR`` and the track token's
groups of ``TRACK_TOKEN``.

Vision track ids can be swapped by the tracker, so beside the id-based cues (what the
cameras saw this id do) there are id-free ones: where each person stands relative to the
plate and to the hands the cameras saw in the shelf at that moment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inference.features.scene import UNKNOWN_DISTANCE_M, UNSEEN_TRACK, EventScene, VisitScene
from inference.features.schema import TRACK_TOKEN, Columns


def _membership(visit: VisitScene, s: EventScene) -> Columns:
    return {"in_group": visit.is_group}


def _position(visit: VisitScene, s: EventScene) -> Columns:
    return {
        "plate_distance": s.distances / UNKNOWN_DISTANCE_M,
        "located": [float(p.position is not None) for p in s.people],
    }


def _tracked_hands(visit: VisitScene, s: EventScene) -> Columns:
    return {
        "hand_on_plate": [p.hand_here for p in s.people],
        "hand_near_plate": [p.hand_near for p in s.people],
        "at_fixture": [p.near_fixture for p in s.people],
        "hand_time_gap": [p.closest_dt / 5 for p in s.people],
    }


def _rank(visit: VisitScene, s: EventScene) -> Columns:
    ranks = np.argsort(np.argsort(s.distances, kind="stable"), kind="stable")
    located = np.array([p.position is not None for p in s.people])
    slots = np.arange(len(s.people))
    return {
        "nearest": (ranks == 0) & located,
        "distance_rank": np.minimum(ranks, 4) / 4,
        "unseen_person": slots == len(s.people) - 1,
    }


def _geometry(visit: VisitScene, s: EventScene) -> Columns:
    x = s.info.x_m
    return {
        "x_offset": [1.0 if p.position is None else min(abs(p.position[0] - x), 2.0) / 2 for p in s.people],
        "hand_reach": [p.reach / 2 for p in s.people],
        "hand_x_offset": [p.hand_dx for p in s.people],
        "id_drift": [min(p.drift, 2.0) / 2 for p in s.people],
        "crowding": [p.crowd / 2 for p in s.people],
        "hand_match": [p.match for p in s.people],
    }


TRACK_PAIR_GROUPS: dict[str, Callable[[VisitScene, EventScene], Columns]] = {
    "membership": _membership,
    "position": _position,
    "tracked_hands": _tracked_hands,
    "rank": _rank,
    "geometry": _geometry,
}


def _track_membership(visit: VisitScene, j: int) -> Columns:
    return {"in_group": float(visit.is_group[j])}


def _sightings(visit: VisitScene, j: int) -> Columns:
    mine = visit.vision_of[visit.track_ids[j]]
    return {
        "hand_events": min(sum(v["kind"] == "hand_in_shelf" for v in mine), 20) / 10,
        "fixture_events": min(sum(v["kind"] == "near_fixture" for v in mine), 20) / 10,
    }


def _identity(visit: VisitScene, j: int) -> Columns:
    tid = visit.track_ids[j]
    return {
        "has_floor_track": float(bool(visit.tracks_of.get(tid))),
        "group_size": len(visit.group_ids) / 4,
        "unseen_person": float(tid == UNSEEN_TRACK),
    }


TRACK_GROUPS: dict[str, Callable[[VisitScene, int], Columns]] = {
    "membership": _track_membership,
    "sightings": _sightings,
    "identity": _identity,
}


def track_tokens(visit: VisitScene) -> NDArray[Any]:
    """One row [TRACK_TOKEN.width] per track candidate."""
    out = np.zeros((len(visit.track_ids), TRACK_TOKEN.width), dtype=np.float32)
    for j in range(len(visit.track_ids)):
        TRACK_TOKEN.fill(out[j], TRACK_GROUPS, visit, j)
    return out
