"""The sales witness of WooCommerce stock writes, as plain arithmetic (adapters/woocommerce/stock.py): what a
write overwrote, from two reads of the levels and of the product's total_sales around it. Cases the sandbox
store cannot stage at the right instant (a merchant's edit of another size inside the write window, a paid
order cancelled there) are here."""

import pytest

from storelink.adapters.woocommerce.ids import Item
from storelink.adapters.woocommerce.stock import Snapshot, WitnessedStock, rounds

SHIRT, SMALL, MEDIUM = Item(12), Item(20, 21), Item(20, 22)


def snapshot(sales: dict[int, int], **stock: int) -> Snapshot:
    items = {"shirt": SHIRT, "small": SMALL, "medium": MEDIUM}
    return Snapshot(stock={items[name]: quantity for name, quantity in stock.items()}, sales=sales)


@pytest.mark.parametrize(
    ("targets", "before", "after", "lost"),
    [
        # A sale between the read and the write: the write put 6 over 9, the witness counted 1: give it back
        ({SHIRT: 6}, snapshot({12: 0}, shirt=10), snapshot({12: 1}, shirt=6), {SHIRT: 1}),
        # A sale after the write: the level shows it, nothing was overwritten
        ({SHIRT: 6}, snapshot({12: 0}, shirt=10), snapshot({12: 1}, shirt=5), {}),
        # Another size sold meanwhile: its own level shows it, nothing is the written size's
        ({SMALL: 8}, snapshot({20: 0}, small=10, medium=10), snapshot({20: 1}, small=8, medium=9), {}),
        # The merchant raised another size meanwhile and nothing sold: nothing to give back
        ({SMALL: 8}, snapshot({20: 0}, small=10, medium=5), snapshot({20: 0}, small=8, medium=15), {}),
        # A sale overwritten and a restock after the write: never more than the witness counted
        ({SHIRT: 6}, snapshot({12: 0}, shirt=10), snapshot({12: 1}, shirt=7), {SHIRT: 1}),
        # A paid order cancelled and restocked before the write (WooCommerce takes it off total_sales): the
        # write overwrote the unit it gave back, which is given back again
        ({SHIRT: 6}, snapshot({12: 3}, shirt=10), snapshot({12: 2}, shirt=6), {SHIRT: -1}),
    ],
    ids=["sale overwritten", "sale after", "other size sold", "other size edited", "restock after", "cancelled"],
)
def test_what_a_write_overwrote(targets, before, after, lost) -> None:
    assert WitnessedStock.lost(targets, before, after) == lost


def test_sizes_of_one_product_go_one_round_each() -> None:
    # Given two sizes of one product and a simple product, Then no round writes two items of one product
    assert list(rounds([MEDIUM, SHIRT, SMALL])) == [[SHIRT, SMALL], [MEDIUM]]
