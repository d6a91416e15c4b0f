/** Timed text shared by the subtitle readers and writers. Times are seconds from the media start. */

/** One subtitle cue (an SRT block, a whisper segment). */
export interface Cue {
  start: number;
  end: number;
  text: string;
}

/** One spoken word with its timestamps (the words.json format of transcription and captions). */
export interface Word {
  word: string;
  start: number;
  end: number;
}

/** A caption file that cannot be read; operations turn it into a BadMedia error naming the input. */
export class SubtitleParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SubtitleParseError';
  }
}
