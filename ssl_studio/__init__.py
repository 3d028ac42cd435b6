"""SSL Studio: self-supervised pretraining for unlabeled medical images and time series."""

import os

__version__ = "0.2.0"

# onnxruntime (export, predict) sends usage telemetry to Microsoft unless this is set
# before it is first imported: it wrote a device id and an event queue under
# ~/.cache/Microsoft and looked up mobile.events.data.microsoft.com. Nothing ever leaves
# the machine (README), so every entry point turns it off here, before any import of it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
