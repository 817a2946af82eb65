"""The synthetic store: scenarios, physics, behaviours, sensors, ground truth, video.

Pure-Python generation (no database): ``scenario.load_scenario`` and
``generate.simulate_visits`` (see ``generate``'s docstring for the payload and truth
contract); ``scripted`` replays the visits a script file lists through the same
physics, detector and cameras. Database side: ``services`` (ingest through
``visits_ingest``, truth rows), ``tasks.render_clip`` (WebM clips on the media queue),
management commands ``simulate`` and ``render_catalogue``.
"""
