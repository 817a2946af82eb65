"""Scripted visits: a hard case from a store, or a published test case, replayed.

A script file (YAML or JSON) says exactly who was in the store and what each of them
did; the simulated store does the rest. Its visits go through the same plate physics,
event detector and cameras as generated visits, so their weight events, plate streams
and vision events are what the store's sensors would have made of them, while their
ground truth is exactly the script. Whatever the script leaves out (walking paths,
how long a reach takes, unit weights, sensor noise, track ids) is drawn from the seed:
the same script and seed give the same bytes.

File shape (``jwo_review/simulator/scripts/hand_over_and_misplaced.yaml`` is an example)::

    name: hand-over-demo          # at most 32 letters, digits, . _ - (part of each client visit id)
    seed: 11                      # optional, default 0; ``simulate --seed`` overrides it
    scenario: default             # the store and its sensors from a scenario (name or path), or:
    store: {builtin: aim3s}       #   a store as scenario files give it (builtin or inline layout),
    physics: {...}                #   with optional physics, detector and vision sections
    visits:
      - name: hand-over           # unique in the file
        start: 2026-11-02T09:15:00Z   # optional; default: scenario start + arrival_gap_s per visit
        people:
          - name: ana             # unique in the visit
            role: shopper         # shopper (the payment group, one receipt), other (another
                                  # shopper, not on this receipt) or staff; default shopper
            enter_s: 0            # seconds from the start of the visit; default 0
            exit_s: 60            # optional; default: a few seconds after the last action
            do:                   # time-ordered; t is when the hand goes into the shelf
              - {t: 5, action: pick, product: AIM3S-063, quantity: 2}
              - {t: 14, action: hand_over, product: AIM3S-063, to: ben}
              - {t: 22, action: put_back, product: AIM3S-063, plate: S3P9}
          - {name: ben, enter_s: 1}
          - name: clerk
            role: staff
            do: [{t: 30, action: restock, product: AIM3S-060, quantity: 4}]

Actions: ``pick`` and ``put_back`` (shoppers and others), ``hand_over`` (a shopper to a
companion of the payment group), ``restock`` (staff). Give the ``product``, the
``plate``, or both: a plate alone names the one product faced on it; a pick or restock
without a plate takes a plate the product is faced on; a put-back without a plate
returns the unit where that person took it. A put-back on a plate that does not face
the product is a wrong-plate put-back. ``quantity`` defaults to 1.

``load_script`` checks the whole file before anything is simulated and raises
``ScriptError`` naming the visit and the line; ``simulate_script`` yields one
``SimVisit`` per scripted visit, in the shape ``generate`` documents, plus a
``script`` entry in the truth (script, visit, line, and each person's track id).
"""

from jwo_review.simulator.scripted.loader import Script, ScriptError, load_script, script_from_text
from jwo_review.simulator.scripted.simulate import simulate_script, simulate_scripted_visit

__all__ = [
    "Script",
    "ScriptError",
    "load_script",
    "script_from_text",
    "simulate_script",
    "simulate_scripted_visit",
]
