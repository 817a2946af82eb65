"""Label Studio interop: send annotation tasks to a team's own Label Studio and bring the
results back into consensus and training data.

- ``models``: a connection per team (URL, encrypted token), its projects (one per store),
  the tasks it holds, its users and their annotations, and each sync's record.
- ``config``: the labelling config we generate for a store (one video per camera view of
  an interaction in one sync group, the plate's weight trace synced with them, controls
  per event), and ``payload``: a task's data and the model's auto-labels as predictions,
  with every time in seconds computed by us.
- ``results``: a Label Studio annotation read back into our labels, or a clear reason why not.
- ``client``: the calls we make, through ``label_studio_sdk``.
- ``sync``: push and pull, idempotent, with a summary per run.
"""
