"""Public datasets netvet uses for attribution: catalogue, local versioned store, fetch/import, and the API
the rest of netvet asks (``active_path``, ``dataset_info``, ``stale_warnings``).

Infrastructure layer: imports only ``netvet.model`` and ``netvet.util``. No I/O at import time.
"""

from .api import (
    DatasetVersion,
    active_path,
    bundled_path,
    dataset_info,
    stale_warning,
    stale_warnings,
    status,
    stored,
)
from .catalogue import Catalogue, Dataset, Rules, load_catalogue, parse_catalogue
from .errors import (
    ChecksumMismatch,
    DatasetError,
    HttpStatusError,
    InvalidData,
    NetworkError,
    RefusedUrl,
    TransferInterrupted,
    UnknownDataset,
)
from .fetch import FetchResult, fetch, import_file, resolve_url
from .store import Manifest, Store, netvet_home

__all__ = [
    "Catalogue", "ChecksumMismatch", "Dataset", "DatasetError", "DatasetVersion", "FetchResult",
    "HttpStatusError", "InvalidData", "Manifest", "NetworkError", "RefusedUrl", "Rules", "Store",
    "TransferInterrupted", "UnknownDataset", "active_path", "bundled_path", "dataset_info", "fetch",
    "import_file", "load_catalogue", "netvet_home", "parse_catalogue", "resolve_url", "stale_warning",
    "stale_warnings", "status", "stored",
]
