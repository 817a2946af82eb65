"""The transformer over a visit's tokens, and batching featurised visits into tensors.

The encoder sees weight-event, vision-event and track tokens together; three heads
then answer, per weight event: the action (4 classes), which (product, quantity)
candidate (a pointer over K x Q pair embeddings), and which track (a pointer over the
visit's track tokens). Pointers instead of a catalogue-wide softmax keep the network
independent of the store's products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from inference.features import (
    EVENT_TOKEN,
    IGNORE,
    MAX_PRODUCTS,
    MAX_QUANTITY,
    PRODUCT_PAIR,
    TRACK_PAIR,
    TRACK_TOKEN,
    VISION_TOKEN,
    VisitFeatures,
)

NEG = -1e4  # a masked logit: finite, so an all-masked row stays finite under softmax


@dataclass(frozen=True)
class NetConfig:
    d_model: int = 64
    layers: int = 2
    heads: int = 4
    ff: int = 128
    pair_hidden: int = 48
    dropout: float = 0.0

    def as_dict(self) -> dict[str, int | float]:
        return asdict(self)


@dataclass
class Batch:
    events: torch.Tensor  # [B, E, Fe]
    event_mask: torch.Tensor  # [B, E] True = real
    vision: torch.Tensor  # [B, V, Fv]
    vision_mask: torch.Tensor
    tracks: torch.Tensor  # [B, T, Ft]
    track_mask: torch.Tensor
    pq: torch.Tensor  # [B, E, K, Q, Fp]
    pq_mask: torch.Tensor  # [B, E, K]
    track_pairs: torch.Tensor  # [B, E, T, Fg]
    y_action: torch.Tensor | None = None  # [B, E]
    y_pq: torch.Tensor | None = None
    y_track: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        moved = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}
        return Batch(**moved)


def collate(items: Sequence[VisitFeatures], *, with_labels: bool = False) -> Batch:
    """Pad a list of visits to one batch (at least one slot per axis so shapes stay valid)."""
    b = len(items)
    n_e = max(1, max(len(f.events) for f in items))
    n_v = max(1, max(len(f.vision) for f in items))
    n_t = max(1, max(len(f.tracks) for f in items))
    ev = np.zeros((b, n_e, EVENT_TOKEN.width), np.float32)
    ev_m = np.zeros((b, n_e), bool)
    vi = np.zeros((b, n_v, VISION_TOKEN.width), np.float32)
    vi_m = np.zeros((b, n_v), bool)
    tr = np.zeros((b, n_t, TRACK_TOKEN.width), np.float32)
    tr_m = np.zeros((b, n_t), bool)
    pq = np.zeros((b, n_e, MAX_PRODUCTS, MAX_QUANTITY, PRODUCT_PAIR.width), np.float32)
    pq_m = np.zeros((b, n_e, MAX_PRODUCTS), bool)
    tp = np.zeros((b, n_e, n_t, TRACK_PAIR.width), np.float32)
    ya = np.full((b, n_e), IGNORE, np.int64)
    yp = np.full((b, n_e), IGNORE, np.int64)
    yt = np.full((b, n_e), IGNORE, np.int64)
    for i, f in enumerate(items):
        e, v, t = len(f.events), len(f.vision), len(f.tracks)
        ev[i, :e], ev_m[i, :e] = f.events, True
        vi[i, :v], vi_m[i, :v] = f.vision, True
        tr[i, :t], tr_m[i, :t] = f.tracks, True
        pq[i, :e], pq_m[i, :e] = f.pq, f.pq_mask
        tp[i, :e, :t] = f.track_pairs
        if with_labels and f.y_action is not None and f.y_pq is not None and f.y_track is not None:
            ya[i, :e], yp[i, :e], yt[i, :e] = f.y_action, f.y_pq, f.y_track
    batch = Batch(
        events=torch.from_numpy(ev),
        event_mask=torch.from_numpy(ev_m),
        vision=torch.from_numpy(vi),
        vision_mask=torch.from_numpy(vi_m),
        tracks=torch.from_numpy(tr),
        track_mask=torch.from_numpy(tr_m),
        pq=torch.from_numpy(pq),
        pq_mask=torch.from_numpy(pq_m),
        track_pairs=torch.from_numpy(tp),
    )
    if with_labels:
        batch.y_action, batch.y_pq, batch.y_track = torch.from_numpy(ya), torch.from_numpy(yp), torch.from_numpy(yt)
    return batch


class EncoderBlock(nn.Module):
    """Pre-norm self-attention and feed-forward. Written out (rather than
    ``nn.TransformerEncoderLayer``) so dynamic int8 quantisation can swap its linear
    layers without tripping the fused fast path's checks."""

    def __init__(self, d: int, heads: int, ff: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d)
        self.attention = nn.MultiheadAttention(d, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff, d))

    def forward(self, x: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attention(h, h, h, key_padding_mask=padding, need_weights=False)[0]
        out: torch.Tensor = x + self.ff(self.norm2(x))
        return out


class VisitTransformer(nn.Module):
    def __init__(self, config: NetConfig | None = None) -> None:
        super().__init__()
        c = config or NetConfig()
        self.config = c
        d, h = c.d_model, c.pair_hidden
        self.embed_event = nn.Linear(EVENT_TOKEN.width, d)
        self.embed_vision = nn.Linear(VISION_TOKEN.width, d)
        self.embed_track = nn.Linear(TRACK_TOKEN.width, d)
        self.type_embedding = nn.Parameter(torch.zeros(3, d))
        self.blocks = nn.ModuleList(EncoderBlock(d, c.heads, c.ff, c.dropout) for _ in range(c.layers))
        self.norm = nn.LayerNorm(d)
        self.action_head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, 4))
        self.pq_pair = nn.Sequential(nn.Linear(PRODUCT_PAIR.width, h), nn.GELU(), nn.Linear(h, h))
        self.pq_event = nn.Linear(d, h)
        self.pq_out = nn.Sequential(nn.GELU(), nn.Linear(h, h), nn.GELU(), nn.Linear(h, 1))
        self.tr_pair = nn.Sequential(nn.Linear(TRACK_PAIR.width, h), nn.GELU(), nn.Linear(h, h))
        self.tr_event = nn.Linear(d, h)
        self.tr_token = nn.Linear(d, h)
        self.tr_out = nn.Sequential(nn.GELU(), nn.Linear(h, h), nn.GELU(), nn.Linear(h, 1))

    def forward(self, b: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits: action [B,E,4], product x quantity [B,E,K*Q], track [B,E,T] (masked slots at NEG)."""
        n_e, n_v = b.events.shape[1], b.vision.shape[1]
        tokens = torch.cat(
            [
                self.embed_event(b.events) + self.type_embedding[0],
                self.embed_vision(b.vision) + self.type_embedding[1],
                self.embed_track(b.tracks) + self.type_embedding[2],
            ],
            dim=1,
        )
        mask = torch.cat([b.event_mask, b.vision_mask, b.track_mask], dim=1)
        hidden = tokens
        for block in self.blocks:
            hidden = block(hidden, ~mask)
        hidden = self.norm(hidden)
        h_ev, h_tr = hidden[:, :n_e], hidden[:, n_e + n_v :]

        action = self.action_head(h_ev)
        # Only real (event, candidate) slots go through the pair MLP: most of a padded
        # batch is padding, and this head is most of the network's arithmetic.
        slots = b.pq_mask.nonzero(as_tuple=True)
        pair = self.pq_pair(b.pq[slots]) + self.pq_event(h_ev)[slots[0], slots[1]][:, None, :]
        pq_logits = torch.full(b.pq.shape[:-1], NEG, dtype=action.dtype, device=action.device)
        pq_logits[slots] = self.pq_out(pair).squeeze(-1).to(action.dtype)
        pq_logits = pq_logits.flatten(2)  # [B,E,K*Q]
        tpair = self.tr_pair(b.track_pairs) + self.tr_event(h_ev)[:, :, None, :] + self.tr_token(h_tr)[:, None, :, :]
        tr_logits = self.tr_out(tpair).squeeze(-1).masked_fill(~b.track_mask[:, None, :], NEG)
        return action, pq_logits, tr_logits


def visit_loss(model: VisitTransformer, batch: Batch) -> torch.Tensor:
    """Sum of the three heads' mean cross-entropies over labelled events (a head with no
    labelled event in the batch adds nothing, rather than a 0/0)."""
    action, pq, tr = model(batch)
    assert batch.y_action is not None and batch.y_pq is not None and batch.y_track is not None
    loss: torch.Tensor = action.sum() * 0.0
    for logits, target in ((action, batch.y_action), (pq, batch.y_pq), (tr, batch.y_track)):
        if (target != IGNORE).any():
            loss = loss + nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=IGNORE)
    return loss


def predict_probs(model: nn.Module, batch: Batch) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Softmax probabilities as numpy arrays (action, product x quantity, track)."""
    with torch.inference_mode():
        action, pq, tr = model(batch)
        return (
            torch.softmax(action, -1).numpy(),
            torch.softmax(pq, -1).numpy(),
            torch.softmax(tr, -1).numpy(),
        )
