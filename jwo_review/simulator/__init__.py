"""The synthetic store: scenarios, physics, behaviours, sensors, ground truth, video.

Pure-Python generation (no database): ``scenario.load_scenario`` and
``generate.simulate_visits`` (see ``generate``'s docstring for the payload and truth
contract). Database side: ``services`` (ingest through ``visits_ingest``, truth rows),
``tasks.render_clip`` (WebM clips on the media queue), management commands
``simulate`` and ``render_catalogue``.
"""
