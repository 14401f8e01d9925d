"""Errors of the dataset layer. Each carries a complete, user-facing message (no traceback needed)."""

from __future__ import annotations


class DatasetError(Exception):
    """Base class: something about a dataset could not be done; ``str(exc)`` says what and why."""


class UnknownDataset(DatasetError):
    def __init__(self, name: str, known: list[str]):
        self.name = name
        super().__init__(f"unknown dataset {name!r} (known: {', '.join(known)})")


class NetworkError(DatasetError):
    """The server could not be reached at all (DNS failure, refused connection, timeout)."""


class HttpStatusError(DatasetError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int):
        self.status = status
        super().__init__(message)


class TransferInterrupted(DatasetError):
    """The transfer stopped before the announced length; the partial file is kept for resuming."""

    def __init__(self, message: str, received: int, expected: int | None):
        self.received = received
        self.expected = expected
        super().__init__(message)


class InvalidData(DatasetError):
    """A downloaded or imported file failed validation; it was not stored."""


class ChecksumMismatch(InvalidData):
    """The file's digest differs from the publisher's checksum file."""


class RefusedUrl(DatasetError):
    """A URL netvet will not fetch: not http(s), or not loopback while ``NETVET_OFFLINE_TESTS`` is set."""
