"""Broken on purpose: files to collect but no STATIC_ROOT, so collectstatic fails."""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "fixture-not-secret"
INSTALLED_APPS = ["django.contrib.staticfiles"]
DATABASES = {}
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
