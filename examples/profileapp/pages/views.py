import json

from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from .models import Note

MAX_NOTE_LENGTH = Note._meta.get_field("text").max_length

PROFILE = {
    "name": "Ada Lovelace",
    "title": "Analyst, Metaphysician and Founder of Scientific Computing",
    "bio": (
        "Ada wrote the first published program for Charles Babbage's Analytical "
        "Engine and saw that such a machine could act on more than numbers: "
        "music, symbols and anything that can be expressed in rules."
    ),
    "skills": ["Mathematics", "Algorithms", "Poetical science"],
}


class ProfileView(TemplateView):
    """The home page: one person's profile."""

    template_name = "pages/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["profile"] = PROFILE
        return context


def health(request):
    """Liveness check for the platform. Never touches the database."""
    return HttpResponse("ok", content_type="text/plain")


def _wants_json(request):
    return request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def _note_text(request):
    """The text of a new note from a JSON body or a form post, or None if invalid."""
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            return None
        text = data.get("text") if isinstance(data, dict) else None
    else:
        text = request.POST.get("text")
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not text or len(text) > MAX_NOTE_LENGTH:
        return None
    return text


def _notes_json():
    notes = [note.as_dict() for note in Note.objects.all()]
    return {"count": len(notes), "notes": notes}


@csrf_exempt  # also used as a tiny API by scripts (curl -d text=hello .../notes/)
def notes(request):
    """Guest book page: GET lists the notes, POST adds one (form field or JSON "text")."""
    if request.method == "POST":
        text = _note_text(request)
        as_json = request.content_type == "application/json" or _wants_json(request)
        if text is None:
            if as_json:
                return JsonResponse({"error": "text is required"}, status=400)
            context = {"notes": Note.objects.all(), "error": "Please write a note."}
            return render(request, "pages/notes.html", context, status=400)
        note = Note.objects.create(text=text)
        if as_json:
            return JsonResponse(note.as_dict(), status=201)
        return redirect("notes")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    if _wants_json(request):
        return JsonResponse(_notes_json())
    return render(request, "pages/notes.html", {"notes": Note.objects.all()})


@csrf_exempt
def notes_api(request):
    """JSON API: GET -> {"count": n, "notes": [...]}, POST {"text": "..."} -> 201 note."""
    if request.method == "POST":
        text = _note_text(request)
        if text is None:
            return JsonResponse({"error": "text is required"}, status=400)
        return JsonResponse(Note.objects.create(text=text).as_dict(), status=201)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return JsonResponse(_notes_json())
