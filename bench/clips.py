"""Clip rendering time per second of video, VP9 (realtime, cpu-used 8) against VP8.

    .venv/bin/python bench/clips.py [--clips 6] [--seconds 8] [--json]

Clips are drawn from simulated visits of the default scenario (no database), one
camera each, 320x240 at 15 fps, around a hand-in-shelf moment. Also reports how much
of the time is drawing (Pillow) and how much is encoding. --json ends with one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# The repository root replaces bench/ on the path: a bench module named like a stdlib one
# (queue.py) would otherwise shadow it for Celery's imports.
sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jwo_review.settings")

import numpy as np  # noqa: E402

from jwo_review.simulator.generate import simulate_visit  # noqa: E402
from jwo_review.simulator.render.layout import layout_from_scenario  # noqa: E402
from jwo_review.simulator.render.scene import Scene  # noqa: E402
from jwo_review.simulator.render.video import encode_webm  # noqa: E402
from jwo_review.simulator.scenario import load_scenario  # noqa: E402
from jwo_review.simulator.vision import camera_for  # noqa: E402

FPS = 15


def windows(count: int, seconds: float) -> list[tuple[Scene, str, float]]:
    scenario = load_scenario("default")
    layout = layout_from_scenario(scenario)
    out = []
    index = 0
    while len(out) < count:
        visit = simulate_visit(scenario, seed=3, index=index, streams=False)
        index += 1
        acts = visit.truth["interactions"]
        if not acts:
            continue
        act = acts[0]
        plate = scenario.plates[act["plate"]]
        camera = camera_for(scenario, plate.x_m, plate.y_m).code
        out.append((Scene(layout, visit.truth), camera, max(0.0, act["t_change"] - seconds / 2)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    clips = windows(args.clips, args.seconds)
    video_s = args.clips * args.seconds
    results: dict[str, float] = {}
    started = time.perf_counter()
    frames_per_clip = []
    for scene, camera, t0 in clips:
        frames_per_clip.append([scene.draw(camera, float(t)) for t in np.arange(t0, t0 + args.seconds, 1 / FPS)])
    draw_s = time.perf_counter() - started
    sizes: dict[str, int] = {}
    for codec in ("vp9", "vp8"):
        started = time.perf_counter()
        sizes[codec] = sum(len(encode_webm(frames, fps=FPS, size=frames[0].size, codec=codec))
                           for frames in frames_per_clip)
        results[codec] = time.perf_counter() - started
    vp9 = (draw_s + results["vp9"]) / video_s
    vp8 = (draw_s + results["vp8"]) / video_s
    print(f"{args.clips} clips x {args.seconds:.0f} s, 320x240 @ {FPS} fps ({video_s:.0f} s of video)")
    print(f"  drawing frames: {draw_s / video_s:.3f} s per video second")
    print(f"  VP9 realtime cpu-used 8: {vp9:.3f} s render per video second "
          f"(encode {results['vp9'] / video_s:.3f}), {sizes['vp9'] / video_s / 1024:.1f} KiB/s")
    print(f"  baseline VP8 realtime:   {vp8:.3f} s render per video second "
          f"(encode {results['vp8'] / video_s:.3f}), {sizes['vp8'] / video_s / 1024:.1f} KiB/s")
    print(f"  ratio VP9/VP8 render time: {vp9 / vp8:.2f}")
    if args.json:
        print(json.dumps({"clips": args.clips, "seconds_per_clip": args.seconds, "fps": FPS,
                          "render_s_per_video_s": round(vp9, 4), "baseline_vp8_render_s_per_video_s": round(vp8, 4),
                          "draw_s_per_video_s": round(draw_s / video_s, 4), "ratio": round(vp9 / vp8, 3)}))


if __name__ == "__main__":
    main()
