"""Plans (Syncerize's pricing plans): what a deployment lets each store use, and what a store at a limit is refused.

A deployment defines its plans in one template parameter (`Plans`, JSON) and its operator assigns one per store
(the store record's `plan`); a store with none, or with a name the deployment does not define, is on the default
plan, which has no limits unless the deployment defines one named `default`. Three limits, each a number or none:

- connections: the links a store is party to that bind it (pending, connected or blocked), either side;
- synced products: the destination variants mapped (matched) on the links where it is the destination and that
  sync (connected or blocked);
- pushed orders a month: the source orders storelink creates for its orders as a destination (one per part: an
  order sold for two sources is two), counted in the UTC calendar month of the push.

At a limit only the new thing is refused (a link, a mapping, a push this month): what is synced keeps syncing, and
an order beyond the month's pushes is mirrored and held, then pushed when the month turns or the plan rises
(docs/plans.md).
"""

import json
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import AwareDatetime, ConfigDict, Field, ValidationError

from storelink.domain import DomainModel
from storelink.domain.matching import MatchState, VariantMatch
from storelink.domain.messages import PushRequested
from storelink.domain.mirrors import OrderMirror, PartStatus
from storelink.errors import PlanLimitReached

DEFAULT_PLAN = "default"


class Limit(StrEnum):
    CONNECTIONS = "connections"
    SYNCED_PRODUCTS = "synced_products"
    PUSHED_ORDERS = "pushed_orders_per_month"


# What a merchant can do at each limit besides asking for a larger plan.
WHAT_TO_DO = {
    Limit.CONNECTIONS: "disconnect or deny a link you no longer use, or ask your operator for a larger plan",
    Limit.SYNCED_PRODUCTS: "unmap variants you no longer sell through a link, or ask your operator for a larger plan",
    Limit.PUSHED_ORDERS: "the order is kept and pushed when the month turns, or as soon as your operator raises your"
    " plan; nothing else is held back",
}


class Plan(DomainModel):
    """One plan's caps; none: no cap."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    connections: int | None = Field(default=None, ge=0)
    synced_products: int | None = Field(default=None, ge=0)
    pushed_orders_per_month: int | None = Field(default=None, ge=0)

    def cap(self, limit: Limit) -> int | None:
        caps: dict[Limit, int | None] = {
            Limit.CONNECTIONS: self.connections,
            Limit.SYNCED_PRODUCTS: self.synced_products,
            Limit.PUSHED_ORDERS: self.pushed_orders_per_month,
        }
        return caps[limit]

    def refusal(self, limit: Limit, used: int, adding: int = 1) -> PlanLimitReached | None:
        """The error for `adding` more of `limit` on top of `used`, or None while they fit."""
        cap = self.cap(limit)
        if cap is None or used + adding <= cap:
            return None
        return plan_limit_reached(self, limit, used, cap)


def plan_limit_reached(plan: Plan, limit: Limit, used: int, cap: int) -> PlanLimitReached:
    words = limit.value.replace("_", " ")
    return PlanLimitReached(
        f"plan {plan.name} allows {cap} {words}; {used} are used: {WHAT_TO_DO[limit]}",
        plan=plan.name,
        limit=limit.value,
        usage=str(used),
        cap=str(cap),
        what_to_do=WHAT_TO_DO[limit],
    )


class PlanCatalogue(DomainModel):
    """The deployment's plans by name, as the `Plans` template parameter gives them."""

    model_config = ConfigDict(frozen=True)

    plans: dict[str, Plan] = Field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str) -> "PlanCatalogue":
        """`{"starter": {"connections": 1, "synced_products": 100, "pushed_orders_per_month": 50}, ...}`; a plan
        leaves out a limit it does not cap. A deployment that mistypes its plans fails at its first request,
        naming the fault, rather than running with limits nobody meant."""
        try:
            raw = json.loads(text or "{}")
            if not isinstance(raw, dict):
                raise ValueError("Plans is a JSON object of plans by name")
            return cls(plans={name: Plan.model_validate({**caps, "name": name}) for name, caps in raw.items()})
        except (ValueError, TypeError, ValidationError) as error:
            raise ValueError(f"the Plans parameter is not valid: {error}") from error

    def plan_of(self, name: str | None) -> Plan:
        """The store's plan; the default plan for none or a name not defined."""
        return self.plans.get(name or DEFAULT_PLAN) or self.plans.get(DEFAULT_PLAN) or Plan(name=DEFAULT_PLAN)


def month_of(at: datetime) -> str:
    """The UTC calendar month a push counts in, as `2026-12`."""
    return at.astimezone(UTC).strftime("%Y-%m")


class LimitUsage(DomainModel):
    model_config = ConfigDict(frozen=True)

    used: int
    cap: int | None
    left: int | None


class PlanUsage(DomainModel):
    """A store's plan, and how much of each limit it uses (pushed orders: this month's)."""

    model_config = ConfigDict(frozen=True)

    store_id: str
    plan: str
    month: str
    connections: LimitUsage
    synced_products: LimitUsage
    pushed_orders_per_month: LimitUsage
    # Orders mirrored but held at the push limit, pushed when the month turns or the plan rises.
    orders_held: int = 0
    # Each limit used up to its cap, with what the merchant can do: the next one of it is refused (or, for pushed
    # orders, held until the month turns or the plan rises).
    limits_reached: dict[Limit, str] = Field(default_factory=dict)

    @classmethod
    def of(cls, store_id: str, plan: Plan, month: str, used: dict[Limit, int], held: int) -> "PlanUsage":
        def usage(limit: Limit) -> LimitUsage:
            cap = plan.cap(limit)
            return LimitUsage(used=used[limit], cap=cap, left=None if cap is None else max(cap - used[limit], 0))

        return cls(
            store_id=store_id,
            plan=plan.name,
            month=month,
            connections=usage(Limit.CONNECTIONS),
            synced_products=usage(Limit.SYNCED_PRODUCTS),
            pushed_orders_per_month=usage(Limit.PUSHED_ORDERS),
            orders_held=held,
            limits_reached={
                limit: WHAT_TO_DO[limit]
                for limit in Limit
                if (cap := plan.cap(limit)) is not None and used[limit] >= cap
            },
        )


class HeldPush(DomainModel):
    """A push refused at the store's monthly limit: kept until the month turns or the plan rises, then sent to
    the order worker again, which pushes it through the same once-only path as any push (domain/mirrors.py)."""

    model_config = ConfigDict(frozen=True)

    store_id: str
    push: PushRequested
    held_at: AwareDatetime


def held_at_limit(mirror: OrderMirror, link_id: str, reason: str, at: datetime) -> tuple[OrderMirror, str | None]:
    """The part kept not pushed at the plan's push limit, with why, since it was first held; noted once."""
    part = mirror.parts[link_id]
    if part.held_at is not None and part.last_error == reason:
        return mirror, None
    held = part.model_copy(
        update={"status": PartStatus.NOT_PUSHED, "held_at": part.held_at or at, "last_error": reason}
    )
    return mirror.with_part(held), f"not pushed: {reason}"


def push_limit_reason(plan: Plan, month: str) -> str:
    return (
        f"plan limit: the {plan.pushed_orders_per_month} pushed orders a month of plan {plan.name} are used for"
        f" {month}; pushed when the month turns or the plan rises"
    )


# The reason a variant the link's identifier matched is left unmapped: the destination's synced products are at
# their cap. Its prefix tells such a variant from one nothing matched (`held_at_plan_limit`).
SYNCED_PRODUCTS_HELD = "plan limit"


def synced_products_reason(plan: Plan) -> str:
    return (
        f"{SYNCED_PRODUCTS_HELD}: the {plan.synced_products} synced products of plan {plan.name} are used; matched"
        " when your plan rises"
    )


def within_synced_products(
    matches: list[VariantMatch], plan: Plan, used_elsewhere: int, synced_before: set[str]
) -> list[VariantMatch]:
    """A link's automatic matches up to the destination's synced-products cap, `used_elsewhere` being what its
    other links (and this link's variants not among `matches`) already use. What was matched before and what was
    mapped by hand stay matched whatever the usage (nothing already synced is frozen; a plan lowered below its
    usage refuses only new ones); new automatic matches take the room left in catalogue order; the rest are left
    unmatched, saying so, and are matched when the plan rises."""
    cap = plan.synced_products
    if cap is None:
        return matches

    def new(match: VariantMatch) -> bool:
        return (
            match.state is MatchState.MATCHED and not match.manual and match.destination.variant_id not in synced_before
        )

    room = cap - used_elsewhere - sum(1 for match in matches if match.state is MatchState.MATCHED and not new(match))
    kept: list[VariantMatch] = []
    for match in matches:
        if new(match):
            if room <= 0:
                match = match.model_copy(
                    update={"state": MatchState.UNMATCHED, "source": None, "reason": synced_products_reason(plan)}
                )
            room -= 1
        kept.append(match)
    return kept


def held_at_plan_limit(state: str, reason: str) -> bool:
    """A variant left unmapped at the synced-products cap (`within_synced_products`)."""
    return state == MatchState.UNMATCHED and reason.startswith(f"{SYNCED_PRODUCTS_HELD}:")
