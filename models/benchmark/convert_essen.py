"""Picks hymn-like folk melodies from the Essen folksong collection (the ABC encodings in
music21's corpus) and writes each as a single-voice MusicXML file with fermatas at its
phrase ends. Run once; the files it wrote are the benchmark (see README.md).

    python3 -m venv venv && venv/bin/pip install music21
    venv/bin/python convert.py ESSEN_DIR OUT_DIR

ESSEN_DIR is music21/corpus/essenFolksong from the music21 wheel (`pip download music21`).
"""
import re
import sys
from pathlib import Path

import music21

COLLECTIONS = ["erk10", "erk20", "boehme10", "boehme20", "altdeu10", "altdeu20", "zuccal0", "dva0", "fink0", "ballad10"]
PER_COLLECTION = 5  # at most this many from one collection
WANT_MAJOR, WANT_MINOR = 24, 12

NOTE = re.compile(r"[_=^]*[A-Ga-gz][,']*")


def phrases(abc_body):
    """Notes and rests per line of the tune's ABC body: Essen writes one phrase a line."""
    counts = []
    for line in abc_body:
        line = re.sub(r'"[^"]*"|![^!]*!|\{[^}]*\}|%.*', "", line)
        n = len(NOTE.findall(line))
        if n:
            counts.append(n)
    return counts


def tunes(path):
    """(number, ABC body lines) of every tune in an Essen ABC file."""
    out, number, body, in_body = [], None, [], False
    for line in Path(path).read_text(encoding="latin-1").splitlines():
        if line.startswith("X:"):
            if number is not None:
                out.append((number, body))
            number, body, in_body = int(line[2:].strip()), [], False
        elif line.startswith("K:"):
            in_body = True
        elif in_body and line.strip() and not re.match(r"^[A-Za-z]:", line):
            body.append(line)
    if number is not None:
        out.append((number, body))
    return dict(out)


def mode_key(score, events):
    """The tune's key, when it is clear: the key Krumhansl-Schmuckler finds (music21's
    analysis) has the tune's final note as its tonic; otherwise None (a tune ending on
    the third or fifth, or one the profiles read in another key, is left out). Essen's K:
    field is not the key: the ABC writes the notes' accidentals under a signature that
    often belongs to another key."""
    final = [e for e in events if e.isNote][-1].pitch
    key = score.analyze("key")
    return key if key.tonic.pitchClass == final.pitchClass else None


def suitable(score, lines):
    """The melody if the 16th grid holds it and it is hymn-like, else None."""
    signatures = {t.ratioString for t in score.recurse().getElementsByClass("TimeSignature")}
    if signatures not in ({"4/4"}, {"3/4"}):
        return None
    part = score.parts[0] if score.parts else score
    flat = part.flatten().notesAndRests.stream()
    events = list(flat)
    if any(e.isChord for e in events) or sum(len(l) for l in [lines]) == 0:
        return None
    if len(events) != sum(lines):
        return None  # the phrase lines could not be matched to the notes
    notes = [e for e in events if e.isNote]
    if not notes:
        return None
    for e in events:
        ql = e.duration.quarterLength
        if e.duration.tuplets or e.duration.isGrace or (ql * 4) % 1 or (e.offset * 4) % 1 or ql < 0.25:
            return None
    short = sum(1 for n in notes if n.duration.quarterLength < 0.5)
    if short > 0.1 * len(notes):
        return None  # not hymn-like: too many notes shorter than an eighth
    pitches = [n.pitch.midi for n in notes]
    lo, hi = min(pitches), max(pitches)
    if not any(60 <= lo + 12 * k and hi + 12 * k <= 79 for k in range(-3, 4)):
        return None
    bars = len(part.getElementsByClass("Measure"))
    if not 8 <= bars <= 20:
        return None
    return events


def main(essen, out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    picked = {"major": [], "minor": []}
    seen_titles, seen_words = set(), set()
    for name in COLLECTIONS:
        abc = tunes(Path(essen) / f"{name}.abc")
        opus = music21.converter.parse(Path(essen) / f"{name}.abc")
        taken = 0
        for score in opus.scores:
            if taken >= PER_COLLECTION:
                break
            number = score.metadata.number
            title = score.metadata.title or ""
            words = {w for w in re.findall(r"[a-z]+", title.lower()) if len(w) >= 9}
            if number is None or int(number) not in abc or words & seen_words or title in seen_titles:
                continue  # another variant of a song already taken
            lines = phrases(abc[int(number)])
            events = suitable(score, lines)
            if events is None:
                continue
            key = mode_key(score, events)
            if key is None:
                continue
            mode = key.mode
            want = WANT_MINOR if mode == "minor" else WANT_MAJOR
            if len(picked[mode]) >= want:
                continue
            # A fermata on the last note of every phrase (a final rest gives it to the note before).
            end = 0
            for n in lines:
                end += n
                i = end - 1
                while i >= 0 and not events[i].isNote:
                    i -= 1
                if i >= 0 and not any(isinstance(x, music21.expressions.Fermata) for x in events[i].expressions):
                    events[i].expressions.append(music21.expressions.Fermata())
            # The key signature says the key (the notes keep their own accidentals).
            for ks in score.recurse().getElementsByClass("KeySignature"):
                ks.activeSite.replace(ks, key)
            slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "untitled"
            file = out / f"essen-{name}-{int(number):03d}-{slug}.musicxml"
            score.metadata.composer = "Traditional"
            score.write("musicxml", fp=file)
            # Written the same on every run: no date, a fixed part id.
            text = file.read_text(encoding="utf-8")
            text = re.sub(r"\s*<encoding-date>[^<]*</encoding-date>", "", text)
            text = re.sub(r'"P[0-9a-f]{32}"', '"P1"', text)
            file.write_text(text, encoding="utf-8")
            picked[mode].append((file.name, title, name, int(number), score.metadata.localeOfComposition or "", key.name))
            seen_titles.add(title)
            seen_words |= words
            taken += 1
    for mode, rows in picked.items():
        for row in rows:
            print("\t".join(str(x) for x in (mode,) + row))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
