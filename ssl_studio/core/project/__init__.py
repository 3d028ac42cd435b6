"""The project folder and its database (the only SQL lives in store.py)."""
