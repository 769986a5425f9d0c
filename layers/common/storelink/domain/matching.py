"""Which source variant each destination variant sells: matched by the link's identifier, never guessed.

Every destination variant ends in one state. A merchant can always see why, and can map by hand what
matching refused to guess. See docs/matching.md for the rules in the merchant's words.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import ConfigDict

from storelink.domain import DomainModel
from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import Identifier

# Health report lists stop here; their counts are always complete.
LIST_LIMIT = 100

GTIN_LENGTHS = frozenset({8, 12, 13, 14})


class MatchState(StrEnum):
    MATCHED = "matched"
    UNMATCHED = "unmatched"
    AMBIGUOUS = "ambiguous"
    EXCLUDED = "excluded"


def normalise(value: str | None, identifier: Identifier) -> str | None:
    """The form in which two SKUs or two barcodes are compared; None when there is none.

    Merchants type SKUs by hand in two stores: "ABC-1 " in one and "abc-1" in the other are the same
    product to them, and peers that compare them exactly leave such variants unsynced. So a SKU is
    trimmed and compared ignoring case (`casefold`, which also folds "ß" and "ss"); spaces inside it
    are kept, because "AB 1" and "AB1" may well be two products.

    Barcodes are printed numbers, often copied with spaces ("5 901234 123457"): every space is removed
    and the rest compares exactly. A numeric barcode of a GTIN length (8, 12, 13 or 14 digits) is
    compared as its 14-digit GTIN, as GS1 defines it: the same product's UPC-A "012345678905" in one
    store and EAN-13 "0012345678905" in another are one barcode.

    Nothing left after trimming (platforms send "" or null for a missing SKU) means no identifier.
    """
    if value is None:
        return None
    if identifier is Identifier.SKU:
        sku = value.strip()
        return sku.casefold() if sku else None
    barcode = "".join(value.split())
    if not barcode:
        return None
    if barcode.isascii() and barcode.isdigit() and len(barcode) in GTIN_LENGTHS:
        return barcode.zfill(14)
    return barcode


def identifier_value(variant: CatalogueVariant, identifier: Identifier) -> str | None:
    """The variant's SKU or barcode as its store spells it."""
    return variant.sku if identifier is Identifier.SKU else variant.barcode


def identifier_label(identifier: Identifier) -> str:
    return "SKU" if identifier is Identifier.SKU else "barcode"


def by_identifier(variants: Iterable[CatalogueVariant], identifier: Identifier) -> dict[str, list[CatalogueVariant]]:
    """Variants by normalised identifier, in catalogue order; variants with none are left out."""
    index: dict[str, list[CatalogueVariant]] = {}
    for variant in variants:
        key = normalise(identifier_value(variant, identifier), identifier)
        if key is not None:
            index.setdefault(key, []).append(variant)
    return index


class VariantMatch(DomainModel):
    """What matching decided for one destination variant, and why, in words a merchant can act on."""

    model_config = ConfigDict(frozen=True)

    destination: CatalogueVariant
    state: MatchState
    # The source variant it sells; only when matched.
    source: CatalogueVariant | None = None
    # Source variants that share its identifier, for the merchant to choose from by hand.
    candidates: tuple[str, ...] = ()
    reason: str
    manual: bool = False


def match_catalogues(
    destination: Iterable[CatalogueVariant],
    source: Iterable[CatalogueVariant],
    identifier: Identifier,
    manual: Mapping[str, str | None] | None = None,
) -> list[VariantMatch]:
    """One match per destination variant, in catalogue order.

    `manual` maps destination variant ids to the source variant id a merchant chose by hand, or to
    None for a variant unmapped by hand (so automatic matching never maps it again). A manual map
    wins over the identifier, and several destination variants may map to one source variant
    (Anchanto's merge to a master SKU). Entries for destination variants no longer in the catalogue
    are ignored: there is nothing left to map.

    Variants that are not linkable (kits, untracked items) are excluded on either side, even by hand.
    An identifier is only trusted when it names one variant on each side: empty or repeated, the
    variant is ambiguous and the source variants that share it are listed, never picked.
    """
    destination_variants, source_variants, by_hand = list(destination), list(source), manual or {}
    label = identifier_label(identifier)
    source_by_id = {variant.variant_id: variant for variant in source_variants}
    source_by_key = by_identifier(source_variants, identifier)
    destination_by_key = by_identifier(destination_variants, identifier)

    def decide(variant: CatalogueVariant) -> VariantMatch:
        if why := variant.not_linkable_because:
            return VariantMatch(destination=variant, state=MatchState.EXCLUDED, reason=why)
        if variant.variant_id in by_hand:
            return _by_hand(variant, by_hand[variant.variant_id], source_by_id)
        value = identifier_value(variant, identifier)
        key = normalise(value, identifier)
        if key is None:
            return VariantMatch(destination=variant, state=MatchState.AMBIGUOUS, reason=f"no {label}")
        shown = (value or "").strip()
        found = source_by_key.get(key, [])
        candidates = tuple(candidate.variant_id for candidate in found)
        if (repeats := len(destination_by_key[key])) > 1:
            reason = f"{label} {shown} is on {repeats} destination variants"
            return VariantMatch(destination=variant, state=MatchState.AMBIGUOUS, candidates=candidates, reason=reason)
        if len(found) > 1:
            reason = f"{label} {shown} is on {len(found)} source variants"
            return VariantMatch(destination=variant, state=MatchState.AMBIGUOUS, candidates=candidates, reason=reason)
        if not found:
            reason = f"no source variant has {label} {shown}"
            return VariantMatch(destination=variant, state=MatchState.UNMATCHED, reason=reason)
        [counterpart] = found
        if why := counterpart.not_linkable_because:
            reason = f"source variant {counterpart.variant_id} with {label} {shown} cannot be linked: {why}"
            return VariantMatch(destination=variant, state=MatchState.EXCLUDED, candidates=candidates, reason=reason)
        return VariantMatch(
            destination=variant, state=MatchState.MATCHED, source=counterpart, reason=f"same {label} {shown}"
        )

    return [decide(variant) for variant in destination_variants]


def _by_hand(
    variant: CatalogueVariant, source_variant_id: str | None, source_by_id: Mapping[str, CatalogueVariant]
) -> VariantMatch:
    if source_variant_id is None:
        return VariantMatch(destination=variant, state=MatchState.UNMATCHED, reason="unmapped by hand", manual=True)
    chosen = source_by_id.get(source_variant_id)
    if chosen is None:
        # The source variant was deleted or never existed: flagged, never left pointing at nothing.
        reason = f"mapped by hand to source variant {source_variant_id}, which is not in the source catalogue"
        return VariantMatch(destination=variant, state=MatchState.UNMATCHED, reason=reason, manual=True)
    if why := chosen.not_linkable_because:
        reason = f"mapped by hand to source variant {source_variant_id}, which cannot be linked: {why}"
        return VariantMatch(destination=variant, state=MatchState.EXCLUDED, reason=reason, manual=True)
    return VariantMatch(
        destination=variant, state=MatchState.MATCHED, source=chosen, reason="mapped by hand", manual=True
    )


class Listed[T](DomainModel):
    """A finding's full count and its first LIST_LIMIT items."""

    model_config = ConfigDict(frozen=True)

    count: int
    first: tuple[T, ...]


def _listed[T](items: Iterable[T]) -> Listed[T]:
    items = list(items)
    return Listed[T](count=len(items), first=tuple(items[:LIST_LIMIT]))


class DuplicateIdentifier(DomainModel):
    model_config = ConfigDict(frozen=True)

    # As the first variant that has it spells it.
    value: str
    variant_ids: Listed[str]


class NotLinkableVariant(DomainModel):
    model_config = ConfigDict(frozen=True)

    variant_id: str
    reason: str


class CatalogueHealth(DomainModel):
    """One catalogue's identifier problems, which make variants ambiguous or excluded."""

    model_config = ConfigDict(frozen=True)

    variants: int
    # Linkable variants with no identifier (kits without one are only listed as not linkable).
    empty_identifiers: Listed[str]
    # Every variant counts here, kits too: a kit sharing a SKU still makes that SKU ambiguous.
    duplicate_identifiers: Listed[DuplicateIdentifier]
    not_linkable: Listed[NotLinkableVariant]


class VariantCountMismatch(DomainModel):
    """Products matched through at least one variant that do not have the same number of variants."""

    model_config = ConfigDict(frozen=True)

    destination_product_id: str
    source_product_id: str
    destination_variants: int
    source_variants: int


class HealthReport(DomainModel):
    """A link's SKU health: each catalogue's findings, and once matched, the outcome."""

    model_config = ConfigDict(frozen=True)

    identifier: Identifier
    destination: CatalogueHealth
    source: CatalogueHealth
    # None before matching.
    states: dict[MatchState, int] | None = None
    variant_count_mismatches: Listed[VariantCountMismatch] | None = None


def _catalogue_health(variants: list[CatalogueVariant], identifier: Identifier) -> CatalogueHealth:
    empty = (
        variant.variant_id
        for variant in variants
        if variant.not_linkable_because is None and normalise(identifier_value(variant, identifier), identifier) is None
    )
    duplicates = (
        DuplicateIdentifier(
            value=(identifier_value(repeats[0], identifier) or "").strip(),
            variant_ids=_listed(variant.variant_id for variant in repeats),
        )
        for repeats in by_identifier(variants, identifier).values()
        if len(repeats) > 1
    )
    not_linkable = (
        NotLinkableVariant(variant_id=variant.variant_id, reason=why)
        for variant in variants
        if (why := variant.not_linkable_because)
    )
    return CatalogueHealth(
        variants=len(variants),
        empty_identifiers=_listed(empty),
        duplicate_identifiers=_listed(duplicates),
        not_linkable=_listed(not_linkable),
    )


def health_report(
    destination: Iterable[CatalogueVariant],
    source: Iterable[CatalogueVariant],
    identifier: Identifier,
    matches: Iterable[VariantMatch] | None = None,
) -> HealthReport:
    """The SKU health of a link; without `matches`, what can be told before matching."""
    destination_variants, source_variants = list(destination), list(source)
    states: dict[MatchState, int] | None = None
    mismatches: Listed[VariantCountMismatch] | None = None
    if matches is not None:
        matches = list(matches)
        counted = Counter(match.state for match in matches)
        states = {state: counted[state] for state in MatchState}
        mismatches = _listed(_variant_count_mismatches(destination_variants, source_variants, matches))
    return HealthReport(
        identifier=identifier,
        destination=_catalogue_health(destination_variants, identifier),
        source=_catalogue_health(source_variants, identifier),
        states=states,
        variant_count_mismatches=mismatches,
    )


def _variant_count_mismatches(
    destination: list[CatalogueVariant], source: list[CatalogueVariant], matches: list[VariantMatch]
) -> Iterable[VariantCountMismatch]:
    destination_variants = Counter(variant.product_id for variant in destination)
    source_variants = Counter(variant.product_id for variant in source)
    # A dict keeps the pairs in first-seen order, so the list follows the destination catalogue.
    pairs = {
        (match.destination.product_id, match.source.product_id): None
        for match in matches
        if match.source is not None and match.state is MatchState.MATCHED
    }
    for destination_product, source_product in pairs:
        if destination_variants[destination_product] != source_variants[source_product]:
            yield VariantCountMismatch(
                destination_product_id=destination_product,
                source_product_id=source_product,
                destination_variants=destination_variants[destination_product],
                source_variants=source_variants[source_product],
            )
