"""AI Hub's Python client: features for training and inference, training-set exports, the model registry.

    from aihub import Client
    hub = Client("http://127.0.0.1:8080", api_key)
    train = hub.get_offline_features("forecast_basic", "kwh", range=(start, end), labels=True)
"""

from .client import MAX_ENTITIES_PER_REQUEST, MAX_OFFLINE_ROWS, Client, __version__
from .errors import (
    AihubError,
    BadRequestError,
    ConflictError,
    ExportFailedError,
    ForbiddenError,
    IntegrityError,
    InvalidInputError,
    NotAihubError,
    NotFoundError,
    PayloadTooLargeError,
    PreconditionFailedError,
    ServerError,
    ServiceUnavailableError,
    TransportError,
    UnauthorizedError,
    WaitTimeoutError,
)
from .types import (
    DownloadedFile,
    Export,
    FeatureSet,
    Lineage,
    ModelVersion,
    OfflineFeatures,
    OnlineFeatures,
    OnlineVector,
    Promotion,
)

__all__ = [
    "MAX_ENTITIES_PER_REQUEST",
    "MAX_OFFLINE_ROWS",
    "AihubError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "DownloadedFile",
    "Export",
    "ExportFailedError",
    "FeatureSet",
    "ForbiddenError",
    "IntegrityError",
    "InvalidInputError",
    "Lineage",
    "ModelVersion",
    "NotAihubError",
    "NotFoundError",
    "OfflineFeatures",
    "OnlineFeatures",
    "OnlineVector",
    "PayloadTooLargeError",
    "PreconditionFailedError",
    "Promotion",
    "ServerError",
    "ServiceUnavailableError",
    "TransportError",
    "UnauthorizedError",
    "WaitTimeoutError",
    "__version__",
]
