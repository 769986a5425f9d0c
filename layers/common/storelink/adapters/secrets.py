"""Store credentials from Secrets Manager, through Powertools parameters (cached per container)."""

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from aws_lambda_powertools.utilities import parameters

from storelink.domain.stores import Store, StoreCredentials

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

# Long enough to spare Secrets Manager on every webhook, short enough that a rotated secret takes effect soon.
SECRET_CACHE_SECONDS = 300


def _secret_string(credentials: StoreCredentials) -> str:
    return credentials.model_dump_json(exclude_none=True)


class SecretsManagerStoreSecrets:
    """Reads store secrets (cached), and replaces one when storelink renewed its access token."""

    def __init__(self, provider: parameters.SecretsProvider, client: Callable[[], "SecretsManagerClient"]) -> None:
        self._provider = provider
        self._make_client = client

    def credentials(self, store: Store, *, fresh: bool = False) -> StoreCredentials:
        secret = self._provider.get(
            store.secret_name, transform="json", max_age=SECRET_CACHE_SECONDS, force_fetch=fresh
        )
        return StoreCredentials.model_validate(secret)

    def replace(self, store: Store, credentials: StoreCredentials) -> None:
        self._make_client().put_secret_value(SecretId=store.secret_name, SecretString=_secret_string(credentials))
        self.credentials(store, fresh=True)  # this container's cache holds the new one from now on


class SecretsManagerWriter:
    """Creates and deletes store secrets; the only place storelink writes a secret."""

    def __init__(self, client: "SecretsManagerClient") -> None:
        self._client = client

    def create(self, name: str, credentials: StoreCredentials) -> None:
        self._client.create_secret(Name=name, SecretString=_secret_string(credentials))

    def replace(self, name: str, credentials: StoreCredentials) -> None:
        self._client.put_secret_value(SecretId=name, SecretString=_secret_string(credentials))

    def read(self, name: str) -> StoreCredentials:
        return StoreCredentials.model_validate_json(self._client.get_secret_value(SecretId=name)["SecretString"])

    def delete(self, name: str) -> None:
        # Already gone is fine: deleting is the goal.
        with contextlib.suppress(self._client.exceptions.ResourceNotFoundException):
            self._client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
