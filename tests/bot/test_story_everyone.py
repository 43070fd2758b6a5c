"""Linking a chat with an invite, help for each role, admins' policy commands, languages."""
from __future__ import annotations

from datetime import timedelta

from store import create_invite

from .conftest import NOW, Chat


def invite(service, role, account):
    with service.store.write() as session:
        return create_invite(session, role=role, account_id=account, created_at=NOW, expires_at=NOW + timedelta(days=7))


def test_an_unlinked_person_gets_help_and_the_public_policy(service):
    stranger = Chat(service, 999)
    stranger.say("/start")
    assert "open the invite link" in stranger.text
    assert "returns are accepted within 30 days of delivery (toys 45, books 14)" in stranger.text
    assert "Sleeping bags, grocery, personal care items and personalized items can't be returned" in stranger.text
    stranger.say("/refund")
    assert stranger.text.startswith("To use /refund, link your account first: open the invite link")
    stranger.say("I want to return my sleeping bag")
    assert "Link your account first" in stranger.text


def test_an_invite_links_the_chat_once(service):
    code = invite(service, "buyer", "B1")
    person = Chat(service, 555)
    person.say(f"/start {code}")
    assert "You're all set, Alice: this chat is linked to your buyer account." in person.text and "/refund" in person.text
    person.say("/refund")
    assert "Which item is it about?" in person.text
    other = Chat(service, 556)
    other.say(f"/start {code}")
    assert "That invite code is unknown, already used or expired." in other.text
    other.say("/start not-a-code")
    assert "unknown, already used or expired" in other.text


def test_help_depends_on_the_role(alice, outdoor, admin):
    alice.say("/help")
    assert "/refund" in alice.text and "/tier" not in alice.text
    outdoor.say("/help")
    assert "/tier" in outdoor.text and "/refund " not in outdoor.text
    admin.say("/help")
    assert "/reload" in admin.text


def test_commands_of_other_roles_are_refused(alice, outdoor):
    alice.say("/tier")
    assert "That command isn't available for your account." in alice.text
    outdoor.say("/refund")
    assert "That command isn't available for your account." in outdoor.text


def test_admin_sees_the_policy_version_and_reloads(admin, runtime, policy_file):
    admin.say("/policy")
    assert f"Policy in force: {runtime.version}" in admin.text and "rules refund 11" in admin.text
    admin.say("/reload")
    assert "The policy file is unchanged" in admin.text
    policy_file.write_text(policy_file.read_text().replace("max_price: 15", "max_price: 20"))
    admin.say("/reload")
    assert "Reloaded: 2026.11-1+" in admin.text and runtime.version in admin.text


def test_a_bad_policy_edit_is_rejected_with_locations(admin, runtime, policy_file, alice):
    good = runtime.version
    policy_file.write_text(policy_file.read_text().replace("min_price: 500", "min_price: -5").replace("fee_per_unit: 0.50", "fee_per_unit: x"))
    admin.say("/reload")
    assert f"The new policy was rejected; still serving {good}." in admin.text
    assert f"{policy_file}:" in admin.text and "out-of-range: returns.escalation.min_price" in admin.text
    assert "wrong-type: rewards.fee_per_unit" in admin.text
    alice.say("/refund O1-1")
    alice.tap("faulty")
    alice.tap("Unopened")
    assert f"policy {good}" in alice.text


def test_replies_follow_the_language_code(service):
    from .conftest import linked

    ana = linked(service, 777, "buyer", "B1", language="es-ES")
    ana.say("/refund")
    ana.tap("Trail Sleeping Bag")
    assert "¿Qué problema tiene Trail Sleeping Bag?" in ana.text
    assert "Está defectuoso" in ana.buttons
    ana.say("/cancel")
    assert "De acuerdo, cancelado." in ana.text
    klaus = linked(service, 778, "buyer", "B2", language="de")
    klaus.say("/cancel")
    assert "There's nothing to cancel." in klaus.text  # no German texts yet: English
