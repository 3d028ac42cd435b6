"""SSL Studio: self-supervised pretraining for unlabeled medical images and time series."""

import os
import sys

from ssl_studio.temp_folder import ensure_temp_folder

__version__ = "0.2.0"

# onnxruntime (export, predict) sends usage telemetry to Microsoft unless this is set
# before it is first imported: it wrote a device id and an event queue under
# ~/.cache/Microsoft and looked up mobile.events.data.microsoft.com. Nothing ever leaves
# the machine (README), so every entry point turns it off here, before any import of it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

# torch needs a writable temporary folder when it is imported (its compile cache) and the
# import's workers one for their socket: where the system's cannot be written, the user's
# own cache folder stands in (said once, here, before anything imports torch); where none
# can be, TEMP_PROBLEM says what to do and the command line stops with it.
TEMP_NOTICE, TEMP_PROBLEM = ensure_temp_folder()
if TEMP_NOTICE is not None and sys.stderr is not None:  # (None: a windowed bundle)
    print(f"ssl-studio: {TEMP_NOTICE}", file=sys.stderr, flush=True)
