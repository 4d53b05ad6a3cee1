from django.http import HttpResponse
from django.templatetags.static import static
from django.urls import path


def index(request):
    return HttpResponse(f'<link rel="stylesheet" href="{static("css/site.css")}">'
                        "<h1>hello from django_static_site</h1>")


urlpatterns = [path("", index)]
