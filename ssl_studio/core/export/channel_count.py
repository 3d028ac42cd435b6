"""Whether a series to predict has the channels the model reads, and if not, what to do.

Files without column names (a CSV without a header row, NPY/NPZ arrays) are matched to the
model's channels by position, so a file with other channels than the training recordings
cannot be read honestly: the model would give a sure-looking answer from channels that
mean something else, or from a channel it always saw. Such a series is refused, with a
message for the kind of file. A series with fewer channels is read (the rest as missing
values) only where training recordings had as few (the card's ``fewest_channels``). A file
naming its columns counts only the model's channels it names: naming them does not make
up for those it lacks.
"""

from __future__ import annotations

from typing import Any

ARRAY_LAYOUTS = ("[T]", "[N, T]", "[N, C, T]")  # meta["layout"] of NPY/NPZ series
_CSV_WAYS = {"columns": "one series per file, a channel per column", "rows": "one series per row"}


def fewest_channels(spec: dict[str, Any]) -> int:
    """The fewest channels a training recording had (cards before it was recorded: all)."""
    return int(spec.get("fewest_channels") or spec["in_channels"])


def _channels(n: int) -> str:
    return f"{n} channel{'' if n == 1 else 's'}"


def count_error(
    have: int,
    fields: dict[str, Any],
    spec: dict[str, Any],
    layout_flag: str | None,
    lacking: list[str] | None = None,
) -> str | None:
    """Why a series holding ``have`` of the model's channels cannot be read by the model,
    or None. ``lacking``: where both the file and the model name their columns, the
    model's columns the file lacks (``have`` counts those it has: naming columns does not
    make up for the channels it lacks); None where channels are matched by position.
    ``layout_flag``: how the user chooses another CSV layout (the command line's
    --layout), or None (the app has none)."""
    want = spec["in_channels"]
    if fewest_channels(spec) <= have <= want:
        return None
    names = spec.get("channel_names")
    fewest = fewest_channels(spec)
    trained = (
        f"its training recordings {'all had' if fewest == want else 'had at least'} "
        f"{fewest}: an answer from fewer would look sure and mean nothing."
    )
    if lacking:  # named columns: say which are missing, and that they are needed
        some, more = ", ".join(repr(n) for n in lacking), len(lacking) > 1
        return (
            f"This file has no column {some}: it has {have} of the model's "
            f"{_channels(want)} ({', '.join(names or ())}), and {trained} Give it the "
            f"column{'s' * more} {some}, or rename the column{'s' * more} holding "
            f"{'them' if more else 'it'} to match."
        )
    said = f"This series has {_channels(have)}; the model reads {want}"
    said += f" ({', '.join(names)})." if names else "."
    if have < want:
        said = f"{said[:-1]}, and {trained}"
    meta = fields.get("meta") or {}
    layout = meta.get("layout")
    if layout in ARRAY_LAYOUTS:
        return f"{said} {_array_fix(layout, have, want)}"
    headerless = not meta.get("channel_names") and not meta.get("columns_from")
    return f"{said} {_table_fix(layout, have, want, spec, layout_flag, headerless)}"


def _array_fix(layout: str, have: int, want: int) -> str:
    if layout == "[N, C, T]":
        held = f"Its array [N, C, T] holds series of {_channels(have)}"
    elif layout == "[T]":
        held = "An array [T] is one series of one channel"
    else:
        held = "An array [N, T] holds series of one channel"
    return (
        f"{held}: save the series as an array [N, {want}, T], their channels in the "
        "training files' order."
    )


def _table_fix(
    layout: str | None,
    have: int,
    want: int,
    spec: dict[str, Any],
    flag: str | None,
    headerless: bool = False,
) -> str:
    """What to do about a CSV/TSV series with the wrong number of channels (``headerless``:
    a file without a header row, read by position)."""
    names = spec.get("channel_names")
    way = _CSV_WAYS.get(layout or "", "")
    read = f"It was read as {way} (layout '{spec.get('csv_layout', 'auto')}'). " if way else ""
    other = "rows" if layout == "columns" else "columns"
    if flag:
        change = f"if it holds {_CSV_WAYS[other]}, add {flag} {other}"
    else:
        usual = _CSV_WAYS.get(spec.get("csv_prefer") or "", _CSV_WAYS["columns"])
        change = f"if it is laid out otherwise than the training files ({usual}), lay it out so"
    if have < want and layout == "columns":  # a header row naming fewer would not do
        fewest = fewest_channels(spec)
        some = f"all {want}" if fewest == want else f"at least {fewest} of its {want}"
        order = f" ({', '.join(names)})" if names else ""
        return f"{read}Give it {some} channels, in the training files' order{order}; or, {change}."
    header = spec.get("csv_header")
    if layout == "columns" and (header or names):
        return (
            f"{read}Add a header row naming its columns ({', '.join(header or names)}"
            f"{', as the training files had' if header else ''}): they are then matched by "
            f"name, and other columns left aside; or, {change}."
        )
    if layout == "columns" and headerless and have > want:  # a time column taken for one
        return (
            f"{read}Without a header row, a column of times counts as a channel unless it "
            "holds date-times (2024-03-01 10:00:00): if it has one, add a header row naming "
            f"it time (the others by position); or, {change}."
        )
    return f"{read}{change[0].upper()}{change[1:]}."


def count_note(have: int, spec: dict[str, Any]) -> str:
    """The note of a series read with fewer channels than the model's (by position, as
    training recordings with as few were), or ""."""
    want = spec["in_channels"]
    if have >= want:
        return ""
    return (
        f"It has {have} of the model's {_channels(want)}, read by position; the others are "
        "read as missing values, as for training recordings with as few."
    )
