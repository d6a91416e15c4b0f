/**
 * Request schemas of the media operations (API-CONTRACT §2.1–2.7, §2.10). Per the contract's rule we
 * accept every shape the seed's docs or code accepted, plus documented extensions (marked "ext").
 * Routes whose seed validator dropped unknown keys use z.object (strip); those that rejected them use
 * z.strictObject.
 */
import { z } from 'zod';
import { ALIGNMENTS, alignment, asyncJobFields, hexColor, httpUrl, outputFilename, strictHttpUrl } from './common';

export const ZOOM_TYPES = ['zoomin', 'zoomout', 'zoompanright', 'zoompanleft', 'panup', 'pandown', 'static'] as const;

export const img2vidRequest = z.object({
  ...asyncJobFields,
  images: z
    .array(
      z.object({
        id: z.union([z.string().min(1).max(200), z.number().transform(String)]),
        image_url: httpUrl,
        duracao: z.number().min(0.1).max(1000),
      }),
    )
    .min(1)
    .max(1000),
  zoom_types: z.array(z.enum(ZOOM_TYPES)).min(1).max(ZOOM_TYPES.length * 4).default(['zoomin']),
  /** ext: output size, "WIDTHxHEIGHT"; 1920x1080 by default, 1080x1920 for 9:16 */
  resolution: z
    .string()
    .regex(/^\d{2,4}x\d{2,4}$/, 'must look like 1920x1080')
    .refine((v) => v.split('x').map(Number).every((n) => n % 2 === 0 && n >= 128 && n <= 3840), 'width and height must be even, from 128 to 3840')
    .default('1920x1080'),
  /** ext: frames per second */
  fps: z.number().int().min(1).max(60).default(24),
});

/**
 * A font family name. Characters with a meaning in fontconfig patterns, ASS style lines or FFmpeg
 * filter graphs are refused here (no installed family uses them), so a style value can only ever be a
 * name: 400 naming the field instead of a job that fails later.
 */
const fontName = (fallback: string) =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(/^[^:;,'"[\]{}\\=<>|\p{Cc}]+$/u, 'must be a font family name (none of : ; , \' " [ ] { } \\ = < > |)')
    .default(fallback);

const segmentsStyle = z
  .strictObject({
    font: z.strictObject({ name: fontName('Arial'), size: z.number().int().min(20).max(200).default(36), bold: z.boolean().default(true), italic: z.boolean().default(false) }).prefault({}),
    colors: z.strictObject({ primary: hexColor.default('#FFFFFF'), secondary: hexColor.optional(), outline: hexColor.default('#000000'), background: hexColor.optional() }).prefault({}),
    /** README's opacity group (0–100 %) */
    opacity: z.strictObject({ primary: z.number().min(0).max(100).default(100), background: z.number().min(0).max(100).default(100) }).optional(),
    border: z.strictObject({ style: z.union([z.literal(1), z.literal(3), z.literal(4)]).default(1), width: z.number().min(0).max(10).default(3), shadow: z.number().min(0).max(10).default(0) }).prefault({}),
    /** README's spelling of the border group */
    borders: z.strictObject({ outline: z.number().min(0).max(10).optional(), shadow: z.number().min(0).max(10).optional(), style: z.union([z.literal(1), z.literal(3), z.literal(4)]).optional() }).optional(),
    position: z
      .strictObject({
        alignment: alignment.default('bottom_center'),
        marginVertical: z.number().int().min(0).max(500).default(20),
        margin_v: z.number().int().min(0).max(500).optional(),
        marginLeft: z.number().int().min(0).max(500).default(10),
        marginRight: z.number().int().min(0).max(500).default(10),
      })
      .prefault({}),
    /** ext: wrap lines longer than this many characters (0 = let libass wrap) */
    max_chars_per_line: z.number().int().min(0).max(200).default(0),
  })
  .prefault({});

const highlightStyle = z
  .strictObject({
    fonte: fontName('Arial Black'),
    tamanho_fonte: z.number().int().min(20).max(200).default(72),
    fundo_cor: hexColor.default('#000000'),
    fundo_opacidade: z.number().min(0).max(100).default(50),
    fundo_arredondado: z.boolean().default(true),
    texto_cor: hexColor.default('#FFFFFF'),
    highlight_texto_cor: hexColor.optional(),
    highlight_cor: hexColor.default('#D60000'),
    highlight_borda: z.number().min(1).max(50).default(12),
    padding_horizontal: z.number().int().min(0).max(500).default(40),
    padding_vertical: z.number().int().min(0).max(500).default(80),
    position: z.enum(ALIGNMENTS).default('bottom_center'),
    words_per_line: z.number().int().min(1).max(10).default(4),
    max_lines: z.number().int().min(1).max(5).default(2),
  })
  .prefault({});

const captionCommon = {
  ...asyncJobFields,
  url_video: httpUrl,
  url_caption: httpUrl,
  output_filename: outputFilename,
  uppercase: z.boolean().default(false),
};

/** caption_style rejected unknown keys in the seed; `type` picks the style shape. */
export const captionStyleRequest = z.discriminatedUnion('type', [
  z.strictObject({ ...captionCommon, type: z.literal('segments'), style: segmentsStyle }),
  z.strictObject({ ...captionCommon, type: z.literal('highlight'), style: highlightStyle }),
  /** ext: one word at a time, from a words JSON */
  z.strictObject({ ...captionCommon, type: z.literal('word_by_word'), style: highlightStyle }),
  /** ext: karaoke highlight from an SRT (words spread over each cue) */
  z.strictObject({ ...captionCommon, type: z.literal('karaoke_srt'), style: highlightStyle }),
]);

export const LENGTH_MODES = ['retime', 'cut_to_audio', 'cut_to_video', 'pad', 'loop'] as const;

export const addaudioRequest = z.object({
  ...asyncJobFields,
  url_video: httpUrl,
  url_audio: httpUrl,
  output_filename: outputFilename,
  /** ext: how lengths are reconciled; the seed always retimed the video to the audio */
  length_mode: z.enum(LENGTH_MODES).default('retime'),
});

const videoRef = z.union([httpUrl, z.object({ video_url: httpUrl }).transform((o) => o.video_url)]);

export const concatenateRequest = z.object({
  ...asyncJobFields,
  video_urls: z.array(videoRef).min(2).max(200),
  output_filename: outputFilename,
  /** ext: transition between clips */
  transition: z.enum(['none', 'crossfade', 'fade']).default('none'),
  transition_duration: z.number().min(0.1).max(5).default(0.5),
});

/** Docs said `[{video_url}]` + `url_audio`; code took `string[]` + `audio_url`: accept both. */
export const concatVideoAudioRequest = z
  .object({
    ...asyncJobFields,
    video_urls: z.array(videoRef).min(1).max(50),
    audio_url: httpUrl.optional(),
    url_audio: httpUrl.optional(),
    output_filename: outputFilename,
    normalize: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if (!v.audio_url && !v.url_audio) ctx.addIssue({ code: 'custom', path: ['audio_url'], message: 'is required' });
  })
  .transform(({ url_audio, ...rest }) => ({ ...rest, audio_url: (rest.audio_url ?? url_audio) as string }));

export const trilhasonoraRequest = z.strictObject({
  ...asyncJobFields,
  url_video: httpUrl,
  trilha_sonora: httpUrl,
  output_filename: outputFilename,
  volume_reduction_db: z.number().min(0).max(40).optional(),
});

export const audioConcatenateRequest = z.strictObject({
  audio_urls: z.array(z.object({ audio_url: httpUrl })).min(2).max(500),
  path: asyncJobFields.path,
  output_filename: outputFilename.default('audio_concatenated.mp3'),
});

export const audioTrilhasonoraRequest = z.strictObject({
  audio_url: httpUrl,
  trilha_sonora: httpUrl,
  path: asyncJobFields.path,
  output_filename: outputFilename.default('audio_with_trilha.mp3'),
  db_offset: z.number().min(0).max(50).default(30),
});

export type Img2VidRequest = z.infer<typeof img2vidRequest>;
export type CaptionStyleRequest = z.infer<typeof captionStyleRequest>;
export type AddAudioRequest = z.infer<typeof addaudioRequest>;
export type ConcatenateRequest = z.infer<typeof concatenateRequest>;
export type ConcatVideoAudioRequest = z.infer<typeof concatVideoAudioRequest>;
export type TrilhasonoraRequest = z.infer<typeof trilhasonoraRequest>;
export type AudioConcatenateRequest = z.infer<typeof audioConcatenateRequest>;
export type AudioTrilhasonoraRequest = z.infer<typeof audioTrilhasonoraRequest>;

/** strictHttpUrl re-exported for routes that demand it */
export { strictHttpUrl };
