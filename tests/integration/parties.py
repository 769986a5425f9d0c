"""A link between two stores and a stranger, in template.yaml's links table on moto server, each store with its API
token: the parties a report or a figure is read by, and one it must be refused to."""

import os

import boto3

from storelink.adapters.dynamodb import DynamoDbLinks, DynamoDbStores
from storelink.domain import credentials
from tests.builders import a_link, a_store


def linked_with_tokens(link_id: str, source: str, destination: str, stranger: str) -> dict[str, str]:
    """Each store's API token, by store id."""
    links_table = boto3.resource("dynamodb").Table(os.environ["LINKS_TABLE_NAME"])
    issued = {}
    for store_id in (source, destination, stranger):
        token = credentials.new_api_token(store_id)
        DynamoDbStores(links_table).add(a_store(store_id, api_token_digest=credentials.digest(token)))
        issued[store_id] = token
    DynamoDbLinks(links_table).add(a_link(link_id, source_store_id=source, destination_store_id=destination))
    return issued
