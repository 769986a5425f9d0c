"""`sam deploy --guided` as the README's deploy section follows it, checked with SAM CLI's own code."""

from pathlib import Path

from samcli.commands.deploy.auth_utils import auth_per_resource
from samcli.lib.providers.sam_stack_provider import SamLocalStackProvider

TEMPLATE = Path(__file__).parents[2] / "template.yaml"


def test_guided_deploy_asks_no_route_whether_it_may_go_without_authentication() -> None:
    # Given the template, read by SAM CLI as `sam deploy --guided --language-extensions` reads it
    stacks, _ = SamLocalStackProvider.get_stacks(str(TEMPLATE), language_extensions_enabled=True)

    # When SAM CLI lists the resources it would ask "has no authentication. Is this okay?" about
    unauthenticated = [resource for resource, authenticated in auth_per_resource(stacks) if not authenticated]

    # Then there are none: every route authenticates itself, and the HTTP API says so (one question per route
    # otherwise, 55 of them, each refusing the deploy when answered with its default)
    assert unauthenticated == []
