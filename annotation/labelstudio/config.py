"""The labelling config we generate for a store's Label Studio project.

A task is one visit; a ``Repeater`` pages through its weight events. Per event: one
``<Video>`` per camera view of the interaction, all in one ``sync`` group, so playing,
seeking and frame-stepping one view moves the others; the plate's weight trace as a
``<TimeSeries>`` in the same group (Label Studio 1.20 and later sync time series with
video; its time column is seconds from the clip's first frame, computed by us, so no
frame counting in the browser decides where the interaction is); and the controls:
action, product (the event's candidates, or another SKU typed in), quantity, shopper.
"""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import quoteattr

from annotation.models import ACTIONS

ACTION_TITLES = {"pick": "Pick", "put_back": "Put back", "restock": "Staff restock", "noise": "No-op (sensor noise)"}
MAX_QUANTITY = 20
VIEW_HEIGHT = 220


def view_name(view: int, idx: int | str) -> str:
    return f"view{view}_{idx}"


def labelling_config(*, views: int, fps: int) -> str:
    """The config for a store whose interactions are seen by ``views`` cameras (1 to 4)
    and whose clips play at ``fps`` frames per second."""
    if not 1 <= views <= 4:
        raise ValueError("A store's interactions have one to four views.")
    idx = "{{idx}}"
    ev = f"$events[{idx}]"
    videos = "\n".join(
        f'        <Video name="{view_name(v, idx)}" value="{ev}.view{v}" frameRate="{fps}" '
        f'sync="event_{idx}" height="{VIEW_HEIGHT}" muted="true"/>'
        for v in range(1, views + 1)
    )
    target = view_name(1, idx)
    actions = "".join(f"<Choice value={quoteattr(ACTION_TITLES[a])} alias={quoteattr(a)}/>" for a in ACTIONS)
    return f"""<View>
  <Header value="$title"/>
  <Text name="visit_note" value="$note"/>
  <Repeater on="$events" indexFlag="{idx}" mode="pagination">
    <Header value="{ev}.title" size="4"/>
    <View style="display: grid; grid-template-columns: repeat({min(views, 2)}, 1fr); gap: 6px;">
{videos}
    </View>
    <TimeSeries name="weight_{idx}" value="{ev}.trace" valueType="json" timeColumn="t" sync="event_{idx}"
                overviewChannels="g" fixedScale="true">
      <Channel column="g" legend="Plate weight (g)" strokeColor="#2563eb"/>
    </TimeSeries>
    <View style="display: grid; grid-template-columns: 1fr 1fr; gap: 12px;">
      <View>
        <Header value="Action" size="6"/>
        <Choices name="action_{idx}" toName="{target}" choice="single-radio" showInline="true" required="true">
          {actions}
        </Choices>
        <Header value="Quantity" size="6"/>
        <Number name="quantity_{idx}" toName="{target}" min="1" max="{MAX_QUANTITY}"/>
        <Header value="Shopper" size="6"/>
        <Choices name="shopper_{idx}" toName="{target}" choice="single-radio" showInline="true" value="{ev}.shoppers"/>
      </View>
      <View>
        <Header value="Product" size="6"/>
        <Choices name="product_{idx}" toName="{target}" choice="single-radio" value="{ev}.products"/>
        <TextArea name="other_sku_{idx}" toName="{target}" maxSubmissions="1" editable="true"
                  placeholder="Another product: type its SKU"/>
      </View>
    </View>
  </Repeater>
</View>
"""


def config_hash(config: str) -> str:
    return hashlib.sha256(config.encode()).hexdigest()
