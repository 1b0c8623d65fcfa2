"""The v2 corpus: every folk tune music21 ships and Bach's chorales, parsed once to notes.

v1 (`ml.music.corpus`) rasterised each piece straight into step tokens, which loses
the difference between a held note and a repeated one. v2 keeps the notes themselves
(start, duration, MIDI pitch per voice, ties merged) plus the meter and the phrase ends
(fermatas), cached as one compressed npz, so any grid and any onset representation can
be derived without parsing again (parsing 13,000 ABC tunes takes many minutes).

Sources (music21's bundled corpus; fixed file lists so every build is the same):

- ``folk``: ``essenFolksong``, ``oneills1850``, ``ryansMammoth``, ``airdsAirs``,
  ``miscFolk`` (monophonic tunes; accompaniment comes later from a harmonisation rule);
- ``chorale``: Bach's chorales (``bach/bwv*``), soprano, alto, tenor, bass.

Meter: only tunes whose bar is 2 or 4 quarter notes long (2/4, 4/4, 2/2) with no
meter change are kept; 3/4, 6/8, 9/8 ... are dropped and counted (``meter`` in the
summary), because the network's grid bar is 4 quarters (two 2/4 bars make one grid bar).
The pick-up before the first full bar is dropped.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ml.music.corpus import _satb, corpus_root

FOLK_COLLECTIONS: tuple[str, ...] = ("essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk")
KEPT_BAR_QL: tuple[float, ...] = (2.0, 4.0)


@dataclass
class Tune:
    """One parsed piece: notes per voice as (start_ql, dur_ql, midi), grid starting at bar 1."""

    tune_id: str
    style: str
    collection: str
    bar_ql: float
    length_ql: float
    voices: list[list[tuple[float, float, int]]]
    fermatas: list[float] = field(default_factory=list)  # offsets (ql) of soprano notes with a fermata


def source_files(
    styles: Iterable[str] = ("folk", "chorale"), only: Sequence[str] = ()
) -> list[tuple[str, str, str]]:
    """(style, collection, path) of every corpus file of the chosen styles.

    With `only` (glob patterns relative to the corpus folder) just the folk files that
    match one; the chorales stay whole.
    """
    from fnmatch import fnmatch

    root = corpus_root()
    out: list[tuple[str, str, str]] = []
    for style in styles:
        if style == "folk":
            for collection in FOLK_COLLECTIONS:
                out += [(style, collection, str(p)) for p in sorted((root / collection).glob("*.abc"))]
        elif style == "chorale":
            out += [
                (style, "bach", str(p))
                for p in sorted((root / "bach").iterdir())
                if p.suffix in (".mxl", ".xml", ".krn") and p.name.startswith("bwv")
            ]
        else:
            raise ValueError(f"unknown style {style!r}")
    if only:
        out = [
            task
            for task in out
            if task[0] != "folk" or any(fnmatch(str(Path(task[2]).relative_to(root)), p) for p in only)
        ]
    return out


def _voice_notes(part, grid_start: float, lowest: bool) -> tuple[list[tuple[float, float, int]], list[float]]:
    notes, fermatas = [], []
    for element in part.flatten().notes:
        pitches = [p.midi for p in element.pitches]
        dur = float(element.duration.quarterLength)
        start = float(element.offset) - grid_start
        if not pitches or dur <= 0 or start < 0:  # grace notes and the pick-up
            continue
        notes.append((start, dur, min(pitches) if lowest else max(pitches)))
        if any(type(e).__name__ == "Fermata" for e in element.expressions):
            fermatas.append(start)
    return notes, fermatas


def score_to_tune(score, style: str, collection: str, tune_id: str) -> tuple[Tune | None, str]:
    """(Tune, "kept") or (None, reason) for one music21 score."""
    from music21 import meter

    parts = list(score.parts)
    if not parts:
        return None, "no parts"
    signatures = list(parts[0].recurse().getElementsByClass(meter.TimeSignature))
    if not signatures:
        return None, "no meter"
    bar_ql = float(signatures[0].barDuration.quarterLength)
    if any(float(ts.barDuration.quarterLength) != bar_ql for ts in signatures):
        return None, "meter change"
    if bar_ql not in KEPT_BAR_QL:
        return None, f"meter {signatures[0].ratioString}"
    grid_start = None
    for measure in parts[0].getElementsByClass("Measure"):
        if abs(float(measure.duration.quarterLength) - bar_ql) < 1e-6:
            grid_start = float(measure.offset)
            break
    if grid_start is None:
        return None, "no full bar"
    length = float(parts[0].highestTime) - grid_start
    if style == "folk":
        chosen = [parts[0].stripTies()]
    else:
        satb = _satb(parts)
        if satb is None or len(parts) < 4:
            return None, "not four voices"
        chosen = [p.stripTies() for p in satb]
    voices, fermatas = [], []
    for index, part in enumerate(chosen):
        notes, ferm = _voice_notes(part, grid_start, lowest=index == 3)
        voices.append(notes)
        if index == 0:
            fermatas = ferm
    if len(voices[0]) < 8 or length < 4 * bar_ql:
        return None, "too short"
    return Tune(tune_id, style, collection, bar_ql, length, voices, fermatas), "kept"


# ABC meter fields whose bar is 2 or 4 quarters ("C" is 4/4, "C|" cut time 2/2).
_KEPT_ABC_METERS = {"2/4", "4/4", "C", "C|", "2/2"}


def abc_prefilter(text: str) -> tuple[str, Counter]:
    """The ABC text with only the tunes whose header meter is kept, and the others counted.

    Reading the ``M:`` header is much cheaper than letting music21 parse a 3/4 or 6/8 tune
    only to drop it; meter changes inside a kept tune are still caught after parsing.
    """
    chunks = re.split(r"(?m)^(?=X:)", text)
    head, tunes = (chunks[0], chunks[1:]) if chunks and not chunks[0].startswith("X:") else ("", chunks)
    kept, reasons = [], Counter()
    for tune in tunes:
        match = re.search(r"(?m)^M:\s*(\S+)", tune)
        meter_field = match.group(1) if match else "none"
        if meter_field in _KEPT_ABC_METERS:
            kept.append(tune)
        else:
            reasons[f"meter {meter_field}"] += 1
    return head + "".join(kept), reasons


def parse_file(task: tuple[str, str, str]) -> tuple[list[Tune], Counter]:
    """Every tune of one corpus file, and why the others were dropped."""
    from music21 import converter, stream

    style, collection, path = task
    reasons: Counter = Counter()
    try:
        if path.endswith(".abc"):
            text, reasons = abc_prefilter(Path(path).read_text(encoding="latin-1"))
            if "X:" not in text:
                return [], reasons
            parsed = converter.parseData(text, format="abc")
        else:
            parsed = converter.parse(path)
    except Exception:  # a file music21 cannot read is counted, not fatal
        reasons["unreadable file"] += 1
        return [], reasons
    scores = list(parsed.scores) if isinstance(parsed, stream.Opus) else [parsed]
    tunes = []
    for index, score in enumerate(scores):
        tune_id = f"{collection}/{Path(path).name}" + (f"#{index}" if len(scores) > 1 else "")
        try:
            tune, why = score_to_tune(score, style, collection, tune_id)
        except Exception:  # one malformed tune inside a collection
            tune, why = None, "malformed"
        reasons[why] += 1
        if tune is not None:
            tunes.append(tune)
    return tunes, reasons


def save_tunes(path: Path, tunes: Sequence[Tune], reasons: Counter) -> None:
    """All tunes as flat arrays in one compressed npz (no pickles)."""
    rows, ferm = [], []
    for t_index, tune in enumerate(tunes):
        for v_index, voice in enumerate(tune.voices):
            rows += [(t_index, v_index, s, d, m) for s, d, m in voice]
        ferm += [(t_index, f) for f in tune.fermatas]
    notes = np.array(rows, dtype=np.float64).reshape(-1, 5)
    fermatas = np.array(ferm, dtype=np.float64).reshape(-1, 2)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        notes=notes,
        fermatas=fermatas,
        tune_ids=np.array([t.tune_id for t in tunes]),
        styles=np.array([t.style for t in tunes]),
        collections=np.array([t.collection for t in tunes]),
        bar_ql=np.array([t.bar_ql for t in tunes]),
        length_ql=np.array([t.length_ql for t in tunes]),
        n_voices=np.array([len(t.voices) for t in tunes]),
        reason_names=np.array(list(reasons) or [""]),
        reason_counts=np.array(list(reasons.values()) or [0]),
    )
    tmp.replace(path)


def load_tunes(path: Path) -> list[Tune]:
    """The tunes of a cache written by `save_tunes`."""
    from ml.music.errors import DatasetMissing

    path = Path(path)
    if not path.exists():
        raise DatasetMissing(f"No parsed corpus at {path}; build it with `python -m ml.music parse-corpus`.")
    with np.load(path, allow_pickle=False) as data:
        notes, fermatas = data["notes"], data["fermatas"]
        ids, styles, colls = data["tune_ids"], data["styles"], data["collections"]
        bar_ql, length, n_voices = data["bar_ql"], data["length_ql"], data["n_voices"]
    order = np.argsort(notes[:, 0], kind="stable")
    notes = notes[order]
    bounds = np.searchsorted(notes[:, 0], np.arange(len(ids) + 1))
    fbounds = np.searchsorted(fermatas[:, 0], np.arange(len(ids) + 1)) if len(fermatas) else None
    tunes = []
    for i in range(len(ids)):
        rows = notes[bounds[i] : bounds[i + 1]]
        voices = [
            [(float(s), float(d), int(m)) for _, v, s, d, m in rows if int(v) == k]
            for k in range(int(n_voices[i]))
        ]
        ferm = [] if fbounds is None else [float(f) for f in fermatas[fbounds[i] : fbounds[i + 1], 1]]
        tunes.append(
            Tune(str(ids[i]), str(styles[i]), str(colls[i]), float(bar_ql[i]), float(length[i]), voices, ferm)
        )
    return tunes


def parse_corpus(
    out: Path,
    styles: Iterable[str] = ("folk", "chorale"),
    limit: int | None = None,
    progress: bool = True,
    only: Sequence[str] = (),
) -> dict:
    """Parse the corpus files (one process: the machine's other core is someone else's) to `out`.

    `only`: glob patterns relative to music21's corpus folder (``essenFolksong/erk2*``); a
    folk file that matches none is skipped (chorales always stay, so the chorale split
    is the full build's). A folk subset has its own by-tune split, not the full build's.
    """
    from tqdm import tqdm

    tasks = source_files(styles, only)
    if limit is not None:
        tasks = tasks[:limit]
    tunes: list[Tune] = []
    reasons: Counter = Counter()
    t0 = time.monotonic()
    bar = tqdm(tasks, desc="parse", unit="file", disable=not progress)
    for task in bar:
        found, why = parse_file(task)
        tunes += found
        reasons.update(why)
        bar.set_postfix(tunes=len(tunes))
    tunes.sort(key=lambda t: t.tune_id)
    save_tunes(out, tunes, reasons)
    summary = {"files": len(tasks), "tunes_kept": len(tunes), "seconds": round(time.monotonic() - t0, 1)}
    summary["kept_by_collection"] = dict(Counter(t.collection for t in tunes))
    summary["dropped"] = {k: v for k, v in reasons.items() if k != "kept"}
    return summary
