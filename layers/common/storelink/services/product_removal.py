"""Disconnecting with "delete_products": the plan, read from the link's SKU maps and the destination's
catalogue as it is now (never from what storelink remembers of it: a delete cannot be undone), and the work,
in parts on the sweep queue, each recording what it did on the link's history and progress.

A part is safe to run again: a product already gone counts as deleted, a level already at 0 is left, and the link
counts a part once (its number is kept in the progress, written compare-and-set with the history entry).
"""

import stamina

from storelink.domain.links import DisconnectOption, Link, LinkStatus, Role, Transition
from storelink.domain.product_removal import (
    PlannedProduct,
    ProductRemovalJob,
    ProductRemovalPlan,
    kept_after_all,
    plan_product_removal,
)
from storelink.domain.stock import InventoryRef
from storelink.errors import Conflict, FailureClass, failure_class
from storelink.observability import logger
from storelink.ports import JobQueue, LinkedStores, StoreConnector
from storelink.services.store_access import connector_of

# The destination's other links whose products a disconnect leaves alone: those that sell, or will again.
SELLING = frozenset({LinkStatus.CONNECTED, LinkStatus.BLOCKED})


class ProductRemoval:
    def __init__(
        self,
        *,
        linked: LinkedStores,
        jobs: JobQueue[ProductRemovalJob],
    ) -> None:
        self._stores, self._links, self._sku_maps = linked.stores, linked.links, linked.sku_maps
        self._connectors, self._now = linked.connectors, linked.now
        self._jobs = jobs

    def plan(self, link: Link) -> ProductRemovalPlan:
        others = [
            other
            for other in self._links.links_to_destination(link.destination_store_id)
            if other.link_id != link.link_id and other.status in SELLING
        ]
        return plan_product_removal(
            self._sku_maps.all_of(link.link_id),
            [entry for other in others for entry in self._sku_maps.all_of(other.link_id)],
            self._destination(link).catalogue(),
        )

    def queue(self, jobs: list[ProductRemovalJob]) -> None:
        self._jobs.send(jobs)

    def remove(self, job: ProductRemovalJob) -> None:
        """Set the kept products' mapped variants to 0, then delete the others, each read again first (one that
        sells a variant added since the plan is kept instead); record the part on the link."""
        link = self._links.get(job.link_id)
        if link is None or not _still_to_do(link, job):
            return  # reconnected meanwhile (nothing is deleted then), or this part is recorded already
        destination = self._destination(link)
        kept, deleting = list(job.set_to_zero), []
        for product in job.delete:
            if now_kept := kept_after_all(product, destination.variants_of_product(product.product_id)):
                kept.append(now_kept)
            else:
                deleting.append(product)
        targets = {
            InventoryRef(item_id=item, location_id=location): 0
            for product in kept
            for item in product.inventory_item_ids
            for location in link.locations.values()
        }
        reference = f"storelink://links/{link.link_id}/product-removal/{job.part}"
        refused = destination.set_available(targets, reference).refused if targets else {}
        failures = {f"{level.item_id} at {level.location_id}": why for level, why in refused.items()}
        deleted = []
        for product in deleting:
            try:
                destination.delete_product(product.product_id)
            except Exception as error:
                if failure_class(error) is not FailureClass.PERMANENT_FOR_EVENT:
                    raise  # transient: the queue runs the part again; the store's own refusal: it needs attention
                failures[product.named()] = str(error)
                continue
            deleted.append(product)
        self._record(job, deleted, kept, failures)
        logger.info(
            "products of a disconnected link removed",
            extra={"link_id": job.link_id, "part": job.part, "deleted": len(deleted), "failures": len(failures)},
        )

    def _record(
        self,
        job: ProductRemovalJob,
        deleted: list[PlannedProduct],
        kept: list[PlannedProduct],
        failures: dict[str, str],
    ) -> None:
        # Parts run side by side and each writes the link compare-and-set: one that lost the race reads again.
        for attempt in stamina.retry_context(on=Conflict, attempts=10, wait_initial=0.05, wait_max=1.0):
            with attempt:
                link = self._links.get(job.link_id)
                if link is None or link.product_removal is None or not _still_to_do(link, job):
                    return
                now = self._now()
                progress = link.product_removal.with_part_done(
                    job.part, deleted=len(deleted), set_to_zero=len(kept), failures=failures, at=now
                )
                transition = Transition(
                    action=None,
                    by_store_id=link.destination_store_id,
                    role=Role.DESTINATION,
                    at=now,
                    from_status=link.status,
                    to_status=link.status,
                    detail=_history(deleted, kept, failures),
                )
                self._links.save(
                    link.model_copy(update={"product_removal": progress, "version": link.version + 1}), transition
                )

    def _destination(self, link: Link) -> StoreConnector:
        return connector_of(self._stores, self._connectors, link.destination_store_id)


def _still_to_do(link: Link, job: ProductRemovalJob) -> bool:
    return (
        link.status is LinkStatus.DISCONNECTED
        and link.disconnect_option is DisconnectOption.DELETE_PRODUCTS
        and link.product_removal is not None
        and link.product_removal.started_at == job.started_at
        and job.part not in link.product_removal.parts_done
    )


def _history(deleted: list[PlannedProduct], kept: list[PlannedProduct], failures: dict[str, str]) -> str:
    """The link's history entry for a part: both lists, each product named, and what could not be done."""
    said = []
    if deleted:
        said.append("products deleted: " + ", ".join(product.named() for product in deleted))
    if kept:
        said.append("products kept, their variants from this link set to 0: " + " / ".join(p.named() for p in kept))
    if failures:
        said.append("not done: " + " / ".join(f"{what}: {why}" for what, why in failures.items()))
    return ". ".join(said)
