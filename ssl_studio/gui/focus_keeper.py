"""Keeps the keyboard focus on a page's job buttons (Start, Pause, Stop; Export) while they
are turned on and off around a job.

Qt moves the focus of a button that is disabled to the next control in the tab chain that
can take it: Start pressed with the keyboard handed it down to the step list, and a
keyboard user had to Tab through the whole form to reach Pause or Stop. ``FocusKeeper``
gives it to the first of its buttons that is on instead, and back to the first one on once
the job has ended, when the focus is still where it was left."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget

_NOWHERE = object()  # (no focus parked: distinct from a focus that fell on no widget)
_FALLING = object()  # (it fell down the tab chain, and may fall on: see set_enabled)


class FocusKeeper:
    """The buttons of one job, in the order they should take the focus (Start before
    Pause and Stop: whichever of them is on first gets it)."""

    def __init__(self, *buttons: QWidget) -> None:
        self.buttons = buttons
        self.parked: object = _NOWHERE  # where the focus was left when its button went off

    def set_enabled(self, states: Sequence[tuple[QWidget, bool]]) -> None:
        """Turn each of ``states``' buttons on or off (the keeper's others stay as they
        are). The focus on a button going off
        moves to the first button on; with none on, it goes where Qt sends it and comes
        back to the first one on when a later call turns one on, if it is still there."""
        if not self.buttons:
            return
        window = self.buttons[0].window()
        focus = window.focusWidget()
        wanted = {id(button): enabled for button, enabled in states}  # (others: as they are)
        for button, enabled in states:
            if enabled:
                button.setEnabled(True)
        first_on = next(
            (b for b in self.buttons if wanted.get(id(b), True) and _takes_focus(b)), None
        )
        leaving = any(focus is b and not e for b, e in states)
        if leaving and first_on is not None:
            first_on.setFocus(Qt.FocusReason.OtherFocusReason)
            self.parked = first_on
        elif not leaving and self.parked is not _NOWHERE:
            there = focus is self.parked or self.parked is _FALLING
            if there and first_on is not None and first_on is not focus:
                first_on.setFocus(Qt.FocusReason.OtherFocusReason)  # given back
            if not there or first_on is not None:
                self.parked = _NOWHERE  # (moved on by the user, or given back)
        for button, enabled in states:
            if not enabled:
                button.setEnabled(False)
        if leaving and first_on is None:
            # it fell down the tab chain (Qt's choice), perhaps on a control that goes off
            # in the same moment (the status bar's Stop) and on from there: where it lands
            # is known once the moment has passed
            self.parked = _FALLING
            QTimer.singleShot(0, window, lambda: self._landed(window))

    def _landed(self, window: QWidget) -> None:
        if self.parked is _FALLING:
            self.parked = window.focusWidget()


def _takes_focus(widget: QWidget) -> bool:
    """Whether Tab could put the focus on ``widget`` (on, shown, focusable)."""
    return (
        widget.isEnabled()
        and not widget.isHidden()
        and bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
    )
