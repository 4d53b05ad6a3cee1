"""ProfileApp tests.

Run with ``python manage.py test`` from this project, or with pytest from the
Dockyard checkout root (see ../conftest.py).
"""

import json

from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from .models import Note


class ProfilePageTests(SimpleTestCase):
    def test_profile_page(self):
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "pages/index.html")
        self.assertTemplateUsed(response, "theme.html")
        self.assertContains(response, "<title>ProfileApp | Ada Lovelace</title>", html=False)
        self.assertContains(response, "<h1>ProfileApp</h1>", html=False)
        self.assertContains(response, "Ada Lovelace")
        self.assertContains(response, "Analytical Engine")

    def test_static_urls_in_page(self):
        response = self.client.get("/")
        self.assertContains(response, 'href="/static/css/style.css"')
        self.assertContains(response, 'src="/static/images/headshot.png"')
        self.assertContains(response, 'src="/static/images/avatar.svg"')

    def test_static_files_exist(self):
        from django.contrib.staticfiles import finders

        for path in ("css/style.css", "images/headshot.png", "images/avatar.svg"):
            with self.subTest(path=path):
                self.assertIsNotNone(finders.find(path))
        with open(finders.find("images/headshot.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_health(self):
        response = self.client.get("/health/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok")
        self.assertEqual(response["Content-Type"], "text/plain")

    def test_health_does_not_use_database(self):
        # SimpleTestCase fails any database query, so reaching here proves it.
        self.assertEqual(self.client.get(reverse("health")).status_code, 200)


class NotesTests(TestCase):
    def test_empty_list(self):
        response = self.client.get("/notes/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "No notes yet.")
        self.assertContains(response, "<h1>ProfileApp</h1>", html=False)

    def test_create_with_form(self):
        response = self.client.post("/notes/", {"text": "Hello from the form"})
        self.assertRedirects(response, "/notes/")
        self.assertEqual(Note.objects.count(), 1)
        response = self.client.get("/notes/")
        self.assertContains(response, "Hello from the form")

    def test_create_requires_text(self):
        response = self.client.post("/notes/", {"text": "   "})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(Note.objects.count(), 0)

    def test_form_post_without_csrf_token(self):
        client = self.client_class(enforce_csrf_checks=True)
        response = client.post("/notes/", {"text": "scripted"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(Note.objects.filter(text="scripted").exists())

    def test_json_on_notes_page(self):
        Note.objects.create(text="first")
        response = self.client.get("/notes/", HTTP_ACCEPT="application/json")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["count"], 1)
        response = self.client.post(
            "/notes/", json.dumps({"text": "second"}), content_type="application/json"
        )
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.json()["text"], "second")

    def test_api_create_and_list(self):
        client = self.client_class(enforce_csrf_checks=True)
        response = client.post(
            "/api/notes/", json.dumps({"text": "one"}), content_type="application/json"
        )
        self.assertEqual(response.status_code, 201)
        created = response.json()
        self.assertEqual(created["text"], "one")
        client.post("/api/notes/", {"text": "two"})
        response = client.get("/api/notes/")
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(data["count"], 2)
        self.assertEqual(sorted(n["text"] for n in data["notes"]), ["one", "two"])
        self.assertIn(created["id"], [n["id"] for n in data["notes"]])

    def test_api_rejects_bad_input(self):
        for body in ("not json", json.dumps({"text": ""}), json.dumps(["x"])):
            with self.subTest(body=body):
                response = self.client.post("/api/notes/", body, content_type="application/json")
                self.assertEqual(response.status_code, 400)
        self.assertEqual(self.client.put("/api/notes/").status_code, 405)
        self.assertEqual(Note.objects.count(), 0)
