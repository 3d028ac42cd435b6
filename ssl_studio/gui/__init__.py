"""The PySide6 desktop application (imports Qt; core never imports this package)."""
