"""Every word the user reads comes from strings.po (issue 14, section 4).

- A scan of the Kodi front end (``resources/lib/kodi``, ``resources/lib/plugin``) with ``ast``
  fails on an English literal passed to a call the user sees (dialogs, progress, list items).
- Trakt errors carry codes; the Kodi dialogs word them from strings.po in the user's language.
- Sync progress is a step code plus a unit, worded by the front ends (no English label matching).
"""

from __future__ import annotations

import ast
import io
import os
import re
from typing import Iterator, List, Optional

import kodistate
import pytest

from resources.lib import cli, i18n
from resources.lib.database.trakt_sync import engine
from resources.lib.plugin import syncui
from resources.lib.service import progress_text
from resources.lib.trakt import errors, messages

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRONT_END = ("resources/lib/kodi", "resources/lib/plugin")

# Calls whose text arguments a user reads. A name alone matches the last attribute of the call
# (``dialogs.ok``, ``xbmcgui.Dialog().ok``, ``bar.update``, ``item.setLabel``).
_DIALOG_CALLS = {"ok", "yesno", "notification", "select", "textviewer", "ask_text", "input"}
_DIALOG_CALLS |= {"multiselect", "contextmenu", "yesnocustom", "browse", "numeric"}
_PROGRESS_CALLS = {"create", "update"}
_LABEL_CALLS = {"setLabel", "setLabel2", "addContextMenuItems", "setPlot", "setTitle"}
_ITEM_CALLS = {"Item", "ListItem", "Progress", "BackgroundProgress", "DialogProgress"}
# Keyword arguments that are never text for the eye (ids, paths, art, settings).
_NOT_TEXT_KEYWORDS = set(
    "url path icon thumb art mediatype properties unique_ids type option defaultt offscreen"
    " is_folder playable time_ms sound id".split()
)
# Kodi label markup and placeholders carry no words.
_MARKUP = re.compile(
    r"\[/?(?:B|I|CR|UPPERCASE|LOWERCASE|CAPITALIZE|LIGHT|COLOR[^\]]*)\]|\{[^}]*\}|%[sd]"
)


def is_english(text: str) -> bool:
    """A literal a user would read as words (not a URL, an id, a property name or markup)."""
    stripped = _MARKUP.sub(" ", text).strip()
    if "://" in stripped or not re.search(r"[A-Za-z]{2,}", stripped):
        return False
    # A lower-case token without spaces is an id, a property or a path ("noop", "aiostreams.x").
    return not re.fullmatch(r"[a-z0-9_.\-/:=&?]+", stripped)


def _literals(node: ast.AST) -> Iterator[ast.Constant]:
    """String literals inside an argument, not descending into localize() ids."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.Call):
        name = _call_name(node)
        if name in ("localize", "getLocalizedString"):
            for keyword in node.keywords:  # the id is fine; a filled-in word is not
                yield from _literals(keyword.value)
            return
        if name == "format" and isinstance(node.func, ast.Attribute):
            yield from _literals(node.func.value)
        for arg in list(node.args) + [k.value for k in node.keywords]:
            if name in ("url_for", "join", "get", "getattr", "str", "int", "float"):
                break
            yield from _literals(arg)
    elif isinstance(node, (ast.JoinedStr, ast.BinOp, ast.List, ast.Tuple, ast.IfExp, ast.BoolOp)):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                yield from _literals(child)
    elif isinstance(node, ast.FormattedValue):
        yield from _literals(node.value)


def _call_name(call: ast.Call) -> Optional[str]:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _dotted(node: ast.AST) -> str:
    """``xbmcgui.Dialog()`` -> "xbmcgui.Dialog", ``self._bar`` -> "self._bar"."""
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    if isinstance(node, ast.Attribute):
        return _dotted(node.value) + "." + node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _is_sink(call: ast.Call) -> bool:
    name = _call_name(call)
    if name in _ITEM_CALLS or name in _LABEL_CALLS:
        return True
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    owner = _dotted(func.value)
    if name in _DIALOG_CALLS:
        return "dialog" in owner.lower() or "Dialog" in owner
    if name in _PROGRESS_CALLS:
        return any(word in owner.lower() for word in ("progress", "bar", "dialog"))
    return False


def offenders_in(source: str, filename: str) -> List[str]:
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        if _call_name(node) in ("localize", "getLocalizedString"):
            # whatever localize returns is for the eye: so is every word filled into it
            arguments = [k.value for k in node.keywords]
        elif _is_sink(node):
            arguments = list(node.args) + [
                k.value for k in node.keywords if k.arg not in _NOT_TEXT_KEYWORDS
            ]
        else:
            continue
        for argument in arguments:
            for literal in _literals(argument):
                line = f"{filename}:{literal.lineno}: {literal.value!r}"
                if is_english(literal.value) and line not in found:
                    found.append(line)
    return found


def front_end_offenders() -> List[str]:
    found = []
    for folder in FRONT_END:
        for root, _dirs, files in os.walk(os.path.join(REPO, folder)):
            for name in sorted(files):
                if name.endswith(".py"):
                    path = os.path.join(root, name)
                    with open(path, encoding="utf-8") as handle:
                        found += offenders_in(handle.read(), os.path.relpath(path, REPO))
    return found


# ---- the scan ----


def test_no_english_literal_reaches_the_user_in_the_kodi_front_end():
    assert front_end_offenders() == []


@pytest.mark.parametrize(
    "source",
    [
        'dialogs.ok("Could not reach Trakt")',
        'xbmcgui.Dialog().notification("AIOStreams", "Sync done")',
        'dialogs.ok(localize(strings.X, error="it broke"))',
        'Item("Next Up", url_for("next_up"))',
        'bar.update(50, "Syncing " + name)',
        'dialogs.yesno(f"Remove {title}?")',
        '_tell(localize(strings.PLAY_FAILED, error="internal error"))',
        'localize(strings.AUTH_DONE, user=user or "Trakt")',
        'item.setLabel2("Aired")',
        'with Progress("Fetching streams") as bar: pass',
        'xbmcgui.DialogProgressBG().create("AIOStreams", "Working")',
    ],
)
def test_the_scan_finds_english_in_each_kind_of_user_call(source):
    assert offenders_in(source, "x.py"), source


@pytest.mark.parametrize(
    "source",
    [
        "dialogs.ok(localize(strings.SYNC_DONE, changes=3))",
        'Item(localize(strings.NEXT_UP), url_for("next_up"), icon="DefaultFolder.png")',
        'dialogs.ok(localize(strings.X) + "[CR]" + detail)',
        'log.warning("Could not reach Trakt")',
        'window.set_property("aiostreams.last_sync", "ok")',
        'Item(label, "plugin://plugin.video.aiostreams/?action=noop")',
    ],
)
def test_the_scan_allows_localized_text_logs_urls_and_ids(source):
    assert offenders_in(source, "x.py") == []


# A core's English sentence handed on as a value (not a literal the scan above can see).
_CORE_SENTENCES = {"message", "user_message", "default_user_message"}


def unlocalized_dialog_texts(source: str, filename: str) -> List[str]:
    """Dialog texts that are not a ``localize(...)`` call, or that fill one with a core's
    sentence (``report.message``)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Call) and _is_sink(node)):
            continue
        texts = list(node.args) + [
            k.value for k in node.keywords if k.arg not in _NOT_TEXT_KEYWORDS
        ]
        for text in texts:
            filled = text.keywords if isinstance(text, ast.Call) else []
            sentences = [k for k in filled if isinstance(k.value, ast.Attribute)]
            sentences = [k for k in sentences if k.value.attr in _CORE_SENTENCES]
            if not (isinstance(text, ast.Call) and _call_name(text) == "localize") or sentences:
                found.append(f"{filename}:{text.lineno}: {ast.unparse(text)}")
    return found


def test_the_aiostreams_dialogs_show_only_localized_texts():
    path = os.path.join(REPO, "resources", "lib", "plugin", "aiostreams_actions.py")
    with open(path, encoding="utf-8") as handle:
        assert unlocalized_dialog_texts(handle.read(), "aiostreams_actions.py") == []


@pytest.mark.parametrize(
    "source",
    ["dialogs.ok(report.message)", "dialogs.ok(localize(strings.X, message=report.message))"],
)
def test_the_dialog_check_finds_a_core_sentence(source):
    assert unlocalized_dialog_texts(source, "x.py"), source


def _all_error_classes():
    seen, todo = [], [errors.TraktError]
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo.extend(cls.__subclasses__())
    return seen


def test_trakt_error_classes_hold_codes_not_english_text():
    texts = {
        (cls.__name__, name): value
        for cls in _all_error_classes()
        for name, value in vars(cls).items()
        if isinstance(value, str) and not name.startswith("__") and " " in value
    }
    assert texts == {}


# ---- error codes ----


def test_every_trakt_error_code_has_a_message_in_strings_po():
    english = i18n.strings()
    for cls in _all_error_classes():
        assert cls.code in messages.MESSAGES, cls.__name__
        assert english.get(messages.message_id(cls("x"))), cls.__name__
    assert english[messages.MESSAGES["account_deactivated"]].startswith("Your Trakt account")


def test_a_deactivated_account_has_its_own_message_code():
    locked = errors.error_for_status(423, {"x-account-deactivated": "true"})
    assert locked.message_code == "account_deactivated"
    assert errors.error_for_status(423, {}).message_code == "account_locked"


@pytest.fixture
def kodi():
    state = kodistate.reset()
    yield state
    kodistate.cleanup()


def test_kodi_dialogs_word_a_trakt_error_in_the_users_language(kodi, monkeypatch):
    # a translation (restored afterwards: the strings outlive one test)
    monkeypatch.setitem(kodi.strings, messages.MESSAGES["rate_limited"], "Trakt bremst gerade")
    assert syncui.short_error(errors.RateLimited(status=429)) == "Trakt bremst gerade"
    # the English stays for the log and the command line
    assert "(429)" in errors.RateLimited(status=429).user_message


def test_the_command_line_reads_english_for_an_error_code():
    assert errors.VipOnly().user_message == i18n.localize(messages.MESSAGES["vip_only"])
    assert "VIP" in errors.VipOnly().user_message


# ---- progress steps ----


def test_every_engine_unit_has_words_for_its_progress_step(kodi):
    generic = i18n.localize(progress_text.SYNCING)
    for unit in engine.UNITS:
        text = syncui.progress_label((progress_text.UNIT, unit.name))
        assert text != generic and text.startswith("Syncing "), unit.name
    for kind in (progress_text.ACTIVITY, progress_text.ACCOUNT, progress_text.METADATA):
        assert syncui.progress_label((kind, None)) not in (generic, "")
    assert syncui.progress_label(("no_such_step", None)) == generic


def test_progress_words_follow_the_translation_not_the_english(kodi, monkeypatch):
    monkeypatch.setitem(kodi.strings, progress_text.SYNCING_UNIT, "Synchronisiere {what}")
    monkeypatch.setitem(kodi.strings, progress_text.UNITS["watchlist"], "Merkliste")
    assert syncui.progress_label((progress_text.UNIT, "watchlist")) == "Synchronisiere Merkliste"


def test_the_command_line_progress_bar_words_step_codes():
    stream = io.StringIO()
    bar = cli.ProgressBar(stream)
    bar(0, (progress_text.ACTIVITY, None))
    bar(40, (progress_text.UNIT, "watched_shows"))
    assert stream.getvalue() == "  0% Checking Trakt activity\n 40% Syncing watched shows\n"
