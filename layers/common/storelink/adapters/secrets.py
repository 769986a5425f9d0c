"""Store credentials from Secrets Manager, through Powertools parameters (cached per container)."""

from aws_lambda_powertools.utilities import parameters

from storelink.domain.stores import Store, StoreCredentials

# Long enough to spare Secrets Manager on every webhook, short enough that a rotated secret takes effect soon.
SECRET_CACHE_SECONDS = 300


class SecretsManagerStoreSecrets:
    def __init__(self, provider: parameters.SecretsProvider) -> None:
        self._provider = provider

    def credentials(self, store: Store) -> StoreCredentials:
        secret = self._provider.get(store.secret_name, transform="json", max_age=SECRET_CACHE_SECONDS)
        return StoreCredentials.model_validate(secret)
