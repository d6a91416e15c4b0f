/** Real media made at test time with ffmpeg (lavfi sources) and espeak-ng. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** A test-pattern video with a tone, H.264/AAC. */
export async function makeVideo(dest: string, opts: { seconds: number; size?: string; fps?: number; audio?: boolean } ): Promise<string> {
  const size = opts.size ?? '640x360';
  const fps = opts.fps ?? 25;
  const args = ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}:duration=${opts.seconds}`];
  if (opts.audio !== false) args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${opts.seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(fps));
  if (opts.audio !== false) args.push('-c:a', 'aac', '-b:a', '96k');
  args.push('-shortest', dest);
  await ffmpeg(args);
  return dest;
}

/** Portuguese speech from espeak-ng, encoded as MP3. */
export async function makeSpeech(dest: string, text: string): Promise<string> {
  const wav = `${dest}.wav`;
  await run('espeak-ng', ['-v', 'pt', '-s', '150', '-w', wav, text]);
  await ffmpeg(['-i', wav, '-c:a', 'libmp3lame', '-b:a', '128k', dest]);
  return dest;
}

export async function makeTone(dest: string, seconds: number, frequency = 220): Promise<string> {
  await ffmpeg(['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=44100:duration=${seconds}`, '-c:a', 'libmp3lame', '-b:a', '128k', dest]);
  return dest;
}

export interface Probe {
  format: { duration: string };
  streams: { codec_type: string; codec_name: string; width?: number; height?: number; r_frame_rate?: string; duration?: string }[];
}

export async function ffprobe(path: string): Promise<Probe> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path]);
  return JSON.parse(stdout) as Probe;
}

/** MD5 of every video packet, in order: equal lists mean the stream was copied bit for bit. */
export async function videoPacketHashes(path: string): Promise<string[]> {
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path, '-map', '0:v:0', '-c', 'copy', '-f', 'framemd5', '-'], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(',').pop()!.trim());
}
