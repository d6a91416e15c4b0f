/** The seed's queue-time estimate (API-CONTRACT §1 "202 body"). */
const AVG_MINUTES: Record<string, number> = { img2vid: 5, caption_style: 2, addaudio: 1, concatenate: 3, trilhasonora: 2 };

export function estimatedTime(operation: string, processor: 'GPU' | 'VPS', position: number, workers: number): string {
  const avg = (AVG_MINUTES[operation] ?? 3) * (processor === 'VPS' ? 2 : 1);
  return formatMinutes(avg * Math.ceil(Math.max(1, position) / Math.max(1, workers)));
}

export function formatMinutes(minutes: number): string {
  if (minutes < 1) return 'less than 1 minute';
  if (minutes === 1) return '~1 minute';
  if (minutes < 60) return `~${Math.round(minutes)} minutes`;
  return `~${Math.floor(minutes / 60)}h ${Math.round(minutes % 60)}min`;
}
