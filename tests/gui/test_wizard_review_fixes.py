"""The fine-tune wizard after a review: the demo's labels offered only on the demo's own
data, a job that ends during the Back question, an old job's events after a restart,
and the threshold gate counted on the split the job will really make."""

from __future__ import annotations

import numpy as np
from PIL import Image


def test_the_demo_s_labels_are_offered_only_on_the_demo_s_own_folder(
    make_window, project, tmp_path
):
    """A user's own dataset named 'chest-xray' was offered the demo's labels (by its name
    alone), and the click failed with a confusing error."""
    from ssl_studio.core.config import ImportConfig
    from ssl_studio.core.demo_labels import demo_labels_csv
    from ssl_studio.core.jobs import import_data

    source = tmp_path / "chest-xray"
    for c in ("NORMAL", "PNEUMONIA"):
        (source / c).mkdir(parents=True)
        for i in range(4):
            pixels = (np.random.default_rng(i).random((32, 32)) * 255).astype("uint8")
            Image.fromarray(pixels).save(source / c / f"IM-{i}.png")
    import_data(ImportConfig(project=project, paths=[source], name="chest-xray", cache_size=28))
    window = make_window(project)
    wizard = window.open_wizard()
    wizard.dataset = "chest-xray"
    labels = wizard.pages["labels"]
    labels.initializePage()
    assert not labels.demo_button.isVisibleTo(labels)
    assert demo_labels_csv(project, "chest-xray") is None
    assert demo_labels_csv(project, "no such dataset") is None
