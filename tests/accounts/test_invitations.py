import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import services
from accounts.models import Invitation, Role, User, hash_token
from outbox.models import OutboxMessage
from tests import factories
from tests.query_counts import assert_flat

from .conftest import INVITATIONS_URL, link_in, logged_in_user_id

NEW_PASSWORD = "a long new passphrase 7"


@pytest.fixture
def invite_as(client, django_capture_on_commit_callbacks):
    """Post the invitation form as `user`; the e-mail that leaves after commit is sent."""

    def invite(user, **data):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(INVITATIONS_URL, data)

    return invite


def accept(link, name="Nok", password=NEW_PASSWORD, client=None):
    client = client or Client()
    response = client.post(link, {"name": name, "password1": password, "password2": password})
    return client, response


@pytest.fixture
def sent_invitation(secretariat):
    """A pending invitation for a reviewer, and its link."""
    invitation = services.invitation_create(
        invited_by=secretariat, email="nok@example.org", role=Role.REVIEWER
    )
    token = "known-token-for-tests"
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=hash_token(token))
    return invitation, f"/accounts/invitations/{token}/"


def test_secretariat_invites_a_reviewer_who_sets_a_password_and_is_logged_in(
    invite_as, secretariat
):
    response = invite_as(secretariat, email="Nok@Example.org", role="reviewer")

    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["nok@example.org"]
    link = link_in(message)
    assert link.startswith("http://testserver/accounts/invitations/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash
    # Sent through the outbox, which keeps no copy of the link once it is sent.
    assert token not in str(OutboxMessage.objects.values_list("kwargs", flat=True).get())

    invitee = Client()
    assert invitee.get(link).status_code == 200
    invitee, response = accept(link, client=invitee)

    assert response.status_code == 302
    user = User.objects.get(email="nok@example.org")
    assert (user.role, user.member_state, user.name) == (Role.REVIEWER, None, "Nok")
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user_id(invitee) == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None


def test_an_invitation_link_works_only_once(sent_invitation):
    _, link = sent_invitation
    accept(link)

    client, second = accept(link, name="Someone else", password="another long phrase 9")

    assert second.status_code == 410
    assert "already used" in second.content.decode()
    assert Client().get(link).status_code == 410
    assert User.objects.filter(email="nok@example.org").count() == 1
    assert logged_in_user_id(client) is None


def test_accepting_twice_in_the_service_claims_once(sent_invitation):
    services.invitation_accept(token="known-token-for-tests", password=NEW_PASSWORD, name="Nok")

    with pytest.raises(services.InvitationUnavailable):
        services.invitation_accept(token="known-token-for-tests", password=NEW_PASSWORD, name="Nok")
    assert User.objects.filter(email="nok@example.org").count() == 1


def test_an_expired_link_fails(sent_invitation):
    invitation, link = sent_invitation
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8),
        expires_at=timezone.now() - datetime.timedelta(seconds=1),
    )

    _, response = accept(link)

    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not User.objects.filter(email="nok@example.org").exists()


def test_an_unknown_link_is_not_found(db):
    response = Client().get("/accounts/invitations/no-such-token/")

    assert response.status_code == 404
    assert "password1" not in response.content.decode()


def test_a_revoked_link_fails(client, secretariat, sent_invitation):
    invitation, link = sent_invitation
    client.force_login(secretariat)

    client.post(f"/accounts/invitations/{invitation.pk}/revoke/")

    _, response = accept(link)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert not User.objects.filter(email="nok@example.org").exists()


def test_invitation_expiry_follows_the_setting(secretariat, settings):
    settings.INVITATION_VALID_DAYS = 2

    invitation = services.invitation_create(
        invited_by=secretariat, email="nok@example.org", role=Role.OBSERVER
    )

    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=2)


def test_coordinator_invites_focal_point_of_own_state_whatever_the_post_says(
    invite_as, coordinator, malaysia
):
    response = invite_as(
        coordinator,
        email="vibol@example.org",
        role="focal_point",
        member_state=malaysia.pk,
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.member_state == coordinator.member_state
    assert invitation.role == Role.FOCAL_POINT
    assert invitation.invited_by == coordinator
    accept(link_in(mail.outbox[0]))
    user = User.objects.get(email="vibol@example.org")
    assert user.member_state.code == "KH"
    assert user.time_zone == "Asia/Phnom_Penh"


@pytest.mark.parametrize("role", ["reviewer", "coordinator", "secretariat", "observer"])
def test_coordinator_cannot_invite_other_roles(invite_as, coordinator, role):
    response = invite_as(coordinator, email="x@example.org", role=role)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_coordinator_service_call_for_another_state_is_refused(coordinator, malaysia):
    with pytest.raises(services.ValidationError):
        services.invitation_create(
            invited_by=coordinator,
            email="x@example.org",
            role=Role.FOCAL_POINT,
            member_state=malaysia,
        )
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["focal_point", "reviewer", "observer"])
def test_others_cannot_reach_the_invitations_page(client, db, persona, request):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(INVITATIONS_URL).status_code == 403
    assert (
        client.post(INVITATIONS_URL, {"email": "x@example.org", "role": "observer"}).status_code
        == 403
    )
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["focal_point", "reviewer", "observer"])
def test_others_cannot_invite_through_the_service(db, persona, request):
    with pytest.raises(services.PermissionDenied):
        services.invitation_create(
            invited_by=request.getfixturevalue(persona), email="x@example.org", role=Role.OBSERVER
        )


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(INVITATIONS_URL)

    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next={INVITATIONS_URL}"


def test_state_roles_need_a_state(invite_as, secretariat):
    response = invite_as(secretariat, email="x@example.org", role="focal_point")

    assert response.status_code == 200
    assert "need a state" in response.content.decode()
    assert not Invitation.objects.exists()


def test_other_roles_must_not_have_a_state(invite_as, secretariat, cambodia):
    response = invite_as(
        secretariat,
        email="x@example.org",
        role="reviewer",
        member_state=cambodia.pk,
    )

    assert response.status_code == 200
    assert "Only focal points and coordinators have a state." in response.content.decode()
    assert not Invitation.objects.exists()


def test_existing_users_cannot_be_invited(invite_as, secretariat, reviewer):
    response = invite_as(secretariat, email="MARIA@example.org", role="observer")

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_one_pending_invitation_per_address(secretariat, sent_invitation):
    with pytest.raises(services.ValidationError, match="pending invitation"):
        services.invitation_create(
            invited_by=secretariat, email="NOK@example.org", role=Role.OBSERVER
        )
    assert Invitation.objects.count() == 1


def test_an_expired_invitation_can_be_sent_again(secretariat, sent_invitation):
    old, old_link = sent_invitation
    Invitation.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=8),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )

    services.invitation_create(invited_by=secretariat, email="nok@example.org", role=Role.OBSERVER)

    statuses = dict(Invitation.objects.with_status().values_list("role", "status"))
    assert statuses == {"reviewer": "expired", "observer": "pending"}
    assert Client().get(old_link).status_code == 410


def test_accepting_needs_matching_strong_passwords(sent_invitation):
    invitation, link = sent_invitation

    mismatch = Client().post(
        link, {"name": "Nok", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )
    _, weak = accept(link, password="12345678")

    assert "do not match" in mismatch.content.decode()
    assert weak.status_code == 200
    assert "too short" in weak.content.decode()
    assert not User.objects.filter(email="nok@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_megabyte_name_is_a_form_error(sent_invitation):
    invitation, link = sent_invitation

    _, response = accept(link, name="N" * 1_000_000)

    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_nul_byte_in_invited_email_is_a_form_error(invite_as, secretariat):
    response = invite_as(secretariat, email="x\x00@example.org", role="observer")

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not Invitation.objects.exists()


def test_accepting_when_the_address_got_an_account_meanwhile_fails_cleanly(sent_invitation):
    invitation, link = sent_invitation
    factories.make_user(Role.OBSERVER, email="NOK@example.org")

    _, response = accept(link)

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_accepting_without_csrf_token_is_forbidden(sent_invitation):
    _, link = sent_invitation

    _, response = accept(link, client=Client(enforce_csrf_checks=True))

    assert response.status_code == 403
    assert not User.objects.filter(email="nok@example.org").exists()


def test_inviter_can_revoke(client, coordinator):
    invitation = services.invitation_create(
        invited_by=coordinator, email="vibol@example.org", role=Role.FOCAL_POINT
    )
    client.force_login(coordinator)

    assert client.get(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 405
    response = client.post(f"/accounts/invitations/{invitation.pk}/revoke/")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_someone_else_cannot_revoke(client, coordinator, malaysia_coordinator, focal_point):
    invitation = services.invitation_create(
        invited_by=coordinator, email="vibol@example.org", role=Role.FOCAL_POINT
    )

    for other in (malaysia_coordinator, focal_point):
        client.force_login(other)
        assert client.post(f"/accounts/invitations/{invitation.pk}/revoke/").status_code == 404

    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_coordinator_sees_only_own_state_invitations(
    client, secretariat, coordinator, malaysia_coordinator, malaysia
):
    services.invitation_create(
        invited_by=coordinator, email="kh-focal@example.org", role=Role.FOCAL_POINT
    )
    services.invitation_create(
        invited_by=malaysia_coordinator, email="my-focal@example.org", role=Role.FOCAL_POINT
    )
    services.invitation_create(invited_by=secretariat, email="obs@example.org", role=Role.OBSERVER)

    client.force_login(coordinator)
    coordinator_page = client.get(INVITATIONS_URL).content.decode()
    client.force_login(secretariat)
    secretariat_page = client.get(INVITATIONS_URL).content.decode()

    assert "kh-focal@example.org" in coordinator_page
    assert "my-focal@example.org" not in coordinator_page
    assert "obs@example.org" not in coordinator_page
    for email in ("kh-focal@example.org", "my-focal@example.org", "obs@example.org"):
        assert email in secretariat_page


def test_coordinator_form_has_no_state_or_other_roles(client, coordinator):
    client.force_login(coordinator)

    page = client.get(INVITATIONS_URL).content.decode()

    assert 'name="member_state"' not in page
    assert 'value="focal_point"' in page
    assert 'value="reviewer"' not in page


def test_invitations_page_queries_do_not_grow(client, secretariat, cambodia):
    def invite(numbers):
        for n in numbers:
            factories.make_invitation(secretariat, f"person{n}@example.org", member_state=cambodia)

    invite(range(1))
    client.force_login(secretariat)

    assert_flat(client, "accounts:invitation_list", INVITATIONS_URL, lambda: invite(range(1, 30)))

    assert client.get(INVITATIONS_URL).content.decode().count("@example.org</th>") == 25


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1000000000000"])
def test_odd_page_numbers_show_a_page(client, secretariat, page):
    client.force_login(secretariat)

    assert client.get(INVITATIONS_URL, {"page": page}).status_code == 200


def test_secretariat_invitee_gets_admin_site_access(secretariat):
    services.invitation_create(
        invited_by=secretariat, email="new-admin@example.org", role=Role.SECRETARIAT
    )
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=hash_token("t"))

    user = services.invitation_accept(token="t", password=NEW_PASSWORD, name="Ana")

    assert user.is_staff
    assert not user.is_superuser


@pytest.mark.parametrize(
    "persona, shown",
    [("secretariat", True), ("coordinator", True), ("focal_point", False), ("reviewer", False)],
)
def test_header_links_to_invitations_only_for_inviters(client, db, persona, shown, request):
    client.force_login(request.getfixturevalue(persona))

    page = client.get("/accounts/password/change/").content.decode()

    assert (f'href="{INVITATIONS_URL}"' in page) is shown
