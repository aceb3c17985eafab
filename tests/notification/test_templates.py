"""The template registry: complete, strict, and within the providers' SMS rules."""

from __future__ import annotations

from typing import get_args
from zoneinfo import ZoneInfo

import jinja2
import pytest

from services.notification.cli import provider_text
from services.notification.domain.model import Channel
from services.notification.domain.rules import sms_length
from services.notification.templates.registry import (
    LOCALES,
    EmailHtml,
    TemplateError,
    TemplateRegistry,
    defuse_links,
)
from services.notification.templates.variables import SPECS
from shared.events.catalog import EnrollmentCancelled
from shared.events.envelope import Event
from tests.notification.harness import SHANGHAI_DAY, confirmed
from tests.notification.samples import samples

TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def registry() -> TemplateRegistry:
    return TemplateRegistry.load("匠心培训")


def render_all(registry: TemplateRegistry, event: Event, locale: str) -> dict[Channel, str]:
    spec = registry.spec(event.event_type)
    variables = spec.build(event, locale, TZ, SHANGHAI_DAY)
    return {ch: registry.render(spec.event_type, ch, locale, variables).body
            for ch in spec.channels}


def test_samples_cover_every_handled_event_type(registry: TemplateRegistry) -> None:
    assert {e.event_type for e in samples()} == set(registry.specs) == {s.event_type for s in SPECS}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_event_renders_on_every_channel_in_both_locales(
    registry: TemplateRegistry, locale: str
) -> None:
    for event in samples(locale):
        rendered = render_all(registry, event, locale)
        assert rendered[Channel.SMS].strip(), event.event_type
        for body in rendered.values():
            assert "{{" not in body
            assert "None" not in body



@pytest.mark.parametrize("locale", LOCALES)
def test_sms_text_is_what_jinja_makes_of_the_template(
    registry: TemplateRegistry, locale: str
) -> None:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    for event in samples(locale):
        spec = registry.spec(event.event_type)
        variables = registry.validate(spec.event_type,
                                      spec.build(event, locale, TZ, SHANGHAI_DAY))
        for odd in ("", "{{ x }} \\n%s}}"):
            values = {k: v + odd if odd else v for k, v in variables.items()}
            sms = registry.render(spec.event_type, Channel.SMS, locale, values, validated=True)
            jinja = env.from_string(registry.sms_source(locale, spec.event_type).strip())
            assert sms.body == jinja.render({**values, **dict(sms.params)}), spec.event_type


def test_english_and_chinese_texts_differ_for_every_event(registry: TemplateRegistry) -> None:
    for zh, en in zip(samples("zh-CN"), samples("en"), strict=True):
        assert render_all(registry, zh, "zh-CN") != render_all(registry, en, "en"), zh.event_type


@pytest.mark.parametrize("locale", LOCALES)
def test_sms_variables_carry_no_links_and_fit_provider_limits(
    registry: TemplateRegistry, locale: str
) -> None:
    for event in samples(locale):
        spec = registry.spec(event.event_type)
        sms = registry.render(spec.event_type, Channel.SMS, locale,
                              spec.build(event, locale, TZ, SHANGHAI_DAY))
        assert all("http" not in value and len(value) <= 35 for _n, value in sms.params)
        assert sms.chars is not None
        assert sms.chars <= 500


@pytest.mark.parametrize("locale", LOCALES)
def test_every_reason_a_cancellation_can_carry_is_worded_within_the_sms_limits(
    registry: TemplateRegistry, locale: str
) -> None:
    sample = next(e for e in samples(locale) if isinstance(e, EnrollmentCancelled))
    spec = registry.spec(sample.event_type)
    for reason in get_args(EnrollmentCancelled.model_fields["reason"].annotation):
        event = sample.model_copy(update={"reason": reason})
        sms = registry.render(spec.event_type, Channel.SMS, locale,
                              spec.build(event, locale, TZ, SHANGHAI_DAY))
        assert all(len(value) <= 35 for _n, value in sms.params), reason


def test_missing_variable_in_a_template_fails_the_startup_check() -> None:
    texts = TemplateRegistry.load("签名")._texts
    broken = {loc: {k: dict(v) for k, v in events.items()} for loc, events in texts.items()}
    broken["en"]["enrollment.confirmed"]["sms"] += " Room {{ room }}."
    with pytest.raises(TemplateError, match="unknown variables \\['room'\\]"):
        TemplateRegistry(broken, "签名").check()


def test_unused_variable_fails_the_startup_check() -> None:
    texts = TemplateRegistry.load("签名")._texts
    broken = {loc: {k: dict(v) for k, v in events.items()} for loc, events in texts.items()}
    broken["zh-CN"]["certificate.issued"]["body"] = "{{ name }}"
    with pytest.raises(TemplateError, match="never used"):
        TemplateRegistry(broken, "签名").check()


def test_empty_or_extra_variables_are_refused_before_rendering(registry: TemplateRegistry) -> None:
    event = confirmed()
    spec = registry.spec(event.event_type)
    values = spec.build(event, "zh-CN", TZ, SHANGHAI_DAY)
    with pytest.raises(TemplateError, match="venue"):
        registry.render(spec.event_type, Channel.SMS, "zh-CN", {**values, "venue": " "})
    with pytest.raises(TemplateError, match="extra_forbidden"):
        registry.render(spec.event_type, Channel.SMS, "zh-CN", {**values, "room": "3"})
    missing = dict(values)
    del missing["starts_on"]
    with pytest.raises(TemplateError, match="starts_on"):
        registry.render(spec.event_type, Channel.EMAIL, "zh-CN", missing)


def test_a_link_in_an_sms_variable_is_defused_and_the_email_keeps_it(
    registry: TemplateRegistry,
) -> None:
    event = confirmed()
    spec = registry.spec(event.event_type)
    values = {**spec.build(event, "zh-CN", TZ, SHANGHAI_DAY), "venue_short": "http://x.cn",
              "course": "ASP.NET 入门", "venue": "线上 (meet.zoom.com)"}
    sms = registry.render(spec.event_type, Channel.SMS, "zh-CN", values)
    assert dict(sms.params)["venue_short"] == "x·cn"
    assert dict(sms.params)["course"] == "ASP·NET 入门"
    assert "x·cn" in sms.body
    assert "http" not in sms.body
    email = registry.render(spec.event_type, Channel.EMAIL, "zh-CN", values)
    assert "线上 (meet.zoom.com)" in email.body


@pytest.mark.parametrize(
    ("name", "defused"),
    [
        ("ASP.NET 入门", "ASP·NET 入门"),
        ("线上 (zoom.com)", "线上 (zoom·com)"),
        ("https://www.example.org/a", "example·org/a"),
        ("meet.tencent.com", "meet·tencent·com"),
        ("育婴员 1.5 天", "育婴员 1.5 天"),
    ],
)
def test_defusing_leaves_nothing_that_reads_as_a_link(name: str, defused: str) -> None:
    assert defuse_links(name) == defused


def test_sms_length_counts_the_signature_and_splits_at_67() -> None:
    assert sms_length("字" * 64, "匠心培训") == (70, 1)
    assert sms_length("字" * 65, "匠心培训") == (71, 2)
    assert sms_length("字" * 128, "匠心培训") == (134, 2)
    assert sms_length("字" * 129, "匠心培训") == (135, 3)
    with pytest.raises(ValueError, match="max 500"):
        sms_length("字" * 495, "匠心培训")


def test_email_html_escapes_values_and_offers_one_click_opt_out(
    registry: TemplateRegistry,
) -> None:
    html = registry.render_html(EmailHtml("主题", "第一段 <b>x</b>\n\n第二段", "zh-CN",
                                          "http://n.test/api/v1/unsubscribe/t"))
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<p>第二段</p>" in html
    assert 'href="http://n.test/api/v1/unsubscribe/t"' in html


def test_sms_texts_convert_to_each_providers_placeholder_syntax(
    registry: TemplateRegistry,
) -> None:
    source = registry.sms_source("zh-CN", "enrollment.confirmed")
    assert provider_text(source, "aliyun") == (
        "${name}，您已报名${course}，${starts_on}开课，地点：${venue_short}。")
    assert provider_text(source, "tencent") == "{1}，您已报名{2}，{3}开课，地点：{4}。"


def test_the_hours_warning_names_the_missed_dates_and_the_hours_in_both_locales(
    registry: TemplateRegistry,
) -> None:
    warning = next(e for e in samples() if e.event_type == "enrollment.hours_at_risk")
    zh = render_all(registry, warning, "zh-CN")
    assert "3月2日、3月3日未签到" in zh[Channel.SMS]
    assert "已出勤10学时，结业需36学时" in zh[Channel.SMS]
    assert "2026年3月2日、2026年3月3日" in zh[Channel.EMAIL]
    en = render_all(registry, warning, "en")
    assert "on Mar 2, Mar 3; 10 h attended of 36 h needed" in en[Channel.SMS]
