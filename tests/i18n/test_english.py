"""English through Django's translation machinery.

The source strings are Simplified Chinese; `locale/en/LC_MESSAGES/django.po` (and the compiled
`django.mo`, committed because fresh machines have no msgfmt) holds their English. These tests pin
that a request with `Accept-Language: en` or `translation.override("en")` gets English, that the
default stays Chinese, and that the catalogue is complete: every msgstr filled in, with the same
placeholders as its msgid, and the committed .mo in step with the .po.
"""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from stdnum.cn import ric

from core.idcard import validate_id_number
from households.models import Household
from inspections.models import RectificationItem
from villages.models import Village

CATALOGUE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
PO_FILE = CATALOGUE_DIR / "django.po"
MO_FILE = CATALOGUE_DIR / "django.mo"

LEGACY_ID = "110105491231002"  # an old 15-digit number


# --- A tiny .po reader (no extra dependency) -------------------------------------------------


def _unquote(text: str) -> str:
    return ast.literal_eval(text) if text else ""


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file as dicts: msgid, msgid_plural, msgstr (dict index -> text), flags.

    Handles multi-line strings, plural forms and flags; skips obsolete (#~) entries and the header.
    """
    entries: list[dict] = []
    current: dict | None = None
    field: tuple | None = None

    def finish():
        if current is not None and "msgid" in current:
            entries.append(current)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            current, field = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = {"flags": set(), "msgid_plural": None, "msgstr": {}}
        if line.startswith("#,"):
            current["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            current["msgid_plural"] = _unquote(line[len("msgid_plural ") :])
            field = ("msgid_plural",)
        elif line.startswith("msgid "):
            current["msgid"] = _unquote(line[len("msgid ") :])
            field = ("msgid",)
        elif line.startswith("msgstr["):
            index = int(line[len("msgstr[") : line.index("]")])
            current["msgstr"][index] = _unquote(line[line.index("]") + 1 :].strip())
            field = ("msgstr", index)
        elif line.startswith("msgstr "):
            current["msgstr"][0] = _unquote(line[len("msgstr ") :])
            field = ("msgstr", 0)
        elif line.startswith('"') and field is not None:
            if field[0] == "msgstr":
                current["msgstr"][field[1]] += _unquote(line)
            else:
                current[field[0]] += _unquote(line)
    finish()
    return [e for e in entries if e["msgid"] != ""]


# %(name)s, %(n)d, %(km).1f, %s, %% and {} / {name}; flags and widths are ignored (%(month)02d
# counts as %(month)d), what must match is which values are used and how they are converted.
PLACEHOLDER = re.compile(r"%(\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?([sdifrxX%])|\{[^{}]*\}")


def placeholders(text: str) -> list[str]:
    found = []
    for match in PLACEHOLDER.finditer(text):
        if match.group(0).startswith("{"):
            found.append(match.group(0))
        else:
            found.append((match.group(1) or "") + match.group(2))
    return sorted(found)


@pytest.fixture(autouse=True)
def default_language():
    """Start and end each test in the default language.

    A test-client request with Accept-Language: en leaves English active in the thread (the
    LocaleMiddleware activates it and nothing resets it), which would leak into later tests.
    """
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="module")
def entries():
    return read_po(PO_FILE)


# --- The catalogue itself --------------------------------------------------------------------


class TestCatalogue:
    def test_reader_sees_the_whole_catalogue(self, entries):
        assert len(entries) > 1000
        plurals = [e for e in entries if e["msgid_plural"]]
        assert plurals, "the catalogue has plural entries"
        assert all(sorted(e["msgstr"]) == [0, 1] for e in plurals)

    def test_every_msgstr_is_filled_and_none_is_fuzzy(self, entries):
        empty = [e["msgid"] for e in entries if not all(s.strip() for s in e["msgstr"].values())]
        fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
        assert empty == []
        assert fuzzy == []

    def test_placeholders_are_kept(self, entries):
        wrong = []
        for e in entries:
            sources = [e["msgid"]] if not e["msgid_plural"] else [e["msgid"], e["msgid_plural"]]
            for index, text in e["msgstr"].items():
                source = sources[min(index, len(sources) - 1)]
                if placeholders(source) != placeholders(text):
                    wrong.append((source, text))
        assert wrong == []

    def test_translations_are_english(self, entries):
        """Chinese left in a msgstr only where the product needs it: roster column names etc.,
        a name the user reads in a Chinese workbook (quoted “…”) and a date as typed in one."""
        cjk = re.compile(r"[\u4e00-\u9fff]")
        allowed = ("张三", "是", "否", "贫困户名册")
        as_typed = re.compile(r"“[^”]*”|\d{4}年\d{1,2}月\d{1,2}日")
        leftover = [
            text
            for e in entries
            for text in e["msgstr"].values()
            if cjk.search(as_typed.sub("", text)) and not any(word in text for word in allowed)
        ]
        assert leftover == []

    def test_compiled_catalogue_matches_the_po(self, entries):
        with MO_FILE.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)
        stale = []
        for e in entries:
            if e["msgid_plural"]:
                got = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
                want = [e["msgstr"][0], e["msgstr"][1]]
            else:
                got, want = compiled.gettext(e["msgid"]), e["msgstr"][0]
            if got != want:
                stale.append(e["msgid"])
        assert stale == [], "run manage.py compilemessages -l en and commit django.mo"


# --- The product in English ------------------------------------------------------------------


class TestEnglish:
    def test_model_names(self):
        with translation.override("en"):
            assert str(Household._meta.verbose_name) == "Poor household"
            assert str(Village._meta.verbose_name) == "Village"
            assert str(RectificationItem._meta.verbose_name) == "Rectification item"
            assert str(Household._meta.get_field("head_id_number").verbose_name) == (
                "Head of household's ID number"
            )
        assert str(Household._meta.verbose_name) == "贫困户"
        assert str(RectificationItem._meta.verbose_name) == "整改事项"

    def test_choices(self):
        from households.models import PovertyCause

        with translation.override("en"):
            assert str(PovertyCause.ILLNESS.label) == "Illness"
        assert str(PovertyCause.ILLNESS.label) == "因病"

    def test_id_number_error(self):
        with translation.override("en"), pytest.raises(ValidationError) as english:
            validate_id_number(LEGACY_ID)
        assert english.value.messages == [
            "This is an old 15-digit ID number; please enter the new 18-character number."
        ]
        with pytest.raises(ValidationError) as chinese:
            validate_id_number(LEGACY_ID)
        assert chinese.value.messages == ["这是15位旧身份证号码，请填写18位新号码。"]

    def test_id_number_error_with_placeholder(self):
        with translation.override("en"), pytest.raises(ValidationError) as english:
            validate_id_number("1101054912310")
        assert english.value.messages == ["An ID number must have 18 characters; this one has 13."]

    def test_id_number_area_and_date_errors(self):
        def with_check_digit(body):  # so that only the named fault is wrong
            return body + ric.calc_check_digit(body + "0")

        with translation.override("en"), pytest.raises(ValidationError) as area:
            validate_id_number(with_check_digit("99999919500315001"))
        assert area.value.messages == ["The region code 999999 in the ID number does not exist."]
        with translation.override("en"), pytest.raises(ValidationError) as date:
            validate_id_number(with_check_digit("51082119700230001"))
        assert date.value.messages == [
            "The date of birth in the ID number (1970-02-30) is not a valid date."
        ]

    def test_login_page_follows_accept_language(self, client):
        url = reverse("accounts:login")
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert english.status_code == 200
        assert english["Content-Language"] == "en"
        html = english.content.decode()
        assert 'lang="en"' in html
        assert "Log in" in html
        assert "Skip to content" in html
        assert "跳到正文" not in html

        chinese = client.get(url)
        assert chinese.status_code == 200
        html = chinese.content.decode()
        assert 'lang="zh-hans"' in html
        assert "登录" in html
        assert "跳到正文" in html
        assert "Log in" not in html

    def test_unknown_language_falls_back_to_chinese(self, client):
        response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="fr")
        assert "跳到正文" in response.content.decode()

    def test_template_percent_and_plurals(self):
        from django.template import Context, Template

        template = Template(
            "{% load i18n %}{% blocktranslate count c=n %}{{ c }} 项{% plural %}{{ c }} 项"
            "{% endblocktranslate %}|"
            '{% translate "每季度抽查不低于 50%（003 四(五)），按乡镇分层，每个乡镇至少抽取其应抽比例'
            '（向上取整）。抽查名单仅审核人员可见，不通知被抽查单位。" %}'
        )
        with translation.override("en"):
            one = template.render(Context({"n": 1}))
            many = template.render(Context({"n": 3}))
        assert one.startswith("1 item|Each quarter no less than 50% is")
        assert many.startswith("3 items|")
        assert "%%" not in one
        assert template.render(Context({"n": 3})).startswith("3 项|每季度抽查不低于 50%")


class TestPagesInEnglish:
    """Logged-in pages follow Accept-Language too; data (names) stays as entered."""

    def test_household_page(self, client, world):
        client.force_login(world.staff_a)
        url = reverse("households:detail", args=[world.household_a.pk])
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert english.status_code == 200
        html = english.content.decode()
        assert "Basic facts" in html
        assert "Responsible helper" in html
        assert "张三" in html
        assert "基本情况" not in html

        chinese = client.get(url)
        html = chinese.content.decode()
        assert "基本情况" in html
        assert "Basic facts" not in html

    def test_out_of_scope_page_is_404_in_english_too(self, client, world):
        client.force_login(world.staff_a)
        url = reverse("households:detail", args=[world.household_b.pk])
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404
        assert "李四" not in response.content.decode()

    def test_form_error_in_english(self, client, world):
        client.force_login(world.staff_a)
        url = reverse("households:visit_create") + f"?household={world.household_a.pk}"
        response = client.post(url, {"visited_on": "2000-01-01"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Please fill in what was learned and what assistance was given." in html
