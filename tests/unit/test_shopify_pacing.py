"""Pacing to Shopify's leaky bucket, from the throttleStatus each answer carries (no network, a fake clock)."""

from storelink.adapters.shopify.client import PACING_MARGIN_SECONDS, LeakyBucket

STANDARD = {"maximumAvailable": 2000.0, "restoreRate": 100.0}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_pause_before_shopify_has_described_the_bucket() -> None:
    assert LeakyBucket(Clock()).seconds_until(1000) == 0


def test_a_call_that_fits_the_bucket_goes_at_once() -> None:
    bucket = LeakyBucket(clock := Clock())
    bucket.update({**STANDARD, "currentlyAvailable": 800.0})
    clock.now = 1.0
    assert bucket.seconds_until(750) == 0


def test_a_call_larger_than_what_is_left_waits_for_the_bucket_to_refill() -> None:
    # Given 100 points left, restoring 100 a second
    bucket = LeakyBucket(Clock())
    bucket.update({**STANDARD, "currentlyAvailable": 100.0})
    # When a 750-point query is next, Then it waits the 6.5 s the bucket needs, and a little margin
    assert bucket.seconds_until(750) == 6.5 + PACING_MARGIN_SECONDS


def test_time_already_passed_counts_and_the_bucket_never_overfills() -> None:
    bucket = LeakyBucket(clock := Clock())
    bucket.update({**STANDARD, "currentlyAvailable": 0.0})
    clock.now = 3.0
    assert bucket.seconds_until(500) == 2.0 + PACING_MARGIN_SECONDS
    clock.now = 60.0
    assert bucket.seconds_until(5000) == 0  # capped at the bucket's size: it cannot wait for the impossible


def test_background_work_leaves_its_reserve_of_the_bucket_to_webhook_work() -> None:
    # Given 1,100 of 2,000 points left, and a sweep's client that leaves half the bucket to others
    sweep_bucket, webhook_bucket = LeakyBucket(Clock(), reserve_share=0.5), LeakyBucket(Clock())
    for bucket in (sweep_bucket, webhook_bucket):
        bucket.update({**STANDARD, "currentlyAvailable": 1100.0})
    # When each wants a 300-point call, Then the sweep waits until 1,300 are there, the webhook work goes at once
    assert sweep_bucket.seconds_until(300) == 2.0 + PACING_MARGIN_SECONDS
    assert webhook_bucket.seconds_until(300) == 0
