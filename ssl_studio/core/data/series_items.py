"""Turning decoded series arrays into items: trimming NaN padding, counting gaps, labels."""

from __future__ import annotations

import numpy as np

from ssl_studio.core.data.records import DecodedItem, ImportProblem

Decoded = tuple[list[DecodedItem], list[ImportProblem]]

MIN_LENGTH = 2  # time steps: a single value is not a series


def too_short(what: str, length: int, layout: str | None) -> ImportProblem:
    """``what`` ("row 2 in a.csv") has fewer than MIN_LENGTH steps; ``layout`` (the CSV
    layout it was read with) picks the hint."""
    hint = {
        "rows": " The file was read one row per series; if its columns are the channels "
        "of one series, import it with the layout 'columns'.",
        "columns": " The file was read one column per channel; if each row is one series, "
        "import it with the layout 'rows'.",
    }.get(layout or "", "")
    return ImportProblem(
        "series-too-short",
        f"{what} has only {length} time step(s): a series needs at least {MIN_LENGTH}.{hint}",
    )


def make_items(
    x: np.ndarray,
    names: list[str],
    labels: list[str | None],
    meta: dict,
    rate: float | None,
    start: int,
    where: str,
    problems: list[ImportProblem],
) -> list[DecodedItem]:
    """x: ``[N, C, T]`` float32, NaN-padded -> one item per series that is not all missing
    and has at least MIN_LENGTH time steps. Infinite values (a sensor's overflow, a number
    too large for float32) are kept as missing: training cannot use them. A series with a
    channel that holds no value is imported, with a note (CHANNEL_EMPTY) for the file."""
    infinite = np.isinf(x)
    if infinite.any():
        x = np.where(infinite, np.float32(np.nan), x)
    present = ~np.isnan(x).all(axis=1)  # [N, T]
    lengths = np.where(present.any(axis=1), x.shape[2] - np.argmax(present[:, ::-1], axis=1), 0)
    items = []
    empty: list[tuple[str, list[str]]] = []  # (series, its channels without a value)
    for i, length in enumerate(lengths.tolist()):
        if length == 0:
            problems.append(
                ImportProblem(
                    "series-all-missing",
                    f"{names[i]} in {where} has no "
                    "values (every cell is missing or infinite); it was left out.",
                )
            )
            continue
        if length < MIN_LENGTH:
            problems.append(too_short(f"{names[i]} in {where}", length, meta.get("layout")))
            continue
        arr = np.ascontiguousarray(x[i, :, :length])
        fields = {
            "channels": int(arr.shape[0]),
            "length": int(length),
            "n_missing": int(np.isnan(arr).sum()),
            "sampling_rate": rate,
            "meta": {**meta, "name": names[i]},
        }
        if infinite[i].any():
            fields["meta"]["infinite_values"] = int(infinite[i].sum())
        items.append(DecodedItem(index=start + i, array=arr, fields=fields, label=labels[i]))
        if (dead := np.isnan(arr).all(axis=1)).any():  # [C]: a sensor off the whole time
            empty.append((names[i], _channel_words(np.flatnonzero(dead), meta)))
    if empty:
        problems.append(_empty_channels_note(empty, where, len(x)))
    return items


CHANNEL_EMPTY = "series-channel-empty"  # code of the note on a channel without values


def _channel_words(rows: np.ndarray, meta: dict) -> list[str]:
    """Channels by their column name ("column 'ay'"), else by number ("channel 2")."""
    names = meta.get("channel_names") or []
    return [
        f"column {names[c]!r}" if c < len(names) and names[c] else f"channel {c + 1}"
        for c in rows.tolist()
    ]


def _empty_channels_note(
    empty: list[tuple[str, list[str]]], where: str, total: int
) -> ImportProblem:
    """The import report's note on series imported with a channel that holds no value
    (``empty``: (series name, its channels in words)) among the ``total`` series of the
    file ``where``: training masks such a channel, but predict refuses a file like it."""
    name, channels = empty[0]
    verb = "holds" if len(channels) == 1 else "hold"
    if total == 1:
        said = f"{', '.join(channels)} of {where} {verb} no values"
    else:
        said = (
            f"{len(empty)} of the {total} series in {where} have a channel that holds no "
            f"values (first: {', '.join(channels)} of {name})"
        )
    return ImportProblem(
        CHANNEL_EMPTY,
        f"{said[0].upper()}{said[1:]} (every cell empty, NaN or infinite): imported as a "
        "channel of missing values. predict refuses a file like this one, since an answer "
        "from values in fewer channels than the training recordings had would look sure "
        "and mean nothing. Check the sensor or the export; leave the file out if that "
        "channel was off for the whole recording.",
        "warning",
    )


def label_strings(y: np.ndarray) -> list[str | None]:
    """y: ``[N]`` labels -> strings (``1``, not ``1.0``); None where missing."""
    out: list[str | None] = []
    for v in y.tolist():
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, float):
            v = None if np.isnan(v) else int(v) if v.is_integer() else v
        out.append(None if v is None else str(v).strip() or None)
    return out
