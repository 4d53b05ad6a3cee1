"""
WSGI config for the ProfileApp project.

It exposes the WSGI callable as a module-level variable named ``application``.
On App Platform it is served by:  gunicorn --worker-tmp-dir /dev/shm config.wsgi
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
