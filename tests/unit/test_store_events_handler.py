"""The store events handler, in-process, through its own wiring (bootstrap) on fakes: no AWS, no network."""

import importlib.util
import json
from types import ModuleType

import pytest

from storelink import bootstrap
from storelink.domain.links import LinkStatus
from storelink.domain.product_removal import ProductRemovalJob
from storelink.ports import LinkedStores
from storelink.settings import StoreEventsSettings
from storelink_local.lambda_context import LambdaContext
from tests.builders import a_link, a_store
from tests.conftest import EVENTS, PROJECT_ROOT
from tests.fakes import (
    FakeConnectors,
    FakeLinkBook,
    FakeOversells,
    FakeRegistry,
    FakeSkuMaps,
    RecordingEvents,
    RecordingJobs,
    RecordingSweeps,
)


def handler_module() -> ModuleType:
    """The handler loaded from its file, as Lambda's runtime loads it (a fresh module: its caches are its own)."""
    spec = importlib.util.spec_from_file_location("store_events_app", PROJECT_ROOT / "functions/store_events/app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_uninstalled_app_disconnects_the_stores_links_through_the_functions_wiring(
    monkeypatch: pytest.MonkeyPatch, lambda_context: LambdaContext
) -> None:
    # Given the store events function wired by bootstrap on fakes, and sample-source's connected link
    registry = FakeRegistry({"sample-source": a_store("sample-source"), "destination": a_store("destination")})
    links = FakeLinkBook({"link-1": a_link("link-1", source_store_id="sample-source")})
    events = RecordingEvents()
    app = handler_module()
    monkeypatch.setattr(
        app,
        "link_management",
        lambda: bootstrap.link_management(
            StoreEventsSettings.model_construct(),
            linked=LinkedStores(stores=registry, links=links, sku_maps=FakeSkuMaps(), connectors=FakeConnectors({})),
            registry=registry,
            events=events,
            sweeps=RecordingSweeps(),
            removals=RecordingJobs[ProductRemovalJob](),
            oversells=FakeOversells(),
        ),
    )
    # When the sample event (sample-source uninstalled the app) reaches the handler
    answer = app.lambda_handler(json.loads((EVENTS / "store_events.json").read_text()), lambda_context)
    # Then the record succeeds, the link is disconnected, and its stores are told
    assert answer == {"batchItemFailures": []}
    assert links.links["link-1"].status is LinkStatus.DISCONNECTED
    assert [detail_type for detail_type, _ in events.published] == ["LinkDisconnected"]
