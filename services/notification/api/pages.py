"""HTML pages: the dev inbox and the unsubscribe confirmation (escaped by jinja2)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import jinja2

from services.notification.views.models import Inbox

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("services.notification", "templates"),
    undefined=jinja2.StrictUndefined,
    autoescape=True,
)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

INBOX_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "lang": "zh-CN", "title": "开发收件箱", "switch": "English",
        "lead": "本地运行时 sink 捕获的短信和邮件，最新的在最上面；验证码放在最前面。",
        "phone": "按手机号查找", "phone_hint": "完整号码或其中几位", "search": "查找",
        "all": "显示全部", "code": "验证码", "to": "收件人", "time": "时间", "channel": "渠道",
        "event": "事件", "message": "内容", "none": "还没有消息。",
        "none_for": "没有发给 {phone} 的消息。", "json": "JSON",
    },
    "en": {
        "lang": "en", "title": "Dev inbox", "switch": "中文",
        "lead": "Texts and emails the sink captured on this local run, newest first; sign-in "
                "codes come first.",
        "phone": "Find by phone", "phone_hint": "the whole number or some of its digits",
        "search": "Find", "all": "Show all", "code": "Code", "to": "To", "time": "Time",
        "channel": "Channel", "event": "Event", "message": "Message",
        "none": "No messages yet.", "none_for": "No messages to {phone}.", "json": "JSON",
    },
}


def _when(moment: datetime, tz: ZoneInfo, *, en: bool) -> str:
    local = moment.astimezone(tz)
    if en:
        return f"{local.day} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M:%S}"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"


def inbox_page(inbox: Inbox, *, en: bool, phone: str, tz: ZoneInfo) -> str:
    """Render captured messages, newest first, in Chinese or English; codes come first."""
    texts = INBOX_TEXTS["en" if en else "zh"]
    # The other language keeps the search.
    switch = urlencode({**({"phone": phone} if phone else {}), **({} if en else {"lang": "en"})})
    return _ENV.get_template("inbox.html.j2").render(
        items=inbox.items, t=texts, phone=phone,
        switch_url=f"/dev/inbox?{switch}" if switch else "/dev/inbox",
        when=partial(_when, tz=tz, en=en),
    )


def unsubscribe_page(*, token: str, done: bool) -> str:
    """Render the opt-out confirmation (GET asks, POST confirms)."""
    return _ENV.get_template("unsubscribe.html.j2").render(token=token, done=done)
