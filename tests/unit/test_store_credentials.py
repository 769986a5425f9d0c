"""A store's credentials: the webhook secrets a delivery may be signed with around a rotation."""

from datetime import UTC, datetime, timedelta

from storelink.domain.stores import WEBHOOK_SECRET_GRACE, StoreCredentials

ROTATED_AT = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def rotated() -> StoreCredentials:
    before = StoreCredentials(access_token="token", webhook_secret="old")
    return before.replaced_by(
        StoreCredentials(access_token="token", webhook_secret="new"), ROTATED_AT, WEBHOOK_SECRET_GRACE
    )


def test_within_the_grace_both_secrets_verify_the_new_one_first() -> None:
    # Given a secret rotated at noon, When a delivery comes 4 hours later (Shopify's retry span), Then both verify
    assert rotated().webhook_secrets(ROTATED_AT + timedelta(hours=4)) == ["new", "old"]


def test_after_the_grace_only_the_new_secret_verifies() -> None:
    assert rotated().webhook_secrets(ROTATED_AT + WEBHOOK_SECRET_GRACE) == ["new"]


def test_a_replacement_with_the_same_secret_keeps_no_previous_one() -> None:
    same = StoreCredentials(access_token="token", webhook_secret="old")
    kept = same.replaced_by(
        StoreCredentials(access_token="other", webhook_secret="old"), ROTATED_AT, WEBHOOK_SECRET_GRACE
    )
    assert (kept.access_token, kept.webhook_secrets(ROTATED_AT)) == ("other", ["old"])
