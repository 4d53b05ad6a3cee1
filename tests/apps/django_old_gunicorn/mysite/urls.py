import gunicorn
from django.http import HttpResponse
from django.urls import path


def index(request):
    return HttpResponse(f"hello from django_old_gunicorn, gunicorn {gunicorn.__version__}")


urlpatterns = [path("", index)]
