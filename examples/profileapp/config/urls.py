"""ProfileApp URL Configuration.

/             the profile page
/notes/       a guest book stored in the database (HTML page + form)
/api/notes/   the same notes as JSON (GET list, POST create)
/health/      liveness check for the platform (no database access)
/admin/       Django admin
"""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
]
