"""The project's card details: the user's own words for every export's model card
(core/export/card_details.py checks them), kept in ``meta`` as one JSON text."""

from __future__ import annotations

import json

from ssl_studio.core.project.store.base import StoreBase

CARD_DETAILS = "card_details"  # meta key
CHECKED = "card_details_checked"  # meta key: what the kept details were checked against


class CardDetailRecords(StoreBase):
    """``card_details``, ``set_card_details`` and ``patient_keys`` (mixed into Store)."""

    def card_details(self) -> str | None:
        """The stored details as JSON text ({key: text}), or None when none were saved."""
        return self.meta(CARD_DETAILS)

    def set_card_details(self, details: dict[str, str], checked: str | None = None) -> None:
        """Keep ``details`` (already checked); an empty dict forgets them. ``checked``:
        a digest of the details and of the patients they were checked against (see
        export/card_details.checked_marker), so an export can skip checking them again
        while neither changed; None: not checked (any kept marker is dropped)."""
        with self.transaction():
            if details:
                self._set_meta(CARD_DETAILS, json.dumps(details, ensure_ascii=False))
            else:
                self.conn.execute("DELETE FROM meta WHERE key = ?", (CARD_DETAILS,))
            if details and checked:
                self._set_meta(CHECKED, checked)
            else:
                self.conn.execute("DELETE FROM meta WHERE key = ?", (CHECKED,))

    def card_details_checked(self) -> str | None:
        """The marker ``set_card_details`` kept with the details, or None."""
        return self.meta(CHECKED)

    def patient_keys(self) -> set[str]:
        """Every salted patient key of the project's items (never the IDs themselves):
        what card details are checked against (export/card_identifiers.py)."""
        rows = self.conn.execute(
            "SELECT DISTINCT patient_key FROM items WHERE patient_key IS NOT NULL "
            "AND patient_key != ''"
        )
        return {r[0] for r in rows}
