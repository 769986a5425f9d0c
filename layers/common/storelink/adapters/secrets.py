"""Store credentials from Secrets Manager, through Powertools parameters (cached per container)."""

from aws_lambda_powertools.utilities import parameters

from storelink.domain.stores import Store, StoreCredentials

# Long enough to spare Secrets Manager on every webhook, short enough that a rotated secret takes effect soon.
SECRET_CACHE_SECONDS = 300


class SecretsManagerStoreSecrets:
    def credentials(self, store: Store) -> StoreCredentials:
        secret = parameters.get_secret(store.secret_name, transform="json", max_age=SECRET_CACHE_SECONDS)
        return StoreCredentials.model_validate(secret)
