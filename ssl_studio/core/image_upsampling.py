"""Training views larger than the cached images: they are upsampled, which is slower and
adds no detail. The rule and its words, shared by the pretraining job's warning and the
Pretrain form's note (so both say the same)."""

from __future__ import annotations

SMALLEST_IMAGE_SIZE = 16  # the smallest image size a run takes


def upsamples(cached: int | None, size: int) -> bool:
    """Whether training views of ``size`` px are upsampled from images cached at
    ``cached`` px (None or 0: the cache size is unknown, nothing is said)."""
    return bool(cached) and size > (cached or 0)


def upsampled_sentence(cached: int, size: int, views: str = "training views") -> str:
    """'The images are cached at 32 px, so training views of 48 px are upsampled: ...';
    ``views``: what the views are called ("this preset's training views")."""
    return (
        f"The images are cached at {cached} px, so {views} of {size} px are upsampled: "
        "slower, with no more detail."
    )


def upsampled_warning(cached: int, size: int, largest: int) -> str:
    """The pretraining job's warning: the sentence and what to do (``largest``: the
    longest side in px of the images as imported, 0 when unknown)."""
    at = max(cached, SMALLEST_IMAGE_SIZE)
    said = upsampled_sentence(cached, size)
    if 0 < largest <= cached:  # the images themselves are no larger: nothing to import
        return (
            f"{said} The images themselves are at most {largest} px. Train at {at} px "
            f"(image size; --image-size {at})."
        )
    return (
        f"{said} Train at {at} px (image size; --image-size {at}), or import the images "
        f"again at {size} px (cache size, in Import options; --cache-size {size})."
    )
