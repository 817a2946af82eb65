"""The transformer over a visit's tokens, and batching featurised visits into tensors.

The encoder sees weight-event, vision-event and track tokens together; three heads
then answer, per weight event: the action (4 classes), which (product, quantity)
candidate (a pointer over K x Q pair embeddings), and which track (a pointer over the
visit's track tokens). Pointers instead of a catalogue-wide softmax keep the network
independent of the store's products.

With ``NetConfig.vision_items`` the encoder also reads the visit's unexplained reaches
(hands in a shelf no weight event explains, ``inference.features.reaches``), and four
more heads answer per reach: the action (none, pick, put back), which of the reach's
product candidates, how many, and which track. A network built without it has none of
these layers, so weights saved before it load and score exactly as they did. It also
reads the last group of the product pair columns (``two_hands``: one change that merged
two people's moves), which a network without it leaves out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, cast

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
    REACH_PRODUCT,
    REACH_TOKEN,
    REACH_TRACK,
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
    vision_items: bool = False  # read unexplained reaches and put items on the receipt from vision

    def as_dict(self) -> dict[str, int | float | bool]:
        """The config as saved with the weights; without the switch it is left out, so a
        network without reach heads saves exactly what it saved before the switch existed."""
        out: dict[str, int | float | bool] = asdict(self)
        if not self.vision_items:
            del out["vision_items"]
        return out


Probs = tuple[NDArray[Any], NDArray[Any], NDArray[Any]]  # action, product x quantity, track
REACH_ACTION_CLASSES = 3  # none, pick, put back (``inference.features.labels.REACH_ACTIONS``)


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
    # Unexplained reaches, only for a network with ``vision_items`` (``collate(reaches=True)``).
    reaches: torch.Tensor | None = None  # [B, R, Fr]
    reach_mask: torch.Tensor | None = None  # [B, R]
    reach_pq: torch.Tensor | None = None  # [B, R, K, Frp]
    reach_pq_mask: torch.Tensor | None = None  # [B, R, K]
    reach_track_pairs: torch.Tensor | None = None  # [B, R, T, Frt]
    y_reach_action: torch.Tensor | None = None  # [B, R]
    y_reach_product: torch.Tensor | None = None
    y_reach_quantity: torch.Tensor | None = None
    y_reach_track: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        moved = {k: (v.to(device) if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}
        return Batch(**moved)


def collate(items: Sequence[VisitFeatures], *, with_labels: bool = False, reaches: bool = False) -> Batch:
    """Pad a list of visits to one batch (at least one slot per axis so shapes stay valid);
    ``reaches`` adds the unexplained reaches a ``vision_items`` network reads."""
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
    if reaches:
        _collate_reaches(batch, items, n_t, with_labels=with_labels)
    return batch


def _collate_reaches(batch: Batch, items: Sequence[VisitFeatures], n_t: int, *, with_labels: bool) -> None:
    b = len(items)
    n_r = max(1, max(len(f.reaches) for f in items))
    re = np.zeros((b, n_r, REACH_TOKEN.width), np.float32)
    re_m = np.zeros((b, n_r), bool)
    rp = np.zeros((b, n_r, MAX_PRODUCTS, REACH_PRODUCT.width), np.float32)
    rp_m = np.zeros((b, n_r, MAX_PRODUCTS), bool)
    rt = np.zeros((b, n_r, n_t, REACH_TRACK.width), np.float32)
    targets = {name: np.full((b, n_r), IGNORE, np.int64) for name in REACH_TARGETS}
    for i, f in enumerate(items):
        r, t = len(f.reaches), len(f.tracks)
        re[i, :r], re_m[i, :r] = f.reaches, True
        rp[i, :r], rp_m[i, :r] = f.reach_pq, f.reach_pq_mask
        rt[i, :r, :t] = f.reach_track_pairs
        for name, target in targets.items():
            labels = getattr(f, name)
            if with_labels and labels is not None:
                target[i, :r] = labels
    batch.reaches, batch.reach_mask = torch.from_numpy(re), torch.from_numpy(re_m)
    batch.reach_pq, batch.reach_pq_mask = torch.from_numpy(rp), torch.from_numpy(rp_m)
    batch.reach_track_pairs = torch.from_numpy(rt)
    if with_labels:
        for name, target in targets.items():
            setattr(batch, name, torch.from_numpy(target))


REACH_TARGETS = ("y_reach_action", "y_reach_product", "y_reach_quantity", "y_reach_track")


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
        # The two-hands pair columns (the last group) are read only with vision_items, so
        # weights fitted without it read exactly the columns they were fitted to.
        self.pq_width = PRODUCT_PAIR.width if c.vision_items else PRODUCT_PAIR.span("two_hands").start
        self.pq_pair = nn.Sequential(nn.Linear(self.pq_width, h), nn.GELU(), nn.Linear(h, h))
        self.pq_event = nn.Linear(d, h)
        self.pq_out = nn.Sequential(nn.GELU(), nn.Linear(h, h), nn.GELU(), nn.Linear(h, 1))
        self.tr_pair = nn.Sequential(nn.Linear(TRACK_PAIR.width, h), nn.GELU(), nn.Linear(h, h))
        self.tr_event = nn.Linear(d, h)
        self.tr_token = nn.Linear(d, h)
        self.tr_out = nn.Sequential(nn.GELU(), nn.Linear(h, h), nn.GELU(), nn.Linear(h, 1))
        # Made last, so a network without them draws its other layers' initial weights as before.
        self.reach_heads = ReachHeads(d, h) if c.vision_items else None

    def forward(self, b: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits: action [B,E,4], product x quantity [B,E,K*Q], track [B,E,T] (masked slots at NEG)."""
        return self.forward_all(b)[0]

    def forward_all(
        self, b: Batch
    ) -> tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, ...] | None]:
        """The event heads' logits, and with ``vision_items`` the reach heads' (action
        [B,R,3], product [B,R,K], quantity [B,R,Q], track [B,R,T]; masked slots at NEG)."""
        n_e, n_v, n_t = b.events.shape[1], b.vision.shape[1], b.tracks.shape[1]
        parts = [
            self.embed_event(b.events) + self.type_embedding[0],
            self.embed_vision(b.vision) + self.type_embedding[1],
            self.embed_track(b.tracks) + self.type_embedding[2],
        ]
        masks = [b.event_mask, b.vision_mask, b.track_mask]
        if self.reach_heads is not None:
            if b.reaches is None or b.reach_mask is None:
                raise ValueError("a vision_items network needs batches collated with reaches=True")
            parts.append(self.reach_heads.embed(b.reaches))
            masks.append(b.reach_mask)
        hidden = torch.cat(parts, dim=1)
        mask = torch.cat(masks, dim=1)
        for block in self.blocks:
            hidden = block(hidden, ~mask)
        hidden = self.norm(hidden)
        h_ev, h_tr = hidden[:, :n_e], hidden[:, n_e + n_v : n_e + n_v + n_t]
        events = self._event_heads(b, h_ev, h_tr)
        if self.reach_heads is None:
            return events, None
        return events, self.reach_heads(b, hidden[:, n_e + n_v + n_t :], h_tr)

    def _event_heads(
        self, b: Batch, h_ev: torch.Tensor, h_tr: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        action = self.action_head(h_ev)
        # Only real (event, candidate) slots go through the pair MLP: most of a padded
        # batch is padding, and this head is most of the network's arithmetic.
        slots = b.pq_mask.nonzero(as_tuple=True)
        pair = self.pq_pair(b.pq[slots][..., : self.pq_width]) + self.pq_event(h_ev)[slots[0], slots[1]][:, None, :]
        pq_logits = torch.full(b.pq.shape[:-1], NEG, dtype=action.dtype, device=action.device)
        pq_logits[slots] = self.pq_out(pair).squeeze(-1).to(action.dtype)
        pq_logits = pq_logits.flatten(2)  # [B,E,K*Q]
        tpair = self.tr_pair(b.track_pairs) + self.tr_event(h_ev)[:, :, None, :] + self.tr_token(h_tr)[:, None, :, :]
        tr_logits = self.tr_out(tpair).squeeze(-1).masked_fill(~b.track_mask[:, None, :], NEG)
        return action, pq_logits, tr_logits


def _heads_loss(pairs: Sequence[tuple[torch.Tensor, torch.Tensor | None]], zero: torch.Tensor) -> torch.Tensor:
    """Sum of mean cross-entropies over labelled slots (a head with no labelled slot in
    the batch adds nothing, rather than a 0/0)."""
    loss = zero
    for logits, target in pairs:
        assert target is not None
        if (target != IGNORE).any():
            loss = loss + nn.functional.cross_entropy(logits.flatten(0, 1), target.flatten(), ignore_index=IGNORE)
    return loss


def reach_loss(reach: Sequence[torch.Tensor], batch: Batch) -> torch.Tensor:
    """The reach heads' loss: action, product, quantity and track over labelled reaches."""
    targets = [getattr(batch, name) for name in REACH_TARGETS]
    return _heads_loss(list(zip(reach, targets)), reach[0].sum() * 0.0)


class VisitEnsemble(nn.Module):
    """Networks of one config trained apart (each on its own simulated visits from its own
    initial weights), answering together: every head's answer is the normalised geometric
    mean of the members' probabilities (the mean of their log-probabilities). Members
    disagree most where each is least sure, so the ensemble ranks visits for review
    better than any one of them (README, "The model"). A masked slot stays at about
    ``NEG`` in every member, so it stays masked."""

    def __init__(self, members: Sequence[VisitTransformer]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one network")
        if any(m.config != members[0].config for m in members):
            raise ValueError("an ensemble's networks share one config")
        self.members = nn.ModuleList(members)
        self.config = members[0].config

    def networks(self) -> list[VisitTransformer]:
        return [cast(VisitTransformer, m) for m in self.members]

    def forward(self, b: Batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return self.forward_all(b)[0]

    def forward_all(
        self, b: Batch
    ) -> tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, ...] | None]:
        outs = [cast(VisitTransformer, m).forward_all(b) for m in self.members]

        def mean(heads: list[torch.Tensor]) -> torch.Tensor:
            return torch.stack([torch.log_softmax(x, -1) for x in heads]).mean(0)

        events = [o[0] for o in outs]
        action, pq, track = (mean([e[k] for e in events]) for k in range(3))
        reaches = [o[1] for o in outs if o[1] is not None]  # members share a config: all or none
        if not reaches:
            return (action, pq, track), None
        return (action, pq, track), tuple(mean([r[k] for r in reaches]) for k in range(len(reaches[0])))


VisitModel = VisitTransformer | VisitEnsemble


def networks_of(model: nn.Module) -> list[VisitTransformer]:
    """The trained networks inside ``model``: its members, or the network itself."""
    if isinstance(model, VisitEnsemble):
        return model.networks()
    return [cast(VisitTransformer, model)]


def config_record(model: VisitModel) -> dict[str, Any]:
    """What a model version's metrics record of its shape: the networks' config and how
    many networks answer together."""
    return {**model.config.as_dict(), "members": len(networks_of(model))}


def visit_loss(model: VisitTransformer, batch: Batch) -> torch.Tensor:
    """The event heads' cross-entropies, plus the reach heads' (``reach_loss``) for a
    ``vision_items`` network."""
    (action, pq, tr), reach = model.forward_all(batch)
    pairs = ((action, batch.y_action), (pq, batch.y_pq), (tr, batch.y_track))
    loss = _heads_loss(pairs, action.sum() * 0.0)
    if reach is not None:
        loss = loss + reach_loss(reach, batch)
    return loss


def predict_reach_probs(model: nn.Module, batch: Batch) -> tuple[Probs, tuple[NDArray[Any], ...] | None]:
    """Softmax probabilities of the event heads and, for a ``vision_items`` network, of
    the reach heads (action, product, quantity, track). ``model`` is a ``VisitTransformer``,
    a ``VisitEnsemble``, or an int8 copy of either."""
    with torch.inference_mode():
        events, reach = cast(VisitTransformer, model).forward_all(batch)
        probs = tuple(torch.softmax(x, -1).numpy() for x in events)
        return (probs[0], probs[1], probs[2]), (
            None if reach is None else tuple(torch.softmax(x, -1).numpy() for x in reach)
        )


class ReachHeads(nn.Module):
    """The reach token's embedding and its four heads: action (none / pick / put back),
    a pointer over the reach's product candidates, the quantity 1..Q, and a pointer over
    the visit's tracks."""

    def __init__(self, d: int, h: int) -> None:
        super().__init__()
        self.embed_reach = nn.Linear(REACH_TOKEN.width, d)
        self.type_embedding = nn.Parameter(torch.zeros(d))
        self.action = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, REACH_ACTION_CLASSES))
        self.quantity = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, MAX_QUANTITY))
        self.pq_pair = nn.Sequential(nn.Linear(REACH_PRODUCT.width, h), nn.GELU(), nn.Linear(h, h))
        self.pq_reach = nn.Linear(d, h)
        self.pq_out = nn.Sequential(nn.GELU(), nn.Linear(h, 1))
        self.tr_pair = nn.Sequential(nn.Linear(REACH_TRACK.width, h), nn.GELU(), nn.Linear(h, h))
        self.tr_reach = nn.Linear(d, h)
        self.tr_token = nn.Linear(d, h)
        self.tr_out = nn.Sequential(nn.GELU(), nn.Linear(h, 1))

    def embed(self, reaches: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.embed_reach(reaches) + self.type_embedding
        return out

    def forward(self, b: Batch, h_re: torch.Tensor, h_tr: torch.Tensor) -> tuple[torch.Tensor, ...]:
        assert b.reach_pq is not None and b.reach_pq_mask is not None and b.reach_track_pairs is not None
        action = self.action(h_re)
        pair = self.pq_pair(b.reach_pq) + self.pq_reach(h_re)[:, :, None, :]
        product = self.pq_out(pair).squeeze(-1).masked_fill(~b.reach_pq_mask, NEG)
        tpair = self.tr_pair(b.reach_track_pairs) + self.tr_reach(h_re)[:, :, None, :] + self.tr_token(h_tr)[:, None]
        track = self.tr_out(tpair).squeeze(-1).masked_fill(~b.track_mask[:, None, :], NEG)
        return action, product, self.quantity(h_re), track
