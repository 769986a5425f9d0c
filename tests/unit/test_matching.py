"""Matching a destination catalogue to its source: per variant, by SKU or barcode, never guessed."""

from typing import Any

import pytest

from storelink.domain.catalogue import CatalogueVariant
from storelink.domain.links import Identifier
from storelink.domain.matching import (
    LIST_LIMIT,
    MatchState,
    VariantCountMismatch,
    health_report,
    match_catalogues,
    normalise,
)
from tests.builders import a_variant

SKU, BARCODE = Identifier.SKU, Identifier.BARCODE


def only(destination: list[CatalogueVariant], source: list[CatalogueVariant], **kwargs: Any) -> Any:
    [match] = match_catalogues(destination, source, kwargs.pop("identifier", SKU), **kwargs)
    return match


@pytest.mark.parametrize(
    ("value", "identifier", "normalised"),
    [
        ("ABC-1 ", SKU, "abc-1"),  # trailing space and case: the same SKU to a merchant
        ("\u00a0abc-1\t", SKU, "abc-1"),  # a non-breaking space pasted from a web page
        ("AB 1", SKU, "ab 1"),  # spaces inside are kept: "AB 1" and "AB1" may be two products
        ("STRASSE", SKU, "strasse"),
        ("Straße", SKU, "strasse"),  # casefold, not lower
        ("", SKU, None),
        ("   ", SKU, None),
        (None, SKU, None),
        ("5 901234 123457", BARCODE, "05901234123457"),  # printed spacing removed, GTIN-13 as GTIN-14
        ("012345678905", BARCODE, "00012345678905"),  # UPC-A
        ("0012345678905", BARCODE, "00012345678905"),  # the same product as EAN-13
        ("12345", BARCODE, "12345"),  # not a GTIN length: exact
        ("abc-1", BARCODE, "abc-1"),  # barcodes are not case-folded
        (" ", BARCODE, None),
    ],
)
def test_normalise(value: str | None, identifier: Identifier, normalised: str | None) -> None:
    assert normalise(value, identifier) == normalised


def test_skus_differing_in_case_and_surrounding_spaces_match() -> None:
    # Given "ABC-1 " at the destination and "abc-1" at the source
    destination, source = a_variant("d1", "ABC-1 "), a_variant("s1", "abc-1")
    # When matched by SKU
    match = only([destination], [source])
    # Then they match, automatically, and the reason names the SKU as the destination spells it
    assert (match.state, match.source, match.manual) == (MatchState.MATCHED, source, False)
    assert match.reason == "same SKU ABC-1"


def test_a_sku_on_several_source_variants_is_ambiguous_and_lists_them() -> None:
    # Given one destination SKU held by two source variants (and a third that differs only in case)
    source = [a_variant("s1", "TEE-S"), a_variant("s2", "other"), a_variant("s3", "tee-s"), a_variant("s4", "TEE-S ")]
    # When matched
    match = only([a_variant("d1", "TEE-S")], source)
    # Then none is picked; the candidates are listed in catalogue order
    assert (match.state, match.source) == (MatchState.AMBIGUOUS, None)
    assert match.candidates == ("s1", "s3", "s4")
    assert match.reason == "SKU TEE-S is on 3 source variants"


def test_every_destination_variant_sharing_a_sku_is_ambiguous() -> None:
    # Given two sizes of a tee that both carry the parent's SKU, and one source variant with it
    destination = [a_variant("d1", "TEE"), a_variant("d2", "tee"), a_variant("d3", "MUG")]
    source = [a_variant("s1", "TEE"), a_variant("s2", "MUG")]
    # When matched
    matches = match_catalogues(destination, source, SKU)
    # Then both sizes are ambiguous (either might be the source's), with the source variant as candidate
    assert [m.state for m in matches] == [MatchState.AMBIGUOUS, MatchState.AMBIGUOUS, MatchState.MATCHED]
    assert matches[0].candidates == matches[1].candidates == ("s1",)
    assert matches[1].reason == "SKU tee is on 2 destination variants"


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_a_variant_without_sku_is_ambiguous_even_if_the_source_has_empty_skus_too(empty: str | None) -> None:
    # Given a destination variant with no SKU, and source variants with none either
    match = only([a_variant("d1", empty)], [a_variant("s1", None), a_variant("s2", "")])
    # Then it is ambiguous: "no SKU" never matches "no SKU"
    assert (match.state, match.candidates, match.reason) == (MatchState.AMBIGUOUS, (), "no SKU")


def test_a_sku_no_source_variant_has_is_unmatched() -> None:
    match = only([a_variant("d1", "NEW-1")], [a_variant("s1", "OLD-1")])
    assert (match.state, match.reason) == (MatchState.UNMATCHED, "no source variant has SKU NEW-1")


def test_barcode_mode_matches_by_barcode_and_ignores_skus() -> None:
    # Given a link that matches by barcode: the SKUs disagree, the barcodes are one GTIN written two ways
    destination = [
        a_variant("d1", "DEST-1", barcode="0 12345 67890 5"),
        a_variant("d2", "SAME", barcode=None),
        a_variant("d3", "SAME", barcode="ABC"),
    ]
    source = [a_variant("s1", "SRC-1", barcode="0012345678905"), a_variant("s2", "SAME", barcode="abc")]
    # When matched by barcode
    matches = match_catalogues(destination, source, BARCODE)
    # Then the barcode decides: matched by GTIN, no barcode is ambiguous, a different-case barcode differs
    assert [(m.state, m.reason) for m in matches] == [
        (MatchState.MATCHED, "same barcode 0 12345 67890 5"),
        (MatchState.AMBIGUOUS, "no barcode"),
        (MatchState.UNMATCHED, "no source variant has barcode ABC"),
    ]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"is_bundle": True}, "bundle or kit: its stock is its components'"),
        ({"tracked": False}, "inventory is not tracked"),
    ],
)
def test_a_destination_kit_or_untracked_item_is_excluded(overrides: dict[str, Any], reason: str) -> None:
    # Given a destination kit (or untracked item) whose SKU the source has
    match = only([a_variant("d1", "KIT", **overrides)], [a_variant("s1", "KIT")])
    # Then it is excluded, with SiteGiant's reason, and not linked
    assert (match.state, match.source, match.reason) == (MatchState.EXCLUDED, None, reason)


def test_a_sku_only_a_source_kit_has_is_excluded() -> None:
    # Given the only source variant with the SKU is a kit
    match = only([a_variant("d1", "GIFT")], [a_variant("s1", "GIFT", is_bundle=True)])
    # Then the destination variant is excluded: it would sell the kit's components' stock
    assert (match.state, match.source, match.candidates) == (MatchState.EXCLUDED, None, ("s1",))
    assert (
        match.reason == "source variant s1 with SKU GIFT cannot be linked: bundle or kit: its stock is its components'"
    )


def test_a_source_kit_sharing_a_sku_with_an_item_makes_it_ambiguous() -> None:
    # Given a source item and a source kit with the same SKU: the destination may sell either
    match = only([a_variant("d1", "TEA")], [a_variant("s1", "TEA"), a_variant("s2", "TEA", is_bundle=True)])
    # Then it is not guessed
    assert (match.state, match.candidates) == (MatchState.AMBIGUOUS, ("s1", "s2"))


def test_a_manual_map_wins_over_an_ambiguous_sku() -> None:
    # Given an ambiguous SKU, and a merchant who chose s2 by hand
    source = [a_variant("s1", "TEE"), a_variant("s2", "TEE")]
    # When matched with the manual map
    match = only([a_variant("d1", "TEE")], source, manual={"d1": "s2"})
    # Then it sells s2, mapped by hand
    assert (match.state, match.source, match.manual, match.reason) == (
        MatchState.MATCHED,
        source[1],
        True,
        "mapped by hand",
    )


def test_several_channel_skus_merge_to_one_master_sku() -> None:
    # Given two destination variants with their own channel SKUs, and one master SKU at the source
    destination = [a_variant("d1", "SHOPEE-TEE"), a_variant("d2", "LAZADA-TEE"), a_variant("d3", "MASTER-TEE")]
    master = a_variant("s1", "MASTER-TEE")
    # When both channel variants are mapped by hand to the master (Anchanto's merge)
    matches = match_catalogues(destination, [master], SKU, {"d1": "s1", "d2": "s1"})
    # Then all three sell the master's stock, two by hand and one by its SKU
    assert [(m.state, m.source, m.manual) for m in matches] == [
        (MatchState.MATCHED, master, True),
        (MatchState.MATCHED, master, True),
        (MatchState.MATCHED, master, False),
    ]


def test_a_manual_map_to_a_source_variant_that_is_gone_is_flagged() -> None:
    # Given a manual map to a source variant that was deleted
    match = only([a_variant("d1", "TEE")], [a_variant("s1", "TEE")], manual={"d1": "s-deleted"})
    # Then it is unmatched and says why; it does not silently fall back to the SKU
    assert (match.state, match.source, match.manual) == (MatchState.UNMATCHED, None, True)
    assert match.reason == "mapped by hand to source variant s-deleted, which is not in the source catalogue"


def test_a_variant_unmapped_by_hand_stays_unmapped() -> None:
    # Given a variant whose SKU matches, unmapped by hand
    match = only([a_variant("d1", "TEE")], [a_variant("s1", "TEE")], manual={"d1": None})
    # Then matching does not map it again
    assert (match.state, match.source, match.manual, match.reason) == (
        MatchState.UNMATCHED,
        None,
        True,
        "unmapped by hand",
    )


def test_kits_stay_excluded_even_when_mapped_by_hand() -> None:
    # Given a manual map to a source kit, and one from a destination kit
    destination = [a_variant("d1", "A"), a_variant("d2", "B", is_bundle=True)]
    source = [a_variant("s1", "A", is_bundle=True), a_variant("s2", "B")]
    # When matched
    matches = match_catalogues(destination, source, SKU, {"d1": "s1", "d2": "s2"})
    # Then both are excluded
    assert [m.state for m in matches] == [MatchState.EXCLUDED, MatchState.EXCLUDED]
    assert matches[0].reason == (
        "mapped by hand to source variant s1, which cannot be linked: bundle or kit: its stock is its components'"
    )


def test_one_match_per_destination_variant_in_catalogue_order_from_any_iterable() -> None:
    # Given catalogues read lazily, and a manual map for a destination variant that no longer exists
    destination = (a_variant(f"d{n}", f"SKU-{n}") for n in range(5))
    source = (a_variant(f"s{n}", f"sku-{n}") for n in reversed(range(5)))
    # When matched
    matches = match_catalogues(destination, source, SKU, {"d-gone": "s1"})
    # Then each destination variant has exactly one match, in order; the stale manual entry is ignored
    assert [(m.destination.variant_id, m.source and m.source.variant_id) for m in matches] == [
        (f"d{n}", f"s{n}") for n in range(5)
    ]


def test_health_report_before_matching_lists_each_catalogues_problems() -> None:
    # Given a destination with a missing SKU, a duplicated one (spelled two ways) and an untracked item,
    # and a source with a kit that has no SKU (kits are listed as not linkable, not as missing a SKU)
    destination = [
        a_variant("d1", None),
        a_variant("d2", "TEE "),
        a_variant("d3", "tee"),
        a_variant("d4", "MUG", tracked=False),
    ]
    source = [a_variant("s1", "TEE"), a_variant("s2", None, is_bundle=True)]
    # When the report is asked for before matching
    report = health_report(destination, source, SKU)
    # Then each side's findings are there, and nothing about matching yet
    assert (report.states, report.variant_count_mismatches) == (None, None)
    assert report.destination.variants == 4
    assert report.destination.empty_identifiers.first == ("d1",)
    [duplicate] = report.destination.duplicate_identifiers.first
    assert (duplicate.value, duplicate.variant_ids.first) == ("TEE", ("d2", "d3"))
    assert [(v.variant_id, v.reason) for v in report.destination.not_linkable.first] == [
        ("d4", "inventory is not tracked")
    ]
    assert report.source.empty_identifiers.count == 0
    assert report.source.not_linkable.count == 1


def test_health_report_after_matching_counts_states_and_finds_variant_count_mismatches() -> None:
    # Given a destination tee in 2 sizes matched to a source tee in 3, and a mug matched one to one
    destination = [
        a_variant("d1", "TEE-S", product_id="dtee"),
        a_variant("d2", "TEE-M", product_id="dtee"),
        a_variant("d3", "MUG", product_id="dmug"),
        a_variant("d4", "NEW"),
        a_variant("d5", None),
        a_variant("d6", "KIT", is_bundle=True),
    ]
    source = [
        a_variant("s1", "TEE-S", product_id="stee"),
        a_variant("s2", "TEE-M", product_id="stee"),
        a_variant("s3", "TEE-L", product_id="stee"),
        a_variant("s4", "MUG", product_id="smug"),
    ]
    matches = match_catalogues(destination, source, SKU)
    # When the report is asked for with the matches
    report = health_report(destination, source, SKU, matches)
    # Then it counts every state and names the products whose variant counts differ, once per pair
    assert report.states == {
        MatchState.MATCHED: 3,
        MatchState.UNMATCHED: 1,
        MatchState.AMBIGUOUS: 1,
        MatchState.EXCLUDED: 1,
    }
    assert report.variant_count_mismatches is not None
    assert report.variant_count_mismatches.first == (
        VariantCountMismatch(
            destination_product_id="dtee", source_product_id="stee", destination_variants=2, source_variants=3
        ),
    )


def test_health_report_lists_are_capped_but_counts_are_complete() -> None:
    # Given more destination variants without SKU than a report lists
    destination = [a_variant(f"d{n}", None) for n in range(LIST_LIMIT + 50)]
    # When reported
    empty = health_report(destination, [], SKU).destination.empty_identifiers
    # Then the count is whole and the list stops at the limit
    assert (empty.count, len(empty.first), empty.first[0]) == (LIST_LIMIT + 50, LIST_LIMIT, "d0")


def test_health_report_by_barcode_looks_at_barcodes() -> None:
    # Given variants with SKUs but no barcodes, on a link matched by barcode
    report = health_report([a_variant("d1", "A")], [a_variant("s1", "A", barcode="123")], BARCODE)
    # Then the destination's missing barcode is what is reported
    assert (report.identifier, report.destination.empty_identifiers.first) == (BARCODE, ("d1",))
    assert report.source.empty_identifiers.count == 0
