export { mediaJob } from './job';
export { webhookDelivery } from './webhook';
export { youtubeTranscript } from './youtube';
export { generatePrompts, generateImages } from './imagem';
export { transcription } from './transcription';
