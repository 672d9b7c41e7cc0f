"""Errors the importer raises; the management command turns each into a ``CommandError``."""

from __future__ import annotations


class ImportFailed(Exception):
    """The import cannot go on; nothing has been written."""


class SourceUnavailable(ImportFailed):
    """The data set could not be found, downloaded or unpacked."""


class ChecksumMismatch(SourceUnavailable):
    """A downloaded archive is not the one GroupLens published."""


class MalformedFile(ImportFailed):
    """A line that cannot be parsed: the message names the file and the line."""

    def __init__(self, file: str, line: int, problem: str) -> None:
        self.file = file
        self.line = line
        self.problem = problem
        super().__init__(f"{file} line {line}: {problem}")
