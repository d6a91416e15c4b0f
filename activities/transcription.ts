/**
 * The orchestrator's half of transcription: the GPU worker returns raw segments and words (or stores
 * them as JSON when large); we render every output file with the caption engine's subtitle code and
 * answer with the union of the seed README's and the seed code's response shapes.
 */
import type { Config } from '../common/config';
import { joinKey } from '../common/storage/keys';
import type { Storage } from '../common/storage';
import { renderKaraokeAss, renderSrt, renderVtt } from '../media/subtitles';

export interface TranscriptionRequest {
  engine: 'faster-whisper' | 'openai-whisper';
  audio_url: string;
  path: string;
  model: string;
  language: string | null;
  enable_vad: boolean;
  beam_size: number;
  temperature: number;
}

interface WorkerWord {
  word: string;
  start: number;
  end: number;
  probability?: number;
}
interface WorkerSegment {
  start: number;
  end: number;
  text: string;
  words?: WorkerWord[];
}
export interface WorkerTranscript {
  language: string;
  language_probability?: number;
  duration?: number;
  segments: WorkerSegment[];
  model?: string;
  device?: string;
  engine?: string;
  stored?: boolean;
}

export function transcriptionActivities(deps: { config: Config; storage: Storage }) {
  async function prepareTranscription(input: { requestId: string; request: TranscriptionRequest }) {
    const rawKey = joinKey(input.request.path, 'transcription.raw.json');
    const upload = await deps.storage.uploadTarget(rawKey, 'application/json');
    const { path: _path, ...rest } = input.request;
    return {
      endpointId: deps.config.RUNPOD_WHISPER_ENDPOINT_ID ?? deps.config.RUNPOD_ENDPOINT_ID,
      rawKey,
      payload: { kind: 'transcribe', ...rest, upload },
    };
  }

  async function storeTranscription(input: { requestId: string; request: TranscriptionRequest; output: unknown; rawKey: string; startedAt: string }) {
    let t = input.output as WorkerTranscript;
    if (t.stored) t = JSON.parse((await deps.storage.getBuffer(input.rawKey)).toString('utf8')) as WorkerTranscript;
    const segments = t.segments.map((s) => ({ start: s.start, end: s.end, text: s.text.trim() }));
    const words = t.segments.flatMap((s) => s.words ?? []).map((w) => ({ word: w.word.trim(), start: w.start, end: w.end }));
    const meta = { language: t.language, model: t.model ?? input.request.model, device: t.device ?? 'unknown' };
    const key = (name: string) => joinKey(input.request.path, name);
    const put = (name: string, body: string, type: string) => deps.storage.putBuffer(key(name), body, type);

    const [srt, vtt, segmentsJson] = await Promise.all([
      put('segments.srt', renderSrt(segments), 'application/x-subrip'),
      put('segments.vtt', renderVtt(segments), 'text/vtt'),
      put('segments.json', JSON.stringify({ segments, metadata: meta }, null, 2), 'application/json'),
    ]);
    const hasWords = words.length > 0;
    const [ass, wordsJson] = hasWords
      ? await Promise.all([put('karaoke.ass', renderKaraokeAss(words), 'text/x-ssa'), put('words.json', JSON.stringify({ words, metadata: meta }, null, 2), 'application/json')])
      : [undefined, undefined];

    const end = new Date();
    const durationMs = end.getTime() - Date.parse(input.startedAt);
    return {
      code: 200,
      message: 'Transcription completed successfully',
      job_id: input.requestId,
      language: t.language,
      transcription: segments.map((s) => s.text).join(' '),
      audio: { duration: t.duration ?? segments.at(-1)?.end ?? 0, language: t.language, language_probability: t.language_probability ?? null },
      files: {
        segments: { srt: srt.url, vtt: vtt.url, json: segmentsJson.url },
        ...(hasWords ? { words: { ass_karaoke: ass!.url, vtt_karaoke: '', lrc: '', json: wordsJson!.url } } : {}),
      },
      processing_time: `${(durationMs / 1000).toFixed(1)}s`,
      execution: { startTime: input.startedAt, endTime: end.toISOString(), durationMs, durationSeconds: Math.round(durationMs / 10) / 100 },
      stats: { segments: segments.length, words: words.length, model: meta.model, device: meta.device },
    };
  }

  return { prepareTranscription, storeTranscription };
}
