"""The Qt-free engine of SSL Studio: data, project store, jobs (see ../shared/design.md)."""
