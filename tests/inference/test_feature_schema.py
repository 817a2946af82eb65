"""The featuriser's output is pinned: trained weights and measured figures read these tensors."""

from __future__ import annotations

from tests.inference.frozen_visits import features_digest, frozen_features

# Computed from the frozen visits with the featuriser at bb123c8, before the column schema.
# A change here means every trained model reads different inputs: bump
# ``inference.scoring.FEATURE_VERSION`` and retrain, then update the digest on purpose.
FROZEN_DIGEST = "7037eb152757d255c863443cbfa3d58109bba4c1ba5989a1e3b7814242968881"


def test_featurised_tensors_of_frozen_visits_are_bit_identical() -> None:
    features = frozen_features()
    assert len(features) == 36 and sum(len(f.events) for f in features) == 118
    assert features_digest(features) == FROZEN_DIGEST
