from django.core import mail
from django.test import Client

from accounts.models import LoginAttempt
from outbox.models import OutboxMessage
from tests.conftest import PASSWORD

from .conftest import link_in, log_in, logged_in_user_id

RESET_URL = "/accounts/password/reset/"
CHANGE_URL = "/accounts/password/change/"
NEW_PASSWORD = "a different passphrase 8"


def test_password_reset_mails_an_existing_user_once(
    client, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESET_URL, {"email": "Maria@Example.org"})

    assert response.status_code == 302
    assert response.url == "/accounts/password/reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["maria@example.org"]
    assert message.subject == "Reset your RPA Tracker password"
    # Sent through the outbox, which keeps no copy of the link once it is sent.
    sent = OutboxMessage.objects.get(task_name="outbox.tasks.send_email")
    assert sent.state == OutboxMessage.State.DONE
    assert link_in(message) not in str(sent.kwargs)


def test_password_reset_for_unknown_address_sends_nothing_and_looks_the_same(client, reviewer):
    known = client.post(RESET_URL, {"email": "maria@example.org"}, follow=True)
    mail.outbox.clear()

    unknown = client.post(RESET_URL, {"email": "nobody@example.org"}, follow=True)

    assert not mail.outbox
    assert unknown.redirect_chain == known.redirect_chain
    assert unknown.content == known.content


def test_reset_link_sets_a_new_password_once(client, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RESET_URL, {"email": "maria@example.org"})
    link = link_in(mail.outbox[0])

    form_page = client.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.check_password(NEW_PASSWORD)
    assert "This link no longer works" in Client().get(link, follow=True).content.decode()
    assert log_in(Client(), "maria@example.org", NEW_PASSWORD).status_code == 302


def test_nul_byte_in_reset_email_is_a_form_error(client, reviewer):
    response = client.post(RESET_URL, {"email": "maria\x00@example.org"})

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not mail.outbox


def test_password_change_needs_the_old_password(client, reviewer):
    client.force_login(reviewer)

    wrong = client.post(
        CHANGE_URL,
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    right = client.post(
        CHANGE_URL,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert wrong.status_code == 200
    assert right.status_code == 302
    assert right.url == "/accounts/password/change/done/"
    reviewer.refresh_from_db()
    assert reviewer.check_password(NEW_PASSWORD)
    assert logged_in_user_id(client) == str(reviewer.pk)


def test_wrong_old_passwords_are_recorded_and_throttled(client, reviewer):
    client.force_login(reviewer)
    change = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    for _ in range(5):
        client.post(CHANGE_URL, {"old_password": "a guess", **change})

    response = client.post(CHANGE_URL, {"old_password": PASSWORD, **change})

    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    reviewer.refresh_from_db()
    assert reviewer.check_password(PASSWORD)
    failed = LoginAttempt.objects.filter(email=reviewer.email, outcome=LoginAttempt.Outcome.FAILED)
    assert failed.count() == 5


def test_password_change_needs_login(client, db):
    response = client.get(CHANGE_URL)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_password_reset_without_csrf_token_is_forbidden(reviewer):
    response = Client(enforce_csrf_checks=True).post(RESET_URL, {"email": "maria@example.org"})

    assert response.status_code == 403
    assert not mail.outbox
