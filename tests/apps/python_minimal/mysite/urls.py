import os

from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse(f"hello from python_minimal {os.environ.get('GREETING', '')}".strip())


urlpatterns = [path("", index)]
