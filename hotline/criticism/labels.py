"""How the pages, the history (办理记录) and the report name a criticism's channel, state, target and
reply method (zh-CN)."""

from __future__ import annotations

from typing import Final

from hotline.criticism.models import Channel, CriticismState, ReplyMethod, Target

CHANNEL_LABELS: Final[dict[str, str]] = {
    Channel.phone: "电话留言",
    Channel.after_rating: "差评后留言",
    Channel.web: "网上留言",
    Channel.letter: "来信",
    Channel.mailbox: "局长信箱",
}
STATE_LABELS: Final[dict[str, str]] = {
    CriticismState.received: "已接收",
    CriticismState.assigned: "办理中",
    CriticismState.handled: "已核查",
    CriticismState.replied: "已答复",
    CriticismState.closed: "已办结",
}
TARGET_LABELS: Final[dict[str, str]] = {
    Target.lawyer: "律师",
    Target.firm: "律所",
    Target.centre: "公共法律服务中心",
    Target.hotline: "热线本身",
}
REPLY_METHOD_LABELS: Final[dict[str, str]] = {
    ReplyMethod.callback: "电话答复",
    ReplyMethod.written: "书面答复",
}
