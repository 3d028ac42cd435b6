"""Every menu item can be reached from the keyboard by its access key (Alt+F, then N), and
no two items of one menu share a key."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QMenu


def _access_key(text: str) -> str | None:
    """The letter after a single '&' ("Start &pretraining" -> "p"), or None."""
    found = re.search(r"&([^&])", text.replace("&&", ""))
    return found.group(1).lower() if found else None


def _check(menu: QMenu, skip: QMenu) -> list[str]:
    """Problems of ``menu`` and its submenus (``skip``'s items are file paths)."""
    problems, keys = [], {}
    for action in menu.actions():
        if action.isSeparator():
            continue
        key = _access_key(action.text())
        if key is None:
            problems.append(f"{menu.title()}: '{action.text()}' has no access key")
        elif key in keys:
            problems.append(f"{menu.title()}: '{action.text()}' and '{keys[key]}' share {key}")
        else:
            keys[key] = action.text()
        if action.menu() is not None and action.menu() is not skip:
            problems += _check(action.menu(), skip)
    return problems


def test_each_menu_item_has_its_own_access_key(make_window, project):
    window = make_window(project)
    problems = []
    for action in window.menuBar().actions():
        assert _access_key(action.text()), action.text()
        problems += _check(action.menu(), window.recent_menu)
    assert not problems, "\n".join(problems)
