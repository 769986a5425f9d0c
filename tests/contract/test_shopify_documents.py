"""Every GraphQL document the Shopify connector can send is valid on Shopify's 2026-10 Admin schema, and uses
nothing that version deprecates."""

import pytest
from graphql import GraphQLSchema, parse, specified_rules, validate
from graphql.validation import NoDeprecatedCustomRule

from storelink.adapters.shopify import documents

pytestmark = pytest.mark.contract


@pytest.mark.parametrize("name", sorted(documents.ALL))
def test_document_validates_against_the_2026_10_schema_with_nothing_deprecated(
    name: str, contract_schema: GraphQLSchema
) -> None:
    # Given a document of the connector (the bulk query is sent as a string and run by Shopify as a query)
    source = documents.ALL[name]
    if name.startswith("BULK_") and name.endswith("_QUERY"):
        source = f"query {source}"
    # When it is validated against the contract, Then Shopify would accept its shape, and it uses no deprecated
    # field, argument or input field (each goes in a later version)
    rules = [*specified_rules, NoDeprecatedCustomRule]
    assert [error.message for error in validate(contract_schema, parse(source), rules)] == []
