"""The one ``env`` object every settings module reads its variables through (django-environ),
and the project's folder. Importing it reads a ``.env`` file beside manage.py when present;
real environment variables win. It imports no other settings module."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env: environ.Env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
