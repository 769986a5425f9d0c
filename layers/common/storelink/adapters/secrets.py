"""Store credentials from Secrets Manager, through Powertools parameters (cached per container)."""

import contextlib
import json
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities import parameters

from storelink.domain.stores import Store, StoreCredentials

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# Long enough to spare Secrets Manager on every webhook, short enough that a rotated secret takes effect soon.
SECRET_CACHE_SECONDS = 300


class SecretsManagerStoreSecrets:
    def __init__(self, provider: parameters.SecretsProvider) -> None:
        self._provider = provider

    def credentials(self, store: Store) -> StoreCredentials:
        secret = self._provider.get(store.secret_name, transform="json", max_age=SECRET_CACHE_SECONDS)
        return StoreCredentials.model_validate(secret)


class SecretsManagerWriter:
    """Creates and deletes store secrets; the only place storelink writes a secret."""

    def __init__(self, client: "SecretsManagerClient") -> None:
        self._client = client

    def create(self, name: str, credentials: StoreCredentials) -> None:
        self._client.create_secret(
            Name=name,
            SecretString=json.dumps(
                {"access_token": credentials.access_token, "webhook_secret": credentials.webhook_secret}
            ),
        )

    def delete(self, name: str) -> None:
        # Already gone is fine: deleting is the goal.
        with contextlib.suppress(self._client.exceptions.ResourceNotFoundException):
            self._client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
