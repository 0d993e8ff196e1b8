// The melody the tests harmonise, as a one-track MIDI file.

/**
 * A hymn tune of four bars of 4/4, an octave low (the soprano's range is an octave up),
 * whose final note ends an eighth before the last bar line and whose file runs on a
 * quarter of silence past it. [MIDI pitch or null for silence, 16ths].
 */
export const TUNE = [[55, 4], [60, 4], [62, 4], [64, 4], [65, 8], [64, 4], [62, 4], [60, 4], [62, 4], [64, 8], [62, 4], [60, 2], [59, 2], [60, 6], [null, 4]];

/** A one-track MIDI file of `notes` in `time`, 480 ticks a quarter. */
export function melodyFile(notes, time) {
  const ev = [0x00, 0xff, 0x58, 0x04, time[0], Math.log2(time[1]), 24, 8];
  let wait = 0;
  const vlq = (v) => { const b = [v & 0x7f]; while ((v >>= 7)) b.unshift((v & 0x7f) | 0x80); return b; };
  for (const [pitch, len] of notes) {
    if (pitch === null) { wait += len * 120; continue; }
    ev.push(...vlq(wait), 0x90, pitch, 80, ...vlq(len * 120), 0x80, pitch, 0);
    wait = 0;
  }
  ev.push(...vlq(wait), 0xff, 0x2f, 0x00);
  const head = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xe0];
  const n = ev.length;
  return new Uint8Array([...head, 0x4d, 0x54, 0x72, 0x6b, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255, ...ev]);
}

/** The same tune as a one-part MusicXML score (divisions of a 16th; the silence at the end written as a rest). */
export function melodyMusicXml(notes, time) {
  const bar = (time[0] * 16) / time[1];
  const steps = ['C', 'C', 'D', 'D', 'E', 'F', 'F', 'G', 'G', 'A', 'A', 'B'];
  const alters = [0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0];
  const types = { 1: '16th', 2: 'eighth', 4: 'quarter', 8: 'half', 16: 'whole' };
  let xml = '<?xml version="1.0" encoding="UTF-8"?><score-partwise version="4.0"><part-list><score-part id="P1"><part-name>Melody</part-name></score-part></part-list><part id="P1">';
  let at = 0, measure = 0;
  const pieces = [];
  for (const [pitch, len] of notes) {
    let left = len;
    while (left > 0) {
      const take = Math.min(left, bar - (at % bar));
      pieces.push({ pitch, len: take, tieStop: left < len, tieStart: take < left });
      at += take;
      left -= take;
    }
  }
  at = 0;
  for (const p of pieces) {
    if (at % bar === 0) {
      if (measure) xml += '</measure>';
      measure++;
      xml += `<measure number="${measure}">`;
      if (measure === 1) xml += `<attributes><divisions>4</divisions><key><fifths>0</fifths></key><time><beats>${time[0]}</beats><beat-type>${time[1]}</beat-type></time></attributes>`;
    }
    xml += '<note>';
    if (p.pitch === null) xml += '<rest/>';
    else xml += `<pitch><step>${steps[p.pitch % 12]}</step>${alters[p.pitch % 12] ? '<alter>1</alter>' : ''}<octave>${Math.floor(p.pitch / 12) - 1}</octave></pitch>`;
    xml += `<duration>${p.len}</duration>`;
    if (p.tieStop) xml += '<tie type="stop"/>';
    if (p.tieStart) xml += '<tie type="start"/>';
    xml += `<voice>1</voice>${types[p.len] ? `<type>${types[p.len]}</type>` : ''}</note>`;
    at += p.len;
  }
  return `${xml}</measure></part></score-partwise>\n`;
}
