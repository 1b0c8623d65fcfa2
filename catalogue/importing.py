"""Import songs from CSV or JSON in the Spotify audio-features layout.

Accepted columns (case-insensitive; aliases in brackets): track_name [title, name],
artists [singers, artist, artist_name] separated by ";", album_name [album], valence,
energy, tempo, mode, track_genre [genre, search_genre], language [lang], year
[release_date: its first four digits], tags (";"-separated), track_id [spotify_id] (a
22-character Spotify id), danceability, acousticness, instrumentalness, popularity, and
features ("measured" or "hand": how valence/energy were obtained; default measured, or
hand for the curated catalogue). Other columns are ignored.

Rows with a track id are upserted on the id; a track id seen again (in the same file or
an earlier file of the same run, `seen_tracks`) is counted as merged, not written twice.
Without a language column, `language_of(record)` may derive one (catalogue.spotify).

The file is streamed: rows are validated one by one and written in batches of
`batch_size`, each batch in one transaction, so memory stays bounded and a row is
either fully written (song + singers) or not at all. Bad rows are reported with their
line numbers and reasons; good rows are kept. Rows without a track id are upserted on
(title, singers, language), so importing the same file twice changes nothing.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.db import DatabaseError, transaction

from accounts.languages import LANGUAGES
from catalogue.models import FEATURES, song_language_code
from catalogue.services import MAX_SINGERS_PER_SONG, SongData, UpsertCounts, name_key, songs_upsert

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
MAX_REJECTED_KEPT = 1000
MAX_OBJECT_CHARS = 1024 * 1024  # one song never needs more; stops reading a broken file
csv.field_size_limit(1024 * 1024)

ALIASES: dict[str, tuple[str, ...]] = {
    "track_name": ("track_name", "title", "name", "song"),
    "artists": ("artists", "singers", "artist", "singer", "artist_name"),
    "album_name": ("album_name", "album"),
    "track_genre": ("track_genre", "genre", "search_genre"),
    "valence": ("valence",),
    "energy": ("energy",),
    "tempo": ("tempo", "bpm"),
    "mode": ("mode",),
    "language": ("language", "lang"),
    "year": ("year", "release_year", "release_date"),
    "tags": ("tags",),
    "spotify_id": ("track_id", "spotify_id"),
    "danceability": ("danceability",),
    "acousticness": ("acousticness",),
    "instrumentalness": ("instrumentalness",),
    "popularity": ("popularity",),
    "features": ("features",),
}
SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{22}")
REQUIRED = ("track_name", "artists", "valence", "energy")


class ImportRefused(Exception):
    """The whole file cannot be imported (too large, wrong format, missing columns)."""


class RowError(ValueError):
    """One row is invalid; the message says why."""


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged: int = 0  # rows of a track id already read (another genre of the same track)
    rejected_count: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    seconds: float = 0.0

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_KEPT:
            self.rejected.append(Rejected(line, reason))

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


# --- one row ---------------------------------------------------------------------------


def _text(value: Any, name: str, max_length: int, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, (str, int, float)):
        raise RowError(f"{name} must be text")
    text = " ".join(str(value).split())
    if "\ufffd" in text:
        raise RowError(f"{name} contains bytes that are not valid text in the file's encoding")
    if "\x00" in text:  # PostgreSQL cannot store it: the row, not the import, fails
        raise RowError(f"{name} contains a NUL character")
    if not text.isascii() and any("\ud800" <= char <= "\udfff" for char in text):
        raise RowError(f"{name} contains a lone surrogate (not valid text)")
    if required and not text:
        raise RowError(f"{name} is empty")
    if len(text) > max_length:
        raise RowError(f"{name} is longer than {max_length} characters")
    return text


def _number(value: Any, name: str, low: float, high: float, *, required: bool) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise RowError(f"{name} is missing")
        return None
    if isinstance(value, bool):
        raise RowError(f"{name} must be a number, not {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(f"{name} must be a number, not {str(value)[:30]!r}") from None
    if not math.isfinite(number) or not low <= number <= high:
        raise RowError(f"{name} must be between {low:g} and {high:g}, not {number:g}")
    return number


def _mode(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    key = str(value).strip().lower()
    named = {"major": 1, "minor": 0, "1": 1, "0": 0, "1.0": 1, "0.0": 0}
    if key not in named:
        raise RowError(f"mode must be 1 (major) or 0 (minor), not {str(value)[:20]!r}")
    return named[key]


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, str):
        raise RowError("expected text separated by ';'")
    return [part for part in value.split(";")]


def clean_song(
    record: dict[str, Any], *, default_language: str | None = None, curated: bool = False
) -> SongData:
    """Validate one record (canonical column names) into SongData; RowError says what is wrong."""
    problems: list[str] = []

    def check(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except RowError as error:
            problems.append(str(error))
            return None

    title = check(lambda: _text(record.get("track_name"), "track_name", 200, required=True))
    singers: list[str] = []
    try:
        raw_singers = [_text(s, "artists", 120) for s in _list(record.get("artists"))]
        singers = [s for s in raw_singers if name_key(s)]
        if not singers:
            problems.append("artists is empty")
        elif len(singers) > MAX_SINGERS_PER_SONG:
            problems.append(f"more than {MAX_SINGERS_PER_SONG} artists")
    except RowError as error:
        problems.append(str(error))
    raw_language = record.get("language")
    if raw_language is None or not str(raw_language).strip():
        raw_language = default_language
    language = None
    if raw_language is None or not str(raw_language).strip():
        problems.append("language is missing (add a language column or pass --language)")
    else:
        language = song_language_code(str(raw_language))
        if language is None:
            problems.append(
                f"unknown language {str(raw_language)[:20]!r} (use one of: {', '.join(LANGUAGES)})"
            )
    valence = check(lambda: _number(record.get("valence"), "valence", 0, 1, required=True))
    energy = check(lambda: _number(record.get("energy"), "energy", 0, 1, required=True))
    tempo = check(lambda: _number(record.get("tempo"), "tempo", 0, 400, required=False))
    mode = check(lambda: _mode(record.get("mode")))
    year = check(lambda: _year(record.get("year")))
    spotify_id = check(lambda: _spotify_id(record.get("spotify_id")))
    danceability = check(lambda: _number(record.get("danceability"), "danceability", 0, 1, required=False))
    acousticness = check(lambda: _number(record.get("acousticness"), "acousticness", 0, 1, required=False))
    instrumentalness = check(
        lambda: _number(record.get("instrumentalness"), "instrumentalness", 0, 1, required=False)
    )
    popularity = check(lambda: _number(record.get("popularity"), "popularity", 0, 100, required=False))
    features = str(record.get("features") or ("hand" if curated else "measured")).strip().lower()
    if features not in FEATURES:
        problems.append(f"features must be one of: {', '.join(FEATURES)}")
    album = check(lambda: _text(record.get("album_name"), "album_name", 200))
    genre = check(lambda: _text(record.get("track_genre"), "track_genre", 60))
    tags: list[str] = []
    try:
        tags = [t for t in (_text(t, "tags", 40) for t in _list(record.get("tags"))) if t][:20]
    except RowError as error:
        problems.append(str(error))
    if problems:
        raise RowError("; ".join(problems))
    return SongData(
        title=title,
        singers=tuple(singers),
        language=language,
        valence=valence,
        energy=energy,
        album=album or "",
        year=year,
        genre=(genre or "").lower(),
        # Spotify writes tempo 0 when it could not detect one: treat it as unknown.
        tempo=round(tempo, 3) if tempo else None,
        mode=mode,
        tags=tuple(tags),
        spotify_id=spotify_id,
        danceability=danceability,
        acousticness=acousticness,
        instrumentalness=instrumentalness,
        popularity=int(popularity) if popularity is not None else None,
        features=features,
        curated=curated,
    )


def _year(value: Any) -> int | None:
    """A year, or the first four digits of a date ("2003-01-01"); "0000" means not known."""
    if isinstance(value, str) and len(value.strip()) >= 4 and value.strip()[:4].isdigit():
        if value.strip()[:4] == "0000":
            return None
        value = value.strip()[:4]
    year = _number(value, "year", 1000, 2100, required=False)
    if year is not None and year != int(year):
        raise RowError("year must be a whole number")
    return int(year) if year is not None else None


def _spotify_id(value: Any) -> str | None:
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if not SPOTIFY_ID.fullmatch(text):
        raise RowError(f"track_id must be a 22-character Spotify id, not {text[:30]!r}")
    return text


# --- reading files ---------------------------------------------------------------------


class _Progress:
    """Bytes read so far, for the progress bar."""

    def __init__(self) -> None:
        self.bytes = 0


def _canonical_columns(header: list[str]) -> dict[str, int]:
    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    columns: dict[str, int] = {}
    for canonical, names in ALIASES.items():
        for name in names:
            if name in lowered:
                columns[canonical] = lowered.index(name)
                break
    return columns


def _check_columns(present: set[str], default_language: str | None) -> None:
    missing = [c for c in REQUIRED if c not in present]
    if "language" not in present and not default_language:
        missing.append("language (or pass --language)")
    if missing:
        raise ImportRefused(f"The file is missing required columns: {', '.join(missing)}.")


def _csv_records(
    handle: BinaryIO, encoding: str, default_language: str | None, progress: _Progress
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line, record, error) per CSV row; lines that do not decode are rejected, not fatal."""
    bad_lines: dict[int, str] = {}

    def lines() -> Iterator[str]:
        for number, raw in enumerate(handle, start=1):
            progress.bytes += len(raw)
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as error:
                bad_lines[number] = (
                    f"not valid {encoding} (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
                    "fix the file or pass --encoding"
                )
                text = raw.decode(encoding, errors="replace")
            yield text.lstrip("\ufeff") if number == 1 else text

    reader = csv.reader(lines())
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused("The file is empty.") from None
    except csv.Error as error:
        raise ImportRefused(f"The header line is not valid CSV: {error}.") from None
    if 1 in bad_lines:
        raise ImportRefused(f"The header line is {bad_lines[1]}.")
    columns = _canonical_columns(header)
    _check_columns(set(columns), default_language)
    previous_end = reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield previous_end + 1, None, f"not valid CSV: {error}"
            previous_end = reader.line_num
            continue
        start, previous_end = previous_end + 1, reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        broken = [bad_lines.pop(n) for n in range(start, previous_end + 1) if n in bad_lines]
        if broken:
            yield start, None, broken[0]
        elif len(row) != len(header):
            yield start, None, f"expected {len(header)} fields, found {len(row)}"
        else:
            yield start, {name: row[index] for name, index in columns.items()}, None


def _json_records(
    handle: BinaryIO, encoding: str, default_language: str | None, progress: _Progress
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line, record, error) per object of a JSON array, streamed in 256 KB chunks."""
    decoder = json.JSONDecoder()
    text_decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    buffer, position, eof, checked_columns = "", 0, False, False
    counted_to, line_no = 0, 1  # line_no is the line of buffer[counted_to]

    def line_at(pos: int) -> int:
        nonlocal counted_to, line_no
        line_no += buffer.count("\n", counted_to, pos)
        counted_to = pos
        return line_no

    def more() -> bool:
        nonlocal buffer, eof, position, counted_to
        chunk = handle.read(256 * 1024)
        progress.bytes += len(chunk)
        line_at(position)
        buffer = buffer[position:] + text_decoder.decode(chunk, final=not chunk)
        position, counted_to = 0, 0
        eof = not chunk
        return bool(chunk)

    def skip(chars: str) -> None:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in chars:
                position += 1
            if position < len(buffer) or not more():
                return

    more()
    skip(" \t\r\n\ufeff")
    if position >= len(buffer) or buffer[position] != "[":
        raise ImportRefused("The file is not a JSON array of songs.")
    position += 1
    while True:
        skip(" \t\r\n,")
        if position >= len(buffer):
            yield line_at(position), None, "the JSON array is not closed with ]"
            return
        if buffer[position] == "]":
            return
        line = line_at(position)
        try:
            value, end = decoder.raw_decode(buffer, position)
            if end >= len(buffer) and not eof:
                raise json.JSONDecodeError("incomplete", buffer, end)  # may continue in the next chunk
        except json.JSONDecodeError as error:
            if not eof and len(buffer) - position < MAX_OBJECT_CHARS:
                more()
                continue
            yield line, None, f"not valid JSON: {error.msg}"
            return  # in an array, the rest of the file cannot be located reliably
        position = end
        record = _record_from_object(value)
        if record is None:
            yield line, None, "each song must be a JSON object"
            continue
        if not checked_columns:
            # The first object decides whether the file has the layout at all.
            _check_columns(set(record), default_language)
            checked_columns = True
        yield line, record, None


def _record_from_object(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    lowered = {str(k).strip().lower(): v for k, v in value.items()}
    record: dict[str, Any] = {}
    for canonical, names in ALIASES.items():
        for name in names:
            if name in lowered:
                record[canonical] = lowered[name]
                break
    return record


def _jsonl_records(
    handle: BinaryIO, encoding: str, default_language: str | None, progress: _Progress
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """(line, record, error) per line of a JSON Lines file; a broken line rejects only itself."""
    checked_columns = False
    for number, raw in enumerate(handle, start=1):
        progress.bytes += len(raw)
        text = raw.decode(encoding, errors="replace").lstrip("\ufeff").strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            yield number, None, f"not valid JSON: {error.msg}"
            continue
        record = _record_from_object(value)
        if record is None:
            yield number, None, "each song must be a JSON object"
            continue
        if not checked_columns:
            _check_columns(set(record), default_language)
            checked_columns = True
        yield number, record, None


# --- the import ------------------------------------------------------------------------


def import_songs(
    path: str | os.PathLike,
    *,
    default_language: str | None = None,
    encoding: str = "utf-8",
    batch_size: int = 1000,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress_bar: Callable[..., Any] | None = None,
    language_of: Callable[[dict[str, Any]], str] | None = None,
    seen_tracks: dict[str, str] | None = None,
    curated: bool = False,
) -> ImportReport:
    """Import a CSV or JSON file of songs; see the module docstring for the layout.

    `language_of` gives the language of a record without one (before validation);
    `seen_tracks` (track id -> "file:line") spans the files of one run, so a track in two
    files is written once; `curated` marks the rows as our hand-curated songs.

    Raises ImportRefused when the whole file is unusable (too large, empty, missing
    columns, unknown encoding or language); otherwise returns a report with rejected rows.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportRefused(f"No such file: {path}.")
    size = path.stat().st_size
    if size > max_bytes:
        raise ImportRefused(
            f"{path.name} is {size / 1024 / 1024:.1f} MB; the limit is {max_bytes / 1024 / 1024:.0f} MB. "
            "Split the file or raise the limit with --max-mb."
        )
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ImportRefused(f"Unknown encoding {encoding!r}.") from None
    if default_language is not None and song_language_code(default_language) is None:
        raise ImportRefused(f"Unknown language {default_language!r}; use one of: {', '.join(LANGUAGES)}.")
    default_language = song_language_code(default_language) if default_language else None

    report = ImportReport()
    started = time.perf_counter()
    progress = _Progress()
    bar = progress_bar(total=size, unit="B", unit_scale=True, desc=path.name) if progress_bar else None
    seen: dict[tuple[str, str, str], int] = {}
    seen_tracks = {} if seen_tracks is None else seen_tracks
    batch: list[tuple[int, SongData]] = []
    with path.open("rb") as handle:
        head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        handle.seek(0)
        is_json = path.suffix.lower() in {".json", ".jsonl", ".ndjson"} or head[:1] in (b"[", b"{")
        if not head:
            raise ImportRefused("The file is empty.")
        readers = {"csv": _csv_records, "array": _json_records, "lines": _jsonl_records}
        reader = readers[("array" if head[:1] == b"[" else "lines") if is_json else "csv"]
        # A derived language stands in for the language column when checking the header.
        language_given = default_language or ("derived" if language_of is not None else None)
        for line, record, error in reader(handle, encoding, language_given, progress):
            report.rows += 1
            if error is None:
                if language_of is not None and not str(record.get("language") or "").strip():
                    record["language"] = language_of(record)
                try:
                    song = clean_song(record, default_language=default_language, curated=curated)
                except RowError as row_error:
                    error = str(row_error)
                else:
                    if song.spotify_id:
                        if song.spotify_id in seen_tracks:
                            report.merged += 1  # the same track under another genre
                            continue
                        seen_tracks[song.spotify_id] = f"{path.name}:{line}"
                    else:
                        first = seen.setdefault(song.natural_key, line)
                        if first != line:
                            error = f"duplicate of line {first} (same title, singers and language)"
            if error is not None:
                report.reject(line, error)
                continue
            batch.append((line, song))
            if len(batch) >= batch_size:
                _flush(batch, report)
                batch = []
                if bar is not None:
                    bar.update(progress.bytes - bar.n)
        _flush(batch, report)
    if bar is not None:
        bar.update(progress.bytes - bar.n)
        bar.close()
    report.seconds = time.perf_counter() - started
    report.rejected.sort(key=lambda r: r.line)
    return report


def _flush(batch: list[tuple[int, SongData]], report: ImportReport) -> None:
    if not batch:
        return
    try:
        counts = songs_upsert(songs=[song for _, song in batch])
    except DatabaseError:
        # Something in the batch broke a database rule: retry row by row to keep the rest.
        counts = UpsertCounts()
        for line, song in batch:
            try:
                with transaction.atomic():
                    counts.add(songs_upsert(songs=[song]))
            except DatabaseError as error:
                report.reject(line, f"the database refused the row: {str(error).splitlines()[0][:200]}")
    report.created += counts.created
    report.updated += counts.updated
    report.unchanged += counts.unchanged
