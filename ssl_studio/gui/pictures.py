"""numpy pictures (uint8 [H, W] grey or [H, W, 3] colour) as Qt images."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def to_qimage(picture: np.ndarray) -> QImage:
    """A deep copy, so the QImage never points into a numpy buffer that goes away."""
    picture = np.ascontiguousarray(picture, dtype=np.uint8)
    height, width = picture.shape[:2]
    if picture.ndim == 2:
        image = QImage(picture.data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        image = QImage(picture.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return image.copy()


def to_pixmap(picture: np.ndarray, size: int | None = None) -> QPixmap:
    pixmap = QPixmap.fromImage(to_qimage(picture))
    if size is not None and pixmap.width() != size:
        pixmap = pixmap.scaledToWidth(size)
    return pixmap


def unit_to_uint8(picture: np.ndarray) -> np.ndarray:
    """float [C, H, W] in [0, 1] (an augmentation preview) -> uint8 [H, W] or [H, W, 3]."""
    scaled = (np.clip(picture, 0, 1) * 255).astype(np.uint8)
    return scaled[0] if scaled.shape[0] == 1 else scaled[:3].transpose(1, 2, 0)
