"""`jiangxin` sub-commands of the notification service: sms-templates."""

from __future__ import annotations

import argparse
import json
import re
from typing import TypeAlias

from services.notification.templates.registry import LOCALES, TemplateRegistry
from services.notification.templates.variables import SPECS

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def register(commands: Commands) -> None:
    """Add this service's commands to the `jiangxin` parser."""
    p = commands.add_parser(
        "sms-templates",
        help="print the SMS texts to register at a provider, in its placeholder syntax",
    )
    p.add_argument("provider", choices=["aliyun", "tencent"])
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=_sms_templates)


def provider_text(source: str, provider: str) -> str:
    """Rewrite {{ name }} as Aliyun ${name} or Tencent {1}, {2}... (first appearance order)."""
    if provider == "aliyun":
        return _PLACEHOLDER.sub(lambda m: "${" + m.group(1) + "}", source.strip())
    order = list(dict.fromkeys(_PLACEHOLDER.findall(source)))
    return _PLACEHOLDER.sub(lambda m: "{" + str(order.index(m.group(1)) + 1) + "}", source.strip())


def _sms_templates(args: argparse.Namespace) -> None:
    registry = TemplateRegistry.load("-")
    for spec in SPECS:
        for locale in LOCALES:
            source = registry.sms_source(locale, spec.event_type)
            key = f"{spec.event_type}:{locale}"
            text = provider_text(source, args.provider)
            if args.json:
                print(json.dumps({"key": key, "text": text}, ensure_ascii=False))
            else:
                print(f"{key}\n  {text}")
