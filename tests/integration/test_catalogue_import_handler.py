"""The catalogue import handler on template.yaml's resources in moto server."""

import json

from storelink_local.runtime import LocalRuntime
from tests.conftest import EVENTS


def test_the_sample_grant_of_an_unknown_link_is_acknowledged(runtime: LocalRuntime) -> None:
    # Given the sample event: a LinkGranted event, delivered through the queue, for a link not in this table
    event = json.loads((EVENTS / "catalogue_import.json").read_text())
    # When the function is invoked, Then the record succeeds: there is no connected link to match
    assert runtime.invoke("CatalogueImportFunction", event) == {"batchItemFailures": []}
